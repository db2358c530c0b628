using System.ComponentModel;
using Workflows.Engine.Services;

// The namespace is the public type's, not the folder's: hosts' code compiles unchanged (docs/architecture.md §4).
namespace Workflows.Engine;

// The service-level module's settings (calendars, pause reasons), its part of the options users set.
public sealed partial class WorkflowEngineOptions
{
    /// <summary>
    /// The calendar the commitment check adds budgets up on at deploy, and that clocks naming no calendar
    /// run on. Default: an office week, Monday to Friday 09:00–17:00, UTC, no holidays.
    /// </summary>
    public Calendars.BusinessCalendar DefaultCalendar { get; set; } = new(
        "office week", TimeZoneInfo.Utc,
        new[] { DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday }
            .ToDictionary(day => day, IReadOnlyList<Calendars.WorkingInterval> (_) => [new Calendars.WorkingInterval(new TimeOnly(9, 0), new TimeOnly(17, 0))]));

    /// <summary>
    /// The calendar layers clocks name (<c>calendar="group/fr/paris-01"</c>), with their dated versions.
    /// Versions saved with <see cref="WorkflowServiceLevels.ChangeCalendarAsync"/> are kept in the store and loaded by every node.
    /// </summary>
    public Calendars.CalendarRegistry Calendars { get; } = new();

    /// <summary>The reasons a clock may be paused for; a pause with another reason is refused.</summary>
    public HashSet<string> PauseReasons { get; } = new(StringComparer.Ordinal) { "waiting-for-customer", "waiting-for-third-party", "customer-requested-delay" };

    /// <summary>Replaced by <see cref="WorkflowWorkerOptions.ClockBatchSize"/>.</summary>
    [Obsolete("Use Worker.ClockBatchSize.")]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public int ClockBatchSize { get => Worker.ClockBatchSize; set => Worker.ClockBatchSize = value; }
}
