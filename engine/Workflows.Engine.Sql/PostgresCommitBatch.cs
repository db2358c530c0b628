using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;
using Npgsql;
using NpgsqlTypes;

namespace Workflows.Engine.Sql;

/// <summary>
/// A guarded write of a commit: the rows the statement (or all rows of one statement) must affect, and the failure to
/// report when they affect another count (an instance moved on, a timer already fired).
/// </summary>
internal sealed record CommitGuard(int Expected, Func<Exception> Failure)
{
    /// <summary>Throws the guard's failure unless <paramref name="affected"/> is what was expected.</summary>
    public void Check(int affected)
    {
        if (affected != Expected)
        {
            throw Failure();
        }
    }
}

/// <summary>
/// A commit's writes on PostgreSQL gathered into one <see cref="NpgsqlBatch"/>, sent in one round trip when the commit
/// has written everything (the transaction's <c>BEGIN</c> goes with it, and a read of its id first; only the <c>COMMIT</c>
/// is a round trip of its own: <see cref="CommitAsync"/>). Each write is sent as it was written before, one statement per row; its guard is checked on the rows it
/// affected once the batch has run.
/// </summary>
/// <remarks>
/// A group of change sets shares one batch: each write is marked with its change set (<see cref="Owner"/>), so that a
/// failed guard or a statement the server refuses (a unique key, a deadlock) is charged to the change set that wrote it
/// and the others are written again without it. Nothing runs before <see cref="ExecuteAsync"/>: a failure while the
/// writes are being gathered leaves the database untouched. A guard that failed earlier in the batch than a statement
/// the server refused is taken as the cause (the refused statement may have followed from it).
/// </remarks>
internal sealed class PostgresCommitBatch(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<(string Sql, Type Type), Binder> s_binders = new();
    private static readonly ConcurrentDictionary<string, (string Sql, string[] Names)> s_positional = new(StringComparer.Ordinal);

    private readonly NpgsqlBatch _batch = new(connection, transaction);
    private readonly List<Write> _writes = [];

    /// <summary>A batch for a commit on <paramref name="connection"/>, or null when it is not PostgreSQL's (the writes then run one by one).</summary>
    public static PostgresCommitBatch? For(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction) =>
        connection is NpgsqlConnection postgres ? new PostgresCommitBatch(postgres, (NpgsqlTransaction)transaction) : null;

    /// <summary>The change set of the group whose writes are being added (0 for a commit of one).</summary>
    public int Owner { get; set; }

    /// <summary>How many statements the batch holds (the read of the transaction's id included).</summary>
    public int Count => _batch.BatchCommands.Count;

    /// <summary>
    /// The transaction's id, read by the batch's first statement once it has run: what a commit whose connection was lost
    /// asks the server about (<see cref="CommitAsync"/>). Null before the batch ran, or when it held no write.
    /// </summary>
    public string? TransactionId { get; private set; }

    /// <summary>Adds one statement, its parameters taken from <paramref name="parameters"/>' properties named in it.</summary>
    public void Add(string sql, object? parameters, CommitGuard? guard)
    {
        ReadTransactionIdFirst();
        var first = _batch.BatchCommands.Count;
        _batch.BatchCommands.Add(Command(sql, parameters));
        _writes.Add(new Write(Owner, first, 1, guard));
    }

    /// <summary>Adds the statement once for each row; the guard counts the rows affected by all of them.</summary>
    public void AddRows(string sql, IReadOnlyList<object> rows, CommitGuard? guard)
    {
        ReadTransactionIdFirst();
        var first = _batch.BatchCommands.Count;
        foreach (var row in rows)
        {
            _batch.BatchCommands.Add(Command(sql, row));
        }

        _writes.Add(new Write(Owner, first, rows.Count, guard));
    }

    /// <summary>Runs every statement gathered, then checks the guards in the order they were written.</summary>
    /// <exception cref="CommitBatchException">A guard failed, or the server refused a statement: names the change set.</exception>
    public async Task ExecuteAsync(CancellationToken ct)
    {
        if (_batch.BatchCommands.Count == 0)
        {
            return;
        }

        try
        {
            // The id first, then every write's result (each sets its statement's RecordsAffected), in one round trip.
            await using var reader = await _batch.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                TransactionId = reader.GetString(0);
            }

            while (await reader.NextResultAsync(ct).ConfigureAwait(false))
            {
            }
        }
        catch (PostgresException e) when (!SqlStoreFaults.IsUnavailable(e))
        {
            var refused = Refused(e);
            if (refused < 0)
            {
                // Not charged to a statement: the whole commit failed, as a failed COMMIT does.
                throw;
            }

            throw GuardFailedBefore(refused) ?? new CommitBatchException(OwnerOf(refused), e);
        }

        if (GuardFailedBefore(_batch.BatchCommands.Count) is { } failed)
        {
            throw failed;
        }
    }

    /// <summary>
    /// <see cref="ExecuteAsync"/> for a commit of one change set: throws the guard's failure or the server's error itself.
    /// </summary>
    public async Task ExecuteAloneAsync(CancellationToken ct)
    {
        try
        {
            await ExecuteAsync(ct).ConfigureAwait(false);
        }
        catch (CommitBatchException e)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException!);
        }
    }

    /// <summary>
    /// Commits the transaction. When the connection is lost during the <c>COMMIT</c> (the backend terminated, the network
    /// cut), the transaction may have committed or not: a new connection asks the server what became of its id
    /// (<c>pg_xact_status</c>) rather than answer a failure for a commit that happened. Committed: returns as a commit
    /// does. Aborted: the failure is thrown as it came (nothing was written; the command may be sent again). Not known
    /// (the server cannot be asked, or the transaction stays in progress): <see cref="CommitOutcomeUnknownException"/>.
    /// </summary>
    /// <param name="openAnother">Opens a new connection to the same database.</param>
    /// <param name="ct">Cancels the commit.</param>
    public async Task CommitAsync(Func<CancellationToken, Task<System.Data.Common.DbConnection>> openAnother, CancellationToken ct)
    {
        try
        {
            await transaction.CommitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (TransactionId is { } id && MayHaveCommitted(e))
        {
            switch (await PostgresCommitOutcome.AskAsync(openAnother, id).ConfigureAwait(false))
            {
                case PostgresCommitOutcome.Committed:
                    return;
                case PostgresCommitOutcome.Aborted:
                    throw;
                case var unknown:
                    throw new CommitOutcomeUnknownException(id, unknown, e);
            }
        }
    }

    // The server's own answer to the COMMIT (a deferred constraint, a serialization failure) says it did not commit; a lost
    // connection, a terminated backend (57P01–57P03) or a broken link (08…) says nothing either way.
    private static bool MayHaveCommitted(Exception e) => e switch
    {
        PostgresException postgres => postgres.SqlState.StartsWith("57P", StringComparison.Ordinal) || postgres.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException or IOException or System.Net.Sockets.SocketException or TimeoutException => true,
        _ => false,
    };

    // Added before the first write, so the writes' indexes (and their guards') count it from the start.
    private void ReadTransactionIdFirst()
    {
        if (_batch.BatchCommands.Count == 0)
        {
            _batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT pg_current_xact_id()::text"));
        }
    }

    public ValueTask DisposeAsync() => _batch.DisposeAsync();

    // The statement the server refused: the one the exception names, else the first that did not complete (the server
    // runs a batch's statements in order and skips the rest after an error; a completed one has its statement type).
    private int Refused(PostgresException e)
    {
        if (e.BatchCommand is NpgsqlBatchCommand named && _batch.BatchCommands.IndexOf(named) is >= 0 and var index)
        {
            return index;
        }

        for (var i = 0; i < _batch.BatchCommands.Count; i++)
        {
            if (_batch.BatchCommands[i].StatementType == StatementType.Unknown)
            {
                return i;
            }
        }

        return -1;
    }

    private CommitBatchException? GuardFailedBefore(int end)
    {
        foreach (var write in _writes)
        {
            if (write.First + write.Count > end)
            {
                break;
            }

            if (write.Guard is not { } guard)
            {
                continue;
            }

            var affected = 0;
            for (var i = write.First; i < write.First + write.Count; i++)
            {
                affected += _batch.BatchCommands[i].RecordsAffected;
            }

            if (affected != guard.Expected)
            {
                return new CommitBatchException(write.Owner, guard.Failure());
            }
        }

        return null;
    }

    private int OwnerOf(int command)
    {
        foreach (var write in _writes)
        {
            if (command < write.First + write.Count)
            {
                return write.Owner;
            }
        }

        return Owner;
    }

    private static NpgsqlBatchCommand Command(string sql, object? parameters)
    {
        var (positional, names) = s_positional.GetOrAdd(sql, static s =>
        {
            var (text, found) = StatementBatch.Positional(s);
            return (text, found.ToArray());
        });
        var command = new NpgsqlBatchCommand(positional);
        Bind(positional, names, parameters, command.Parameters);
        return command;
    }

    /// <summary>
    /// Fills the positional parameters of <paramref name="positional"/> (its parameters' <paramref name="names"/> in
    /// order) from <paramref name="parameters"/>' properties of those names, each with its declared type.
    /// </summary>
    internal static void Bind(string positional, string[] names, object? parameters, NpgsqlParameterCollection target)
    {
        if (names.Length == 0)
        {
            return;
        }

        ArgumentNullException.ThrowIfNull(parameters);
        var binder = s_binders.GetOrAdd((positional, parameters.GetType()), static (key, names) => Binder.For(key.Type, names), names);
        binder.Bind(parameters, target);
    }

    private sealed record Write(int Owner, int First, int Count, CommitGuard? Guard);

    /// <summary>
    /// How one type of parameter object fills a statement's positional parameters: a compiled getter per parameter and
    /// a declared type, so that a null has the same type as a value and the statement keeps one prepared signature.
    /// </summary>
    private sealed class Binder(Func<object, object?>[] getters, NpgsqlDbType?[] types)
    {
        public static Binder For(Type type, string[] names)
        {
            var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance);
            var getters = new Func<object, object?>[names.Length];
            var types = new NpgsqlDbType?[names.Length];
            for (var i = 0; i < names.Length; i++)
            {
                var name = names[i];
                var property = Array.Find(properties, p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                    ?? throw new InvalidOperationException($"the parameters of a statement (a commit's write or a read) have no value for @{name} ({type.Name})");
                (getters[i], types[i]) = Getter(property);
            }

            return new Binder(getters, types);
        }

        public void Bind(object row, NpgsqlParameterCollection parameters)
        {
            for (var i = 0; i < getters.Length; i++)
            {
                var parameter = new NpgsqlParameter { Value = getters[i](row) ?? DBNull.Value };
                if (types[i] is { } declared)
                {
                    parameter.NpgsqlDbType = declared;
                }

                parameters.Add(parameter);
            }
        }

        // (object row) => (object?)((T)row).Property, an enum as its number (as Dapper sends it).
        private static (Func<object, object?> Getter, NpgsqlDbType? Type) Getter(PropertyInfo property)
        {
            var row = Expression.Parameter(typeof(object), "row");
            Expression value = Expression.Property(Expression.Convert(row, property.DeclaringType!), property);
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (type.IsEnum)
            {
                var number = Enum.GetUnderlyingType(type);
                value = Expression.Convert(value, property.PropertyType == type ? number : typeof(Nullable<>).MakeGenericType(number));
                type = number;
            }

            var getter = Expression.Lambda<Func<object, object?>>(Expression.Convert(value, typeof(object)), row).Compile();
            return (getter, PostgresTypes.Declared(type));
        }
    }
}

