using Workflows.Engine.Storage;

namespace Workflows.Engine.Services;

/// <summary>
/// A test environment's <see cref="ControlledClock"/>, moved through the engine so that the store keeps it: a restart
/// runs on the time it was moved to, and putting it back frees the leases taken in moved time.
/// </summary>
/// <remarks>
/// <para>
/// Every move (<see cref="PinAsync"/>, <see cref="AdvanceAsync"/>, <see cref="ResetAsync"/>) is written to the store
/// before it returns, and <see cref="RestoreAsync"/> (called as the host starts, before its worker) reads it back: a
/// host killed and restarted keeps its offset (or its pinned instant), so leases, timers and batch items stamped in
/// moved time are neither blocked nor fired early by a clock that went back on its own.
/// </para>
/// <para>
/// <see cref="ResetAsync"/> puts the clock back on the host's time. Each lease still live (a worker's job, a node's timer,
/// SLA clock or batch items, a named lease) keeps the time it had left: its end moves back by as much as the clock did,
/// so another worker gets the job once that time is up, not once the host's clock reaches the moved time. Due times
/// (timers, deadlines) are not moved: a timer due in moved time comes due when the host's clock reaches it. A lease taken
/// in the instant between the clock's reset and the leases' move is moved too (it then ends sooner).
/// </para>
/// </remarks>
public sealed class WorkflowClock
{
    private readonly CommandRunner _runner;

    internal WorkflowClock(CommandRunner runner) => _runner = runner;

    /// <summary>The controllable clock the engine runs on; null when it runs on another clock.</summary>
    public ControlledClock? Controlled => _runner.Time as ControlledClock;

    /// <summary>Moves the controllable clock as the store kept it (nothing when it never was moved, or the clock is not controllable).</summary>
    /// <returns>The clock's state, or null when the engine's clock is not controllable.</returns>
    public async Task<ControlledClockState?> RestoreAsync(CancellationToken cancellationToken = default)
    {
        if (Controlled is not { } clock)
        {
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
    /// Puts the clock back on the host's time, moves every live lease back by as much as the clock went back (each keeps
    /// the time it had left), and keeps it.
    /// </summary>
    /// <exception cref="InvalidOperationException">The engine's clock is not controllable.</exception>
    public async Task<ControlledClockState> ResetAsync(CancellationToken cancellationToken = default)
    {
        var clock = Clock();
        var before = clock.GetUtcNow();
        var state = clock.Reset();
        var back = before - state.Now;
        if (back > TimeSpan.Zero)
        {
            await _runner.Store.ShiftLeasesBackAsync(state.Now, back, cancellationToken).ConfigureAwait(false);
        }

        await KeepAsync(state, cancellationToken).ConfigureAwait(false);
        return state;
    }

    private ControlledClock Clock() =>
        Controlled ?? throw new InvalidOperationException("the engine's clock is not a ControlledClock: give one with UseTimeProvider to move it");

    private ValueTask KeepAsync(ControlledClockState state, CancellationToken ct) =>
        _runner.Store.SaveControlledClockAsync(new ControlledClockRecord(state.Pinned ? TimeSpan.Zero : state.Offset, state.Pinned ? state.Now : null), ct);
}
