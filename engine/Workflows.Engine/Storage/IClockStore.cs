namespace Workflows.Engine.Storage;

/// <summary>
/// A test environment's controllable clock, kept in the store: how it was moved (so that a restart keeps it), and the
/// leases stamped in moved time pulled back when it is put back.
/// </summary>
internal interface IClockStore
{
    /// <summary>How the controllable clock was last moved; null when it never was (or was reset before any move was kept).</summary>
    ValueTask<ControlledClockRecord?> GetControlledClockAsync(CancellationToken ct);

    /// <summary>Keeps how the controllable clock is moved now (one row, replaced).</summary>
    ValueTask SaveControlledClockAsync(ControlledClockRecord clock, CancellationToken ct);

    /// <summary>
    /// Moves every lease (jobs, timers, SLA clocks, batch items, named leases) that ends after <paramref name="after"/>
    /// earlier by <paramref name="by"/>: the clock went back by as much, and each lease keeps the time it had left.
    /// Returns the leases moved.
    /// </summary>
    ValueTask<int> ShiftLeasesBackAsync(DateTimeOffset after, TimeSpan by, CancellationToken ct);
}

/// <summary>How a controllable clock is moved: an offset ahead of the host's clock, or pinned at an instant.</summary>
internal sealed record ControlledClockRecord(TimeSpan Offset, DateTimeOffset? PinnedAt);
