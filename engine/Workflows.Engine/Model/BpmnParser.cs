using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using Workflows.Engine.Feel;
using Workflows.Engine.Validation;

namespace Workflows.Engine.Model;

/// <summary>
/// Reads BPMN 2.0 XML as bpmn-js and Camunda Modeler write it into a <see cref="BpmnDocument"/>,
/// collecting every problem as a finding instead of stopping at the first.
/// </summary>
internal sealed class BpmnParser
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

    private BpmnParser(FeelLimits feelLimits) => _feelLimits = feelLimits;

    public static (BpmnDocument? Document, List<ValidationFinding> Findings) Parse(string xml, BpmnParserOptions? options = null)
    {
        options ??= BpmnParserOptions.Default;
        options.Feel.Validate();
        var parser = new BpmnParser(options.Feel);
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

    private XElement? LoadSafely(string xml, BpmnParserOptions options)
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
            Error("XML_TOO_LARGE", null, 0, 0, $"the document has {xml.Length:N0} characters; the limit is {options.MaxDocumentCharacters:N0}");
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
                        Error("XML_TOO_DEEP", null, info.LineNumber, info.LinePosition, $"elements are nested deeper than {options.MaxDepth} levels");
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
                ? "DTDs and entity declarations are not allowed in BPMN documents (they carry XXE and entity-expansion attacks)"
                : $"the XML is malformed: {e.Message}";
            if (e.Message.Contains("MaxCharactersInDocument", StringComparison.Ordinal))
            {
                code = "XML_TOO_LARGE";
                message = $"the document is larger than the limit of {options.MaxDocumentCharacters:N0} characters";
            }

            Error(code, null, e.LineNumber, e.LinePosition, message);
            return null;
        }
    }

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

        ReadSlaAndCommitment(e, root);
        process.Sla = root.Sla;
        process.Commitment = root.Commitment;
        process.Satisfaction = ReadSatisfactionPolicy(e, id);
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

    private FlowNode ReadFlowNode(XElement e, NodeKind kind, ProcessModel process)
    {
        var node = new FlowNode
        {
            Id = Attr(e, "id") ?? "",
            Name = Attr(e, "name"),
            Kind = kind,
            ElementName = e.Name.LocalName,
            Position = Pos(e),
            DefaultFlowId = Attr(e, "default"),
            TriggeredByEvent = string.Equals(Attr(e, "triggeredByEvent"), "true", StringComparison.OrdinalIgnoreCase),
            AttachedToId = Attr(e, "attachedToRef"),
        };

        if (node.Id.Length == 0)
        {
            Error("ID_MISSING", null, e, $"a {e.Name.LocalName} has no id");
        }

        if (kind == NodeKind.BoundaryEvent)
        {
            node.IsInterrupting = !string.Equals(Attr(e, "cancelActivity"), "false", StringComparison.OrdinalIgnoreCase);
        }
        else if (kind == NodeKind.StartEvent)
        {
            node.IsInterrupting = !string.Equals(Attr(e, "isInterrupting"), "false", StringComparison.OrdinalIgnoreCase);
        }

        ReadEventDefinitions(e, node);
        ReadExtensions(e, node, process);
        ReadLoop(e, node);

        if (kind == NodeKind.ScriptTask && node.Script is null)
        {
            var format = Attr(e, "scriptFormat");
            var script = e.Element(XName.Get("script", BpmnNs))?.Value;
            if (script is not null && (format is null || format.Equals("feel", StringComparison.OrdinalIgnoreCase)))
            {
                var resultVariable = Attr(Extension(e, "script"), "resultVariable") ?? Attr(e, "resultVariable");
                if (Feel(script, e, "script") is { } expression && resultVariable is not null)
                {
                    node.Script = new ScriptDefinition(expression, resultVariable);
                }
            }
        }

        if (kind is NodeKind.SendTask or NodeKind.ReceiveTask && Attr(e, "messageRef") is { } messageRef)
        {
            node.Message = ResolveMessage(messageRef, e, node.Id);
        }

        if (kind == NodeKind.CallActivity && node.Call is null && Attr(e, "calledElement") is { } called)
        {
            node.Call = new CallDefinition(Expression(called, e, "calledElement"), CallBinding.Latest, null, true, true);
        }

        return node;
    }

    private void ReadEventDefinitions(XElement e, FlowNode node)
    {
        foreach (var d in e.Elements())
        {
            if (d.Name.Namespace != BpmnNs || !d.Name.LocalName.EndsWith("EventDefinition", StringComparison.Ordinal))
            {
                continue;
            }

            _document.Count(d.Name.LocalName);
            node.EventDefinitionCount++;
            node.Event = d.Name.LocalName switch
            {
                "messageEventDefinition" => new EventDefinition
                {
                    Type = EventType.Message,
                    Message = Attr(d, "messageRef") is { } r ? ResolveMessage(r, d, node.Id) : null,
                },
                "timerEventDefinition" => new EventDefinition { Type = EventType.Timer, Timer = ReadTimer(d, node.Id) },
                "signalEventDefinition" => new EventDefinition
                {
                    Type = EventType.Signal,
                    Signal = Attr(d, "signalRef") is { } r ? Resolve(_document.Signals, r, "signal", d, node.Id) : null,
                },
                "errorEventDefinition" => new EventDefinition
                {
                    Type = EventType.Error,
                    Error = Attr(d, "errorRef") is { } r ? Resolve(_document.Errors, r, "error", d, node.Id) : null,
                },
                "escalationEventDefinition" => new EventDefinition
                {
                    Type = EventType.Escalation,
                    Escalation = Attr(d, "escalationRef") is { } r ? Resolve(_document.Escalations, r, "escalation", d, node.Id) : null,
                },
                "terminateEventDefinition" => new EventDefinition { Type = EventType.Terminate },
                "linkEventDefinition" => new EventDefinition { Type = EventType.Link, LinkName = Attr(d, "name") },
                "conditionalEventDefinition" => new EventDefinition { Type = EventType.Conditional },
                "compensateEventDefinition" => new EventDefinition { Type = EventType.Compensate },
                "cancelEventDefinition" => new EventDefinition { Type = EventType.Cancel },
                _ => new EventDefinition { Type = EventType.Multiple },
            };
        }

        if (node.EventDefinitionCount > 1)
        {
            node.Event = new EventDefinition { Type = EventType.Multiple };
        }
    }

    private TimeSpan ReadTimeToLive(XElement message, string messageId)
    {
        if (Attr(Extension(message, "publish", WorkflowsNs), "timeToLive") is not { } text)
        {
            return TimeSpan.Zero;
        }

        if (Workflows.Engine.Feel.FeelBuiltins.ParseDuration(text) is TimeSpan ttl && ttl >= TimeSpan.Zero)
        {
            return ttl;
        }

        Error("MESSAGE_TTL_INVALID", messageId, message, $"the time-to-live '{text}' is not an ISO 8601 duration such as PT10M");
        return TimeSpan.Zero;
    }

    private MessageDefinition? ResolveMessage(string reference, XElement e, string elementId) =>
        Resolve(_document.Messages, reference, "message", e, elementId);

    private T? Resolve<T>(Dictionary<string, T> table, string reference, string what, XElement e, string elementId)
        where T : class
    {
        if (table.TryGetValue(reference, out var value))
        {
            return value;
        }

        Error("REF_MISSING", elementId, e, $"refers to {what} '{reference}', which the document does not define");
        return null;
    }

    private TimerDefinition? ReadTimer(XElement d, string elementId)
    {
        foreach (var (name, kind) in new[] { ("timeDate", TimerKind.Date), ("timeDuration", TimerKind.Duration), ("timeCycle", TimerKind.Cycle) })
        {
            if (d.Element(XName.Get(name, BpmnNs)) is not { } value)
            {
                continue;
            }

            var text = value.Value.Trim();
            if (text.Length == 0)
            {
                Error("TIMER_EMPTY", elementId, value, $"the {name} is empty");
                return null;
            }

            var expression = Expression(text, value, name);
            if (expression.IsStatic && TimerSchedule.ValidateStatic(kind, text) is { } problem)
            {
                Error("TIMER_INVALID", elementId, value, $"the {name} '{text}' is not valid: {problem}");
            }

            return new TimerDefinition(kind, expression);
        }

        return null;
    }

    private void ReadExtensions(XElement e, FlowNode node, ProcessModel process)
    {
        if (e.Element(XName.Get("extensionElements", BpmnNs)) is not { } extensions)
        {
            return;
        }

        // Zeebe's elements first, so that the engine's own (wf:) win where both say the same thing.
        foreach (var x in extensions.Elements().OrderBy(x => x.Name.NamespaceName == WorkflowsNs ? 1 : 0))
        {
            if (x.Name.NamespaceName is not (ZeebeNs or WorkflowsNs))
            {
                continue;
            }

            switch (x.Name.LocalName)
            {
                case "taskDefinition":
                    var type = Attr(x, "type");
                    if (type is null)
                    {
                        Error("TASK_TYPE_MISSING", node.Id, x, "taskDefinition has no type");
                        break;
                    }

                    node.Task = new TaskDefinition(
                        Expression(type, x, "type"),
                        int.TryParse(Attr(x, "retries"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var retries) ? retries : 3,
                        string.Equals(Attr(x, "external"), "true", StringComparison.OrdinalIgnoreCase),
                        string.Equals(Attr(x, "async"), "true", StringComparison.OrdinalIgnoreCase));
                    break;
                case "assignmentDefinition" or "taskSchedule" or "priorityDefinition" or "userTask":
                    node.UserTask = MergeUserTask(node.UserTask, x);
                    break;
                case "form":
                    node.UserTask = MergeForm(node.UserTask, x, node.Id);
                    break;
                case "ioMapping":
                    foreach (var m in x.Elements())
                    {
                        var source = Attr(m, "source");
                        var target = Attr(m, "target");
                        if (source is null || target is null)
                        {
                            Error("MAPPING_INCOMPLETE", node.Id, m, $"an {m.Name.LocalName} mapping needs both source and target");
                            continue;
                        }

                        var mapping = new IoMapping(Expression(source, m, "source"), target);
                        (m.Name.LocalName == "output" ? node.Outputs : node.Inputs).Add(mapping);
                    }

                    break;
                case "calledElement":
                    var binding = Attr(x, "bindingType") ?? Attr(x, "binding") ?? "latest";
                    node.Call = new CallDefinition(
                        Expression(Attr(x, "processId") ?? "", x, "processId"),
                        binding switch
                        {
                            "versionTag" => CallBinding.VersionTag,
                            "deployment" => CallBinding.Deployment,
                            _ => CallBinding.Latest,
                        },
                        Attr(x, "versionTag"),
                        !string.Equals(Attr(x, "propagateAllChildVariables"), "false", StringComparison.OrdinalIgnoreCase),
                        !string.Equals(Attr(x, "propagateAllParentVariables"), "false", StringComparison.OrdinalIgnoreCase));
                    if (binding is not ("latest" or "versionTag" or "deployment"))
                    {
                        Error("CALL_BINDING_INVALID", node.Id, x, $"bindingType '{binding}' is not one of latest, versionTag, deployment");
                    }

                    break;
                case "script":
                    if (Attr(x, "expression") is { } expressionText && Feel(expressionText, x, "expression") is { } feel)
                    {
                        node.Script = new ScriptDefinition(feel, Attr(x, "resultVariable") ?? "");
                        if (string.IsNullOrEmpty(node.Script.ResultVariable))
                        {
                            Error("SCRIPT_RESULT_MISSING", node.Id, x, "a script needs a resultVariable");
                        }
                    }

                    break;
                case "taskHeaders":
                    foreach (var h in x.Elements())
                    {
                        if (Attr(h, "key") is { } key)
                        {
                            node.Headers[key] = Attr(h, "value") ?? "";
                        }
                    }

                    break;
                case "versionTag":
                    process.VersionTag = Attr(x, "value");
                    break;
            }
        }

        ReadSlaAndCommitment(e, node);
    }

    private void ReadSlaAndCommitment(XElement e, FlowNode node)
    {
        if (Extension(e, "sla", WorkflowsNs) is { } sla)
        {
            if (Attr(sla, "target") is not { } target)
            {
                Error("SLA_TARGET_MISSING", node.Id, sla, "an sla needs a target duration");
            }
            else if (ReadClock(ClockKind.Sla, target, Attr(sla, "warnings"), Attr(sla, "calendar"), sla, node) is { } clock)
            {
                node.Sla = new SlaDefinition(clock);
            }
        }

        if (Extension(e, "commitment", WorkflowsNs) is { } c)
        {
            var level = int.TryParse(Attr(c, "level"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : 0;
            var target = Attr(c, "target") ?? Attr(c, "budget");
            if (level is < 1 or > 3 || target is null)
            {
                Error("COMMITMENT_INVALID", node.Id, c, "a commitment needs a level of 1, 2 or 3 and a target (or budget)");
            }
            else
            {
                // An unreadable target is the commitment check's to report, with the path it is on.
                var clock = TryParseDuration(target, out _) is not null
                    ? ReadClock(ClockKind.Commitment, target, Attr(c, "warnings") ?? "75%", Attr(c, "calendar"), c, node)
                    : null;
                node.Commitment = new CommitmentDefinition(level, Attr(c, "name"), target, Attr(c, "department"), Attr(c, "calendar"), Attr(c, "timeZone")) { Clock = clock };
            }
        }

        if (Extension(e, "satisfaction", WorkflowsNs) is { } score)
        {
            if (Attr(score, "score") is { } expression)
            {
                node.SatisfactionScore = Expression(expression, score, "score", alwaysFeel: true);
            }
            else
            {
                Error("SATISFACTION_INVALID", node.Id, score, "wf:satisfaction needs a score expression (e.g. score=\"=survey.score\")");
            }
        }

        if (Extension(e, "pauseClocks", WorkflowsNs) is { } pause)
        {
            node.PauseReason = Attr(pause, "reason");
            if (string.IsNullOrWhiteSpace(node.PauseReason))
            {
                Error("PAUSE_REASON_MISSING", node.Id, pause, "wf:pauseClocks needs a reason from the pause-reason catalogue");
            }
        }
    }

    private SatisfactionPolicy? ReadSatisfactionPolicy(XElement e, string processId)
    {
        if (Extension(e, "satisfactionPolicy", WorkflowsNs) is not { } x)
        {
            return null;
        }

        var threshold = decimal.TryParse(Attr(x, "threshold"), NumberStyles.Number, CultureInfo.InvariantCulture, out var t) ? t : (decimal?)null;
        var queue = Attr(x, "queue");
        var priority = int.TryParse(Attr(x, "priority") ?? "90", NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p : -1;
        if (threshold is null || string.IsNullOrWhiteSpace(queue) || priority is < 0 or > 100)
        {
            Error("SATISFACTION_INVALID", processId, x, "wf:satisfactionPolicy needs a numeric threshold, a recovery queue and a priority from 0 to 100 (default 90)");
            return null;
        }

        return new SatisfactionPolicy(threshold.Value, queue, priority, Attr(x, "variable") ?? "satisfaction");
    }

    private static Calendars.BusinessDuration? TryParseDuration(string text, out string? error)
    {
        try
        {
            error = null;
            return Calendars.BusinessDuration.Parse(text);
        }
        catch (FormatException e)
        {
            error = e.Message;
            return null;
        }
    }

    private ClockDefinition? ReadClock(ClockKind kind, string target, string? warnings, string? calendar, XElement x, FlowNode node)
    {
        var ok = true;
        var duration = TryParseDuration(target, out var error);
        if (duration is null)
        {
            Error("SLA_INVALID", node.Id, x, $"the target: {error}");
            ok = false;
        }

        decimal? Percent(string text, string what)
        {
            var trimmed = text.Trim().TrimEnd('%');
            if (decimal.TryParse(trimmed, NumberStyles.Number, CultureInfo.InvariantCulture, out var value) && value > 0)
            {
                return value;
            }

            Error("SLA_INVALID", node.Id, x, $"{what} '{text}' is not a percentage of the target such as 75%");
            ok = false;
            return null;
        }

        var thresholds = new List<decimal>();
        foreach (var w in (warnings ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Percent(w, "the warning") is { } value)
            {
                thresholds.Add(value);
            }
        }

        var ladder = new List<EscalationRung>();
        foreach (var rung in x.Elements(XName.Get("escalate", WorkflowsNs)))
        {
            var at = Attr(rung, "at") ?? "breach";
            var percent = at.Equals("breach", StringComparison.OrdinalIgnoreCase) ? 100m : Percent(at, "the escalation's at");
            int? priority = null;
            if (Attr(rung, "priority") is { } p)
            {
                if (int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value is >= 0 and <= 100)
                {
                    priority = value;
                }
                else
                {
                    Error("SLA_INVALID", node.Id, rung, $"the escalation's priority '{p}' is not a number from 0 to 100");
                    ok = false;
                }
            }

            TimeSpan? repeat = null;
            if (Attr(rung, "repeat") is { } r)
            {
                repeat = Workflows.Engine.Feel.FeelBuiltins.ParseDuration(r) as TimeSpan?;
                if (repeat is not { } span || span <= TimeSpan.Zero)
                {
                    Error("SLA_INVALID", node.Id, rung, $"the escalation's repeat '{r}' is not a positive ISO 8601 duration such as PT2H");
                    ok = false;
                }
            }

            var publish = string.Equals(Attr(rung, "publish"), "true", StringComparison.OrdinalIgnoreCase);
            var code = Attr(rung, "escalationCode");
            var queue = Attr(rung, "queue");
            if (priority is null && queue is null && code is null && !publish)
            {
                Error("SLA_INVALID", node.Id, rung, "an escalation rung needs at least one action: priority, queue, escalationCode or publish=\"true\"");
                ok = false;
            }

            if (percent is { } value2)
            {
                ladder.Add(new EscalationRung(value2, priority, queue, code, publish, repeat));
            }
        }

        if (ladder.GroupBy(r => r.AtPercent).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            Error("SLA_INVALID", node.Id, x, $"two escalation rungs fire at {twice.Key}%; put their actions on one rung");
            ok = false;
        }

        var calendarExpression = calendar is null ? null : Expression(calendar, x, "calendar");
        return ok ? new ClockDefinition(kind, duration!, thresholds, calendarExpression, ladder.OrderBy(r => r.AtPercent).ToList()) : null;
    }

    private UserTaskDefinition MergeUserTask(UserTaskDefinition? existing, XElement x)
    {
        existing ??= new UserTaskDefinition();
        ModelExpression? Get(string attribute, ModelExpression? current) =>
            Attr(x, attribute) is { } text ? Expression(text, x, attribute) : current;

        return new UserTaskDefinition
        {
            Assignee = Get("assignee", existing.Assignee),
            CandidateGroups = Get("candidateGroups", existing.CandidateGroups),
            CandidateUsers = Get("candidateUsers", existing.CandidateUsers),
            Priority = Get("priority", existing.Priority),
            DueDate = Get("dueDate", existing.DueDate),
            FollowUpDate = Get("followUpDate", existing.FollowUpDate),
            FormFields = existing.FormFields,
        };
    }

    private UserTaskDefinition MergeForm(UserTaskDefinition? existing, XElement form, string elementId)
    {
        var fields = new List<FormField>();
        foreach (var f in form.Elements(XName.Get("field", WorkflowsNs)))
        {
            var id = Attr(f, "id");
            var type = Attr(f, "type") ?? "string";
            if (id is null)
            {
                Error("FORM_FIELD_INVALID", elementId, f, "a form field needs an id");
                continue;
            }

            if (type is not ("string" or "number" or "boolean" or "date" or "enum"))
            {
                Error("FORM_FIELD_INVALID", elementId, f, $"form field '{id}' has type '{type}'; use string, number, boolean, date or enum");
            }

            var values = (Attr(f, "values") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            fields.Add(new FormField(id, Attr(f, "label") ?? id, type, string.Equals(Attr(f, "required"), "true", StringComparison.OrdinalIgnoreCase), values));
        }

        existing ??= new UserTaskDefinition();
        return new UserTaskDefinition
        {
            Assignee = existing.Assignee,
            CandidateGroups = existing.CandidateGroups,
            CandidateUsers = existing.CandidateUsers,
            Priority = existing.Priority,
            DueDate = existing.DueDate,
            FollowUpDate = existing.FollowUpDate,
            FormFields = fields,
        };
    }

    private void ReadLoop(XElement e, FlowNode node)
    {
        if (e.Element(XName.Get("standardLoopCharacteristics", BpmnNs)) is not null)
        {
            _document.Count("standardLoopCharacteristics");
            Error("LOOP_UNSUPPORTED", node.Id, e, "standard loops are not supported; use a multi-instance or a gateway loop");
        }

        if (e.Element(XName.Get("multiInstanceLoopCharacteristics", BpmnNs)) is not { } mi)
        {
            return;
        }

        _document.Count("multiInstanceLoopCharacteristics");
        var loop = Extension(mi, "loopCharacteristics");
        var completion = mi.Element(XName.Get("completionCondition", BpmnNs))?.Value.Trim();
        var cardinality = mi.Element(XName.Get("loopCardinality", BpmnNs))?.Value.Trim();
        node.MultiInstance = new MultiInstanceDefinition(
            string.Equals(Attr(mi, "isSequential"), "true", StringComparison.OrdinalIgnoreCase),
            Attr(loop, "inputCollection") is { } input ? Expression(input, mi, "inputCollection", alwaysFeel: true) : null,
            Attr(loop, "inputElement"),
            Attr(loop, "outputCollection"),
            Attr(loop, "outputElement") is { } output ? Expression(output, mi, "outputElement", alwaysFeel: true) : null,
            string.IsNullOrEmpty(completion) ? null : Expression(completion, mi, "completionCondition", alwaysFeel: true),
            string.IsNullOrEmpty(cardinality) ? null : Expression(cardinality, mi, "loopCardinality", alwaysFeel: true));
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

    private ModelExpression Expression(string text, XElement e, string attribute, bool alwaysFeel = false)
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

    private static XElement? Extension(XElement? e, string localName, string? onlyNamespace = null)
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

    private static string? Attr(XElement? e, string name) => e?.Attribute(name)?.Value;

    private static SourcePosition Pos(XElement e) => e is IXmlLineInfo info && info.HasLineInfo() ? new SourcePosition(info.LineNumber, info.LinePosition) : default;

    private void Error(string code, string? elementId, XElement e, string message) => Error(code, elementId, Pos(e), message);

    private void Error(string code, string? elementId, SourcePosition position, string message) =>
        Error(code, elementId, position.Line, position.Column, message);

    private void Error(string code, string? elementId, int line, int column, string message) =>
        _findings.Add(new ValidationFinding(FindingSeverity.Error, code, elementId, line, column, message));

    private void Warning(string code, string? elementId, int line, int column, string message) =>
        _findings.Add(new ValidationFinding(FindingSeverity.Warning, code, elementId, line, column, message));
}
