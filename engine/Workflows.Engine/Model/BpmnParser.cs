using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using Workflows.Engine.Feel;
using Workflows.Engine.Modules;
using Workflows.Engine.Validation;

namespace Workflows.Engine.Model;

/// <summary>
/// Reads BPMN 2.0 XML as bpmn-js and Camunda Modeler write it into a <see cref="BpmnDocument"/>,
/// collecting every problem as a finding instead of stopping at the first.
/// </summary>
internal sealed partial class BpmnParser
{
    public const string BpmnNs = "http://www.omg.org/spec/BPMN/20100524/MODEL";
    public const string BpmnDiNs = "http://www.omg.org/spec/BPMN/20100524/DI";
    public const string DcNs = "http://www.omg.org/spec/DD/20100524/DC";
    public const string ZeebeNs = "http://camunda.org/schema/zeebe/1.0";

    /// <summary>The engine's own extension namespace; see docs/bpmn-extensions.md.</summary>
    public const string WorkflowsNs = "urn:workflows:bpmn:1.0";

    private static readonly XName s_id = "id";
    private static readonly XName s_name = "name";

    private readonly List<ValidationFinding> _findings = [];
    private readonly BpmnDocument _document = new();
    private readonly FeelLimits _feelLimits;
    private readonly int _maxIdLength;

    private BpmnParser(BpmnParserOptions options) => (_feelLimits, _maxIdLength) = (options.Feel, options.MaxIdLength);

    public static (BpmnDocument? Document, List<ValidationFinding> Findings) Parse(string xml, BpmnParserOptions? options = null)
    {
        options ??= BpmnParserOptions.Default;
        options.Feel.Validate();
        var parser = new BpmnParser(options);
        var root = parser.LoadSafely(xml, options);
        if (root is null)
        {
            return (null, parser._findings);
        }

        if (root.Name != XName.Get("definitions", BpmnNs))
        {
            parser.Error("NOT_BPMN", null, root, $"the root element is '{root.Name.LocalName}' in '{root.Name.NamespaceName}', not BPMN 2.0 'definitions'");
            return (null, parser._findings);
        }

        parser.ReadDefinitions(root);
        BpmnCoverage.Check(root, parser._findings);
        return (parser._document, parser._findings);
    }

    private XElement? LoadSafely(string xml, BpmnParserOptions options) =>
        SafeXml.Load(xml, options, "BPMN", (code, line, column, message) => Error(code, null, line, column, message));

    private void ReadDefinitions(XElement definitions)
    {
        CheckDuplicateIds(definitions);

        foreach (var e in definitions.Elements())
        {
            if (e.Name.Namespace != BpmnNs)
            {
                continue;
            }

            switch (e.Name.LocalName)
            {
                case "message":
                    _document.Count("message");
                    var messageId = Attr(e, "id") ?? "";
                    var subscription = Extension(e, "subscription");
                    var nameText = Attr(e, "name");
                    _document.Messages[messageId] = new MessageDefinition(
                        messageId,
                        nameText is null ? new ModelExpression(messageId, null) : Expression(nameText, e, "name"),
                        Attr(subscription, "correlationKey") is { } key ? Expression(key, e, "correlationKey", alwaysFeel: true) : null,
                        ReadTimeToLive(e, messageId));
                    break;
                case "signal":
                    _document.Count("signal");
                    var signalId = Attr(e, "id") ?? "";
                    _document.Signals[signalId] = new SignalDefinition(signalId, Expression(Attr(e, "name") ?? signalId, e, "name"));
                    break;
                case "error":
                    _document.Count("error");
                    var errorId = Attr(e, "id") ?? "";
                    _document.Errors[errorId] = new ErrorDefinition(errorId, Attr(e, "name"), Attr(e, "errorCode"));
                    break;
                case "escalation":
                    _document.Count("escalation");
                    var escalationId = Attr(e, "id") ?? "";
                    _document.Escalations[escalationId] = new EscalationDefinition(escalationId, Attr(e, "name"), Attr(e, "escalationCode"));
                    break;
            }
        }

        foreach (var e in definitions.Elements(XName.Get("process", BpmnNs)))
        {
            ReadProcess(e);
        }

        foreach (var collaboration in definitions.Elements(XName.Get("collaboration", BpmnNs)))
        {
            _document.Count("collaboration");
            foreach (var p in collaboration.Elements(XName.Get("participant", BpmnNs)))
            {
                _document.Count("participant");
                _document.Participants.Add(new Participant(Attr(p, "id") ?? "", Attr(p, "name"), Attr(p, "processRef")));
            }

            foreach (var f in collaboration.Elements(XName.Get("messageFlow", BpmnNs)))
            {
                _document.Count("messageFlow");
                _document.MessageFlows.Add(new MessageFlow(Attr(f, "id") ?? "", Attr(f, "name"), Attr(f, "sourceRef") ?? "", Attr(f, "targetRef") ?? "", Attr(f, "messageRef")));
            }

            CountArtifacts(collaboration);
        }

        ReadDiagram(definitions);
        CheckCollaboration(definitions);
    }

