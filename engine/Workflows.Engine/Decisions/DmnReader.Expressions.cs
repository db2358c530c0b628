using System.Xml.Linq;
using Workflows.Engine.Feel;

namespace Workflows.Engine.Decisions;

/// <summary>The boxed expressions: each element kind of DMN 1.5 chapter 7 read into its box.</summary>
internal sealed partial class DmnReader
{
    /// <summary>The boxed expression among <paramref name="parent"/>'s children; null when it has none.</summary>
    private BoxedExpression? ReadExpression(XElement parent, string? elementId)
    {
        var e = parent.Elements().FirstOrDefault(c => c.Name.Namespace == _ns && s_expressionKinds.Contains(c.Name.LocalName, StringComparer.Ordinal));
        return e is null ? null : ReadBox(e, elementId);
    }

    private BoxedExpression ReadBox(XElement e, string? elementId)
    {
        var typeRef = Attr(e, "typeRef");
        switch (e.Name.LocalName)
        {
            case "literalExpression":
                var text = e.Element(_ns + "text")?.Value ?? "";
                if (string.IsNullOrWhiteSpace(text))
                {
                    return new LiteralBox(typeRef, null, null);
                }

                var expression = Expression(text, e, elementId);
                return new LiteralBox(typeRef, expression, expression is null ? $"the expression '{Abbreviate(text)}' does not parse" : null);
            case "context":
                return new ContextBox(typeRef, e.Elements(_ns + "contextEntry").Select(entry =>
                {
                    var variable = entry.Element(_ns + "variable");
                    return (variable is null ? null : Attr(variable, "name"), variable is null ? null : Attr(variable, "typeRef"), ReadExpression(entry, elementId));
                }).ToList());
            case "list":
                return new ListBox(typeRef, e.Elements().Where(c => c.Name.Namespace == _ns && s_expressionKinds.Contains(c.Name.LocalName, StringComparer.Ordinal))
                    .Select(c => (BoxedExpression?)ReadBox(c, elementId)).ToList());
            case "relation":
                var columns = e.Elements(_ns + "column").Select(c => Attr(c, "name") ?? "").ToList();
                var rows = e.Elements(_ns + "row").Select(r => (IReadOnlyList<BoxedExpression?>)r.Elements()
                    .Where(c => c.Name.Namespace == _ns && s_expressionKinds.Contains(c.Name.LocalName, StringComparer.Ordinal))
                    .Select(c => (BoxedExpression?)ReadBox(c, elementId)).ToList()).ToList();
                return new RelationBox(typeRef, columns, rows);
            case "invocation":
                var callee = e.Elements().FirstOrDefault(c => c.Name == _ns + "literalExpression")?.Element(_ns + "text")?.Value;
                var bindings = e.Elements(_ns + "binding").Select(b =>
                    ((string)(b.Element(_ns + "parameter")?.Attribute("name") ?? new XAttribute("name", "")), ReadExpression(b, elementId))).ToList();
                return new InvocationBox(typeRef, callee is null ? null : Expression(callee, e, elementId), bindings);
            case "functionDefinition":
                return ReadFunction(e, elementId);
            case "conditional":
                return new ConditionalBox(typeRef, Part(e, "if", elementId), Part(e, "then", elementId), Part(e, "else", elementId));
            case "for" or "some" or "every":
                var kind = e.Name.LocalName switch
                {
                    "for" => IterationKind.For,
                    "some" => IterationKind.Some,
                    _ => IterationKind.Every,
                };
                return new IterationBox(typeRef, kind, Attr(e, "iteratorVariable") ?? "item", Part(e, "in", elementId),
                    Part(e, kind == IterationKind.For ? "return" : "satisfies", elementId));
            case "filter":
                return new FilterBox(typeRef, Part(e, "in", elementId), Part(e, "match", elementId));
            default:
                return ReadTable(e, elementId);
        }
    }

    private BoxedExpression? Part(XElement e, string name, string? elementId) =>
        e.Element(_ns + name) is { } part ? ReadExpression(part, elementId) : null;

    private FunctionBox ReadFunction(XElement e, string? elementId)
    {
        var parameters = e.Elements(_ns + "formalParameter").Select(p => (Attr(p, "name") ?? "", Attr(p, "typeRef"))).ToList();
        return new FunctionBox(Attr(e, "typeRef"), Attr(e, "kind") ?? "FEEL", parameters, ReadExpression(e, elementId));
    }

