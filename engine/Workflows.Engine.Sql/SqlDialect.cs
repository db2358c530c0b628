using System.Data;
using System.Data.Common;
using Dapper;
using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Workflows.Engine.Sql;

/// <summary>The databases the store runs on.</summary>
public enum SqlProvider
{
    /// <summary>A SQLite file: the embedded default, one node.</summary>
    Sqlite,

    /// <summary>PostgreSQL: several nodes, leases with <c>FOR UPDATE SKIP LOCKED</c>.</summary>
    PostgreSql,

    /// <summary>SQL Server: several nodes, leases with <c>UPDLOCK, READPAST, ROWLOCK</c>.</summary>
    SqlServer,
}

/// <summary>What differs between databases: types, connections, locking and the few statements that are not portable.</summary>
internal abstract class SqlDialect
{
    private static readonly string s_timerColumns = "id, instance_id, element_key, element_id, definition_id, due_at, interval_ticks, remaining";
    private static readonly string s_jobColumns = "id, instance_id, element_key, element_id, type, retries, failures, created_at, due_at, headers_json, variables_json, external";

    public static SqlDialect For(SqlProvider provider) => provider switch
    {
        SqlProvider.Sqlite => new SqliteDialect(),
        SqlProvider.PostgreSql => new PostgresDialect(),
        SqlProvider.SqlServer => new SqlServerDialect(),
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, "unknown provider"),
    };

    /// <summary>The dialect of a store's settings (SQLite's durability among them).</summary>
    public static SqlDialect For(SqlStoreOptions store) => store.Provider == SqlProvider.Sqlite
        ? new SqliteDialect { Synchronous = store.SqliteSynchronous }
        : For(store.Provider);

    public abstract SqlProvider Provider { get; }

    /// <summary>Replacements for the placeholders of the migration scripts.</summary>
    public abstract IReadOnlyDictionary<string, string> Types { get; }

    public abstract DbConnection CreateConnection(string connectionString);

    public virtual Task OnOpenedAsync(DbConnection connection) => Task.CompletedTask;

    /// <summary>
    /// Prepares a connection just opened for a lease's write (a claim, its extension or release): a write that need not
    /// survive a power cut, since a lost lease only makes its row claimable again. The next open of the connection
    /// (<see cref="OnOpenedAsync"/>) sets it back for commits.
    /// </summary>
    public virtual Task ForLeaseAsync(DbConnection connection) => Task.CompletedTask;

    /// <summary>A transaction for a command's commit or a claim.</summary>
    public virtual async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct) =>
        await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct).ConfigureAwait(false);

    /// <summary>Creates the schema-version table if it is missing.</summary>
    public abstract string EnsureSchemaTable { get; }

    /// <summary>Serialises migrations across nodes that start together.</summary>
    public abstract Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction);

    /// <summary>"SELECT … LIMIT n" or "SELECT TOP (n) …".</summary>
    public abstract string Top(string columnsAndRest, string limitParameter);

    /// <summary>
    /// Leases up to @Max rows of <paramref name="table"/> that match <paramref name="filter"/> and no node holds
    /// (or whose lease ran out), earliest <paramref name="orderBy"/> first, to @Owner until @LeaseUntil;
    /// returns <paramref name="columns"/> of the leased rows.
    /// </summary>
    public abstract string Claim(string table, string columns, string filter, string orderBy);

    public string ClaimTimersSql => Claim("wf_timers", TimerColumns, "due_at <= @Now", "due_at");

    public string ClaimJobsSql => Claim("wf_jobs", JobColumns, $"{InList("type", "@Types")} AND due_at <= @Now", "due_at");

    /// <summary>Due jobs of @Type; with <paramref name="inBranch"/>, of the instances of @Branch only.</summary>
    public string ClaimJobsOfTypeSql(bool inBranch) => Claim("wf_jobs", JobColumns,
        "type = @Type AND due_at <= @Now" + (inBranch ? " AND instance_id IN (SELECT id FROM wf_instances WHERE branch = @Branch)" : ""), "due_at");

    public string ClaimExternalJobsSql => Claim("wf_jobs", JobColumns, "external = 1 AND due_at <= @Now", "due_at");

    public string ClaimClocksSql => Claim("wf_sla_clocks", "*", "next_due_at <= @Now", "next_due_at");

    /// <summary>The rows whose <paramref name="columns"/> sort strictly after the <paramref name="parameters"/>.</summary>
    public virtual string After(IReadOnlyList<string> columns, IReadOnlyList<string> parameters) =>
        $"({string.Join(", ", columns)}) > ({string.Join(", ", parameters)})";

    public abstract bool IsUniqueViolation(Exception exception);

    /// <summary>Whether the database gave up a transaction to break a deadlock or a serialization race: the command is retried.</summary>
    public virtual bool IsConflict(Exception exception) => false;

    /// <summary>
    /// Runs one statement for each of many rows inside a commit; returns the rows affected. The default
    /// (SQL Server) sends them as one command per batch, each repeat with its parameters renamed.
    /// </summary>
    public virtual async Task<int> ExecuteRowsAsync(DbConnection connection, DbTransaction transaction, string sql, IReadOnlyList<object> rows, CancellationToken ct)
    {
        var affected = 0;
        foreach (var (text, parameters) in StatementBatch.Build(sql, rows))
        {
            affected += await connection.ExecuteAsync(new CommandDefinition(text, parameters, transaction, cancellationToken: ct)).ConfigureAwait(false);
        }

        return affected;
    }

    /// <summary>
    /// The queue walk's probe of a queue entry's task (alias <c>q</c>) for the list's <paramref name="filters"/> on its row
    /// (alias <c>t</c>): a correlated <c>EXISTS</c> that must stay a probe of the task's key per entry walked.
    /// </summary>
    public virtual string TaskProbe(string filters) => $"EXISTS (SELECT 1 FROM wf_user_tasks t WHERE t.id = q.task_id AND {filters})";

    /// <summary>"column IN @list": Dapper expands the list, except on PostgreSQL, which takes an array.</summary>
    public virtual string InList(string column, string parameter) => $"{column} IN {parameter}";

    protected static string TimerColumns => s_timerColumns;

    protected static string JobColumns => s_jobColumns;

    protected static string Prefixed(string columns, string prefix) =>
        string.Join(", ", columns.Split(", ").Select(c => prefix + c));
}

