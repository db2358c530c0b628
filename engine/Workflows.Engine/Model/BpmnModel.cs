using Workflows.Engine.Feel;

namespace Workflows.Engine.Model;

internal enum NodeKind
{
    Process,
    StartEvent,
    EndEvent,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    BoundaryEvent,
    Task,
    UserTask,
    ServiceTask,
    SendTask,
    ReceiveTask,
    ScriptTask,
    ManualTask,
    BusinessRuleTask,
    ExclusiveGateway,
    ParallelGateway,
    InclusiveGateway,
    EventBasedGateway,
    ComplexGateway,
    SubProcess,
    Transaction,
    AdHocSubProcess,
    CallActivity,
}

internal enum EventType
{
    None,
    Message,
    Timer,
    Signal,
    Error,
    Escalation,
    Terminate,
    Conditional,
    Compensate,
    Link,
    Cancel,
    Multiple,
}

internal enum TimerKind
{
    Date,
    Duration,
    Cycle,
}

/// <summary>Where an element stands in the XML, for findings that name line and column.</summary>
internal readonly record struct SourcePosition(int Line, int Column)
{
    public override string ToString() => $"{Line}:{Column}";
}

/// <summary>An expression in the model: FEEL when it starts with '=', otherwise a static text value.</summary>
internal sealed record ModelExpression(string Text, FeelExpression? Feel)
{
    public bool IsStatic => Feel is null;
}

internal sealed record IoMapping(ModelExpression Source, string Target);

internal sealed record TimerDefinition(TimerKind Kind, ModelExpression Value);

/// <summary>A message; <paramref name="TimeToLive"/> (<c>wf:publish</c>) is how long it waits for a subscription when the engine sends it.</summary>
internal sealed record MessageDefinition(string Id, ModelExpression Name, ModelExpression? CorrelationKey, TimeSpan TimeToLive = default);

internal sealed record SignalDefinition(string Id, ModelExpression Name);

internal sealed record ErrorDefinition(string Id, string? Name, string? Code);

internal sealed record EscalationDefinition(string Id, string? Name, string? Code);

/// <summary>Which changes of a variable make a conditional event evaluate its condition again (<c>zeebe:conditionalFilter variableEvents</c>).</summary>
[Flags]
internal enum VariableEvents
{
    None = 0,
    Create = 1,
    Update = 2,
    All = Create | Update,
}

/// <summary>A conditional event's condition and its <c>zeebe:conditionalFilter</c>.</summary>
/// <param name="Condition">The FEEL condition.</param>
/// <param name="VariableNames">The variables whose changes evaluate it (<c>variableNames</c>); null: any variable change in its scope (Camunda 8.9).</param>
/// <param name="Events">The kinds of change that evaluate it (<c>variableEvents</c>).</param>
internal sealed record ConditionDefinition(ModelExpression Condition, IReadOnlySet<string>? VariableNames, VariableEvents Events = VariableEvents.All);

internal sealed class EventDefinition
{
    public EventType Type { get; init; }

    public MessageDefinition? Message { get; init; }

    public TimerDefinition? Timer { get; init; }

    public SignalDefinition? Signal { get; init; }

    /// <summary>For error events; null on a catch means "catch every error".</summary>
    public ErrorDefinition? Error { get; init; }

    /// <summary>For escalation events; null on a catch means "catch every escalation".</summary>
    public EscalationDefinition? Escalation { get; init; }

    public string? LinkName { get; init; }

    /// <summary>For compensation throw events: the one activity to compensate; null compensates the whole scope.</summary>
    public string? ActivityRef { get; init; }
    /// <summary>For conditional events; null when the definition has no (FEEL) condition.</summary>
    public ConditionDefinition? Condition { get; init; }
}

