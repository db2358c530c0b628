using System.Xml;
using Workflows.Engine;

namespace Workflows.Host.Features.Api;

/// <summary>
/// A draft's XML read through once before it is stored: well-formed, no document type (as a deployment is read), and
/// BPMN's <c>definitions</c> at its root. The draft is not validated beyond that: a draft is work in progress.
/// </summary>
internal static class DraftXml
{
    private const string BpmnModel = "http://www.omg.org/spec/BPMN/20100524/MODEL";

    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreWhitespace = true,
    };

    /// <exception cref="WorkflowInputException">Not XML, a DTD, or another root than BPMN's definitions: 400 saying which.</exception>
    public static void Check(string xml)
    {
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), Settings);
            reader.MoveToContent();
            if (reader.NodeType != XmlNodeType.Element || reader.LocalName != "definitions" || reader.NamespaceURI != BpmnModel)
            {
                throw new WorkflowInputException($"xml: a draft is a BPMN document, whose root is <definitions> of {BpmnModel}, not <{reader.Name}>");
            }

            while (reader.Read())
            {
            }
        }
        catch (XmlException e)
        {
            throw new WorkflowInputException($"xml: the draft is not well-formed XML ({e.Message})");
        }
    }
}
