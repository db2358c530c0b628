namespace Workflows.Engine.MassTransit;

// The messages on the bus. They are part of the public API: a worker or another engine in another process
// references this assembly and reads and writes exactly these shapes. Variables travel as a JSON object.

/// <summary>
/// A BPMN message one instance sends (send task, message throw or end event), published from the outbox:
/// every engine's queue receives it; the engine that runs <see cref="Handoff.TargetProcessId"/> (or any, when
/// the model names no target) starts or continues an instance with it.
/// </summary>
public sealed record WorkflowMessage
{
    /// <summary>The message name the receiving model waits for.</summary>
    public required string Name { get; init; }

    /// <summary>The key a waiting instance is found by; a started instance takes it as its business key.</summary>
    public string? CorrelationKey { get; init; }

    /// <summary>The variables the message carries, as a JSON object.</summary>
    public string VariablesJson { get; init; } = "{}";

    /// <summary>How long the receiver buffers the message when nothing waits for it yet; zero refuses it then.</summary>
    public TimeSpan TimeToLive { get; init; }

    /// <summary>Whose case it is, the customer's promise and the trace context.</summary>
    public Handoff Handoff { get; init; } = new();

    /// <summary>The element that sent it.</summary>
    public string? SourceElementId { get; init; }

    /// <summary>When the sending command committed.</summary>
    public DateTimeOffset SentAt { get; init; }
}

/// <summary>A notification for people and other systems (an SLA rung's <c>SlaWarning</c> or <c>SlaBreached</c>); no engine consumes it.</summary>
public sealed record WorkflowNotification
{
    /// <summary>What happened, e.g. <c>SlaBreached</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The instance it is about.</summary>
    public Guid InstanceId { get; init; }

    /// <summary>The element whose clock it is about.</summary>
    public string? ElementId { get; init; }

    /// <summary>The details, as a JSON object.</summary>
    public string VariablesJson { get; init; } = "{}";

    /// <summary>Whose case it is, the customer's promise and the trace context.</summary>
    public Handoff Handoff { get; init; } = new();

    /// <summary>When the command that raised it committed.</summary>
    public DateTimeOffset SentAt { get; init; }
}

/// <summary>A job for an outside worker, sent to the queue named after its <see cref="Type"/>.</summary>
public sealed record JobRequest
{
    /// <summary>The job; the worker answers with it.</summary>
    public Guid JobId { get; init; }

    /// <summary>The service task's type.</summary>
    public required string Type { get; init; }

    /// <summary>The instance the task belongs to.</summary>
    public Guid InstanceId { get; init; }

    /// <summary>The service task's element id.</summary>
    public required string ElementId { get; init; }

    /// <summary>The instance's business key.</summary>
    public string? BusinessKey { get; init; }

    /// <summary>The variables visible at the task, as a JSON object.</summary>
    public string VariablesJson { get; init; } = "{}";

    /// <summary>The task headers from the model.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>Retries left, this attempt included.</summary>
    public int Retries { get; init; }

    /// <summary>How many attempts failed before this one.</summary>
    public int Failures { get; init; }

    /// <summary>The queue of the engine that waits for the answer.</summary>
    public required string ReplyTo { get; init; }
}

/// <summary>A worker finished a job; its variables continue the instance.</summary>
public sealed record JobCompleted
{
    /// <summary>The job.</summary>
    public Guid JobId { get; init; }

    /// <summary>The result variables, as a JSON object.</summary>
    public string VariablesJson { get; init; } = "{}";

    /// <summary>Who did it (machine and process), for the history.</summary>
    public string? Worker { get; init; }
}

/// <summary>A worker could not do a job: it is retried after a back-off while retries remain, then becomes an incident.</summary>
public sealed record JobFailed
{
    /// <summary>The job.</summary>
    public Guid JobId { get; init; }

    /// <summary>Why it failed.</summary>
    public required string ErrorMessage { get; init; }

    /// <summary>Retries left after this failure; by default one fewer than the job had.</summary>
    public int? Retries { get; init; }

    /// <summary>When to try again; by default the engine's back-off, doubled with every failure.</summary>
    public TimeSpan? RetryBackoff { get; init; }
}

/// <summary>A worker raised a business error: the model's error boundary or event sub-process with that code catches it.</summary>
public sealed record JobErrorThrown
{
    /// <summary>The job.</summary>
    public Guid JobId { get; init; }

    /// <summary>The BPMN error code.</summary>
    public required string ErrorCode { get; init; }

    /// <summary>What went wrong, for the history.</summary>
    public string? ErrorMessage { get; init; }
}