/// <summary>A task's type and retries. <paramref name="External"/>: always a job for an outside worker;
/// <paramref name="Async"/>: a job for the engine's own executor even when an in-process handler exists.</summary>
/// <summary>A job's type and retries; <paramref name="RetriesExpression"/>, when given, is evaluated when the job is made and wins over <paramref name="Retries"/>.</summary>
internal sealed record TaskDefinition(ModelExpression Type, int Retries, bool External, bool Async = false, ModelExpression? RetriesExpression = null);

/// <summary>A <c>wf:form</c> field; its bounds are those of a Camunda Form's field (<c>min</c>/<c>max</c> for numbers, lengths and a pattern for texts).</summary>
internal sealed record FormField(string Id, string Label, string Type, bool Required, IReadOnlyList<string> Values)
{
    public decimal? Min { get; init; }

    public decimal? Max { get; init; }

    public int? MinLength { get; init; }

    public int? MaxLength { get; init; }

    public string? Pattern { get; init; }
}

internal sealed record UserTaskDefinition
{
    public ModelExpression? Assignee { get; init; }

    public ModelExpression? CandidateGroups { get; init; }

    public ModelExpression? CandidateUsers { get; init; }

    public ModelExpression? Priority { get; init; }

    public ModelExpression? DueDate { get; init; }

    public ModelExpression? FollowUpDate { get; init; }

    public IReadOnlyList<FormField> FormFields { get; init; } = [];

    /// <summary>A Camunda Form (<c>zeebe:formDefinition</c>); <see cref="FormFields"/> (<c>wf:form</c>) win over it.</summary>
    public Forms.TaskFormSchema? CamundaForm { get; init; }
}

internal enum CallBinding
{
    Latest,
    VersionTag,
    Deployment,
}

internal sealed record CallDefinition(ModelExpression ProcessId, CallBinding Binding, string? VersionTag, bool PropagateAllChildVariables, bool PropagateAllParentVariables);

internal sealed record ScriptDefinition(FeelExpression Expression, string ResultVariable);

internal sealed record MultiInstanceDefinition(
    bool IsSequential,
    ModelExpression? InputCollection,
    string? InputElement,
    string? OutputCollection,
    ModelExpression? OutputElement,
    ModelExpression? CompletionCondition,
    ModelExpression? LoopCardinality);

/// <summary>
/// A standard loop (<c>bpmn:standardLoopCharacteristics</c>): the activity runs pass after pass while
/// <paramref name="Condition"/> holds, tested before each pass (<paramref name="TestBefore"/>, a while loop) or
/// after it (a do-while loop, the default); <paramref name="Maximum"/> caps the number of passes.
/// </summary>
internal sealed record StandardLoopDefinition(ModelExpression? Condition, bool TestBefore, int? Maximum);

/// <summary>
/// An ad-hoc sub-process as Camunda 8.8 runs it: the inner elements named by <paramref name="ActiveElements"/>
/// (<c>zeebe:adHoc activeElementsCollection</c>) start on entry; <paramref name="CompletionCondition"/> and
/// <paramref name="CancelRemainingInstances"/> say when it ends.
/// </summary>
internal sealed record AdHocDefinition(ModelExpression? ActiveElements, ModelExpression? CompletionCondition, bool CancelRemainingInstances);

internal sealed class SequenceFlow
{
    public required string Id { get; init; }

    public string? Name { get; init; }

    public required FlowNode Source { get; init; }

    public required FlowNode Target { get; init; }

    public ModelExpression? Condition { get; init; }

    public SourcePosition Position { get; init; }
}

internal sealed class Lane
{
    public required string Id { get; init; }

    public string? Name { get; init; }

    public List<string> FlowNodeIds { get; } = [];
}

/// <summary>A node of a process graph; processes and sub-processes are scope nodes with children.</summary>
internal sealed class FlowNode
{
    public required string Id { get; init; }

    public string? Name { get; init; }

    public required NodeKind Kind { get; init; }

