using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Workflows.Engine.Services;

namespace Workflows.Engine.Sql;

/// <summary>Where the durable store lives.</summary>
public sealed class SqlStoreOptions
{
    /// <summary>The database. Default: SQLite, the embedded default.</summary>
    public SqlProvider Provider { get; set; } = SqlProvider.Sqlite;

    /// <summary>The ADO.NET connection string. Default: the SQLite file <c>./data/workflows.db</c>.</summary>
    public string ConnectionString { get; set; } = "Data Source=data/workflows.db";

    /// <summary>
    /// How long the start waits for the database: for the lock of a SQLite file another process holds. Default:
    /// 10 seconds. (PostgreSQL and SQL Server wait as their connection string's <c>Timeout</c> says.)
    /// </summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How SQLite makes a commit durable. Default: <see cref="SqliteSynchronous.Full"/>, where a command is acknowledged
    /// only when its commit is on the disk, so a power cut or an OS crash loses none (group commit shares each flush
    /// among the commands that arrive together). <see cref="SqliteSynchronous.Normal"/> flushes at checkpoints only:
    /// faster on a slow disk, but the last commits before a power cut or an OS crash can be lost (a crash of the
    /// process alone loses none). Ignored by PostgreSQL and SQL Server, which are durable by their own settings.
    /// </summary>
    public SqliteSynchronous SqliteSynchronous { get; set; } = SqliteSynchronous.Full;

    /// <summary>
    /// Whether commands that commit at the same moment share one transaction and one flush (group commit). Each
    /// keeps its own guards: one that fails does not fail the others, and each caller is answered once its command is
    /// durable. Default: true. Off, each command commits alone (for measuring, or a database that wants it).
    /// </summary>
    public bool GroupCommit { get; set; } = true;

    /// <summary>
    /// PostgreSQL: the most connections the store holds at once (its pool); a request that finds them all busy waits
    /// for one (up to the connection string's <c>Timeout</c>) instead of opening another. Default: the connection
    /// string's <c>Maximum Pool Size</c> when it sets one, else 20. At start the server's <c>max_connections</c> is
    /// read: a pool larger than the server admits is cut to it, with a warning. Several hosts on one server should
    /// together stay below its <c>max_connections</c>. Ignored by SQLite and SQL Server.
    /// </summary>
    public int? MaxConnections { get; set; }

    /// <summary>The default of <see cref="SchemaCheckInterval"/>: 10 seconds.</summary>
    public static readonly TimeSpan DefaultSchemaCheckInterval = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often a running node reads the database's schema version before a write (its readiness probe reads it at every
    /// probe). Once a newer build has migrated the database, the node refuses every command (503 over HTTP) and reports
    /// not ready until it is restarted with the newer build. Default: 10 seconds (one small read per interval);
    /// zero reads it before every write.
    /// </summary>
    public TimeSpan SchemaCheckInterval { get; set; } = DefaultSchemaCheckInterval;

    // The pool size the server check settled on at start (PostgreSQL), and the connection string bounded to it.
    private int? _admittedConnections;
    private string? _pooledConnectionString;

    /// <summary>The connection string the store opens: on PostgreSQL, its pool bounded (<see cref="MaxConnections"/>).</summary>
    internal string PooledConnectionString => _pooledConnectionString ??= Provider == SqlProvider.PostgreSql
        ? PostgresPool.Bound(ConnectionString, _admittedConnections ?? PostgresPool.Requested(this))
        : ConnectionString;

    /// <summary>Sets the pool's size to what the server admits (read at start), for the connections opened from now on.</summary>
    internal void AdmitConnections(int size)
    {
        _admittedConnections = size;
        _pooledConnectionString = null;
    }

    /// <summary>
    /// Where these settings come from, for error messages: a configuration section such as <c>Workflows:Store</c>
    /// makes them name <c>Workflows:Store:ConnectionString</c>. Default: none, they name <c>SqlStoreOptions.ConnectionString</c>.
    /// </summary>
    public string? ConfigurationSection { get; set; }

    /// <summary>The name of one of these settings as errors give it (see <see cref="ConfigurationSection"/>).</summary>
    /// <param name="property">The property's name, such as <c>nameof(SqlStoreOptions.ConnectionString)</c>.</param>
    public string SettingName(string property) =>
        string.IsNullOrEmpty(ConfigurationSection) ? $"{nameof(SqlStoreOptions)}.{property}" : $"{ConfigurationSection}:{property}";

    /// <summary>Checks the settings; a wrong one fails at start with a message naming it.</summary>
    /// <exception cref="ArgumentException">The connection string is missing or malformed, the start time-out is not positive, or the schema check interval is out of range.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new ArgumentException($"{SettingName(nameof(ConnectionString))} must be set for {Provider}", nameof(ConnectionString));
        }

        if (MaxConnections is < 1 or > 10_000)
        {
            throw new ArgumentException($"{SettingName(nameof(MaxConnections))} = {MaxConnections} must be from 1 to 10,000", nameof(MaxConnections));
        }

        if (StartTimeout <= TimeSpan.Zero || StartTimeout > TimeSpan.FromDays(1))
        {
            throw new ArgumentException($"{SettingName(nameof(StartTimeout))} = {StartTimeout} must be above zero and at most a day", nameof(StartTimeout));
        }

        if (SchemaCheckInterval < TimeSpan.Zero || SchemaCheckInterval > TimeSpan.FromDays(1))
        {
            throw new ArgumentException($"{SettingName(nameof(SchemaCheckInterval))} = {SchemaCheckInterval} must be from zero to a day", nameof(SchemaCheckInterval));
        }

        try
        {
            using var connection = SqlDialect.For(Provider).CreateConnection(ConnectionString);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{SettingName(nameof(ConnectionString))} is not a valid {Provider} connection string: {e.Message}", nameof(ConnectionString), e);
        }
    }
}