/// <summary>
/// The connection to PostgreSQL was lost during a command's <c>COMMIT</c> and the server could not say whether the
/// transaction committed: the command may or may not have been applied. A start sent again with the same idempotency key
/// answers its instance if it was.
/// </summary>
public sealed class CommitOutcomeUnknownException(string transactionId, string why, Exception innerException)
    : Exception($"the connection to the database was lost while transaction {transactionId} committed, and the database could not say whether it did ({why}): the command may have been applied", innerException)
{
    /// <summary>The transaction's id (<c>pg_current_xact_id</c>).</summary>
    public string TransactionId { get; } = transactionId;
}

/// <summary>What became of a transaction whose connection was lost during its <c>COMMIT</c>, asked on a new connection.</summary>
internal static class PostgresCommitOutcome
{
    public const string Committed = "committed";

    public const string Aborted = "aborted";

    // A backend whose client went away finishes (or rolls back) its commit at once; one still at it after this long is
    // stuck (a lock, a synchronous standby), and the caller is told the outcome is not known rather than held.
    private const int InProgressLooks = 20;

    private static readonly TimeSpan s_betweenLooks = TimeSpan.FromMilliseconds(100);

    // Asking may fail on a pooled connection that the same fault cut: a few tries on fresh ones before giving up.
    private const int AskFailures = 3;