    private DecisionTableBox ReadTable(XElement e, string? elementId)
    {
        string? error = null;
        var policy = (Attr(e, "hitPolicy") ?? "UNIQUE") switch
        {
            "UNIQUE" => HitPolicy.Unique,
            "FIRST" => HitPolicy.First,
            "PRIORITY" => HitPolicy.Priority,
            "ANY" => HitPolicy.Any,
            "COLLECT" => HitPolicy.Collect,
            "RULE ORDER" => HitPolicy.RuleOrder,
            "OUTPUT ORDER" => HitPolicy.OutputOrder,
            var other => Unknown(other),
        };
        var aggregation = Attr(e, "aggregation") switch
        {
            null => Aggregation.None,
            "SUM" => Aggregation.Sum,
            "MIN" => Aggregation.Min,
            "MAX" => Aggregation.Max,
            "COUNT" => Aggregation.Count,
            var other => UnknownAggregation(other),
        };

        var inputs = e.Elements(_ns + "input").Select(i =>
        {
            var expression = i.Element(_ns + "inputExpression");
            var text = expression?.Element(_ns + "text")?.Value;
            var label = Attr(i, "label") ?? text ?? "";
            return new TableInput(text is null ? null : Expression(text, i, elementId), label, Tests(i.Element(_ns + "inputValues"), elementId),
                expression is null ? null : Attr(expression, "typeRef"));
        }).ToList();
        var outputs = e.Elements(_ns + "output").Select(o =>
        {
            var defaultText = o.Element(_ns + "defaultOutputEntry")?.Element(_ns + "text")?.Value;
            return new TableOutput(Attr(o, "name"), Attr(o, "typeRef"), Tests(o.Element(_ns + "outputValues"), elementId),
                string.IsNullOrWhiteSpace(defaultText) ? null : Expression(defaultText, o, elementId));
        }).ToList();
        var rules = e.Elements(_ns + "rule").Select((r, index) =>
        {
            var entries = r.Elements(_ns + "inputEntry").Select(x => UnaryTests(x.Element(_ns + "text")?.Value ?? "", x, elementId)).ToList();
            var results = r.Elements(_ns + "outputEntry").Select(x => x.Element(_ns + "text")?.Value is { } t && !string.IsNullOrWhiteSpace(t)
                ? Expression(t, x, elementId) : null).ToList();
            if (entries.Count != inputs.Count || results.Count != outputs.Count)
            {
                Error("DMN_RULE_ENTRIES", elementId, Line(r), Column(r), $"rule {index + 1} has {entries.Count} input and {results.Count} output entries for {inputs.Count} inputs and {outputs.Count} outputs");
                error ??= $"rule {index + 1} of the table has the wrong number of entries";
            }

            return new TableRule(Attr(r, "id") ?? $"rule-{index + 1}", index + 1, entries, results);
        }).ToList();

        if (outputs.Count == 0)
        {
            Error("DMN_TABLE_NO_OUTPUT", elementId, Line(e), Column(e), "the decision table has no output");
            error ??= "the decision table has no output";
        }

        return new DecisionTableBox(Attr(e, "typeRef"), policy, aggregation, inputs, outputs, rules, error);

        HitPolicy Unknown(string text)
        {
            Error("DMN_HIT_POLICY_UNKNOWN", elementId, Line(e), Column(e), $"the hit policy '{text}' is none of UNIQUE, FIRST, PRIORITY, ANY, COLLECT, RULE ORDER, OUTPUT ORDER");
            error ??= $"the hit policy '{text}' is unknown";
            return HitPolicy.Unique;
        }

        Aggregation UnknownAggregation(string text)
        {
            Error("DMN_AGGREGATION_UNKNOWN", elementId, Line(e), Column(e), $"the aggregation '{text}' is none of SUM, MIN, MAX, COUNT");
            error ??= $"the aggregation '{text}' is unknown";
            return Aggregation.None;
        }
    }

    private FeelExpression? Tests(XElement? values, string? elementId) =>
        values?.Element(_ns + "text")?.Value is { } text && !string.IsNullOrWhiteSpace(text) ? UnaryTests(text, values, elementId) : null;
}
