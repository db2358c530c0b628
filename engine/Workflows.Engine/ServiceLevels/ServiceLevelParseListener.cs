using System.Globalization;
using System.Xml.Linq;
using Workflows.Engine.Model;
using Workflows.Engine.Modules;
using static Workflows.Engine.Model.BpmnParser;

namespace Workflows.Engine.ServiceLevels;

/// <summary>
/// Reads the engine's service-level extensions as the parser meets each element: SLAs with their escalation
/// ladders, commitments, satisfaction, clock pauses; on a process, its satisfaction policy.
/// </summary>
internal sealed class ServiceLevelParseListener : IBpmnParseListener
{
    public static ServiceLevelParseListener Instance { get; } = new();

    public IReadOnlyCollection<string> NodeExtensions { get; } = ["sla", "commitment", "satisfaction", "pauseClocks"];

    public IReadOnlyCollection<string> ProcessExtensions { get; } = ["sla", "commitment", "satisfaction", "satisfactionPolicy", "pauseClocks"];

    public void OnElement(BpmnParser parser, XElement element, FlowNode node) => ReadSlaAndCommitment(parser, element, node);

    public void OnProcess(BpmnParser parser, XElement element, ProcessModel process)
    {
        var satisfaction = ReadSatisfactionPolicy(parser, element, process.Id);
        var hasClocks = process.Root.Sla is not null || process.Root.Commitment?.Clock is not null;
        foreach (var node in process.Nodes.Values)
        {
            hasClocks |= node.Sla is not null || node.Commitment?.Clock is not null;
        }

        if (satisfaction is not null || hasClocks)
        {
            process.AddPart(new ProcessServiceLevels { Satisfaction = satisfaction, HasClocks = hasClocks });
        }
    }

