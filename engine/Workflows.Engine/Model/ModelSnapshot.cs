using System.Xml;
using System.Xml.Linq;
using Workflows.Engine.Validation;

namespace Workflows.Engine.Model;

/// <summary>One element as the comparison sees it: its kind, its name and every property that gives it meaning, by path.</summary>
internal sealed record ElementShape(string Id, string Type, string? Name, string? ProcessId, SortedDictionary<string, string> Properties);

/// <summary>A process (pool) and its elements, in document order.</summary>
internal sealed record ProcessShape(string Id, string? Name, string? Participant, List<ElementShape> Elements);

/// <summary>
/// A BPMN document flattened for comparison (see <see cref="ModelComparer"/>): each process with its elements, the
/// collaboration (participants, message flows, messages, signals, errors, escalations), and each element's drawing.
/// </summary>
/// <remarks>
/// An element's properties are its attributes, its text and every child without an id of its own (event definitions,
/// loop characteristics, conditions, extension elements), each under a path; list items (form fields, parameters,
/// escalation rungs, mappings) and repeated extension children are told apart by their id, variable, key, target, source,
/// <c>at</c> or name, else by position. Left out, as in <see cref="CanonicalModel"/>:
/// the <c>incoming</c>/<c>outgoing</c> references (the flows say them, and become the <c>flow:</c> properties), ids of
/// children (generated), namespace declarations and the modeler's stamp. The diagram is kept apart, per element.
/// </remarks>
internal sealed class ModelSnapshot
{
    private const string ModelerNs = "http://camunda.org/schema/modeler/1.0";
    private static readonly XNamespace Bpmn = BpmnParser.BpmnNs;
    private static readonly XNamespace Xsi = "http://www.w3.org/2001/XMLSchema-instance";
    private static readonly string[] IdentifyingAttributes = ["id", "variable", "key", "target", "source", "at", "name"];

    // Extension children that are items of a list, named by one of the identifying attributes.
    private static readonly HashSet<string> ListItems = new(StringComparer.Ordinal)
    {
        "field", "parameter", "searchable", "show", "escalate", "input", "output", "header", "property",
    };

    // Children of a process or sub-process that are settings of the container, not elements of their own.
    private static readonly HashSet<string> ContainerSettings = new(StringComparer.Ordinal)
    {
        "extensionElements", "documentation", "laneSet", "ioSpecification", "property", "auditing", "monitoring", "ioBinding",
        "multiInstanceLoopCharacteristics", "standardLoopCharacteristics", "incoming", "outgoing", "completionCondition",
    };

    private static readonly HashSet<string> Containers = new(StringComparer.Ordinal) { "process", "subProcess", "transaction", "adHocSubProcess" };

    private static readonly HashSet<string> References = new(StringComparer.Ordinal) { "messageRef", "signalRef", "errorRef", "escalationRef" };

    private readonly Dictionary<string, XElement> _roots = new(StringComparer.Ordinal);

    private ModelSnapshot()
    {
    }

    public List<ProcessShape> Processes { get; } = [];

    public List<ElementShape> Collaboration { get; } = [];

    /// <summary>Each drawn element's shape or edge, as one string (bounds, waypoints, expansion).</summary>
    public Dictionary<string, string> Layout { get; } = new(StringComparer.Ordinal);

    /// <summary>Every element's name (its id when unnamed), to say flows and lanes in words.</summary>
    public Dictionary<string, string> Names { get; } = new(StringComparer.Ordinal);

    /// <summary>Reads a document safely: no DTD, no external entity, within the parser's size and depth limits.</summary>
    /// <exception cref="WorkflowInputException">The text is not well-formed XML, has a DTD, is too large or too deep, or is no BPMN document.</exception>
    public static ModelSnapshot Read(string xml, string which, BpmnParserOptions limits)
    {
        if (xml.Length > limits.MaxDocumentCharacters)
        {
            throw new WorkflowInputException($"the {which} BPMN document has {xml.Length:N0} characters; the limit is {limits.MaxDocumentCharacters:N0}");
        }

        XElement root;
        try
        {
            var settings = new XmlReaderSettings
            {
                DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersFromEntities = 1024,
                MaxCharactersInDocument = limits.MaxDocumentCharacters, IgnoreComments = true, IgnoreProcessingInstructions = true,
            };

            // Depth first, so that a hostile nesting never reaches the recursive walk below.
            using (var reader = XmlReader.Create(new StringReader(xml), settings))
            {
                while (reader.Read())
                {
                    if (reader.Depth > limits.MaxDepth)
                    {
                        throw new WorkflowInputException($"the {which} BPMN document nests elements deeper than {limits.MaxDepth} levels");
                    }
                }
            }

            using var second = XmlReader.Create(new StringReader(xml), settings);
            root = XDocument.Load(second, LoadOptions.None).Root ?? throw new XmlException("no root element");
        }
        catch (XmlException e)
        {
            throw new WorkflowInputException($"the {which} BPMN document is not well-formed XML (a DTD is never read): {e.Message}");
        }

        if (root.Name != Bpmn + "definitions")
        {
            throw new WorkflowInputException($"the {which} document is not BPMN 2.0: its root is {root.Name.LocalName}, not definitions in {Bpmn.NamespaceName}");
        }

        var snapshot = new ModelSnapshot();
        snapshot.Load(root);
        return snapshot;
    }

