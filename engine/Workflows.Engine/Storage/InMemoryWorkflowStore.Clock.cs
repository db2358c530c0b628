namespace Workflows.Engine.Storage;

// The controllable clock of a test environment: how it was moved, and the leases freed when a restart without it drops the move.
internal sealed partial class InMemoryWorkflowStore
{
    private ControlledClockRecord? _controlledClock;

    public ValueTask<ControlledClockRecord?> GetControlledClockAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_controlledClock);
        }
    }

    public ValueTask SaveControlledClockAsync(ControlledClockRecord clock, CancellationToken ct)
    {
        lock (_gate)
        {
            _controlledClock = clock;
            return ValueTask.CompletedTask;
        }
    }

    public ValueTask<int> ReleaseLeasesAsync(DateTimeOffset after, CancellationToken ct)
    {
        lock (_gate)
        {
            var freed = 0;
            foreach (var id in _leases.Where(l => l.Value.Until > after).Select(l => l.Key).ToList())
            {
                _leases.Remove(id);
                freed++;
            }

            foreach (var name in _namedLeases.Where(l => l.Value.Until > after).Select(l => l.Key).ToList())
            {
                _namedLeases.Remove(name);
                freed++;
            }

            foreach (var (id, entry) in _batchItems.Where(e => e.Value.Until > after).ToList())
            {
                _batchItems[id] = (entry.Item, null, null);
                freed++;
            }

            return new(freed);
        }
    }
}
