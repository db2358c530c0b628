using System.Xml;
using System.Xml.Linq;
using Workflows.Engine.Validation;

namespace Workflows.Engine.Model;

/// <summary>
/// Nothing in a model is silently ignored: every BPMN element, attribute and extension the engine
/// does not execute becomes a finding at deploy, naming the element and line. Documentation and
/// diagram content (documentation, annotations, groups, lanes, data objects, the DI) is not
/// "unexecuted": it carries no behaviour, so it is no finding.
/// </summary>
/// <remarks>
/// In an executable process, content whose absence changes what the process does (execution and
/// task listeners, BPMN-native multi-instance data, an instantiating receive or event gateway,
/// parallel-multiple events, multi-instance event behaviours) is an error; everything else is a warning, as it is in descriptive processes.
/// Attributes and extensions of modelling tools (colours, layout, vendor metadata) are neither read nor
/// reported; those of other engines (Camunda 7, Activiti, Flowable, jBPM) are reported, since an
/// analyst may expect them to run.
/// </remarks>
internal static class BpmnCoverage
{
    private static readonly XNamespace s_bpmn = BpmnParser.BpmnNs;

    // Elements the engine reads and runs; their children are checked in turn.
    private static readonly HashSet<string> s_executed =
    [
        "definitions", "process", "message", "signal", "error", "escalation", "collaboration", "participant", "messageFlow",
        "sequenceFlow", "conditionExpression",
        "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
        "task", "userTask", "serviceTask", "sendTask", "receiveTask", "scriptTask", "manualTask", "businessRuleTask",
        "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "subProcess", "transaction", "callActivity",
        "messageEventDefinition", "timerEventDefinition", "signalEventDefinition", "errorEventDefinition",
        "escalationEventDefinition", "terminateEventDefinition", "linkEventDefinition", "compensateEventDefinition", "cancelEventDefinition",
        "timeDate", "timeDuration", "timeCycle", "multiInstanceLoopCharacteristics", "loopCardinality", "completionCondition", "script",
        "standardLoopCharacteristics", "loopCondition", "adHocSubProcess", "complexGateway", "activationCondition",
        "conditionalEventDefinition", "condition",
    ];

    // Documentation and structure without behaviour: no finding, and nothing inside them is checked.
    private static readonly HashSet<string> s_descriptive =
    [
        "documentation", "textAnnotation", "text", "association", "group", "category", "categoryValue", "laneSet", "lane",
        "flowNodeRef", "childLaneSet", "incoming", "outgoing", "import", "itemDefinition", "extension", "relationship",
        "dataObject", "dataObjectReference", "dataStore", "dataStoreReference", "dataState", "participantMultiplicity",
        "source", "target", "conversation", "conversationLink", "callConversation", "subConversation",
    ];

    // Unread BPMN content whose absence changes what an executable process does.
    private static readonly HashSet<string> s_semanticElements =
    [
        "loopDataInputRef", "loopDataOutputRef", "inputDataItem", "outputDataItem", "complexBehaviorDefinition",
    ];

    // BPMN attributes read, or descriptive (the engine's behaviour does not depend on them).
    private static readonly HashSet<string> s_readAttributes =
    [
        "id", "name", "isExecutable", "isClosed", "processType", "definitionalCollaborationRef", "default", "attachedToRef",
        "cancelActivity", "isInterrupting", "triggeredByEvent", "calledElement", "messageRef", "signalRef", "errorRef",
        "escalationRef", "errorCode", "escalationCode", "structureRef", "itemRef", "sourceRef", "targetRef", "isImmediate",
        "gatewayDirection", "isSequential", "scriptFormat", "language", "evaluatesToTypeRef", "method", "processRef",
        "dataObjectRef", "dataStoreRef", "categoryValueRef", "associationDirection", "textFormat", "isCollection",
        "itemSubjectRef", "value", "capacity", "isUnlimited", "isHorizontal", "resultVariable",
        "isForCompensation", "activityRef", "testBefore", "loopMaximum", "cancelRemainingInstances",
    ];

