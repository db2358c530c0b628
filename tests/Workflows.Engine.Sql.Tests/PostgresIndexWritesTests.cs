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
}