    private void Load(XElement root)
    {
        foreach (var element in root.Elements().Where(e => e.Name.Namespace == Bpmn && e.Attribute("id") is not null))
        {
            _roots[element.Attribute("id")!.Value] = element;
        }

        var participants = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var collaboration in root.Elements(Bpmn + "collaboration"))
        {
            foreach (var element in collaboration.Elements().Where(e => e.Name.Namespace == Bpmn && e.Attribute("id") is not null && e.Name.LocalName != "extensionElements"))
            {
                var shape = Shape(element, null, container: false);
                Collaboration.Add(shape);
                if (element.Name.LocalName == "participant" && element.Attribute("processRef")?.Value is { } processRef)
                {
                    participants[processRef] = shape.Name ?? shape.Id;
                }
            }
        }

        foreach (var element in root.Elements().Where(e => e.Name.Namespace == Bpmn && e.Attribute("id") is not null
                     && e.Name.LocalName is not ("process" or "collaboration" or "extensionElements" or "documentation")))
        {
            Collaboration.Add(Shape(element, null, container: false));
        }

        foreach (var process in root.Elements(Bpmn + "process").Where(p => p.Attribute("id") is not null))
        {
            var id = process.Attribute("id")!.Value;
            var shape = new ProcessShape(id, process.Attribute("name")?.Value, participants.GetValueOrDefault(id), []);
            shape.Elements.Add(Shape(process, id, container: true));
            Collect(process, id, null, shape.Elements);
            AddFlows(shape.Elements);
            Processes.Add(shape);
        }

