using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NUnit.Framework;
using Workflows.Engine.Storage;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// On PostgreSQL an open task's holder is a row of its own (migration 47), so that a claim is a HOT update of its task:
/// no entry in the task table's indexes, one in the holders' key. "My tasks" and next-task's look for a held task read it.
/// </summary>
[NonParallelizable]
public sealed class PostgresTaskHoldersTests : PostgresFixture
{
    private WorkflowEngine _engine = null!;
    private SqlWorkflowStore _store = null!;

    [OneTimeSetUp]
    public async Task Deploy()
    {
        _store = new SqlWorkflowStore(SqlDialect.For(SqlProvider.PostgreSql), Store.ConnectionString);
        _engine = new WorkflowEngine(_store, new WorkflowEngineOptions(), TimeProvider.System, NullLogger.Instance);
        await _engine.Deployments.DeployAsync(Process("held", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("first", """<bpmn:extensionElements><wf:userTask candidateGroups="held-queue"/></bpmn:extensionElements>""")}
            {UserTask("second", """<bpmn:extensionElements><wf:userTask candidateGroups="held-queue"/></bpmn:extensionElements>""")}
            <bpmn:endEvent id="end"/>
            {Chain("start", "first", "second", "end")}
            """));
    }

    private async Task<Guid> OpenTaskAsync()
    {
        var instance = await _engine.Runtime.StartAsync(new StartInstance("held"));
        return (await _engine.Tasks.GetOpenAsync(instance)).Single().Id;
    }

    private async Task<List<(string Assignee, Guid TaskId)>> HoldersAsync()
    {
        await using var connection = new NpgsqlConnection(Store.ConnectionString);
        return (await connection.QueryAsync<(string, Guid)>("SELECT assignee, task_id FROM wf_task_holders ORDER BY assignee, task_id")).ToList();
    }

    [Test]
    public async Task A_claim_adds_no_entry_to_the_task_table_s_indexes_and_its_agent_finds_the_task_by_its_holder_row()
    {
        await using var connection = new NpgsqlConnection(Store.ConnectionString);
        await connection.OpenAsync();
        await connection.ExecuteAsync("CREATE EXTENSION IF NOT EXISTS pageinspect");
        await connection.ExecuteAsync("TRUNCATE wf_user_tasks, wf_task_queues, wf_task_holders");
        var task = await OpenTaskAsync();
        var indexes = (await connection.QueryAsync<string>("SELECT indexname FROM pg_indexes WHERE tablename = 'wf_user_tasks' ORDER BY indexname")).ToList();
        // Each index is one leaf page (block 1) at this size: its items are its entries, a dead version's included.
        async Task<Dictionary<string, long>> EntriesAsync()
        {
            var entries = new Dictionary<string, long>();
            foreach (var index in indexes)
            {
                // An index no row is in (a process without branches, customers or business keys) has its meta page alone.
                var pages = await connection.ExecuteScalarAsync<long>("SELECT pg_relation_size(@index::regclass) / current_setting('block_size')::bigint", new { index });
                entries[index] = pages < 2 ? 0 : await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM bt_page_items(@index, 1)", new { index });
            }

            return entries;
        }

        var before = await EntriesAsync();
        await _engine.Tasks.ClaimAsync(task, "agent-1");
        var claimed = await EntriesAsync();
        var held = await HoldersAsync();
        var mine = await _engine.Tasks.QueryAsync(new TaskQuery { Assignee = "agent-1" });
        var handedBack = await _engine.Tasks.NextAsync("agent-1", ["held-queue"]);
        await _engine.Tasks.DelegateAsync(task, "agent-1", "agent-2");
        var delegated = await HoldersAsync();
        var agent2 = await _engine.Tasks.QueryAsync(new TaskQuery { Assignee = "agent-2" });
        var agent1 = await _engine.Tasks.QueryAsync(new TaskQuery { Assignee = "agent-1" });
        await _engine.Tasks.UnclaimAsync(task, "agent-2");
        var unclaimed = await HoldersAsync();
        await _engine.Tasks.ClaimAsync(task, "agent-3");
        await _engine.Tasks.CompleteAsync(task, null, "agent-3");
        var completed = await HoldersAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(indexes, Does.Not.Contain("ix_wf_user_tasks_open_assignee"), "the assignee is in no index of the task table");
            Assert.That(claimed, Is.EqualTo(before), "the claim's new version of the task is in no index: a HOT update");
            Assert.That(held, Is.EqualTo(new[] { ("agent-1", task) }));
            Assert.That(mine.Tasks.Select(t => t.Id), Is.EqualTo(new[] { task }), "agent-1's tasks");
            Assert.That(handedBack?.Id, Is.EqualTo(task), "next-task hands agent-1 the task it holds");
            Assert.That(delegated, Is.EqualTo(new[] { ("agent-2", task) }), "delegated: the holder row moves");
            Assert.That(agent2.Tasks.Select(t => t.Id), Is.EqualTo(new[] { task }));
            Assert.That(agent1.Tasks, Is.Empty);
            Assert.That(unclaimed, Is.Empty, "given back to its queues: no holder");
            Assert.That(completed, Is.Empty, "completed: no holder");
        }
    }

    [Test]
    public async Task A_list_of_an_agent_s_tasks_reads_its_holder_rows_by_their_key_not_every_open_task()
    {
        await using var connection = new NpgsqlConnection(Store.ConnectionString);
        await connection.OpenAsync();
        // 5,000 open tasks, 4,000 held by 20 agents.
        await connection.ExecuteAsync("""
            TRUNCATE wf_user_tasks, wf_task_queues, wf_task_holders;
            INSERT INTO wf_user_tasks (id, instance_id, element_key, element_id, process_id, candidate_groups, candidate_users, priority, created_at, status, branch, sla_sort, inv_priority, assignee)
            SELECT md5('t' || g)::uuid, md5('i' || g)::uuid, 1, 'register', 'complaint', '["front-desk"]', '[]', 50, 1000000 + g, 0, 'bench-01', 5000000 - g, 50,
                   CASE WHEN g % 5 = 0 THEN NULL ELSE 'agent-' || (g % 20) END
            FROM generate_series(1, 5000) g;
            INSERT INTO wf_task_holders (assignee, task_id) SELECT assignee, id FROM wf_user_tasks WHERE assignee IS NOT NULL ON CONFLICT DO NOTHING;
            """);
        await connection.ExecuteAsync("VACUUM ANALYZE wf_user_tasks");
        await connection.ExecuteAsync("VACUUM ANALYZE wf_task_holders");
        var lists = new List<(string Sql, DynamicParameters Parameters)>();
        _store.InspectTaskList = (_, sql, parameters) =>
        {
            lists.Add((sql, parameters));
            return Task.CompletedTask;
        };
        List<UserTaskRecord> mine;
        try
        {
            mine = (await _store.QueryTasksAsync(new TaskQuery { Assignee = "agent-3", Sort = TaskSort.SlaTimeLeft }, null, 50, default)).ToList();
        }
        finally
        {
            _store.InspectTaskList = null;
        }

        var expected = (await connection.QueryAsync<Guid>(
            "SELECT id FROM wf_user_tasks WHERE status = 0 AND assignee = 'agent-3' ORDER BY sla_sort, inv_priority, created_at, id LIMIT 50")).ToList();
        var (positional, names) = StatementBatch.Positional(lists.Single().Sql);
        var values = string.Join(", ", names.Select(n => n == "assignee" ? "'agent-3'" : "50"));
        var generic = await PostgresIndexWritesTests.GenericPlanAsync(connection, positional, values);
        var custom = await PostgresIndexWritesTests.GenericPlanAsync(connection, positional, values, "force_custom_plan");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(mine.Select(t => t.Id), Is.EqualTo(expected), "agent-3 holds 250: the first 50 in the list's order");
            foreach (var plan in new[] { generic, custom })
            {
                Assert.That(plan, Does.Contain("wf_task_holders_pkey"), "the agent's holder rows by their key");
                Assert.That(plan, Does.Not.Contain("Seq Scan"));
                Assert.That(plan, Does.Not.Contain("ix_wf_user_tasks_open_sla"), "not a walk of every open task");
            }
        }
    }

    [Test]
    public async Task Migration_47_gives_the_tasks_held_before_it_their_holder_rows()
    {
        var task = await OpenTaskAsync();
        await _engine.Tasks.ClaimAsync(task, "agent-before");
        var other = await OpenTaskAsync();

        // The database as version 46 left it: the assignee in its index, no holder rows nor their triggers.
        await using (var connection = new NpgsqlConnection(Store.ConnectionString))
        {
            await connection.ExecuteAsync("""
                DROP TABLE wf_task_holders;
                DROP FUNCTION wf_task_holders_follow() CASCADE;
                CREATE INDEX ix_wf_user_tasks_open_assignee ON wf_user_tasks (assignee) WHERE status = 0 AND assignee IS NOT NULL;
                ALTER TABLE wf_user_tasks RESET (fillfactor);
                DELETE FROM wf_schema_version WHERE version = 47;
                """);
        }

        var applied = await SqlWorkflowEngine.MigrateAsync(Store);
        var held = await HoldersAsync();
        var mine = await _engine.Tasks.QueryAsync(new TaskQuery { Assignee = "agent-before" });
        var handedBack = await _engine.Tasks.NextAsync("agent-before", ["held-queue"]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(applied, Is.EqualTo(1));
            Assert.That(held, Does.Contain(("agent-before", task)));
            Assert.That(held.Select(h => h.TaskId), Does.Not.Contain(other), "an open task nobody holds has no holder row");
            Assert.That(mine.Tasks.Select(t => t.Id), Is.EqualTo(new[] { task }));
            Assert.That(handedBack?.Id, Is.EqualTo(task));
        }
    }
}
