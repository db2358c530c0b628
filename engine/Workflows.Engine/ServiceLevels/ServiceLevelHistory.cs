using Workflows.Engine.Runtime;

namespace Workflows.Engine.ServiceLevels;

/// <summary>
/// The kinds of history rows the service-level module writes, beside the core's (<see cref="Runtime.HistoryKind"/>).
/// The strings are part of the stored format and the public history: never rename one.
/// </summary>
internal static class ServiceLevelHistory
{
    public static readonly HistoryKind ClockStarted = new("clock-started");
    public static readonly HistoryKind ClockMet = new("clock-met");
    public static readonly HistoryKind ClockMissed = new("clock-missed");
    public static readonly HistoryKind ClockCancelled = new("clock-cancelled");
    public static readonly HistoryKind ClockPaused = new("clock-paused");
    public static readonly HistoryKind ClockResumed = new("clock-resumed");
    public static readonly HistoryKind ClockRecalculated = new("clock-recalculated");
    public static readonly HistoryKind ClockWarning = new("clock-warning");
    public static readonly HistoryKind ClockBreached = new("clock-breached");
    public static readonly HistoryKind ClockEscalated = new("clock-escalated");
    public static readonly HistoryKind SatisfactionRecorded = new("satisfaction-recorded");
    public static readonly HistoryKind RecoveryTaskCreated = new("recovery-task-created");
}
