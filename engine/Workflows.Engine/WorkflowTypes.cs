using System.Text.Json.Serialization;
using Workflows.Engine.Runtime;
using Workflows.Engine.Validation;

namespace Workflows.Engine;

/// <summary>What a deployment produced: one entry per process in the document, and the validation report.</summary>
public sealed record DeploymentResult(Guid DeploymentId, IReadOnlyList<DeployedProcess> Processes, ValidationReport Report)
{
    /// <summary>The decisions of the deployment's DMN documents, each a new version or the one that already had its model.</summary>
    public IReadOnlyList<DeployedDecision> Decisions { get; init; } = [];
}

/// <summary>A process version. <see cref="IsNew"/> is false when the same model was deployed before (the same canonical form, whatever its layout or formatting).</summary>
public sealed record DeployedProcess(string ProcessId, int Version, Guid DefinitionId, string? VersionTag, bool IsNew)
{
    /// <summary>
    /// True when the model was unchanged but its XML was not (a moved shape, another designer's formatting or prefixes):
    /// the version keeps its number and its stored XML becomes the new one.
    /// </summary>
    public bool DiagramReplaced { get; init; }
}

/// <summary>A deployed version of a process.</summary>
public sealed record DefinitionInfo(Guid Id, string ProcessId, int Version, string? VersionTag, Guid DeploymentId, DateTimeOffset DeployedAt, string? DeployedBy);

/// <summary>A request to start an instance of the latest version of a process.</summary>
/// <param name="ProcessId">The BPMN process id.</param>
public sealed record StartInstance(string ProcessId)
{
    /// <summary>The business key (a complaint number, an order id) that the instance is known by.</summary>
    public string? BusinessKey { get; init; }

    /// <summary>Initial process variables.</summary>
    public IReadOnlyDictionary<string, object?>? Variables { get; init; }

    /// <summary>A specific version to start; null starts the branch's pinned version, else the latest.</summary>
    public int? Version { get; init; }

    /// <summary>
    /// The branch the journey starts for (see <see cref="Branch"/>): its pinned version is started and the instance
    /// gets the variables <c>branch</c>, <c>calendar</c> and <c>branchSettings</c>, unless <see cref="Variables"/> sets them.
    /// </summary>
    public string? Branch { get; init; }

    /// <summary>
    /// Whether <see cref="BusinessKey"/> must be unique: the start is refused with <see cref="BusinessKeyInUseException"/>
    /// while another active instance of the process (any version), or an active top-level instance of any process (the
    /// other office's journey a message with the key started), has that key.
    /// </summary>
    /// <remarks>
    /// The key is held by a row the start commits with the instance and the instance's end deletes, the same lock a
    /// message start with a correlation key takes (so two starts racing on two nodes collide on it, and a message start
    /// with that key waits for the instance to end). Off by default, as in Camunda; a host that lets callers choose the
    /// key a back office answers to (the journeys' <c>caseId</c>) turns it on.
    /// </remarks>
    public bool UniqueBusinessKey { get; init; }

    /// <summary>
    /// When set, a start retried with the same key (and request) answers the first start's instance and starts no other
    /// (<see cref="StartIdempotency"/>); null (the default) starts a new instance every time.
    /// </summary>
    public StartIdempotency? Idempotency { get; init; }
}

/// <summary>A message to correlate, with Camunda 8 semantics.</summary>
/// <param name="Name">The message name the model subscribes to.</param>
/// <param name="CorrelationKey">Matched against the subscription's correlation key expression.</param>
/// <remarks>
/// A message with a <see cref="TimeToLive"/> that finds no open subscription is buffered and
/// correlated to a subscription that opens before it expires. A message with a <see cref="MessageId"/>
/// is refused while another message with the same id is still buffered, so publishing twice
/// correlates once.
/// </remarks>
public sealed record PublishMessage(string Name, string CorrelationKey)
{
    /// <summary>Variables the message carries into the instance.</summary>
    public IReadOnlyDictionary<string, object?>? Variables { get; init; }