    private void CheckDuplicateIds(XElement definitions)
    {
        var seen = new Dictionary<string, XElement>(StringComparer.Ordinal);
        foreach (var e in definitions.DescendantsAndSelf())
        {
            if (e.Attribute(s_id)?.Value is not { } id || e.Name.Namespace != BpmnNs)
            {
                continue;
            }

            if (id.Length > _maxIdLength)
            {
                // An id travels into URLs, headers, logs and every row of the instance: bounded, and not echoed whole.
                Error("ID_TOO_LONG", id[..Math.Min(id.Length, 40)] + "…", e,
                    $"a {e.Name.LocalName} id is {id.Length:N0} characters long; the limit is {_maxIdLength:N0} (BpmnParserOptions.MaxIdLength)");
                continue;
            }

            if (!seen.TryAdd(id, e))
            {
                var first = (IXmlLineInfo)seen[id];
                Error("DUPLICATE_ID", id, e, $"the id '{id}' is used again (first at {first.LineNumber}:{first.LinePosition})");
            }
        }
    }

    private void ReadProcess(XElement e)
    {
        _document.Count("process");
        var id = Attr(e, "id") ?? "";
        var root = new FlowNode { Id = id, Name = Attr(e, "name"), Kind = NodeKind.Process, ElementName = "process", Position = Pos(e) };
        var process = new ProcessModel
        {
            Id = id,
            Name = Attr(e, "name"),
            IsExecutable = string.Equals(Attr(e, "isExecutable"), "true", StringComparison.OrdinalIgnoreCase),
            Root = root,
            VersionTag = Attr(Extension(e, "versionTag"), "value"),
        };

        OnElementRead(e, root);
        if (Extension(e, "journey", WorkflowsNs) is { } journey)
        {
            process.CustomerId = Attr(journey, "customerId") is { } customer ? Expression(customer, journey, "customerId", alwaysFeel: true) : process.CustomerId;
            process.Branch = Attr(journey, "branch") is { } branch ? Expression(branch, journey, "branch", alwaysFeel: true) : process.Branch;
            process.Tenant = Attr(journey, "tenant") is { } tenant ? Expression(tenant, journey, "tenant", alwaysFeel: true) : process.Tenant;
        }
        _document.Processes.Add(process);

        var pendingFlows = new List<XElement>();
        ReadScope(e, root, process, pendingFlows);

        ResolveFlows(process, pendingFlows);
        ResolveBoundaries(process);
        ResolveCompensationHandlers(e, process);
        foreach (var listener in EngineModules.ParseListeners)
        {
            listener.OnProcess(this, e, process);
        }
    }

    /// <summary>Tells the modules' parse listeners an element was read, for their own extension elements.</summary>
    private void OnElementRead(XElement e, FlowNode node)
    {
        foreach (var listener in EngineModules.ParseListeners)
        {
            listener.OnElement(this, e, node);
        }
    }

    private void ReadLaneSet(XElement laneSet, ProcessModel process)
    {
        _document.Count(laneSet.Name.LocalName);
        foreach (var laneElement in laneSet.Elements(XName.Get("lane", BpmnNs)))
        {
            _document.Count("lane");
            var lane = new Lane { Id = Attr(laneElement, "id") ?? "", Name = Attr(laneElement, "name") };
            lane.FlowNodeIds.AddRange(laneElement.Elements(XName.Get("flowNodeRef", BpmnNs)).Select(r => r.Value.Trim()));
            process.Lanes.Add(lane);
            foreach (var child in laneElement.Elements(XName.Get("childLaneSet", BpmnNs)))
            {
                ReadLaneSet(child, process);
            }
        }
    }

