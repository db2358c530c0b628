using Workflows.Engine.ServiceLevels;

namespace Workflows.Engine.Storage;

// Clocks by due time, claimed with leases, for reports and recalculation; calendar layers and branches.
internal sealed partial class InMemoryWorkflowStore
{
    private readonly Dictionary<Guid, SlaClockRecord> _clocks = [];
    private readonly Dictionary<Guid, List<Guid>> _clocksByInstance = [];
    private readonly SortedSet<(DateTimeOffset Due, Guid Id)> _clocksByDue = [];
    private readonly Dictionary<(string Name, DateTimeOffset From), string> _calendarLayers = [];
    private readonly Dictionary<string, (string Json, long Revision)> _branches = new(StringComparer.Ordinal);

    public ValueTask<IReadOnlyList<SlaClockRecord>> ClaimDueClocksAsync(DateTimeOffset now, int max, string owner, DateTimeOffset leaseNow, DateTimeOffset leaseUntil, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(ClaimDue(_clocksByDue, _clocks, now, max, owner, leaseNow, leaseUntil));
        }
    }

    public ValueTask<DateTimeOffset?> GetNextClockDueAsync(DateTimeOffset now, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(NextDue(_clocksByDue, now));
        }
    }

    public ValueTask<IReadOnlyList<SlaClockRecord>> FindOpenClocksOnLayerAsync(string layer, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<SlaClockRecord> clocks = _clocks.Values
                .Where(c => c.IsOpen && c.Calendar is { } chain && Calendars.ClockCalendar.Split(chain).Contains(layer, StringComparer.Ordinal))
                .ToList();
            return new(clocks);
        }
    }

    public ValueTask<IReadOnlyList<SlaClockRecord>> FindCommitmentsAsync(string? branch, string? processId, DateTimeOffset from, DateTimeOffset to, int max, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<SlaClockRecord> clocks = _clocks.Values
                .Where(c => c.Level == 1 && c.Kind == ServiceLevels.ClockKind.Commitment && c.StartedAt >= from && c.StartedAt < to
                    && (branch is null || c.Branch == branch) && (processId is null || c.ProcessId == processId))
                .OrderBy(c => c.StartedAt)
                .ThenBy(c => c.Id)
                .Take(max)
                .ToList();
            return new(clocks);
        }
    }

    public ValueTask<IReadOnlyList<SlaClockRecord>> GetClocksOfInstancesAsync(IReadOnlyCollection<Guid> instanceIds, bool openOnly, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<SlaClockRecord> clocks = instanceIds.Distinct()
                .SelectMany(id => _clocksByInstance.TryGetValue(id, out var ids) ? ids : [])
                .Select(id => _clocks[id])
                .Where(c => !openOnly || c.IsOpen)
                .OrderBy(c => c.StartedAt)
                .ThenBy(c => c.Id)
                .ToList();
            return new(clocks);
        }
    }

    public ValueTask<IReadOnlyList<string>> GetCalendarLayersAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<string> layers = _calendarLayers.OrderBy(l => l.Key.From).Select(l => l.Value).ToList();
            return new(layers);
        }
    }

    public ValueTask<IReadOnlyList<(string Json, long Revision)>> GetBranchesAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<(string, long)> branches = _branches.Values.ToList();
            return new(branches);
        }
    }

    public ValueTask<(string Json, long Revision)?> GetBranchAsync(string id, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_branches.TryGetValue(id, out var branch) ? branch : null);
        }
    }

    // The module's guard, as CommitGuards' for the core's rows: a clock created twice (a race) makes the loser retry.
    private void CheckServiceLevels(ChangeSet changes)
    {
        foreach (var clock in changes.Part<ServiceLevels.ServiceLevelChanges>()?.ClocksCreated ?? [])
        {
            if (_clocks.ContainsKey(clock.Id))
            {
                throw CommitGuards.RowExists($"clock {clock.Id}");
            }
        }
    }

    private void ApplyServiceLevels(ChangeSet changes)
    {
        if (changes.Part<ServiceLevels.ServiceLevelChanges>() is { } serviceLevels)
        {
            foreach (var clock in serviceLevels.ClocksCreated)
            {
                SaveClock(clock);
            }

            foreach (var clock in serviceLevels.ClocksUpdated)
            {
                SaveClock(clock);
            }
        }

        foreach (var (name, from, json) in changes.Part<ServiceLevels.ServiceLevelChanges>()?.CalendarLayers ?? [])
        {
            _calendarLayers[(name, from)] = json;
        }

        foreach (var (id, json, revision, _) in changes.Branches)
        {
            _branches[id] = (json, revision);
        }
    }

    // A clock written by a command is free again: the command that fired it is done with it.
    private void SaveClock(SlaClockRecord clock)
    {
        if (_clocks.TryGetValue(clock.Id, out var previous) && previous.NextDueAt is { } was)
        {
            _clocksByDue.Remove((was, clock.Id));
        }
        else if (previous is null)
        {
            Add(_clocksByInstance, clock.InstanceId, clock.Id);
        }

        _clocks[clock.Id] = clock;
        _leases.Remove(clock.Id);
        if (clock.NextDueAt is { } due)
        {
            _clocksByDue.Add((due, clock.Id));
        }
    }
}
