namespace Workflows.Engine.Storage;

/// <summary>
/// A test environment's controllable clock, kept in the store: how it was moved (so that a restart keeps it), and the
/// leases freed when a restart without it drops the move.
/// </summary>
internal interface IClockStore
{
    /// <summary>How the controllable clock was last moved; null when it never was (or was reset before any move was kept).</summary>
    ValueTask<ControlledClockRecord?> GetControlledClockAsync(CancellationToken ct);

    /// <summary>Keeps how the controllable clock is moved now (one row, replaced).</summary>
    ValueTask SaveControlledClockAsync(ControlledClockRecord clock, CancellationToken ct);

    /// <summary>
    /// Frees every lease (jobs, timers, SLA clocks, batch items, named leases) that ends after <paramref name="after"/>,
    /// so that its row is claimable at once. Returns the leases freed.
    /// </summary>
    ValueTask<int> ReleaseLeasesAsync(DateTimeOffset after, CancellationToken ct);
}

/// <summary>How a controllable clock is moved: an offset ahead of the host's clock, or pinned at an instant.</summary>
internal sealed record ControlledClockRecord(TimeSpan Offset, DateTimeOffset? PinnedAt);
