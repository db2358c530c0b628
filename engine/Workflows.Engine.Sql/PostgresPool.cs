using Microsoft.Extensions.Logging;
using Npgsql;

namespace Workflows.Engine.Sql;

/// <summary>
/// The PostgreSQL connection pool's size: from <see cref="SqlStoreOptions.MaxConnections"/>, else the connection
/// string's own <c>Maximum Pool Size</c>, else <see cref="DefaultMaxConnections"/>; at most what the server admits.
/// </summary>
/// <remarks>
/// Npgsql's own default (100) meets a default server's <c>max_connections</c> (100, three of them reserved for
/// superusers, others used by other clients) as soon as 100 requests arrive at once, and the server then refuses the
/// next connection ("too many clients already"). A bounded pool makes a request wait for a connection instead (up to
/// the connection string's <c>Timeout</c>, 15 seconds by default): group commit writes many commands on one
/// connection, so a few connections serve many clients.
/// </remarks>
internal static partial class PostgresPool
{
    /// <summary>The pool's size when neither the setting nor the connection string gives one.</summary>
    public const int DefaultMaxConnections = 20;

    /// <summary>The pool size the settings ask for, before the server is asked what it admits.</summary>
    public static int Requested(SqlStoreOptions store) =>
        store.MaxConnections ?? (SetsMaxPoolSize(store.ConnectionString) ? new NpgsqlConnectionStringBuilder(store.ConnectionString).MaxPoolSize : DefaultMaxConnections);

    /// <summary>The connection string the store opens, its pool bounded to <paramref name="size"/>.</summary>
    public static string Bound(string connectionString, int size)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = size };
        if (builder.MinPoolSize > size)
        {
            builder.MinPoolSize = size;
        }

        return builder.ConnectionString;
    }

    /// <summary>
    /// Reads at start how many connections the server admits to this role and how many other clients hold: a pool
    /// larger than the server admits is cut to it, with a warning naming the setting; one larger than what is free now
    /// is kept, with a warning (the others may leave; if they don't, the surplus fails as "too many clients").
    /// </summary>
    /// <returns>The pool size the store uses.</returns>
    public static async Task<int> CheckServerAsync(SqlStoreOptions store, ILogger logger, CancellationToken ct)
    {
        var requested = Requested(store);
        // A connection outside the pool: the pool is created afterwards, at its final size.
        var builder = new NpgsqlConnectionStringBuilder(store.ConnectionString) { Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            SELECT current_setting('max_connections')::int,
                   current_setting('superuser_reserved_connections')::int + COALESCE(current_setting('reserved_connections', true)::int, 0),
                   COALESCE((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false),
                   (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await reader.ReadAsync(ct).ConfigureAwait(false);
        var (max, reserved, superuser, inUse) = (reader.GetInt32(0), reader.GetInt32(1), reader.GetBoolean(2), reader.GetInt32(3));
        var admitted = superuser ? max : Math.Max(1, max - reserved);
        // This check's own connection is one of those in use.
        var others = Math.Max(0, inUse - 1);
        var setting = store.SettingName(nameof(SqlStoreOptions.MaxConnections));
        if (requested > admitted)
        {
            LogCut(logger, requested, admitted, max, setting);
            return admitted;
        }

        if (requested > admitted - others)
        {
            LogCrowded(logger, requested, others, max, setting);
        }
        else
        {
            LogSized(logger, requested, max, others);
        }

        return requested;
    }

    // Npgsql's keywords for the pool's size, spaces and case aside.
    private static bool SetsMaxPoolSize(string connectionString)
    {
        var builder = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        return builder.Keys.Cast<string>().Select(k => k.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant()).Any(k => k is "MAXIMUMPOOLSIZE" or "MAXPOOLSIZE");
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning,
        Message = "The store's pool of {Requested} connections is more than the PostgreSQL server admits ({Admitted} of max_connections {Max} for this role): cut to {Admitted}. Set {Setting} to at most the server's max_connections, less its reserved connections, divided by the hosts that share it")]
    private static partial void LogCut(ILogger logger, int requested, int admitted, int max, string setting);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Warning,
        Message = "The store's pool of {Requested} connections may not fit: {Others} of the PostgreSQL server's max_connections {Max} are held by other clients now, so under load some requests may be refused (\"too many clients\"). Lower {Setting}, or raise the server's max_connections")]
    private static partial void LogCrowded(ILogger logger, int requested, int others, int max, string setting);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Information,
        Message = "The store's pool holds at most {Requested} PostgreSQL connections (server max_connections {Max}, {Others} held by other clients); a request waits for a free one")]
    private static partial void LogSized(ILogger logger, int requested, int max, int others);
}
