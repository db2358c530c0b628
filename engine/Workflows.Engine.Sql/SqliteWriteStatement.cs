using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Linq.Expressions;
using System.Reflection;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Workflows.Engine.Sql;

/// <summary>
/// A write a session keeps prepared, bound and run by SQLite's own calls: through Microsoft.Data.Sqlite every run of
/// a statement made a data reader, a binder per parameter, a UTF-8 copy of each parameter's name and of each text value,
/// an upper-case string of each uuid and a box of each number, for every parameter of every write of a commit (issue
/// 19). Here the parameters are found once per statement and parameter type, and each run binds the row object's
/// values without a copy on the heap (text and uuids are encoded on the stack, a long text in a pooled buffer).
/// </summary>
/// <remarks>
/// Values are stored exactly as Microsoft.Data.Sqlite stores them (which is how Dapper's reads expect them): a uuid as
/// its upper-case text, an enum or a bool as its number, a decimal as text, a byte array as a blob. A statement whose
/// parameters include a type this does not bind (a date, a time span) is left to the driver, as is a text of several
/// statements; errors are raised by the driver's own <see cref="SqliteException"/>, with SQLite's code and message.
/// </remarks>
internal sealed class SqliteWriteStatement : IDisposable
{
    private static readonly ConcurrentDictionary<(Type Type, string Names), Action<sqlite3_stmt, object>?> s_binders = new();

    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private readonly string _names;
    private readonly bool _readOnly;
    private readonly long _timeoutMilliseconds;
    private Type? _boundType;
    private Action<sqlite3_stmt, object>? _bind;

    private SqliteWriteStatement(sqlite3 db, sqlite3_stmt statement, long timeoutMilliseconds)
    {
        _db = db;
        _timeoutMilliseconds = timeoutMilliseconds;
        _statement = statement;
        _names = ParameterNames(statement);
        _readOnly = raw.sqlite3_stmt_readonly(statement) != 0;
    }

    /// <summary>The statement prepared on <paramref name="connection"/>; null when the text holds more than one statement.</summary>
    /// <exception cref="SqliteException">SQLite cannot prepare it (a syntax error, a missing table).</exception>
    public static SqliteWriteStatement? Prepare(SqliteConnection connection, string sql)
    {
        var db = connection.Handle!;
        var rc = raw.sqlite3_prepare_v2(db, sql, out var statement, out var tail);
        SqliteException.ThrowExceptionForRC(rc, db);
        if (statement.IsInvalid || !string.IsNullOrWhiteSpace(tail))
        {
            statement.Dispose();
            return null;
        }

        return new SqliteWriteStatement(db, statement, connection.DefaultTimeout * 1000L);
    }