    // Attributes whose default value is what the engine does; any other value is not executed.
    private static readonly Dictionary<string, (string[] Defaults, bool Semantic)> s_defaultOnly = new(StringComparer.Ordinal)
    {
        // Warnings only: Zeebe ignores the quantities too; a compensation throw always waits for its
        // handlers (as in Camunda 8), so waitForCompletion="false" is not executed.
        ["startQuantity"] = (["1"], false),
        ["completionQuantity"] = (["1"], false),
        ["waitForCompletion"] = (["true"], false),
        ["instantiate"] = (["false"], true),
        ["parallelMultiple"] = (["false"], true),
        ["eventGatewayType"] = (["Exclusive"], true),
        ["behavior"] = (["All"], true),
        ["ordering"] = (["Parallel"], true),
        ["implementation"] = (["##WebService", "##unspecified", "##unspecified##", "Other", "##Other"], false),
    };

    // The engine's extensions, by the BPMN element that may carry them (see docs/bpmn-extensions.md); with those the
    // modules' parse listeners declare they read (Modules.EngineModules.ParseListeners).
    private static readonly HashSet<string> s_flowNodeExtensions = WithModules(
    [
        "taskDefinition", "assignmentDefinition", "taskSchedule", "priorityDefinition", "userTask", "form", "ioMapping",
        "calledElement", "script", "taskHeaders", "versionTag", "adHoc", "formDefinition",

        // The words a customer reads for a step in the tracker, read by the host (docs/forms.md).
        "customerStep",
    ], l => l.NodeExtensions);

    private static readonly Dictionary<string, HashSet<string>> s_extensionsByParent = new(StringComparer.Ordinal)
    {
        ["process"] = WithModules(["versionTag", "journey", "caseData", "userTaskForm"], l => l.ProcessExtensions),
        ["message"] = ["subscription", "publish"],
        ["multiInstanceLoopCharacteristics"] = ["loopCharacteristics"],
        ["conditionalEventDefinition"] = ["conditionalFilter"],

        // A called decision is read on a business rule task only (Decisions.CalledDecisionParseListener).
        ["businessRuleTask"] = [.. s_flowNodeExtensions, "calledDecision"],
    };

    // What a gateway runs of the flow-node extensions: no job, form, mapping or call (Zeebe maps no variables on gateways).
    private static readonly HashSet<string> s_gatewayExtensions = [.. s_flowNodeExtensions.Except(
    [
        "taskDefinition", "assignmentDefinition", "taskSchedule", "priorityDefinition", "userTask", "form", "ioMapping",
        "calledElement", "script", "taskHeaders", "adHoc", "formDefinition",
    ])];

    // The attributes the engine reads on its core Zeebe/wf extensions (and on their children); any other is reported.
    private static readonly Dictionary<string, HashSet<string>> s_extensionAttributes = new(StringComparer.Ordinal)
    {
        ["taskDefinition"] = ["type", "retries", "external", "async"],
        ["calledElement"] = ["processId", "propagateAllChildVariables", "propagateAllParentVariables", "bindingType", "binding", "versionTag"],
        ["conditionalFilter"] = ["variableNames", "variableEvents"],
        ["loopCharacteristics"] = ["inputCollection", "inputElement", "outputCollection", "outputElement"],
        ["input"] = ["source", "target"],
        ["output"] = ["source", "target"],
        ["header"] = ["key", "value"],
    };

    // Zeebe extensions that change behaviour when not run; other unread Zeebe extensions are warnings
    // (a business rule task without a called decision or a job type is an error already).
    private static readonly HashSet<string> s_semanticZeebe = ["executionListeners", "taskListeners"];

    // Zeebe metadata for the modeller and element templates, not for the engine.
    private static readonly HashSet<string> s_zeebeDescriptive = ["properties", "modelerTemplate", "modelerTemplateVersion", "modelerTemplateIcon"];

    // Namespaces of other engines: their extensions look executable, so they are reported.
    private static readonly HashSet<string> s_otherEngines =
    [
        "http://camunda.org/schema/1.0/bpmn", "http://activiti.org/bpmn", "http://flowable.org/bpmn", "http://www.jboss.org/drools",
    ];

    private static HashSet<string> WithModules(HashSet<string> core, Func<Modules.IBpmnParseListener, IReadOnlyCollection<string>> read)
    {
        foreach (var listener in Modules.EngineModules.ParseListeners)
        {
            core.UnionWith(read(listener));
        }

        return core;
    }

    public static void Check(XElement definitions, List<ValidationFinding> findings) =>
        Visit(definitions, executable: false, findings);