    private void ReadScope(XElement container, FlowNode scope, ProcessModel process, List<XElement> pendingFlows)
    {
        foreach (var e in container.Elements())
        {
            if (e.Name.Namespace != BpmnNs)
            {
                continue;
            }

            var name = e.Name.LocalName;
            if (name == "sequenceFlow")
            {
                pendingFlows.Add(e);
                continue;
            }

            if (name == "laneSet")
            {
                ReadLaneSet(e, process);
                continue;
            }

            if (!TryKind(name, out var kind))
            {
                CountData(e);
                continue;
            }

            _document.Count(name);
            var node = ReadFlowNode(e, kind, process);
            node.Parent = scope;
            scope.Children.Add(node);
            if (!process.Nodes.TryAdd(node.Id, node))
            {
                continue; // reported as a duplicate id already
            }

            if (node.IsScope)
            {
                ReadScope(e, node, process, pendingFlows);
                if (node.TriggeredByEvent)
                {
                    scope.EventSubProcesses.Add(node);
                }
            }
        }

        CountArtifacts(container);
        scope.NoneStart = scope.Children.FirstOrDefault(n => n.Kind == NodeKind.StartEvent && n.Event is null);
    }

    private void CountData(XElement e)
    {
        switch (e.Name.LocalName)
        {
            case "dataObject" or "dataObjectReference" or "dataStoreReference":
                _document.Count(e.Name.LocalName);
                break;
        }
    }

    private void CountArtifacts(XElement container)
    {
        foreach (var e in container.Elements())
        {
            if (e.Name.Namespace == BpmnNs && e.Name.LocalName is "textAnnotation" or "association" or "group")
            {
                _document.Count(e.Name.LocalName);
            }
        }
    }

    private static bool TryKind(string name, out NodeKind kind)
    {
        kind = name switch
        {
            "startEvent" => NodeKind.StartEvent,
            "endEvent" => NodeKind.EndEvent,
            "intermediateCatchEvent" => NodeKind.IntermediateCatchEvent,
            "intermediateThrowEvent" => NodeKind.IntermediateThrowEvent,
            "boundaryEvent" => NodeKind.BoundaryEvent,
            "task" => NodeKind.Task,
            "userTask" => NodeKind.UserTask,
            "serviceTask" => NodeKind.ServiceTask,
            "sendTask" => NodeKind.SendTask,
            "receiveTask" => NodeKind.ReceiveTask,
            "scriptTask" => NodeKind.ScriptTask,
            "manualTask" => NodeKind.ManualTask,
            "businessRuleTask" => NodeKind.BusinessRuleTask,
            "exclusiveGateway" => NodeKind.ExclusiveGateway,
            "parallelGateway" => NodeKind.ParallelGateway,
            "inclusiveGateway" => NodeKind.InclusiveGateway,
            "eventBasedGateway" => NodeKind.EventBasedGateway,
            "complexGateway" => NodeKind.ComplexGateway,
            "subProcess" => NodeKind.SubProcess,
            "transaction" => NodeKind.Transaction,
            "adHocSubProcess" => NodeKind.AdHocSubProcess,
            "callActivity" => NodeKind.CallActivity,
            _ => (NodeKind)(-1),
        };
        return (int)kind >= 0;
    }

