using System.Xml.Linq;

namespace Workflows.Engine.Model;

/// <summary>Conditional event definitions: the FEEL condition and the <c>zeebe:conditionalFilter</c> of variable events.</summary>
internal sealed partial class BpmnParser
{
    private EventDefinition ReadConditional(XElement d, string elementId)
    {
        var condition = d.Element(XName.Get("condition", BpmnNs));
        var text = condition?.Value.Trim() ?? "";
        if (condition is null || text.Length == 0)
        {
            return new EventDefinition { Type = EventType.Conditional }; // the validator reports CONDITION_MISSING
        }

        if (text.StartsWith("${", StringComparison.Ordinal) || text.StartsWith("#{", StringComparison.Ordinal))
        {
            Error("CONDITION_NOT_FEEL", elementId, condition, $"the condition '{text}' is JUEL; write it in FEEL (e.g. '=amount > 1000')");
            return new EventDefinition { Type = EventType.Conditional };
        }

        var expression = Expression(text, condition, "condition", alwaysFeel: true);
        if (expression.Feel is null)
        {
            return new EventDefinition { Type = EventType.Conditional }; // the syntax error is reported already
        }

        return new EventDefinition
        {
            Type = EventType.Conditional,
            Condition = new ConditionDefinition(expression, ReadVariableNames(d), ReadVariableEvents(d, elementId)),
        };
    }

    // zeebe:conditionalFilter variableNames: a comma-separated list; absent or empty, any variable change evaluates the
    // condition (Camunda 8.9), whatever names the expression mentions (now() or a context lookup mention none).
    private static HashSet<string>? ReadVariableNames(XElement d)
    {
        if (Extension(d, "conditionalFilter") is not { } filter || Attr(filter, "variableNames") is not { } text)
        {
            return null;
        }

        var names = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        return names.Count == 0 ? null : names;
    }

    private VariableEvents ReadVariableEvents(XElement d, string elementId)
    {
        if (Extension(d, "conditionalFilter") is not { } filter || Attr(filter, "variableEvents") is not { } text || text.Trim().Length == 0)
        {
            return VariableEvents.All;
        }

        var events = VariableEvents.None;
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            events |= part switch
            {
                "create" => VariableEvents.Create,
                "update" => VariableEvents.Update,
                _ => ErrorValue(VariableEvents.None, "CONDITION_FILTER_INVALID", elementId, filter,
                    $"the variable event '{part}' is none of create, update (variables are never deleted in this engine)"),
            };
        }

        return events == VariableEvents.None ? VariableEvents.All : events;
    }
}
