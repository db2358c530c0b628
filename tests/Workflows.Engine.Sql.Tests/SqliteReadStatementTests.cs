using System.Globalization;
using System.Reflection;
using System.Text;
using Dapper;
using Microsoft.Data.Sqlite;
using NUnit.Framework;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// A session's reads stepped by SQLite's own calls (<see cref="SqliteReadStatement"/>) hand back exactly what the
/// driver's reader and Dapper hand back: every row type the store reads from its own tables, every kind of column into
/// every kind of member, nulls, uuids as text, large integers, unicode and blobs; and what they cannot read so is read
/// by Dapper, with Dapper's result or Dapper's error.
/// </summary>
public sealed class SqliteReadStatementTests
{
    // Every row type of the store and the table it reads it from with SELECT *. A new row type must be added here or below.
    private static readonly Dictionary<string, string> s_tables = new(StringComparer.Ordinal)
    {
        ["DefinitionRow"] = "wf_definitions", ["InstanceRow"] = "wf_instances", ["UserTaskRow"] = "wf_user_tasks",
        ["SlaClockRow"] = "wf_sla_clocks", ["JobRow"] = "wf_jobs", ["TimerRow"] = "wf_timers",
        ["MessageSubscriptionRow"] = "wf_message_subscriptions", ["MessageStartLockRow"] = "wf_message_start_locks",
        ["SignalSubscriptionRow"] = "wf_signal_subscriptions", ["BufferedMessageRow"] = "wf_buffered_messages",
        ["IncidentRow"] = "wf_incidents", ["HistoryRow"] = "wf_history", ["OutboxRow"] = "wf_outbox",
        ["BatchRow"] = "wf_batches", ["BatchStepRow"] = "wf_batch_steps", ["BatchItemRow"] = "wf_batch_items",
        ["DecisionRow"] = "wf_decision_definitions", ["EvaluationRow"] = "wf_decision_evaluations", ["DraftRow"] = "wf_drafts",
        ["VariableIndexRow"] = "wf_variable_index", ["IdempotencyKeyRow"] = "wf_idempotency_keys",
    };

    // Row types read from a join (of tables the row types above fill), and the reads of more columns than a row type
    // takes (two tables' columns, past the 32 a reader's key held at first). {0} is the row type's Columns, if it has one.
    private static readonly Dictionary<string, string> s_joined = new(StringComparer.Ordinal)
    {
        ["UserTaskRow"] = "SELECT t.*, i.* FROM wf_user_tasks t JOIN wf_instances i ON i.id = t.instance_id",
        ["UserTaskWithInstanceRow"] = "SELECT {0} FROM wf_user_tasks t LEFT JOIN wf_instances i ON i.id = t.instance_id",
        ["JobWithInstanceRow"] = "SELECT {0} FROM wf_jobs j LEFT JOIN wf_instances i ON i.id = j.instance_id",
    };

    private string? _directory;
    private SqlWorkflowStore? _store;

    public enum Shade
    {
        Light = 1,
        Dark = 2,
    }

    [SetUp]
    public async Task CreateDatabase()
    {
        _directory = Directory.CreateTempSubdirectory("workflows-reads-").FullName;
        var options = new SqlStoreOptions { Provider = SqlProvider.Sqlite, ConnectionString = $"Data Source={Path.Combine(_directory, "reads.db")}" };
        await SqlWorkflowEngine.MigrateAsync(options);
        _store = new SqlWorkflowStore(options);
    }