internal sealed class SqliteDialect : SqlDialect
{
    public override SqlProvider Provider => SqlProvider.Sqlite;

    /// <summary>FULL by default: WAL mode then flushes each commit before acknowledging it, which group commit pays for.</summary>
    public SqliteSynchronous Synchronous { get; init; } = SqliteSynchronous.Full;

    public override IReadOnlyDictionary<string, string> Types { get; } = new Dictionary<string, string>
    {
        ["{uuid}"] = "TEXT", ["{key}"] = "TEXT", ["{exact_key}"] = "TEXT", ["{text}"] = "TEXT", ["{long}"] = "INTEGER", ["{int}"] = "INTEGER",
        ["{blob}"] = "BLOB", ["{identity}"] = "INTEGER PRIMARY KEY AUTOINCREMENT", ["{append_key}"] = "INTEGER PRIMARY KEY", ["{add}"] = "ADD COLUMN", ["{real}"] = "REAL",
        ["{without_rowid}"] = " WITHOUT ROWID",
    };

    public override DbConnection CreateConnection(string connectionString) => new SqliteConnection(connectionString);

    // In process: one prepared statement run for each row.
    public override Task<int> ExecuteRowsAsync(DbConnection connection, DbTransaction transaction, string sql, IReadOnlyList<object> rows, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(sql, rows, transaction, cancellationToken: ct));

    // Pooled connections keep their settings: set them once per physical connection (its native handle), with the
    // synchronous mode the connection is in now (a lease's write relaxes it until the next open sets it back).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, System.Runtime.CompilerServices.StrongBox<SqliteSynchronous>> s_configured = [];

    public override async Task OnOpenedAsync(DbConnection connection)
    {
        var handle = ((SqliteConnection)connection).Handle!;
        if (s_configured.TryGetValue(handle, out var mode))
        {
            if (mode.Value != Synchronous)
            {
                await SetSynchronousAsync(connection, mode, Synchronous).ConfigureAwait(false);
            }

            return;
        }

        // A command waits for another process's lock as long as the connection string's Default Timeout says (30 s).
        // temp_store = MEMORY: a group commit takes a savepoint per command, and SQLite keeps the pages a savepoint would
        // roll back in a sub-journal that spills past 64 KiB to a temporary file (created, written, closed and deleted
        // per group: 2,159 files in one complaint benchmark run, issue 19 round 13); in memory it is a copy and no
        // system call. Nothing the store runs sorts or builds a temporary table large enough to need the disk instead.
        var busy = ((SqliteConnection)connection).DefaultTimeout * 1000L;
        await connection.ExecuteAsync($"PRAGMA busy_timeout = {busy}; PRAGMA synchronous = {Pragma(Synchronous)}; PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 10000; PRAGMA temp_store = MEMORY;").ConfigureAwait(false);
        s_configured.AddOrUpdate(handle, new System.Runtime.CompilerServices.StrongBox<SqliteSynchronous>(Synchronous));
    }