    /// <summary>The BPMN element's local name (<c>userTask</c>, <c>startEvent</c>…), as counted in the XML.</summary>
    public required string ElementName { get; init; }

    public SourcePosition Position { get; init; }

    /// <summary>The enclosing scope: the process node or a sub-process. Null for the process itself.</summary>
    public FlowNode? Parent { get; set; }

    public List<FlowNode> Children { get; } = [];

    public List<SequenceFlow> Incoming { get; } = [];

    public List<SequenceFlow> Outgoing { get; } = [];

    public string? DefaultFlowId { get; set; }

    public SequenceFlow? DefaultFlow { get; set; }

    public EventDefinition? Event { get; set; }

    /// <summary>How many event definitions the XML had; more than one makes a "multiple" event.</summary>
    public int EventDefinitionCount { get; set; }

    /// <summary>Start events of event sub-processes, and boundary events (cancelActivity).</summary>
    public bool IsInterrupting { get; set; } = true;

    public string? AttachedToId { get; set; }

    public FlowNode? AttachedTo { get; set; }

    public List<FlowNode> Boundaries { get; } = [];

    public bool TriggeredByEvent { get; set; }

    public TaskDefinition? Task { get; set; }

    public UserTaskDefinition? UserTask { get; set; }

    public List<IoMapping> Inputs { get; } = [];

    public List<IoMapping> Outputs { get; } = [];

    public ScriptDefinition? Script { get; set; }

    public CallDefinition? Call { get; set; }

    public MultiInstanceDefinition? MultiInstance { get; set; }

    public StandardLoopDefinition? StandardLoop { get; set; }

    /// <summary>A loop body runs the element: multi-instance or a standard loop.</summary>
    public bool IsLoop => MultiInstance is not null || StandardLoop is not null;

    public AdHocDefinition? AdHoc { get; set; }

    /// <summary>A complex gateway's join condition (<c>bpmn:activationCondition</c>).</summary>
    public ModelExpression? ActivationCondition { get; set; }

    // What modules' parse listeners read on this element (Modules.IBpmnParseListener); null while none did.
    private object[]? _parts;

    /// <summary>The part of type <typeparamref name="T"/> a module's parse listener kept for this element; null when none.</summary>
    public T? Part<T>()
        where T : class => Modules.ModuleParts.Find<T>(_parts);

    /// <summary>Keeps a module's part for this element (one of each type), at parse time only.</summary>
    public T AddPart<T>(T part)
        where T : class => Modules.ModuleParts.Add(ref _parts, part);

    public Dictionary<string, string> Headers { get; } = new(StringComparer.Ordinal);

    /// <summary>A compensation handler: run only when its activity is compensated, never reached by a token.</summary>
    public bool IsForCompensation { get; set; }

    /// <summary>The handler associated with this activity's compensation boundary event, if it has one.</summary>
    public FlowNode? CompensationHandler { get; set; }

    /// <summary>The event sub-process with a compensation start event in this scope, if it has one.</summary>
    public FlowNode? CompensationEventSubProcess =>
        EventSubProcesses.FirstOrDefault(s => s.Children.Exists(c => c.Kind == NodeKind.StartEvent && c.Event?.Type == EventType.Compensate));

    /// <summary>Send and receive tasks name their message directly.</summary>
    public MessageDefinition? Message { get; set; }

    public bool IsScope => Kind is NodeKind.Process or NodeKind.SubProcess or NodeKind.Transaction or NodeKind.AdHocSubProcess;

    public bool IsActivity => Kind is NodeKind.Task or NodeKind.UserTask or NodeKind.ServiceTask or NodeKind.SendTask
        or NodeKind.ReceiveTask or NodeKind.ScriptTask or NodeKind.ManualTask or NodeKind.BusinessRuleTask
        or NodeKind.SubProcess or NodeKind.Transaction or NodeKind.AdHocSubProcess or NodeKind.CallActivity;

