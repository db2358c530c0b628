using System.Collections;
using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Linq.Expressions;
using System.Reflection;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Workflows.Engine.Sql;

/// <summary>
/// SQLite connections the store keeps open, each with the statements it ran kept prepared: Microsoft.Data.Sqlite
/// prepares a command's SQL again for every new command object (every Dapper call makes one), and a prepared statement
/// dies with its connection's close. Parsing and planning the same few statements on every read and every commit was
/// about 7 % of a command's CPU (issue 19); a session runs each statement it has seen without preparing it again.
/// </summary>
/// <remarks>
/// A session is one caller's at a time: rented, used, returned. At most <see cref="MaxIdle"/> wait between uses; one
/// unused for a sweep interval is closed, so a store nobody uses any more lets go of its file. A session whose use failed
/// is closed rather than returned, and <see cref="Clear"/> (a read-only file, an I/O error, a file that cannot be opened:
/// the store's writer calls it) closes them all.
/// </remarks>
internal sealed class SqliteSessions(Func<CancellationToken, Task<DbConnection>> open) : IDisposable
{
    /// <summary>Sessions kept between uses: more than the readers and the one writer that run at once on two cores.</summary>
    public const int MaxIdle = 16;

    // A resource timer, not the engine's time: it only closes connections nobody used for a while.
    private static readonly TimeSpan s_sweepInterval = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private readonly Stack<SqliteSession> _idle = new();
    private Timer? _sweep;
    private int _generation;
    private long _prepared;
    private long _reused;
    private long _readByDriver;
    private long _leftToDapper;

    /// <summary>How many statements the sessions prepared, for tests and benchmarks.</summary>
    public long Prepared => Interlocked.Read(ref _prepared);

    /// <summary>How many runs found their statement prepared already.</summary>
    public long Reused => Interlocked.Read(ref _reused);

    /// <summary>How many statements a session left to Dapper, which prepares them anew each time (a list to expand, hand-built parameters), for tests.</summary>
    public long LeftToDapper => Interlocked.Read(ref _leftToDapper);

    /// <summary>How many reads of a prepared statement were left to the driver and Dapper (<see cref="SqliteReadStatement"/>), for tests and benchmarks.</summary>
    public long ReadByDriver => Interlocked.Read(ref _readByDriver);

    public async ValueTask<SqliteSession> RentAsync(CancellationToken ct)
    {
        int generation;
        lock (_gate)
        {
            if (_idle.TryPop(out var session))
            {
                return session;
            }

            generation = _generation;
        }

        var connection = (SqliteConnection)await open(ct).ConfigureAwait(false);
        return new SqliteSession(this, connection, generation);
    }

    /// <summary>
    /// Gives a session back after a use, its transaction ended; one that failed (<paramref name="failed"/>) or outlived a
    /// <see cref="Clear"/> is closed.
    /// </summary>
    public void Return(SqliteSession session, bool failed = false)
    {
        lock (_gate)
        {
            if (!failed && session.Generation == _generation && _idle.Count < MaxIdle)
            {
                session.Used = true;
                _idle.Push(session);
                _sweep ??= new Timer(static state => ((SqliteSessions)state!).Sweep(), this, s_sweepInterval, s_sweepInterval);
                return;
            }
        }

        session.Dispose();
    }

    /// <summary>Closes every session: those waiting now, and those in use as they come back.</summary>
    public void Clear()
    {
        List<SqliteSession> closing;
        lock (_gate)
        {
            _generation++;
            closing = [.. _idle];
            _idle.Clear();
        }

        foreach (var session in closing)
        {
            session.Dispose();
        }
    }

    /// <summary>Closes every session and stops the sweep (a store is not disposed: tests and benchmarks call this).</summary>
    public void Dispose()
    {
        Clear();
        lock (_gate)
        {
            _sweep?.Dispose();
            _sweep = null;
        }
    }

    internal void Counted(bool prepared) => Interlocked.Increment(ref prepared ? ref _prepared : ref _reused);

    internal void CountedByDriver() => Interlocked.Increment(ref _readByDriver);

    internal void CountedLeftToDapper() => Interlocked.Increment(ref _leftToDapper);

