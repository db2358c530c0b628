using System.Xml.Linq;

namespace Workflows.Engine.Decisions;

// Two decision tables: the hit policy, the columns and the rules. Columns and rules are matched by what tells them apart
// in both versions — ids when each has one of its own, else labels when no two share one, else their position — so that
// two columns with one label (review18 F7) or two rules with one id (F8) are still each compared, never merged or dropped.
internal static partial class DecisionComparison
{
    private static void CompareTables(XElement before, XElement after, Said said)
    {
        string Policy(XElement t) => (Attr(t, "hitPolicy") ?? "UNIQUE") + (Attr(t, "aggregation") is { } a ? " " + a : "");
        if (Policy(before) != Policy(after))
        {
            said.Add("hit-policy", null, $"hit policy {Policy(before)} → {Policy(after)}");
        }

        var (inputsBefore, inputsAfter) = Columns(before, after, "input");
        var (outputsBefore, outputsAfter) = Columns(before, after, "output");
        CompareColumns("input", inputsBefore, inputsAfter, said);
        CompareColumns("output", outputsBefore, outputsAfter, said);

        var (rulesBefore, rulesAfter) = Rules(before, after, inputsBefore, outputsBefore, inputsAfter, outputsAfter);
        var (oldRules, newRules) = (rulesBefore.ToDictionary(r => r.Key, StringComparer.Ordinal), rulesAfter.ToDictionary(r => r.Key, StringComparer.Ordinal));
        var shared = inputsAfter.Where(c => inputsBefore.Exists(b => b.Key == c.Key)).Concat(outputsAfter.Where(c => outputsBefore.Exists(b => b.Key == c.Key))).ToList();
        foreach (var rule in rulesAfter)
        {
            if (!oldRules.TryGetValue(rule.Key, out var old))
            {
                said.Add("rule-added", rule.Id, $"rule {rule.Number} added: {Describe(rule, inputsAfter, outputsAfter)}");
                continue;
            }

            // A column added or removed is said once above, so only the columns both versions have are compared.
            var cells = shared.Where(c => old.Cells.GetValueOrDefault(c.Key) != rule.Cells.GetValueOrDefault(c.Key))
                .Select(c => $"{c.Display} was {Quote(old.Cells.GetValueOrDefault(c.Key))}, now {Quote(rule.Cells.GetValueOrDefault(c.Key))}")
                .ToList();
            if (cells.Count > 0)
            {
                said.Add("rule-changed", rule.Id, $"rule {rule.Number}: {string.Join("; ", cells)}");
            }
        }

        foreach (var rule in rulesBefore.Where(r => !newRules.ContainsKey(r.Key)))
        {
            said.Add("rule-removed", rule.Id, $"rule {rule.Number} removed: {Describe(rule, inputsBefore, outputsBefore)}");
        }

        // Where the order of the rules is the order of the answer (the first match, a list in rule order), a rule moved
        // decides differently: the rules kept out of the longest run that kept its order are said to have moved.
        if ((Attr(after, "hitPolicy") ?? "UNIQUE") is "FIRST" or "RULE ORDER" or "COLLECT" && Attr(after, "aggregation") is null)
        {
            var kept = rulesAfter.Where(r => oldRules.ContainsKey(r.Key)).ToList();
            var inOrder = LongestInOrder(kept.Select(r => oldRules[r.Key].Number).ToList());
            foreach (var (rule, i) in kept.Select((r, i) => (r, i)).Where(x => !inOrder.Contains(x.i)))
            {
                said.Add("rule-moved", rule.Id, $"rule {rule.Number} (rule {oldRules[rule.Key].Number} before) moved in the order of the rules");
            }
        }
    }

    // The indexes of a longest increasing subsequence of the numbers (patience sorting, n log n).
    private static HashSet<int> LongestInOrder(List<int> numbers)
    {
        var tails = new List<int>(); // index in numbers of the smallest tail of a run of each length
        var previous = new int[numbers.Count];
        for (var i = 0; i < numbers.Count; i++)
        {
            var (low, high) = (0, tails.Count);
            while (low < high)
            {
                var middle = (low + high) / 2;
                (low, high) = numbers[tails[middle]] < numbers[i] ? (middle + 1, high) : (low, middle);
            }

            previous[i] = low > 0 ? tails[low - 1] : -1;
            if (low == tails.Count)
            {
                tails.Add(i);
            }
            else
            {
                tails[low] = i;
            }
        }

        var run = new HashSet<int>();
        for (var i = tails.Count > 0 ? tails[^1] : -1; i >= 0; i = previous[i])
        {
            run.Add(i);
        }

        return run;
    }

    // Columns added, removed, and what changed in the others: an input's expression, type and allowed values; an output's
    // name (the key of its value), type, allowed values (a PRIORITY table's order) and default.
    private static void CompareColumns(string kind, List<Column> before, List<Column> after, Said said)
    {
        foreach (var added in after.Where(a => !before.Exists(b => b.Key == a.Key)))
        {
            said.Add(kind + "-added", null, $"{kind} “{added.Display}” added");
        }

        foreach (var removed in before.Where(b => !after.Exists(a => a.Key == b.Key)))
        {
            said.Add(kind + "-removed", null, $"{kind} “{removed.Display}” removed");
        }

        foreach (var now in after)
        {
            if (before.Find(b => b.Key == now.Key) is not { } was)
            {
                continue;
            }

            var what = new List<string>();
            void Compare(string name, string? a, string? b)
            {
                if (a != b)
                {
                    what.Add($"{name} {(name == "allowed values" ? "were" : "was")} {Quote(a)}, now {Quote(b)}");
                }
            }

            Compare("label", was.Label, now.Label);
            Compare(kind == "input" ? "expression" : "name", was.Expression, now.Expression);
            Compare("type", was.Type, now.Type);
            Compare("allowed values", was.Values, now.Values);
            Compare("default", was.Default, now.Default);
            if (what.Count > 0)
            {
                said.Add(kind + "-changed", null, $"{kind} “{now.Display}”: {string.Join("; ", what)}");
            }
        }
    }

