using System.Xml.Linq;
using Workflows.Engine.Feel;

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
            Condition = new ConditionDefinition(expression, NamesIn(text), ReadVariableEvents(d, elementId)),
        };
    }

    // Every name the expression mentions, function names and path members included: a few more than the variables it
    // reads, which only means an unrelated change of a variable so named evaluates the condition once more.
    private static HashSet<string> NamesIn(string text)
    {
        var body = text.TrimStart();
        body = body.StartsWith('=') ? body[1..] : body;
        return FeelLexer.Tokenize(body).Where(t => t.Kind == TokenKind.Name).Select(t => t.Text).ToHashSet(StringComparer.Ordinal);
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
