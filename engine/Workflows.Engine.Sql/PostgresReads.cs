using System.Collections.Concurrent;
using System.Data;
using Dapper;
using Npgsql;

namespace Workflows.Engine.Sql;

/// <summary>
/// The store's reads on PostgreSQL as statements of positional parameters (<c>$1, $2…</c>), bound by getters compiled
/// once per statement and type of parameters (as the commit's batch binds its writes), their rows mapped by Dapper's
/// row parser: Npgsql sends such a statement as it is, where a statement of named parameters (<c>@id</c>) is parsed and
/// rewritten by Npgsql on every run, and Dapper's own query adds its command set-up and parameter reflection.
/// </summary>
/// <remarks>
/// Parameters Dapper alone can bind (<see cref="SqlMapper.IDynamicParameters"/>: a task list's filters) are left to
/// Dapper by the caller (<see cref="Binds"/>). Several statements read together are one <see cref="NpgsqlBatch"/>: one
/// round trip, each statement run after the one before and seeing what was committed when it began, as before.
/// </remarks>
internal static class PostgresReads
{
    private static readonly ConcurrentDictionary<string, (string Sql, string[] Names)> s_positional = new(StringComparer.Ordinal);

    /// <summary>Whether these parameters can be bound here (a plain object of properties, or none).</summary>
    public static bool Binds(object? parameters) => parameters is not SqlMapper.IDynamicParameters;

    /// <summary>The rows of one statement.</summary>
    public static async ValueTask<List<TRow>> QueryAsync<TRow>(NpgsqlConnection connection, string sql, object? parameters, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(null, connection);
        var (text, names) = Positional(sql);
        command.CommandText = text;
        PostgresCommitBatch.Bind(text, names, parameters, command.Parameters);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleResult, ct).ConfigureAwait(false);
        return await RowsAsync<TRow>(reader, ct).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="statements"/> in one round trip; <see cref="Results.NextAsync{TRow}"/> reads each one's rows in order.</summary>
    public static async ValueTask<Results> ReadTogetherAsync(NpgsqlConnection connection, IReadOnlyList<string> statements, object? parameters, CancellationToken ct)
    {
        var batch = new NpgsqlBatch(connection);
        try
        {
            foreach (var statement in statements)
            {
                var (text, names) = Positional(statement);
                var command = new NpgsqlBatchCommand(text);
                PostgresCommitBatch.Bind(text, names, parameters, command.Parameters);
                batch.BatchCommands.Add(command);
            }

            return new Results(batch, await batch.ExecuteReaderAsync(ct).ConfigureAwait(false));
        }
        catch
        {
            await batch.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static (string Sql, string[] Names) Positional(string sql) => s_positional.GetOrAdd(sql, static s =>
    {
        var (text, found) = StatementBatch.Positional(s);
        return (text, found.ToArray());
    });

    private static async ValueTask<List<TRow>> RowsAsync<TRow>(NpgsqlDataReader reader, CancellationToken ct)
    {
        var rows = new List<TRow>();
        if (!await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            return rows;
        }

        // Dapper's parser for these columns (cached by Dapper per type and columns), as its own query would map them; a
        // single value (an id, a string) converted as Dapper's query converts it.
        var parse = reader.GetRowParser(typeof(TRow));
        do
        {
            rows.Add(As<TRow>(parse(reader)));
        }
        while (await reader.ReadAsync(ct).ConfigureAwait(false));

        return rows;
    }

    private static T As<T>(object? value)
    {
        if (value is T typed)
        {
            return typed;
        }

        if (value is null or DBNull)
        {
            return default!;
        }

        var type = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        return (T)(type.IsEnum ? Enum.ToObject(type, value) : Convert.ChangeType(value, type, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The results of statements read together, one statement's rows at a time.</summary>
    internal sealed class Results(NpgsqlBatch batch, NpgsqlDataReader reader) : IAsyncDisposable
    {
        private bool _started;

        public async ValueTask<List<TRow>> NextAsync<TRow>(CancellationToken ct)
        {
            if (_started && !await reader.NextResultAsync(ct).ConfigureAwait(false))
            {
                throw new InvalidOperationException("no more results than statements");
            }

            _started = true;
            return await RowsAsync<TRow>(reader, ct).ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync()
        {
            await reader.DisposeAsync().ConfigureAwait(false);
            await batch.DisposeAsync().ConfigureAwait(false);
        }
    }
}
