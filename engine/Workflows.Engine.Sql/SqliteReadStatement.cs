using System.Diagnostics.CodeAnalysis;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Workflows.Engine.Sql;

/// <summary>
/// A read a session keeps prepared, bound and stepped by SQLite's own calls, each row made by a reader compiled once per
/// row type and column list (<see cref="SqliteRowReader"/>): through Microsoft.Data.Sqlite and Dapper every read made a
/// data reader and its record, looked up Dapper's parser by the columns' names and types (a string per column name, an
/// array of rules per null value), boxed every number and read every uuid as a string to parse (issue 19).
/// </summary>
/// <remarks>
/// Rows come out exactly as Dapper makes them from the driver's values, or not at all: a read this cannot make as Dapper
/// would (a row type or a column it does not read, a value of another storage class than the column's first, a value
/// Dapper's conversion refuses) reads nothing and says so, and the session runs it through the driver and Dapper, who
/// then read it or fail as they always did. Only statements that change nothing are read here, so running one again is
/// harmless. Errors of SQLite's own are raised as the driver raises them (<see cref="SqliteException"/>).
/// </remarks>
internal sealed class SqliteReadStatement : IDisposable
{
    // SQLITE_STMTSTATUS_REPREPARE: how many times SQLite prepared the statement again (a schema change), which SQLitePCL does not name.
    private const int StatusReprepared = 5;

    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private readonly string _parameterNames;
    private readonly long _timeoutMilliseconds;
    private Type? _boundType;
    private Action<sqlite3_stmt, object>? _bind;

    // The columns as SQLite last prepared the statement (it prepares again after a schema change, and `SELECT *` may then
    // name others): their names, and the storage class each column's declared type gives a null first value.
    private int _prepares = -1;
    private string _columns = "";
    private int[] _declared = [];

    // The reader last used, for the row type and first row's classes it was made for.
    private Type? _rowType;
    private UInt128 _classes;
    private Delegate? _reader;

    private SqliteReadStatement(sqlite3 db, sqlite3_stmt statement, long timeoutMilliseconds)
    {
        _db = db;
        _statement = statement;
        _timeoutMilliseconds = timeoutMilliseconds;
        _parameterNames = SqliteWriteStatement.ParameterNames(statement);
    }

    /// <summary>
    /// The statement prepared on <paramref name="connection"/>; null when the text holds more than one statement or one
    /// that may write (which must never run twice: the driver runs those).
    /// </summary>
    /// <exception cref="SqliteException">SQLite cannot prepare it (a syntax error, a missing table).</exception>
    public static SqliteReadStatement? Prepare(SqliteConnection connection, string sql)
    {
        var db = connection.Handle!;
        var rc = raw.sqlite3_prepare_v2(db, sql, out var statement, out var tail);
        SqliteException.ThrowExceptionForRC(rc, db);
        if (statement.IsInvalid || !string.IsNullOrWhiteSpace(tail) || raw.sqlite3_stmt_readonly(statement) == 0)
        {
            statement.Dispose();
            return null;
        }

        return new SqliteReadStatement(db, statement, connection.DefaultTimeout * 1000L);
    }

    /// <summary>
    /// The rows the statement reads with the properties of <paramref name="parameters"/> as its parameters, each made as
    /// Dapper makes a <typeparamref name="TRow"/>; false, with nothing read, when they are not all made here.
    /// </summary>
    /// <exception cref="SqliteException">SQLite failed the statement.</exception>
    public bool TryQuery<TRow>(object? parameters, [NotNullWhen(true)] out List<TRow>? rows)
    {
        rows = null;
        if (!TryBind(parameters))
        {
            return false;
        }

        try
        {
            var rc = FirstStep();
            if (rc is not (raw.SQLITE_ROW or raw.SQLITE_DONE))
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }

            var count = raw.sqlite3_column_count(_statement);
            if (count == 0)
            {
                // Nothing to read (the driver's path hands back no rows either).
                rows = [];
                return true;
            }

            ReadColumns(count);
            if (Reader<TRow>(count) is not { } reader)
            {
                return false;
            }

            var read = new List<TRow>();
            while (rc == raw.SQLITE_ROW)
            {
                if (!reader(_statement, out var row))
                {
                    return false;
                }

                read.Add(row);
                rc = raw.sqlite3_step(_statement);
            }

            if (rc != raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }

            rows = read;
            return true;
        }
        catch (Exception e) when (e is OverflowException or FormatException or ArgumentException or InvalidCastException)
        {
            // A value Dapper's conversion would refuse too (a number out of range, a uuid that is none): Dapper reads it
            // again and fails with its own error.
            return false;
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    public void Dispose() => _statement.Dispose();

    private bool TryBind(object? parameters)
    {
        if (_parameterNames.Length == 0)
        {
            return true;
        }

        if (parameters is null)
        {
            return false; // the driver says which are missing
        }

        var type = parameters.GetType();
        if (type != _boundType)
        {
            _bind = SqliteWriteStatement.BinderFor(type, _parameterNames);
            _boundType = type;
        }

        if (_bind is null)
        {
            return false;
        }

        _bind(_statement, parameters);
        return true;
    }

    // The first step waits for a busy database as the driver's reader does; a later one fails at once, as the driver's does.
    private int FirstStep() => SqliteWriteStatement.StepWhileBusy(_statement, _timeoutMilliseconds, toTheEnd: false);

    private void ReadColumns(int count)
    {
        var prepares = raw.sqlite3_stmt_status(_statement, StatusReprepared, 0);
        if (prepares == _prepares && _declared.Length == count)
        {
            return;
        }

        _columns = string.Join('\n', Enumerable.Range(0, count).Select(i => raw.sqlite3_column_name(_statement, i).utf8_to_string()));
        _declared = [.. Enumerable.Range(0, count).Select(i => SqliteRowReader.Affinity(raw.sqlite3_column_decltype(_statement, i).utf8_to_string()))];
        _prepares = prepares;
        (_rowType, _reader) = (null, null);
    }

    // The reader for the first row's classes: each column's value's, or for a null the class its declared type gives
    // (which is how the driver types a column for Dapper, and Dapper converts every row's value from that type).
    private SqliteRowReader.Read<TRow>? Reader<TRow>(int count)
    {
        UInt128 classes = 0;
        if (!SqliteRowReader.IsScalar(typeof(TRow)))
        {
            if (count > SqliteRowReader.MaxColumns)
            {
                return null;
            }

            for (var i = 0; i < count; i++)
            {
                var type = raw.sqlite3_column_type(_statement, i);
                classes |= SqliteRowReader.Pack(type == raw.SQLITE_NULL ? _declared[i] : type, i);
            }
        }

        if (_rowType != typeof(TRow) || _classes != classes)
        {
            _reader = SqliteRowReader.For<TRow>(_columns, classes);
            (_rowType, _classes) = (typeof(TRow), classes);
        }

        return (SqliteRowReader.Read<TRow>?)_reader;
    }
}