    /// <summary>An id for de-duplication.</summary>
    public string? MessageId { get; init; }

    /// <summary>How long the message waits for a subscription. Default zero: not buffered.</summary>
    public TimeSpan TimeToLive { get; init; }

    /// <summary>
    /// When set, a message that nothing takes (no waiting instance, no message start, no time-to-live) is refused
    /// with <see cref="WorkflowNotFoundException"/> and leaves no trace, instead of being accepted and forgotten.
    /// </summary>
    public bool MustCorrelate { get; init; }

    /// <summary>Where the message comes from, when another instance sent it: the receiving instance sees it as the <c>handoff</c> variable.</summary>
    public Handoff? Handoff { get; init; }

    /// <summary>
    /// The branch a process this message starts runs for: the version the branch pinned starts (else the latest), with
    /// the variables <c>branch</c>, <c>calendar</c> and <c>branchSettings</c>. When null, a <see cref="Handoff"/>'s branch
    /// counts; without either, the latest version starts for no branch. It does not limit which waiting instances take
    /// the message (see <see cref="OnlyBranch"/>).
    /// </summary>
    /// <exception cref="WorkflowNotFoundException">
    /// Thrown by the correlation when no branch has that id, whether or not a process starts on the message: nothing is
    /// correlated or buffered for a branch nobody set up.
    /// </exception>
    public string? Branch { get; init; }

    /// <summary>
    /// When set, only instances of this branch take the message and no process starts on it: a caller who works for one
    /// branch cannot move another branch's instance, nor start a department's process that only a handoff starts.
    /// </summary>
    public string? OnlyBranch { get; init; }
}

/// <summary>
/// What a message carries across a front-office/back-office handoff besides its variables: whose case it
/// is, the level-1 promise made to the customer (so the receiver measures its own budget against it) and
/// the trace context of the command that sent it.
/// </summary>
public sealed partial record Handoff
{
    /// <summary>The sending instance.</summary>
    public Guid? SourceInstanceId { get; init; }

    /// <summary>The sending instance's process id.</summary>
    public string? SourceProcessId { get; init; }

    /// <summary>The process the collaboration's message flow targets, if the model says; another engine ignores the message.</summary>
    public string? TargetProcessId { get; init; }

    /// <summary>The sending instance's business key.</summary>
    public string? BusinessKey { get; init; }

    /// <summary>The sending instance's branch (<c>wf:journey</c>).</summary>
    public string? Branch { get; init; }

    /// <summary>The sending instance's tenant (<c>wf:journey</c>).</summary>
    public string? Tenant { get; init; }

    /// <summary>The W3C <c>traceparent</c> of the command that sent the message.</summary>
    public string? TraceParent { get; init; }

    /// <summary>The W3C <c>tracestate</c> that goes with <see cref="TraceParent"/>.</summary>
    public string? TraceState { get; init; }
}

/// <summary>Which instances to list; every filter set must hold.</summary>
public sealed record InstanceQuery
{
    /// <summary>The process (journey) id.</summary>
    public string? ProcessId { get; init; }

    /// <summary>The business key.</summary>
    public string? BusinessKey { get; init; }

    /// <summary>The branch, from the process's <c>wf:journey</c> mapping.</summary>
    public string? Branch { get; init; }

    /// <summary>The customer, from the same mapping.</summary>
    public string? CustomerId { get; init; }

    /// <summary>The status.</summary>
    public ProcessInstanceStatus? Status { get; init; }

    /// <summary>At most this many, newest first (default 50).</summary>
    public int Max { get; init; } = 50;

    /// <summary>The definition version, with <see cref="ProcessId"/>.</summary>
    public int? Version { get; init; }

    /// <summary>True: only instances with an open incident; false: only those without.</summary>
    public bool? HasIncident { get; init; }