/// <summary>How SQLite makes a commit durable (its <c>synchronous</c> setting in WAL mode).</summary>
public enum SqliteSynchronous
{
    /// <summary>Every commit is flushed to the disk before it is acknowledged: nothing acknowledged is lost on a power cut.</summary>
    Full,

    /// <summary>Commits are flushed at checkpoints: a power cut or an OS crash can lose the last ones (a process crash cannot).</summary>
    Normal,
}

/// <summary>Creates engines on a SQL store: migrates the schema, then hands back the engine.</summary>
public static class SqlWorkflowEngine
{
    /// <summary>Applies pending migrations and creates an engine on the store.</summary>
    /// <exception cref="SchemaTooNewException">The database was migrated by a newer build.</exception>
    public static async Task<WorkflowEngine> CreateAsync(SqlStoreOptions store, WorkflowEngineOptions? options = null, TimeProvider? timeProvider = null, ILogger<WorkflowEngine>? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        await MigrateAsync(store, logger ?? (ILogger)NullLogger.Instance, cancellationToken).ConfigureAwait(false);
        return new WorkflowEngine(new SqlWorkflowStore(store),
            options ?? new WorkflowEngineOptions(), timeProvider ?? TimeProvider.System, logger ?? (ILogger)NullLogger.Instance);
    }

    /// <summary>Applies pending migrations (idempotent; safe when several nodes start together).</summary>
    /// <remarks>
    /// The migration also checks that the database takes writes, so a read-only, locked or unreachable database
    /// stops a start here rather than at the first command.
    /// </remarks>
    /// <returns>How many migrations were applied.</returns>
    /// <exception cref="SchemaTooNewException">The database was migrated by a newer build.</exception>
    /// <exception cref="StoreUnavailableException">The database (or its directory) is not writable, is locked, full or does not answer.</exception>
    public static Task<int> MigrateAsync(SqlStoreOptions store, CancellationToken cancellationToken = default) =>
        MigrateAsync(store, NullLogger.Instance, cancellationToken);

    /// <inheritdoc cref="MigrateAsync(SqlStoreOptions, CancellationToken)"/>
    /// <remarks>On PostgreSQL it also sizes the store's pool to what the server admits (<see cref="SqlStoreOptions.MaxConnections"/>), logging how.</remarks>
    internal static async Task<int> MigrateAsync(SqlStoreOptions store, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        store.Validate();
        var connectionString = store.ConnectionString;
        try
        {
            if (store.Provider == SqlProvider.Sqlite)
            {
                var builder = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(store.ConnectionString);
                if (Path.GetDirectoryName(Path.GetFullPath(builder.DataSource)) is { } directory && builder.DataSource != ":memory:")
                {
                    Directory.CreateDirectory(directory);
                }

                // A connection of its own (not pooled), which waits for another process's lock StartTimeout at most.
                builder.Pooling = false;
                builder.DefaultTimeout = (int)Math.Ceiling(store.StartTimeout.TotalSeconds);
                connectionString = builder.ConnectionString;
            }
            else if (store.Provider == SqlProvider.PostgreSql)
            {
                // Outside the store's pool and not kept: an idle migration session would hold a server slot beyond MaxConnections.
                connectionString = new Npgsql.NpgsqlConnectionStringBuilder(store.ConnectionString) { Pooling = false }.ConnectionString;
            }

            var applied = await SqlMigrator.MigrateAsync(SqlDialect.For(store), connectionString, store.StartTimeout, cancellationToken).ConfigureAwait(false);
            if (store.Provider == SqlProvider.PostgreSql)
            {
                store.AdmitConnections(await PostgresPool.CheckServerAsync(store, logger, cancellationToken).ConfigureAwait(false));
            }

            return applied;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException || SqlStoreFaults.Reason(e) is not null)
        {
            var reason = e switch
            {
                IOException or UnauthorizedAccessException => $"its directory cannot be created ({e.Message})",
                Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 5 or 6 } =>
                    $"the database is locked by another connection or process; waited {store.StartTimeout} ({store.SettingName(nameof(SqlStoreOptions.StartTimeout))})",
                _ => SqlStoreFaults.Reason(e)!,
            };
            throw new StoreUnavailableException(SqlStoreFaults.Describe(store), store.SettingName(nameof(SqlStoreOptions.ConnectionString)), reason, e);
        }
    }
}

/// <summary>Puts a registered engine on a SQL store.</summary>
public static class SqlWorkflowsEngineBuilderExtensions
{
    /// <summary>
    /// Keeps the registered engine's state in the SQL database <paramref name="store"/> names. The schema is migrated
    /// when the host starts, before any hosted service (the web server, the worker) runs.
    /// </summary>
    /// <remarks>A database migrated by a newer build stops the start with <see cref="SchemaTooNewException"/>.</remarks>
    /// <exception cref="ArgumentException">The connection string is missing or malformed.</exception>
    public static WorkflowsEngineBuilder UseSqlStore(this WorkflowsEngineBuilder builder, SqlStoreOptions store)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(store);
        store.Validate();
        return builder.UseStore(
            _ => new SqlWorkflowStore(store),
            (services, cancellationToken) => SqlWorkflowEngine.MigrateAsync(store,
                services.GetService<ILoggerFactory>()?.CreateLogger("Workflows.Engine.Sql.Store") ?? (ILogger)NullLogger.Instance, cancellationToken));
    }
}