    private static void Visit(XElement e, bool executable, List<ValidationFinding> findings)
    {
        if (e.Name.LocalName == "process" && e.Name.Namespace == s_bpmn)
        {
            executable = string.Equals((string?)e.Attribute("isExecutable"), "true", StringComparison.OrdinalIgnoreCase);
        }

        CheckAttributes(e, executable, findings);
        foreach (var child in e.Elements())
        {
            if (child.Name.Namespace != s_bpmn)
            {
                CheckForeign(child, e, executable, findings);
                continue;
            }

            var name = child.Name.LocalName;
            if (name == "extensionElements")
            {
                CheckExtensions(child, e, executable, findings);
            }
            else if (s_executed.Contains(name))
            {
                Visit(child, executable, findings);
            }
            else if (!s_descriptive.Contains(name))
            {
                var semantic = executable && s_semanticElements.Contains(name);
                Add(findings, semantic ? FindingSeverity.Error : FindingSeverity.Warning, "ELEMENT_NOT_EXECUTED", child,
                    $"bpmn:{name} is not executed by this engine{Hint(name)}");
            }
        }
    }

    private static void CheckAttributes(XElement e, bool executable, List<ValidationFinding> findings)
    {
        foreach (var attribute in e.Attributes())
        {
            if (attribute.IsNamespaceDeclaration)
            {
                continue;
            }

            var ns = attribute.Name.NamespaceName;
            var name = attribute.Name.LocalName;
            if (ns.Length == 0)
            {
                if (s_readAttributes.Contains(name) || e.Name.LocalName == "definitions" || e.Name.Namespace != s_bpmn)
                {
                    continue;
                }

                if (s_defaultOnly.TryGetValue(name, out var rule))
                {
                    if (!rule.Defaults.Contains(attribute.Value.Trim(), StringComparer.Ordinal))
                    {
                        Add(findings, rule.Semantic && executable ? FindingSeverity.Error : FindingSeverity.Warning, "ATTRIBUTE_NOT_EXECUTED", e,
                            $"{name}=\"{attribute.Value}\" on bpmn:{e.Name.LocalName} is not executed by this engine (it behaves as {name}=\"{rule.Defaults[0]}\")");
                    }

                    continue;
                }

                Add(findings, FindingSeverity.Warning, "ATTRIBUTE_NOT_EXECUTED", e, $"the attribute {name} on bpmn:{e.Name.LocalName} is not executed by this engine");
            }
            else if (ns == BpmnParser.BpmnNs)
            {
                // The parser reads BPMN attributes unqualified: bpmn:name is not the name.
                Add(findings, FindingSeverity.Warning, "ATTRIBUTE_NOT_EXECUTED", e,
                    $"the attribute bpmn:{name} on bpmn:{e.Name.LocalName} is not read: BPMN attributes are written without a prefix");
            }
            else if (ns is BpmnParser.ZeebeNs or BpmnParser.WorkflowsNs && !s_zeebeDescriptive.Contains(name))
            {
                Add(findings, FindingSeverity.Warning, "EXTENSION_NOT_EXECUTED", e, $"the attribute {Prefix(ns)}:{name} on bpmn:{e.Name.LocalName} is not read by this engine");
            }
            else if (s_otherEngines.Contains(ns))
            {
                Add(findings, FindingSeverity.Warning, "EXTENSION_NOT_EXECUTED", e,
                    $"the attribute {name} of another engine ({ns}) on bpmn:{e.Name.LocalName} is not executed; use the zeebe: or wf: extensions (docs/bpmn-extensions.md)");
            }
        }
    }

    private static void CheckExtensions(XElement extensionElements, XElement owner, bool executable, List<ValidationFinding> findings)
    {
        var allowed = s_extensionsByParent.GetValueOrDefault(owner.Name.LocalName)
            ?? (!IsFlowNode(owner) ? [] : owner.Name.LocalName.EndsWith("Gateway", StringComparison.Ordinal) ? s_gatewayExtensions : s_flowNodeExtensions);
        foreach (var x in extensionElements.Elements())
        {
            var ns = x.Name.NamespaceName;
            var name = x.Name.LocalName;
            if (ns is BpmnParser.ZeebeNs or BpmnParser.WorkflowsNs)
            {
                if (allowed.Contains(name))
                {
                    CheckExtensionAttributes(x, findings);
                    continue;
                }

                if (s_zeebeDescriptive.Contains(name))
                {
                    continue;
                }

                var semantic = executable && s_semanticZeebe.Contains(name);
                Add(findings, semantic ? FindingSeverity.Error : FindingSeverity.Warning, "EXTENSION_NOT_EXECUTED", x,
                    $"{Prefix(ns)}:{name} on bpmn:{owner.Name.LocalName} is not executed by this engine{Hint(name)}");
            }
            else if (s_otherEngines.Contains(ns))
            {
                Add(findings, FindingSeverity.Warning, "EXTENSION_NOT_EXECUTED", x,
                    $"the extension {name} of another engine ({ns}) is not executed; use the zeebe: or wf: extensions (docs/bpmn-extensions.md)");
            }
        }
    }