    // In WAL mode a commit under NORMAL is appended to the log without a flush; the next FULL commit flushes the log
    // (the lease's pages with it) and a crash can only lose a tail of the log: never a command's commit while keeping
    // a later lease, never a lease's row half-written.
    public override async Task ForLeaseAsync(DbConnection connection)
    {
        if (Synchronous == SqliteSynchronous.Normal)
        {
            return;
        }

        var mode = s_configured.GetValue(((SqliteConnection)connection).Handle!, _ => new System.Runtime.CompilerServices.StrongBox<SqliteSynchronous>(Synchronous));
        await SetSynchronousAsync(connection, mode, SqliteSynchronous.Normal).ConfigureAwait(false);
    }

    private static async Task SetSynchronousAsync(DbConnection connection, System.Runtime.CompilerServices.StrongBox<SqliteSynchronous> mode, SqliteSynchronous value)
    {
        await connection.ExecuteAsync($"PRAGMA synchronous = {Pragma(value)}").ConfigureAwait(false);
        mode.Value = value;
    }

    private static string Pragma(SqliteSynchronous value) => value == SqliteSynchronous.Normal ? "NORMAL" : "FULL";

    // BEGIN IMMEDIATE: take the write lock at once, so two writers never deadlock upgrading a read lock.
    public override Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    public override string EnsureSchemaTable =>
        "CREATE TABLE IF NOT EXISTS wf_schema_version (version INTEGER NOT NULL PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)";

    public override Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction) => Task.CompletedTask;

    public override string Top(string columnsAndRest, string limitParameter) => $"SELECT {columnsAndRest} LIMIT {limitParameter}";

    // One poller on SQLite: the write transaction itself is the lock.
    public override string Claim(string table, string columns, string filter, string orderBy) => $"""
        UPDATE {table} SET lease_owner = @Owner, lease_until = @LeaseUntil
        WHERE id IN (SELECT id FROM {table} WHERE {filter} AND (lease_until IS NULL OR lease_until < @LeaseNow) ORDER BY {orderBy} LIMIT @Max)
        RETURNING {columns}
        """;

    public override bool IsUniqueViolation(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 19 };
}

internal sealed class PostgresDialect : SqlDialect
{
    public override SqlProvider Provider => SqlProvider.PostgreSql;

    public override IReadOnlyDictionary<string, string> Types { get; } = new Dictionary<string, string>
    {
        ["{uuid}"] = "uuid", ["{key}"] = "text", ["{exact_key}"] = "text", ["{text}"] = "text", ["{long}"] = "bigint", ["{int}"] = "integer",
        ["{blob}"] = "bytea", ["{identity}"] = "bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY", ["{append_key}"] = "bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY", ["{add}"] = "ADD COLUMN", ["{real}"] = "double precision",
        ["{without_rowid}"] = "",
    };

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> s_tuned = new(StringComparer.Ordinal);

    public override DbConnection CreateConnection(string connectionString) => new NpgsqlConnection(s_tuned.GetOrAdd(connectionString, Tune));

    // Every command repeats the same few statements: prepared once per connection they skip PostgreSQL's
    // parse and plan, and pooled connections need no session reset (the store sets no session state).
    // A connection string that sets these keywords keeps its own values.
    private static string Tune(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.MaxAutoPrepare = 256;
            builder.AutoPrepareMinUsages = 2;
        }

        if (!connectionString.Contains("No Reset On Close", StringComparison.OrdinalIgnoreCase))
        {
            builder.NoResetOnClose = true;
        }

