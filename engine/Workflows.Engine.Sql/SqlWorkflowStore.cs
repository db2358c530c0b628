using System.Data;
using System.Data.Common;
using System.Text.Json;
using Dapper;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql;

/// <summary>
/// The durable store on Dapper. Every read is an indexed lookup; <see cref="CommitAsync"/> writes a
/// command's whole change set in one transaction, guarded by the instances' row versions.
/// </summary>
internal sealed class SqlWorkflowStore : IWorkflowStore
{
    // SQLite has one writer per file: queueing this process's writers here is cheaper than letting them
    // spin on the file lock (other processes still wait through the busy timeout).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> s_sqliteWriters = new(StringComparer.Ordinal);

    private readonly SqlDialect _dialect;
    private readonly string _connectionString;
    private readonly SemaphoreSlim? _writer;

    static SqlWorkflowStore()
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        SqlMapper.AddTypeHandler(new GuidHandler());
    }

    public SqlWorkflowStore(SqlDialect dialect, string connectionString)
    {
        _dialect = dialect;
        _connectionString = connectionString;
        _writer = dialect.Provider == SqlProvider.Sqlite ? s_sqliteWriters.GetOrAdd(connectionString, _ => new SemaphoreSlim(1, 1)) : null;
    }

    private async Task<T> WritingAsync<T>(Func<Task<T>> write, CancellationToken ct)
    {
        if (_writer is null)
        {
            return await write().ConfigureAwait(false);
        }

        await _writer.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await write().ConfigureAwait(false);
        }
        finally
        {
            _writer.Release();
        }
    }

    public SqlDialect Dialect => _dialect;

    internal async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        var connection = _dialect.CreateConnection(_connectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await _dialect.OnOpenedAsync(connection).ConfigureAwait(false);
        return connection;
    }

    private async ValueTask<T?> SingleAsync<TRow, T>(string sql, object parameters, Func<TRow, T> map, CancellationToken ct)
        where T : class
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        var row = await connection.QueryFirstOrDefaultAsync<TRow>(new CommandDefinition(sql, parameters, cancellationToken: ct)).ConfigureAwait(false);
        return row is null ? null : map(row);
    }

    private async ValueTask<IReadOnlyList<T>> ListAsync<TRow, T>(string sql, object parameters, Func<TRow, T> map, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        var rows = await connection.QueryAsync<TRow>(new CommandDefinition(sql, parameters, cancellationToken: ct)).ConfigureAwait(false);
        return rows.Select(map).ToList();
    }

    // ---------------------------------------------------------------- definitions

    public ValueTask<DefinitionRecord?> GetDefinitionAsync(Guid id, CancellationToken ct) =>
        SingleAsync<DefinitionRow, DefinitionRecord>("SELECT * FROM wf_definitions WHERE id = @id", new { id }, r => r.ToRecord(), ct);

    public ValueTask<IReadOnlyList<DefinitionRecord>> GetDefinitionsAsync(string? processId, CancellationToken ct) =>
        ListAsync<DefinitionRow, DefinitionRecord>(
            "SELECT id, process_id, version, version_tag, checksum, '' AS xml, deployment_id, deployed_at, deployed_by FROM wf_definitions"
                + (processId is null ? "" : " WHERE process_id = @processId") + " ORDER BY process_id, version",
            new { processId }, r => r.ToRecord(), ct);

    public ValueTask<DefinitionRecord?> GetLatestDefinitionAsync(string processId, CancellationToken ct) =>
        SingleAsync<DefinitionRow, DefinitionRecord>(_dialect.Top("* FROM wf_definitions WHERE process_id = @processId ORDER BY version DESC", "1"), new { processId }, r => r.ToRecord(), ct);

    public ValueTask<DefinitionRecord?> GetDefinitionByVersionAsync(string processId, int version, CancellationToken ct) =>
        SingleAsync<DefinitionRow, DefinitionRecord>("SELECT * FROM wf_definitions WHERE process_id = @processId AND version = @version", new { processId, version }, r => r.ToRecord(), ct);

    public ValueTask<DefinitionRecord?> GetDefinitionByVersionTagAsync(string processId, string versionTag, CancellationToken ct) =>
        SingleAsync<DefinitionRow, DefinitionRecord>(_dialect.Top("* FROM wf_definitions WHERE process_id = @processId AND version_tag = @versionTag ORDER BY version DESC", "1"), new { processId, versionTag }, r => r.ToRecord(), ct);

    public ValueTask<DefinitionRecord?> GetDefinitionInDeploymentAsync(Guid deploymentId, string processId, CancellationToken ct) =>
        SingleAsync<DefinitionRow, DefinitionRecord>("SELECT * FROM wf_definitions WHERE deployment_id = @deploymentId AND process_id = @processId", new { deploymentId, processId }, r => r.ToRecord(), ct);

    // ---------------------------------------------------------------- instances

    public ValueTask<InstanceRecord?> GetInstanceAsync(Guid id, CancellationToken ct) =>
        SingleAsync<InstanceRow, InstanceRecord>("SELECT * FROM wf_instances WHERE id = @id", new { id }, r => r.ToRecord(), ct);

    public async ValueTask<IReadOnlyList<InstanceRecord>> GetInstancesAsync(IReadOnlyCollection<Guid> ids, CancellationToken ct)
    {
        var found = new List<InstanceRecord>();
        foreach (var chunk in ids.Distinct().Chunk(500))
        {
            found.AddRange(await ListAsync<InstanceRow, InstanceRecord>($"SELECT * FROM wf_instances WHERE {_dialect.InList("id", "@ids")}", new { ids = chunk }, r => r.ToRecord(), ct).ConfigureAwait(false));
        }

        return found;
    }

    public ValueTask<IReadOnlyList<InstanceRecord>> FindInstancesAsync(InstanceFilter filter, CancellationToken ct)
    {
        var where = new List<string>();
        void When(object? value, string condition)
        {
            if (value is not null)
            {
                where.Add(condition);
            }
        }

        When(filter.ProcessId, "process_id = @ProcessId");
        When(filter.BusinessKey, "business_key = @BusinessKey");
        When(filter.Branch, "branch = @Branch");
        When(filter.CustomerId, "customer_id = @CustomerId");
        When(filter.Status, "status = @Status");
        var clause = where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where);
        return ListAsync<InstanceRow, InstanceRecord>(_dialect.Top($"* FROM wf_instances{clause} ORDER BY started_at DESC, id DESC", "@Max"),
            new { filter.ProcessId, filter.BusinessKey, filter.Branch, filter.CustomerId, Status = (int?)filter.Status, filter.Max }, r => r.ToRecord(), ct);
    }

    // ---------------------------------------------------------------- tasks and jobs

    public ValueTask<UserTaskRecord?> GetUserTaskAsync(Guid id, CancellationToken ct) =>
        SingleAsync<UserTaskRow, UserTaskRecord>("SELECT * FROM wf_user_tasks WHERE id = @id", new { id }, r => r.ToRecord(), ct);

    public ValueTask<IReadOnlyList<UserTaskRecord>> GetOpenUserTasksAsync(Guid instanceId, CancellationToken ct) =>
        ListAsync<UserTaskRow, UserTaskRecord>("SELECT * FROM wf_user_tasks WHERE instance_id = @instanceId AND status = 0 ORDER BY created_at", new { instanceId }, r => r.ToRecord(), ct);

    public async ValueTask<IReadOnlyList<UserTaskRecord>> GetOpenUserTasksOfInstancesAsync(IReadOnlyCollection<Guid> instanceIds, CancellationToken ct)
    {
        var tasks = new List<UserTaskRecord>();
        foreach (var chunk in instanceIds.Distinct().Chunk(500))
        {
            tasks.AddRange(await ListAsync<UserTaskRow, UserTaskRecord>(
                $"SELECT * FROM wf_user_tasks WHERE {_dialect.InList("instance_id", "@ids")} AND status = 0", new { ids = chunk }, r => r.ToRecord(), ct).ConfigureAwait(false));
        }

        return tasks;
    }

    public ValueTask<JobRecord?> GetJobAsync(Guid id, CancellationToken ct) =>
        SingleAsync<JobRow, JobRecord>("SELECT * FROM wf_jobs WHERE id = @id", new { id }, r => r.ToRecord(), ct);

    public ValueTask<IReadOnlyList<JobRecord>> GetJobsAsync(Guid? instanceId, string? type, CancellationToken ct)
    {
        var sql = instanceId is not null
            ? "SELECT * FROM wf_jobs WHERE instance_id = @instanceId" + (type is null ? "" : " AND type = @type")
            : "SELECT * FROM wf_jobs" + (type is null ? "" : " WHERE type = @type");
        return ListAsync<JobRow, JobRecord>(sql + " ORDER BY created_at", new { instanceId, type }, r => r.ToRecord(), ct);
    }

    public async ValueTask<IReadOnlyList<JobRecord>> ClaimDueJobsAsync(IReadOnlyCollection<string> types, DateTimeOffset now, int max, string owner, DateTimeOffset leaseUntil, CancellationToken ct) =>
        (await ClaimAsync<JobRow>(_dialect.ClaimJobsSql, new { Types = types.ToArray(), Now = now.UtcTicks, Max = max, Owner = owner, LeaseUntil = leaseUntil.UtcTicks }, ct).ConfigureAwait(false))
            .Select(r => r.ToRecord()).ToList();

    public async ValueTask<IReadOnlyList<JobRecord>> ClaimDueExternalJobsAsync(DateTimeOffset now, int max, string owner, DateTimeOffset leaseUntil, CancellationToken ct) =>
        (await ClaimAsync<JobRow>(_dialect.ClaimExternalJobsSql, new { Now = now.UtcTicks, Max = max, Owner = owner, LeaseUntil = leaseUntil.UtcTicks }, ct).ConfigureAwait(false))
            .Select(r => r.ToRecord()).OrderBy(j => j.DueAt).ToList();

    public async ValueTask ReleaseJobLeasesAsync(IReadOnlyCollection<Guid> ids, string owner, CancellationToken ct) =>
        await WritingAsync(async () =>
        {
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
            return await connection.ExecuteAsync(new CommandDefinition(
                $"UPDATE wf_jobs SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = @owner AND {_dialect.InList("id", "@ids")}",
                new { owner, ids = ids.ToArray() }, cancellationToken: ct)).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);

    // ---------------------------------------------------------------- timers

    public async ValueTask<IReadOnlyList<TimerRecord>> ClaimDueTimersAsync(DateTimeOffset now, int max, string owner, DateTimeOffset leaseUntil, CancellationToken ct) =>
        (await ClaimAsync<TimerRow>(_dialect.ClaimTimersSql, new { Now = now.UtcTicks, Max = max, Owner = owner, LeaseUntil = leaseUntil.UtcTicks }, ct).ConfigureAwait(false))
            .Select(r => r.ToRecord()).OrderBy(t => t.DueAt).ToList();

    /// <summary>Runs one of the dialect's lease claims in its own write transaction and returns the leased rows.</summary>
    private Task<List<TRow>> ClaimAsync<TRow>(string sql, object parameters, CancellationToken ct) =>
        WritingAsync(async () =>
        {
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
            await using var transaction = await _dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            var rows = (await connection.QueryAsync<TRow>(new CommandDefinition(sql, parameters, transaction, cancellationToken: ct)).ConfigureAwait(false)).ToList();
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return rows;
        }, ct);

    public ValueTask<TimerRecord?> GetTimerAsync(Guid id, CancellationToken ct) =>
        SingleAsync<TimerRow, TimerRecord>("SELECT * FROM wf_timers WHERE id = @id", new { id }, r => r.ToRecord(), ct);

    public async ValueTask<DateTimeOffset?> GetNextTimerDueAsync(DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        var ticks = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT MIN(due_at) FROM wf_timers WHERE lease_until IS NULL OR lease_until < @now", new { now = now.UtcTicks }, cancellationToken: ct)).ConfigureAwait(false);
        return ticks is { } t ? Time(t) : null;
    }

    // ---------------------------------------------------------------- clocks

    public async ValueTask<IReadOnlyList<SlaClockRecord>> ClaimDueClocksAsync(DateTimeOffset now, int max, string owner, DateTimeOffset leaseUntil, CancellationToken ct) =>
        (await ClaimAsync<SlaClockRow>(_dialect.ClaimClocksSql, new { Now = now.UtcTicks, Max = max, Owner = owner, LeaseUntil = leaseUntil.UtcTicks }, ct).ConfigureAwait(false))
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

    public async ValueTask<IReadOnlyList<SlaClockRecord>> GetClocksOfInstancesAsync(IReadOnlyCollection<Guid> instanceIds, bool openOnly, CancellationToken ct)
    {
        var clocks = new List<SlaClockRecord>();
        foreach (var chunk in instanceIds.Distinct().Chunk(500))
        {
            clocks.AddRange(await ListAsync<SlaClockRow, SlaClockRecord>(
                $"SELECT * FROM wf_sla_clocks WHERE {_dialect.InList("instance_id", "@ids")}{(openOnly ? " AND ended_at IS NULL" : "")} ORDER BY started_at, id", new { ids = chunk }, r => r.ToRecord(), ct).ConfigureAwait(false));
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
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        var rows = await connection.QueryAsync<(string, long)>(new CommandDefinition("SELECT definition, revision FROM wf_branches WHERE id = @id", new { id }, cancellationToken: ct)).ConfigureAwait(false);
        return rows.Select(r => ((string, long)?)r).FirstOrDefault();
    }

    // ---------------------------------------------------------------- queues

    public async ValueTask<IReadOnlyList<UserTaskRecord>> QueryTasksAsync(TaskQuery query, TaskSortKey? after, int limit, CancellationToken ct)
    {
        var parameters = new DynamicParameters();
        parameters.Add("limit", limit);
        var filters = new List<string> { "t.status = 0" };
        void Filter(object? value, string name, string condition)
        {
            if (value is not null)
            {
                parameters.Add(name, value);
                filters.Add(condition);
            }
        }

        Filter(query.Assignee, "assignee", "t.assignee = @assignee");
        Filter(query.Branch, "branch", "t.branch = @branch");
        Filter((int?)query.SlaState, "slaState", "t.sla_state = @slaState");
        Filter(query.CustomerId, "customerId", "t.customer_id = @customerId");
        Filter(query.BusinessKey, "businessKey", "t.business_key = @businessKey");
        Filter(query.DueBefore?.UtcTicks, "dueBefore", "t.due_date < @dueBefore");

        var columns = TaskSortKey.Columns(query.Sort);
        if (after is { } cursor)
        {
            foreach (var column in columns)
            {
                parameters.Add("after_" + column, cursor.Value(column));
            }

            parameters.Add("after_id", cursor.Id);
        }

        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        var queues = TaskFilter.QueueKeys(query);
        if (queues.Count == 0)
        {
            // No queue: the task table itself, its sort keys computed.
            var expressions = columns.Select(c => c switch
            {
                "sla_sort" => "COALESCE(t.sla_due_at, 9223372036854775807)",
                "inv_priority" => "(100 - t.priority)",
                _ => "t.created_at",
            }).Append("t.id").ToList();
            if (query.Unassigned is { } unassigned)
            {
                filters.Add(unassigned ? "t.assignee IS NULL" : "t.assignee IS NOT NULL");
            }

            if (after is not null)
            {
                filters.Add(_dialect.After(expressions, columns.Select(c => "@after_" + c).Append("@after_id").ToList()));
            }

            var sql = _dialect.Top($"t.* FROM wf_user_tasks t WHERE {string.Join(" AND ", filters)} ORDER BY {string.Join(", ", expressions)}", "@limit");
            var rows = await connection.QueryAsync<UserTaskRow>(new CommandDefinition(sql, parameters, cancellationToken: ct)).ConfigureAwait(false);
            return rows.Select(r => r.ToRecord()).ToList();
        }

        // Per queue (and claimed or not), walk that queue's index in order and stop at a page; then merge.
        var keys = columns.Select(c => "q." + c).Append("q.task_id").ToList();
        if (after is not null)
        {
            filters.Add(_dialect.After(keys, columns.Select(c => "@after_" + c).Append("@after_id").ToList()));
        }

        var claimedValues = query.Unassigned switch
        {
            true => new[] { 0 },
            false => [1],
            null => query.Assignee is not null ? [1] : [0, 1],
        };
        var branches = new List<string>();
        var select = string.Join(", ", columns.Select(c => "q." + c).Append("q.task_id"));
        foreach (var (queue, i) in queues.Select((q, i) => (q, i)))
        {
            parameters.Add($"q{i}", queue);
            foreach (var claimed in claimedValues)
            {
                branches.Add($"SELECT * FROM ({_dialect.Top($"{select} FROM wf_task_queues q JOIN wf_user_tasks t ON t.id = q.task_id WHERE q.queue = @q{i} AND q.claimed = {claimed} AND {string.Join(" AND ", filters)} ORDER BY {string.Join(", ", keys)}", "@limit")}) b{branches.Count}");
            }
        }

        var order = string.Join(", ", columns.Append("task_id"));
        var merged = _dialect.Top($"task_id FROM ({string.Join(" UNION ALL ", branches)}) u ORDER BY {order}", "@total");
        parameters.Add("total", limit * branches.Count);
        var ids = (await connection.QueryAsync<Guid>(new CommandDefinition(merged, parameters, cancellationToken: ct)).ConfigureAwait(false))
            .Distinct()
            .Take(limit)
            .ToList();
        if (ids.Count == 0)
        {
            return [];
        }

        var tasks = (await connection.QueryAsync<UserTaskRow>(new CommandDefinition(
            $"SELECT * FROM wf_user_tasks WHERE {_dialect.InList("id", "@ids")}", new { ids = ids.ToArray() }, cancellationToken: ct)).ConfigureAwait(false))
            .ToDictionary(r => r.Id, r => r.ToRecord());
        return ids.Where(tasks.ContainsKey).Select(id => tasks[id]).ToList();
    }

    // ---------------------------------------------------------------- subscriptions and messages

    public ValueTask<IReadOnlyList<MessageSubscriptionRecord>> FindMessageSubscriptionsAsync(string name, string correlationKey, CancellationToken ct) =>
        ListAsync<MessageSubscriptionRow, MessageSubscriptionRecord>(
            "SELECT * FROM wf_message_subscriptions WHERE message_name = @name AND correlation_key = @correlationKey AND instance_id IS NOT NULL ORDER BY created_at",
            new { name, correlationKey }, r => r.ToRecord(), ct);

    public ValueTask<IReadOnlyList<MessageSubscriptionRecord>> FindMessageStartsAsync(string name, CancellationToken ct) =>
        ListAsync<MessageSubscriptionRow, MessageSubscriptionRecord>(
            "SELECT * FROM wf_message_subscriptions WHERE message_name = @name AND correlation_key IS NULL AND instance_id IS NULL",
            new { name }, r => r.ToRecord(), ct);

    public ValueTask<IReadOnlyList<SignalSubscriptionRecord>> FindSignalSubscriptionsAsync(string name, CancellationToken ct) =>
        ListAsync<SignalSubscriptionRow, SignalSubscriptionRecord>("SELECT * FROM wf_signal_subscriptions WHERE signal_name = @name", new { name }, r => r.ToRecord(), ct);

    public async ValueTask<(IReadOnlyList<TimerRecord> Timers, IReadOnlyList<MessageSubscriptionRecord> Messages, IReadOnlyList<SignalSubscriptionRecord> Signals)> GetStartSubscriptionsAsync(string processId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        var definitions = "(SELECT id FROM wf_definitions WHERE process_id = @processId)";
        var timers = await connection.QueryAsync<TimerRow>($"SELECT * FROM wf_timers WHERE instance_id IS NULL AND definition_id IN {definitions}", new { processId }).ConfigureAwait(false);
        var messages = await connection.QueryAsync<MessageSubscriptionRow>($"SELECT * FROM wf_message_subscriptions WHERE instance_id IS NULL AND definition_id IN {definitions}", new { processId }).ConfigureAwait(false);
        var signals = await connection.QueryAsync<SignalSubscriptionRow>($"SELECT * FROM wf_signal_subscriptions WHERE instance_id IS NULL AND definition_id IN {definitions}", new { processId }).ConfigureAwait(false);
        return (timers.Select(t => t.ToRecord()).ToList(), messages.Select(m => m.ToRecord()).ToList(), signals.Select(s => s.ToRecord()).ToList());
    }

    // Once per process: a correlation row names the instance, whose row names the process (instances are never deleted).
    public ValueTask<IReadOnlyList<BufferedMessageRecord>> FindBufferedMessagesAsync(string name, string correlationKey, string processId, DateTimeOffset now, CancellationToken ct) =>
        ListAsync<BufferedMessageRow, BufferedMessageRecord>(
            """
            SELECT * FROM wf_buffered_messages m
            WHERE m.name = @name AND m.correlation_key = @correlationKey AND m.expires_at > @now
              AND NOT EXISTS (SELECT 1 FROM wf_message_correlations c JOIN wf_instances i ON i.id = c.instance_id
                              WHERE c.buffered_message_id = m.id AND i.process_id = @processId)
            ORDER BY m.published_at
            """,
            new { name, correlationKey, processId, now = now.UtcTicks }, r => r.ToRecord(), ct);

    public async ValueTask<bool> IsInInboxAsync(string messageId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<int?>(new CommandDefinition(
            "SELECT 1 FROM wf_inbox WHERE message_id = @messageId", new { messageId }, cancellationToken: ct)).ConfigureAwait(false) is not null;
    }

    public async ValueTask<(int Expired, IReadOnlyList<BufferedMessageRecord> Unclaimed)> ExpireBufferedMessagesAsync(DateTimeOffset now, int max, CancellationToken ct) =>
        await WritingAsync(async () =>
        {
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
            await using var transaction = await _dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            var ids = (await connection.QueryAsync<Guid>(new CommandDefinition(
                _dialect.Top("id FROM wf_buffered_messages WHERE expired_at IS NULL AND expires_at <= @now ORDER BY expires_at", "@max"),
                new { now = now.UtcTicks, max }, transaction, cancellationToken: ct)).ConfigureAwait(false)).ToArray();
            if (ids.Length == 0)
            {
                return (0, (IReadOnlyList<BufferedMessageRecord>)[]);
            }

            var marked = await connection.ExecuteAsync(new CommandDefinition($"""
                UPDATE wf_buffered_messages SET expired_at = @now,
                    unclaimed = CASE WHEN EXISTS (SELECT 1 FROM wf_message_correlations c WHERE c.buffered_message_id = wf_buffered_messages.id) THEN 0 ELSE 1 END
                WHERE expired_at IS NULL AND {_dialect.InList("id", "@ids")}
                """, new { now = now.UtcTicks, ids }, transaction, cancellationToken: ct)).ConfigureAwait(false);
            var unclaimed = (await connection.QueryAsync<BufferedMessageRow>(new CommandDefinition(
                $"SELECT * FROM wf_buffered_messages WHERE unclaimed = 1 AND expired_at = @now AND {_dialect.InList("id", "@ids")}",
                new { now = now.UtcTicks, ids }, transaction, cancellationToken: ct)).ConfigureAwait(false)).Select(r => r.ToRecord()).ToList();
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return (marked, (IReadOnlyList<BufferedMessageRecord>)unclaimed);
        }, ct).ConfigureAwait(false);

    public ValueTask<IReadOnlyList<BufferedMessageRecord>> GetExpiredMessagesAsync(int max, CancellationToken ct) =>
        ListAsync<BufferedMessageRow, BufferedMessageRecord>(
            _dialect.Top("* FROM wf_buffered_messages WHERE unclaimed = 1 ORDER BY expires_at DESC", "@max"), new { max }, r => r.ToRecord(), ct);

    // ---------------------------------------------------------------- incidents, history, outbox

    public ValueTask<IncidentRecord?> GetIncidentAsync(Guid id, CancellationToken ct) =>
        SingleAsync<IncidentRow, IncidentRecord>("SELECT * FROM wf_incidents WHERE id = @id", new { id }, r => r.ToRecord(), ct);

    public ValueTask<IReadOnlyList<IncidentRecord>> GetOpenIncidentsAsync(Guid instanceId, CancellationToken ct) =>
        ListAsync<IncidentRow, IncidentRecord>("SELECT * FROM wf_incidents WHERE instance_id = @instanceId AND resolved_at IS NULL ORDER BY created_at", new { instanceId }, r => r.ToRecord(), ct);

    public ValueTask<IReadOnlyList<IncidentRecord>> GetOpenIncidentsAsync(string? branch, int max, CancellationToken ct) =>
        ListAsync<IncidentRow, IncidentRecord>(
            _dialect.Top("i.* FROM wf_incidents i" + (branch is null ? "" : " JOIN wf_instances n ON n.id = i.instance_id") +
                " WHERE i.resolved_at IS NULL" + (branch is null ? "" : " AND n.branch = @branch") + " ORDER BY i.created_at", "@max"),
            new { branch, max }, r => r.ToRecord(), ct);

    public ValueTask<IReadOnlyList<HistoryRecord>> GetHistoryAsync(Guid instanceId, CancellationToken ct) =>
        ListAsync<HistoryRow, HistoryRecord>("SELECT * FROM wf_history WHERE instance_id = @instanceId ORDER BY seq", new { instanceId }, r => r.ToRecord(), ct);

    public ValueTask<IReadOnlyList<OutboxRecord>> GetUnpublishedOutboxAsync(int max, CancellationToken ct) =>
        ListAsync<OutboxRow, OutboxRecord>(_dialect.Top("* FROM wf_outbox WHERE published_at IS NULL ORDER BY seq", "@max"), new { max }, r => r.ToRecord(), ct);

    public async ValueTask MarkOutboxPublishedAsync(IReadOnlyCollection<long> seqs, DateTimeOffset at, CancellationToken ct) =>
        await WritingAsync(async () =>
        {
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
            return await connection.ExecuteAsync(new CommandDefinition(
                $"UPDATE wf_outbox SET published_at = @at WHERE {_dialect.InList("seq", "@seqs")}", new { at = at.UtcTicks, seqs = seqs.ToArray() }, cancellationToken: ct)).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);

    public async ValueTask<bool> TryTakeLeaseAsync(string name, string owner, DateTimeOffset now, DateTimeOffset until, CancellationToken ct) =>
        await WritingAsync(async () =>
        {
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
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

    public ValueTask<IReadOnlyList<OutboxRecord>> GetOutboxAsync(Guid? instanceId, CancellationToken ct) =>
        ListAsync<OutboxRow, OutboxRecord>(
            instanceId is null ? "SELECT * FROM wf_outbox ORDER BY seq" : "SELECT * FROM wf_outbox WHERE instance_id = @instanceId ORDER BY seq",
            new { instanceId }, r => r.ToRecord(), ct);

    /// <summary>
    /// Deletes the history of instances that ended before <paramref name="endedBefore"/>, at most
    /// <paramref name="batchSize"/> instances per transaction, so the runtime tables are never blocked for long.
    /// </summary>
    /// <returns>How many history rows were deleted.</returns>
    public async Task<long> DeleteHistoryAsync(DateTimeOffset endedBefore, int batchSize, CancellationToken ct)
    {
        long total = 0;
        while (true)
        {
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
            var ids = (await connection.QueryAsync<Guid>(new CommandDefinition(
                _dialect.Top("i.id FROM wf_instances i WHERE i.ended_at < @cutoff AND EXISTS (SELECT 1 FROM wf_history h WHERE h.instance_id = i.id)", "@batchSize"),
                new { cutoff = endedBefore.UtcTicks, batchSize }, cancellationToken: ct)).ConfigureAwait(false)).ToList();
            if (ids.Count == 0)
            {
                return total;
            }

            await using var transaction = await _dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            total += await connection.ExecuteAsync(new CommandDefinition($"DELETE FROM wf_history WHERE {_dialect.InList("instance_id", "@ids")}", new { ids = ids.ToArray() }, transaction, cancellationToken: ct)).ConfigureAwait(false);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
        }
    }

    // ---------------------------------------------------------------- the commit

    public async ValueTask CommitAsync(ChangeSet changes, CancellationToken ct) =>
        await WritingAsync(() => CommitCoreAsync(changes, ct), ct).ConfigureAwait(false);

    private async Task<bool> CommitCoreAsync(ChangeSet changes, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var transaction = await _dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
        try
        {
            await WriteAsync(connection, transaction, changes, ct).ConfigureAwait(false);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (_dialect.IsUniqueViolation(e))
        {
            throw new ConcurrencyConflictException($"another command wrote the same row first: {e.Message}");
        }
    }

    /// <summary>Called between the writes of a commit, for tests that prove a failure anywhere leaves nothing behind.</summary>
    internal Func<string, Task>? FailureInjection { get; set; }

    private async Task WriteAsync(DbConnection c, DbTransaction tx, ChangeSet changes, CancellationToken ct)
    {
        async Task<int> Exec(string step, string sql, object? parameters)
        {
            if (FailureInjection is not null)
            {
                await FailureInjection(step).ConfigureAwait(false);
            }

            return await c.ExecuteAsync(new CommandDefinition(sql, parameters, tx, cancellationToken: ct)).ConfigureAwait(false);
        }

        // One statement per row, skipped when there is nothing to write; the dialect sends them its own
        // cheapest way. Returns how many rows the statements affected.
        async Task<int> Insert<T>(string step, string sql, IReadOnlyCollection<T> rows, Func<T, object> parameters)
        {
            if (rows.Count == 0)
            {
                return 0;
            }

            if (FailureInjection is not null)
            {
                await FailureInjection(step).ConfigureAwait(false);
            }

            return await _dialect.ExecuteRowsAsync(c, tx, sql, rows.Select(parameters).ToList(), ct).ConfigureAwait(false);
        }

        // One statement per chunk of ids, under every driver's parameter limit.
        async Task Delete(string step, string table, IReadOnlyCollection<Guid> ids)
        {
            foreach (var chunk in ids.Chunk(500))
            {
                await Exec(step, $"DELETE FROM {table} WHERE {_dialect.InList("id", "@ids")}", new { ids = chunk }).ConfigureAwait(false);
            }
        }

        // The guards first, in a fixed order (by id) so that two commands never wait on each other in a cycle.
        var instances = changes.Instances.OrderBy(w => w.Record.Id).Select(write =>
        {
            var r = write.Record;
            return new
            {
                r.Id, r.ProcessId, r.DefinitionId, r.Version, r.BusinessKey, Status = (int)r.Status, r.RowVersion,
                StartedAt = r.StartedAt.UtcTicks, EndedAt = r.EndedAt?.UtcTicks, r.ParentInstanceId, r.State, Expected = write.ExpectedRowVersion,
                r.Branch, r.CustomerId,
            };
        }).ToList();
        await Insert("instance", """
            INSERT INTO wf_instances (id, process_id, definition_id, version, business_key, status, row_version, started_at, ended_at, parent_instance_id, state, branch, customer_id)
            VALUES (@Id, @ProcessId, @DefinitionId, @Version, @BusinessKey, @Status, @RowVersion, @StartedAt, @EndedAt, @ParentInstanceId, @State, @Branch, @CustomerId)
            """, instances.Where(i => i.Expected == 0).ToList(), row => row).ConfigureAwait(false);
        var updates = instances.Where(i => i.Expected != 0).ToList();
        var updated = await Insert("instance-update",
            "UPDATE wf_instances SET status = @Status, row_version = @RowVersion, ended_at = @EndedAt, state = @State, branch = @Branch, customer_id = @CustomerId WHERE id = @Id AND row_version = @Expected",
            updates, row => row).ConfigureAwait(false);
        if (updated != updates.Count)
        {
            throw new ConcurrencyConflictException($"an instance changed since it was read ({updates.Count - updated} of {string.Join(", ", updates.Select(u => u.Id))})");
        }

        if (changes.FiredTimer is { } fired)
        {
            var deleted = await c.ExecuteAsync(new CommandDefinition("DELETE FROM wf_timers WHERE id = @fired", new { fired }, tx, cancellationToken: ct)).ConfigureAwait(false);
            if (deleted != 1)
            {
                throw new ConcurrencyConflictException($"timer {fired} was fired or closed by another command");
            }
        }

        await Insert("definitions", """
            INSERT INTO wf_definitions (id, process_id, version, version_tag, checksum, xml, deployment_id, deployed_at, deployed_by)
            VALUES (@Id, @ProcessId, @Version, @VersionTag, @Checksum, @Xml, @DeploymentId, @DeployedAt, @DeployedBy)
            """, changes.Definitions, d => new { d.Id, d.ProcessId, d.Version, d.VersionTag, d.Checksum, d.Xml, d.DeploymentId, DeployedAt = d.DeployedAt.UtcTicks, d.DeployedBy }).ConfigureAwait(false);

        // Rows are created before rows are removed, so a wait opened and closed by one command leaves nothing.
        await Insert("tasks", """
            INSERT INTO wf_user_tasks (id, instance_id, element_key, element_id, name, process_id, business_key, assignee, candidate_groups, candidate_users, priority, due_date, follow_up_date, form_json, created_at, status, customer_id, branch, journey, sla_state, sla_due_at)
            VALUES (@Id, @InstanceId, @ElementKey, @ElementId, @Name, @ProcessId, @BusinessKey, @Assignee, @CandidateGroups, @CandidateUsers, @Priority, @DueDate, @FollowUpDate, @FormJson, @CreatedAt, 0, @CustomerId, @Branch, @Journey, @SlaState, @SlaDueAt)
            """, changes.TasksCreated, t => new
        {
            t.Id, t.InstanceId, t.ElementKey, t.ElementId, t.Name, t.ProcessId, t.BusinessKey, t.Assignee,
            CandidateGroups = JsonSerializer.Serialize(t.CandidateGroups), CandidateUsers = JsonSerializer.Serialize(t.CandidateUsers),
            t.Priority, DueDate = t.DueDate?.UtcTicks, FollowUpDate = t.FollowUpDate?.UtcTicks, t.FormJson, CreatedAt = t.CreatedAt.UtcTicks,
            t.CustomerId, t.Branch, t.Journey, SlaState = (int?)t.SlaState, SlaDueAt = t.SlaDueAt?.UtcTicks,
        }).ConfigureAwait(false);
        await Insert("tasks-updated", """
            UPDATE wf_user_tasks SET assignee = @Assignee, candidate_groups = @CandidateGroups, candidate_users = @CandidateUsers, priority = @Priority,
                sla_state = @SlaState, sla_due_at = @SlaDueAt
            WHERE id = @Id
            """, changes.TasksUpdated, t => new
        {
            t.Id, t.Assignee, CandidateGroups = JsonSerializer.Serialize(t.CandidateGroups), CandidateUsers = JsonSerializer.Serialize(t.CandidateUsers),
            t.Priority, SlaState = (int?)t.SlaState, SlaDueAt = t.SlaDueAt?.UtcTicks,
        }).ConfigureAwait(false);
        await Insert("tasks-closed", "UPDATE wf_user_tasks SET status = @Status WHERE id = @Id", changes.TasksClosed, t => new { t.Id, Status = (int)t.Status }).ConfigureAwait(false);
        await Insert("task-clocks", "UPDATE wf_user_tasks SET sla_state = @State, sla_due_at = @Due WHERE id = @Id",
            changes.TaskClocks, t => new { Id = t.TaskId, State = (int?)t.State, Due = t.DueAt?.UtcTicks }).ConfigureAwait(false);
        await Insert("task-clocks-queued", "UPDATE wf_task_queues SET sla_sort = @Sort WHERE task_id = @Id",
            changes.TaskClocks, t => new { Id = t.TaskId, Sort = t.DueAt?.UtcTicks ?? long.MaxValue }).ConfigureAwait(false);

        // The queue index follows the task rows: a closed task's entries are removed, a requeued task's
        // written anew, and the other updated tasks' sort keys changed in place.
        var requeued = changes.TasksUpdated.Where(t => changes.TasksRequeued.Contains(t.Id)).Select(t => t.Id).Concat(changes.TasksClosed.Select(t => t.Id)).ToList();
        foreach (var chunk in requeued.Chunk(500))
        {
            await Exec("task-queues-removed", $"DELETE FROM wf_task_queues WHERE {_dialect.InList("task_id", "@ids")}", new { ids = chunk }).ConfigureAwait(false);
        }

        var closed = changes.TasksClosed.Select(t => t.Id).ToHashSet();
        var queued = changes.TasksCreated.Concat(changes.TasksUpdated.Where(t => changes.TasksRequeued.Contains(t.Id)))
            .Where(t => !closed.Contains(t.Id))
            .SelectMany(t => t.QueueKeys.Distinct(StringComparer.Ordinal).Select(queue => (Queue: queue, Task: t)))
            .ToList();
        await Insert("task-queues", """
            INSERT INTO wf_task_queues (queue, task_id, claimed, sla_sort, inv_priority, created_at)
            VALUES (@Queue, @TaskId, @Claimed, @SlaSort, @InvPriority, @CreatedAt)
            """, queued, q =>
        {
            var key = TaskSortKey.Of(q.Task);
            return new { q.Queue, TaskId = q.Task.Id, Claimed = q.Task.Assignee is null ? 0 : 1, key.SlaSort, key.InvPriority, CreatedAt = key.CreatedTicks };
        }).ConfigureAwait(false);
        await Insert("task-queues-updated", "UPDATE wf_task_queues SET claimed = @Claimed, sla_sort = @SlaSort, inv_priority = @InvPriority WHERE task_id = @Id",
            changes.TasksUpdated.Where(t => !changes.TasksRequeued.Contains(t.Id) && !closed.Contains(t.Id)).ToList(), t =>
        {
            var key = TaskSortKey.Of(t);
            return new { t.Id, Claimed = t.Assignee is null ? 0 : 1, key.SlaSort, key.InvPriority };
        }).ConfigureAwait(false);

        await Insert("clocks", """
            INSERT INTO wf_sla_clocks (id, instance_id, element_key, element_id, kind, level, label, process_id, business_key, branch, customer_id, calendar, target,
                working_time, budget_ticks, started_at, state, consumed_ticks, running_since, target_at, next_due_at, fired, next_repeat_at, pause_reason, paused_at,
                paused_by, paused_ticks, ended_at)
            VALUES (@Id, @InstanceId, @ElementKey, @ElementId, @Kind, @Level, @Label, @ProcessId, @BusinessKey, @Branch, @CustomerId, @Calendar, @Target,
                @WorkingTime, @BudgetTicks, @StartedAt, @State, @ConsumedTicks, @RunningSince, @TargetAt, @NextDueAt, @Fired, @NextRepeatAt, @PauseReason, @PausedAt,
                @PausedBy, @PausedTicks, @EndedAt)
            """, changes.ClocksCreated, SlaClockRow.From).ConfigureAwait(false);
        await Insert("clocks-updated", """
            UPDATE wf_sla_clocks SET state = @State, consumed_ticks = @ConsumedTicks, running_since = @RunningSince, target_at = @TargetAt, next_due_at = @NextDueAt,
                fired = @Fired, next_repeat_at = @NextRepeatAt, pause_reason = @PauseReason, paused_at = @PausedAt, paused_by = @PausedBy, paused_ticks = @PausedTicks,
                ended_at = @EndedAt, lease_owner = NULL, lease_until = NULL
            WHERE id = @Id
            """, changes.ClocksUpdated, SlaClockRow.From).ConfigureAwait(false);
        foreach (var (name, from, json) in changes.CalendarLayers)
        {
            await Exec("calendar-layers", "DELETE FROM wf_calendar_layers WHERE name = @name AND effective_from = @from", new { name, from = from.UtcTicks }).ConfigureAwait(false);
            await Exec("calendar-layers", "INSERT INTO wf_calendar_layers (name, effective_from, definition) VALUES (@name, @from, @json)", new { name, from = from.UtcTicks, json }).ConfigureAwait(false);
        }

        foreach (var (id, json, revision, expected) in changes.Branches)
        {
            if (expected is null)
            {
                // A whole replacement (or a new branch): two at once collide on the key, and the loser retries.
                await Exec("branches", "DELETE FROM wf_branches WHERE id = @id", new { id }).ConfigureAwait(false);
                await Exec("branches", "INSERT INTO wf_branches (id, definition, revision) VALUES (@id, @json, @revision)", new { id, json, revision }).ConfigureAwait(false);
            }
            else if (await Exec("branches", "UPDATE wf_branches SET definition = @json, revision = @revision WHERE id = @id AND revision = @expected", new { id, json, revision, expected }).ConfigureAwait(false) != 1)
            {
                // A read-modify-write holds only if nobody saved the branch since it was read.
                throw new ConcurrencyConflictException($"branch {id} changed since it was read (expected revision {expected})");
            }
        }

        await Insert("jobs", """
            INSERT INTO wf_jobs (id, instance_id, element_key, element_id, type, retries, failures, created_at, due_at, headers_json, variables_json, external)
            VALUES (@Id, @InstanceId, @ElementKey, @ElementId, @Type, @Retries, @Failures, @CreatedAt, @DueAt, @HeadersJson, @VariablesJson, @External)
            """, changes.JobsCreated, j => new { j.Id, j.InstanceId, j.ElementKey, j.ElementId, j.Type, j.Retries, j.Failures, CreatedAt = j.CreatedAt.UtcTicks, DueAt = j.DueAt.UtcTicks, j.HeadersJson, j.VariablesJson, External = j.External ? 1 : 0 }).ConfigureAwait(false);
        await Delete("jobs-closed", "wf_jobs", changes.JobsClosed).ConfigureAwait(false);

        await Insert("timers", """
            INSERT INTO wf_timers (id, instance_id, element_key, element_id, definition_id, due_at, interval_ticks, remaining)
            VALUES (@Id, @InstanceId, @ElementKey, @ElementId, @DefinitionId, @DueAt, @IntervalTicks, @Remaining)
            """, changes.TimersCreated, t => new { t.Id, t.InstanceId, t.ElementKey, t.ElementId, t.DefinitionId, DueAt = t.DueAt.UtcTicks, IntervalTicks = t.Interval?.Ticks, t.Remaining }).ConfigureAwait(false);
        await Delete("timers-removed", "wf_timers", changes.TimersRemoved).ConfigureAwait(false);

        await Insert("message-subscriptions", """
            INSERT INTO wf_message_subscriptions (id, instance_id, element_key, element_id, definition_id, message_name, correlation_key, created_at)
            VALUES (@Id, @InstanceId, @ElementKey, @ElementId, @DefinitionId, @MessageName, @CorrelationKey, @CreatedAt)
            """, changes.MessageSubscriptionsCreated, m => new { m.Id, m.InstanceId, m.ElementKey, m.ElementId, m.DefinitionId, m.MessageName, m.CorrelationKey, CreatedAt = m.CreatedAt.UtcTicks }).ConfigureAwait(false);
        await Delete("message-subscriptions-removed", "wf_message_subscriptions", changes.MessageSubscriptionsRemoved).ConfigureAwait(false);

        await Insert("signal-subscriptions", """
            INSERT INTO wf_signal_subscriptions (id, instance_id, element_key, element_id, definition_id, signal_name)
            VALUES (@Id, @InstanceId, @ElementKey, @ElementId, @DefinitionId, @SignalName)
            """, changes.SignalSubscriptionsCreated, s => s).ConfigureAwait(false);
        await Delete("signal-subscriptions-removed", "wf_signal_subscriptions", changes.SignalSubscriptionsRemoved).ConfigureAwait(false);

        await Insert("buffered-messages", """
            INSERT INTO wf_buffered_messages (id, message_id, name, correlation_key, variables_json, published_at, expires_at)
            VALUES (@Id, @MessageId, @Name, @CorrelationKey, @VariablesJson, @PublishedAt, @ExpiresAt)
            """, changes.MessagesBuffered, m => new { m.Id, m.MessageId, m.Name, m.CorrelationKey, m.VariablesJson, PublishedAt = m.PublishedAt.UtcTicks, ExpiresAt = m.ExpiresAt.UtcTicks }).ConfigureAwait(false);
        await Insert("message-correlations", "INSERT INTO wf_message_correlations (buffered_message_id, instance_id) VALUES (@BufferedMessageId, @InstanceId)",
            changes.MessageCorrelations, m => new { m.BufferedMessageId, m.InstanceId }).ConfigureAwait(false);

        await Insert("incidents", """
            INSERT INTO wf_incidents (id, instance_id, element_key, element_id, message, created_at)
            VALUES (@Id, @InstanceId, @ElementKey, @ElementId, @Message, @CreatedAt)
            """, changes.IncidentsCreated, i => new { i.Id, i.InstanceId, i.ElementKey, i.ElementId, i.Message, CreatedAt = i.CreatedAt.UtcTicks }).ConfigureAwait(false);
        await Insert("incidents-resolved", "UPDATE wf_incidents SET resolved_at = @At WHERE id = @Id", changes.IncidentsResolved, i => new { i.Id, At = i.At.UtcTicks }).ConfigureAwait(false);

        await Insert("outbox", """
            INSERT INTO wf_outbox (id, instance_id, element_id, message_name, correlation_key, variables_json, created_at, kind, headers_json)
            VALUES (@Id, @InstanceId, @ElementId, @MessageName, @CorrelationKey, @VariablesJson, @CreatedAt, @Kind, @HeadersJson)
            """, changes.Outbox, o => new { o.Id, o.InstanceId, o.ElementId, o.MessageName, o.CorrelationKey, o.VariablesJson, CreatedAt = o.CreatedAt.UtcTicks, Kind = (int)o.Kind, o.HeadersJson }).ConfigureAwait(false);
        await Insert("inbox", "INSERT INTO wf_inbox (message_id, consumer, received_at) VALUES (@MessageId, @Consumer, @ReceivedAt)",
            changes.Inbox, m => new { m.MessageId, Consumer = "correlate", ReceivedAt = m.ReceivedAt.UtcTicks }).ConfigureAwait(false);

        await Insert("history", "INSERT INTO wf_history (instance_id, at, kind, element_id, element_key, actor, detail) VALUES (@InstanceId, @At, @Kind, @ElementId, @ElementKey, @Actor, @Detail)",
            changes.History, h => new { h.InstanceId, At = h.At.UtcTicks, h.Kind, h.ElementId, h.ElementKey, h.Actor, h.Detail }).ConfigureAwait(false);
    }

    internal static DateTimeOffset Time(long ticks) => new(ticks, TimeSpan.Zero);

    // SQLite keeps uuids as text; the other drivers hand back Guid.
    private sealed class GuidHandler : SqlMapper.TypeHandler<Guid>
    {
        public override Guid Parse(object value) => value switch
        {
            Guid g => g,
            string s => Guid.Parse(s),
            byte[] b => new Guid(b),
            _ => throw new DataException($"cannot read a {value.GetType().Name} as a uuid"),
        };

        public override void SetValue(IDbDataParameter parameter, Guid value) => parameter.Value = value;
    }
}