    // Closes the sessions nobody used since the last sweep; the timer stops once none is left (and starts with the next).
    private void Sweep()
    {
        var closing = new List<SqliteSession>();
        lock (_gate)
        {
            var kept = new List<SqliteSession>();
            foreach (var session in _idle)
            {
                (session.Used ? kept : closing).Add(session);
                session.Used = false;
            }

            _idle.Clear();
            for (var i = kept.Count - 1; i >= 0; i--)
            {
                _idle.Push(kept[i]);
            }

            if (_idle.Count == 0)
            {
                _sweep?.Dispose();
                _sweep = null;
            }
        }

        foreach (var session in closing)
        {
            session.Dispose();
        }
    }
}

/// <summary>An open SQLite connection and the commands it keeps prepared, one per statement text.</summary>
internal sealed partial class SqliteSession(SqliteSessions pool, SqliteConnection connection, int generation) : IDisposable
{
    // Statement texts are the store's own (a few dozen); the bound only guards against one that varies without end.
    private const int MaxStatements = 256;

    private readonly Dictionary<string, PreparedStatement> _statements = new(StringComparer.Ordinal);

    // The same statements by the text's reference: the store's texts are constants, so a run finds its statement without
    // hashing and comparing the whole text (the instance's INSERT is ~300 characters), on SQLite's one writer too.
    private readonly Dictionary<string, PreparedStatement> _byReference = new(ReferenceEqualityComparer.Instance);

    public SqliteConnection Connection => connection;

    public int Generation => generation;

    /// <summary>Whether it was used since the last sweep.</summary>
    public bool Used { get; set; }

    /// <summary>
    /// Begins a write transaction (<c>BEGIN IMMEDIATE</c>) whose statements, its savepoints' and its end's included, stay
    /// prepared like the others: Microsoft.Data.Sqlite's own transaction prepares its <c>BEGIN</c> and <c>COMMIT</c>
    /// anew each time (the last 2 preparations of every commit, issue 19).
    /// </summary>
    public DbTransaction BeginWrite() => new SessionTransaction(this);

    /// <summary>Runs <paramref name="sql"/> once with <paramref name="parameters"/> (an object whose properties are the parameters); returns the rows it changed.</summary>
    public int Execute(string sql, object? parameters, DbTransaction? transaction)
    {
        if (Statement(sql, parameters) is not { } statement)
        {
            // A list to expand: Dapper writes the statement (inside a session's transaction, the connection has none of its own).
            pool.CountedLeftToDapper();
            return connection.Execute(sql, parameters, transaction as SqliteTransaction);
        }

        if (statement.Write(connection) is { } write && write.TryExecute(parameters, out var affected))
        {
            return affected;
        }

        statement.Bind(parameters, transaction);
        return statement.Command.ExecuteNonQuery();
    }

    /// <summary>Runs <paramref name="sql"/> once per row, each row's properties its parameters; returns the rows changed in all.</summary>
    public int ExecuteRows(string sql, IReadOnlyList<object> rows, DbTransaction? transaction)
    {
        var affected = 0;
        foreach (var row in rows)
        {
            affected += Execute(sql, row, transaction);
        }

        return affected;
    }

    /// <summary>
    /// The rows <paramref name="sql"/> reads, each mapped to <typeparamref name="TRow"/> as Dapper maps them: stepped by
    /// SQLite's own calls where they can be made so (<see cref="SqliteReadStatement"/>), else by the driver and Dapper.
    /// </summary>
    public List<TRow> Query<TRow>(string sql, object? parameters)
    {
        if (Statement(sql, parameters) is not { } statement)
        {
            pool.CountedLeftToDapper();
            return connection.Query<TRow>(sql, parameters).AsList();
        }

        return statement.Read(connection) is { } read && read.TryQuery<TRow>(parameters, out var rows) ? rows : QueryByDriver<TRow>(statement, parameters);
    }

    /// <summary>The rows <paramref name="sql"/> reads through the driver's reader and Dapper's parser only, for tests that compare the two ways.</summary>
    internal List<TRow> QueryByDriver<TRow>(string sql, object? parameters) =>
        Statement(sql, parameters) is { } statement ? QueryByDriver<TRow>(statement, parameters) : connection.Query<TRow>(sql, parameters).AsList();

    public void Dispose()
    {
        foreach (var statement in _statements.Values)
        {
            statement.Dispose();
        }

        _statements.Clear();
        _byReference.Clear();
        connection.Dispose();
    }

