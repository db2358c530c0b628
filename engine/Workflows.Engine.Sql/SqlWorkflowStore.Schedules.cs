using Dapper;
using Workflows.Engine.ServiceLevels;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql;

// Timers and jobs claimed with leases (the dialect's claim statement), and the named leases.
internal sealed partial class SqlWorkflowStore
{
    /// <summary>The row of <c>wf_leases</c> the readiness probe writes.</summary>
    internal const string StoreProbeRow = "store-probe";

    public ValueTask<TimerRecord?> GetTimerAsync(Guid id, CancellationToken ct) =>
        SingleAsync<TimerRow, TimerRecord>("SELECT * FROM wf_timers WHERE id = @id", new { id }, r => r.ToRecord(), ct);

    public async ValueTask<IReadOnlyList<TimerRecord>> ClaimDueTimersAsync(DateTimeOffset now, int max, string owner, DateTimeOffset leaseNow, DateTimeOffset leaseUntil, CancellationToken ct) =>
        (await ClaimAsync<TimerRow>(_dialect.ClaimTimersSql, new { Now = now.UtcTicks, Max = max, Owner = owner, LeaseNow = leaseNow.UtcTicks, LeaseUntil = leaseUntil.UtcTicks }, ct).ConfigureAwait(false))
            .Select(r => r.ToRecord()).OrderBy(t => t.DueAt).ToList();

    public async ValueTask<DateTimeOffset?> GetNextTimerDueAsync(DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        var ticks = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT MIN(due_at) FROM wf_timers WHERE lease_until IS NULL OR lease_until < @now", new { now = now.UtcTicks }, cancellationToken: ct)).ConfigureAwait(false);
        return ticks is { } t ? Time(t) : null;
    }

    public ValueTask<JobRecord?> GetJobAsync(Guid id, CancellationToken ct) =>
        SingleAsync<JobRow, JobRecord>("SELECT * FROM wf_jobs WHERE id = @id", new { id }, r => r.ToRecord(), ct);

    // The job and its instance in one statement, one snapshot: read in two, a job completed between them was found with
    // no instance ("process instance … does not exist" about one that does, review12 F5). The clocks after it, in the same
    // round trip on a server; on SQLite they are left to a read made only for an instance that keeps clocks.
    private const string JobWithInstanceSql =
        "SELECT " + JobWithInstanceRow.Columns + " FROM wf_jobs j LEFT JOIN wf_instances i ON i.id = j.instance_id WHERE j.id = @id";

    private const string OpenClocksOfJobSql =
        "SELECT * FROM wf_sla_clocks WHERE instance_id = (SELECT instance_id FROM wf_jobs WHERE id = @id) AND ended_at IS NULL ORDER BY started_at, id";

    public async ValueTask<(JobRecord? Job, InstanceRecord? Instance, IReadOnlyList<SlaClockRecord>? OpenClocks)> GetJobWithInstanceAsync(Guid id, bool openClocks, CancellationToken ct)
    {
        var parameters = new { id };
        if (!openClocks || !ReadsCostRoundTrips)
        {
            return await RowsAsync<JobWithInstanceRow>(JobWithInstanceSql, parameters, ct).ConfigureAwait(false) is [var alone, ..]
                ? (alone.ToRecord(), alone.Instance(), null)
                : (null, null, null);
        }

        // A job gone before the clocks' statement leaves them empty: the command then fails its instance's row-version
        // guard (the job's answer moved the instance on) and runs again, to find the job gone.
        return await ReadTogetherAsync([JobWithInstanceSql, OpenClocksOfJobSql], parameters, async read =>
        {
            var rows = await read.NextAsync<JobWithInstanceRow>().ConfigureAwait(false);
            var clocks = await read.NextAsync<SlaClockRow>().ConfigureAwait(false);
            return rows is [var row, ..]
                ? (row.ToRecord(), row.Instance(), (IReadOnlyList<SlaClockRecord>?)clocks.ConvertAll(c => c.ToRecord()))
                : ((JobRecord?)null, (InstanceRecord?)null, (IReadOnlyList<SlaClockRecord>?)null);
        }, ct).ConfigureAwait(false);
    }

    public ValueTask<IReadOnlyList<JobRecord>> GetJobsAsync(Guid? instanceId, string? type, CancellationToken ct)
    {
        var sql = instanceId is not null
            ? "SELECT * FROM wf_jobs WHERE instance_id = @instanceId" + (type is null ? "" : " AND type = @type")
            : "SELECT * FROM wf_jobs" + (type is null ? "" : " WHERE type = @type");
        return ListAsync<JobRow, JobRecord>(sql + " ORDER BY created_at", new { instanceId, type }, r => r.ToRecord(), ct);
    }

    public async ValueTask<IReadOnlyList<JobRecord>> ClaimDueJobsAsync(IReadOnlyCollection<string> types, DateTimeOffset now, int max, string owner, DateTimeOffset leaseNow, DateTimeOffset leaseUntil, CancellationToken ct) =>
        (await ClaimAsync<JobRow>(_dialect.ClaimJobsSql, new { Types = types.ToArray(), Now = now.UtcTicks, Max = max, Owner = owner, LeaseNow = leaseNow.UtcTicks, LeaseUntil = leaseUntil.UtcTicks }, ct).ConfigureAwait(false))
            .Select(r => r.ToRecord()).OrderBy(j => j.DueAt).ToList();

