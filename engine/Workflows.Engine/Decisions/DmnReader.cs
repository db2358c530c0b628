using System.Xml;
using System.Xml.Linq;
using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Validation;

namespace Workflows.Engine.Decisions;

/// <summary>
/// Reads DMN XML (the namespaces of DMN 1.1 to 1.5) into <see cref="DmnDefinitions"/>, collecting every problem as a
/// finding. An expression that does not parse is a finding and evaluates to null with its message, so that the other
/// decisions of the model still run (the TCK expects exactly that).
/// </summary>
internal sealed partial class DmnReader
{
    public static readonly string[] Namespaces =
    [
        "https://www.omg.org/spec/DMN/20230324/MODEL/",
        "https://www.omg.org/spec/DMN/20211108/MODEL/",
        "https://www.omg.org/spec/DMN/20191111/MODEL/",
        "http://www.omg.org/spec/DMN/20180521/MODEL/",
        "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    ];

    private static readonly string[] s_expressionKinds =
        ["literalExpression", "decisionTable", "context", "list", "relation", "invocation", "functionDefinition", "conditional", "for", "some", "every", "filter"];

    private readonly List<ValidationFinding> _findings = [];
    private readonly FeelLimits _limits;
    private readonly int _maxIdLength;
    private XNamespace _ns = XNamespace.None;
    private FeelNames? _names;
    private bool _namesOverBudget;

    private DmnReader(BpmnParserOptions options) => (_limits, _maxIdLength) = (options.Feel, options.MaxIdLength);

    public static (DmnDefinitions? Model, List<ValidationFinding> Findings) Read(string xml, BpmnParserOptions options)
    {
        options.Feel.Validate();
        var reader = new DmnReader(options);
        var root = SafeXml.Load(xml, options, "DMN", (code, line, column, message) => reader.Error(code, null, line, column, message));
        if (root is null)
        {
            return (null, reader._findings);
        }

        if (root.Name.LocalName != "definitions" || !Namespaces.Contains(root.Name.NamespaceName, StringComparer.Ordinal))
        {
            reader.Error("NOT_DMN", null, Line(root), 0, $"the root element is '{root.Name.LocalName}' in '{root.Name.NamespaceName}', not DMN 'definitions'");
            return (null, reader._findings);
        }

        reader._ns = root.Name.Namespace;
        return (reader.ReadDefinitions(root, xml.Length), reader._findings);
    }

    private DmnDefinitions ReadDefinitions(XElement root, long documentCharacters)
    {
        _names = KnownNames(root, documentCharacters);
        var items = new Dictionary<string, ItemDefinition>(StringComparer.Ordinal);
        foreach (var e in root.Elements(_ns + "itemDefinition"))
        {
            var item = ReadItem(e);
            items[item.Name] = item;
        }

        var model = new DmnDefinitions(Attr(root, "name") ?? "", Attr(root, "namespace") ?? "", new DmnTypes(items));
        CheckIds(root);
        foreach (var e in root.Elements())
        {
            if (e.Name.Namespace != _ns)
            {
                continue;
            }

            var id = Attr(e, "id");
            var name = Attr(e, "name");
            if (e.Name.LocalName is "inputData" or "decision" or "businessKnowledgeModel" or "decisionService")
            {
                if (string.IsNullOrEmpty(id))
                {
                    Error("DMN_ID_MISSING", name, Line(e), Column(e), $"the {e.Name.LocalName} '{name}' has no id");
                    id = name ?? $"line-{Line(e)}";
                }

                if (string.IsNullOrEmpty(name))
                {
                    Error("DMN_NAME_MISSING", id, Line(e), Column(e), $"the {e.Name.LocalName} '{id}' has no name");
                    name = id;
                }
            }

            var typeRef = e.Element(_ns + "variable") is { } variable ? Attr(variable, "typeRef") : null;
            switch (e.Name.LocalName)
            {
                case "inputData":
                    model.Add(new InputData(id!, name!, Line(e), typeRef));
                    break;
                case "decision":
                    var decision = new Decision(id!, name!, Line(e), typeRef, ReadExpression(e, id));
                    ReadRequirements(e, decision.Requires);
                    if (decision.Expression is null)
                    {
                        Warning("DMN_EXPRESSION_MISSING", id, Line(e), Column(e), $"the decision '{name}' has no decision logic; it evaluates to null");
                    }

                    model.Add(decision);
                    break;
                case "businessKnowledgeModel":
                    var logic = e.Element(_ns + "encapsulatedLogic") is { } l ? ReadFunction(l, id) : null;
                    var bkm = new KnowledgeModel(id!, name!, Line(e), typeRef, logic);
                    ReadRequirements(e, bkm.Requires);
                    model.Add(bkm);
                    break;
                case "decisionService":
                    var service = new DecisionService(id!, name!, Line(e), typeRef);
                    service.OutputDecisions.AddRange(Hrefs(e, "outputDecision"));
                    service.EncapsulatedDecisions.AddRange(Hrefs(e, "encapsulatedDecision"));
                    service.InputDecisions.AddRange(Hrefs(e, "inputDecision"));
                    service.InputData.AddRange(Hrefs(e, "inputData"));
                    model.Add(service);
                    break;
            }
        }

        Check(model, root);
        return model;
    }

    private ItemDefinition ReadItem(XElement e)
    {
        var name = Attr(e, "name") ?? "";
        var typeRef = e.Element(_ns + "typeRef")?.Value.Trim() ?? Attr(e, "typeRef");
        var constraint = e.Element(_ns + "allowedValues") ?? e.Element(_ns + "typeConstraint");
        var allowed = constraint?.Element(_ns + "text") is { } text ? UnaryTests(text.Value, text, name) : null;
        var components = e.Elements(_ns + "itemComponent").Select(ReadItem).ToList();
        return new ItemDefinition(name, typeRef, allowed, (string?)e.Attribute("isCollection") == "true", components, e.Element(_ns + "functionItem") is not null);
    }

    private void ReadRequirements(XElement e, Requirements requires)
    {
        foreach (var r in e.Elements(_ns + "informationRequirement"))
        {
            requires.Decisions.AddRange(Hrefs(r, "requiredDecision"));
            requires.Inputs.AddRange(Hrefs(r, "requiredInput"));
        }

        foreach (var r in e.Elements(_ns + "knowledgeRequirement"))
        {
            requires.Knowledge.AddRange(Hrefs(r, "requiredKnowledge"));
        }
    }

    private IEnumerable<string> Hrefs(XElement e, string kind) =>
        e.Elements(_ns + kind).Select(r => Attr(r, "href") ?? "").Select(h => h[(h.IndexOf('#', StringComparison.Ordinal) + 1)..]);

    private void Check(DmnDefinitions model, XElement root)
    {
        foreach (var decision in model.Decisions.Values)
        {
            foreach (var id in decision.Requires.Decisions.Where(id => !model.Decisions.ContainsKey(id))
                .Concat(decision.Requires.Inputs.Where(id => !model.Inputs.ContainsKey(id)))
                .Concat(decision.Requires.Knowledge.Where(id => !model.Knowledge.ContainsKey(id) && !model.Services.ContainsKey(id))))
            {
                Error("DMN_REQUIREMENT_UNKNOWN", decision.Id, decision.Line, 0, $"the decision '{decision.Name}' requires '{id}', which the model does not define");
            }

            if (decision.TypeRef is { } t && !model.Types.IsKnown(t))
            {
                Error("DMN_TYPE_UNKNOWN", decision.Id, decision.Line, 0, $"the decision '{decision.Name}' has the type '{t}', which is neither a FEEL type nor an item definition");
            }
        }

        CheckModel(model);
        _ = root;
    }

    // Every name the model declares, for FEEL to read those of several words or with operator characters as one.
    // Finding the names of several words in the expressions is linear in their text (a prefix tree); a hostile text can
    // still make each walk long, so the walks of the whole document share a budget: MaxSteps, plus a few steps per
    // character of the document, far above what any model takes (about one step per character of FEEL).
    private FeelNames KnownNames(XElement root, long documentCharacters) => new(root.Descendants()
        .Where(e => e.Name.Namespace == _ns)
        .SelectMany(e => new[] { (string?)e.Attribute("name"), (string?)e.Attribute("iteratorVariable") })
        .OfType<string>(), _limits.MaxSteps + (64 * documentCharacters));

    private FeelExpression? Expression(string text, XElement at, string? elementId)
    {
        try
        {
            return _namesOverBudget ? null : FeelExpression.Parse(text, _limits, _names);
        }
        catch (FeelSyntaxException e)
        {
            Error("DMN_FEEL_SYNTAX", elementId, Line(at), Column(at), $"{Place(at)}'{Abbreviate(text)}' does not parse: {e.Message}");
            return null;
        }
        catch (FeelLimitExceededException e)
        {
            OverBudget(e, at, elementId);
            return null;
        }
    }

    private FeelExpression? UnaryTests(string text, XElement at, string? elementId)
    {
        try
        {
            return _namesOverBudget ? null : FeelExpression.ParseUnaryTests(text, _limits, _names);
        }
        catch (FeelSyntaxException e)
        {
            Error("DMN_FEEL_SYNTAX", elementId, Line(at), Column(at), $"{Place(at)}the unary tests '{Abbreviate(text)}' do not parse: {e.Message}");
            return null;
        }
        catch (FeelLimitExceededException e)
        {
            OverBudget(e, at, elementId);
            return null;
        }
    }

    // One finding, where the budget ran out; the expressions after it are not read (the document cannot deploy anyway).
    private void OverBudget(FeelLimitExceededException e, XElement at, string? elementId)
    {
        _namesOverBudget = true;
        Error("DMN_READ_BUDGET", elementId, Line(at), Column(at), $"the document is too costly to read: {e.Message}");
    }

    // Where in a decision table an expression sits, in the table's words ("rule 2, input 1 (Amount): "), so a finding
    // names its cell to whoever reads it (the decide verb, the API, the decisions page); empty elsewhere.
    private string Place(XElement at)
    {
        var (column, prefix) = at.Name.LocalName switch
        {
            "inputEntry" or "outputEntry" when at.Parent is { } rule && rule.Name == _ns + "rule" =>
                (at.Name.LocalName[..^"Entry".Length], $"rule {rule.ElementsBeforeSelf(_ns + "rule").Count() + 1}, "),
            "input" or "output" => (at.Name.LocalName, ""),
            "inputValues" or "outputValues" => (at.Name.LocalName[..^"Values".Length], ""),
            _ => ((string?)null, ""),
        };
        if (column is null || at.Ancestors(_ns + "decisionTable").FirstOrDefault() is not { } table)
        {
            return "";
        }

        var own = at.Name.LocalName.EndsWith("Entry", StringComparison.Ordinal) ? at.ElementsBeforeSelf(at.Name).Count()
            : at.Name.LocalName.EndsWith("Values", StringComparison.Ordinal) ? at.Parent!.ElementsBeforeSelf(at.Parent.Name).Count()
            : at.ElementsBeforeSelf(at.Name).Count();
        var head = table.Elements(_ns + column).ElementAtOrDefault(own);
        var label = head is null ? null : Attr(head, "label") ?? Attr(head, "name") ?? head.Element(_ns + "inputExpression")?.Element(_ns + "text")?.Value;
        var what = at.Name.LocalName.EndsWith("Values", StringComparison.Ordinal) ? " values" : at.Name.LocalName == "output" ? " default" : "";
        return $"{prefix}{column} {own + 1}{(string.IsNullOrWhiteSpace(label) ? "" : $" ({Abbreviate(label)})")}{what}: ";
    }

    private static string Abbreviate(string text) => text.Length > 80 ? text[..77] + "..." : text;

    private static string? Attr(XElement e, string name) => (string?)e.Attribute(name);

    private static int Line(XElement e) => ((IXmlLineInfo)e).LineNumber;

    private static int Column(XElement e) => ((IXmlLineInfo)e).LinePosition;

    private void Error(string code, string? elementId, int line, int column, string message) =>
        _findings.Add(new ValidationFinding(FindingSeverity.Error, code, elementId, line, column, message));

    private void Warning(string code, string? elementId, int line, int column, string message) =>
        _findings.Add(new ValidationFinding(FindingSeverity.Warning, code, elementId, line, column, message));
}
