using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Services;

/// <summary>Jobs: the service-task work a worker outside the engine does, and the worker's answers to it.</summary>
/// <remarks>
/// A service task whose type has no in-process handler becomes a job. A worker reads the waiting jobs, does
/// the work outside any command, then answers with <see cref="CompleteAsync"/>, <see cref="FailAsync"/> or
/// <see cref="ThrowErrorAsync(Guid, string, string?, CancellationToken)"/>. An answer to a job that is gone (completed by another worker after a lease
/// ran out, or whose instance was cancelled) is refused with <see cref="WorkflowNotFoundException"/> or
/// <see cref="WorkflowConflictException"/> and changes nothing: delivery is at least once, effects exactly once.
/// </remarks>
public sealed partial class WorkflowJobs
{
    private readonly CommandRunner _runner;

    internal WorkflowJobs(CommandRunner runner)
    {
        _runner = runner;
        _runner.Committed += changes => _waiters.OnCommitted(changes, _runner.Time);
    }

    /// <summary>Jobs waiting for workers, optionally of one type or one instance.</summary>
    public async Task<IReadOnlyList<JobInfo>> GetWaitingAsync(string? type = null, Guid? instanceId = null, CancellationToken cancellationToken = default)
    {
        var jobs = await _runner.Store.GetJobsAsync(instanceId, type, cancellationToken).ConfigureAwait(false);
        return jobs.Select(InfoMapper.ToInfo).ToList();
    }

    /// <summary>Completes a job with the worker's result variables.</summary>
    /// <exception cref="WorkflowNotFoundException">No such job (it was completed, cancelled or never created).</exception>
    public Task CompleteAsync(Guid jobId, IReadOnlyDictionary<string, object?>? variables = null, CancellationToken cancellationToken = default) =>
        CompleteByAsync(jobId, variables, worker: null, cancellationToken);

    /// <summary>
    /// Reports a failed job: it is retried after <paramref name="backoff"/> (by default
    /// <see cref="WorkflowWorkerOptions.RetryBackoff"/>, doubled with every failure) while retries remain, then becomes an incident.
    /// </summary>
    /// <param name="jobId">The job.</param>
    /// <param name="errorMessage">What went wrong, for the history and the incident.</param>
    /// <param name="retries">The retries left after this failure; by default one fewer than the job had.</param>
    /// <param name="backoff">The delay before the retry; by default the doubling back-off.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    public Task FailAsync(Guid jobId, string errorMessage, int? retries = null, TimeSpan? backoff = null, CancellationToken cancellationToken = default) =>
        FailByAsync(jobId, errorMessage, retries, backoff, holder: null, cancellationToken);

    /// <summary>Fails a job; with a <paramref name="holder"/>, only while it holds the job's live lease, and recorded as the actor.</summary>
    internal Task FailByAsync(Guid jobId, string errorMessage, int? retries, TimeSpan? backoff, string? holder, CancellationToken cancellationToken) =>
        _runner.ExecuteAsync(async execution =>
        {
            execution.Actor = holder;
            var (instance, element, job) = await LoadAnsweredAsync(execution, jobId, holder, cancellationToken).ConfigureAwait(false);
            var left = retries ?? job.Retries - 1;
            execution.Changes.JobsClosed.Add(job.Id);
            element.JobId = null;
            execution.History(instance, HistoryKind.JobFailed, job.ElementId, element.Key, $"{errorMessage} ({left} retries left)");
            if (left > 0)
            {
                var retry = job with { Id = RowIds.NewId(execution.Now), Retries = left, DueAt = execution.Now + (backoff ?? RetryBackoff(job)), Failures = job.Failures + 1 };
                execution.Changes.JobsCreated.Add(retry);
                element.JobId = retry.Id;
            }
            else
            {
                execution.RaiseJobIncident(instance, element, $"job '{job.Type}' failed with no retries left: {errorMessage}");
            }

            return true;
        }, cancellationToken, name: "FailJob");

    /// <summary>Reports a business error from a job worker; the model's error boundary or event sub-process catches it by code.</summary>
    /// <remarks>An error nothing catches becomes an incident on the job's element.</remarks>
    public Task ThrowErrorAsync(Guid jobId, string errorCode, string? errorMessage = null, CancellationToken cancellationToken = default) =>
        ThrowErrorAsync(jobId, errorCode, errorMessage, variables: null, cancellationToken);

    /// <summary>
    /// Reports a business error with variables: the event that catches it by code sets them, as a message's variables are set
    /// (on its scope, then by its output mappings).
    /// </summary>
    /// <remarks>An error nothing catches becomes an incident on the job's element.</remarks>
    public Task ThrowErrorAsync(Guid jobId, string errorCode, string? errorMessage, IReadOnlyDictionary<string, object?>? variables, CancellationToken cancellationToken = default) =>
        ThrowErrorByAsync(jobId, errorCode, errorMessage, variables, holder: null, cancellationToken);

