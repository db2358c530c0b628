using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Modules;

/// <summary>
/// A module's timer durations beyond ISO 8601 (service levels: <c>2 business days</c>, <c>16 working hours</c> on the
/// instance's calendar). The parser accepts a static timer text a module <see cref="Reads"/>; a duration timer whose
/// value a module reads is due where that module's <see cref="DueAt"/> puts it. Registered in <see cref="EngineModules"/>.
/// </summary>
internal interface ITimerDurations
{
    /// <summary>Whether <paramref name="value"/> (a timer's static text or its expression's value) is a duration of this module's.</summary>
    bool Reads(object? value);

    /// <summary>Why <paramref name="value"/>, written in this module's form, cannot be a timer (too long); null when it can, or is not in the form.</summary>
    string? Refuses(object? value);

    /// <summary>When a duration this module <see cref="Reads"/>, started at <paramref name="now"/>, is due for the instance whose variables <paramref name="scope"/> sees.</summary>
    /// <exception cref="StepFailedException">It cannot be placed (e.g. no calendar to run on): an incident on <paramref name="timerNode"/>.</exception>
    DateTimeOffset DueAt(object? value, FlowNode timerNode, ElementScope scope, WorkflowEngineOptions options, DateTimeOffset now);
}
