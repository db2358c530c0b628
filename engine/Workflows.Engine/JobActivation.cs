namespace Workflows.Engine;

/// <summary>A worker's request for jobs of one type (Camunda 8's job activation is the model).</summary>
/// <param name="Type">The job type, as the service task's <c>taskDefinition</c> names it.</param>
/// <param name="Worker">The worker's name, for the lease, the history and the deployment's warnings.</param>
public sealed record JobActivation(string Type, string Worker)
{
    /// <summary>At most this many jobs are leased in one call (1 by default).</summary>
    public int MaxJobs { get; init; } = 1;

    /// <summary>How long the leased jobs stay the worker's: after that another worker may take them (5 minutes by default).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long to wait for a job when none is due (long polling; zero, the default, answers at once). The wait holds
    /// no thread and no connection: a job of the type created on this node wakes it, the store is read again every
    /// <see cref="Services.WorkflowWorkerOptions.PollInterval"/> otherwise.
    /// </summary>
    public TimeSpan RequestTimeout { get; init; }

    /// <summary>Only jobs of instances of this branch, when given.</summary>
    public string? Branch { get; init; }

    /// <summary>The variables to hand out, when given (all of the job's scope otherwise).</summary>
    public IReadOnlyCollection<string>? FetchVariables { get; init; }

    /// <summary>
    /// Who holds the leases, and alone may answer the jobs through <see cref="Services.WorkflowJobs.AsLeaseHolder"/>:
    /// <see cref="Worker"/> when not given. A host sets the caller's authenticated identity here (the HTTP API: the
    /// token's <c>sub</c>), so that a worker's chosen name cannot stand in for another worker.
    /// </summary>
    public string? LeaseHolder { get; init; }
}

/// <summary>A job leased to a worker until <see cref="Deadline"/>.</summary>
/// <param name="Id">The job: its answer names it.</param>
/// <param name="InstanceId">The instance waiting for it.</param>
/// <param name="ProcessId">The instance's process.</param>
/// <param name="BusinessKey">The instance's business key.</param>
/// <param name="ElementId">The service task.</param>
/// <param name="Type">The job type.</param>
/// <param name="Retries">The retries left.</param>
/// <param name="Deadline">When the lease runs out and another worker may take the job.</param>
/// <param name="Variables">The variables of the task's scope when the job was created (those asked for).</param>
/// <param name="Headers">The task's headers.</param>
public sealed record ActivatedJob(Guid Id, Guid InstanceId, string? ProcessId, string? BusinessKey, string ElementId, string Type, int Retries, DateTimeOffset Deadline,
    IReadOnlyDictionary<string, object?> Variables, IReadOnlyDictionary<string, string> Headers);

/// <summary>The last worker that asked for jobs of a type, and when.</summary>
public sealed record JobWorkerInfo(string Type, string Worker, DateTimeOffset LastActivatedAt);