    /// <summary>Throws a job's BPMN error; with a <paramref name="holder"/>, only while it holds the job's live lease, and recorded as the actor.</summary>
    internal Task ThrowErrorByAsync(Guid jobId, string errorCode, string? errorMessage, IReadOnlyDictionary<string, object?>? variables, string? holder, CancellationToken cancellationToken)
    {
        var values = variables is null ? null : _runner.Variables(variables);
        return _runner.ExecuteAsync(async execution =>
        {
            execution.Actor = holder;
            var (instance, element, job) = await LoadAnsweredAsync(execution, jobId, holder, cancellationToken).ConfigureAwait(false);
            execution.Changes.JobsClosed.Add(job.Id);
            element.JobId = null;
            await execution.ThrowErrorAsync(instance, element, errorCode, errorMessage ?? errorCode, values?.Copy()).ConfigureAwait(false);
            return true;
        }, cancellationToken, name: "ThrowJobError");
    }

    /// <summary>
    /// Completes a job, recording which worker did it; when <paramref name="leased"/>, only while <paramref name="worker"/>
    /// holds the job's live lease (a worker outside the engine, over HTTP). The engine's own workers are not bound: the
    /// in-process executor finishes a batch taken under one lease, and the relay leased the bus's jobs for the bus.
    /// </summary>
    internal async Task CompleteByAsync(Guid jobId, IReadOnlyDictionary<string, object?>? variables, string? worker, CancellationToken cancellationToken, bool leased = false)
    {
        var values = _runner.Variables(variables);
        var type = await _runner.ExecuteAsync(async execution =>
        {
            execution.Actor = worker;
            var (instance, element, job) = await LoadAnsweredAsync(execution, jobId, leased ? worker : null, cancellationToken).ConfigureAwait(false);
            execution.History(instance, HistoryKind.JobCompleted, job.ElementId, element.Key, job.Type);
            execution.EnqueueComplete(instance, element.Key, values.Copy());
            return job.Type;
        }, cancellationToken, name: "CompleteJob").ConfigureAwait(false);
        if (worker is not null && !HasHandler(type))
        {
            // A worker over the bus answered: it serves the type, though it never activated a job over HTTP.
            await RecordWorkerAsync(type, worker, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The job answered, its instance and element; with a <paramref name="holder"/>, refused (409) unless the holder's
    /// lease on the job is live now: an answer from a worker whose lease ran out, or that never held it, would do the work
    /// a second time beside the worker that holds it now.
    /// </summary>
    private async ValueTask<(Runtime.LoadedInstance Instance, Runtime.ElementInstance Element, JobRecord Job)> LoadAnsweredAsync(
        Runtime.Execution execution, Guid jobId, string? holder, CancellationToken ct)
    {
        if (holder is null)
        {
            return await _runner.LoadJobAsync(execution, jobId, ct).ConfigureAwait(false);
        }

        var leased = await _runner.Store.GetLeasedJobAsync(jobId, ct).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"job {jobId} does not exist (it was completed, cancelled or never created)");
        CheckHolder(leased, holder, _runner.LeaseTime.GetUtcNow()); // a lease runs in real time, not the engine's
        var instance = await execution.LoadAsync(leased.Job.InstanceId).ConfigureAwait(false);
        var element = await _runner.JobOwnerAsync(instance, leased.Job, ct).ConfigureAwait(false);
        return (instance, element, leased.Job);
    }

    /// <exception cref="WorkflowConflictException">The job is not leased, its lease ran out, or another worker holds it.</exception>
    private static void CheckHolder(LeasedJob leased, string holder, DateTimeOffset now)
    {
        var id = leased.Job.Id;
        if (leased.LeaseOwner is null || leased.LeaseUntil is null)
        {
            throw new WorkflowConflictException($"job {id} is not leased to any worker: activate it before answering it or extending its lease");
        }

        if (leased.LeaseUntil < now)
        {
            throw new WorkflowConflictException(leased.LeaseOwner == holder
                ? $"job {id}: your lease ran out at {leased.LeaseUntil:O}, and another worker may have taken the job; activate it again"
                : $"job {id} is not leased to you (its last lease, another worker's, ran out at {leased.LeaseUntil:O}); activate it before answering it");
        }

        if (leased.LeaseOwner != holder)
        {
            throw new WorkflowConflictException($"job {id} is leased to another worker until {leased.LeaseUntil:O}: only the worker holding its lease answers it or extends it");
        }
    }

    /// <summary>The delay before a failed job's retry: the base back-off doubled per failure so far.</summary>
    internal TimeSpan RetryBackoff(JobRecord job) => _runner.Options.Worker.RetryBackoff * Math.Pow(2, Math.Min(job.Failures, 16));
}
