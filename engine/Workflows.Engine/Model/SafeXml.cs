using System.Xml;
using System.Xml.Linq;
using Workflows.Engine.Validation;

namespace Workflows.Engine.Model;

/// <summary>
/// Reads model XML (BPMN, DMN) with one set of safety rules: no DTD, no external entities, a size and a depth limit,
/// so that a hostile document is a finding, never an XXE, an entity expansion or a stack overflow.
/// </summary>
internal static class SafeXml
{
    /// <summary>Loads the document's root with line information; null after reporting the problem through <paramref name="error"/>.</summary>
    public static XElement? Load(string xml, BpmnParserOptions options, string kind, Action<string, int, int, string> error)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = options.MaxDocumentCharacters,
            MaxCharactersFromEntities = 1024,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
        };

        if (xml.Length > options.MaxDocumentCharacters)
        {
            error("XML_TOO_LARGE", 0, 0, $"the document has {xml.Length:N0} characters; the limit is {options.MaxDocumentCharacters:N0}");
            return null;
        }

        try
        {
            // First pass: depth limit, so that a hostile nesting never reaches a recursive walk.
            using (var reader = XmlReader.Create(new StringReader(xml), settings))
            {
                while (reader.Read())
                {
                    if (reader.Depth > options.MaxDepth)
                    {
                        var info = (IXmlLineInfo)reader;
                        error("XML_TOO_DEEP", info.LineNumber, info.LinePosition, $"elements are nested deeper than {options.MaxDepth} levels");
                        return null;
                    }
                }
            }

            using var second = XmlReader.Create(new StringReader(xml), settings);
            return XDocument.Load(second, LoadOptions.SetLineInfo).Root;
        }
        catch (XmlException e)
        {
            var code = e.Message.Contains("DTD", StringComparison.OrdinalIgnoreCase) ? "XML_DTD_PROHIBITED" : "XML_MALFORMED";
            var message = code == "XML_DTD_PROHIBITED"
                ? $"DTDs and entity declarations are not allowed in {kind} documents (they carry XXE and entity-expansion attacks)"
                : $"the XML is malformed: {e.Message}";
            if (e.Message.Contains("MaxCharactersInDocument", StringComparison.Ordinal))
            {
                code = "XML_TOO_LARGE";
                message = $"the document is larger than the limit of {options.MaxDocumentCharacters:N0} characters";
            }

            error(code, e.LineNumber, e.LinePosition, message);
            return null;
        }
    }
}
