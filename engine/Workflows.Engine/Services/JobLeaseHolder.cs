namespace Workflows.Engine.Services;

/// <summary>
/// One worker's answers to the jobs it leased (<see cref="WorkflowJobs.AsLeaseHolder"/>): each is accepted only while
/// the worker holds the job's live lease, and the worker is recorded as the actor of the job's history rows.
/// </summary>
/// <remarks>
/// An answer is refused with <see cref="WorkflowConflictException"/> naming why: the job is not leased (never activated,
/// or its lease was released), its lease ran out (another worker may have taken it: activate it again), or another
/// worker holds it. A job that is gone is <see cref="WorkflowNotFoundException"/>. The check is made in the answer's
/// command; an answer that arrives in the last instant of its lease can still meet a new activation of the job, in
/// which case the later answer finds the job gone (404) and changes nothing.
/// </remarks>
public sealed class JobLeaseHolder
{
    private readonly WorkflowJobs _jobs;

    internal JobLeaseHolder(WorkflowJobs jobs, string worker)
    {
        _jobs = jobs;
        Worker = worker;
    }

    /// <summary>The lease holder the activations named.</summary>
    public string Worker { get; }

    /// <summary>Completes a job the worker holds, with its result variables.</summary>
    public Task CompleteAsync(Guid jobId, IReadOnlyDictionary<string, object?>? variables = null, CancellationToken cancellationToken = default) =>
        _jobs.CompleteByAsync(jobId, variables, Worker, cancellationToken, leased: true);

    /// <summary>Reports a failure of a job the worker holds (see <see cref="WorkflowJobs.FailAsync"/>).</summary>
    public Task FailAsync(Guid jobId, string errorMessage, int? retries = null, TimeSpan? backoff = null, CancellationToken cancellationToken = default) =>
        _jobs.FailByAsync(jobId, errorMessage, retries, backoff, Worker, cancellationToken);

    /// <summary>Throws a BPMN error from a job the worker holds; the catching event sets <paramref name="variables"/>.</summary>
    public Task ThrowErrorAsync(Guid jobId, string errorCode, string? errorMessage = null, IReadOnlyDictionary<string, object?>? variables = null, CancellationToken cancellationToken = default) =>
        _jobs.ThrowErrorByAsync(jobId, errorCode, errorMessage, variables, Worker, cancellationToken);

    /// <summary>Moves the deadline of the worker's live lease on a job to <paramref name="timeout"/> from now.</summary>
    public Task<DateTimeOffset> ExtendTimeoutAsync(Guid jobId, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        _jobs.ExtendTimeoutByAsync(jobId, timeout, Worker, cancellationToken);
}
