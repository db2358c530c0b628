using Workflows.Engine.Runtime;
using Workflows.Engine.Validation;

namespace Workflows.Engine;

/// <summary>What a deployment produced: one entry per process in the document, and the validation report.</summary>
public sealed record DeploymentResult(Guid DeploymentId, IReadOnlyList<DeployedProcess> Processes, ValidationReport Report);

/// <summary>A process version. <see cref="IsNew"/> is false when the same XML was deployed before (same checksum).</summary>
public sealed record DeployedProcess(string ProcessId, int Version, Guid DefinitionId, string? VersionTag, bool IsNew);

/// <summary>A request to start an instance of the latest version of a process.</summary>
/// <param name="ProcessId">The BPMN process id.</param>
public sealed record StartInstance(string ProcessId)
{
    /// <summary>The business key (a complaint number, an order id) that the instance is known by.</summary>
    public string? BusinessKey { get; init; }

    /// <summary>Initial process variables.</summary>
    public IReadOnlyDictionary<string, object?>? Variables { get; init; }

    /// <summary>A specific version to start; null starts the latest.</summary>
    public int? Version { get; init; }
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
}

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
    Guid? ParentInstanceId);

/// <summary>An open user task.</summary>
public sealed record UserTaskInfo(
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
    DateTimeOffset CreatedAt);

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
public sealed record OutgoingMessage(Guid Id, Guid InstanceId, string ElementId, string Name, string? CorrelationKey, IReadOnlyDictionary<string, object?> Variables);

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
public sealed class WorkflowConflictException(string message) : WorkflowException(message);

/// <summary>Input of the wrong shape: a variable with no FEEL equivalent, an oversized payload.</summary>
public class WorkflowInputException(string message) : WorkflowException(message);
