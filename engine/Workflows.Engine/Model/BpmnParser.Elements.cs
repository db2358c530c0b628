using System.Globalization;
using System.Xml.Linq;

namespace Workflows.Engine.Model;

/// <summary>Flow nodes: their event definitions, timers, Zeebe and engine extensions, forms and multi-instance loops.</summary>
internal sealed partial class BpmnParser
{
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
            IsForCompensation = string.Equals(Attr(e, "isForCompensation"), "true", StringComparison.OrdinalIgnoreCase),
        };

        if (node.Id.Length == 0)
        {
            Error("ID_MISSING", null, e, $"a {e.Name.LocalName} has no id");
        }

        if (kind == NodeKind.BoundaryEvent)
        {
            node.IsInterrupting = Flag(e, "cancelActivity", true, node.Id);
        }
        else if (kind == NodeKind.StartEvent)
        {
            node.IsInterrupting = Flag(e, "isInterrupting", true, node.Id);
        }

        ReadEventDefinitions(e, node);
        if (kind == NodeKind.BoundaryEvent && !node.IsInterrupting && node.Event?.Type == EventType.Error)
        {
            Error("BOUNDARY_ALWAYS_INTERRUPTS", node.Id, e, "an error boundary event always interrupts its activity (BPMN, Camunda 7 and 8): cancelActivity=\"false\" cannot be run");
        }

        ReadExtensions(e, node, process);
        ReadLoop(e, node);
        if (kind == NodeKind.AdHocSubProcess)
        {
            ReadAdHoc(e, node);
        }
        else if (kind == NodeKind.ComplexGateway)
        {
            ReadComplexGateway(e, node);
        }

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
                "conditionalEventDefinition" => ReadConditional(d, node.Id),
                "compensateEventDefinition" => new EventDefinition { Type = EventType.Compensate, ActivityRef = Attr(d, "activityRef") },
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
        // BPMN allows one of the three; Camunda refuses a definition with two, and one of them would be silently ignored.
        var given = d.Elements().Where(c => c.Name.Namespace == BpmnNs && c.Name.LocalName is "timeDate" or "timeDuration" or "timeCycle").ToList();
        if (given.Count > 1)
        {
            Error("TIMER_AMBIGUOUS", elementId, given[1], $"the timer has {string.Join(" and ", given.Select(g => g.Name.LocalName))}; give exactly one");
        }

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
            else if (expression.IsStatic && kind == TimerKind.Cycle && CronSchedule.LooksLikeCron(text) && CronSchedule.Parse(text, out _) is { NumbersDaysOfWeek: true } cron)
            {
                // Read as Camunda 8 reads it; a model written for Camunda 7 (Quartz: 1 = Sunday) would run a day later
                // here, without a word, so the days it runs on are said.
                var position = Pos(value);
                Warning("TIMER_CRON_DAY_NUMBERS", elementId, position.Line, position.Column,
                    $"the timeCycle '{text}' numbers its days of the week as Camunda 8 (Spring's cron) does, 1 = Monday … 6 = Saturday, "
                    + $"0 or 7 = Sunday: it fires on {string.Join(", ", cron.DaysOfWeek())}. Camunda 7 (Quartz) numbers them from 1 = Sunday; "
                    + "write the days by name (MON-FRI) so that the model reads one way only");
            }

            if (kind == TimerKind.Cycle && !CycleRepeats(d))
            {
                // Camunda 8 documents a cycle only where it can repeat; Camunda 7 runs one elsewhere as its first firing, and so
                // does this engine: a warning, since the repetition the model shows never happens.
                var where = d.Parent?.Name.LocalName == "boundaryEvent" ? "an interrupting boundary event" : $"bpmn:{d.Parent?.Name.LocalName}";
                var position = Pos(value);
                Warning("TIMER_CYCLE_NOT_REPEATED", elementId, position.Line, position.Column,
                    $"the timeCycle '{text}' on {where} fires once, at its first due time, and never repeats; give a timeDuration or timeDate");
            }

            return new TimerDefinition(kind, expression);
        }

        return null;
    }

    // Where Camunda 8 takes a cycle: a start event (of the process or of an event sub-process) and a non-interrupting boundary event.
    private static bool CycleRepeats(XElement timerDefinition) => timerDefinition.Parent switch
    {
        { Name.LocalName: "startEvent" } => true,
        { Name.LocalName: "boundaryEvent" } boundary => string.Equals(Attr(boundary, "cancelActivity")?.Trim(), "false", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    // zeebe:taskDefinition retries: a whole number (0 or more), or a FEEL expression evaluated when the job is made (as Zeebe).
    private (int Retries, ModelExpression? Expression) ReadRetries(XElement taskDefinition, string elementId)
    {
        if (Attr(taskDefinition, "retries")?.Trim() is not { } text)
        {
            return (3, null);
        }

        if (text.StartsWith('='))
        {
            var expression = Expression(text, taskDefinition, "retries");
            return expression.Feel is null ? (3, null) : (3, expression);
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var retries)
            ? (retries, null)
            : ErrorValue((3, (ModelExpression?)null), "TASK_RETRIES_INVALID", elementId, taskDefinition,
                $"retries=\"{text}\" is not a whole number of retries (0 or more) nor a FEEL expression (=...)");
    }

    // A boolean attribute: true or false (any case), else an error naming it, never a silent default.
    internal bool Flag(XElement e, string name, bool fallback, string? elementId)
    {
        var text = Attr(e, name)?.Trim();
        if (text is null)
        {
            return fallback;
        }

        if (bool.TryParse(text, out var value))
        {
            return value;
        }

        return ErrorValue(fallback, "ATTRIBUTE_INVALID", elementId, e, $"{name}=\"{text}\" on {e.Name.LocalName} is neither true nor false");
    }

    // A mapping target: a variable name, or a dotted path of names into a context (Zeebe's target paths).
    private static bool IsVariablePath(string target) =>
        target.Split('.') is var parts && parts.All(p => p.Length > 0 && (char.IsLetter(p[0]) || p[0] is '_' or '$')
            && p.All(c => char.IsLetterOrDigit(c) || c is '_' or '$'));

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

                    var (retries, retriesExpression) = ReadRetries(x, node.Id);
                    node.Task = new TaskDefinition(
                        Expression(type, x, "type"),
                        retries,
                        Flag(x, "external", false, node.Id),
                        Flag(x, "async", false, node.Id),
                        retriesExpression);
                    break;
                case "assignmentDefinition" or "taskSchedule" or "priorityDefinition" or "userTask":
                    node.UserTask = MergeUserTask(node.UserTask, x);
                    break;
                case "form" when x.Name.NamespaceName == WorkflowsNs:
                    node.UserTask = MergeForm(node.UserTask, x, node.Id);
                    break;
                case "formDefinition" when x.Name.NamespaceName == ZeebeNs:
                    node.UserTask = (node.UserTask ?? new UserTaskDefinition()) with { CamundaForm = ReadCamundaForm(e, x, node.Id) };
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

                        if (!IsVariablePath(target))
                        {
                            Error("MAPPING_TARGET_INVALID", node.Id, m, $"the {m.Name.LocalName} mapping's target '{target}' is no variable name or dotted path of names (such as order.total)");
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
                        Flag(x, "propagateAllChildVariables", true, node.Id),
                        Flag(x, "propagateAllParentVariables", true, node.Id));
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

        OnElementRead(e, node);
    }

    private UserTaskDefinition MergeUserTask(UserTaskDefinition? existing, XElement x)
    {
        existing ??= new UserTaskDefinition();
        ModelExpression? Get(string attribute, ModelExpression? current) =>
            Attr(x, attribute) is { } text ? Expression(text, x, attribute) : current;

        return existing with
        {
            Assignee = Get("assignee", existing.Assignee),
            CandidateGroups = Get("candidateGroups", existing.CandidateGroups),
            CandidateUsers = Get("candidateUsers", existing.CandidateUsers),
            Priority = Get("priority", existing.Priority),
            DueDate = Get("dueDate", existing.DueDate),
            FollowUpDate = Get("followUpDate", existing.FollowUpDate),
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
            fields.Add(new FormField(id, Attr(f, "label") ?? id, type, string.Equals(Attr(f, "required"), "true", StringComparison.OrdinalIgnoreCase), values)
            {
                Min = FieldNumber(f, "min", id, elementId),
                Max = FieldNumber(f, "max", id, elementId),
                MinLength = (int?)FieldNumber(f, "minLength", id, elementId),
                MaxLength = (int?)FieldNumber(f, "maxLength", id, elementId),
                Pattern = Attr(f, "pattern") is { Length: > 0 } pattern
                    ? Forms.FormValidator.Compile(pattern) is null ? ErrorValue<string?>(null, "FORM_FIELD_INVALID", elementId, f, $"form field '{id}' has the pattern '{pattern}', which is not a regular expression") : pattern
                    : null,
            });
        }

        return (existing ?? new UserTaskDefinition()) with { FormFields = fields };
    }

    private decimal? FieldNumber(XElement field, string attribute, string id, string elementId) =>
        Attr(field, attribute) is not { } text ? null
        : decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var value)
            && (attribute is not ("minLength" or "maxLength") || (value >= 0 && value <= int.MaxValue && value == decimal.Truncate(value))) ? value
        : ErrorValue<decimal?>(null, "FORM_FIELD_INVALID", elementId, field, $"form field '{id}' has {attribute}=\"{text}\", which is not a{(attribute.EndsWith("Length", StringComparison.Ordinal) ? " whole" : "")} number");

    private void ReadLoop(XElement e, FlowNode node)
    {
        if (e.Element(XName.Get("standardLoopCharacteristics", BpmnNs)) is { } standard)
        {
            ReadStandardLoop(standard, node);
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
            Flag(mi, "isSequential", false, node.Id),
            Attr(loop, "inputCollection") is { } input ? Expression(input, mi, "inputCollection", alwaysFeel: true) : null,
            Attr(loop, "inputElement"),
            Attr(loop, "outputCollection"),
            Attr(loop, "outputElement") is { } output ? Expression(output, mi, "outputElement", alwaysFeel: true) : null,
            string.IsNullOrEmpty(completion) ? null : Expression(completion, mi, "completionCondition", alwaysFeel: true),
            string.IsNullOrEmpty(cardinality) ? null : Expression(cardinality, mi, "loopCardinality", alwaysFeel: true));
    }
}
