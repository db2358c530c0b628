using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace Workflows.Engine.Decisions;

/// <summary>
/// What changed between two versions of a decision, in a branch administrator's words: the hit policy, the table's
/// inputs and outputs (each column's expression, type, allowed values and default), each rule added, removed, moved or
/// changed cell by cell, a literal expression's text, any other logic, the decision's requirements, and what it depends
/// on in the document — the decisions it requires (compared the same way), the knowledge models, services, item
/// definitions and input data it uses. Two versions that can decide differently never compare as "nothing changed"
/// (review18 F6). Read from the two DMN documents with the same safe-XML rules as a deployment.
/// </summary>
internal static partial class DecisionComparison
{
    private const int MaxChanges = 500;

    private static readonly HashSet<string> s_logicKinds =
        ["literalExpression", "decisionTable", "context", "list", "relation", "invocation", "functionDefinition", "conditional", "for", "some", "every", "filter"];

    public static IReadOnlyList<DecisionChange> Compare(string decisionId, string fromXml, string toXml)
    {
        var (rootBefore, rootAfter) = (Read(fromXml).Root, Read(toXml).Root);
        var before = FindDecision(rootBefore, decisionId);
        var after = FindDecision(rootAfter, decisionId);
        var changes = new List<DecisionChange>();
        if (rootBefore is null || rootAfter is null || before is null || after is null)
        {
            return changes;
        }

        CompareDecision(before, after, rootBefore, rootAfter, new Said(changes, null));
        CompareDependencies(decisionId, rootBefore, rootAfter, changes);
        return changes.Count > MaxChanges ? [.. changes.Take(MaxChanges), new("more", null, $"and {changes.Count - MaxChanges} more changes")] : changes;
    }

    // Where a change is said: the decision compared itself, or one it requires ("required decision “Base rate”: …",
    // kind required-decision, no rule id: the branch page marks only the compared decision's own rules).
    private sealed record Said(List<DecisionChange> Changes, string? RequiredName)
    {
        public void Add(string kind, string? ruleId, string text) => Changes.Add(RequiredName is null
            ? new DecisionChange(kind, ruleId, text)
            : new DecisionChange("required-decision", null, $"required decision “{RequiredName}”: {text}"));
    }

    private static void CompareDecision(XElement before, XElement after, XElement rootBefore, XElement rootAfter, Said said)
    {
        if (Name(before) != Name(after))
        {
            said.Add("decision", null, $"renamed from “{Name(before)}” to “{Name(after)}”");
        }

        var (typeBefore, typeAfter) = (Attr(Child(before, "variable"), "typeRef"), Attr(Child(after, "variable"), "typeRef"));
        if (typeBefore != typeAfter)
        {
            said.Add("decision", null, $"its type was {Quote(typeBefore)}, now {Quote(typeAfter)}");
        }

        CompareRequirements(before, after, rootBefore, rootAfter, said);
        var (logicBefore, logicAfter) = (Logic(before), Logic(after));
        switch (logicBefore?.Name.LocalName, logicAfter?.Name.LocalName)
        {
            case ("decisionTable", "decisionTable"):
                CompareTables(logicBefore!, logicAfter!, said);
                break;
            case ("literalExpression", "literalExpression"):
                var (textBefore, textAfter) = (Text(logicBefore), Text(logicAfter));
                if (textBefore != textAfter)
                {
                    said.Add("expression", null, $"the expression was {Quote(textBefore)}, now {Quote(textAfter)}");
                }

                if (Attr(logicBefore, "typeRef") != Attr(logicAfter, "typeRef"))
                {
                    said.Add("expression", null, $"the expression's type was {Quote(Attr(logicBefore, "typeRef"))}, now {Quote(Attr(logicAfter, "typeRef"))}");
                }

                break;
            case (var kindBefore, var kindAfter) when kindBefore != kindAfter:
                said.Add("decision", null, $"its logic was {LogicName(kindBefore)}, now {LogicName(kindAfter)}");
                break;
            default:
                // Contexts, invocations, relations, function definitions and the other boxed expressions: said as a whole.
                if (logicBefore is not null && Canonical(logicBefore) != Canonical(logicAfter!))
                {
                    said.Add("expression", null, $"its logic ({LogicName(logicBefore.Name.LocalName)}) changed");
                }

                break;
        }
    }

    // The decisions, input data and knowledge a decision requires, told by the names they have in the version that has them.
    private static void CompareRequirements(XElement before, XElement after, XElement rootBefore, XElement rootAfter, Said said)
    {
        var (requiredBefore, requiredAfter) = (Requirements(before), Requirements(after));
        foreach (var (kind, id) in requiredAfter.Except(requiredBefore))
        {
            said.Add("requirement", null, $"now requires {kind} “{NameOf(rootAfter, id)}”");
        }

        foreach (var (kind, id) in requiredBefore.Except(requiredAfter))
        {
            said.Add("requirement", null, $"no longer requires {kind} “{NameOf(rootBefore, id)}”");
        }
    }

