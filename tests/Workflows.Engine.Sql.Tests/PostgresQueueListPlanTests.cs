using System.Text.Json;
using Dapper;
using NUnit.Framework;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// A queue's list (an agent's, and next-task's candidates) walks the queue's index in order and stops at a page, probing
/// each entry's task by its key for the list's filters. The plan must not depend on the statistics: a fresh table and a
/// freshly analysed one give the same shape, and no join is left for the planner to turn into a hash join of every
/// open task and a sort of the queue, or a scan of the branch's index for each queue entry (as main's join did on a
/// fresh database, 150-330 ms a page at 41,000 open tasks).
/// </summary>
[NonParallelizable]
public sealed class PostgresQueueListPlanTests : PostgresFixture
{
    private const int Tasks = 50_000; // a fifth of them closed: 40,000 open, as in the run where the plan flipped

    private static readonly string[] s_joins = ["Hash Join", "Merge Join", "Nested Loop", "Hash", "Seq Scan", "Bitmap Heap Scan", "Bitmap Index Scan", "Materialize"];

    [OneTimeSetUp]
    public async Task FillTheQueue()
    {
        // Written directly, not through the engine: 50,000 commands would take minutes. A task in the queue "desk" for
        // every open one, half of them of the branch "north", all with the same priority so that the orders differ by
        // their other keys; and 4,000 tasks of "north" in another queue, due sooner (as the agents' next steps): on main,
        // before ANALYZE, each queue entry's task was found by scanning the branch's index from its start, past them
        // (200-330 ms a page, BENCHMARKS.md round 13). The tables are left unanalysed: the first test reads the plan before ANALYZE.
        await using var connection = new Npgsql.NpgsqlConnection(Store.ConnectionString);
        await connection.ExecuteAsync($"""
            INSERT INTO wf_user_tasks (id, instance_id, element_key, element_id, process_id, candidate_groups, candidate_users, priority, created_at, status, branch, sla_sort, inv_priority)
            SELECT gen_random_uuid(), gen_random_uuid(), 1, 'review', 'complaint', '["desk"]', '[]', 50, 1000000 + g,
                   CASE WHEN g % 5 = 0 THEN 1 ELSE 0 END, CASE WHEN g % 2 = 0 THEN 'north' ELSE 'south' END, 5000000 - g, 50
            FROM generate_series(1, {Tasks}) g;
            INSERT INTO wf_task_queues (task_id, queue, claimed, sla_sort, inv_priority, created_at)
            SELECT id, 'desk', 0, sla_sort, inv_priority, created_at FROM wf_user_tasks WHERE status = 0;
            INSERT INTO wf_user_tasks (id, instance_id, element_key, element_id, process_id, candidate_groups, candidate_users, priority, created_at, status, branch, sla_sort, inv_priority)
            SELECT gen_random_uuid(), gen_random_uuid(), 2, 'resolve', 'complaint', '["care"]', '[]', 50, 1000000 + g, 0, 'north', 1000 + g, 50
            FROM generate_series(1, 4000) g;
            INSERT INTO wf_task_queues (task_id, queue, claimed, sla_sort, inv_priority, created_at)
            SELECT id, 'care', 0, sla_sort, inv_priority, created_at FROM wf_user_tasks WHERE element_id = 'resolve';
            """);
    }

    [Test, Order(1)]
    public Task Before_ANALYZE_a_queue_list_walks_the_queue_index_and_probes_each_task_by_key() => AssertPlansAsync();

    [Test, Order(2)]
    public async Task After_ANALYZE_a_queue_list_walks_the_queue_index_and_probes_each_task_by_key()
    {
        await using (var connection = new Npgsql.NpgsqlConnection(Store.ConnectionString))
        {
            await connection.ExecuteAsync("ANALYZE wf_user_tasks; ANALYZE wf_task_queues");
        }

        await AssertPlansAsync();
    }

