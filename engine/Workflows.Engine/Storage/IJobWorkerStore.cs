namespace Workflows.Engine.Storage;

/// <summary>
/// Jobs taken by workers outside the engine (over HTTP): leased by type and branch, their leases extended by the
/// worker holding them; and which job types a worker ever asked for, so a deployment can warn about a type nobody serves.
/// </summary>
internal interface IJobWorkerStore
{
    /// <summary>
    /// Leases up to <paramref name="max"/> due jobs of <paramref name="type"/> (of instances of <paramref name="branch"/>
    /// only, when given) to <paramref name="owner"/> until <paramref name="leaseUntil"/>, earliest due first, skipping
    /// those another owner holds a live lease on.
    /// </summary>
    ValueTask<IReadOnlyList<JobRecord>> ClaimDueJobsOfTypeAsync(string type, string? branch, DateTimeOffset now, int max, string owner, DateTimeOffset leaseNow, DateTimeOffset leaseUntil, CancellationToken ct);

    /// <summary>
    /// Moves the job's lease, still live at <paramref name="now"/> (and held by <paramref name="owner"/>, when given), to
    /// <paramref name="until"/>; false when no such lease holds it.
    /// </summary>
    ValueTask<bool> ExtendJobLeaseAsync(Guid id, string? owner, DateTimeOffset now, DateTimeOffset until, CancellationToken ct);

    /// <summary>The job with who holds its lease until when (both null when it was never leased or the lease was released); null when there is no such job.</summary>
    ValueTask<LeasedJob?> GetLeasedJobAsync(Guid id, CancellationToken ct);

    /// <summary>Records that <paramref name="worker"/> asked for jobs of <paramref name="type"/> at <paramref name="at"/> (one row per type, the latest kept).</summary>
    ValueTask RecordJobWorkerAsync(string type, string worker, DateTimeOffset at, CancellationToken ct);

    /// <summary>The records of those of <paramref name="types"/> a worker ever asked for.</summary>
    ValueTask<IReadOnlyList<JobWorkerRecord>> GetJobWorkersAsync(IReadOnlyCollection<string> types, CancellationToken ct);
}

/// <summary>The last worker that asked for jobs of a type, and when.</summary>
internal sealed record JobWorkerRecord(string Type, string Worker, DateTimeOffset LastActivatedAt);
