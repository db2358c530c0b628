using System.Security.Cryptography;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace Workflows.Engine.Model;

/// <summary>
/// What a BPMN document means, without how it is drawn or written: two documents with the same canonical form run the
/// same way, so deploying one after the other is not a new version.
/// </summary>
/// <remarks>
/// Kept: every element of the model with its namespace, its attributes (ids, references, expressions, extension
/// attributes) and its text; the order of sequence flows, of extension elements and of elements without an id (see
/// <see cref="OrderKey"/>), while elements with an id are compared by id wherever a designer put them. Left out: the
/// diagram (BPMNDI: shapes, edges, colours), whitespace between elements and around text, attribute order, namespace
/// prefixes and declarations (an <c>xsi:type</c> value is read as the name it stands for), comments, the
/// <c>incoming</c>/<c>outgoing</c> references a designer writes (the flows' <c>sourceRef</c>/<c>targetRef</c> say the
/// same), empty <c>extensionElements</c>, and the designer's stamp (<c>exporter</c>, <c>exporterVersion</c>, the
/// modeler's execution-platform attributes). A DMN model's DMNDI and the attributes it writes at their default value
/// (see <see cref="IsDmnDefault"/>) are left out too.
/// </remarks>
internal static class CanonicalModel
{
    private const string ModelerNs = "http://camunda.org/schema/modeler/1.0";
    private static readonly XNamespace Bpmn = BpmnParser.BpmnNs;
    private static readonly XNamespace Xsi = "http://www.w3.org/2001/XMLSchema-instance";

    /// <summary>The SHA-256 of the canonical form, in lower-case hex; null when the text is not well-formed XML.</summary>
    public static string? Checksum(string xml)
    {
        XElement root;
        try
        {
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersFromEntities = 1024 };
            using var reader = XmlReader.Create(new StringReader(xml), settings);
            root = XDocument.Load(reader).Root ?? throw new XmlException("no root element");
        }
        catch (XmlException)
        {
            return null;
        }

        var text = new StringBuilder(xml.Length / 2);
        Write(root, text);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static void Write(XElement element, StringBuilder text)
    {
        text.Append('<').Append(element.Name.NamespaceName).Append('|').Append(element.Name.LocalName);
        var isDefinitions = element.Parent is null && element.Name.LocalName == "definitions";
        foreach (var attribute in element.Attributes()
                     .Where(a => !a.IsNamespaceDeclaration && a.Name.NamespaceName != ModelerNs
                         && !(isDefinitions && a.Name.Namespace == XNamespace.None && a.Name.LocalName is "exporter" or "exporterVersion")
                         && !IsDmnDefault(element, a))
                     .OrderBy(a => a.Name.NamespaceName, StringComparer.Ordinal)
                     .ThenBy(a => a.Name.LocalName, StringComparer.Ordinal))
        {
            var value = attribute.Name == Xsi + "type" ? ResolveQName(element, attribute.Value) : attribute.Value;
            text.Append(' ').Append(attribute.Name.NamespaceName).Append('|').Append(attribute.Name.LocalName).Append('=');
            Quote(value, text);
        }

        text.Append('>');
        var content = string.Concat(element.Nodes().OfType<XText>().Select(t => t.Value)).Trim();
        if (content.Length > 0)
        {
            Quote(content, text);
        }

        var children = element.Elements().Where(Kept).Select((e, i) => (Element: e, Key: OrderKey(e, i)))
            .OrderBy(c => c.Key.Group).ThenBy(c => c.Key.Name, StringComparer.Ordinal).ThenBy(c => c.Key.Key, StringComparer.Ordinal).ThenBy(c => c.Key.Index);
        foreach (var (child, _) in children)
        {
            Write(child, text);
        }

        text.Append("</>");
    }

    // A designer moves an element it redraws to the end of its process (bpmn-js does): the model's elements are known
    // by their ids, so their order is not meaning. What is: the order of sequence flows (an exclusive gateway takes
    // the first whose condition holds), of extension elements (escalation rungs, case data) and of elements without
    // an id; a lane's flowNodeRef list is a set.
    private static (int Group, string Name, string Key, int Index) OrderKey(XElement element, int index)
    {
        if (element.Name.Namespace != Bpmn)
        {
            return (1, "", "", index);
        }

        var local = element.Name.LocalName;
        return local switch
        {
            "sequenceFlow" => (0, local, "", index),
            "flowNodeRef" => (0, local, element.Value.Trim(), 0),
            _ when element.Attribute("id")?.Value is { } id => (0, local, id, 0),
            _ => (0, local, "", index),
        };
    }

    private static bool Kept(XElement element)
    {
        if (element.Name.NamespaceName == BpmnParser.BpmnDiNs || element.Name.NamespaceName.Contains("/DMNDI/", StringComparison.Ordinal))
        {
            return false; // the diagram (BPMNDI, or a DMN model's DMNDI): shapes, edges, labels and their colours
        }

        if (element.Name.Namespace != Bpmn)
        {
            return true;
        }

        return element.Name.LocalName switch
        {
            "incoming" or "outgoing" => false,
            "extensionElements" => element.HasElements,
            _ => true,
        };
    }

    // A DMN attribute written with its default value means the same as one left out, and dmn-js leaves defaults out:
    // a decision table's UNIQUE hit policy and a text annotation's plain text format.
    private static bool IsDmnDefault(XElement element, XAttribute attribute) =>
        attribute.Name.Namespace == XNamespace.None
        && element.Name.NamespaceName.Contains("/DMN/", StringComparison.OrdinalIgnoreCase)
        && (element.Name.LocalName, attribute.Name.LocalName, attribute.Value) is ("decisionTable", "hitPolicy", "UNIQUE") or ("textAnnotation", "textFormat", "text/plain");

    // "bpmn:tFormalExpression" and "tFormalExpression" under a default BPMN namespace name the same type.
    private static string ResolveQName(XElement scope, string value)
    {
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        var prefix = colon < 0 ? null : value[..colon];
        var ns = prefix is null ? scope.GetDefaultNamespace() : scope.GetNamespaceOfPrefix(prefix);
        return ns is null ? value : "{" + ns.NamespaceName + "}" + value[(colon + 1)..];
    }

    private static void Quote(string value, StringBuilder text)
    {
        text.Append('"');
        foreach (var c in value)
        {
            _ = c is '"' or '\\' ? text.Append('\\').Append(c) : text.Append(c);
        }

        text.Append('"');
    }
}