    /// <summary>Filters on variables the journey declares searchable (<c>wf:searchable</c>); every one must hold.</summary>
    public IReadOnlyList<VariableFilter> Variables { get; init; } = [];

    /// <summary>The <see cref="InstancePage.NextCursor"/> of the previous page; null for the first.</summary>
    public string? Cursor { get; init; }
}

/// <summary>An instance in a list: who and where, without its variables.</summary>
public sealed record InstanceSummary(Guid Id, string ProcessId, int Version, string? BusinessKey, string? Branch, string? CustomerId,
    ProcessInstanceStatus Status, DateTimeOffset StartedAt, DateTimeOffset? EndedAt);

/// <summary>What became of a published message.</summary>
public sealed record CorrelationResult(int CorrelatedInstances, int StartedInstances, bool Buffered, bool Duplicate);

/// <summary>A live element of an instance: where a token is.</summary>
public sealed record ActiveElement(string ElementId, long Key, string State);

/// <summary>A snapshot of an instance: where its tokens are and what its variables hold.</summary>
public sealed record ProcessInstanceSnapshot(
    Guid Id,
    string ProcessId,
    int Version,
    string? BusinessKey,
    ProcessInstanceStatus Status,
    IReadOnlyList<ActiveElement> ActiveElements,
    IReadOnlyDictionary<string, object?> Variables,
    IReadOnlyList<IncidentInfo> Incidents,
    DateTimeOffset StartedAt,
    DateTimeOffset? EndedAt,
    Guid? ParentInstanceId)
{
    /// <summary>The branch the instance runs for, from its process's <c>wf:journey</c> mapping.</summary>
    public string? Branch { get; init; }

    /// <summary>The customer whose case it is, from the same mapping.</summary>
    public string? CustomerId { get; init; }
}

/// <summary>An open user task.</summary>
public sealed partial record UserTaskInfo(
    Guid Id,
    Guid InstanceId,
    string ElementId,
    string? Name,
    string? BusinessKey,
    string? Assignee,
    IReadOnlyList<string> CandidateGroups,
    IReadOnlyList<string> CandidateUsers,
    int Priority,
    DateTimeOffset? DueDate,
    DateTimeOffset? FollowUpDate,
    DateTimeOffset CreatedAt)
{
    /// <summary>The process the task belongs to.</summary>
    public string ProcessId { get; init; } = "";

    /// <summary>The journey: the process's name, else its id.</summary>
    public string? Journey { get; init; }

    /// <summary>The customer, from the instance's <c>customerId</c> variable.</summary>
    public string? CustomerId { get; init; }

    /// <summary>The branch, from the instance's <c>branch</c> variable.</summary>
    public string? Branch { get; init; }

    /// <summary>The fields the agent fills in.</summary>
    public IReadOnlyList<TaskFormField> Form { get; init; } = [];

    /// <summary>
    /// The task's Camunda Form (form-js JSON, as the model embeds it with <c>zeebe:userTaskForm</c>), for a form-js viewer
    /// to render; null when the task has none or its form is the engine's own fields (the form's list of fields).
    /// </summary>
    public System.Text.Json.JsonElement? FormSchema { get; init; }
}

/// <summary>A field of a task's form.</summary>
/// <param name="Id">The variable the field sets.</param>
/// <param name="Label">What the agent reads.</param>
/// <param name="Type"><c>string</c>, <c>number</c>, <c>boolean</c>, <c>date</c> or <c>enum</c>; <c>list</c> for a Camunda Form's checklist or tag list.</param>
/// <param name="Required">Whether completion needs it.</param>
/// <param name="Values">An enum's options.</param>
public sealed record TaskFormField(string Id, string Label, string Type, bool Required, IReadOnlyList<string> Values)
{
    /// <summary>A Camunda Form's disabled field: shown from the case, never sent by the form, so no completion sets it.</summary>
    public bool Disabled { get; init; }
}

