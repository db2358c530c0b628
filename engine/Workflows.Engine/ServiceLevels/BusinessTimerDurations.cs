using Workflows.Engine.Calendars;
using Workflows.Engine.Model;
using Workflows.Engine.Modules;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.ServiceLevels;

/// <summary>
/// Timer events accept the business durations SLA targets are written in (<c>2 business days</c>, <c>16 working hours</c>),
/// due at that business time on the instance's calendar: the calendar chain in its <c>calendar</c> variable (as branch
/// settings set it, and as clocks read it), else the engine's default calendar.
/// </summary>
internal sealed class BusinessTimerDurations : ITimerDurations
{
    public static BusinessTimerDurations Instance { get; } = new();

    public bool Reads(object? value) => AsBusinessDuration(value) is not null;

    public string? Refuses(object? value) => value is string text ? BusinessDuration.LengthProblem(text) : null;

    public DateTimeOffset DueAt(object? value, FlowNode timerNode, ElementScope scope, WorkflowEngineOptions options, DateTimeOffset now)
    {
        var duration = AsBusinessDuration(value) ?? throw new StepFailedException($"the timer of {timerNode} is not a business duration");
        var chain = scope.TryResolve("calendar", out var calendar) && calendar is string s ? s : null;
        try
        {
            return ClockCalendar.Resolve(chain, options.Calendars, options.DefaultCalendar).AddTo(duration, now);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new StepFailedException($"the timer of {timerNode} ({duration}) cannot be placed on its calendar: {e.Message}");
        }
        catch (ArgumentException e)
        {
            throw new StepFailedException($"the timer of {timerNode} ({duration}) has no calendar to run on: {e.Message}");
        }
    }

    /// <summary>A business duration (working time or business days) in <paramref name="value"/>; null for an ISO duration or anything else.</summary>
    private static BusinessDuration? AsBusinessDuration(object? value)
    {
        if (value is not string text)
        {
            return null;
        }

        try
        {
            // An ISO duration parses as elapsed time: it stays a plain duration, whatever the calendar.
            return BusinessDuration.Parse(text) is var parsed and not BusinessDuration.Elapsed ? parsed : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
