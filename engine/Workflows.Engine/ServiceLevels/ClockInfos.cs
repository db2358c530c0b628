namespace Workflows.Engine.ServiceLevels;

/// <summary>Clock rows as the public records the service-level service hands out.</summary>
internal static class ClockInfos
{
    /// <summary>A clock with its time left computed at <paramref name="now"/>.</summary>
    public static SlaClockInfo ToInfo(WorkflowEngineOptions options, SlaClockRecord c, DateTimeOffset now)
    {
        string? problem = null;
        var used = c.ConsumedTicks;
        try
        {
            used += c.RunningSince is { } since ? SlaClocks.Measure(options, c, since, now).Ticks : 0;
        }
        catch (ArgumentException e)
        {
            // Its calendar cannot measure the time since it last ran (a layer unknown here, or without a version then): the
            // clock is shown as far as its row goes, and why, so that one clock never takes a report or a view down.
            problem = $"its time since {c.RunningSince:O} cannot be measured: {e.Message}";
        }

        var remaining = TimeSpan.FromTicks(c.BudgetTicks - used);
        var paused = TimeSpan.FromTicks(c.PausedTicks) + (c.PausedAt is { } pausedAt ? now - pausedAt : TimeSpan.Zero);

        // Between the breach moment and the worker firing it, a read already says what is true.
        var state = c.IsOpen && c.State is SlaState.Running or SlaState.Warning && remaining < TimeSpan.Zero ? SlaState.Breached : c.State;
        return new SlaClockInfo(c.Id, c.InstanceId, c.ElementId, c.Kind == ClockKind.Sla ? "sla" : "commitment", c.Level, c.Label, state, c.Target,
            c.Calendar, c.StartedAt, c.TargetAt, remaining, paused, c.PauseReason, c.EndedAt) { Problem = problem };
    }
}
