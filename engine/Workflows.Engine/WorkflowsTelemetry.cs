using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Workflows.Engine;

/// <summary>The engine's one <see cref="Meter"/> and one <see cref="ActivitySource"/>.</summary>
/// <remarks>
/// Subscribe to <see cref="Name"/> with OpenTelemetry (the host does). Instruments:
/// <c>workflows.commands</c> (tags: command, outcome), <c>workflows.command.duration</c> (ms),
/// <c>workflows.instances.started</c>, <c>workflows.instances.ended</c> (tag: status),
/// <c>workflows.incidents.raised</c> and <c>workflows.clock.lateness</c> (ms from a clock's due moment
/// to the commit of its firing). Each command is an activity named after the command.
/// </remarks>
public static class WorkflowsTelemetry
{
    /// <summary>The name of the meter and of the activity source.</summary>
    public const string Name = "Workflows.Engine";

    internal static readonly ActivitySource Source = new(Name);

    internal static readonly Meter Meter = new(Name);

    internal static readonly Counter<long> Commands = Meter.CreateCounter<long>("workflows.commands", description: "Commands executed, by command and outcome");

    internal static readonly Histogram<double> CommandDuration = Meter.CreateHistogram<double>("workflows.command.duration", "ms", "Time from loading to commit, retries included");

    internal static readonly Counter<long> MessagesExpired = Meter.CreateCounter<long>("workflows.messages.expired", description: "Buffered messages whose time-to-live ran out before any instance took them");

    internal static readonly Counter<long> InstancesStarted = Meter.CreateCounter<long>("workflows.instances.started");

    internal static readonly Counter<long> InstancesEnded = Meter.CreateCounter<long>("workflows.instances.ended");

    internal static readonly Counter<long> IncidentsRaised = Meter.CreateCounter<long>("workflows.incidents.raised");

    internal static readonly Histogram<double> ClockLateness = Meter.CreateHistogram<double>("workflows.clock.lateness", "ms", "From a clock's due moment to the commit that fired it");
}
