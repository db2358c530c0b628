using Workflows.Engine.Model;

namespace Workflows.Engine.ServiceLevels;

// What the module's parse listener reads from the model (docs/bpmn-extensions.md: wf:sla, wf:commitment,
// wf:satisfaction, wf:pauseClocks, wf:satisfactionPolicy), kept as parts of the parsed elements and processes.

/// <summary>
/// One rung of an escalation ladder: when the clock passes <paramref name="AtPercent"/> of its target
/// (above 100 is after the breach), its actions run, and again every <paramref name="Repeat"/> until
/// the clock ends or the next rung fires.
/// </summary>
internal sealed record EscalationRung(decimal AtPercent, int? Priority, string? Queue, string? EscalationCode, bool Publish, TimeSpan? Repeat);

/// <summary>
/// A clock the engine keeps on an element (a step's SLA, or a commitment): its target, the thresholds
/// it warns at, its calendar, and its escalation ladder. <see cref="Thresholds"/> are the warnings, the
/// rungs and the breach (100), sorted, each once.
/// </summary>
internal sealed record ClockDefinition(ClockKind Kind, Calendars.BusinessDuration Target, IReadOnlyList<decimal> Warnings, ModelExpression? Calendar, IReadOnlyList<EscalationRung> Ladder)
{
    public IReadOnlyList<decimal> Thresholds { get; } = Warnings.Concat(Ladder.Select(r => r.AtPercent)).Append(100m).Distinct().Order().ToList();

    /// <summary>The target as a clock's row keeps it: written once, not again for every clock started.</summary>
    public string TargetText { get; } = Target.ToString();
}

/// <summary>What a clock measures: a step's SLA, or a level of a commitment.</summary>
internal enum ClockKind
{
    Sla,
    Commitment,
}

/// <summary>A per-step or per-process SLA; on a multi-instance activity, <paramref name="Scope"/> says whose clocks run.</summary>
internal sealed record SlaDefinition(ClockDefinition Clock, SlaScope Scope = SlaScope.Inner);

/// <summary>Whose clock an SLA on a multi-instance activity runs (<c>wf:sla scope="inner|body|both"</c>).</summary>
internal enum SlaScope
{
    /// <summary>One clock per inner instance (each item of the collection has its own target); the default.</summary>
    Inner,

    /// <summary>One clock for the whole activity, from its first inner instance to its last.</summary>
    Body,

    /// <summary>Both: one per inner instance and one for the whole activity.</summary>
    Both,
}

/// <summary>A service commitment: level 1 is the promise to the customer, 2 and 3 are department budgets.</summary>
internal sealed record CommitmentDefinition(int Level, string? Name, string Target, string? Department, string? Calendar, string? TimeZone)
{
    /// <summary>The commitment's clock, when its target reads as a duration (the check reports it otherwise).</summary>
    public ClockDefinition? Clock { get; init; }
}

/// <summary>What a low satisfaction score sets off: a priority for the open tasks and a recovery task in a queue.</summary>
internal sealed record SatisfactionPolicy(decimal Threshold, string Queue, int Priority, string Variable);

/// <summary>The service levels an element carries: its SLA, commitment, satisfaction score and clock pause.</summary>
internal sealed class ServiceLevelSettings
{
    public SlaDefinition? Sla { get; set; }

    public CommitmentDefinition? Commitment { get; set; }

    /// <summary>A milestone's satisfaction score, recorded when the element completes.</summary>
    public ModelExpression? SatisfactionScore { get; set; }

    /// <summary>While a token waits here, the instance's other clocks are paused with this reason.</summary>
    public string? PauseReason { get; set; }
}

/// <summary>The service levels of a process as a whole: its satisfaction policy, and whether any element keeps a clock.</summary>
internal sealed class ProcessServiceLevels
{
    public SatisfactionPolicy? Satisfaction { get; set; }

    /// <summary>Whether any element keeps an SLA or commitment clock: only then does a command read an instance's clocks.</summary>
    public bool HasClocks { get; set; }
}

/// <summary>The module's settings read as members of the model, where the module's code wants them.</summary>
internal static class ServiceLevelModelExtensions
{
    extension(FlowNode node)
    {
        public SlaDefinition? Sla => node.Part<ServiceLevelSettings>()?.Sla;

        public CommitmentDefinition? Commitment => node.Part<ServiceLevelSettings>()?.Commitment;

        public ModelExpression? SatisfactionScore => node.Part<ServiceLevelSettings>()?.SatisfactionScore;

        public string? PauseReason => node.Part<ServiceLevelSettings>()?.PauseReason;

        /// <summary>The element's settings part, added when it had none, for the parse listener to fill.</summary>
        public ServiceLevelSettings ServiceLevelsToFill => node.Part<ServiceLevelSettings>() ?? node.AddPart(new ServiceLevelSettings());
    }

    extension(ProcessModel process)
    {
        public SlaDefinition? Sla => process.Root.Sla;

        public CommitmentDefinition? Commitment => process.Root.Commitment;

        public SatisfactionPolicy? Satisfaction => process.Part<ProcessServiceLevels>()?.Satisfaction;

        public bool HasClocks => process.Part<ProcessServiceLevels>()?.HasClocks ?? false;
    }
}
