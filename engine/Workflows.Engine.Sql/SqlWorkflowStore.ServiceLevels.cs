using Dapper;
using Workflows.Engine.ServiceLevels;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql;

// Due clocks claimed with leases (the dialect's claim statement), clocks for reports and recalculation, calendar layers and branches.
internal sealed partial class SqlWorkflowStore
{
    public async ValueTask<IReadOnlyList<SlaClockRecord>> ClaimDueClocksAsync(DateTimeOffset now, int max, string owner, DateTimeOffset leaseNow, DateTimeOffset leaseUntil, CancellationToken ct) =>
        (await ClaimAsync<SlaClockRow>(_dialect.ClaimClocksSql, new { Now = now.UtcTicks, Max = max, Owner = owner, LeaseNow = leaseNow.UtcTicks, LeaseUntil = leaseUntil.UtcTicks }, ct).ConfigureAwait(false))
            .Select(r => r.ToRecord()).OrderBy(c => c.NextDueAt).ToList();

    public async ValueTask<DateTimeOffset?> GetNextClockDueAsync(DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        var ticks = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT MIN(next_due_at) FROM wf_sla_clocks WHERE next_due_at IS NOT NULL AND (lease_until IS NULL OR lease_until < @now)", new { now = now.UtcTicks }, cancellationToken: ct)).ConfigureAwait(false);
        return ticks is { } t ? Time(t) : null;
    }

    public async ValueTask<IReadOnlyList<SlaClockRecord>> FindOpenClocksOnLayerAsync(string layer, CancellationToken ct)
    {
        // The index narrows to open clocks on chains that mention the name; the exact match is on the split chain.
        var clocks = await ListAsync<SlaClockRow, SlaClockRecord>(
            "SELECT * FROM wf_sla_clocks WHERE ended_at IS NULL AND calendar LIKE @pattern", new { pattern = "%" + layer + "%" }, r => r.ToRecord(), ct).ConfigureAwait(false);
        return clocks.Where(c => Calendars.ClockCalendar.Split(c.Calendar!).Contains(layer, StringComparer.Ordinal)).ToList();
    }

    public ValueTask<IReadOnlyList<SlaClockRecord>> FindCommitmentsAsync(string? branch, string? processId, DateTimeOffset from, DateTimeOffset to, int max, CancellationToken ct) =>
        ListAsync<SlaClockRow, SlaClockRecord>(
            _dialect.Top($"* FROM wf_sla_clocks WHERE level = 1 AND kind = 1 AND started_at >= @from AND started_at < @to{(branch is null ? "" : " AND branch = @branch")}{(processId is null ? "" : " AND process_id = @processId")} ORDER BY started_at, id", "@max"),
            new { from = from.UtcTicks, to = to.UtcTicks, branch, processId, max }, r => r.ToRecord(), ct);

    private const string BranchSql = "SELECT definition, revision FROM wf_branches WHERE id = @branchId";

    // One instance's clocks (every command's load on SQLite, an instance's report): statements of constant text, kept
    // prepared, made without a set, a chunk or a string per call.
    private const string ClocksOfInstanceSql = "SELECT * FROM wf_sla_clocks WHERE instance_id = @id ORDER BY started_at, id";

    public async ValueTask<IReadOnlyList<SlaClockRecord>> GetClocksOfInstancesAsync(IReadOnlyCollection<Guid> instanceIds, bool openOnly, CancellationToken ct)
    {
        Interlocked.Increment(ref _clockReads);
        if (instanceIds.Count == 1)
        {
            return await ListAsync<SlaClockRow, SlaClockRecord>(openOnly ? OpenClocksOfInstanceSql : ClocksOfInstanceSql,
                new { id = instanceIds.First() }, r => r.ToRecord(), ct).ConfigureAwait(false);
        }

        var clocks = new List<SlaClockRecord>();
        foreach (var chunk in instanceIds.Distinct().Chunk(500))
        {
            // One instance (every command's load) by "= @id": a statement that stays prepared on SQLite.
            var instances = chunk.Length == 1 ? "instance_id = @id" : _dialect.InList("instance_id", "@ids");
            clocks.AddRange(await ListAsync<SlaClockRow, SlaClockRecord>(
                $"SELECT * FROM wf_sla_clocks WHERE {instances}{(openOnly ? " AND ended_at IS NULL" : "")} ORDER BY started_at, id",
                chunk.Length == 1 ? new { id = chunk[0] } : (object)new { ids = chunk }, r => r.ToRecord(), ct).ConfigureAwait(false));
        }

        return clocks;
    }

