namespace Workflows.Engine.Storage;

// Migrations: the rows a migrated instance owns, re-pointed at the target's elements, as the SQL store's updates do.
internal sealed partial class InMemoryWorkflowStore
{
    private void ApplyMigrations(ChangeSet changes)
    {
        foreach (var migration in changes.Migrations)
        {
            foreach (var row in migration.Rows)
            {
                MoveRow(row, migration.DefinitionId);
            }

            foreach (var clockId in _clocksByInstance.GetValueOrDefault(migration.InstanceId) ?? [])
            {
                var clock = _clocks[clockId];
                if (clock.IsOpen && migration.Elements.Find(e => e.Key == clock.ElementKey && e.From == clock.ElementId) is { To: { } to })
                {
                    _clocks[clockId] = clock with { ElementId = to };
                }
            }
        }
    }

    private void MoveRow(RowMove row, Guid definitionId)
    {
        switch (row.Kind)
        {
            case RowKind.Task when _tasks.TryGetValue(row.Id, out var task):
                _tasks[row.Id] = task with { ElementId = row.ElementId, Name = row.Name };
                break;
            case RowKind.Job when _jobs.TryGetValue(row.Id, out var job):
                _jobs[row.Id] = job with { ElementId = row.ElementId };
                break;
            case RowKind.Timer when _timers.TryGetValue(row.Id, out var timer):
                _timers[row.Id] = timer with { ElementId = row.ElementId, DefinitionId = definitionId };
                break;
            case RowKind.MessageSubscription when _messageSubscriptions.TryGetValue(row.Id, out var message):
                _messageSubscriptions[row.Id] = message with { ElementId = row.ElementId, DefinitionId = definitionId };
                break;
            case RowKind.SignalSubscription when _signalSubscriptions.TryGetValue(row.Id, out var signal):
                _signalSubscriptions[row.Id] = signal with { ElementId = row.ElementId, DefinitionId = definitionId };
                break;
        }
    }
}