        return builder.ConnectionString;
    }

    public override string EnsureSchemaTable =>
        "CREATE TABLE IF NOT EXISTS wf_schema_version (version integer NOT NULL PRIMARY KEY, description text NOT NULL, applied_at bigint NOT NULL)";

    public override Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction) =>
        connection.ExecuteAsync("SELECT pg_advisory_xact_lock(72330171)", transaction: transaction);

    public override string Top(string columnsAndRest, string limitParameter) => $"SELECT {columnsAndRest} LIMIT {limitParameter}";

    public override string Claim(string table, string columns, string filter, string orderBy) => $"""
        UPDATE {table} SET lease_owner = @Owner, lease_until = @LeaseUntil
        WHERE id IN (SELECT id FROM {table} WHERE {filter} AND (lease_until IS NULL OR lease_until < @LeaseNow) ORDER BY {orderBy} LIMIT @Max FOR UPDATE SKIP LOCKED)
        RETURNING {columns}
        """;

    public override bool IsUniqueViolation(Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public override bool IsConflict(Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure };

    // PostgreSQL pulls an EXISTS up into a semi-join (hash or merge, by its statistics) unless the subquery has an OFFSET.
    // And the task is read by its key alone, in a subquery of its own (an OFFSET keeps the filters out of it): given the
    // key and the filters together, the planner may probe an index that holds both, a branch's board (branch, …, id)
    // read index-only, which it costs as one row on a young table's statistics but walks the branch's every open task
    // for each queue entry (issue 19 round 15: next-task's page 10× the server's CPU in a third of `costs` runs).
    public override string TaskProbe(string filters) =>
        $"EXISTS (SELECT 1 FROM (SELECT * FROM wf_user_tasks WHERE id = q.task_id OFFSET 0) t WHERE {filters} OFFSET 0)";

    public override string InList(string column, string parameter) => $"{column} = ANY({parameter})";

    // One round trip for all rows, every row the same statement text, so PostgreSQL parses and plans it
    // once (the connection prepares it) instead of once per row.
    public override async Task<int> ExecuteRowsAsync(DbConnection connection, DbTransaction transaction, string sql, IReadOnlyList<object> rows, CancellationToken ct)
    {
        var (positional, names) = StatementBatch.Positional(sql);
        await using var batch = new NpgsqlBatch((NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
        foreach (var row in rows)
        {
            var command = new NpgsqlBatchCommand(positional);
            foreach (var (value, type) in StatementBatch.Values(row, names))
            {
                // A declared type for nulls too: the statement then has one signature and is prepared once.
                command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value, NpgsqlDbType = PostgresTypes.Declared(type) ?? NpgsqlTypes.NpgsqlDbType.Unknown });
            }

            batch.BatchCommands.Add(command);
        }

        return await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}

internal sealed class SqlServerDialect : SqlDialect
{
    public override SqlProvider Provider => SqlProvider.SqlServer;

    public override IReadOnlyDictionary<string, string> Types { get; } = new Dictionary<string, string>
    {
        ["{uuid}"] = "uniqueidentifier", ["{key}"] = "nvarchar(400)", ["{exact_key}"] = "nvarchar(400) COLLATE Latin1_General_100_BIN2", ["{text}"] = "nvarchar(max)", ["{long}"] = "bigint", ["{int}"] = "int",
        ["{blob}"] = "varbinary(max)", ["{identity}"] = "bigint IDENTITY(1,1) NOT NULL PRIMARY KEY", ["{append_key}"] = "bigint IDENTITY(1,1) NOT NULL PRIMARY KEY", ["{add}"] = "ADD", ["{real}"] = "float",
        ["{without_rowid}"] = "",
    };

    public override DbConnection CreateConnection(string connectionString) => new SqlConnection(connectionString);

    public override string EnsureSchemaTable =>
        "IF OBJECT_ID(N'wf_schema_version', N'U') IS NULL CREATE TABLE wf_schema_version (version int NOT NULL PRIMARY KEY, description nvarchar(400) NOT NULL, applied_at bigint NOT NULL)";

    public override Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction) =>
        connection.ExecuteAsync("EXEC sp_getapplock @Resource = N'workflows-schema', @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = 60000", transaction: transaction);

    public override string Top(string columnsAndRest, string limitParameter) => $"SELECT TOP ({limitParameter}) {columnsAndRest}";

    public override string Claim(string table, string columns, string filter, string orderBy) => $"""
        WITH due AS (
            SELECT TOP (@Max) * FROM {table} WITH (UPDLOCK, READPAST, ROWLOCK)
            WHERE {filter} AND (lease_until IS NULL OR lease_until < @LeaseNow) ORDER BY {orderBy})
        UPDATE due SET lease_owner = @Owner, lease_until = @LeaseUntil
        OUTPUT {(columns == "*" ? "inserted.*" : Prefixed(columns, "inserted."))}
        """;

    // No row values in SQL Server: (a, b) > (x, y) spelled out as a > x OR (a = x AND b > y).
    public override string After(IReadOnlyList<string> columns, IReadOnlyList<string> parameters)
    {
        var terms = new List<string>();
        for (var i = 0; i < columns.Count; i++)
        {
            var equal = Enumerable.Range(0, i).Select(j => $"{columns[j]} = {parameters[j]}");
            terms.Add("(" + string.Join(" AND ", equal.Append($"{columns[i]} > {parameters[i]}")) + ")");
        }

        return "(" + string.Join(" OR ", terms) + ")";
    }

    public override bool IsUniqueViolation(Exception exception) =>
        exception is SqlException { Number: 2601 or 2627 };

    public override bool IsConflict(Exception exception) => exception is SqlException { Number: 1205 };
}