/// <summary>How a task list is sorted; each order ends on the task id, so that paging is stable.</summary>
public enum TaskSort
{
    /// <summary>Least SLA time left first (breached first), then priority, then age; tasks without a running clock last.</summary>
    SlaTimeLeft,

    /// <summary>Highest priority first, then oldest.</summary>
    Priority,

    /// <summary>Oldest first.</summary>
    Age,
}

/// <summary>A query over open tasks. Every filter that is set must hold.</summary>
public sealed partial record TaskQuery
{
    /// <summary>The queues (candidate groups) to look in; with <see cref="CandidateUser"/>, the tasks offered to that user too. Neither: all open tasks.</summary>
    public IReadOnlyList<string> Queues { get; init; } = [];

    /// <summary>Also the tasks that name this user as a candidate.</summary>
    public string? CandidateUser { get; init; }

    /// <summary>Only tasks held by this user.</summary>
    public string? Assignee { get; init; }

    /// <summary>True: only tasks nobody holds; false: only held ones.</summary>
    public bool? Unassigned { get; init; }

    /// <summary>Only tasks of this branch.</summary>
    public string? Branch { get; init; }

    /// <summary>Only tasks of this customer.</summary>
    public string? CustomerId { get; init; }

    /// <summary>Only tasks of instances with this business key.</summary>
    public string? BusinessKey { get; init; }

    /// <summary>Only tasks due before this instant.</summary>
    public DateTimeOffset? DueBefore { get; init; }

    /// <summary>The order. Default: SLA time left.</summary>
    public TaskSort Sort { get; init; } = TaskSort.SlaTimeLeft;

    /// <summary>Tasks per page, 1 to 500. Default 50.</summary>
    public int PageSize { get; init; } = 50;

    /// <summary>The <see cref="TaskPage.NextCursor"/> of the previous page; null for the first.</summary>
    public string? Cursor { get; init; }

    /// <summary>Filters on the variables of the task's instance that its journey declares searchable (<c>wf:searchable</c>); every one must hold.</summary>
    public IReadOnlyList<VariableFilter> Variables { get; init; } = [];

    // The filters read as the declared types, for the store.
    internal IReadOnlyList<Storage.VariableCondition> VariableConditions { get; init; } = [];
}

/// <summary>A page of tasks, and the cursor of the next page (null on the last).</summary>
public sealed record TaskPage(IReadOnlyList<UserTaskInfo> Tasks, string? NextCursor);

/// <summary>A job waiting for a worker.</summary>
public sealed record JobInfo(
    Guid Id,
    Guid InstanceId,
    string ElementId,
    string Type,
    int Retries,
    IReadOnlyDictionary<string, object?> Variables,
    IReadOnlyDictionary<string, string> Headers);

/// <summary>An open incident: a step that failed and waits for someone to fix and retry it.</summary>
public sealed record IncidentInfo(Guid Id, Guid InstanceId, string ElementId, string Message, DateTimeOffset CreatedAt);

/// <summary>A message the engine sent out (send task, message throw or end event).</summary>
public sealed record OutgoingMessage(Guid Id, Guid InstanceId, string ElementId, string Name, string? CorrelationKey, IReadOnlyDictionary<string, object?> Variables)
{
    /// <summary>Whether it is a message for a waiting or starting instance, or a notification for people and other systems.</summary>
    public OutgoingMessageKind Kind { get; init; }

    /// <summary>How long the receiver buffers it when nothing waits for it yet.</summary>
    public TimeSpan TimeToLive { get; init; }

    /// <summary>What the message carries across the handoff.</summary>
    public Handoff Handoff { get; init; } = new();

    /// <summary>When the outbox relay published it (or parked it); null while it waits.</summary>
    public DateTimeOffset? PublishedAt { get; init; }

    /// <summary>
    /// When it was parked: on the in-memory bus, the engines of the node gave it up more often than the bus's
    /// <c>MaxRedeliveries</c> allows; it is kept, and published again only by
    /// <see cref="Services.WorkflowOperations.SendParkedMessageAgainAsync"/>. Null unless parked.
    /// </summary>
    public DateTimeOffset? ParkedAt { get; init; }

