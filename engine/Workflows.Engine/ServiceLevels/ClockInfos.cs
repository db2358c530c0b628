namespace Workflows.Engine.ServiceLevels;

/// <summary>Clock rows as the public records the service-level service hands out.</summary>
internal static class ClockInfos
{
    /// <summary>A clock with its time left computed at <paramref name="now"/>.</summary>
    public static SlaClockInfo ToInfo(WorkflowEngineOptions options, SlaClockRecord c, DateTimeOffset now)
    {
        var used = c.ConsumedTicks + (c.RunningSince is { } since ? SlaClocks.Measure(options, c, since, now).Ticks : 0);
        var remaining = TimeSpan.FromTicks(c.BudgetTicks - used);
        var paused = TimeSpan.FromTicks(c.PausedTicks) + (c.PausedAt is { } pausedAt ? now - pausedAt : TimeSpan.Zero);

        // Between the breach moment and the worker firing it, a read already says what is true.
        var state = c.IsOpen && c.State is SlaState.Running or SlaState.Warning && remaining < TimeSpan.Zero ? SlaState.Breached : c.State;
        return new SlaClockInfo(c.Id, c.InstanceId, c.ElementId, c.Kind == ClockKind.Sla ? "sla" : "commitment", c.Level, c.Label, state, c.Target,
            c.Calendar, c.StartedAt, c.TargetAt, remaining, paused, c.PauseReason, c.EndedAt);
    }
}
