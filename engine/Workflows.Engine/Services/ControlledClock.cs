namespace Workflows.Engine.Services;

/// <summary>
/// A clock a test environment moves by hand (Zeebe's controlled clock is the model): the time of another
/// <see cref="TimeProvider"/> moved forward by an offset, or pinned at one instant.
/// </summary>
/// <remarks>
/// <para>
/// Give it to the engine (<see cref="WorkflowsEngineBuilder.UseTimeProvider"/>) and every due time the engine computes
/// (timers, SLA clocks and calendars, job and timer leases, message time-to-live) follows it. Moving it forward shortens
/// every timer created through it (<see cref="TimeProvider.CreateTimer"/>) by as much, so the background worker sleeping
/// until its next poll wakes at once and fires what became due. Time never moves backward through
/// <see cref="Pin"/> or <see cref="Advance"/>; <see cref="Reset"/> goes back to the underlying clock. Move it through
/// <see cref="WorkflowEngine.Clock"/> for the store to keep the move across restarts and to free leases on a reset.
/// </para>
/// <para>
/// Elapsed-time measurement (<see cref="GetTimestamp"/>) stays that of the underlying clock. The clock lives in one
/// process: nodes sharing a database do not share it, which is why a host refuses it with a shared database unless told.
/// </para>
/// </remarks>
public sealed class ControlledClock : TimeProvider
{
    private readonly TimeProvider _inner;
    private readonly Lock _gate = new();
    private readonly HashSet<MovableTimer> _timers = [];
    private TimeSpan _offset;
    private DateTimeOffset? _pinned;

    /// <summary>A clock reading <paramref name="inner"/>'s time until it is moved.</summary>
    public ControlledClock(TimeProvider? inner = null) => _inner = inner ?? System;

    /// <summary>The clock's current reading and how it was moved.</summary>
    public ControlledClockState State
    {
        get
        {
            lock (_gate)
            {
                return new ControlledClockState(Now(), _pinned is not null, _offset);
            }
        }
    }

    /// <summary>
    /// The clock this one moves: the host's time. Leases (jobs, timers, SLA clocks, batch items, named leases) run on it,
    /// so that a lease ends in real elapsed time however this clock is pinned, advanced or put back.
    /// </summary>
    public TimeProvider Underlying => _inner;

    /// <inheritdoc/>
    public override TimeZoneInfo LocalTimeZone => _inner.LocalTimeZone;

