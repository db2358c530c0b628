namespace Workflows.Engine.ServiceLevels;

/// <summary>
/// The kinds of history rows the service-level module writes, beside the core's (<see cref="Runtime.HistoryKind"/>).
/// The strings are part of the stored format and the public history: never rename one.
/// </summary>
internal static class ServiceLevelHistory
{
    public const string ClockStarted = "clock-started";
    public const string ClockMet = "clock-met";
    public const string ClockMissed = "clock-missed";
    public const string ClockCancelled = "clock-cancelled";
    public const string ClockPaused = "clock-paused";
    public const string ClockResumed = "clock-resumed";
    public const string ClockRecalculated = "clock-recalculated";
    public const string ClockWarning = "clock-warning";
    public const string ClockBreached = "clock-breached";
    public const string ClockEscalated = "clock-escalated";
    public const string SatisfactionRecorded = "satisfaction-recorded";
    public const string RecoveryTaskCreated = "recovery-task-created";
}
