using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Workflows.Engine.Sql;

/// <summary>
/// The store cannot be used: the database file or its directory is not writable, the database is locked, full or
/// does not answer. The message names the database (a file, or the connection without its password) and the
/// setting that names it.
/// </summary>
public sealed class StoreUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="database">The database: the SQLite file, or the connection without its password.</param>
    /// <param name="setting">The setting that names the database, such as <c>Workflows:Store:ConnectionString</c>.</param>
    /// <param name="reason">What is wrong with it.</param>
    /// <param name="innerException">The driver's or the file system's error.</param>
    public StoreUnavailableException(string database, string setting, string reason, Exception? innerException)
        : base($"the store {database} (set by {setting}) cannot be used: {reason}", innerException)
    {
        Database = database;
        Setting = setting;
    }

    /// <summary>The database: the SQLite file, or the connection without its password.</summary>
    public string Database { get; }

    /// <summary>The setting that names the database.</summary>
    public string Setting { get; }
}

/// <summary>Tells the faults of a database that is there but cannot take the work now (read-only, full, locked, away) from other errors.</summary>
public static class SqlStoreFaults
{
    /// <summary>
    /// Whether <paramref name="exception"/> (or one it wraps) says the database is read-only, full, locked, cannot be
    /// opened or does not answer: a fault of the store that goes away on its own or by an operator's hand, not a bug.
    /// </summary>
    public static bool IsUnavailable(Exception exception) => Reason(exception) is not null;

    /// <summary>What is wrong with the store in a few words, or null when <paramref name="exception"/> is no store fault.</summary>
    public static string? Reason(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (ReasonOf(e) is { } reason)
            {
                return reason;
            }
        }

        return null;
    }

    private static string? ReasonOf(Exception e) => e switch
    {
        StoreUnavailableException or SchemaOutgrownException => e.Message,
        CommitOutcomeUnknownException => "the connection to the database was lost while a command committed, and whether it did is not known",
        SqliteException sqlite => sqlite.SqliteErrorCode switch
        {
            5 or 6 => "the database is locked by another connection",
            8 => "the database is read-only",
            10 => $"the database file could not be read or written ({sqlite.Message})",
            13 => "the database or its disk is full",
            14 => "the database file cannot be opened: it or its directory is missing or not writable",
            _ => null,
        },
        PostgresException postgres => postgres.SqlState switch
        {
            "25006" => "the database is read-only",
            "53100" => "the database's disk is full",
            "53200" or "53300" => $"the database is out of resources ({postgres.MessageText})",
            "55P03" => "the database is locked",
            _ when postgres.SqlState.StartsWith("08", StringComparison.Ordinal) || postgres.SqlState.StartsWith("57P", StringComparison.Ordinal) => $"the database does not answer ({postgres.MessageText})",
            _ => null,
        },
        NpgsqlException { InnerException: TimeoutException } npgsql when npgsql.Message.Contains("pool has been exhausted", StringComparison.Ordinal) =>
            $"every connection of the store's pool stayed busy for the whole wait: raise MaxConnections (Workflows:Store:MaxConnections) within the server's max_connections, or the connection string's Timeout ({npgsql.Message})",
        NpgsqlException npgsql when npgsql.InnerException is SocketException or TimeoutException or IOException || npgsql.IsTransient => $"the database does not answer ({npgsql.Message})",
        DbException { IsTransient: true } db => $"the database does not answer ({db.Message})",
        _ => null,
    };

    /// <summary>
    /// Whether <paramref name="exception"/> (or one it wraps) is PostgreSQL refusing a text it cannot store: a NUL
    /// character (U+0000), in <c>text</c> (22021) or escaped in JSON (22P05). The engine and the API refuse a NUL in what
    /// callers give before it is stored; this tells one that got past them as bad input rather than as a server fault.
    /// </summary>
    public static bool IsUnstorableText(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is PostgresException { SqlState: "22021" or "22P05" })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The database as a message may show it: the SQLite file's full path, or the connection string without its password.</summary>
    /// <param name="store">The store's settings.</param>
    public static string Describe(SqlStoreOptions store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return Describe(store.Provider, store.ConnectionString);
    }

    private static string Describe(SqlProvider provider, string connectionString)
    {
        if (provider == SqlProvider.Sqlite)
        {
            var source = new SqliteConnectionStringBuilder(connectionString).DataSource;
            return $"SQLite file '{(source == ":memory:" ? source : Path.GetFullPath(source))}'";
        }

        var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
        foreach (var key in builder.Keys.Cast<string>().Where(k => k.Contains("password", StringComparison.OrdinalIgnoreCase) || k.Equals("pwd", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            builder.Remove(key);
        }

        return $"{provider} database '{builder.ConnectionString}'";
    }

    /// <summary>
    /// The failure without a stored value in its words: a read that could not convert a column's value (Dapper quotes it,
    /// and it may be a case's data) becomes an <see cref="InvalidDataException"/> naming the column only; any other
    /// failure is returned as it is. For callers that log or answer failures from reads past the store's own.
    /// </summary>
    public static Exception WithoutStoredValues(Exception exception) => UnquotedReads.Of(exception) ?? exception;
}