    private void ResolveFlows(ProcessModel process, List<XElement> pendingFlows)
    {
        var givenIds = pendingFlows.Select(f => Attr(f, "id")).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var e in pendingFlows)
        {
            _document.Count("sequenceFlow");
            var sourceRef = Attr(e, "sourceRef");
            var targetRef = Attr(e, "targetRef");
            var id = Attr(e, "id") is { Length: > 0 } given ? given : GenerateFlowId(process, givenIds, e, sourceRef, targetRef);
            var source = sourceRef is null ? null : process.Nodes.GetValueOrDefault(sourceRef);
            var target = targetRef is null ? null : process.Nodes.GetValueOrDefault(targetRef);
            if (source is null)
            {
                Error("FLOW_SOURCE_MISSING", id, e, $"the sequence flow starts at '{sourceRef}', which is not a flow node of process '{process.Id}'");
            }

            if (target is null)
            {
                Error("FLOW_TARGET_MISSING", id, e, $"the sequence flow leads to '{targetRef}', which is not a flow node of process '{process.Id}'");
            }

            if (source is null || target is null)
            {
                continue;
            }

            if (source.Parent != target.Parent)
            {
                Error("FLOW_CROSSES_SCOPE", id, e, $"the sequence flow from '{source.Id}' to '{target.Id}' crosses a sub-process boundary");
                continue;
            }

            ModelExpression? condition = null;
            if (e.Element(XName.Get("conditionExpression", BpmnNs)) is { } c && c.Value.Trim() is { Length: > 0 } text)
            {
                if (text.StartsWith("${", StringComparison.Ordinal) || text.StartsWith("#{", StringComparison.Ordinal))
                {
                    Error("CONDITION_NOT_FEEL", id, c, $"the condition '{text}' is JUEL; write it in FEEL (e.g. '=amount > 1000')");
                }
                else
                {
                    condition = Expression(text, c, "conditionExpression", alwaysFeel: true);
                }

                if (source.Kind == NodeKind.ParallelGateway)
                {
                    // A parallel gateway takes every outgoing flow (BPMN; Camunda 7 and 8 ignore the condition too).
                    Warning("CONDITION_NOT_EXECUTED", id, Pos(c).Line, Pos(c).Column, $"the condition on a flow leaving the parallel gateway '{source.Id}' is not evaluated: a parallel gateway takes every outgoing flow");
                }
            }

            var flow = new SequenceFlow { Id = id, Name = Attr(e, "name"), Source = source, Target = target, Condition = condition, Position = Pos(e) };
            if (!process.Flows.TryAdd(id, flow))
            {
                continue;
            }

            source.Outgoing.Add(flow);
            target.Incoming.Add(flow);
        }