    /// <summary>Why it was parked: how often it was given up, and the last failure.</summary>
    public string? ParkedReason { get; init; }
}

/// <summary>Which parked messages to list (<see cref="Services.WorkflowQueries.GetParkedMessagePageAsync"/>).</summary>
public sealed record ParkedMessageQuery
{
    /// <summary>Only the messages whose handoff names this branch; null for every branch's.</summary>
    public string? Branch { get; init; }

    /// <summary>The <see cref="ParkedMessagePage.NextCursor"/> of the page before; null for the first page.</summary>
    public string? After { get; init; }

    /// <summary>The most messages a page holds (1 to 10,000). Default 100.</summary>
    public int Max { get; init; } = 100;
}

/// <summary>A page of parked messages, the longest parked first.</summary>
/// <param name="Messages">The page's messages.</param>
/// <param name="NextCursor">What to pass as <see cref="ParkedMessageQuery.After"/> for the next page; null when this page is the last.</param>
public sealed record ParkedMessagePage(IReadOnlyList<OutgoingMessage> Messages, string? NextCursor);

/// <summary>What an outgoing message is for.</summary>
public enum OutgoingMessageKind
{
    /// <summary>A BPMN message (send task, message throw or end event): it starts or continues an instance.</summary>
    Message,

    /// <summary>A notification (an SLA rung's <c>SlaWarning</c> or <c>SlaBreached</c>): nothing correlates it.</summary>
    Notification,
}

/// <summary>One line of an instance's history.</summary>
public sealed record HistoryEntry(DateTimeOffset At, string Kind, string? ElementId, string? Actor, string? Detail);

/// <summary>What an in-process service-task handler is given.</summary>
public sealed class ServiceTaskContext
{
    internal ServiceTaskContext(Guid instanceId, string elementId, string? businessKey, string type, IReadOnlyDictionary<string, object?> variables, IReadOnlyDictionary<string, string> headers)
    {
        InstanceId = instanceId;
        ElementId = elementId;
        BusinessKey = businessKey;
        Type = type;
        Variables = variables;
        Headers = headers;
    }

    /// <summary>The instance the task belongs to.</summary>
    public Guid InstanceId { get; }

    /// <summary>The service task's element id.</summary>
    public string ElementId { get; }

    /// <summary>The instance's business key.</summary>
    public string? BusinessKey { get; }

    /// <summary>The task type the handler was registered for.</summary>
    public string Type { get; }

    /// <summary>The variables visible at the task (input mappings applied).</summary>
    public IReadOnlyDictionary<string, object?> Variables { get; }

    /// <summary>The task headers from the model.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }
}

/// <summary>
/// Runs a service task inside the engine's command. Return the variables to set, or null.
/// Throw <see cref="BpmnErrorException"/> to raise a BPMN error the model can catch; any other
/// exception becomes an incident and the step is retried when the incident is resolved.
/// </summary>
public delegate ValueTask<IReadOnlyDictionary<string, object?>?> ServiceTaskHandler(ServiceTaskContext context, CancellationToken cancellationToken);

/// <summary>A business error a handler or worker raises; error boundary events and event sub-processes catch it by code.</summary>
public sealed class BpmnErrorException(string errorCode, string? message = null) : Exception(message ?? $"BPMN error '{errorCode}'")
{
    /// <summary>The error code, matched against the model's error definitions.</summary>
    public string ErrorCode { get; } = errorCode;
}

/// <summary>Base of the errors the engine's API raises for a caller's mistake.</summary>
public class WorkflowException(string message) : Exception(message);

/// <summary>An id that names nothing: no such process, instance, task, job or incident.</summary>
public sealed class WorkflowNotFoundException(string message) : WorkflowException(message);

