namespace Workflows.Engine.Storage;

// Jobs leased by type and branch to workers outside the engine, and the job types workers asked for.
internal sealed partial class InMemoryWorkflowStore
{
    private readonly Dictionary<string, JobWorkerRecord> _jobWorkers = new(StringComparer.Ordinal);

    public ValueTask<IReadOnlyList<JobRecord>> ClaimDueJobsOfTypeAsync(string type, string? branch, DateTimeOffset now, int max, string owner, DateTimeOffset leaseNow, DateTimeOffset leaseUntil, CancellationToken ct) =>
        ClaimJobs(j => j.Type == type && (branch is null || (_instances.TryGetValue(j.InstanceId, out var instance) && instance.Branch == branch)), now, max, owner, leaseNow, leaseUntil);

    public ValueTask<bool> ExtendJobLeaseAsync(Guid id, string? owner, DateTimeOffset now, DateTimeOffset until, CancellationToken ct)
    {
        lock (_gate)
        {
            if (!_jobs.ContainsKey(id) || !_leases.TryGetValue(id, out var lease) || !Holds(lease.Until, now) || (owner is not null && lease.Owner != owner))
            {
                return new(false);
            }

            _leases[id] = (lease.Owner, until);
            return new(true);
        }
    }

    public ValueTask<LeasedJob?> GetLeasedJobAsync(Guid id, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(!_jobs.TryGetValue(id, out var job) ? null
                : _leases.TryGetValue(id, out var lease) ? new LeasedJob(job, lease.Owner, lease.Until) : new LeasedJob(job, null, null));
        }
    }

    public ValueTask RecordJobWorkerAsync(string type, string worker, DateTimeOffset at, CancellationToken ct)
    {
        lock (_gate)
        {
            _jobWorkers[type] = new JobWorkerRecord(type, worker, at);
            return ValueTask.CompletedTask;
        }
    }

    public ValueTask<IReadOnlyList<JobWorkerRecord>> GetJobWorkersAsync(IReadOnlyCollection<string> types, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(types.Distinct(StringComparer.Ordinal).Select(t => _jobWorkers.GetValueOrDefault(t)).OfType<JobWorkerRecord>().ToList());
        }
    }
}
