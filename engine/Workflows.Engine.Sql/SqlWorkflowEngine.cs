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

    /// <summary>Checks the settings; a wrong one fails at start with a message naming it.</summary>
    /// <exception cref="ArgumentException">The connection string is missing or malformed.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new ArgumentException($"{nameof(SqlStoreOptions)}.{nameof(ConnectionString)} must be set for {Provider}", nameof(ConnectionString));
        }

        try
        {
            using var connection = SqlDialect.For(Provider).CreateConnection(ConnectionString);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{nameof(SqlStoreOptions)}.{nameof(ConnectionString)} is not a valid {Provider} connection string: {e.Message}", nameof(ConnectionString), e);
        }
    }
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
        return new WorkflowEngine(new SqlWorkflowStore(SqlDialect.For(store.Provider), store.ConnectionString),
            options ?? new WorkflowEngineOptions(), timeProvider ?? TimeProvider.System, logger ?? (ILogger)NullLogger.Instance);
    }

    /// <summary>Applies pending migrations (idempotent; safe when several nodes start together).</summary>
    /// <returns>How many migrations were applied.</returns>
    /// <exception cref="SchemaTooNewException">The database was migrated by a newer build.</exception>
    public static Task<int> MigrateAsync(SqlStoreOptions store, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        store.Validate();
        if (store.Provider == SqlProvider.Sqlite)
        {
            var builder = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(store.ConnectionString);
            if (Path.GetDirectoryName(Path.GetFullPath(builder.DataSource)) is { } directory && builder.DataSource != ":memory:")
            {
                Directory.CreateDirectory(directory);
            }
        }

        return SqlMigrator.MigrateAsync(SqlDialect.For(store.Provider), store.ConnectionString, cancellationToken);
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
            _ => new SqlWorkflowStore(SqlDialect.For(store.Provider), store.ConnectionString),
            (_, cancellationToken) => SqlWorkflowEngine.MigrateAsync(store, cancellationToken));
    }
}