    /// <inheritdoc/>
    public override long TimestampFrequency => _inner.TimestampFrequency;

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return Now();
        }
    }

    /// <inheritdoc/>
    public override long GetTimestamp() => _inner.GetTimestamp();

    /// <summary>Stops the clock at <paramref name="at"/>, which must not be earlier than its reading now.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="at"/> is in the clock's past.</exception>
    public ControlledClockState Pin(DateTimeOffset at)
    {
        ControlledClockState state;
        MovableTimer[] timers;
        TimeSpan moved;
        lock (_gate)
        {
            var now = Now();
            if (at < now)
            {
                throw new ArgumentOutOfRangeException(nameof(at), at, $"the clock only moves forward: {at:O} is before its reading {now:O}");
            }

            _pinned = at;
            moved = at - now;
            state = new ControlledClockState(at, true, _offset);
            timers = [.. _timers];
        }

        Shorten(timers, moved);
        return state;
    }

    /// <summary>Moves the clock forward by <paramref name="by"/> (a pinned clock stays pinned, at the later instant).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="by"/> is not positive.</exception>
    public ControlledClockState Advance(TimeSpan by)
    {
        if (by <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(by), by, "the clock only moves forward: give a positive duration");
        }

        ControlledClockState state;
        MovableTimer[] timers;
        lock (_gate)
        {
            if (_pinned is { } pinned)
            {
                _pinned = pinned + by;
            }
            else
            {
                _offset += by;
            }

            state = new ControlledClockState(Now(), _pinned is not null, _offset);
            timers = [.. _timers];
        }

        Shorten(timers, by);
        return state;
    }

    /// <summary>Back to the underlying clock's time: no offset, not pinned. Due times already passed stay passed.</summary>
    public ControlledClockState Reset()
    {
        lock (_gate)
        {
            _pinned = null;
            _offset = TimeSpan.Zero;
            return new ControlledClockState(Now(), false, TimeSpan.Zero);
        }
    }

    /// <summary>
    /// Moves the clock as it was kept (a restart): ahead of the underlying clock by <paramref name="offset"/>, or pinned at
    /// <paramref name="pinnedAt"/>. Timers come due sooner by as much as this moved the clock forward.
    /// </summary>
    internal ControlledClockState Restore(TimeSpan offset, DateTimeOffset? pinnedAt)
    {
        ControlledClockState state;
        MovableTimer[] timers;
        TimeSpan moved;
        lock (_gate)
        {
            var before = Now();
            _pinned = pinnedAt;
            _offset = pinnedAt is null ? offset : TimeSpan.Zero;
            moved = Now() - before;
            state = new ControlledClockState(Now(), _pinned is not null, _offset);
            timers = [.. _timers];
        }

        if (moved > TimeSpan.Zero)
        {
            Shorten(timers, moved);
        }

        return state;
    }

    /// <inheritdoc/>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new MovableTimer(this, callback, state);
        lock (_gate)
        {
            _timers.Add(timer);
        }

        timer.Change(dueTime, period);
        return timer;
    }

    private DateTimeOffset Now() => _pinned ?? _inner.GetUtcNow() + _offset;

    // Every live timer comes due sooner by as much as the clock moved. Outside the gate, on a copy: a timer that comes
    // due at once may run its callback here, and what it wakes may read the clock or dispose timers.
    private static void Shorten(MovableTimer[] timers, TimeSpan by)
    {
        foreach (var timer in timers)
        {
            timer.Shorten(by);
        }
    }

    private void Forget(MovableTimer timer)
    {
        lock (_gate)
        {
            _timers.Remove(timer);
        }
    }

    /// <summary>A timer of the underlying clock whose remaining time a move of this clock shortens.</summary>
    private sealed class MovableTimer : ITimer
    {
        private readonly ControlledClock _clock;
        private readonly ITimer _inner;
        private readonly Lock _gate = new();
        private long? _dueTimestamp;
        private TimeSpan _period = Timeout.InfiniteTimeSpan;
        private bool _disposed;

        public MovableTimer(ControlledClock clock, TimerCallback callback, object? state)
        {
            _clock = clock;
            _inner = clock._inner.CreateTimer(s =>
            {
                lock (_gate)
                {
                    // A one-shot timer is done once it fired; a periodic one is next due a period later.
                    _dueTimestamp = _period == Timeout.InfiniteTimeSpan ? null : _clock._inner.GetTimestamp() + Ticks(_period);
                }

                callback(s);
            }, state, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (_gate)
            {
                if (_disposed)
                {
                    return false;
                }

                _period = period;
                _dueTimestamp = dueTime == Timeout.InfiniteTimeSpan ? null : _clock._inner.GetTimestamp() + Ticks(dueTime);
                return _inner.Change(dueTime, period);
            }
        }

        public void Shorten(TimeSpan by)
        {
            TimeSpan left, period;
            lock (_gate)
            {
                if (_disposed || _dueTimestamp is not { } due)
                {
                    return;
                }

                var now = _clock._inner.GetTimestamp();
                left = TimeSpan.FromSeconds(Math.Max(0, (due - now) / (double)_clock._inner.TimestampFrequency) - by.TotalSeconds);
                left = left < TimeSpan.Zero ? TimeSpan.Zero : left;
                _dueTimestamp = now + Ticks(left);
                period = _period;
            }

            // Outside the gate: a timer due at once may run its callback on this thread.
            _inner.Change(left, period);
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
                _inner.Dispose();
            }

            _clock.Forget(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _clock._inner.TimestampFrequency);
    }
}

/// <summary>A <see cref="ControlledClock"/>'s reading and how it was moved.</summary>
/// <param name="Now">The clock's time now.</param>
/// <param name="Pinned">Whether the clock stands still at <paramref name="Now"/>.</param>
/// <param name="Offset">How far ahead of the underlying clock it runs, when not pinned.</param>
public sealed record ControlledClockState(DateTimeOffset Now, bool Pinned, TimeSpan Offset);