    private static HashSet<(string Kind, string Id)> Requirements(XElement element)
    {
        var found = new HashSet<(string, string)>();
        foreach (var requirement in element.Elements().Where(e => e.Name.LocalName is "informationRequirement" or "knowledgeRequirement"))
        {
            foreach (var reference in requirement.Elements())
            {
                var kind = reference.Name.LocalName switch
                {
                    "requiredDecision" => "decision",
                    "requiredInput" => "input data",
                    "requiredKnowledge" => "knowledge",
                    _ => null,
                };
                if (kind is not null && Href(reference) is { Length: > 0 } id)
                {
                    found.Add((kind, id));
                }
            }
        }

        return found;
    }

    /// <summary>
    /// What the decision depends on in either version, compared element by element: each required decision (directly or
    /// through others) as the decision itself is, and the knowledge models, decision services, item definitions and
    /// input data that the decision and its required decisions use — by a requirement, or by name in an expression or a
    /// type, as the evaluation finds them — as a whole.
    /// </summary>
    private static void CompareDependencies(string decisionId, XElement rootBefore, XElement rootAfter, List<DecisionChange> changes)
    {
        var used = Used(decisionId, rootBefore).Union(Used(decisionId, rootAfter)).Where(k => k != ("decision", decisionId)).ToList();
        foreach (var (_, id) in used.Where(u => u.Kind == "decision"))
        {
            var (before, after) = (FindDecision(rootBefore, id), FindDecision(rootAfter, id));
            if (before is not null && after is not null)
            {
                CompareDecision(before, after, rootBefore, rootAfter, new Said(changes, Name(after)));
            }
        }

        foreach (var (kind, id) in used.Where(u => u.Kind != "decision"))
        {
            var (before, after) = (Top(rootBefore, kind, id), Top(rootAfter, kind, id));
            var words = KindName(kind);
            if (before is not null && after is not null && Canonical(before) != Canonical(after))
            {
                changes.Add(new("dependency", null, $"the {words} “{Name(after)}” it uses changed"));
            }
            else if (before is null && after is not null)
            {
                changes.Add(new("dependency", null, $"the {words} “{Name(after)}” it uses was added"));
            }
            else if (before is not null && after is null)
            {
                changes.Add(new("dependency", null, $"the {words} “{Name(before)}” it used was removed"));
            }
        }
    }

    /// <summary>
    /// The top-level elements a decision uses in one version, as (kind, key): the decision itself, the decisions it
    /// requires (transitively), and what those use — input data by requirement, knowledge models and decision services
    /// by requirement or by name in their text, item definitions by name in a type reference. Keys are ids, item
    /// definitions' their names.
    /// </summary>
    private static List<(string Kind, string Id)> Used(string decisionId, XElement root)
    {
        var elements = root.Elements().Where(e => KindOf(e) is not null && Key(e) is not null).ToList();
        var used = new List<(string Kind, string Id)>();
        var seen = new HashSet<(string, string)>();
        var queue = new Queue<XElement>();
        void Use(XElement e)
        {
            if (seen.Add((KindOf(e)!, Key(e)!)))
            {
                used.Add((KindOf(e)!, Key(e)!));
                queue.Enqueue(e);
            }
        }

        if (FindDecision(root, decisionId) is { } start)
        {
            Use(start);
        }

        while (queue.TryDequeue(out var element))
        {
            // Every reference: a decision's and a knowledge model's requirements, a decision service's decisions and inputs.
            var requires = element.Descendants().Select(Href).OfType<string>().ToHashSet(StringComparer.Ordinal);
            var text = UsedText(element);
            foreach (var candidate in elements)
            {
                var candidateKind = KindOf(candidate);
                var mentioned = candidateKind switch
                {
                    "decision" or "input data" => requires.Contains(Key(candidate)!),
                    "knowledge model" or "decision service" => requires.Contains(Key(candidate)!) || (Attr(candidate, "name") is { Length: > 0 } name && Mentions(text, name)),
                    _ => Mentions(text, Key(candidate)!),
                };
                if (mentioned)
                {
                    Use(candidate);
                }
            }
        }

        return used;
    }

    // The text in which an element names what it uses: its expressions and its type references.
    private static string UsedText(XElement element)
    {
        var text = new StringBuilder();
        foreach (var e in element.DescendantsAndSelf())
        {
            if (!e.HasElements && e.Name.LocalName is "text" or "typeRef")
            {
                text.Append(e.Value).Append('\n');
            }

            foreach (var attribute in e.Attributes().Where(a => a.Name.LocalName == "typeRef"))
            {
                text.Append(attribute.Value).Append('\n');
            }
        }

        return text.ToString();
    }

