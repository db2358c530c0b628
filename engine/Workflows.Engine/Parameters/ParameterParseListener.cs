using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Workflows.Engine.Model;
using Workflows.Engine.Modules;
using static Workflows.Engine.Model.BpmnParser;

namespace Workflows.Engine.Parameters;

/// <summary>
/// Reads <c>wf:parameter</c> on a process: the local parameters a branch may set (front-desk authority, a queue name,
/// a local target), each with a type, bounds and a standard value, so that one standard XML serves every branch.
/// </summary>
internal sealed partial class ParameterParseListener : IBpmnParseListener
{
    /// <summary>At most this many parameters per process: every start for a branch reads them all.</summary>
    public const int MaxPerProcess = 20;

    public static ParameterParseListener Instance { get; } = new();

    public IReadOnlyCollection<string> ProcessExtensions { get; } = ["parameter"];

    public void OnElement(BpmnParser parser, XElement element, FlowNode node)
    {
    }

    public void OnProcess(BpmnParser parser, XElement element, ProcessModel process)
    {
        var declared = element.Element(XName.Get("extensionElements", BpmnNs))?.Elements(XName.Get("parameter", WorkflowsNs)).ToList();
        if (declared is not { Count: > 0 })
        {
            return;
        }

        var parameters = new List<ParameterDeclaration>();
        foreach (var e in declared)
        {
            if (Read(parser, process.Id, e) is not { } parameter)
            {
                continue;
            }

            if (parameters.Exists(p => p.Name == parameter.Name))
            {
                parser.Error("PARAMETER_DUPLICATE", process.Id, e, $"the parameter '{parameter.Name}' is declared twice");
            }
            else if (parameters.Count == MaxPerProcess)
            {
                parser.Error("PARAMETER_TOO_MANY", process.Id, e, $"a process declares at most {MaxPerProcess} parameters: every start for a branch reads them all");
            }
            else
            {
                parameters.Add(parameter);
            }
        }

        if (parameters.Count > 0)
        {
            process.AddPart(new ProcessParameters(parameters));
        }
    }

    private static ParameterDeclaration? Read(BpmnParser parser, string processId, XElement e)
    {
        var name = Attr(e, "name");
        if (name is null || !Identifier().IsMatch(name))
        {
            parser.Error("PARAMETER_INVALID", processId, e, $"wf:parameter needs a name of letters, digits and _ (at most 64), not '{name}'");
            return null;
        }

        ParameterType? type = Attr(e, "type") switch
        {
            null or "string" => ParameterType.String,
            "number" => ParameterType.Number,
            "boolean" => ParameterType.Boolean,
            "duration" => ParameterType.Duration,
            _ => null,
        };
        if (type is null)
        {
            parser.Error("PARAMETER_INVALID", processId, e, $"wf:parameter '{name}' has type '{Attr(e, "type")}', which is none of string, number, boolean, duration");
            return null;
        }

        var (min, max) = (Attr(e, "min"), Attr(e, "max"));
        if ((min ?? max) is not null && type is not (ParameterType.Number or ParameterType.Duration))
        {
            parser.Error("PARAMETER_INVALID", processId, e, $"wf:parameter '{name}' is a {type.Value.ToString().ToLowerInvariant()}: only a number or a duration has min and max");
            return null;
        }

        if (!BoundReads(type.Value, min) || !BoundReads(type.Value, max))
        {
            parser.Error("PARAMETER_INVALID", processId, e, $"wf:parameter '{name}' has a bound that is not a {type.Value.ToString().ToLowerInvariant()} (min '{min}', max '{max}')");
            return null;
        }

        if (min is not null && max is not null && Compare(type.Value, min, max) > 0)
        {
            parser.Error("PARAMETER_INVALID", processId, e, $"wf:parameter '{name}' has min {min} above its max {max}");
            return null;
        }

        var values = Attr(e, "values") is { } list
            ? list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            : [];
        if (values.Length > 0 && type != ParameterType.String)
        {
            parser.Error("PARAMETER_INVALID", processId, e, $"wf:parameter '{name}' lists values: only a string parameter is chosen from a list");
            return null;
        }

        var parameter = new ParameterDeclaration(name, type.Value, Attr(e, "label"), min, max, values, Attr(e, "default"));
        if (parameter.Default is not null && !parameter.TryRead(parameter.Default, out _, out var problem))
        {
            parser.Error("PARAMETER_INVALID", processId, e, $"the standard value of {problem}");
            return null;
        }

        return parameter;
    }

    private static bool BoundReads(ParameterType type, string? bound) => bound is null || type switch
    {
        ParameterType.Number => decimal.TryParse(bound, NumberStyles.Number, CultureInfo.InvariantCulture, out _),
        _ => ParameterDeclaration.ReadDuration(bound) is not null,
    };

    private static int Compare(ParameterType type, string a, string b) => type == ParameterType.Number
        ? decimal.Parse(a, CultureInfo.InvariantCulture).CompareTo(decimal.Parse(b, CultureInfo.InvariantCulture))
        : ParameterDeclaration.ReadDuration(a)!.Value.CompareTo(ParameterDeclaration.ReadDuration(b)!.Value);

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
    private static partial Regex Identifier();
}
