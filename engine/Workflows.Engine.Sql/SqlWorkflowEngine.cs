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
    /// Where these settings come from, for error messages: a configuration section such as <c>Workflows:Store</c>
    /// makes them name <c>Workflows:Store:ConnectionString</c>. Default: none, they name <c>SqlStoreOptions.ConnectionString</c>.
    /// </summary>
    public string? ConfigurationSection { get; set; }

    /// <summary>The name of one of these settings as errors give it (see <see cref="ConfigurationSection"/>).</summary>
    /// <param name="property">The property's name, such as <c>nameof(SqlStoreOptions.ConnectionString)</c>.</param>
    public string SettingName(string property) =>
        string.IsNullOrEmpty(ConfigurationSection) ? $"{nameof(SqlStoreOptions)}.{property}" : $"{ConfigurationSection}:{property}";

    /// <summary>Checks the settings; a wrong one fails at start with a message naming it.</summary>
    /// <exception cref="ArgumentException">The connection string is missing or malformed, or the start time-out is not positive.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new ArgumentException($"{SettingName(nameof(ConnectionString))} must be set for {Provider}", nameof(ConnectionString));
        }

        if (StartTimeout <= TimeSpan.Zero || StartTimeout > TimeSpan.FromDays(1))
        {
            throw new ArgumentException($"{SettingName(nameof(StartTimeout))} = {StartTimeout} must be above zero and at most a day", nameof(StartTimeout));
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
        await MigrateAsync(store, cancellationToken).ConfigureAwait(false);
        return new WorkflowEngine(new SqlWorkflowStore(SqlDialect.For(store), store.ConnectionString, store.GroupCommit),
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
    public static async Task<int> MigrateAsync(SqlStoreOptions store, CancellationToken cancellationToken = default)
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

            return await SqlMigrator.MigrateAsync(SqlDialect.For(store), connectionString, store.StartTimeout, cancellationToken).ConfigureAwait(false);
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
            _ => new SqlWorkflowStore(SqlDialect.For(store), store.ConnectionString, store.GroupCommit),
            (_, cancellationToken) => SqlWorkflowEngine.MigrateAsync(store, cancellationToken));
    }
}
