using System.Xml;
using System.Xml.Linq;

namespace Workflows.Engine.Decisions;

/// <summary>
/// What changed between two versions of a decision, in a branch administrator's words: the hit policy, the table's
/// inputs and outputs, each rule added, removed or changed cell by cell (by the rule's id, else its position), and a
/// literal expression's text. Read from the two DMN documents with the same safe-XML rules as a deployment.
/// </summary>
internal static class DecisionComparison
{
    private const int MaxChanges = 500;

    public static IReadOnlyList<DecisionChange> Compare(string decisionId, string fromXml, string toXml)
    {
        var before = Find(Read(fromXml), decisionId);
        var after = Find(Read(toXml), decisionId);
        var changes = new List<DecisionChange>();
        if (before is null || after is null)
        {
            return changes;
        }

        if (Name(before) != Name(after))
        {
            changes.Add(new("decision", null, $"renamed from “{Name(before)}” to “{Name(after)}”"));
        }

        var (tableBefore, tableAfter) = (Child(before, "decisionTable"), Child(after, "decisionTable"));
        if (tableBefore is not null && tableAfter is not null)
        {
            CompareTables(tableBefore, tableAfter, changes);
        }
        else if (tableBefore is not null || tableAfter is not null)
        {
            changes.Add(new("decision", null, tableAfter is null ? "is no longer a decision table" : "is now a decision table"));
        }

        var (literalBefore, literalAfter) = (Text(Child(before, "literalExpression")), Text(Child(after, "literalExpression")));
        if (literalBefore != literalAfter && (literalBefore is not null || literalAfter is not null))
        {
            changes.Add(new("expression", null, $"the expression was {Quote(literalBefore)}, now {Quote(literalAfter)}"));
        }

        return changes.Count > MaxChanges ? [.. changes.Take(MaxChanges), new("more", null, $"and {changes.Count - MaxChanges} more changes")] : changes;
    }

    private static void CompareTables(XElement before, XElement after, List<DecisionChange> changes)
    {
        string Policy(XElement t) => ((string?)t.Attribute("hitPolicy") ?? "UNIQUE") + ((string?)t.Attribute("aggregation") is { } a ? " " + a : "");
        if (Policy(before) != Policy(after))
        {
            changes.Add(new("hit-policy", null, $"hit policy {Policy(before)} → {Policy(after)}"));
        }

        var (inputsBefore, inputsAfter) = (Columns(before, "input"), Columns(after, "input"));
        var (outputsBefore, outputsAfter) = (Columns(before, "output"), Columns(after, "output"));
        CompareColumns("input", inputsBefore, inputsAfter, changes);
        CompareColumns("output", outputsBefore, outputsAfter, changes);

        var rulesBefore = Rules(before);
        var rulesAfter = Rules(after);
        foreach (var (key, rule) in rulesAfter)
        {
            if (!rulesBefore.TryGetValue(key, out var old))
            {
                changes.Add(new("rule-added", rule.Id, $"rule {rule.Number} added: {Describe(rule, inputsAfter, outputsAfter)}"));
                continue;
            }

            var cells = new List<string>();
            Cells(old.Inputs, rule.Inputs, inputsAfter, cells);
            Cells(old.Outputs, rule.Outputs, outputsAfter, cells);
            if (cells.Count > 0)
            {
                changes.Add(new("rule-changed", rule.Id, $"rule {rule.Number}: {string.Join("; ", cells)}"));
            }
        }

        foreach (var rule in rulesBefore.Where(r => !rulesAfter.ContainsKey(r.Key)).Select(r => r.Value))
        {
            changes.Add(new("rule-removed", rule.Id, $"rule {rule.Number} removed: {Describe(rule, inputsBefore, outputsBefore)}"));
        }
    }

