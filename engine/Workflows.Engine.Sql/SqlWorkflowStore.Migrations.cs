using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql;

// Migrations: the rows a migrated instance owns, re-pointed at the target's elements, by id (the clocks by the
// instance's index); the instance row itself is written with its new definition by the instance update.
internal sealed partial class SqlWorkflowStore
{
    private static async Task WriteMigrationsAsync(SqlCommit w, ChangeSet changes)
    {
        if (changes.Migrations.Count == 0)
        {
            return;
        }

        var rows = changes.Migrations.SelectMany(m => m.Rows.Select(r => (Row: r, m.DefinitionId))).ToList();
        await w.RowsAsync("migrate-tasks", "UPDATE wf_user_tasks SET element_id = @ElementId, name = @Name WHERE id = @Id",
            rows.Where(r => r.Row.Kind == RowKind.Task).ToList(), r => new { r.Row.Id, r.Row.ElementId, r.Row.Name }).ConfigureAwait(false);
        await w.RowsAsync("migrate-clocks", "UPDATE wf_sla_clocks SET element_id = @To WHERE instance_id = @InstanceId AND element_key = @Key AND element_id = @From AND ended_at IS NULL",
            changes.Migrations.SelectMany(m => m.Elements.Select(e => (m.InstanceId, e))).ToList(), r => new { r.InstanceId, r.e.Key, r.e.From, r.e.To }).ConfigureAwait(false);
        await w.RowsAsync("migrate-jobs", "UPDATE wf_jobs SET element_id = @ElementId WHERE id = @Id",
            rows.Where(r => r.Row.Kind == RowKind.Job).ToList(), r => new { r.Row.Id, r.Row.ElementId }).ConfigureAwait(false);
        await w.RowsAsync("migrate-timers", "UPDATE wf_timers SET element_id = @ElementId, definition_id = @DefinitionId WHERE id = @Id",
            rows.Where(r => r.Row.Kind == RowKind.Timer).ToList(), r => new { r.Row.Id, r.Row.ElementId, r.DefinitionId }).ConfigureAwait(false);
        await w.RowsAsync("migrate-messages", "UPDATE wf_message_subscriptions SET element_id = @ElementId, definition_id = @DefinitionId WHERE id = @Id",
            rows.Where(r => r.Row.Kind == RowKind.MessageSubscription).ToList(), r => new { r.Row.Id, r.Row.ElementId, r.DefinitionId }).ConfigureAwait(false);
        await w.RowsAsync("migrate-signals", "UPDATE wf_signal_subscriptions SET element_id = @ElementId, definition_id = @DefinitionId WHERE id = @Id",
            rows.Where(r => r.Row.Kind == RowKind.SignalSubscription).ToList(), r => new { r.Row.Id, r.Row.ElementId, r.DefinitionId }).ConfigureAwait(false);
    }
}