    public async ValueTask<IReadOnlyList<JobRecord>> ClaimDueExternalJobsAsync(DateTimeOffset now, int max, string owner, DateTimeOffset leaseNow, DateTimeOffset leaseUntil, CancellationToken ct) =>
        (await ClaimAsync<JobRow>(_dialect.ClaimExternalJobsSql, new { Now = now.UtcTicks, Max = max, Owner = owner, LeaseNow = leaseNow.UtcTicks, LeaseUntil = leaseUntil.UtcTicks }, ct).ConfigureAwait(false))
            .Select(r => r.ToRecord()).OrderBy(j => j.DueAt).ToList();

    public async ValueTask ReleaseJobLeasesAsync(IReadOnlyCollection<Guid> ids, string owner, CancellationToken ct) =>
        await WritingAsync(async () =>
        {
            await using var connection = await OpenForLeaseAsync(ct).ConfigureAwait(false);
            return await connection.ExecuteAsync(new CommandDefinition(
                $"UPDATE wf_jobs SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = @owner AND {_dialect.InList("id", "@ids")}",
                new { owner, ids = ids.ToArray() }, cancellationToken: ct)).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);

    public async ValueTask<bool> TryTakeLeaseAsync(string name, string owner, DateTimeOffset now, DateTimeOffset until, CancellationToken ct) =>
        await WritingAsync(async () =>
        {
            await using var connection = await OpenForLeaseAsync(ct).ConfigureAwait(false);
            var parameters = new { name, owner, now = now.UtcTicks, until = until.UtcTicks };
            if (await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE wf_leases SET owner = @owner, lease_until = @until WHERE name = @name AND (owner = @owner OR owner IS NULL OR lease_until < @now)",
                parameters, cancellationToken: ct)).ConfigureAwait(false) == 1)
            {
                return true;
            }

            try
            {
                return await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO wf_leases (name, owner, lease_until) VALUES (@name, @owner, @until)", parameters, cancellationToken: ct)).ConfigureAwait(false) == 1;
            }
            catch (Exception e) when (_dialect.IsUniqueViolation(e))
            {
                return false; // the lease exists and another node holds it
            }
        }, ct).ConfigureAwait(false);

    // A row of its own in the named leases (never taken as a lease): an UPDATE that always changes it, so the probe
    // writes a page however idle the node is; the first probe of a database inserts it.
    // The probe reads the schema's version every time too: readiness tells a node the database has outgrown at once.
    public async ValueTask ProbeWriteAsync(string owner, DateTimeOffset now, CancellationToken ct)
    {
        await _schema.CheckAsync(ct).ConfigureAwait(false);
        await WritingAsync(async () =>
        {
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
            var parameters = new { name = StoreProbeRow, owner, now = now.UtcTicks };
            if (await connection.ExecuteAsync(new CommandDefinition("UPDATE wf_leases SET owner = @owner, lease_until = @now WHERE name = @name", parameters, cancellationToken: ct)).ConfigureAwait(false) == 0)
            {
                try
                {
                    await connection.ExecuteAsync(new CommandDefinition("INSERT INTO wf_leases (name, owner, lease_until) VALUES (@name, @owner, @now)", parameters, cancellationToken: ct)).ConfigureAwait(false);
                }
                catch (Exception e) when (_dialect.IsUniqueViolation(e))
                {
                    // another node's first probe inserted it a moment ago: the store took that write
                }
            }

            return true;
        }, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs one of the dialect's lease claims in its own write transaction and returns the leased rows. The claim is a
    /// lease's write: on SQLite it does not wait for the disk (the next command's commit flushes it).
    /// </summary>
    private Task<List<TRow>> ClaimAsync<TRow>(string sql, object parameters, CancellationToken ct) =>
        WritingAsync(async () =>
        {
            await using var connection = await OpenForLeaseAsync(ct).ConfigureAwait(false);
            await using var transaction = await _dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            var rows = (await connection.QueryAsync<TRow>(new CommandDefinition(sql, parameters, transaction, cancellationToken: ct)).ConfigureAwait(false)).ToList();
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return rows;
        }, ct);

    private static async Task WriteSchedulesAsync(SqlCommit w, ChangeSet changes)
    {
        await w.RowsAsync("jobs", """
            INSERT INTO wf_jobs (id, instance_id, element_key, element_id, type, retries, failures, created_at, due_at, headers_json, variables_json, external)
            VALUES (@Id, @InstanceId, @ElementKey, @ElementId, @Type, @Retries, @Failures, @CreatedAt, @DueAt, @HeadersJson, @VariablesJson, @External)
            """, changes.JobsCreated, JobRow.From).ConfigureAwait(false);
        await w.DeleteAsync("jobs-closed", "wf_jobs", changes.JobsClosed).ConfigureAwait(false);

        await w.RowsAsync("timers", """
            INSERT INTO wf_timers (id, instance_id, element_key, element_id, definition_id, due_at, interval_ticks, remaining)
            VALUES (@Id, @InstanceId, @ElementKey, @ElementId, @DefinitionId, @DueAt, @IntervalTicks, @Remaining)
            """, changes.TimersCreated, TimerRow.From).ConfigureAwait(false);
        await w.DeleteAsync("timers-removed", "wf_timers", changes.TimersRemoved).ConfigureAwait(false);
    }
}