    private static string Describe(Rule rule, List<Column> inputs, List<Column> outputs)
    {
        var when = inputs.Where(i => rule.Cells.GetValueOrDefault(i.Key) is { } v && v is not ("" or "-")).Select(i => $"{i.Display} {rule.Cells[i.Key]}").ToList();
        var then = outputs.Select(o => $"{o.Display} {Quote(rule.Cells.GetValueOrDefault(o.Key))}");
        return $"{(when.Count == 0 ? "always" : "when " + string.Join(", ", when))} → {string.Join(", ", then)}";
    }

    /// <summary>
    /// A column of a table: its key (what matches it with the other version's), how it is named to the reader (its
    /// label, else its expression or name, else its id; with its position when two share it), and what decides.
    /// </summary>
    private sealed record Column(string Key, string Display, string? Label, string? Expression, string? Type, string? Values, string? Default);

    private static (List<Column> Before, List<Column> After) Columns(XElement tableBefore, XElement tableAfter, string kind)
    {
        var (before, after) = (tableBefore.Elements().Where(e => e.Name.LocalName == kind).ToList(), tableAfter.Elements().Where(e => e.Name.LocalName == kind).ToList());
        var (namesBefore, namesAfter) = (before.Select((c, i) => ColumnName(c, kind, i)).ToList(), after.Select((c, i) => ColumnName(c, kind, i)).ToList());
        Func<XElement, string, int, string> key =
            OwnKeys(before.Select(c => Attr(c, "id")), after.Select(c => Attr(c, "id"))) ? (c, _, _) => "id:" + Attr(c, "id")
            : Unique(namesBefore) && Unique(namesAfter) ? (_, name, _) => "name:" + name
            : (_, _, i) => "at:" + i;
        return (ReadColumns(before, namesBefore), ReadColumns(after, namesAfter));

        List<Column> ReadColumns(List<XElement> columns, List<string> names) => columns.Select((c, i) =>
        {
            var display = names.Count(n => n == names[i]) > 1 ? $"{names[i]} ({kind} {i + 1})" : names[i];
            var expression = kind == "input" ? Child(c, "inputExpression") : null;
            return new Column(key(c, names[i], i), display, Attr(c, "label"),
                kind == "input" ? Text(expression) : Attr(c, "name"),
                kind == "input" ? Attr(expression, "typeRef") : Attr(c, "typeRef"),
                Text(Child(c, kind == "input" ? "inputValues" : "outputValues")),
                kind == "output" ? Text(Child(c, "defaultOutputEntry")) : null);
        }).ToList();
    }

    // A column's name as an analyst reads it: its label, else its expression (inputs) or name (outputs), else its id.
    private static string ColumnName(XElement column, string kind, int index) =>
        Attr(column, "label") is { Length: > 0 } label ? label
        : kind == "input" && Text(Child(column, "inputExpression")) is { Length: > 0 } expression ? expression
        : Attr(column, "name") ?? Attr(column, "id") ?? $"{kind} {index + 1}";

    /// <summary>A rule: its key, id, 1-based position, and its entries by the key of their column.</summary>
    private sealed record Rule(string Key, string? Id, int Number, IReadOnlyDictionary<string, string> Cells);

    private static (List<Rule> Before, List<Rule> After) Rules(XElement tableBefore, XElement tableAfter,
        List<Column> inputsBefore, List<Column> outputsBefore, List<Column> inputsAfter, List<Column> outputsAfter)
    {
        var (before, after) = (tableBefore.Elements().Where(e => e.Name.LocalName == "rule").ToList(), tableAfter.Elements().Where(e => e.Name.LocalName == "rule").ToList());
        var byId = OwnKeys(before.Select(r => Attr(r, "id")), after.Select(r => Attr(r, "id")));
        return (ReadRules(before, inputsBefore, outputsBefore), ReadRules(after, inputsAfter, outputsAfter));

        List<Rule> ReadRules(List<XElement> rules, List<Column> inputs, List<Column> outputs) => rules.Select((rule, i) =>
        {
            var cells = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (entries, columns) in new[] { ("inputEntry", inputs), ("outputEntry", outputs) })
            {
                foreach (var (entry, n) in rule.Elements().Where(e => e.Name.LocalName == entries).Select((e, n) => (e, n)).Where(x => x.n < columns.Count))
                {
                    cells[columns[n].Key] = Text(entry) ?? "";
                }
            }

            return new Rule(byId ? "id:" + Attr(rule, "id") : "at:" + i, Attr(rule, "id"), i + 1, cells);
        }).ToList();
    }

    // Ids tell the elements apart when every one has an id and no two of one version share it (else the comparison
    // would merge two of them), and the versions share at least one (else nothing would match).
    private static bool OwnKeys(IEnumerable<string?> before, IEnumerable<string?> after)
    {
        var (a, b) = (before.ToList(), after.ToList());
        return a.TrueForAll(id => !string.IsNullOrEmpty(id)) && b.TrueForAll(id => !string.IsNullOrEmpty(id))
            && Unique(a) && Unique(b) && (a.Count == 0 || b.Count == 0 || a.Intersect(b).Any());
    }

    private static bool Unique(IEnumerable<string?> values)
    {
        var seen = new HashSet<string?>();
        return values.All(seen.Add);
    }
}