    [TearDown]
    public void DropDatabase()
    {
        _store!.Sessions!.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory!, recursive: true);
    }

    [Test]
    public async Task Every_row_type_of_the_store_is_read_as_dapper_reads_it_without_the_driver()
    {
        var rowTypes = typeof(SqlWorkflowStore).Assembly.GetTypes()
            .Where(t => t.Name.EndsWith("Row", StringComparison.Ordinal) && t.IsClass && t.GetConstructor(Type.EmptyTypes) is not null)
            .ToDictionary(t => t.Name);
        Assert.That(rowTypes.Keys, Is.SubsetOf(s_tables.Keys.Concat(s_joined.Keys)), "every row type the store reads, with the table or join it comes from");
        Assert.That(s_tables.Keys, Is.SubsetOf(rowTypes.Keys));

        var reads = new List<(Type Type, string Sql, string Key)>();
        await using (var connection = await _store!.OpenAsync(default))
        {
            foreach (var (name, table) in s_tables)
            {
                var filled = await FillAsync(connection, table, rowTypes[name]);
                reads.Add((rowTypes[name], $"SELECT * FROM {filled}", "rowid"));
            }
        }

        foreach (var (name, join) in s_joined)
        {
            if (rowTypes.TryGetValue(name, out var type))
            {
                reads.Add((type, string.Format(CultureInfo.InvariantCulture, join, type.GetField("Columns", BindingFlags.Public | BindingFlags.Static | BindingFlags.FlattenHierarchy)?.GetValue(null)), join.Contains("wf_jobs j", StringComparison.Ordinal) ? "j.rowid" : "t.rowid"));
            }
        }

        var sessions = _store.Sessions!;
        var session = await sessions.RentAsync(default);
        using (Assert.EnterMultipleScope())
        {
            foreach (var (type, read, key) in reads)
            {
                foreach (var order in new[] { key, key + " DESC" })
                {
                    // Ascending, the first row's nullable columns are null (the driver then types them by their declared type).
                    var sql = $"{read} ORDER BY {order}";
                    var byDriver = sessions.ReadByDriver;
                    var stepped = Outcome(() => Read(session, type, sql, byDriver: false));
                    Assert.That(sessions.ReadByDriver, Is.EqualTo(byDriver), $"{sql} as {type.Name} was read without the driver");
                    Assert.That(stepped, Is.EqualTo(Outcome(() => Read(session, type, sql, byDriver: true))), $"{sql} as {type.Name}");
                    Assert.That(stepped, Does.Contain(" | ").And.Not.StartWith("threw"), $"{sql} as {type.Name}: three rows read");
                }
            }
        }

        sessions.Return(session);
    }

    [Test]
    public async Task Every_kind_of_column_is_read_into_every_kind_of_member_as_dapper_reads_it_or_by_dapper()
    {
        // Each set a column of one declared type (or none) and its values in order: a first null, mixed storage classes,
        // numbers past a member's range, texts that are uuids in several forms or none, unicode, invalid UTF-8, blobs.
        (string Declared, string[] Values)[] sets =
        [
            ("INTEGER", ["NULL", "1", "-1", "0"]), ("INTEGER", ["7", "255", "256", "2147483648"]), ("INTEGER", ["9223372036854775807", "-9223372036854775808"]),
            ("INTEGER", ["1", "0", "NULL"]), ("REAL", ["NULL", "1.5", "-2.25", "1e300"]), ("REAL", ["0.1", "3.0"]),
            ("TEXT", ["NULL", "'é 漢字 🎉 ''quoted'''", "''", "CAST(x'C3' AS TEXT)"]),
            ("TEXT", ["'0193A2B4-5C6D-7E8F-9A0B-1C2D3E4F5A6B'", "'0193a2b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b'", "NULL", "'{0193A2B4-5C6D-7E8F-9A0B-1C2D3E4F5A6B}'"]),
            ("TEXT", ["'0193A2B4-5C6D-7E8F-9A0B-1C2D3E4F5A6B'", "'not a uuid at all, but thirty-six!'"]), ("TEXT", ["'12'", "'Dark'", "'x'"]),
            ("BLOB", ["NULL", "x''", "x'0102'", "x'00112233445566778899AABBCCDDEEFF'"]), ("BLOB", ["x'00112233445566778899AABBCCDDEEFF'"]),
            ("", ["1", "'a'", "2.5", "x'01'", "NULL"]), ("", ["NULL", "2"]), ("", ["NULL", "'text'", "2.5", "-3", "x'0102'"]), ("", ["NULL", "9223372036854775807", "0"]), ("NUMERIC", ["NULL", "'12'", "3"]), ("BOOLEAN", ["1", "0"]),
        ];
        Type[] members =
        [
            typeof(long), typeof(long?), typeof(int), typeof(int?), typeof(short), typeof(byte), typeof(sbyte), typeof(ushort), typeof(uint),
            typeof(ulong), typeof(bool), typeof(bool?), typeof(double), typeof(double?), typeof(float), typeof(decimal), typeof(decimal?),
            typeof(string), typeof(Guid), typeof(Guid?), typeof(byte[]), typeof(Shade), typeof(Shade?), typeof(char), typeof(object),
            typeof(StoredBytes), typeof(StoredBytes?),
        ];

        var sessions = _store!.Sessions!;
        var session = await sessions.RentAsync(default);
        await using var connection = await _store.OpenAsync(default);
        var compared = 0;
        using (Assert.EnterMultipleScope())
        {
            for (var s = 0; s < sets.Length; s++)
            {
                var (declared, values) = sets[s];
                var table = $"kinds_{s}";
                await connection.ExecuteAsync($"CREATE TABLE {table} (v {declared}, w INTEGER)");
                for (var i = 0; i < values.Length; i++)
                {
                    await connection.ExecuteAsync($"INSERT INTO {table} (v, w) VALUES ({values[i]}, {i})");
                }

                var sql = $"SELECT v, w FROM {table} ORDER BY w";
                foreach (var member in members)
                {
                    foreach (var shape in new[] { typeof(One<>).MakeGenericType(member), typeof(ValueTuple<,>).MakeGenericType(member, typeof(long)), member })
                    {
                        var stepped = Outcome(() => Read(session, shape, sql, byDriver: false));
                        Assert.That(stepped, Is.EqualTo(Outcome(() => Read(session, shape, sql, byDriver: true))), $"{declared} [{string.Join(", ", values)}] as {Name(shape)}");
                        compared++;
                    }
                }
            }
        }

        sessions.Return(session);
        Assert.That(compared, Is.EqualTo(sets.Length * members.Length * 3));
    }

    [Test]
    public async Task The_reads_the_store_makes_of_numbers_texts_uuids_and_bytes_are_not_left_to_the_driver()
    {
        await using (var connection = await _store!.OpenAsync(default))
        {
            await connection.ExecuteAsync("CREATE TABLE t (id TEXT, n INTEGER, r REAL, s TEXT, b BLOB)");
            await connection.ExecuteAsync("INSERT INTO t VALUES ('0193A2B4-5C6D-7E8F-9A0B-1C2D3E4F5A6B', 42, 0.5, 'é', x'01'), (NULL, NULL, NULL, NULL, NULL)");
        }

        var sessions = _store.Sessions!;
        var session = await sessions.RentAsync(default);
        var uuids = session.Query<Guid?>("SELECT id FROM t ORDER BY rowid", null);
        var pairs = session.Query<(string?, long)>("SELECT s, n FROM t ORDER BY rowid", null);
        var tuple = session.Query<(Guid Id, int N, double? R, string S, byte[] B)>("SELECT id, n, r, s, b FROM t WHERE n = @n", new { n = 42 });
        var texts = session.Query<string>("SELECT s FROM t ORDER BY rowid", null);
        var numbers = session.Query<long?>("SELECT n FROM t ORDER BY rowid", null);
        var rows = session.Query<One<int>>("SELECT n AS v FROM t ORDER BY rowid", null);
        sessions.Return(session);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(sessions.ReadByDriver, Is.Zero);
            Assert.That(uuids, Is.EqualTo(new Guid?[] { Guid.Parse("0193a2b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b"), null }));
            Assert.That(pairs, Is.EqualTo(new (string?, long)[] { ("é", 42), (null, 0) }));
            Assert.That(tuple.Single().N, Is.EqualTo(42));
            Assert.That(tuple.Single().B, Is.EqualTo(new byte[] { 1 }));
            Assert.That(texts, Is.EqualTo(new[] { "é", null }));
            Assert.That(numbers, Is.EqualTo(new long?[] { 42, null }));
            Assert.That(rows.Select(r => r.V), Is.EqualTo(new[] { 42, 0 }), "a null leaves the member as the constructor left it");
        }
    }

    [Test]
    public async Task A_value_of_another_class_than_its_columns_first_and_a_number_out_of_range_are_read_by_dapper()
    {
        await using (var connection = await _store!.OpenAsync(default))
        {
            await connection.ExecuteAsync("CREATE TABLE t (k INTEGER, v)");
            await connection.ExecuteAsync("INSERT INTO t VALUES (1, 1), (2, 'two'), (3, 3000000000)");
        }

        var sessions = _store.Sessions!;
        var session = await sessions.RentAsync(default);
        var texts = session.Query<One<string>>("SELECT v FROM t ORDER BY k", null);
        var afterMixed = sessions.ReadByDriver;
        var outOfRange = Assert.Throws<System.Data.DataException>(() => session.Query<One<int>>("SELECT v FROM t WHERE k = @k", new { k = 3 }));
        var numbers = session.Query<One<long>>("SELECT v FROM t WHERE k <> @k ORDER BY k", new { k = 2 });
        sessions.Return(session);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(texts.Select(r => r.V), Is.EqualTo(new[] { "1", "two", "3000000000" }), "Dapper converts each value from the first row's class");
            Assert.That(afterMixed, Is.EqualTo(1), "the second row's text was not the first row's class: Dapper read them all");
            Assert.That(outOfRange!.InnerException, Is.InstanceOf<OverflowException>(), "Dapper's own error for the number past an int");
            Assert.That(sessions.ReadByDriver, Is.EqualTo(2), "the overflow was Dapper's to report; the longs were stepped");
            Assert.That(numbers.Select(r => r.V), Is.EqualTo(new[] { 1L, 3000000000L }));
        }
    }

    [Test]
    public async Task A_statement_sqlite_prepares_again_after_a_schema_change_is_read_with_its_new_columns()
    {
        await using var connection = await _store!.OpenAsync(default);
        await connection.ExecuteAsync("CREATE TABLE t (k INTEGER, v TEXT); INSERT INTO t VALUES (1, 'a')");
        var sessions = _store.Sessions!;
        var session = await sessions.RentAsync(default);
        var before = session.Query<Wide>("SELECT * FROM t", null);
        await connection.ExecuteAsync("ALTER TABLE t ADD COLUMN w INTEGER; UPDATE t SET w = 5");
        var after = session.Query<Wide>("SELECT * FROM t", null);
        sessions.Return(session);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(before.Single().W, Is.Null);
            Assert.That(after.Single().W, Is.EqualTo(5), "the column the statement reads since the change");
            Assert.That(after.Single().V, Is.EqualTo("a"));
            Assert.That(sessions.ReadByDriver, Is.Zero);
        }
    }

    [Test]
    public async Task A_statement_that_writes_is_never_stepped_here_and_a_failing_read_fails_with_sqlites_error()
    {
        await using (var connection = await _store!.OpenAsync(default))
        {
            await connection.ExecuteAsync("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)");
        }

        var sessions = _store.Sessions!;
        var session = await sessions.RentAsync(default);
        var returned = session.Query<long>("INSERT INTO t (v) VALUES (@v) RETURNING k", new { v = "once" });
        var written = session.Query<long>("SELECT count(*) FROM t", null);
        var missing = Assert.Throws<SqliteException>(() => session.Query<long>("SELECT k FROM nowhere", null));
        sessions.Return(session, failed: true);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(returned, Is.EqualTo(new[] { 1L }));
            Assert.That(written, Is.EqualTo(new[] { 1L }), "the insert ran once");
            Assert.That(sessions.ReadByDriver, Is.EqualTo(1), "the insert was the driver's");
            Assert.That(missing!.SqliteErrorCode, Is.EqualTo(1));
            Assert.That(missing.Message, Does.Contain("no such table"));
        }
    }

    private static List<object?> Read(SqliteSession session, Type type, string sql, bool byDriver)
    {
        var method = typeof(SqliteSession).GetMethod(byDriver ? nameof(SqliteSession.QueryByDriver) : nameof(SqliteSession.Query), BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, [typeof(string), typeof(object)])!;
        try
        {
            return [.. ((System.Collections.IEnumerable)method.MakeGenericMethod(type).Invoke(session, [sql, null])!).Cast<object?>()];
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }

    // The rows described, value by value, or the error they met (its type and message, and its cause's).
    private static string Outcome(Func<List<object?>> read)
    {
        try
        {
            return string.Join(" | ", read().Select(Describe));
        }
        catch (Exception e) when (e is not AssertionException)
        {
            return $"threw {e.GetType().Name}: {e.Message} ({e.InnerException?.GetType().Name}: {e.InnerException?.Message})";
        }
    }

    private static string Describe(object? value)
    {
        switch (value)
        {
            case null:
                return "null";
            case byte[] bytes:
                return "0x" + Convert.ToHexString(bytes);
            case string text:
                // Every character by its code, so that a lone surrogate or a replacement character is told apart.
                return "\"" + string.Concat(text.Select(c => c is >= ' ' and < '\x7f' ? c.ToString() : $"\\u{(int)c:X4}")) + "\"";
            case double or float or decimal or long or int or short or byte or sbyte or ushort or uint or ulong or bool or char or Guid or Enum:
                return $"{value.GetType().Name}:{Convert.ToString(value, CultureInfo.InvariantCulture)}";
        }

        var type = value.GetType();
        var members = type.Name.StartsWith("ValueTuple", StringComparison.Ordinal)
            ? type.GetFields().Select(f => (f.Name, Value: f.GetValue(value)))
            : type.GetProperties(BindingFlags.Instance | BindingFlags.Public).Where(p => p.GetIndexParameters().Length == 0).Select(p => (p.Name, Value: p.GetValue(value)));
        var text2 = new StringBuilder(type.Name).Append('{');
        foreach (var (name, member) in members)
        {
            text2.Append(name).Append('=').Append(Describe(member)).Append(' ');
        }

        return text2.Append('}').ToString();
    }

    private static string Name(Type type) =>
        type.IsGenericType ? $"{type.Name.Split('`')[0]}<{string.Join(", ", type.GetGenericArguments().Select(Name))}>" : type.Name;

    // Three rows into a table of the store: the first with every nullable column null, the others with every column set,
    // each value of the kind the row type's member for the column takes (a uuid as text in three forms, numbers to their
    // type's ends, unicode and an empty text, blobs, an empty one among them).
    // A view (the history's) is filled through a table of its columns and their declared types; returns what was filled.
    private static async Task<string> FillAsync(System.Data.Common.DbConnection connection, string table, Type rowType)
    {
        var columns = (await connection.QueryAsync<(string Name, string Type, long NotNull)>($"SELECT name, type, \"notnull\" FROM pragma_table_info('{table}')")).ToList();
        if (await connection.ExecuteScalarAsync<string>("SELECT type FROM sqlite_schema WHERE name = @table", new { table }) == "view")
        {
            table += "_as_table";
            await connection.ExecuteAsync($"CREATE TABLE {table} ({string.Join(", ", columns.Select(c => $"{c.Name} {c.Type}"))})");
        }

        var map = SqlMapper.GetTypeMap(rowType);
        for (var row = 0; row < 3; row++)
        {
            var values = columns.Select(c =>
            {
                var member = map.GetMember(c.Name)?.MemberType;
                return row == 0 && c.NotNull == 0 ? "NULL" : Literal(Nullable.GetUnderlyingType(member ?? typeof(object)) ?? member, c.Type, row);
            });
            await connection.ExecuteAsync($"INSERT INTO {table} ({string.Join(", ", columns.Select(c => c.Name))}) VALUES ({string.Join(", ", values)})");
        }

        return table;
    }

    private static string Literal(Type? member, string declared, int row)
    {
        var uuid = new Guid($"0193a2b4-5c6d-7e8f-9a0b-1c2d3e4f5a{row:D2}");
        return member == typeof(Guid) ? row switch { 0 => $"'{uuid.ToString("D").ToUpperInvariant()}'", 1 => $"'{uuid:D}'", _ => $"'{uuid:B}'" }
            : member == typeof(int) ? row switch { 0 => "7", 1 => "2147483647", _ => "-2147483648" }
            : member == typeof(long) ? row switch { 0 => "638712345678901234", 1 => "9223372036854775807", _ => "-9223372036854775808" }
            : member == typeof(double) ? row switch { 0 => "0.1", 1 => "1e300", _ => "-2.5" }
            : member == typeof(byte[]) || member == typeof(StoredBytes) ? row switch { 0 => "x'7B7D'", 1 => "x'00FF10'", _ => "x''" }
            : member == typeof(string) ? row switch { 0 => "'plain 0'", 1 => "'é 漢字 🎉 ''quoted'' 1'", _ => "''" }
            : declared.Contains("INT", StringComparison.OrdinalIgnoreCase) ? (row + 1).ToString(CultureInfo.InvariantCulture)
            : declared.Contains("BLOB", StringComparison.OrdinalIgnoreCase) ? "x'01'"
            : $"'column without a member {row}'";
    }

    /// <summary>One column, <c>v</c>, into a member of the type.</summary>
    public sealed class One<T>
    {
        public T? V { get; set; }
    }

    /// <summary>A table read with <c>SELECT *</c> before and after a column is added.</summary>
    public sealed class Wide
    {
        public long K { get; set; }

        public string? V { get; set; }

        public long? W { get; set; }
    }
}
