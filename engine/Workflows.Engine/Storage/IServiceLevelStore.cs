using Workflows.Engine.ServiceLevels;

namespace Workflows.Engine.Storage;

/// <summary>
/// The service-level module's reads: due clocks claimed with leases, clocks for reports and recalculation,
/// calendar layers and branches. Their writes go through the change set, with the command that made them.
/// </summary>
internal interface IServiceLevelStore
{
    /// <summary>
    /// Leases up to <paramref name="max"/> due clocks to <paramref name="owner"/> until <paramref name="leaseUntil"/>,
    /// earliest next-due first, as <see cref="IScheduleStore.ClaimDueTimersAsync"/> does timers.
    /// </summary>
    ValueTask<IReadOnlyList<SlaClockRecord>> ClaimDueClocksAsync(DateTimeOffset now, int max, string owner, DateTimeOffset leaseNow, DateTimeOffset leaseUntil, CancellationToken ct);

    /// <summary>The earliest next-due moment among clocks no node holds a live lease on.</summary>
    ValueTask<DateTimeOffset?> GetNextClockDueAsync(DateTimeOffset now, CancellationToken ct);

    /// <summary>Open clocks whose calendar chain names <paramref name="layer"/>.</summary>
    ValueTask<IReadOnlyList<SlaClockRecord>> FindOpenClocksOnLayerAsync(string layer, CancellationToken ct);

    /// <summary>Level-1 commitment clocks started in [<paramref name="from"/>, <paramref name="to"/>), optionally of one branch and process, oldest first.</summary>
    ValueTask<IReadOnlyList<SlaClockRecord>> FindCommitmentsAsync(string? branch, string? processId, DateTimeOffset from, DateTimeOffset to, int max, CancellationToken ct);

    /// <summary>The clocks of the given instances, oldest first; only those still running or paused when <paramref name="openOnly"/>.</summary>
    ValueTask<IReadOnlyList<SlaClockRecord>> GetClocksOfInstancesAsync(IReadOnlyCollection<Guid> instanceIds, bool openOnly, CancellationToken ct);

    /// <summary>Saved calendar layer versions, as JSON, by effective time.</summary>
    ValueTask<IReadOnlyList<string>> GetCalendarLayersAsync(CancellationToken ct);

    /// <summary>Every saved branch, as JSON, with its revision.</summary>
    ValueTask<IReadOnlyList<(string Json, long Revision)>> GetBranchesAsync(CancellationToken ct);

    /// <summary>One saved branch, as JSON, with its revision.</summary>
    ValueTask<(string Json, long Revision)?> GetBranchAsync(string id, CancellationToken ct);
}