        foreach (var node in process.Nodes.Values)
        {
            if (node.DefaultFlowId is not { } defaultId)
            {
                continue;
            }

            node.DefaultFlow = node.Outgoing.FirstOrDefault(f => f.Id == defaultId);
            if (node.DefaultFlow is null)
            {
                Error("DEFAULT_FLOW_INVALID", node.Id, node.Position, $"the default flow '{defaultId}' is not an outgoing sequence flow of this element");
            }
        }
    }

    // A flow without an id would otherwise collide with the next one and be dropped; it gets a stable
    // id from its ends (the same document always gives the same id) and the analyst a warning.
    private string GenerateFlowId(ProcessModel process, HashSet<string> givenIds, XElement e, string? sourceRef, string? targetRef)
    {
        var stem = $"flow_{sourceRef ?? "unknown"}_to_{targetRef ?? "unknown"}";
        var id = stem;
        for (var n = 2; process.Flows.ContainsKey(id) || process.Nodes.ContainsKey(id) || givenIds.Contains(id); n++)
        {
            id = $"{stem}_{n}";
        }

        var position = Pos(e);
        _findings.Add(new ValidationFinding(FindingSeverity.Warning, "FLOW_ID_GENERATED", id, position.Line, position.Column,
            $"a sequence flow from '{sourceRef}' to '{targetRef}' has no id; it is read as '{id}' (give it an id so that history and incidents name it as you do)"));
        return id;
    }

    private void ResolveBoundaries(ProcessModel process)
    {
        foreach (var node in process.Nodes.Values.Where(n => n.Kind == NodeKind.BoundaryEvent))
        {
            if (node.AttachedToId is null || !process.Nodes.TryGetValue(node.AttachedToId, out var host) || !host.IsActivity)
            {
                Error("BOUNDARY_HOST_MISSING", node.Id, node.Position, $"the boundary event is attached to '{node.AttachedToId}', which is not an activity of this process");
                continue;
            }

            node.AttachedTo = host;
            host.Boundaries.Add(node);
        }
    }

    // A compensation boundary event names its handler only through an association (boundary → handler),
    // wherever in the process the modeller put it.
    private void ResolveCompensationHandlers(XElement processElement, ProcessModel process)
    {
        foreach (var association in processElement.Descendants(XName.Get("association", BpmnNs)))
        {
            if (Attr(association, "sourceRef") is { } sourceRef && process.Nodes.GetValueOrDefault(sourceRef) is { Kind: NodeKind.BoundaryEvent, Event.Type: EventType.Compensate, AttachedTo: { } activity }
                && Attr(association, "targetRef") is { } targetRef && process.Nodes.GetValueOrDefault(targetRef) is { } handler)
            {
                if (activity.CompensationHandler is not null && activity.CompensationHandler != handler)
                {
                    Error("COMPENSATION_HANDLER_AMBIGUOUS", sourceRef, association, $"the compensation boundary event is associated with both '{activity.CompensationHandler.Id}' and '{handler.Id}'; an activity has one handler");
                    continue;
                }

                activity.CompensationHandler = handler;
            }
        }
    }

    private void ReadDiagram(XElement definitions)
    {
        foreach (var diagram in definitions.Elements(XName.Get("BPMNDiagram", BpmnDiNs)))
        {
            foreach (var e in diagram.Descendants())
            {
                if (e.Name == XName.Get("BPMNShape", BpmnDiNs))
                {
                    _document.Count("BPMNShape");
                    var bounds = e.Element(XName.Get("Bounds", DcNs));
                    if (Attr(e, "bpmnElement") is { } element && bounds is not null)
                    {
                        _document.Shapes[element] = new ShapeBounds(Number(bounds, "x"), Number(bounds, "y"), Number(bounds, "width"), Number(bounds, "height"));
                    }
                }
                else if (e.Name == XName.Get("BPMNEdge", BpmnDiNs))
                {
                    _document.Count("BPMNEdge");
                }
            }
        }

        static double Number(XElement e, string name) =>
            double.TryParse(e.Attribute(name)?.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : 0;
    }

    private void CheckCollaboration(XElement definitions)
    {
        var processIds = _document.Processes.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        var allIds = definitions.Descendants().Select(e => e.Attribute(s_id)?.Value).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var p in _document.Participants.Where(p => p.ProcessRef is not null && !processIds.Contains(p.ProcessRef)))
        {
            Warning("REF_MISSING", p.Id, 0, 0, $"the participant refers to process '{p.ProcessRef}', which the document does not define");
        }

        foreach (var f in _document.MessageFlows)
        {
            if (!allIds.Contains(f.SourceRef) || !allIds.Contains(f.TargetRef))
            {
                Error("MESSAGE_FLOW_DANGLING", f.Id, 0, 0, $"the message flow connects '{f.SourceRef}' to '{f.TargetRef}', and one of them does not exist");
            }
        }
    }

    internal ModelExpression Expression(string text, XElement e, string attribute, bool alwaysFeel = false)
    {
        var isFeel = alwaysFeel || text.TrimStart().StartsWith('=');
        if (!isFeel)
        {
            return new ModelExpression(text, null);
        }

        return new ModelExpression(text, Feel(text, e, attribute));
    }

    private FeelExpression? Feel(string text, XElement e, string attribute)
    {
        try
        {
            return FeelExpression.Parse(text, _feelLimits);
        }
        catch (FeelSyntaxException ex)
        {
            var owner = e.AncestorsAndSelf().FirstOrDefault(a => a.Attribute(s_id) is not null && a.Name.Namespace == BpmnNs);
            Error("FEEL_SYNTAX", owner?.Attribute(s_id)?.Value, e, $"the FEEL in {attribute} does not parse: {ex.Message} at character {ex.Position + 1} of '{text.Trim()}'");
            return null;
        }
    }

    internal static XElement? Extension(XElement? e, string localName, string? onlyNamespace = null)
    {
        var extensions = e?.Element(XName.Get("extensionElements", BpmnNs));
        if (extensions is null)
        {
            return null;
        }

        return onlyNamespace is not null
            ? extensions.Element(XName.Get(localName, onlyNamespace))
            : extensions.Element(XName.Get(localName, WorkflowsNs)) ?? extensions.Element(XName.Get(localName, ZeebeNs));
    }

    internal static string? Attr(XElement? e, string name) => e?.Attribute(name)?.Value;

    private static SourcePosition Pos(XElement e) => e is IXmlLineInfo info && info.HasLineInfo() ? new SourcePosition(info.LineNumber, info.LinePosition) : default;

    internal void Error(string code, string? elementId, XElement e, string message) => Error(code, elementId, Pos(e), message);

    internal T ErrorValue<T>(T fallback, string code, string? elementId, XElement e, string message)
    {
        Error(code, elementId, e, message);
        return fallback;
    }

    private void Error(string code, string? elementId, SourcePosition position, string message) =>
        Error(code, elementId, position.Line, position.Column, message);

    private void Error(string code, string? elementId, int line, int column, string message) =>
        _findings.Add(new ValidationFinding(FindingSeverity.Error, code, elementId, line, column, message));

    private void Warning(string code, string? elementId, int line, int column, string message) =>
        _findings.Add(new ValidationFinding(FindingSeverity.Warning, code, elementId, line, column, message));
}
