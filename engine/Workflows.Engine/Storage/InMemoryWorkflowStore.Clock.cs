namespace Workflows.Engine.Storage;

// The controllable clock of a test environment: how it was moved, and leases stamped in moved time pulled back.
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

    public ValueTask<int> ShiftLeasesBackAsync(DateTimeOffset after, TimeSpan by, CancellationToken ct)
    {
        lock (_gate)
        {
            var moved = 0;
            foreach (var (id, lease) in _leases.Where(l => l.Value.Until > after).ToList())
            {
                _leases[id] = (lease.Owner, lease.Until - by);
                moved++;
            }

            foreach (var (name, lease) in _namedLeases.Where(l => l.Value.Until > after).ToList())
            {
                _namedLeases[name] = (lease.Owner, lease.Until - by);
                moved++;
            }

            foreach (var (id, entry) in _batchItems.Where(e => e.Value.Until > after).ToList())
            {
                _batchItems[id] = (entry.Item, entry.Owner, entry.Until - by);
                moved++;
            }

            return new(moved);
        }
    }
}