    /// <summary><see cref="Committed"/>, <see cref="Aborted"/>, or why the outcome is not known.</summary>
    public static async Task<string> AskAsync(Func<CancellationToken, Task<System.Data.Common.DbConnection>> open, string transactionId)
    {
        var failures = 0;
        for (var look = 0; look < InProgressLooks; look++)
        {
            string? status;
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await using var connection = await open(timeout.Token).ConfigureAwait(false);
                await using var command = new NpgsqlCommand("SELECT pg_xact_status($1::text::xid8)", (NpgsqlConnection)connection);
                command.Parameters.Add(new NpgsqlParameter { Value = transactionId, NpgsqlDbType = NpgsqlDbType.Text });
                try
                {
                    status = await command.ExecuteScalarAsync(timeout.Token).ConfigureAwait(false) as string;
                }
                catch (Exception) when (connection is NpgsqlConnection pooled)
                {
                    // What cut the commit's connection (a network failure, a restarted server) may have cut the idle ones of
                    // its pool too: they are dropped, and the next look opens a fresh one.
                    NpgsqlConnection.ClearPool(pooled);
                    throw;
                }
            }
            catch (Exception e) when (e is System.Data.Common.DbException or IOException or OperationCanceledException or TimeoutException or StoreUnavailableException)
            {
                if (++failures == AskFailures)
                {
                    return $"the database could not be asked: {e.Message}";
                }

                await Task.Delay(s_betweenLooks).ConfigureAwait(false);
                continue;
            }

            switch (status)
            {
                case Committed or Aborted:
                    return status;
                case "in progress":
                    await Task.Delay(s_betweenLooks).ConfigureAwait(false);
                    break;
                default:
                    return "the database no longer knows the transaction"; // null: older than the status it keeps
            }
        }