    private List<TRow> QueryByDriver<TRow>(PreparedStatement statement, object? parameters)
    {
        pool.CountedByDriver();
        statement.Bind(parameters, null);
        var rows = new List<TRow>();
        using var reader = statement.Command.ExecuteReader();
        if (reader.FieldCount > 0)
        {
            // The untyped parser: Dapper's typed one cannot hand back a single column (a string, a number).
            var parse = reader.GetRowParser(typeof(TRow));
            while (reader.Read())
            {
                rows.Add((TRow)parse(reader));
            }
        }

        return rows;
    }

    // The prepared statement for the text, made on first use; null for parameters only Dapper binds.
    private PreparedStatement? Statement(string sql, object? parameters)
    {
        if (parameters is IEnumerable or DynamicParameters || (parameters is not null && ParameterReader.For(parameters.GetType()) is null))
        {
            return null; // rows to run the statement for, a list to expand, parameters built by hand: Dapper's
        }

        if (_byReference.TryGetValue(sql, out var statement))
        {
            pool.Counted(prepared: false);
            return statement;
        }

        if (_byReference.Count >= MaxStatements)
        {
            _byReference.Clear(); // texts built anew for each run (equal, not the same): kept by their text below
        }

        if (_statements.TryGetValue(sql, out statement))
        {
            pool.Counted(prepared: false);
            _byReference[sql] = statement;
            return statement;
        }

        if (_statements.Count >= MaxStatements)
        {
            foreach (var old in _statements.Values)
            {
                old.Dispose();
            }

            _statements.Clear();
            _byReference.Clear();
        }

        pool.Counted(prepared: true);
        statement = new PreparedStatement(new SqliteCommand(sql, connection), Names(sql));
        _statements[sql] = statement;
        _byReference[sql] = statement;
        return statement;
    }