    // An attribute of a core extension (or of its mappings and headers) the engine does not read, such as priority on a task definition.
    private static void CheckExtensionAttributes(XElement extension, List<ValidationFinding> findings)
    {
        foreach (var e in extension.DescendantsAndSelf())
        {
            if (e.Name.NamespaceName is not (BpmnParser.ZeebeNs or BpmnParser.WorkflowsNs) || !s_extensionAttributes.TryGetValue(e.Name.LocalName, out var read))
            {
                continue;
            }

            foreach (var attribute in e.Attributes().Where(a => !a.IsNamespaceDeclaration && a.Name.Namespace == XNamespace.None && !read.Contains(a.Name.LocalName)))
            {
                Add(findings, FindingSeverity.Warning, "EXTENSION_NOT_EXECUTED", e,
                    $"the attribute {attribute.Name.LocalName} on {Prefix(e.Name.NamespaceName)}:{e.Name.LocalName} is not read by this engine (it reads {string.Join(", ", read)})");
            }
        }
    }

    // Elements of other namespaces outside extensionElements: reported only when another engine's.
    private static void CheckForeign(XElement child, XElement owner, bool executable, List<ValidationFinding> findings)
    {
        if (child.Name.Namespace == BpmnParser.BpmnDiNs || !(s_otherEngines.Contains(child.Name.NamespaceName)
            || child.Name.NamespaceName is BpmnParser.ZeebeNs or BpmnParser.WorkflowsNs))
        {
            return;
        }

        Add(findings, executable ? FindingSeverity.Error : FindingSeverity.Warning, "EXTENSION_NOT_EXECUTED", child,
            $"{child.Name.LocalName} ({child.Name.NamespaceName}) sits directly in bpmn:{owner.Name.LocalName}, outside extensionElements, and is not read");
    }

    private static bool IsFlowNode(XElement e) => e.Name.Namespace == s_bpmn && (e.Name.LocalName.EndsWith("Task", StringComparison.Ordinal)
        || e.Name.LocalName.EndsWith("Event", StringComparison.Ordinal) || e.Name.LocalName.EndsWith("Gateway", StringComparison.Ordinal)
        || e.Name.LocalName is "task" or "subProcess" or "transaction" or "callActivity" or "adHocSubProcess");

    private static string Prefix(string ns) => ns == BpmnParser.ZeebeNs ? "zeebe" : "wf";

    private static string Hint(string name) => name switch
    {
        "dataInputAssociation" or "dataOutputAssociation" or "ioSpecification" or "property" =>
            "; map variables with zeebe:ioMapping instead",
        "performer" or "humanPerformer" or "potentialOwner" => "; assign user tasks with zeebe:assignmentDefinition",
        "loopDataInputRef" or "loopDataOutputRef" or "inputDataItem" or "outputDataItem" =>
            "; give the collection with zeebe:loopCharacteristics inputCollection/inputElement/outputCollection/outputElement",
        "calledDecision" => "; a decision is called by a business rule task",
        "executionListeners" or "taskListeners" => "; listeners are not run, so the work they would do does not happen",
        _ => "",
    };

    private static void Add(List<ValidationFinding> findings, FindingSeverity severity, string code, XElement e, string message)
    {
        var owner = e.AncestorsAndSelf().FirstOrDefault(a => a.Name.Namespace == s_bpmn && a.Attribute("id") is not null);
        var info = (IXmlLineInfo)e;
        findings.Add(new ValidationFinding(severity, code, (string?)owner?.Attribute("id"), info.LineNumber, info.LinePosition, message));
    }
}