    public bool IsGateway => Kind is NodeKind.ExclusiveGateway or NodeKind.ParallelGateway or NodeKind.InclusiveGateway
        or NodeKind.EventBasedGateway or NodeKind.ComplexGateway;

    /// <summary>The none start event of a scope, where a plain activation begins.</summary>
    public FlowNode? NoneStart { get; set; }

    /// <summary>Event sub-processes directly inside this scope.</summary>
    public List<FlowNode> EventSubProcesses { get; } = [];

    /// <summary>
    /// For an inclusive join: the nodes of the same scope from which a token can still reach this
    /// join without passing through it. Computed once per definition; the join waits only while a
    /// token stands on one of them.
    /// </summary>
    public HashSet<FlowNode>? Upstream { get; set; }

    public override string ToString() => $"{ElementName} '{Id}'";
}

/// <summary>A process of a BPMN document, with its element graph resolved.</summary>
internal sealed class ProcessModel
{
    public required string Id { get; init; }

    public string? Name { get; init; }

    public bool IsExecutable { get; init; }

    public string? VersionTag { get; set; }

    public required FlowNode Root { get; init; }

    public Dictionary<string, FlowNode> Nodes { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, SequenceFlow> Flows { get; } = new(StringComparer.Ordinal);

    public List<Lane> Lanes { get; } = [];

    // What modules' parse listeners read on the process as a whole; null while none did.
    private object[]? _parts;

    /// <summary>The part of type <typeparamref name="T"/> a module's parse listener kept for this process; null when none.</summary>
    public T? Part<T>()
        where T : class => Modules.ModuleParts.Find<T>(_parts);

    /// <summary>Keeps a module's part for this process (one of each type), at parse time only.</summary>
    public T AddPart<T>(T part)
        where T : class => Modules.ModuleParts.Add(ref _parts, part);

    /// <summary>Where a task's or clock's customer and branch come from (<c>wf:journey</c>); by default the <c>customerId</c> and <c>branch</c> variables.</summary>
    public ModelExpression CustomerId { get; set; } = new("=customerId", Feel.FeelExpression.Parse("customerId"));

    /// <inheritdoc cref="CustomerId"/>
    public ModelExpression Branch { get; set; } = new("=branch", Feel.FeelExpression.Parse("branch"));

    /// <inheritdoc cref="CustomerId"/>
    public ModelExpression Tenant { get; set; } = new("=tenant", Feel.FeelExpression.Parse("tenant"));

    /// <summary>Start events directly in the process (not in event sub-processes).</summary>
    public IEnumerable<FlowNode> StartEvents => Root.Children.Where(n => n.Kind == NodeKind.StartEvent);

    public FlowNode Node(string id) => Nodes[id];
}

internal sealed record Participant(string Id, string? Name, string? ProcessRef);

internal sealed record MessageFlow(string Id, string? Name, string SourceRef, string TargetRef, string? MessageRef);

/// <summary>The rectangle of a shape in the diagram interchange, for overlays in the designer.</summary>
internal readonly record struct ShapeBounds(double X, double Y, double Width, double Height);

/// <summary>Everything read from one BPMN XML document.</summary>
internal sealed class BpmnDocument
{
    public List<ProcessModel> Processes { get; } = [];

    public List<Participant> Participants { get; } = [];

    public List<MessageFlow> MessageFlows { get; } = [];

    public Dictionary<string, MessageDefinition> Messages { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, SignalDefinition> Signals { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, ErrorDefinition> Errors { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, EscalationDefinition> Escalations { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, ShapeBounds> Shapes { get; } = new(StringComparer.Ordinal);

    /// <summary>How many BPMN elements of each local name the importer read into this model.</summary>
    public Dictionary<string, int> ElementCounts { get; } = new(StringComparer.Ordinal);

    public void Count(string elementName) =>
        ElementCounts[elementName] = ElementCounts.GetValueOrDefault(elementName) + 1;
}