    private static HashSet<string> Names(string sql) =>
        ParameterName().Matches(sql).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.OrdinalIgnoreCase);

    [GeneratedRegex(@"[@:$](\w+)")]
    private static partial Regex ParameterName();

    /// <summary>
    /// A command kept prepared, with its parameters made for the last type of parameter object it ran with; a write runs
    /// through its <see cref="SqliteWriteStatement"/> instead where it can (the command is then never prepared).
    /// </summary>
    private sealed class PreparedStatement(SqliteCommand command, HashSet<string> names) : IDisposable
    {
        private Type? _boundType;
        private (SqliteParameter Parameter, Func<object, object?> Read)[] _bound = [];
        private SqliteWriteStatement? _write;
        private bool _writePrepared;
        private SqliteReadStatement? _read;
        private bool _readPrepared;

        public SqliteCommand Command => command;

        /// <summary>The statement prepared for writes on first use; null when its text is more than one statement.</summary>
        public SqliteWriteStatement? Write(SqliteConnection connection)
        {
            if (!_writePrepared)
            {
                _writePrepared = true;
                _write = SqliteWriteStatement.Prepare(connection, command.CommandText);
            }

            return _write;
        }

        /// <summary>The statement prepared for reads on first use; null when its text is more than one statement or may write.</summary>
        public SqliteReadStatement? Read(SqliteConnection connection)
        {
            if (!_readPrepared)
            {
                _readPrepared = true;
                _read = SqliteReadStatement.Prepare(connection, command.CommandText);
            }

            return _read;
        }

        public void Dispose()
        {
            _read?.Dispose();
            _write?.Dispose();
            command.Dispose();
        }

        public void Bind(object? parameters, DbTransaction? transaction)
        {
            // A session's own transaction is no SqliteTransaction: the connection then has none, and neither has the command.
            command.Transaction = transaction as SqliteTransaction;
            if (parameters is null)
            {
                if (_boundType is not null)
                {
                    command.Parameters.Clear();
                    (_boundType, _bound) = (null, []);
                }

                return;
            }

            var type = parameters.GetType();
            if (type != _boundType)
            {
                // As Dapper names them: each property the text mentions is the parameter of its name.
                command.Parameters.Clear();
                _bound = [.. ParameterReader.For(type)!
                    .Where(p => names.Contains(p.Name))
                    .Select(p => (command.Parameters.Add(new SqliteParameter("@" + p.Name, null)), p.Read))];
                _boundType = type;
            }

            foreach (var (parameter, read) in _bound)
            {
                parameter.Value = read(parameters) ?? DBNull.Value;
            }
        }
    }

    /// <summary>
    /// A write transaction run by the session's prepared statements. SQLite may roll a transaction back by itself on some
    /// errors (a full disk, an I/O error): a rollback or a dispose then finds none to end and leaves it at that, and a
    /// commit fails as SQLite fails it (no transaction is active), so such a transaction never commits half.
    /// </summary>
    private sealed class SessionTransaction : DbTransaction
    {
        private readonly SqliteSession _session;
        private bool _ended;

        public SessionTransaction(SqliteSession session)
        {
            _session = session;
            session.Execute("BEGIN IMMEDIATE", null, null);
        }

        public override IsolationLevel IsolationLevel => IsolationLevel.Serializable;

        protected override DbConnection DbConnection => _session.Connection;

        public override void Commit()
        {
            End();
            try
            {
                _session.Execute("COMMIT", null, null);
            }
            catch (SqliteException)
            {
                // A commit SQLite refused (busy, an I/O error) leaves the transaction open: it is not left to the next user.
                try
                {
                    RollbackIfOpen();
                }
                catch (SqliteException)
                {
                    // The session is closed as failed (SqliteSessions.Return), which rolls back whatever is left.
                }

                throw;
            }
        }

        public override void Rollback()
        {
            End();
            RollbackIfOpen();
        }

        public override void Save(string savepointName) => _session.Execute("SAVEPOINT " + savepointName, null, null);

        public override void Rollback(string savepointName) => _session.Execute("ROLLBACK TO " + savepointName, null, null);

        public override void Release(string savepointName) => _session.Execute("RELEASE " + savepointName, null, null);

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_ended)
            {
                _ended = true;
                RollbackIfOpen();
            }

            base.Dispose(disposing);
        }

        private void End()
        {
            if (_ended)
            {
                throw new InvalidOperationException("the transaction has already been committed or rolled back");
            }

            _ended = true;
        }

        private void RollbackIfOpen()
        {
            if (_session.Connection.State == ConnectionState.Open && SQLitePCL.raw.sqlite3_get_autocommit(_session.Connection.Handle) == 0)
            {
                _session.Execute("ROLLBACK", null, null);
            }
        }
    }

    /// <summary>
    /// The properties of a parameter object, read by compiled getters, with their values as Dapper binds them: an enum as
    /// its number, everything else as it is (a uuid through the store's type handler, which binds it as it is too).
    /// </summary>
    private sealed record ParameterReader(string Name, Func<object, object?> Read)
    {
        private static readonly ConcurrentDictionary<Type, ParameterReader[]?> s_byType = new();

        /// <summary>The readers of a type's properties; null when one is a list (which Dapper expands into the statement's text).</summary>
        public static ParameterReader[]? For(Type type) => s_byType.GetOrAdd(type, static t =>
        {
            var properties = t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0 && p.CanRead).ToList();
            if (properties.Any(p => p.PropertyType != typeof(string) && p.PropertyType != typeof(byte[]) && typeof(IEnumerable).IsAssignableFrom(p.PropertyType)))
            {
                return null;
            }

            return [.. properties.Select(p => new ParameterReader(p.Name, Getter(t, p)))];
        });

        private static Func<object, object?> Getter(Type type, PropertyInfo property)
        {
            var instance = Expression.Parameter(typeof(object));
            Expression value = Expression.Property(Expression.Convert(instance, type), property);
            var underlying = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (property.PropertyType == typeof(Utf8Text))
            {
                // Text encoded ahead (a history row): the driver binds it as the string it encodes, the session's writer as it is.
                value = Expression.Call(Expression.Constant(System.Text.Encoding.UTF8), nameof(System.Text.Encoding.GetString), null, Expression.Property(value, nameof(Utf8Text.Bytes)));
                return Expression.Lambda<Func<object, object?>>(value, instance).Compile();
            }

            if (underlying.IsEnum)
            {
                // Dapper binds an enum as its underlying number.
                var number = Enum.GetUnderlyingType(underlying);
                value = property.PropertyType == underlying
                    ? Expression.Convert(Expression.Convert(value, number), typeof(object))
                    : Expression.Condition(Expression.Property(value, "HasValue"),
                        Expression.Convert(Expression.Convert(Expression.Property(value, "Value"), number), typeof(object)),
                        Expression.Constant(null, typeof(object)));
                return Expression.Lambda<Func<object, object?>>(value, instance).Compile();
            }

            return Expression.Lambda<Func<object, object?>>(Expression.Convert(value, typeof(object)), instance).Compile();
        }
    }
}
