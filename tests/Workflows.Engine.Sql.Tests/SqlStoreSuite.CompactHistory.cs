using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Workflows.Engine.Storage;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// A command's history is one row per instance (migration 25), its events a JSON array; the rows written before that
/// version stay readable, first, and the <c>wf_history</c> view still answers the old table's queries.
/// </summary>
public abstract partial class SqlStoreSuite
{
    [Test]
    public async Task A_command_writes_its_history_as_one_row_per_instance_and_reads_back_every_event()
    {
        var store = NewSqlStore();
        var engine = new WorkflowEngine(store, new WorkflowEngineOptions(), TimeProvider.System, NullLogger.Instance);
        await engine.Deployments.DeployAsync(s_journey);

        var instance = await engine.Runtime.StartAsync(new StartInstance("journey") { Variables = Vars(("caseId", "COMPACT-1")) });

        var history = await engine.Queries.GetHistoryAsync(instance);
        await using var connection = await store.OpenAsync(default);
        var rows = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM wf_history_commands WHERE instance_id = @instance", new { instance });
        var viewed = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM wf_history WHERE instance_id = @instance", new { instance });
        using (Assert.EnterMultipleScope())
        {
            Assert.That(history, Has.Count.GreaterThan(2), "a start records several events");
            Assert.That(history[0].Kind, Is.EqualTo("instance-started"));
            Assert.That(rows, Is.EqualTo(1), "the start is one command: one row");
            Assert.That(viewed, Is.EqualTo(history.Count), "the view shows each event");
        }
    }

    [Test]
    public async Task History_written_before_version_25_is_read_first_and_the_view_shows_old_and_new_events_in_order()
    {
        var store = NewSqlStore();
        await using var connection = await store.OpenAsync(default);
        await DowngradeHistoryTo24Async(connection);
        var instance = Guid.CreateVersion7();
        var t0 = new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero);
        await connection.ExecuteAsync(
            "INSERT INTO wf_history (instance_id, at, kind, element_id, element_key, actor, detail) VALUES (@instance, @at, @kind, @element, @key, @actor, @detail)",
            new[]
            {
                new { instance, at = t0.UtcTicks, kind = "instance-started", element = (string?)null, key = (long?)null, actor = (string?)"ann", detail = (string?)null },
                new { instance, at = t0.UtcTicks, kind = "element-entered", element = (string?)"register", key = (long?)2, actor = (string?)null, detail = (string?)"old" },
            });

        Assert.That(await SqlWorkflowEngine.MigrateAsync(Store), Is.EqualTo(1), "version 25 applied to a database at 24");

        var t1 = t0.AddMinutes(5);
        var changes = new ChangeSet();
        changes.History.Add(new HistoryRecord(instance, t1, "task-completed", "register", 2, "zoé", """a "quoted" détail | with \ and ✓"""));
        changes.History.Add(new HistoryRecord(instance, t1.AddTicks(7), "element-completed", "register", 2, null, null));
        await store.CommitAsync(changes, default);

        var history = await store.GetHistoryAsync(instance, default);
        var viewed = (await connection.QueryAsync<(string Kind, string? ElementId, long? ElementKey, string? Actor, string? Detail, long At)>(
            "SELECT kind, element_id, element_key, actor, detail, at FROM wf_history WHERE instance_id = @instance ORDER BY command_seq, seq", new { instance })).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(history.Select(h => h.Kind), Is.EqualTo(new[] { "instance-started", "element-entered", "task-completed", "element-completed" }));
            Assert.That(history[0], Is.EqualTo(new HistoryRecord(instance, t0, "instance-started", null, null, "ann", null)));
            Assert.That(history[2], Is.EqualTo(changes.History[0]), "every field of a new event round-trips");
            Assert.That(history[3], Is.EqualTo(changes.History[1]), "an event at another time than its command keeps its own");
            Assert.That(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM wf_history_commands WHERE instance_id = @instance", new { instance }), Is.EqualTo(1));
            Assert.That(viewed.Select(v => v.Kind), Is.EqualTo(history.Select(h => h.Kind)), "the view, ordered by command_seq and seq, in the same order");
            Assert.That(viewed[2], Is.EqualTo(("task-completed", (string?)"register", (long?)2, (string?)"zoé", (string?)changes.History[0].Detail, t1.UtcTicks)));
            Assert.That(viewed[3].At, Is.EqualTo(t1.AddTicks(7).UtcTicks));
        }

        await connection.ExecuteAsync(
            "INSERT INTO wf_instances (id, process_id, definition_id, version, status, row_version, started_at, ended_at, state) VALUES (@instance, 'old', @instance, 1, 1, 1, @at, @at, @state)",
            new { instance, at = t0.UtcTicks, state = Array.Empty<byte>() });
        Assert.That(await store.DeleteHistoryAsync(t1, 100, default), Is.EqualTo(3), "retention deletes the old rows and the new one");
        Assert.That(await store.GetHistoryAsync(instance, default), Is.Empty);
    }

    // Puts the history tables back as version 24 had them: the old table, no command rows, no view.
    private async Task DowngradeHistoryTo24Async(System.Data.Common.DbConnection connection)
    {
        await connection.ExecuteAsync("DROP VIEW wf_history");
        await connection.ExecuteAsync("DROP TABLE wf_history_commands");
        await connection.ExecuteAsync(Store.Provider == SqlProvider.SqlServer ? "EXEC sp_rename 'wf_history_rows', 'wf_history'" : "ALTER TABLE wf_history_rows RENAME TO wf_history");
        await connection.ExecuteAsync("DELETE FROM wf_schema_version WHERE version = 25");
    }
}
