using Dapper;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql;

// Jobs leased by type and branch to workers outside the engine, and the job types workers asked for.
internal sealed partial class SqlWorkflowStore
{
    public async ValueTask<IReadOnlyList<JobRecord>> ClaimDueJobsOfTypeAsync(string type, string? branch, DateTimeOffset now, int max, string owner, DateTimeOffset leaseNow, DateTimeOffset leaseUntil, CancellationToken ct) =>
        (await ClaimAsync<JobRow>(_dialect.ClaimJobsOfTypeSql(branch is not null), new { Type = type, Branch = branch, Now = now.UtcTicks, Max = max, Owner = owner, LeaseNow = leaseNow.UtcTicks, LeaseUntil = leaseUntil.UtcTicks }, ct).ConfigureAwait(false))
            .Select(r => r.ToRecord()).OrderBy(j => j.DueAt).ToList();

    public async ValueTask<bool> ExtendJobLeaseAsync(Guid id, string? owner, DateTimeOffset now, DateTimeOffset until, CancellationToken ct) =>
        await WritingAsync(async () =>
        {
            await using var connection = await OpenForLeaseAsync(ct).ConfigureAwait(false);
            return await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE wf_jobs SET lease_until = @until WHERE id = @id AND lease_until >= @now" + (owner is null ? "" : " AND lease_owner = @owner"),
                new { id, owner, now = now.UtcTicks, until = until.UtcTicks }, cancellationToken: ct)).ConfigureAwait(false) == 1;
        }, ct).ConfigureAwait(false);

    public ValueTask<LeasedJob?> GetLeasedJobAsync(Guid id, CancellationToken ct) =>
        SingleAsync<JobRow, LeasedJob>("SELECT * FROM wf_jobs WHERE id = @id", new { id },
            r => new LeasedJob(r.ToRecord(), r.LeaseOwner, r.LeaseUntil is { } until ? Time(until) : null), ct);

    public async ValueTask RecordJobWorkerAsync(string type, string worker, DateTimeOffset at, CancellationToken ct) =>
        await WritingAsync(async () =>
        {
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
            var parameters = new { type, worker, at = at.UtcTicks };
            if (await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE wf_job_workers SET worker = @worker, last_activated_at = @at WHERE type = @type", parameters, cancellationToken: ct)).ConfigureAwait(false) == 1)
            {
                return true;
            }

            try
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO wf_job_workers (type, worker, last_activated_at) VALUES (@type, @worker, @at)", parameters, cancellationToken: ct)).ConfigureAwait(false);
            }
            catch (Exception e) when (_dialect.IsUniqueViolation(e))
            {
                // another node recorded the type a moment ago: a worker asked for it, which is all the row says
            }

            return true;
        }, ct).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<JobWorkerRecord>> GetJobWorkersAsync(IReadOnlyCollection<string> types, CancellationToken ct)
    {
        if (types.Count == 0)
        {
            return [];
        }

        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        var rows = await connection.QueryAsync<(string Type, string Worker, long LastActivatedAt)>(new CommandDefinition(
            $"SELECT type, worker, last_activated_at FROM wf_job_workers WHERE {_dialect.InList("type", "@types")}",
            new { types = types.Distinct(StringComparer.Ordinal).ToArray() }, cancellationToken: ct)).ConfigureAwait(false);
        return rows.Select(r => new JobWorkerRecord(r.Type, r.Worker, Time(r.LastActivatedAt))).ToList();
    }
}