/// <summary>The request clashes with the current state: a task already completed, a closed instance.</summary>
public class WorkflowConflictException(string message) : WorkflowException(message);

/// <summary>
/// A command lost every concurrency race it was allowed (other commands kept committing the same instance first): nothing
/// was changed, and the same request may well succeed after <see cref="RetryAfter"/>.
/// </summary>
public sealed class CommandContendedException(string message, TimeSpan retryAfter) : WorkflowConflictException(message)
{
    /// <summary>When to try again.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>A start with <see cref="StartInstance.UniqueBusinessKey"/> met an active instance of the process that has the key.</summary>
public sealed class BusinessKeyInUseException(string processId, string businessKey, Guid? instanceId)
    : WorkflowConflictException($"business key '{businessKey}' is the key of active instance {instanceId?.ToString() ?? "(being started)"} of process '{processId}'; a key is unique while an instance that has it is active")
{
    /// <summary>The process of the active instance that has the key (the one started, or another one the key correlates).</summary>
    public string ProcessId { get; } = processId;

    /// <summary>The key asked for.</summary>
    public string BusinessKey { get; } = businessKey;

    /// <summary>The active instance that has it, when known.</summary>
    public Guid? InstanceId { get; } = instanceId;
}

/// <summary>Input of the wrong shape: a variable with no FEEL equivalent, an oversized payload.</summary>
public class WorkflowInputException(string message) : WorkflowException(message);

/// <summary>
/// The node's store was migrated by a newer build while the node ran: its code no longer fits the schema, so it takes no
/// command until it is restarted with that build. Whatever shares work with the newer nodes (a broker's queues) leaves it to them.
/// </summary>
public class NodeOutgrownException(string message) : Exception(message);

/// <summary>
/// A branch of the organisation (a shop, an agency, a call centre): the standard version of each journey it
/// runs, the calendar chain its clocks are measured on, and the local settings the journeys allow it.
/// </summary>
/// <param name="Id">A short id such as <c>paris-01</c>: letters, digits, '-' and '_'.</param>
/// <param name="Name">The name people know it by.</param>
public sealed record Branch(string Id, string Name)
{
    /// <summary>The calendar layer chain of its clocks, such as <c>group/country:FR/branch:paris-01</c>.</summary>
    public string Calendar { get; init; } = "group";

    /// <summary>The version of each journey (process id) the branch starts; a journey not pinned starts its latest version.</summary>
    public IReadOnlyDictionary<string, int> Pins { get; init; } = new Dictionary<string, int>();

    /// <summary>
    /// The version of each decision (DMN decision id) the branch's business rule tasks and evaluations use; a decision
    /// not pinned uses its latest version. A branch's admin pins one through the decisions service or the API.
    /// </summary>
    public IReadOnlyDictionary<string, int> DecisionPins { get; init; } = new Dictionary<string, int>();

    /// <summary>Local settings the journeys read as <c>branchSettings</c>, such as the front desk's authority amount.</summary>
    public IReadOnlyDictionary<string, decimal> Settings { get; init; } = new Dictionary<string, decimal>();

    /// <summary>
    /// The values the branch gave the parameters its journeys declare (<c>wf:parameter</c>), by process id then parameter
    /// name, as invariant text; a parameter not listed runs on the journey's standard value. Set them with
    /// <see cref="Services.WorkflowBranches.SetParametersAsync"/>, which checks them against the declared type and bounds.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Parameters { get; init; } = new Dictionary<string, IReadOnlyDictionary<string, string>>();

    /// <summary>How many times the branch was saved: the store's, read with the branch.</summary>
    [JsonIgnore]
    public long Revision { get; init; }
}

/// <summary>A buffered message whose time-to-live ran out before any instance took it.</summary>
public sealed record ExpiredMessage(string Name, string CorrelationKey, string? MessageId, DateTimeOffset ReceivedAt, DateTimeOffset ExpiredAt, IReadOnlyDictionary<string, object?> Variables);