        return $"the transaction was still in progress after {InProgressLooks * s_betweenLooks.TotalSeconds:N0} s";
    }
}

/// <summary>A commit's batch failed: <see cref="Owner"/> is the change set charged with it, the inner exception why.</summary>
internal sealed class CommitBatchException(int owner, Exception inner) : Exception(inner.Message, inner)
{
    /// <summary>The change set of the group (its index) whose write failed.</summary>
    public int Owner => owner;
}

/// <summary>
/// The PostgreSQL type a parameter of a CLR type is declared with, so that a null has the same type as a value and a
/// statement keeps one prepared signature (the commit's batch and the dialect's row writes both declare them).
/// </summary>
internal static class PostgresTypes
{
    private static readonly Dictionary<Type, NpgsqlDbType> s_types = new()
    {
        [typeof(Guid)] = NpgsqlDbType.Uuid,
        [typeof(long)] = NpgsqlDbType.Bigint,
        [typeof(int)] = NpgsqlDbType.Integer,
        [typeof(short)] = NpgsqlDbType.Smallint,
        [typeof(double)] = NpgsqlDbType.Double,
        [typeof(bool)] = NpgsqlDbType.Boolean,
        [typeof(string)] = NpgsqlDbType.Text,
        [typeof(byte[])] = NpgsqlDbType.Bytea,
    };

    /// <summary>The declared type of <paramref name="type"/> (an array of one of them included); null when Npgsql should infer it.</summary>
    public static NpgsqlDbType? Declared(Type type) =>
        s_types.TryGetValue(type, out var declared) ? declared
        : type.IsArray && type != typeof(byte[]) && s_types.TryGetValue(type.GetElementType()!, out var element) ? NpgsqlDbType.Array | element
        : null;
}
