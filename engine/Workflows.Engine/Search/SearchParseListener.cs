using System.Text.RegularExpressions;
using System.Xml.Linq;
using Workflows.Engine.Model;
using Workflows.Engine.Modules;
using static Workflows.Engine.Model.BpmnParser;

namespace Workflows.Engine.Search;

/// <summary>
/// Reads <c>wf:searchable</c> on a process: the process variables its instances and tasks can be searched by,
/// each with a type. Each declared variable costs an index row per instance, written in the instance's commit,
/// so a process declares a few and the parser refuses more than <see cref="MaxPerProcess"/>.
/// </summary>
internal sealed partial class SearchParseListener : IBpmnParseListener
{
    /// <summary>At most this many searchable variables per process.</summary>
    public const int MaxPerProcess = 10;

    public static SearchParseListener Instance { get; } = new();

    public IReadOnlyCollection<string> ProcessExtensions { get; } = ["searchable"];

    public void OnElement(BpmnParser parser, XElement element, FlowNode node)
    {
    }

    public void OnProcess(BpmnParser parser, XElement element, ProcessModel process)
    {
        var declared = element.Element(XName.Get("extensionElements", BpmnNs))?.Elements(XName.Get("searchable", WorkflowsNs)).ToList();
        if (declared is not { Count: > 0 })
        {
            return;
        }

        var variables = new List<SearchableVariable>();
        foreach (var e in declared)
        {
            var name = Attr(e, "name");
            if (name is null || !Identifier().IsMatch(name))
            {
                parser.Error("SEARCHABLE_INVALID", process.Id, e, $"wf:searchable needs a name that is a variable name (letters, digits, _; at most 64), not '{name}'");
                continue;
            }

            SearchableType? type = Attr(e, "type") switch
            {
                null or "string" => SearchableType.String,
                "number" => SearchableType.Number,
                "date" => SearchableType.Date,
                _ => null,
            };
            if (type is null)
            {
                parser.Error("SEARCHABLE_INVALID", process.Id, e, $"wf:searchable '{name}' has type '{Attr(e, "type")}', which is none of string, number, date");
            }
            else if (variables.Exists(v => v.Name == name))
            {
                parser.Error("SEARCHABLE_DUPLICATE", process.Id, e, $"the variable '{name}' is declared searchable twice");
            }
            else if (variables.Count == MaxPerProcess)
            {
                parser.Error("SEARCHABLE_TOO_MANY", process.Id, e, $"a process declares at most {MaxPerProcess} searchable variables: each is an index row per instance, written in every commit that changes it");
            }
            else
            {
                variables.Add(new SearchableVariable(name, type.Value));
            }
        }

        if (variables.Count > 0)
        {
            process.AddPart(new ProcessSearch(variables));
        }
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
    private static partial Regex Identifier();
}