    /// <summary>
    /// Runs the statement once with the properties of <paramref name="parameters"/> as its parameters; returns false,
    /// having run nothing, when their types are not all bound here.
    /// </summary>
    public bool TryExecute(object? parameters, out int affected)
    {
        affected = 0;
        if (_names.Length > 0)
        {
            if (parameters is null)
            {
                return false; // the driver says which are missing
            }

            var type = parameters.GetType();
            if (type != _boundType)
            {
                _bind = BinderFor(type, _names);
                _boundType = type;
            }

            if (_bind is null)
            {
                return false;
            }
        }

        try
        {
            _bind?.Invoke(_statement, parameters!);
            var rc = Step();
            if (rc != raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }

            affected = _readOnly ? -1 : raw.sqlite3_changes(_db);
            return true;
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    private int Step() => StepWhileBusy(_statement, _timeoutMilliseconds, toTheEnd: true);

    /// <summary>
    /// Steps <paramref name="statement"/> once, or to its end, waiting for a busy database as Microsoft.Data.Sqlite does:
    /// SQLite's own busy timeout first, then the statement reset and stepped again every 150 ms up to the connection's
    /// timeout (the sleep is that retry's pause, on the thread that runs the statement, as in the driver).
    /// </summary>
    internal static int StepWhileBusy(sqlite3_stmt statement, long timeoutMilliseconds, bool toTheEnd)
    {
        var started = Environment.TickCount64;
        while (true)
        {
            var rc = raw.sqlite3_step(statement);
            while (toTheEnd && rc == raw.SQLITE_ROW)
            {
                rc = raw.sqlite3_step(statement);
            }

            if (rc is not (raw.SQLITE_BUSY or raw.SQLITE_LOCKED) || Environment.TickCount64 - started >= timeoutMilliseconds)
            {
                return rc;
            }

            raw.sqlite3_reset(statement);
            Thread.Sleep(150);
        }
    }

    public void Dispose() => _statement.Dispose();

    /// <summary>The names of a prepared statement's parameters (<c>@Id\n@State…</c>), which <see cref="BinderFor"/> binds.</summary>
    internal static string ParameterNames(sqlite3_stmt statement) =>
        string.Join('\n', Enumerable.Range(1, raw.sqlite3_bind_parameter_count(statement)).Select(i => raw.sqlite3_bind_parameter_name(statement, i).utf8_to_string()));

    /// <summary>
    /// The binder, compiled once per parameter type and statement's parameter names, that binds every parameter from the
    /// property of its name; null when one has no such property or is of a type not bound here (the driver binds those).
    /// </summary>
    internal static Action<sqlite3_stmt, object>? BinderFor(Type type, string names) =>
        s_binders.GetOrAdd((type, names), static key => Binder(key.Type, key.Names));

    // Binds every parameter of the statement (its names, "@Id\n@State…") from the property of the same name; null when a
    // parameter has no property of that name or one of a type not bound here (the driver then runs it, or says what is missing).
    private static Action<sqlite3_stmt, object>? Binder(Type type, string names)
    {
        var statement = Expression.Parameter(typeof(sqlite3_stmt), "statement");
        var instance = Expression.Parameter(typeof(object), "parameters");
        var typed = Expression.Variable(type, "row");
        var body = new List<Expression> { Expression.Assign(typed, Expression.Convert(instance, type)) };
        var index = 0;
        foreach (var name in names.Split('\n'))
        {
            index++;
            if (name.Length < 2 || name[0] is not ('@' or ':' or '$')
                || type.GetProperty(name[1..], BindingFlags.Public | BindingFlags.Instance) is not { CanRead: true } property
                || Bind(statement, Expression.Constant(index), Expression.Property(typed, property)) is not { } bind)
            {
                return null;
            }

            body.Add(bind);
        }

        return Expression.Lambda<Action<sqlite3_stmt, object>>(Expression.Block([typed], body), statement, instance).Compile();
    }

    // The call that binds one value by its declared type; null for a type left to the driver.
    private static Expression? Bind(Expression statement, Expression index, Expression value)
    {
        var type = value.Type;
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Bind(statement, index, Expression.Property(value, "Value")) is { } bindValue
                ? Expression.IfThenElse(Expression.Property(value, "HasValue"), bindValue, Call(nameof(BindNull), statement, index))
                : null;
        }

        if (type.IsEnum)
        {
            return Call(nameof(BindInt64), statement, index, Expression.Convert(Expression.Convert(value, Enum.GetUnderlyingType(type)), typeof(long)));
        }

        if (type == typeof(bool))
        {
            return Call(nameof(BindInt64), statement, index, Expression.Condition(value, Expression.Constant(1L), Expression.Constant(0L)));
        }

        if (type == typeof(long) || type == typeof(int) || type == typeof(short) || type == typeof(byte) || type == typeof(sbyte) || type == typeof(ushort) || type == typeof(uint))
        {
            return Call(nameof(BindInt64), statement, index, Expression.Convert(value, typeof(long)));
        }

        if (type == typeof(double) || type == typeof(float))
        {
            return Call(nameof(BindDouble), statement, index, Expression.Convert(value, typeof(double)));
        }

        return type == typeof(string) ? Call(nameof(BindText), statement, index, value)
            : type == typeof(Utf8Text) ? Call(nameof(BindUtf8), statement, index, value)
            : type == typeof(Guid) ? Call(nameof(BindGuid), statement, index, value)
            : type == typeof(byte[]) ? Call(nameof(BindBlob), statement, index, value)
            : type == typeof(decimal) ? Call(nameof(BindDecimal), statement, index, value)
            : null;
    }

    private static MethodCallExpression Call(string method, params Expression[] arguments) =>
        Expression.Call(typeof(SqliteWriteStatement).GetMethod(method, BindingFlags.NonPublic | BindingFlags.Static)!, arguments);

    private static void BindNull(sqlite3_stmt statement, int index) => Check(raw.sqlite3_bind_null(statement, index));

    private static void BindInt64(sqlite3_stmt statement, int index, long value) => Check(raw.sqlite3_bind_int64(statement, index, value));

    private static void BindDouble(sqlite3_stmt statement, int index, double value) =>
        Check(double.IsNaN(value) ? throw new InvalidOperationException("Cannot store 'NaN' values.") : raw.sqlite3_bind_double(statement, index, value));

    // UTF-8 as .NET encodes it (a lone surrogate becomes U+FFFD, as the driver stores it: SQLite's own UTF-16 reading
    // would keep it, or take the next character with it), on the stack or in a pooled buffer; SQLite copies it.
    private static void BindText(sqlite3_stmt statement, int index, string? value)
    {
        if (value is null)
        {
            Check(raw.sqlite3_bind_null(statement, index));
            return;
        }

        var most = Encoding.UTF8.GetMaxByteCount(value.Length);
        byte[]? rented = null;
        // Only as much of the stack as the text may take: the runtime clears what is taken (a kilobyte per text bound was sampled).
        Span<byte> buffer = most <= 1024 ? stackalloc byte[most] : (rented = ArrayPool<byte>.Shared.Rent(most));
        try
        {
            Check(raw.sqlite3_bind_text(statement, index, buffer[..Encoding.UTF8.GetBytes(value, buffer)]));
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static void BindUtf8(sqlite3_stmt statement, int index, Utf8Text value) => Check(raw.sqlite3_bind_text(statement, index, value.Bytes));

    private static void BindBlob(sqlite3_stmt statement, int index, byte[]? value) =>
        Check(value is null ? raw.sqlite3_bind_null(statement, index) : raw.sqlite3_bind_blob(statement, index, value.AsSpan()));

    // Upper-case text, as Microsoft.Data.Sqlite writes a uuid (every stored uuid and every key compared with one is in that form).
    private static void BindGuid(sqlite3_stmt statement, int index, Guid value)
    {
        Span<byte> text = stackalloc byte[36];
        value.TryFormat(text, out _);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] is >= (byte)'a' and <= (byte)'f')
            {
                text[i] -= 'a' - 'A';
            }
        }

        Check(raw.sqlite3_bind_text(statement, index, text));
    }

    private static void BindDecimal(sqlite3_stmt statement, int index, decimal value) =>
        BindText(statement, index, value.ToString("0.0###########################", CultureInfo.InvariantCulture));

    private static void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException($"SQLite could not bind a parameter (error {rc})", rc);
        }
    }
}

/// <summary>
/// Text already encoded as UTF-8 (by a command's caller, off SQLite's one writer), which <see cref="SqliteWriteStatement"/>
/// binds as text as it is: no string is made of it and copied again into UTF-8 (a byte array it binds as a blob).
/// </summary>
internal readonly record struct Utf8Text(byte[] Bytes);