    public async ValueTask<IReadOnlyList<string>> GetCalendarLayersAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        var rows = await connection.QueryAsync<string>(new CommandDefinition("SELECT definition FROM wf_calendar_layers ORDER BY effective_from", cancellationToken: ct)).ConfigureAwait(false);
        return rows.ToList();
    }

    public async ValueTask<IReadOnlyList<(string Json, long Revision)>> GetBranchesAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        var rows = await connection.QueryAsync<(string, long)>(new CommandDefinition("SELECT definition, revision FROM wf_branches", cancellationToken: ct)).ConfigureAwait(false);
        return rows.ToList();
    }

    public async ValueTask<(string Json, long Revision)?> GetBranchAsync(string id, CancellationToken ct)
    {
        var rows = await RowsAsync<(string, long)>(BranchSql, new { branchId = id }, ct).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    private static async Task WriteServiceLevelsAsync(SqlCommit w, ChangeSet changes)
    {
        if (changes.Part<ServiceLevelChanges>() is { } serviceLevels)
        {
            await WriteClocksAsync(w, serviceLevels).ConfigureAwait(false);
        }

        if (!changes.HasRareChanges)
        {
            return;
        }

        foreach (var (id, json, revision, expected) in changes.Branches)
        {
            if (expected is null)
            {
                // A whole replacement (or a new branch): two at once collide on the key, and the loser retries.
                await w.ExecAsync("branches", "DELETE FROM wf_branches WHERE id = @id", new { id }).ConfigureAwait(false);
                await w.ExecAsync("branches", "INSERT INTO wf_branches (id, definition, revision) VALUES (@id, @json, @revision)", new { id, json, revision }).ConfigureAwait(false);
            }
            else
            {
                // A read-modify-write holds only if nobody saved the branch since it was read.
                await w.ExecAsync("branches", "UPDATE wf_branches SET definition = @json, revision = @revision WHERE id = @id AND revision = @expected", new { id, json, revision, expected },
                    new CommitGuard(1, () => new ConcurrencyConflictException($"branch {id} changed since it was read (expected revision {expected})"))).ConfigureAwait(false);
            }
        }
    }

    private static async Task WriteClocksAsync(SqlCommit w, ServiceLevelChanges changes)
    {
        await w.RowsAsync("clocks", """
            INSERT INTO wf_sla_clocks (id, instance_id, element_key, element_id, kind, level, label, process_id, business_key, branch, customer_id, calendar, target,
                working_time, budget_ticks, started_at, state, consumed_ticks, running_since, target_at, next_due_at, fired, next_repeat_at, pause_reason, paused_at,
                paused_by, paused_ticks, ended_at)
            VALUES (@Id, @InstanceId, @ElementKey, @ElementId, @Kind, @Level, @Label, @ProcessId, @BusinessKey, @Branch, @CustomerId, @Calendar, @Target,
                @WorkingTime, @BudgetTicks, @StartedAt, @State, @ConsumedTicks, @RunningSince, @TargetAt, @NextDueAt, @Fired, @NextRepeatAt, @PauseReason, @PausedAt,
                @PausedBy, @PausedTicks, @EndedAt)
            """, changes.ClocksCreated, SlaClockRow.From).ConfigureAwait(false);
        // A running clock's update does not name ended_at (on SQLite that would rewrite the indexes holding it); the
        // clocks that end name it.
        var ending = w.IndexesByColumn ? changes.ClocksUpdated.Where(c => c.EndedAt is not null).ToList() : changes.ClocksUpdated;
        var running = w.IndexesByColumn ? changes.ClocksUpdated.Where(c => c.EndedAt is null).ToList() : [];
        await w.RowsAsync("clocks-updated", """
            UPDATE wf_sla_clocks SET state = @State, consumed_ticks = @ConsumedTicks, running_since = @RunningSince, target_at = @TargetAt, next_due_at = @NextDueAt,
                fired = @Fired, next_repeat_at = @NextRepeatAt, pause_reason = @PauseReason, paused_at = @PausedAt, paused_by = @PausedBy, paused_ticks = @PausedTicks,
                ended_at = @EndedAt, lease_owner = NULL, lease_until = NULL
            WHERE id = @Id
            """, ending, SlaClockRow.From).ConfigureAwait(false);
        await w.RowsAsync("clocks-updated", """
            UPDATE wf_sla_clocks SET state = @State, consumed_ticks = @ConsumedTicks, running_since = @RunningSince, target_at = @TargetAt, next_due_at = @NextDueAt,
                fired = @Fired, next_repeat_at = @NextRepeatAt, pause_reason = @PauseReason, paused_at = @PausedAt, paused_by = @PausedBy, paused_ticks = @PausedTicks,
                lease_owner = NULL, lease_until = NULL
            WHERE id = @Id
            """, running, SlaClockRow.From).ConfigureAwait(false);
        foreach (var (name, from, json) in changes.CalendarLayers)
        {
            await w.ExecAsync("calendar-layers", "DELETE FROM wf_calendar_layers WHERE name = @name AND effective_from = @from", new { name, from = from.UtcTicks }).ConfigureAwait(false);
            await w.ExecAsync("calendar-layers", "INSERT INTO wf_calendar_layers (name, effective_from, definition) VALUES (@name, @from, @json)", new { name, from = from.UtcTicks, json }).ConfigureAwait(false);
        }
    }
}
