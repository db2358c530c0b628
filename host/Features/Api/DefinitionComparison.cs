using System.Xml;
using System.Xml.Linq;

namespace Workflows.Host.Features.Api;

/// <summary>What changed between two versions of a process, element by element (the diagram's layout is not compared).</summary>
/// <param name="ProcessId">The process compared.</param>
/// <param name="From">The older version.</param>
/// <param name="To">The newer version.</param>
/// <param name="Added">Ids of elements only the newer version has.</param>
/// <param name="Removed">Ids of elements only the older version has.</param>
/// <param name="Changed">Ids of elements both have whose definition differs (name, attributes, conditions, extension settings).</param>
internal sealed record DefinitionComparison(string ProcessId, int From, int To, IReadOnlyList<string> Added, IReadOnlyList<string> Removed, IReadOnlyList<string> Changed)
{
    private const string BpmnNs = "http://www.omg.org/spec/BPMN/20100524/MODEL";

    public static DefinitionComparison Between(string processId, int from, string fromXml, int to, string toXml)
    {
        var before = Elements(fromXml, processId);
        var after = Elements(toXml, processId);
        return new DefinitionComparison(processId, from, to,
            after.Keys.Except(before.Keys).Order(StringComparer.Ordinal).ToList(),
            before.Keys.Except(after.Keys).Order(StringComparer.Ordinal).ToList(),
            after.Keys.Intersect(before.Keys).Where(id => before[id] != after[id]).Order(StringComparer.Ordinal).ToList());
    }

    // Each element with an id inside the process, as its own text without the elements nested in it that
    // have ids of their own (a sub-process changes only when its own settings do). Deployed XML was parsed
    // safely at deploy; DTDs are still refused here.
    private static Dictionary<string, string> Elements(string xml, string processId)
    {
        using var reader = XmlReader.Create(new StringReader(xml), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
        var document = XDocument.Load(reader);
        var process = document.Descendants(XName.Get("process", BpmnNs)).FirstOrDefault(p => (string?)p.Attribute("id") == processId);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (process is null)
        {
            return result;
        }

        foreach (var element in process.Descendants().Where(IsBpmnElement))
        {
            result[(string)element.Attribute("id")!] = Canonical(element);
        }

        return result;
    }

    // An element of the model with an id of its own; extension elements' ids (a form field's variable) are settings of theirs.
    private static bool IsBpmnElement(XElement e) => e.Name.NamespaceName == BpmnNs && e.Attribute("id") is not null;

    // What an element means, however a modeller wrote it: attributes in name order (namespace declarations
    // aside), text trimmed, children in order without layout whitespace; children with ids of their own and
    // the incoming/outgoing references (which the flows say again) left out.
    private static string Canonical(XElement element)
    {
        var text = new System.Text.StringBuilder();
        text.Append('<').Append(element.Name.ToString());
        foreach (var attribute in element.Attributes().Where(a => !a.IsNamespaceDeclaration).OrderBy(a => a.Name.ToString(), StringComparer.Ordinal))
        {
            text.Append(' ').Append(attribute.Name.ToString()).Append("=\"").Append(attribute.Value).Append('"');
        }

        text.Append('>');
        foreach (var node in element.Nodes())
        {
            if (node is XElement child && !IsBpmnElement(child) && child.Name.LocalName is not ("incoming" or "outgoing" or "flowNodeRef"))
            {
                text.Append(Canonical(child));
            }
            else if (node is XText value && value.Value.Trim() is { Length: > 0 } trimmed)
            {
                text.Append(trimmed);
            }
        }

        return text.Append("</>").ToString();
    }
}
