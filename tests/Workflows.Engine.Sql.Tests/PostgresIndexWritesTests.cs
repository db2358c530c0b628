using Dapper;
using Npgsql;
using NUnit.Framework;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// On PostgreSQL every index a command's rows are in costs the server an entry and a log record per row: a table keeps
/// only the indexes a query reads (docs/schema.md).
/// </summary>
[NonParallelizable]
public sealed class PostgresIndexWritesTests : PostgresFixture
{
    [Test]
    public async Task A_history_row_is_one_index_entry_its_key_by_instance_and_an_instance_reads_its_history_in_order()
    {
        await using var connection = new NpgsqlConnection(Store.ConnectionString);
        var indexes = (await connection.QueryAsync<(string Name, string Definition)>(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'wf_history_commands'")).ToList();
        var store = new SqlWorkflowStore(Store);
        var instance = Guid.NewGuid();
        var at = new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
        foreach (var kind in new[] { "instance-started", "task-created", "task-completed" })
        {
            var changes = new ChangeSet();
            changes.History.Add(new HistoryRecord(instance, at, kind, null, null, "ann", null));
            changes.History.Add(new HistoryRecord(Guid.NewGuid(), at, "other-instance", null, null, "ann", null));
            await store.CommitAsync(changes, default);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(indexes.Select(i => i.Name), Is.EqualTo(new[] { "wf_history_commands_pkey" }), "the key is the only index");
            Assert.That(indexes[0].Definition, Does.EndWith("(instance_id, seq)"));
            Assert.That((await store.GetHistoryAsync(instance, default)).Select(h => h.Kind), Is.EqualTo(new[] { "instance-started", "task-created", "task-completed" }));
        }
    }

    [Test]
    public async Task An_instance_or_open_task_without_a_business_key_branch_or_customer_is_no_entry_in_that_column_s_index_and_the_lists_by_it_still_walk_it()
    {
        await using var connection = new NpgsqlConnection(Store.ConnectionString);
        await connection.OpenAsync();
        await connection.ExecuteAsync("CREATE EXTENSION IF NOT EXISTS pageinspect");
        // Three instances, each with an open task, that have none of the three columns (a process run without branches or
        // business keys), and one that has them all.
        await connection.ExecuteAsync("""
            INSERT INTO wf_instances (id, process_id, definition_id, version, status, row_version, started_at, state, business_key, branch, customer_id)
            SELECT md5('i' || g)::uuid, 'complaint', md5('d')::uuid, 1, 0, 1, 1000 + g, '\x00'::bytea,
                   CASE WHEN g = 4 THEN 'CMP-4' END, CASE WHEN g = 4 THEN 'north' END, CASE WHEN g = 4 THEN 'C-4' END
            FROM generate_series(1, 4) g;
            INSERT INTO wf_user_tasks (id, instance_id, element_key, element_id, process_id, candidate_groups, candidate_users, priority, created_at, status,
                                       business_key, branch, customer_id, sla_sort, inv_priority)
            SELECT md5('t' || g)::uuid, md5('i' || g)::uuid, 1, 'review', 'complaint', '["desk"]', '[]', 50, 1000 + g, 0,
                   CASE WHEN g = 4 THEN 'CMP-4' END, CASE WHEN g = 4 THEN 'north' END, CASE WHEN g = 4 THEN 'C-4' END, 5000 - g, 50
            FROM generate_series(1, 4) g;
            """);
        string[] indexes =
        [
            "ix_wf_instances_business_key", "ix_wf_instances_branch", "ix_wf_instances_customer",
            "ix_wf_user_tasks_branch_sla", "ix_wf_user_tasks_branch_priority", "ix_wf_user_tasks_branch_age",
        ];
        var store = new SqlWorkflowStore(SqlDialect.For(SqlProvider.PostgreSql), Store.ConnectionString);
        var taskLists = new List<string>();
        store.InspectTaskList = (_, sql, _) =>
        {
            taskLists.Add(sql);
            return Task.CompletedTask;
        };

        var byBranch = await store.FindInstancesAsync(new InstanceFilter(null, null, 50) { Branch = "north" }, default);
        var byKey = await store.FindInstancesAsync(new InstanceFilter(null, "CMP-4", 50), default);
        var board = await store.QueryTasksAsync(new TaskQuery { Branch = "north", Sort = TaskSort.Priority }, null, 50, default);

        using (Assert.EnterMultipleScope())
        {
            foreach (var index in indexes)
            {
                // The index is one leaf page (block 1) at this size: its items are its entries.
                Assert.That(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM bt_page_items(@index, 1)", new { index }), Is.EqualTo(1),
                    $"{index} holds the one row that has its column, not the three that do not");
            }

            Assert.That(byBranch.Select(i => i.BusinessKey), Is.EqualTo(new[] { "CMP-4" }), "a branch's instances");
            Assert.That(byKey.Select(i => i.Branch), Is.EqualTo(new[] { "north" }), "the instances of a business key");
            Assert.That(board.Select(t => t.BusinessKey), Is.EqualTo(new[] { "CMP-4" }), "a branch's board");
            // Prepared once and run generic (made for any value), as the store's statements are: `column = $1` still
            // implies the index's `column IS NOT NULL`, so the walk of a branch's board is the index's, under its limit.
            Assert.That(await GenericPlanAsync(connection, "SELECT id FROM wf_instances WHERE branch = $1 ORDER BY started_at DESC LIMIT 50", "'north'"),
                Does.Contain("ix_wf_instances_branch"));
            Assert.That(await GenericPlanAsync(connection, "SELECT id FROM wf_instances WHERE business_key = $1", "'CMP-4'"),
                Does.Contain("ix_wf_instances_business_key"));
            Assert.That(await GenericPlanAsync(connection, "SELECT id FROM wf_instances WHERE customer_id = $1 ORDER BY started_at DESC LIMIT 50", "'C-4'"),
                Does.Contain("ix_wf_instances_customer"));
            Assert.That(taskLists, Has.Count.EqualTo(1));
            var (positional, names) = StatementBatch.Positional(taskLists[0]);
            Assert.That(await GenericPlanAsync(connection, positional, string.Join(", ", names.Select(n => n == "branch" ? "'north'" : "50"))),
                Does.Contain("ix_wf_user_tasks_branch_priority"));
        }
    }

    // The plan PostgreSQL keeps for a prepared statement once it goes generic (after five runs), as text.
    private static async Task<string> GenericPlanAsync(NpgsqlConnection connection, string sql, string values)
    {
        await connection.ExecuteAsync("SET plan_cache_mode = force_generic_plan; PREPARE wf_probe AS " + sql);
        try
        {
            var plan = string.Join(Environment.NewLine, await connection.QueryAsync<string>($"EXPLAIN EXECUTE wf_probe({values})"));
            TestContext.Out.WriteLine($"{sql}:{Environment.NewLine}{plan}");
            return plan;
        }
        finally
        {
            await connection.ExecuteAsync("DEALLOCATE wf_probe; RESET plan_cache_mode");
        }
    }
}
