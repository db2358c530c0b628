using Workflows.Engine.Storage;

namespace Workflows.Engine.Services;

/// <summary>
/// A test environment's <see cref="ControlledClock"/>, moved through the engine so that the store keeps it: a restart
/// runs on the time it was moved to; a restart without a controllable clock drops the move, saying so.
/// </summary>
/// <remarks>
/// <para>
/// Every move (<see cref="PinAsync"/>, <see cref="AdvanceAsync"/>, <see cref="ResetAsync"/>) is written to the store
/// before it returns, and <see cref="RestoreAsync"/> (called as the host starts, before its worker) reads it back: a
/// host killed and restarted keeps its offset (or its pinned instant), so timers and deadlines due in moved time are
/// not fired late or early by a clock that went back on its own.
/// </para>
/// <para>
/// Leases (a worker's job, a node's timer, SLA clock or batch items, a named lease) are not in the moved time: they run
/// on the host's clock (<see cref="ControlledClock.Underlying"/>), so a lease ends after its time-out in real elapsed
/// time whether the clock is pinned, advanced or put back, and a worker that dies while the clock is pinned gives its
/// job back. Due times (timers, deadlines, a failed job's back-off) are in the moved time: a pinned clock holds them.
/// </para>
/// <para>
/// An engine whose clock is not controllable and whose store keeps a move (a host restarted without the setting) runs
/// on the host's time: <see cref="RestoreAsync"/> drops the kept move, frees every lease still live (taken before the
/// restart, some by an older version in moved time), and logs a warning naming the move dropped. A production host
/// never runs on a moved clock, whatever a test environment left in the database.
/// </para>
/// </remarks>
public sealed class WorkflowClock
{
    private readonly CommandRunner _runner;

    internal WorkflowClock(CommandRunner runner) => _runner = runner;

    /// <summary>The controllable clock the engine runs on; null when it runs on another clock.</summary>
    public ControlledClock? Controlled => _runner.Time as ControlledClock;

    /// <summary>
    /// Moves the controllable clock as the store kept it (nothing when it never was moved). When the engine's clock is not
    /// controllable, drops a kept move instead: frees the leases still live and logs a warning naming the move.
    /// </summary>
    /// <returns>The clock's state, or null when the engine's clock is not controllable.</returns>
    public async Task<ControlledClockState?> RestoreAsync(CancellationToken cancellationToken = default)
    {
        if (Controlled is not { } clock)
        {
            await DropKeptMoveAsync(cancellationToken).ConfigureAwait(false);
            return null;
        }

        return await _runner.Store.GetControlledClockAsync(cancellationToken).ConfigureAwait(false) is { } kept
            ? clock.Restore(kept.Offset, kept.PinnedAt)
            : clock.State;
    }

    /// <summary>Stops the clock at <paramref name="at"/> (never earlier than its reading), and keeps it.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="at"/> is in the clock's past.</exception>
    /// <exception cref="InvalidOperationException">The engine's clock is not controllable.</exception>
    public async Task<ControlledClockState> PinAsync(DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var state = Clock().Pin(at);
        await KeepAsync(state, cancellationToken).ConfigureAwait(false);
        return state;
    }

    /// <summary>Moves the clock forward by <paramref name="by"/>, and keeps it.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="by"/> is not positive.</exception>
    /// <exception cref="InvalidOperationException">The engine's clock is not controllable.</exception>
    public async Task<ControlledClockState> AdvanceAsync(TimeSpan by, CancellationToken cancellationToken = default)
    {
        var state = Clock().Advance(by);
        await KeepAsync(state, cancellationToken).ConfigureAwait(false);
        return state;
    }

    /// <summary>
    /// Puts the clock back on the host's time, and keeps it. Leases need no move: they run on the host's clock, each
    /// keeping the time it had left.
    /// </summary>
    /// <exception cref="InvalidOperationException">The engine's clock is not controllable.</exception>
    public async Task<ControlledClockState> ResetAsync(CancellationToken cancellationToken = default)
    {
        var state = Clock().Reset();
        await KeepAsync(state, cancellationToken).ConfigureAwait(false);
        return state;
    }

    // A move kept by a test environment, met by an engine on the host's time: said out loud and dropped, never silently
    // half-kept. The leases still live were taken before this start (a controllable clock runs one node), some by older
    // versions in moved time that would otherwise hold their work until the host's clock caught up: freed.
    private async Task DropKeptMoveAsync(CancellationToken ct)
    {
        if (await _runner.Store.GetControlledClockAsync(ct).ConfigureAwait(false) is not { } kept || (kept.Offset == TimeSpan.Zero && kept.PinnedAt is null))
        {
            return;
        }

        var now = _runner.LeaseTime.GetUtcNow();
        var freed = await _runner.Store.ReleaseLeasesAsync(now, ct).ConfigureAwait(false);
        await _runner.Store.SaveControlledClockAsync(new ControlledClockRecord(TimeSpan.Zero, null), ct).ConfigureAwait(false);
        var move = kept.PinnedAt is { } at
            ? $"pinned at {at:O}"
            : $"{System.Xml.XmlConvert.ToString(kept.Offset)} ahead of the host's time";
        _runner.Core.Log.ControlledClockDropped(move, now, freed);
    }

    private ControlledClock Clock() =>
        Controlled ?? throw new InvalidOperationException("the engine's clock is not a ControlledClock: give one with UseTimeProvider to move it");

    private ValueTask KeepAsync(ControlledClockState state, CancellationToken ct) =>
        _runner.Store.SaveControlledClockAsync(new ControlledClockRecord(state.Pinned ? TimeSpan.Zero : state.Offset, state.Pinned ? state.Now : null), ct);
}
