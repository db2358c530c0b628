using System.Data;
using System.Data.Common;
using Dapper;
using Workflows.Engine.ServiceLevels;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql;

/// <summary>
/// The durable store on Dapper. Every read is an indexed lookup; <see cref="CommitAsync"/> writes a
/// command's whole change set in one transaction, guarded by the instances' row versions.
/// </summary>
/// <remarks>
/// Each concern's reads and its part of the commit live in their own file (definitions and instances here;
/// tasks, schedules, messages and service levels beside it); the commit calls them in a fixed order.
/// Column names live only in this project: in the statements and in <c>SqlRows.cs</c>.
/// </remarks>
internal sealed partial class SqlWorkflowStore : IWorkflowStore
{
    // SQLite has one writer per file: queueing this process's writers here is cheaper than letting them
    // spin on the file lock (other processes still wait through the busy timeout).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> s_sqliteWriters = new(StringComparer.Ordinal);

    private readonly SqlDialect _dialect;
    private readonly string _connectionString;
    private readonly SqlStoreOptions? _options;
    private readonly SemaphoreSlim? _writer;
    private readonly CommitQueue? _group;
    private readonly SqliteSessions? _sessions;
    private readonly SchemaWatch _schema;

    static SqlWorkflowStore()
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        SqlMapper.AddTypeHandler(new GuidHandler());
        SqlMapper.AddTypeHandler(new StoredBytes.Handler());
    }

    /// <param name="dialect">The database's dialect.</param>
    /// <param name="connectionString">The database.</param>
    /// <param name="groupCommit">
    /// Whether concurrent commands share a transaction and its flush (<see cref="FlushGroupAsync"/>); without it each
    /// command commits alone.
    /// </param>
    public SqlWorkflowStore(SqlDialect dialect, string connectionString, bool groupCommit = true)
    {
        _dialect = dialect;
        _connectionString = connectionString;
        _writer = dialect.Provider == SqlProvider.Sqlite ? s_sqliteWriters.GetOrAdd(connectionString, _ => new SemaphoreSlim(1, 1)) : null;
        _sessions = dialect.Provider == SqlProvider.Sqlite ? new SqliteSessions(OpenAsync) : null;
        _schema = new SchemaWatch(OpenAsync, () => SchemaCheckInterval, SqlMigrator.LatestVersion);
        if (groupCommit)
        {
            // SQLite has one writer, so one group at a time; a server takes a few at once, each on its own connection.
            _group = dialect.Provider == SqlProvider.Sqlite
                ? new CommitQueue(FlushGroupAsync, maxFlushers: 1, maxGroup: 128)
                : new CommitQueue(FlushGroupAsync, maxFlushers: 4, maxGroup: 32, waitingForAnother: 3, holdAtMost: TimeSpan.FromMilliseconds(3));
        }
    }

    /// <summary>A store on the database <paramref name="store"/> names, its PostgreSQL pool sized at start (<see cref="SqlStoreOptions.MaxConnections"/>).</summary>
    public SqlWorkflowStore(SqlStoreOptions store)
        : this(SqlDialect.For(store), store.ConnectionString, store.GroupCommit)
    {
        _options = store;
        SchemaCheckInterval = store.SchemaCheckInterval;
    }

    /// <summary>How often a write reads the database's schema version first (<see cref="SqlStoreOptions.SchemaCheckInterval"/>).</summary>
    internal TimeSpan SchemaCheckInterval { get; set; } = SqlStoreOptions.DefaultSchemaCheckInterval;

    // Read at each open: the server check at start may size the pool after the store was created.
    private string ConnectionString => _options?.PooledConnectionString ?? _connectionString;

    private async Task<T> WritingAsync<T>(Func<Task<T>> write, CancellationToken ct)
    {
        // A node older than the database writes nothing more (see SchemaWatch).
        await _schema.ThrowIfOutgrownAsync(ct).ConfigureAwait(false);
        if (_writer is null)
        {
            try
            {
                return await write().ConfigureAwait(false);
            }
            catch (Npgsql.PostgresException e) when (e.SqlState == "25006")
            {
                // A session that began while the database was read-only (default_transaction_read_only, a standby)
                // stays read-only: drop the pool, so that the writes after the fault open sessions afresh.
                using (var connection = (Npgsql.NpgsqlConnection)_dialect.CreateConnection(ConnectionString))
                {
                    Npgsql.NpgsqlConnection.ClearPool(connection);
                }

                throw;
            }
        }

        await _writer.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await write().ConfigureAwait(false);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e) when (e.SqliteErrorCode is 8 or 10 or 14)
        {
            // A file that was read-only when a pooled connection opened it stays read-only for that connection:
            // drop the pool, so that the writes after the fault open the file afresh.
            using (var connection = new Microsoft.Data.Sqlite.SqliteConnection(_connectionString))
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearPool(connection);
            }

            _sessions?.Clear();

            throw;
        }
        finally
        {
            _writer.Release();
        }
    }

    public SqlDialect Dialect => _dialect;

    /// <summary>On SQLite, the connections kept open with their statements prepared; null elsewhere.</summary>
    internal SqliteSessions? Sessions => _sessions;

    /// <summary>How many connections the store opened (a session's included), for tests that prove a path opens none of its own.</summary>
    internal long Opened => Interlocked.Read(ref _opened);

    private long _opened;

    internal async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        Interlocked.Increment(ref _opened);
        var connection = _dialect.CreateConnection(ConnectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await _dialect.OnOpenedAsync(connection).ConfigureAwait(false);
        return connection;
    }

    /// <summary>Called with the connection of each lease's write before it writes, for tests that read its settings.</summary>
    internal Func<DbConnection, Task>? InspectLease { get; set; }

    /// <summary>Opens a connection for a lease's write, which the dialect may make without waiting for the disk.</summary>
    private async Task<DbConnection> OpenForLeaseAsync(CancellationToken ct)
    {
        var connection = await OpenAsync(ct).ConfigureAwait(false);
        await _dialect.ForLeaseAsync(connection).ConfigureAwait(false);
        if (InspectLease is { } inspect)
        {
            await inspect(connection).ConfigureAwait(false);
        }

        return connection;
    }

    private async ValueTask<T?> SingleAsync<TRow, T>(string sql, object parameters, Func<TRow, T> map, CancellationToken ct)
        where T : class
    {
        var rows = await RowsAsync<TRow>(sql, parameters, ct).ConfigureAwait(false);
        return rows.Count == 0 || rows[0] is not { } row ? null : map(row);
    }

    private async ValueTask<IReadOnlyList<T>> ListAsync<TRow, T>(string sql, object parameters, Func<TRow, T> map, CancellationToken ct)
    {
        var rows = await RowsAsync<TRow>(sql, parameters, ct).ConfigureAwait(false);
        var mapped = new List<T>(rows.Count);
        foreach (var row in rows)
        {
            mapped.Add(map(row));
        }

        return mapped;
    }

    /// <summary>The rows a query reads: on SQLite through a session, whose statements stay prepared (<see cref="SqliteSessions"/>).</summary>
    /// <exception cref="InvalidDataException">A value could not be read as its row's member (<see cref="UnquotedReads"/>: not quoted).</exception>
    private async ValueTask<List<TRow>> RowsAsync<TRow>(string sql, object? parameters, CancellationToken ct)
    {
        try
        {
            return await ReadRowsAsync<TRow>(sql, parameters, ct).ConfigureAwait(false);
        }
        catch (DataException e) when (UnquotedReads.Of(e) is { } unquoted)
        {
            throw unquoted;
        }
    }

    private async ValueTask<List<TRow>> ReadRowsAsync<TRow>(string sql, object? parameters, CancellationToken ct)
    {
        if (_sessions is { } sessions)
        {
            var session = await sessions.RentAsync(ct).ConfigureAwait(false);
            var failed = true;
            try
            {
                var rows = session.Query<TRow>(sql, parameters);
                failed = false;
                return rows;
            }
            finally
            {
                sessions.Return(session, failed);
            }
        }

        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        if (connection is Npgsql.NpgsqlConnection postgres && PostgresReads.Binds(parameters))
        {
            return await PostgresReads.QueryAsync<TRow>(postgres, sql, parameters, ct).ConfigureAwait(false);
        }

        return (await connection.QueryAsync<TRow>(new CommandDefinition(sql, parameters, cancellationToken: ct)).ConfigureAwait(false)).AsList();
    }

    /// <summary>
    /// Whether each read is a round trip (a server), so that reads belonging together are worth one command; on SQLite
    /// a read costs a statement and no round trip, and a read nobody needs is only a cost.
    /// </summary>
    private bool ReadsCostRoundTrips => _sessions is null;

    /// <summary>
    /// Reads that belong together, each run after the one before: on a server one command of several statements (one
    /// round trip; each statement sees what was committed when it began), on SQLite the statements of one session, each
    /// kept prepared. <paramref name="read"/> takes their rows in order.
    /// </summary>
    /// <exception cref="InvalidDataException">A value could not be read as its row's member (<see cref="UnquotedReads"/>: not quoted).</exception>
    private async ValueTask<T> ReadTogetherAsync<T>(IReadOnlyList<string> statements, object parameters, Func<ReadTogether, ValueTask<T>> read, CancellationToken ct)
    {
        try
        {
            return await ReadAllTogetherAsync(statements, parameters, read, ct).ConfigureAwait(false);
        }
        catch (DataException e) when (UnquotedReads.Of(e) is { } unquoted)
        {
            throw unquoted;
        }
    }

    private async ValueTask<T> ReadAllTogetherAsync<T>(IReadOnlyList<string> statements, object parameters, Func<ReadTogether, ValueTask<T>> read, CancellationToken ct)
    {
        if (_sessions is { } sessions)
        {
            var session = await sessions.RentAsync(ct).ConfigureAwait(false);
            var failed = true;
            try
            {
                var result = await read(new ReadTogether(session, null, statements, parameters)).ConfigureAwait(false);
                failed = false;
                return result;
            }
            finally
            {
                sessions.Return(session, failed);
            }
        }

        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        if (connection is Npgsql.NpgsqlConnection postgres && PostgresReads.Binds(parameters))
        {
            await using var together = await PostgresReads.ReadTogetherAsync(postgres, statements, parameters, ct).ConfigureAwait(false);
            return await read(new ReadTogether(null, null, statements, parameters) { Postgres = together, Cancellation = ct }).ConfigureAwait(false);
        }

        using var results = await connection.QueryMultipleAsync(new CommandDefinition(string.Join(";\n", statements), parameters, cancellationToken: ct)).ConfigureAwait(false);
        return await read(new ReadTogether(null, results, statements, parameters)).ConfigureAwait(false);
    }

    /// <summary>The rows of reads run together (<see cref="ReadTogetherAsync"/>), one statement's at a time, in order.</summary>
    private sealed class ReadTogether(SqliteSession? session, SqlMapper.GridReader? results, IReadOnlyList<string> statements, object parameters)
    {
        private int _next;

        /// <summary>On PostgreSQL, the statements' results (<see cref="PostgresReads"/>); null elsewhere.</summary>
        public PostgresReads.Results? Postgres { get; init; }

        public CancellationToken Cancellation { get; init; }

        public async ValueTask<List<TRow>> NextAsync<TRow>()
        {
            var statement = statements[_next++];
            return Postgres is { } postgres ? await postgres.NextAsync<TRow>(Cancellation).ConfigureAwait(false)
                : results is null
                ? session!.Query<TRow>(statement, parameters)
                : (await results.ReadAsync<TRow>().ConfigureAwait(false)).AsList();
        }
    }

    // ---------------------------------------------------------------- definitions

    public ValueTask<DefinitionRecord?> GetDefinitionAsync(Guid id, CancellationToken ct) =>
        SingleAsync<DefinitionRow, DefinitionRecord>("SELECT * FROM wf_definitions WHERE id = @id", new { id }, r => r.ToRecord(), ct);

    public ValueTask<IReadOnlyList<DefinitionRecord>> GetDefinitionsAsync(string? processId, CancellationToken ct) =>
        ListAsync<DefinitionRow, DefinitionRecord>(
            "SELECT " + VersionColumns
                + (processId is null ? "" : " WHERE process_id = @processId") + " ORDER BY process_id, version",
            new { processId }, r => r.ToRecord(), ct);

    public ValueTask<DefinitionRecord?> GetLatestDefinitionAsync(string processId, CancellationToken ct) =>
        SingleAsync<DefinitionRow, DefinitionRecord>(_dialect.Top("* FROM wf_definitions WHERE process_id = @processId ORDER BY version DESC", "1"), new { processId }, r => r.ToRecord(), ct);

    public ValueTask<DefinitionRecord?> GetDefinitionByVersionAsync(string processId, int version, CancellationToken ct) =>
        SingleAsync<DefinitionRow, DefinitionRecord>("SELECT * FROM wf_definitions WHERE process_id = @processId AND version = @version", new { processId, version }, r => r.ToRecord(), ct);

    // Every column but the XML (18 KB for a library journey, read and decoded on every start before this).
    private const string VersionColumns = "id, process_id, version, version_tag, checksum, '' AS xml, deployment_id, deployed_at, deployed_by FROM wf_definitions";

    private const string VersionWithoutXmlSql = $"SELECT {VersionColumns} WHERE process_id = @processId AND version = @v";

    public ValueTask<DefinitionRecord?> FindVersionAsync(string processId, int? version, CancellationToken ct) => version is { } v
        ? SingleAsync<DefinitionRow, DefinitionRecord>(VersionWithoutXmlSql, new { processId, v }, r => r.ToRecord(), ct)
        : SingleAsync<DefinitionRow, DefinitionRecord>(_dialect.Top($"{VersionColumns} WHERE process_id = @processId ORDER BY version DESC", "1"), new { processId }, r => r.ToRecord(), ct);

    // On a server the branch, the version it likely runs and the approvals that may choose it in one round trip (a start
    // for a branch made three or four: the branch, the approvals when it pins nothing, the version, the commit); on SQLite
    // the branch alone, the rest read once needed, as no round trip is saved.
    public async ValueTask<((string Json, long Revision)? Branch, DefinitionRecord? Likely, IReadOnlyList<VersionApprovalRecord>? Approvals)> FindBranchAndVersionAsync(
        string branchId, string processId, int? likelyVersion, bool approvals, CancellationToken ct)
    {
        if (likelyVersion is not { } v || !ReadsCostRoundTrips)
        {
            return (await GetBranchAsync(branchId, ct).ConfigureAwait(false), null, null);
        }

        string[] statements = approvals ? [BranchSql, VersionWithoutXmlSql, ProcessApprovalsSql] : [BranchSql, VersionWithoutXmlSql];
        return await ReadTogetherAsync(statements, new { branchId, processId, v }, async read =>
        {
            var branch = await read.NextAsync<(string, long)>().ConfigureAwait(false);
            var version = await read.NextAsync<DefinitionRow>().ConfigureAwait(false);
            var approved = approvals ? Approvals(await read.NextAsync<(string, int, string, long, string)>().ConfigureAwait(false)) : null;
            return (branch is [var row, ..] ? row : ((string, long)?)null, version is [var found, ..] ? found.ToRecord() : null, (IReadOnlyList<VersionApprovalRecord>?)approved);
        }, ct).ConfigureAwait(false);
    }

    public ValueTask<DefinitionRecord?> GetDefinitionByVersionTagAsync(string processId, string versionTag, CancellationToken ct) =>
        SingleAsync<DefinitionRow, DefinitionRecord>(_dialect.Top("* FROM wf_definitions WHERE process_id = @processId AND version_tag = @versionTag ORDER BY version DESC", "1"), new { processId, versionTag }, r => r.ToRecord(), ct);

    public ValueTask<DefinitionRecord?> GetDefinitionInDeploymentAsync(Guid deploymentId, string processId, CancellationToken ct) =>
        SingleAsync<DefinitionRow, DefinitionRecord>("SELECT * FROM wf_definitions WHERE deployment_id = @deploymentId AND process_id = @processId", new { deploymentId, processId }, r => r.ToRecord(), ct);

    public async ValueTask<(IReadOnlyList<TimerRecord> Timers, IReadOnlyList<MessageSubscriptionRecord> Messages, IReadOnlyList<SignalSubscriptionRecord> Signals)> GetStartSubscriptionsAsync(string processId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        var definitions = "(SELECT id FROM wf_definitions WHERE process_id = @processId)";
        var timers = await connection.QueryAsync<TimerRow>($"SELECT * FROM wf_timers WHERE instance_id IS NULL AND definition_id IN {definitions}", new { processId }).ConfigureAwait(false);
        var messages = await connection.QueryAsync<MessageSubscriptionRow>($"SELECT * FROM wf_message_subscriptions WHERE instance_id IS NULL AND definition_id IN {definitions}", new { processId }).ConfigureAwait(false);
        var signals = await connection.QueryAsync<SignalSubscriptionRow>($"SELECT * FROM wf_signal_subscriptions WHERE instance_id IS NULL AND definition_id IN {definitions}", new { processId }).ConfigureAwait(false);
        return (timers.Select(t => t.ToRecord()).ToList(), messages.Select(m => m.ToRecord()).ToList(), signals.Select(s => s.ToRecord()).ToList());
    }

    private static async Task WriteDefinitionsAsync(SqlCommit w, ChangeSet changes)
    {
        await w.RowsAsync("definitions", """
            INSERT INTO wf_definitions (id, process_id, version, version_tag, checksum, xml, deployment_id, deployed_at, deployed_by)
            VALUES (@Id, @ProcessId, @Version, @VersionTag, @Checksum, @Xml, @DeploymentId, @DeployedAt, @DeployedBy)
            """, changes.Definitions, DefinitionRow.From).ConfigureAwait(false);
        await w.RowsAsync("diagrams", "UPDATE wf_definitions SET xml = @Xml WHERE id = @Id",
            changes.DiagramsReplaced, d => new { Id = d.DefinitionId, d.Xml }).ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- instances, incidents, history

    public ValueTask<InstanceRecord?> GetInstanceAsync(Guid id, CancellationToken ct) =>
        SingleAsync<InstanceRow, InstanceRecord>(InstanceSql, new { id }, r => r.ToRecord(), ct);

    private const string InstanceSql = "SELECT * FROM wf_instances WHERE id = @id";

    // Every command that loads an instance by id: its open clocks after it, in the same round trip on a server.
    private const string OpenClocksOfInstanceSql = "SELECT * FROM wf_sla_clocks WHERE instance_id = @id AND ended_at IS NULL ORDER BY started_at, id";

    public async ValueTask<(InstanceRecord? Instance, IReadOnlyList<SlaClockRecord>? OpenClocks)> GetInstanceWithClocksAsync(Guid id, bool openClocks, CancellationToken ct)
    {
        if (!openClocks || !ReadsCostRoundTrips)
        {
            return (await GetInstanceAsync(id, ct).ConfigureAwait(false), null);
        }

        return await ReadTogetherAsync([InstanceSql, OpenClocksOfInstanceSql], new { id }, async read =>
        {
            var rows = await read.NextAsync<InstanceRow>().ConfigureAwait(false);
            var clocks = await read.NextAsync<SlaClockRow>().ConfigureAwait(false);
            return (rows is [var row, ..] ? row.ToRecord() : null, (IReadOnlyList<SlaClockRecord>?)clocks.ConvertAll(c => c.ToRecord()));
        }, ct).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<InstanceRecord>> GetInstancesAsync(IReadOnlyCollection<Guid> ids, CancellationToken ct)
    {
        var found = new List<InstanceRecord>();
        foreach (var chunk in ids.Distinct().Chunk(500))
        {
            found.AddRange(await ListAsync<InstanceRow, InstanceRecord>($"SELECT * FROM wf_instances WHERE {_dialect.InList("id", "@ids")}", new { ids = chunk }, r => r.ToRecord(), ct).ConfigureAwait(false));
        }

        return found;
    }

    public ValueTask<IncidentRecord?> GetIncidentAsync(Guid id, CancellationToken ct) =>
        SingleAsync<IncidentRow, IncidentRecord>("SELECT * FROM wf_incidents WHERE id = @id", new { id }, r => r.ToRecord(), ct);

    public ValueTask<IReadOnlyList<IncidentRecord>> GetOpenIncidentsAsync(Guid instanceId, CancellationToken ct) =>
        ListAsync<IncidentRow, IncidentRecord>("SELECT * FROM wf_incidents WHERE instance_id = @instanceId AND resolved_at IS NULL ORDER BY created_at", new { instanceId }, r => r.ToRecord(), ct);

    public ValueTask<IReadOnlyList<IncidentRecord>> GetOpenIncidentsAsync(string? branch, int max, CancellationToken ct) =>
        ListAsync<IncidentRow, IncidentRecord>(
            _dialect.Top("i.* FROM wf_incidents i" + (branch is null ? "" : " JOIN wf_instances n ON n.id = i.instance_id") +
                " WHERE i.resolved_at IS NULL" + (branch is null ? "" : " AND n.branch = @branch") + " ORDER BY i.created_at", "@max"),
            new { branch, max }, r => r.ToRecord(), ct);

    // The instances' guards first, in a fixed order (by id) so that two commands never wait on each other in a cycle.
    private static async Task WriteInstancesAsync(SqlCommit w, ChangeSet changes)
    {
        // One pass, no sorting for the usual one instance: this runs for every command.
        var writes = changes.Instances;
        var inserted = new List<InstanceWriteRow>(writes.Count);
        var updates = new List<InstanceWriteRow>(0);
        var versionsOnly = new List<InstanceWriteRow>(0);
        foreach (var write in writes.Count > 1 ? writes.OrderBy(write => write.Record.Id).ToList() : writes)
        {
            var row = InstanceWriteRow.Of(write);
            (row.Expected == 0 ? inserted : write.StateUnchanged ? versionsOnly : updates).Add(row);
        }

        await w.RowsAsync("instance", """
            INSERT INTO wf_instances (id, process_id, definition_id, version, business_key, status, row_version, started_at, ended_at, parent_instance_id, state, branch, customer_id)
            VALUES (@Id, @ProcessId, @DefinitionId, @Version, @BusinessKey, @Status, @RowVersion, @StartedAt, @EndedAt, @ParentInstanceId, @State, @Branch, @CustomerId)
            """, inserted, row => row).ConfigureAwait(false);
        await w.RowsAsync("instance-update", w.IndexesByColumn
                ? "UPDATE wf_instances SET definition_id = @DefinitionId, version = @Version, status = @Status, row_version = @RowVersion, state = @State WHERE id = @Id AND row_version = @Expected"
                : "UPDATE wf_instances SET definition_id = @DefinitionId, version = @Version, status = @Status, row_version = @RowVersion, ended_at = @EndedAt, state = @State, branch = @Branch, customer_id = @CustomerId WHERE id = @Id AND row_version = @Expected",
            updates, row => row, updates.Count == 0 ? null : Moved(updates)).ConfigureAwait(false);
        // A command that left the state as it read it (a task's claim) moves the row version alone: the state is neither
        // bound nor written again (on PostgreSQL its TOAST rows stay as they are).
        await w.RowsAsync("instance-version", "UPDATE wf_instances SET row_version = @RowVersion WHERE id = @Id AND row_version = @Expected",
            versionsOnly, row => new { row.Id, row.RowVersion, row.Expected }, versionsOnly.Count == 0 ? null : Moved(versionsOnly)).ConfigureAwait(false);

        if (w.IndexesByColumn)
        {
            // The indexed columns only where they changed (rarely: an end, a branch or customer set by the run): not named
            // at all where the engine knows they did not (read with the row the guard above holds to), else guarded by the change.
            await w.RowsAsync("instance-update", """
                UPDATE wf_instances SET ended_at = @EndedAt, branch = @Branch, customer_id = @CustomerId
                WHERE id = @Id AND NOT (ended_at IS @EndedAt AND branch IS @Branch AND customer_id IS @CustomerId)
                """, updates.FindAll(u => u.IndexedColumnsChanged), row => row).ConfigureAwait(false);
        }

        if (changes.FiredTimer is { } fired)
        {
            await w.ExecAsync("timer-fired", "DELETE FROM wf_timers WHERE id = @fired", new { fired }, new CommitGuard(1, () => CommitGuards.TimerGone(fired))).ConfigureAwait(false);
        }
    }

    // Apart, so that a commit without updates makes no closure over them.
    private static CommitGuard Moved(List<InstanceWriteRow> updates) =>
        new(updates.Count, () => CommitGuards.InstancesMoved(updates.ConvertAll(u => u.Id)));

    /// <summary>An instance's row as a commit writes it (the parameters of its INSERT or guarded UPDATE).</summary>
    private sealed record InstanceWriteRow(
        Guid Id, string ProcessId, Guid DefinitionId, int Version, string? BusinessKey, int Status, long RowVersion, long StartedAt, long? EndedAt,
        Guid? ParentInstanceId, byte[] State, long Expected, string? Branch, string? CustomerId, bool IndexedColumnsChanged)
    {
        public static InstanceWriteRow Of(InstanceWrite write)
        {
            var r = write.Record;
            return new InstanceWriteRow(r.Id, r.ProcessId, r.DefinitionId, r.Version, r.BusinessKey, (int)r.Status, r.RowVersion, r.StartedAt.UtcTicks, r.EndedAt?.UtcTicks,
                r.ParentInstanceId, r.State, write.ExpectedRowVersion, r.Branch, r.CustomerId, write.IndexedColumnsChanged);
        }
    }

    private static async Task WriteIncidentsAndHistoryAsync(SqlCommit w, ChangeSet changes, IReadOnlyList<object> history)
    {
        if (!changes.HasRareChanges)
        {
            await WriteHistoryAsync(w, history).ConfigureAwait(false);
            return;
        }

        await w.RowsAsync("incidents", """
            INSERT INTO wf_incidents (id, instance_id, element_key, element_id, message, created_at)
            VALUES (@Id, @InstanceId, @ElementKey, @ElementId, @Message, @CreatedAt)
            """, changes.IncidentsCreated, IncidentRow.From).ConfigureAwait(false);
        await w.RowsAsync("incidents-resolved", "UPDATE wf_incidents SET resolved_at = @At WHERE id = @Id", changes.IncidentsResolved, i => new { i.Id, At = i.At.UtcTicks }).ConfigureAwait(false);

        await WriteHistoryAsync(w, history).ConfigureAwait(false);
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