    private async Task AssertPlansAsync()
    {
        var store = new SqlWorkflowStore(SqlDialect.For(SqlProvider.PostgreSql), Store.ConnectionString);
        // next-task's candidates (unclaimed, of the agent's branch, in its queues and its own user queue), an agent's list
        // of its queue (claimed and unclaimed: two walks), and the other orders.
        var queries = new (string Name, TaskQuery Query, string Index, int Walks)[]
        {
            ("next-task", new TaskQuery { Queues = ["desk"], CandidateUser = "ann", Unassigned = true, Branch = "north", Sort = TaskSort.SlaTimeLeft }, "ix_wf_task_queues_sla", 2),
            ("queue by SLA", new TaskQuery { Queues = ["desk"], Sort = TaskSort.SlaTimeLeft }, "ix_wf_task_queues_sla", 2),
            ("queue of a branch by priority", new TaskQuery { Queues = ["desk"], Branch = "north", Sort = TaskSort.Priority }, "ix_wf_task_queues_priority", 2),
            ("queue by age, unclaimed", new TaskQuery { Queues = ["desk"], Unassigned = true, Sort = TaskSort.Age }, "ix_wf_task_queues_age", 1),
        };
        foreach (var (name, query, index, walks) in queries)
        {
            var plans = new List<(string Kind, JsonElement Plan)>();
            store.InspectTaskList = async (_, sql, parameters) => plans.AddRange(await ExplainAsync(Store.ConnectionString, sql, parameters));

            var page = await store.QueryTasksAsync(query, null, 50, default);

            Assert.That(plans, Has.Count.EqualTo(2), name);
            foreach (var (kind, plan) in plans)
            {
                var nodes = Nodes(plan, null).ToList();
                var text = string.Join(Environment.NewLine, nodes.Select(n => $"{n.Parent} > {n.Type} {n.Relation} {n.Index} {n.Relationship}"));
                TestContext.Out.WriteLine($"{name}, {kind} plan:{Environment.NewLine}{text}");
                var queueScans = nodes.Where(n => n.Relation == "wf_task_queues").ToList();
                var taskScans = nodes.Where(n => n.Relation == "wf_user_tasks").ToList();
                using (Assert.EnterMultipleScope())
                {
                    Assert.That(page, Has.Count.EqualTo(50), $"{name}: a full page");
                    Assert.That(nodes.Select(n => n.Type).Intersect(s_joins), Is.Empty, $"{name}, {kind}: no join and no scan of a whole table: {text}");
                    Assert.That(queueScans, Has.Count.EqualTo(walks), $"{name}, {kind}: one walk of the queue per queue and claimed state: {text}");
                    Assert.That(queueScans.Select(n => (n.Type, n.Index, n.Parent)), Has.All.Matches<(string Type, string? Index, string? Parent)>(
                        s => s.Type is "Index Scan" or "Index Only Scan" && s.Index == index && s.Parent == "Limit"), $"{name}, {kind}: each walk reads {index} in order and stops at the page: {text}");
                    Assert.That(taskScans, Is.Not.Empty, $"{name}, {kind}: the tasks are probed: {text}");
                    Assert.That(taskScans.Select(n => (n.Type, n.Index)), Has.All.EqualTo(("Index Scan", (string?)"wf_user_tasks_pkey")),
                        $"{name}, {kind}: each task is probed by its key, once per queue entry walked: {text}");
                    Assert.That(taskScans.Select(n => n.Relationship), Has.All.AnyOf("SubPlan", "Subquery"), $"{name}, {kind}: in the probe: {text}");
                }
            }
        }
    }

    // The plan for these values (what an unprepared statement gets), and the generic plan a prepared statement may switch
    // to after five runs, made for any values: LIMIT $n is then taken to keep a tenth of the rows, the case where a hash
    // join and a sort look cheaper than a walk. On a connection of its own, so the setting goes with it.
    internal static async Task<List<(string Kind, JsonElement Plan)>> ExplainAsync(string connectionString, string sql, DynamicParameters parameters)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var plans = new List<(string, JsonElement)>();
        var custom = sql.Replace("@limit", "CAST(@limit AS bigint)", StringComparison.Ordinal).Replace("@total", "CAST(@total AS bigint)", StringComparison.Ordinal);
        plans.Add(("custom", Plan(await connection.ExecuteScalarAsync<string>("EXPLAIN (FORMAT JSON) " + custom, parameters))));

        var (positional, names) = StatementBatch.Positional(sql);
        await connection.ExecuteAsync("SET plan_cache_mode = force_generic_plan; PREPARE wf_list AS " + positional);
        var values = string.Join(", ", names.Select(n => parameters.Get<object>(n) switch
        {
            string text => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'",
            var number => Convert.ToString(number, System.Globalization.CultureInfo.InvariantCulture),
        }));
        plans.Add(("generic", Plan(await connection.ExecuteScalarAsync<string>($"EXPLAIN (FORMAT JSON) EXECUTE wf_list({values})"))));
        return plans;
    }

    private static JsonElement Plan(string? json) => JsonDocument.Parse(json!).RootElement[0].GetProperty("Plan").Clone();

    internal static IEnumerable<(string Type, string? Relation, string? Index, string? Relationship, string? Parent)> Nodes(JsonElement node, string? parent)
    {
        var type = node.GetProperty("Node Type").GetString()!;
        yield return (type, Text(node, "Relation Name"), Text(node, "Index Name"), Text(node, "Parent Relationship"), parent);
        if (node.TryGetProperty("Plans", out var children))
        {
            foreach (var child in children.EnumerateArray())
            {
                foreach (var descendant in Nodes(child, type))
                {
                    yield return descendant;
                }
            }
        }
    }

    private static string? Text(JsonElement node, string name) => node.TryGetProperty(name, out var value) ? value.GetString() : null;
}
