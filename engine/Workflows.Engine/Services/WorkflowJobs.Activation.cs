using System.Collections.Concurrent;
using System.Text.Json;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Services;

// Jobs taken by workers outside the engine (Camunda 8's job activation is the model): leased by type, long polling,
// leases extended; and which types a worker asked for.
public sealed partial class WorkflowJobs
{
    // A type's worker record is written at most this often per node: a worker polling in a loop costs no write per call.
    private static readonly TimeSpan s_recordEvery = TimeSpan.FromMinutes(1);

    private readonly JobWaiters _waiters = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _recorded = new(StringComparer.Ordinal);

    /// <summary>
    /// Leases up to <see cref="JobActivation.MaxJobs"/> due jobs of a type to a worker until its
    /// <see cref="JobActivation.Timeout"/>, waiting up to <see cref="JobActivation.RequestTimeout"/> for one when none is due.
    /// </summary>
    /// <remarks>
    /// The worker answers each job with <see cref="CompleteAsync"/>, <see cref="FailAsync"/> or <see cref="ThrowErrorAsync(Guid, string, string?, IReadOnlyDictionary{string, object?}?, CancellationToken)"/>,
    /// or extends its lease with <see cref="ExtendTimeoutAsync"/>; a job whose lease runs out is due again for any worker
    /// (the engine's other workers and the bus take leases the same way, so each job is leased to one at a time). The call
    /// records that the worker asked for the type, which a deployment reads to warn about types no worker serves.
    /// A wait that runs out returns no jobs; <paramref name="cancellationToken"/> (the client gone) ends it at once.
    /// </remarks>
    /// <exception cref="WorkflowInputException">The type or worker is missing, a count or duration is out of range.</exception>
    public async Task<IReadOnlyList<ActivatedJob>> ActivateAsync(JobActivation request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        Check(request);
        await RecordWorkerAsync(request.Type, request.Worker, cancellationToken).ConfigureAwait(false);
        if (request.RequestTimeout == TimeSpan.Zero)
        {
            return await ClaimAsync(request, cancellationToken).ConfigureAwait(false);
        }

        using var expiry = new CancellationTokenSource(request.RequestTimeout, _runner.Time);
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, expiry.Token);
        while (true)
        {
            // Joined before the claim: a job committed between the claim and the wait still wakes it.
            var signal = _waiters.Join(request.Type);
            try
            {
                var jobs = await ClaimAsync(request, cancellationToken).ConfigureAwait(false);
                if (jobs.Count > 0)
                {
                    return jobs;
                }

                await signal.WaitAsync(_runner.Options.Worker.PollInterval, _runner.Time, waiting.Token).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // the poll interval passed: read the store again (a job of another node, a retry come due, a lease run out)
            }
            catch (OperationCanceledException) when (expiry.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                return [];
            }
            finally
            {
                _waiters.Leave(request.Type);
            }
        }
    }

    /// <summary>Moves a leased job's deadline to <paramref name="timeout"/> from now (Camunda's job time-out update).</summary>
    /// <exception cref="WorkflowNotFoundException">No such job.</exception>
    /// <exception cref="WorkflowConflictException">The job is not leased to a worker now (never activated, or its lease ran out).</exception>
    public Task<DateTimeOffset> ExtendTimeoutAsync(Guid jobId, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        ExtendTimeoutByAsync(jobId, timeout, holder: null, cancellationToken);

    /// <summary>
    /// The answers of one worker, each accepted only while <paramref name="worker"/> holds the job's live lease (it
    /// activated the job as <see cref="JobActivation.LeaseHolder"/>, and the lease has not run out); otherwise
    /// <see cref="WorkflowConflictException"/> says why. The worker is the actor of the history rows of its answers.
    /// </summary>
    /// <param name="worker">Who holds the leases: the lease holder the activation named.</param>
    public JobLeaseHolder AsLeaseHolder(string worker)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(worker);
        return new JobLeaseHolder(this, worker);
    }

    /// <summary>Moves a lease's deadline; with a <paramref name="holder"/>, only the holder's own live lease.</summary>
    internal async Task<DateTimeOffset> ExtendTimeoutByAsync(Guid jobId, TimeSpan timeout, string? holder, CancellationToken cancellationToken)
    {
        if (timeout <= TimeSpan.Zero)
        {
            throw new WorkflowInputException($"timeout: {timeout} must be positive");
        }

        var now = _runner.LeaseTime.GetUtcNow(); // a lease runs in real time, not the engine's (a controllable clock)
        var leased = await _runner.Store.GetLeasedJobAsync(jobId, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"job {jobId} does not exist (it was completed, cancelled or never created)");
        if (holder is not null)
        {
            CheckHolder(leased, holder, now);
        }

        var until = now + timeout;
        // Conditional on the holder in the store too: a lease that ran out and was taken meanwhile is not extended.
        return await _runner.Store.ExtendJobLeaseAsync(jobId, holder, now, until, cancellationToken).ConfigureAwait(false)
            ? until
            : throw new WorkflowConflictException($"job {jobId} is not leased to {holder ?? "a worker"} now (not activated, or its time-out ran out): activate it again");
    }

    /// <summary>The job a worker answers or asks about, with its instance, for a caller that checks whom the instance belongs to.</summary>
    /// <exception cref="WorkflowNotFoundException">No such job.</exception>
    public async Task<JobInfo> GetAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        var job = await _runner.Store.GetJobAsync(jobId, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"job {jobId} does not exist (it was completed, cancelled or never created)");
        return InfoMapper.ToInfo(job);
    }

    /// <summary>Of <paramref name="types"/>, those a worker asked for (over HTTP), with the last worker and when.</summary>
    public async Task<IReadOnlyList<JobWorkerInfo>> GetWorkersAsync(IReadOnlyCollection<string> types, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(types);
        var records = await _runner.Store.GetJobWorkersAsync(types, cancellationToken).ConfigureAwait(false);
        return records.Select(r => new JobWorkerInfo(r.Type, r.Worker, r.LastActivatedAt)).ToList();
    }

    /// <summary>Whether an in-process handler serves jobs of <paramref name="type"/> (then no outside worker is needed).</summary>
    public bool HasHandler(string type) => _runner.Options.Handlers.ContainsKey(type);

    private static void Check(JobActivation request)
    {
        if (string.IsNullOrWhiteSpace(request.Type))
        {
            throw new WorkflowInputException("type: name the job type to activate");
        }

        if (string.IsNullOrWhiteSpace(request.Worker))
        {
            throw new WorkflowInputException("worker: name the worker that activates jobs");
        }

        if (request.MaxJobs < 1)
        {
            throw new WorkflowInputException($"maxJobsToActivate: {request.MaxJobs} must be at least 1");
        }

        if (request.Timeout <= TimeSpan.Zero)
        {
            throw new WorkflowInputException($"timeout: {request.Timeout} must be positive");
        }

        if (request.RequestTimeout < TimeSpan.Zero)
        {
            throw new WorkflowInputException($"requestTimeout: {request.RequestTimeout} must not be negative");
        }
    }

    /// <summary>Records that <paramref name="worker"/> serves <paramref name="type"/> (at most once a minute per type on this node).</summary>
    internal async Task RecordWorkerAsync(string type, string worker, CancellationToken ct)
    {
        var now = _runner.Time.GetUtcNow();
        if (_recorded.TryGetValue(type, out var last) && now - last < s_recordEvery && now >= last)
        {
            return;
        }

        await _runner.Store.RecordJobWorkerAsync(type, worker, now, ct).ConfigureAwait(false);
        if (_recorded.Count >= 10_000)
        {
            _recorded.Clear(); // a bound on memory, whatever types callers make up: the store keeps the record
        }

        _recorded[type] = now;
    }

    private async Task<IReadOnlyList<ActivatedJob>> ClaimAsync(JobActivation request, CancellationToken ct)
    {
        // Due in the engine's time, leased in the host's: a pinned clock must not hold a dead worker's job forever.
        var (now, leaseNow) = (_runner.Time.GetUtcNow(), _runner.LeaseTime.GetUtcNow());
        var deadline = leaseNow + request.Timeout;
        var jobs = await _runner.Store.ClaimDueJobsOfTypeAsync(request.Type, request.Branch, now, request.MaxJobs, request.LeaseHolder ?? request.Worker, leaseNow, deadline, ct).ConfigureAwait(false);
        if (jobs.Count == 0)
        {
            return [];
        }

        var instances = (await _runner.Store.GetInstancesAsync(jobs.Select(j => j.InstanceId).ToList(), ct).ConfigureAwait(false)).ToDictionary(i => i.Id);
        var wanted = request.FetchVariables is { } names ? new HashSet<string>(names, StringComparer.Ordinal) : null;
        var activated = new List<ActivatedJob>();
        foreach (var j in jobs)
        {
            IReadOnlyDictionary<string, object?> variables;
            IReadOnlyDictionary<string, string> headers;
            try
            {
                variables = Execution.ToDictionary(Execution.VariablesFromJson(j.VariablesJson));
                headers = InfoMapper.Headers(j);
            }
            catch (JsonException e)
            {
                // A row that cannot be read is its job's incident, not the failure of every worker's activation (review13 F16).
                await FailUnreadableAsync(j, e, ct).ConfigureAwait(false);
                continue;
            }

            var instance = instances.GetValueOrDefault(j.InstanceId);
            activated.Add(new ActivatedJob(j.Id, j.InstanceId, instance?.ProcessId, instance?.BusinessKey, j.ElementId, j.Type, j.Retries, deadline,
                wanted is null ? variables : variables.Where(v => wanted.Contains(v.Key)).ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal),
                headers));
        }

        return activated;
    }

    // Failed with no retries left: the job is closed (no worker is handed it again) and its element gets an incident
    // naming the row; an operator repairs the row and retries the incident.
    internal async Task FailUnreadableAsync(JobRecord job, JsonException problem, CancellationToken ct)
    {
        try
        {
            await FailByAsync(job.Id, $"the stored row of job {job.Id} cannot be read: {problem.Message}", retries: 0, backoff: null, holder: null, ct).ConfigureAwait(false);
        }
        catch (WorkflowException e)
        {
            _runner.Core.Log.Unreadable(job.InstanceId, $"job {job.Id}: {problem.Message} (its incident could not be raised: {e.Message})");
        }
    }
}
