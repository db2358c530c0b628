using Dapper;
using NUnit.Framework;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// next-task's page when a branch has few open tasks among many closed ones, vacuumed: each queue entry's task is
/// probed by its key. Given the key and the branch in one probe, PostgreSQL read a branch's board index-only instead (a
/// small index of open tasks holding the branch and the id, costed as one page), and a plan made then, kept generic,
/// walks the branch's every open task per queue entry once they are many: 10× the server's CPU of the page in a third
/// of `bench costs` runs (issue 19, round 15).
/// </summary>
[NonParallelizable]
public sealed class PostgresTaskProbePlanTests : PostgresFixture
{
    [Test]
    public async Task Next_task_s_page_probes_each_task_by_its_key_on_a_small_vacuumed_table()
    {
        await using (var connection = new Npgsql.NpgsqlConnection(Store.ConnectionString))
        {
            // 5,000 tasks of one branch, 20 of them open and in the front desk's queue, none in the other queues; autovacuum
            // past (the visibility map set, so an index-only read looks cheapest): the state in which main's probe read a
            // branch's board index-only.
            await connection.ExecuteAsync("""
                INSERT INTO wf_user_tasks (id, instance_id, element_key, element_id, process_id, candidate_groups, candidate_users, priority, created_at, status, branch, sla_sort, inv_priority)
                SELECT gen_random_uuid(), gen_random_uuid(), 1, 'register', 'complaint', '["front-desk"]', '[]', 50, 1000000 + g,
                       CASE WHEN g % 250 = 0 THEN 0 ELSE 1 END, 'bench-01', 5000000 - g, 50
                FROM generate_series(1, 5000) g;
                INSERT INTO wf_task_queues (task_id, queue, claimed, sla_sort, inv_priority, created_at)
                SELECT id, 'front-desk', 0, sla_sort, inv_priority, created_at FROM wf_user_tasks WHERE status = 0;
                """);
            await connection.ExecuteAsync("VACUUM ANALYZE wf_user_tasks");
            await connection.ExecuteAsync("VACUUM ANALYZE wf_task_queues");
        }

        var store = new SqlWorkflowStore(SqlDialect.For(SqlProvider.PostgreSql), Store.ConnectionString);
        var plans = new List<(string Kind, System.Text.Json.JsonElement Plan)>();
        store.InspectTaskList = async (_, sql, parameters) => plans.AddRange(await PostgresQueueListPlanTests.ExplainAsync(Store.ConnectionString, sql, parameters));

        var page = await store.QueryTasksAsync(new TaskQuery
        {
            Queues = ["front-desk", "customer-care"], CandidateUser = "puller", Unassigned = true, Sort = TaskSort.SlaTimeLeft, Branch = "bench-01",
        }, null, 8, default);

        Assert.That(plans, Has.Count.EqualTo(2));
        foreach (var (kind, plan) in plans)
        {
            var nodes = PostgresQueueListPlanTests.Nodes(plan, null).ToList();
            var text = string.Join(Environment.NewLine, nodes.Select(n => $"{n.Parent} > {n.Type} {n.Relation} {n.Index} {n.Relationship}"));
            TestContext.Out.WriteLine($"{kind} plan:{Environment.NewLine}{text}");
            var taskScans = nodes.Where(n => n.Relation == "wf_user_tasks").ToList();
            using (Assert.EnterMultipleScope())
            {
                Assert.That(page, Has.Count.EqualTo(8), "a full page");
                Assert.That(taskScans, Has.Count.EqualTo(3), $"{kind}: a probe per walk (two queues and the agent's own): {text}");
                Assert.That(taskScans.Select(n => (n.Type, n.Index)), Has.All.EqualTo(("Index Scan", (string?)"wf_user_tasks_pkey")),
                    $"{kind}: each task is probed by its key, not found in a branch's board: {text}");
            }
        }
    }

    [Test]
    public async Task Next_task_s_look_for_a_task_its_agent_holds_reads_the_index_of_open_tasks_assignees()
    {
        await using var connection = new Npgsql.NpgsqlConnection(Store.ConnectionString);
        // 5,000 open tasks, 4,000 held by 20 other agents: the agent asking holds none, as at almost every pull.
        await connection.ExecuteAsync("""
            INSERT INTO wf_user_tasks (id, instance_id, element_key, element_id, process_id, candidate_groups, candidate_users, priority, created_at, status, branch, sla_sort, inv_priority, assignee)
            SELECT gen_random_uuid(), gen_random_uuid(), 1, 'register', 'complaint', '["front-desk"]', '[]', 50, 1000000 + g, 0, 'bench-01', 5000000 - g, 50,
                   CASE WHEN g % 5 = 0 THEN NULL ELSE 'agent-' || (g % 20) END
            FROM generate_series(1, 5000) g;
            """);
        await connection.ExecuteAsync("VACUUM ANALYZE wf_user_tasks");

        var store = new SqlWorkflowStore(SqlDialect.For(SqlProvider.PostgreSql), Store.ConnectionString);
        var plan = await connection.ExecuteScalarAsync<string>(
            $"EXPLAIN (FORMAT JSON) {store.HeldTaskIdsStatement.Replace("@holder", "'agent-new'", StringComparison.Ordinal).Replace("@held", "64", StringComparison.Ordinal)}");
        var held = (await store.QueryNextTaskIdsAsync(new TaskQuery { Queues = ["front-desk"], Unassigned = true, Sort = TaskSort.SlaTimeLeft }, 8, "agent-3", 64, default)).Held;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(plan, Does.Contain("ix_wf_user_tasks_open_assignee"), plan);
            Assert.That(plan, Does.Not.Contain("Seq Scan"), plan);
            Assert.That(held, Has.Count.EqualTo(64), "agent-3 holds 200: the first 64");
        }
    }
}