        AddMessageFlows();
        foreach (var drawn in root.Descendants().Where(e => e.Name.NamespaceName == BpmnParser.BpmnDiNs && e.Attribute("bpmnElement") is not null
                     && e.Name.LocalName is "BPMNShape" or "BPMNEdge"))
        {
            Layout[drawn.Attribute("bpmnElement")!.Value] = string.Concat(drawn.DescendantsAndSelf().Select(d =>
                d.Name.LocalName + "(" + string.Join(",", d.Attributes().Where(a => !a.IsNamespaceDeclaration && a.Name.LocalName is not ("id" or "bpmnElement"))
                    .OrderBy(a => a.Name.LocalName, StringComparer.Ordinal).Select(a => a.Name.LocalName + "=" + a.Value)) + ")"));
        }
    }

    private void Collect(XElement container, string processId, string? parent, List<ElementShape> into)
    {
        foreach (var child in container.Elements().Where(e => e.Name.Namespace == Bpmn))
        {
            var local = child.Name.LocalName;
            if (local == "laneSet")
            {
                CollectLanes(child, processId, into);
                continue;
            }

            if (child.Attribute("id") is null || ContainerSettings.Contains(local))
            {
                continue;
            }

            var isContainer = Containers.Contains(local);
            var shape = Shape(child, processId, isContainer);
            if (parent is not null)
            {
                shape.Properties["$parent"] = parent;
            }

            into.Add(shape);
            if (isContainer)
            {
                Collect(child, processId, shape.Id, into);
            }
        }
    }

    private void CollectLanes(XElement laneSet, string processId, List<ElementShape> into)
    {
        foreach (var lane in laneSet.Elements(Bpmn + "lane").Where(l => l.Attribute("id") is not null))
        {
            var shape = Shape(lane, processId, container: false);
            into.Add(shape);
            foreach (var node in lane.Elements(Bpmn + "flowNodeRef").Select(r => r.Value.Trim()))
            {
                _lanes[node] = shape.Id;
            }

            foreach (var nested in lane.Elements(Bpmn + "childLaneSet"))
            {
                CollectLanes(nested, processId, into);
            }
        }
    }

    private readonly Dictionary<string, string> _lanes = new(StringComparer.Ordinal);

    // The flows become properties of the nodes they join, so that "now flows to 'Classify'" is said of the node;
    // the sequence flows stay elements of their own (their conditions, their names).
    private void AddFlows(List<ElementShape> elements)
    {
        var byId = elements.GroupBy(e => e.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        foreach (var flow in elements.Where(e => e.Type == "sequenceFlow"))
        {
            var source = flow.Properties.GetValueOrDefault("@sourceRef");
            var target = flow.Properties.GetValueOrDefault("@targetRef");
            if (source is not null && target is not null)
            {
                if (byId.TryGetValue(source, out var from))
                {
                    from.Properties[$"flow:to[{target}]"] = flow.Id;
                }

                if (byId.TryGetValue(target, out var to))
                {
                    to.Properties[$"flow:from[{source}]"] = flow.Id;
                }
            }
        }

        foreach (var element in elements)
        {
            if (_lanes.TryGetValue(element.Id, out var lane))
            {
                element.Properties["$lane"] = lane;
            }
        }
    }

    private void AddMessageFlows()
    {
        var byId = Processes.SelectMany(p => p.Elements).Concat(Collaboration).GroupBy(e => e.Id, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        foreach (var flow in Collaboration.Where(e => e.Type == "messageFlow"))
        {
            var source = flow.Properties.GetValueOrDefault("@sourceRef");
            var target = flow.Properties.GetValueOrDefault("@targetRef");
            if (source is not null && target is not null)
            {
                if (byId.TryGetValue(source, out var from))
                {
                    from.Properties[$"message:to[{target}]"] = flow.Id;
                }

                if (byId.TryGetValue(target, out var to))
                {
                    to.Properties[$"message:from[{source}]"] = flow.Id;
                }
            }
        }
    }

    private ElementShape Shape(XElement element, string? processId, bool container)
    {
        var id = element.Attribute("id")!.Value;
        var name = element.Attribute("name")?.Value;
        Names[id] = string.IsNullOrWhiteSpace(name) ? id : name;
        var properties = new SortedDictionary<string, string>(StringComparer.Ordinal);
        Flatten(element, "", properties, container, top: true);
        return new ElementShape(id, element.Name.LocalName, name, processId, properties);
    }

    private void Flatten(XElement element, string path, SortedDictionary<string, string> properties, bool container, bool top)
    {
        var before = properties.Count;
        foreach (var attribute in element.Attributes().Where(a => !a.IsNamespaceDeclaration && a.Name.NamespaceName != ModelerNs && a.Name != Xsi + "type"
                     && !(a.Name.Namespace == XNamespace.None && a.Name.LocalName == "id" && element.Name.Namespace == Bpmn)))
        {
            var value = References.Contains(attribute.Name.LocalName) && _roots.TryGetValue(attribute.Value, out var referenced) ? Describe(referenced) : attribute.Value;
            properties[path + "@" + QualifiedName(attribute.Name)] = value;
        }

        var text = string.Concat(element.Nodes().OfType<XText>().Select(t => t.Value)).Trim();
        if (text.Length > 0)
        {
            properties[path.Length == 0 ? "text" : path] = text;
        }

        var children = element.Elements().Where(c => Kept(c, container)).ToList();
        var counts = children.GroupBy(c => c.Name).ToDictionary(g => g.Key, g => g.Count());
        var positions = new Dictionary<XName, int>();
        foreach (var child in children)
        {
            if (child.Name == Bpmn + "extensionElements")
            {
                Flatten(child, path, properties, container: false, top: false);
                continue;
            }

            // An item of a list (a form field, a parameter, an escalation rung, a mapping) is known by what names it
            // even when alone, so that adding a second one leaves the first one's paths as they were; other repeated
            // children by what names them, else by position. BPMN children's ids are often generated: position.
            var segment = QualifiedName(child.Name);
            positions[child.Name] = positions.GetValueOrDefault(child.Name) + 1;
            var listItem = child.Name.Namespace != Bpmn && ListItems.Contains(child.Name.LocalName);
            if (listItem || counts[child.Name] > 1)
            {
                var key = child.Name.Namespace == Bpmn ? null
                    : IdentifyingAttributes.Select(a => child.Attribute(a)?.Value).FirstOrDefault(v => !string.IsNullOrEmpty(v));
                segment += "[" + (key ?? positions[child.Name].ToString(System.Globalization.CultureInfo.InvariantCulture)) + "]";
            }

            Flatten(child, path.Length == 0 ? segment : path + "/" + segment, properties, container: false, top: false);
        }

        if (!top && properties.Count == before)
        {
            properties[path] = "yes"; // a marker element with nothing in it: a terminate end, an empty message definition
        }
    }

    private static bool Kept(XElement child, bool container)
    {
        if (child.Name.NamespaceName == BpmnParser.BpmnDiNs)
        {
            return false;
        }

        if (child.Name.Namespace != Bpmn)
        {
            return true;
        }

        var local = child.Name.LocalName;
        if (local is "incoming" or "outgoing" or "flowNodeRef" or "childLaneSet" or "laneSet")
        {
            return false;
        }

        // A container's own elements are compared on their own; its settings (loops, documentation) are its properties.
        return !container || child.Attribute("id") is null || ContainerSettings.Contains(local);
    }

    // A referenced message, signal, error or escalation by its name and, for a message, its correlation key.
    private static string Describe(XElement referenced)
    {
        var name = referenced.Attribute("name")?.Value ?? referenced.Attribute("id")!.Value;
        var key = referenced.Descendants().FirstOrDefault(d => d.Name.LocalName == "subscription")?.Attribute("correlationKey")?.Value
            ?? referenced.Attribute("errorCode")?.Value ?? referenced.Attribute("escalationCode")?.Value;
        return key is null ? name : $"{name} ({key})";
    }

    private static string QualifiedName(XName name) => name.NamespaceName switch
    {
        BpmnParser.BpmnNs or "" => name.LocalName,
        "http://camunda.org/schema/zeebe/1.0" => "zeebe:" + name.LocalName,
        "urn:workflows:bpmn:1.0" => "wf:" + name.LocalName,
        "http://camunda.org/schema/1.0/bpmn" => "camunda:" + name.LocalName,
        _ => "{" + name.NamespaceName + "}" + name.LocalName,
    };
}
