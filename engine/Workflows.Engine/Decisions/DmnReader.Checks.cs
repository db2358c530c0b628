using System.Xml;
using System.Xml.Linq;

namespace Workflows.Engine.Decisions;

/// <summary>
/// The reader's checks of the model as a whole: cycles of required decisions and of item definitions' base types, and
/// decision tables whose hit policy cannot do what they ask.
/// </summary>
internal sealed partial class DmnReader
{
    private void CheckModel(DmnDefinitions model)
    {
        CheckCycles(model);
        CheckHitPolicies(model);
    }

    // Ids are XML IDs, unique in the whole document (DMN 1.5 §7.3.1), not only among decisions, knowledge models and
    // input data: two rules (or columns, or entries) with one id made the compare keep one of them and hide the other's
    // change (review18 F8). The first keeps the id; each later one is a finding where it stands.
    private void CheckIds(XElement root)
    {
        var seen = new Dictionary<string, XElement>(StringComparer.Ordinal);
        foreach (var e in root.DescendantsAndSelf().Where(e => e.Name.Namespace == _ns))
        {
            if (Attr(e, "id") is not { Length: > 0 } id)
            {
                continue;
            }

            if (id.Length > _maxIdLength)
            {
                // As for BPMN: an id travels into URLs, rows and their indexes (PostgreSQL refused a 5,000-character
                // decision id with a server error, SQLite kept it), so it is bounded, and not echoed whole.
                Error("DMN_ID_TOO_LONG", id[..40] + "…", Line(e), Column(e),
                    $"the id of {Describe(e)} is {id.Length:N0} characters long; the limit is {_maxIdLength:N0} (BpmnParserOptions.MaxIdLength)");
                continue;
            }

            if (e.Parent?.Parent is null && e.Name.LocalName is "decision" or "inputData" or "businessKnowledgeModel" or "decisionService" && !IsXmlId(id))
            {
                // A deployed decision is reached by its id in URLs (/api/decisions/{id}): an id with '/' or a space
                // deployed, then no call could reach it. DMN ids are XML ids (xsd:ID, an NCName).
                Error("DMN_ID_INVALID", id, Line(e), Column(e),
                    $"the id '{id}' of {Describe(e)} is not an XML id (a letter or '_' first, then letters, digits, '.', '-' or '_'; no '/', ':' or spaces)");
                continue;
            }

            if (!seen.TryAdd(id, e))
            {
                Error("DMN_ID_DUPLICATE", id, Line(e), Column(e), $"the id '{id}' is used by more than one element: {Describe(e)} repeats the id of {Describe(seen[id])}");
            }
        }
    }

    private static bool IsXmlId(string id)
    {
        try
        {
            XmlConvert.VerifyNCName(id);
            return true;
        }
        catch (XmlException)
        {
            return false;
        }
    }

    // An element as an analyst finds it: "rule 2 of 'Route' (line 7)", "input 1 of 'Route' (line 4)", "the decision 'Route' (line 3)".
    private string Describe(XElement e)
    {
        var what = e.Name.LocalName is "rule" or "input" or "output"
            ? $"{e.Name.LocalName} {e.ElementsBeforeSelf(e.Name).Count() + 1}"
            : (Attr(e, "name") is { Length: > 0 } name ? $"the {e.Name.LocalName} '{name}'" : $"the {e.Name.LocalName}");
        var owner = e.Ancestors().FirstOrDefault(a => a.Parent is { } p && p.Parent is null && a.Name.Namespace == _ns);
        var of = owner is null ? "" : $" of '{Attr(owner, "name") ?? Attr(owner, "id")}'";
        return $"{what}{of} (line {Line(e)})";
    }

    private void CheckCycles(DmnDefinitions model)
    {
        var reachesCycle = DecisionsReachingACycle(model);
        foreach (var decision in model.Decisions.Values)
        {
            if (reachesCycle.Contains(decision.Id))
            {
                Error("DMN_REQUIREMENT_CYCLE", decision.Id, decision.Line, 0, $"the decision '{decision.Name}' requires itself through its required decisions");
            }
        }

        foreach (var name in model.Types.Cycles())
        {
            Error("DMN_TYPE_CYCLE", name, 0, 0, $"the item definition '{name}' has itself as its type, through its own type reference or others'; no value conforms to it");
        }
    }

    // A table's hit policy and what it needs (DMN 1.5 §8.2.11): PRIORITY and OUTPUT ORDER rank the outputs by the order
    // of their output values, so a table with none ranks nothing and silently answers as FIRST or RULE ORDER would; an
    // aggregation is COLLECT's alone, and any other policy would ignore it.
    private void CheckHitPolicies(DmnDefinitions model)
    {
        foreach (var decision in model.Decisions.Values)
        {
            if (decision.Expression is not DecisionTableBox table)
            {
                continue;
            }

            if (table.Policy is HitPolicy.Priority or HitPolicy.OutputOrder
                && !table.Outputs.Any(o => o.AllowedValues is not null || (o.TypeRef is { } t && model.Types.HasAllowedValues(t)))
                && !(table.TypeRef is { } tableType && model.Types.HasAllowedValues(tableType)))
            {
                var policy = table.Policy == HitPolicy.Priority ? "PRIORITY" : "OUTPUT ORDER";
                Error("DMN_HIT_POLICY_NEEDS_OUTPUT_VALUES", decision.Id, decision.Line, 0,
                    $"the {policy} table of '{decision.Name}' has no output values (nor an output type with allowed values) to rank its outputs by; list them in the order of priority");
            }

            if (table.Aggregation != Aggregation.None && table.Policy != HitPolicy.Collect)
            {
                Error("DMN_AGGREGATION_WITHOUT_COLLECT", decision.Id, decision.Line, 0,
                    $"the table of '{decision.Name}' has the aggregation {table.Aggregation.ToString().ToUpperInvariant()}, which only a COLLECT table applies; its hit policy would ignore it");
            }
        }
    }

    /// <summary>
    /// The decisions from which a cycle of required decisions can be reached: one depth-first walk that visits each
    /// decision and requirement once (a walk of every path is exponential in a diamond-shaped graph), without recursion
    /// so that a long chain does not exhaust the stack.
    /// </summary>
    private static HashSet<string> DecisionsReachingACycle(DmnDefinitions model)
    {
        var reaches = new HashSet<string>(StringComparer.Ordinal);
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: being walked; true: done
        var stack = new Stack<(Decision Decision, int Next)>();
        foreach (var root in model.Decisions.Values)
        {
            if (state.ContainsKey(root.Id))
            {
                continue;
            }

            state[root.Id] = false;
            stack.Push((root, 0));
            while (stack.Count > 0)
            {
                var (decision, next) = stack.Pop();
                if (next < decision.Requires.Decisions.Count)
                {
                    stack.Push((decision, next + 1));
                    var id = decision.Requires.Decisions[next];
                    if (!model.Decisions.TryGetValue(id, out var required))
                    {
                        continue;
                    }

                    if (!state.TryGetValue(id, out var done))
                    {
                        state[id] = false;
                        stack.Push((required, 0));
                    }
                    else if (!done || reaches.Contains(id))
                    {
                        reaches.Add(decision.Id); // a decision still being walked: the walk came round to it
                    }

                    continue;
                }

                state[decision.Id] = true;
                if (reaches.Contains(decision.Id) && stack.TryPeek(out var parent))
                {
                    reaches.Add(parent.Decision.Id);
                }
            }
        }

        return reaches;
    }
}