    private static void ReadSlaAndCommitment(BpmnParser parser, XElement e, FlowNode node)
    {
        if (Extension(e, "sla", WorkflowsNs) is { } sla)
        {
            if (Attr(sla, "target") is not { } target)
            {
                parser.Error("SLA_TARGET_MISSING", node.Id, sla, "an sla needs a target duration");
            }
            else if (ReadClock(parser, ClockKind.Sla, target, Attr(sla, "warnings"), Attr(sla, "calendar"), sla, node) is { } clock)
            {
                node.ServiceLevelsToFill.Sla = new SlaDefinition(clock, Attr(sla, "scope") switch
                {
                    null or "inner" => SlaScope.Inner,
                    "body" => SlaScope.Body,
                    "both" => SlaScope.Both,
                    var other => parser.ErrorValue(SlaScope.Inner, "SLA_SCOPE_INVALID", node.Id, sla, $"the sla scope '{other}' is none of inner, body, both"),
                });
            }
        }

        if (Extension(e, "commitment", WorkflowsNs) is { } c)
        {
            var level = int.TryParse(Attr(c, "level"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : 0;
            var target = Attr(c, "target") ?? Attr(c, "budget");
            if (level is < 1 or > 3 || target is null)
            {
                parser.Error("COMMITMENT_INVALID", node.Id, c, "a commitment needs a level of 1, 2 or 3 and a target (or budget)");
            }
            else
            {
                // An unreadable target is the commitment check's to report, with the path it is on.
                var clock = TryParseDuration(target, out _) is not null
                    ? ReadClock(parser, ClockKind.Commitment, target, Attr(c, "warnings") ?? "75%", Attr(c, "calendar"), c, node)
                    : null;
                node.ServiceLevelsToFill.Commitment = new CommitmentDefinition(level, Attr(c, "name"), target, Attr(c, "department"), Attr(c, "calendar"), Attr(c, "timeZone")) { Clock = clock };
            }
        }

        if (Extension(e, "satisfaction", WorkflowsNs) is { } score)
        {
            if (Attr(score, "score") is { } expression)
            {
                node.ServiceLevelsToFill.SatisfactionScore = parser.Expression(expression, score, "score", alwaysFeel: true);
            }
            else
            {
                parser.Error("SATISFACTION_INVALID", node.Id, score, "wf:satisfaction needs a score expression (e.g. score=\"=survey.score\")");
            }
        }

        if (Extension(e, "pauseClocks", WorkflowsNs) is { } pause)
        {
            node.ServiceLevelsToFill.PauseReason = Attr(pause, "reason");
            if (string.IsNullOrWhiteSpace(node.PauseReason))
            {
                parser.Error("PAUSE_REASON_MISSING", node.Id, pause, "wf:pauseClocks needs a reason from the pause-reason catalogue");
            }
        }
    }

    private static SatisfactionPolicy? ReadSatisfactionPolicy(BpmnParser parser, XElement e, string processId)
    {
        if (Extension(e, "satisfactionPolicy", WorkflowsNs) is not { } x)
        {
            return null;
        }

        var threshold = decimal.TryParse(Attr(x, "threshold"), NumberStyles.Number, CultureInfo.InvariantCulture, out var t) ? t : (decimal?)null;
        var queue = Attr(x, "queue");
        var priority = int.TryParse(Attr(x, "priority") ?? "90", NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p : -1;
        if (threshold is null || string.IsNullOrWhiteSpace(queue) || priority is < 0 or > 100)
        {
            parser.Error("SATISFACTION_INVALID", processId, x, "wf:satisfactionPolicy needs a numeric threshold, a recovery queue and a priority from 0 to 100 (default 90)");
            return null;
        }

        return new SatisfactionPolicy(threshold.Value, queue, priority, Attr(x, "variable") ?? "satisfaction");
    }

    private static Calendars.BusinessDuration? TryParseDuration(string text, out string? error)
    {
        try
        {
            error = null;
            return Calendars.BusinessDuration.Parse(text);
        }
        catch (FormatException e)
        {
            error = e.Message;
            return null;
        }
    }

    private static ClockDefinition? ReadClock(BpmnParser parser, ClockKind kind, string target, string? warnings, string? calendar, XElement x, FlowNode node)
    {
        var ok = true;
        var duration = TryParseDuration(target, out var error);
        if (duration is null)
        {
            parser.Error("SLA_INVALID", node.Id, x, $"the target: {error}");
            ok = false;
        }

        decimal? Percent(string text, string what)
        {
            var trimmed = text.Trim().TrimEnd('%');
            if (decimal.TryParse(trimmed, NumberStyles.Number, CultureInfo.InvariantCulture, out var value) && value > 0)
            {
                return value;
            }

            parser.Error("SLA_INVALID", node.Id, x, $"{what} '{text}' is not a percentage of the target such as 75%");
            ok = false;
            return null;
        }

        var thresholds = new List<decimal>();
        foreach (var w in (warnings ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Percent(w, "the warning") is { } value)
            {
                thresholds.Add(value);
            }
        }

        var ladder = new List<EscalationRung>();
        foreach (var rung in x.Elements(XName.Get("escalate", WorkflowsNs)))
        {
            var at = Attr(rung, "at") ?? "breach";
            var percent = at.Equals("breach", StringComparison.OrdinalIgnoreCase) ? 100m : Percent(at, "the escalation's at");
            int? priority = null;
            if (Attr(rung, "priority") is { } p)
            {
                if (int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value is >= 0 and <= 100)
                {
                    priority = value;
                }
                else
                {
                    parser.Error("SLA_INVALID", node.Id, rung, $"the escalation's priority '{p}' is not a number from 0 to 100");
                    ok = false;
                }
            }

            TimeSpan? repeat = null;
            if (Attr(rung, "repeat") is { } r)
            {
                repeat = Workflows.Engine.Feel.FeelBuiltins.ParseDuration(r) as TimeSpan?;
                if (repeat is not { } span || span <= TimeSpan.Zero)
                {
                    parser.Error("SLA_INVALID", node.Id, rung, $"the escalation's repeat '{r}' is not a positive ISO 8601 duration such as PT2H");
                    ok = false;
                }
            }

            var publish = string.Equals(Attr(rung, "publish"), "true", StringComparison.OrdinalIgnoreCase);
            var code = Attr(rung, "escalationCode");
            var queue = Attr(rung, "queue");
            if (priority is null && queue is null && code is null && !publish)
            {
                parser.Error("SLA_INVALID", node.Id, rung, "an escalation rung needs at least one action: priority, queue, escalationCode or publish=\"true\"");
                ok = false;
            }

            if (percent is { } value2)
            {
                ladder.Add(new EscalationRung(value2, priority, queue, code, publish, repeat));
            }
        }

        if (ladder.GroupBy(r => r.AtPercent).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            parser.Error("SLA_INVALID", node.Id, x, $"two escalation rungs fire at {twice.Key}%; put their actions on one rung");
            ok = false;
        }

        var calendarExpression = calendar is null ? null : parser.Expression(calendar, x, "calendar");
        return ok ? new ClockDefinition(kind, duration!, thresholds, calendarExpression, ladder.OrderBy(r => r.AtPercent).ToList()) : null;
    }
}