    private static void CompareColumns(string kind, List<string> before, List<string> after, List<DecisionChange> changes)
    {
        foreach (var added in after.Where(a => !before.Contains(a)))
        {
            changes.Add(new(kind + "-added", null, $"{kind} “{added}” added"));
        }

        foreach (var removed in before.Where(b => !after.Contains(b)))
        {
            changes.Add(new(kind + "-removed", null, $"{kind} “{removed}” removed"));
        }
    }

    // A cell by its column's label; a column added or removed is said once above, so only shared columns are compared.
    private static void Cells(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after, List<string> columns, List<string> said)
    {
        foreach (var column in columns)
        {
            if (before.TryGetValue(column, out var was) && after.TryGetValue(column, out var now) && was != now)
            {
                said.Add($"{column} was {Quote(was)}, now {Quote(now)}");
            }
        }
    }

    private static string Describe(Rule rule, List<string> inputs, List<string> outputs)
    {
        var when = inputs.Where(i => rule.Inputs.GetValueOrDefault(i) is { } v && v is not ("" or "-")).Select(i => $"{i} {rule.Inputs[i]}").ToList();
        var then = outputs.Select(o => $"{o} {Quote(rule.Outputs.GetValueOrDefault(o))}");
        return $"{(when.Count == 0 ? "always" : "when " + string.Join(", ", when))} → {string.Join(", ", then)}";
    }

    private static Dictionary<string, Rule> Rules(XElement table)
    {
        var inputs = Columns(table, "input");
        var outputs = Columns(table, "output");
        var rules = new Dictionary<string, Rule>(StringComparer.Ordinal);
        foreach (var (rule, i) in table.Elements().Where(e => e.Name.LocalName == "rule").Select((r, i) => (r, i)))
        {
            var id = (string?)rule.Attribute("id");
            var inputEntries = rule.Elements().Where(e => e.Name.LocalName == "inputEntry").Select(e => Text(e) ?? "").ToList();
            var outputEntries = rule.Elements().Where(e => e.Name.LocalName == "outputEntry").Select(e => Text(e) ?? "").ToList();
            rules.TryAdd(id ?? $"#{i + 1}", new Rule(id, i + 1,
                inputs.Select((c, n) => (c, n)).Where(x => x.n < inputEntries.Count).ToDictionary(x => x.c, x => inputEntries[x.n]),
                outputs.Select((c, n) => (c, n)).Where(x => x.n < outputEntries.Count).ToDictionary(x => x.c, x => outputEntries[x.n])));
        }

        return rules;
    }

    // A column's name as an analyst reads it: its label, else its expression (inputs) or name (outputs), else its id.
    private static List<string> Columns(XElement table, string kind) => table.Elements().Where(e => e.Name.LocalName == kind)
        .Select((c, i) => (string?)c.Attribute("label") is { Length: > 0 } label ? label
            : kind == "input" && Text(Child(c, "inputExpression")) is { Length: > 0 } expression ? expression
            : (string?)c.Attribute("name") ?? (string?)c.Attribute("id") ?? $"{kind} {i + 1}")
        .ToList();

    private static XDocument Read(string xml)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersFromEntities = 1024 };
        using var reader = XmlReader.Create(new StringReader(xml), settings);
        return XDocument.Load(reader);
    }

    private static XElement? Find(XDocument document, string decisionId) =>
        document.Root?.Elements().FirstOrDefault(e => e.Name.LocalName == "decision" && (string?)e.Attribute("id") == decisionId);

    private static XElement? Child(XElement? parent, string name) => parent?.Elements().FirstOrDefault(e => e.Name.LocalName == name);

    private static string? Text(XElement? element) => Child(element, "text")?.Value.Trim();

    private static string Name(XElement decision) => (string?)decision.Attribute("name") ?? (string?)decision.Attribute("id") ?? "";

    private static string Quote(string? text) => text is null or "" ? "empty" : $"“{text}”";

    private sealed record Rule(string? Id, int Number, IReadOnlyDictionary<string, string> Inputs, IReadOnlyDictionary<string, string> Outputs);
}