    // Whether the name stands in the text as a name, not inside a longer one ("rate" is not in "base rate2").
    private static bool Mentions(string text, string name)
    {
        for (var at = text.IndexOf(name, StringComparison.Ordinal); at >= 0; at = text.IndexOf(name, at + 1, StringComparison.Ordinal))
        {
            var end = at + name.Length;
            if ((at == 0 || !IsNamePart(text[at - 1])) && (end == text.Length || !IsNamePart(text[end])))
            {
                return true;
            }
        }

        return false;

        static bool IsNamePart(char c) => char.IsLetterOrDigit(c) || c is '_' or '?';
    }

    private static string? KindOf(XElement e) => e.Name.LocalName switch
    {
        "decision" => "decision",
        "inputData" => "input data",
        "businessKnowledgeModel" => "knowledge model",
        "decisionService" => "decision service",
        "itemDefinition" => "item definition",
        _ => null,
    };

    private static string KindName(string kind) => kind == "knowledge model" ? "business knowledge model" : kind;

    private static string? Key(XElement e) => e.Name.LocalName == "itemDefinition" ? Attr(e, "name") : Attr(e, "id");

    private static XElement? Top(XElement root, string kind, string key) => root.Elements().FirstOrDefault(e => KindOf(e) == kind && Key(e) == key);

    private static XElement? FindDecision(XElement? root, string decisionId) =>
        root?.Elements().FirstOrDefault(e => e.Name.LocalName == "decision" && Attr(e, "id") == decisionId);

    private static string NameOf(XElement root, string id) =>
        root.Elements().FirstOrDefault(e => Attr(e, "id") == id) is { } element ? Name(element) : id;

    private static XElement? Logic(XElement decision) => decision.Elements().FirstOrDefault(e => s_logicKinds.Contains(e.Name.LocalName));

    private static string LogicName(string? kind) => kind switch
    {
        null => "none",
        "decisionTable" => "a decision table",
        "literalExpression" => "a literal expression",
        "context" => "a context",
        "list" => "a list",
        "relation" => "a relation",
        "invocation" => "an invocation",
        "functionDefinition" => "a function definition",
        "conditional" => "a conditional",
        "for" or "some" or "every" => $"an iterator ({kind})",
        "filter" => "a filter",
        _ => kind,
    };

    /// <summary>
    /// An element's meaning as text: names, attributes in order, trimmed text and children, without what does not
    /// change a value — ids, labels, descriptions, extension elements — and with a table's default hit policy written out.
    /// </summary>
    private static string Canonical(XElement element)
    {
        var text = new StringBuilder();
        Write(element, text);
        return text.ToString();

        static void Write(XElement e, StringBuilder text)
        {
            text.Append('<').Append(e.Name.LocalName);
            var attributes = e.Attributes().Where(a => !a.IsNamespaceDeclaration && a.Name.LocalName is not ("id" or "label"))
                .Select(a => (Name: a.Name.LocalName, a.Value)).ToList();
            if (e.Name.LocalName == "decisionTable" && !attributes.Exists(a => a.Name == "hitPolicy"))
            {
                attributes.Add(("hitPolicy", "UNIQUE"));
            }

            foreach (var (name, value) in attributes.OrderBy(a => a.Name, StringComparer.Ordinal))
            {
                text.Append(' ').Append(name).Append("=\"").Append(value).Append('"');
            }

            text.Append('>');
            if (!e.HasElements)
            {
                text.Append(e.Value.Trim());
            }

            foreach (var child in e.Elements().Where(c => c.Name.LocalName is not ("description" or "extensionElements")))
            {
                Write(child, text);
            }

            text.Append("</>");
        }
    }

    private static XDocument Read(string xml)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersFromEntities = 1024 };
        using var reader = XmlReader.Create(new StringReader(xml), settings);
        return XDocument.Load(reader);
    }

    private static XElement? Child(XElement? parent, string name) => parent?.Elements().FirstOrDefault(e => e.Name.LocalName == name);

    private static string? Text(XElement? element) => Child(element, "text")?.Value.Trim();

    private static string? Attr(XElement? element, string name) => (string?)element?.Attribute(name);

    private static string? Href(XElement reference) => Attr(reference, "href") is { } href ? href[(href.IndexOf('#', StringComparison.Ordinal) + 1)..] : null;

    private static string Name(XElement element) => Attr(element, "name") ?? Attr(element, "id") ?? "";

    private static string Quote(string? text) => text is null or "" ? "empty" : $"“{text}”";
}
