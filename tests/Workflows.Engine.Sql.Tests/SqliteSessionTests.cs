using Dapper;
using Microsoft.Data.Sqlite;
using NUnit.Framework;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// The SQLite sessions the store keeps open with their statements prepared (<see cref="SqliteSessions"/>): a statement
/// run again is not prepared again, and a session binds every kind of value the store writes as Dapper binds it.
/// </summary>
public sealed class SqliteSessionTests
{
    private string? _directory;
    private SqlWorkflowStore? _store;

    private enum Shade
    {
        Dark = 2,
    }

    [SetUp]
    public async Task CreateDatabase()
    {
        _directory = Directory.CreateTempSubdirectory("workflows-sessions-").FullName;
        _store = new SqlWorkflowStore(SqlDialect.For(SqlProvider.Sqlite), $"Data Source={Path.Combine(_directory, "sessions.db")}");
        await using var connection = await _store.OpenAsync(default);
        await connection.ExecuteAsync("CREATE TABLE t (k INTEGER NOT NULL, v)");
    }

    [TearDown]
    public void DropDatabase()
    {
        _store!.Sessions!.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory!, recursive: true);
    }

    [Test]
    public async Task A_session_stores_every_kind_of_value_as_dapper_does()
    {
        // Each value with its own declared type, as the store's row objects carry them (a null of a nullable type included).
        Func<int, object>[] rows =
        [
            k => new { K = k, V = Guid.Parse("0193a2b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b") }, k => new { K = k, V = (Guid?)Guid.Empty }, k => new { K = k, V = (Guid?)null },
            k => new { K = k, V = Shade.Dark }, k => new { K = k, V = (Shade?)Shade.Dark }, k => new { K = k, V = (Shade?)null },
            k => new { K = k, V = 42L }, k => new { K = k, V = (long?)null }, k => new { K = k, V = 7 }, k => new { K = k, V = true }, k => new { K = k, V = false },
            k => new { K = k, V = "text with 'quotes' and é" }, k => new { K = k, V = "" }, k => new { K = k, V = (string?)null },
            k => new { K = k, V = "a lone \ud800 surrogate, then \udc00 its low half alone" }, k => new { K = k, V = new string('x', 3000) + "é" },
            k => new { K = k, V = new byte[] { 1, 2, 3 } }, k => new { K = k, V = 1.5 }, k => new { K = k, V = 12.25m },
            k => new { K = k, V = (short)-3, W = (byte)200 }, k => new { K = k, V = 0.25f }, k => new { K = k, V = (double?)null },

            // Types the session's own binding leaves to the driver: the statement runs through Microsoft.Data.Sqlite.
            k => new { K = k, V = new DateTimeOffset(2026, 12, 5, 4, 30, 0, TimeSpan.FromHours(1)) }, k => new { K = k, V = TimeSpan.FromMinutes(90) },
        ];
        var sessions = _store!.Sessions!;
        var session = await sessions.RentAsync(default);
        await using var connection = await _store.OpenAsync(default);
        for (var i = 0; i < rows.Length; i++)
        {
            await connection.ExecuteAsync("INSERT INTO t (k, v) VALUES (@K, @V)", rows[i](2 * i));
            session.Execute("INSERT INTO t (k, v) VALUES (@K, @V)", rows[i]((2 * i) + 1), null);
        }

        sessions.Return(session);
        var stored = (await connection.QueryAsync<(long K, string Type, string Quoted)>("SELECT k, typeof(v), quote(v) FROM t ORDER BY k")).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored, Has.Count.EqualTo(2 * rows.Length));
            for (var i = 0; i < rows.Length; i++)
            {
                Assert.That((stored[(2 * i) + 1].Type, stored[(2 * i) + 1].Quoted), Is.EqualTo((stored[2 * i].Type, stored[2 * i].Quoted)), $"value {i}: {stored[2 * i].Quoted}");
            }
        }
    }

    [Test]
    public async Task A_statement_run_again_is_not_prepared_again_and_a_list_is_left_to_dapper()
    {
        var sessions = _store!.Sessions!;
        var session = await sessions.RentAsync(default);
        session.Execute("INSERT INTO t (k, v) VALUES (@k, @v)", new { k = 1, v = "a" }, null);
        session.Execute("INSERT INTO t (k, v) VALUES (@k, @v)", new { k = 2, v = "b" }, null);
        var read = session.Query<(long, string)>("SELECT k, v FROM t WHERE k IN @ks ORDER BY k", new { ks = new[] { 1, 2 } });
        var byKey = session.Query<string>("SELECT v FROM t WHERE k = @k", new { k = 2 });
        var again = session.Query<string>("SELECT v FROM t WHERE k = @k", new { k = 1 });
        sessions.Return(session);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(read, Is.EqualTo(new[] { (1L, "a"), (2L, "b") }));
            Assert.That(byKey, Is.EqualTo(new[] { "b" }));
            Assert.That(again, Is.EqualTo(new[] { "a" }), "the prepared read bound anew");
            Assert.That(sessions.Prepared, Is.EqualTo(2), "the insert and the read by key, once each; the list's statement is Dapper's");
            Assert.That(sessions.Reused, Is.EqualTo(2));
        }
    }

    [Test]
    public async Task Text_already_encoded_as_utf8_is_stored_as_the_text_it_encodes()
    {
        // The history's events come UTF-8 from the command's caller (HistoryEvents.Rows); stored as a blob, the history
        // view's json_each could not read them.
        const string text = """[{"k":"task-completed","a":"zoé","d":"✓ 😀 \\ \"quoted\""}]""";
        var sessions = _store!.Sessions!;
        var session = await sessions.RentAsync(default);
        session.Execute("INSERT INTO t (k, v) VALUES (@K, @V)", new { K = 1, V = new Utf8Text(System.Text.Encoding.UTF8.GetBytes(text)) }, null);
        session.Execute("INSERT INTO t (k, v) VALUES (@K, @V)", new { K = 2, V = text }, null);

        // With a parameter the session's writer leaves to the driver (a date), the driver binds the text it encodes.
        var at = new DateTimeOffset(2026, 12, 6, 16, 0, 0, TimeSpan.Zero);
        session.Execute("INSERT INTO t (k, v) VALUES (@K, @V || @At)", new { K = 3, V = new Utf8Text(System.Text.Encoding.UTF8.GetBytes(text)), At = at }, null);
        sessions.Return(session);

        await using var connection = await _store.OpenAsync(default);
        var stored = (await connection.QueryAsync<(string Type, string Value, string Actor)>("SELECT typeof(v), v, json_extract(v, '$[0].a') FROM t WHERE k < 3 ORDER BY k")).ToList();
        var byDriver = await connection.ExecuteScalarAsync<string>("SELECT v FROM t WHERE k = 3");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored, Is.EqualTo(new[] { ("text", text, "zoé"), ("text", text, "zoé") }), "the same text as the string's, readable as JSON");
            Assert.That(byDriver, Does.StartWith(text), "the driver bound the text, not a blob or the struct's name");
        }
    }

    [Test]
    public async Task A_statement_is_found_by_its_text_whether_the_text_is_the_same_string_or_an_equal_one_built_anew()
    {
        const string insert = "INSERT INTO t (k, v) VALUES (@k, @v)";
        var sessions = _store!.Sessions!;
        var session = await sessions.RentAsync(default);
        session.Execute(insert, new { k = 1, v = "constant" }, null);
        session.Execute(string.Concat("INSERT INTO t (k, v) ", "VALUES (@k, @v)"), new { k = 2, v = "built" }, null);
        session.Execute(insert, new { k = 3, v = "constant again" }, null);

        // More texts than a session keeps: the lookup by reference is cleared with them, and the statement is prepared anew.
        for (var i = 0; i < 300; i++)
        {
            session.Execute($"UPDATE t SET v = v WHERE k = {i}", null, null);
        }

        session.Execute(insert, new { k = 4, v = "after the bound" }, null);
        sessions.Return(session);

        await using var connection = await _store.OpenAsync(default);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await connection.QueryAsync<long>("SELECT k FROM t ORDER BY k"), Is.EqualTo(new long[] { 1, 2, 3, 4 }));
            Assert.That(sessions.Prepared, Is.EqualTo(302), "the insert once before the bound and once after it, and each update");
            Assert.That(sessions.Reused, Is.EqualTo(2), "the insert by an equal text and by the same one");
        }
    }

    [Test]
    public async Task A_session_transaction_keeps_its_statements_prepared_and_ends_as_asked()
    {
        const string insert = "INSERT INTO t (k, v) VALUES (@k, @v)";
        var sessions = _store!.Sessions!;
        var session = await sessions.RentAsync(default);
        for (var k = 0; k < 3; k++)
        {
            using var committed = session.BeginWrite();
            session.Execute(insert, new { k, v = "kept" }, committed);
            committed.Commit();
        }

        var prepared = sessions.Prepared;
        using (var abandoned = session.BeginWrite())
        {
            session.Execute(insert, new { k = 10, v = "never committed: rolled back as the transaction is disposed" }, abandoned);
        }

        using (var savepoint = session.BeginWrite())
        {
            session.Execute(insert, new { k = 20, v = "kept" }, savepoint);
            savepoint.Save("wf_test");
            session.Execute(insert, new { k = 21, v = "rolled back to the savepoint" }, savepoint);
            savepoint.Rollback("wf_test");
            savepoint.Release("wf_test");
            savepoint.Commit();
        }

        sessions.Return(session);
        await using var connection = await _store.OpenAsync(default);
        var stored = (await connection.QueryAsync<(long K, string V)>("SELECT k, v FROM t ORDER BY k")).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(prepared, Is.EqualTo(3), "BEGIN IMMEDIATE, the insert and COMMIT, each prepared once for three transactions");
            Assert.That(stored.Select(r => r.K), Is.EqualTo(new long[] { 0, 1, 2, 20 }));
            Assert.That(stored.Select(r => r.V).Distinct(), Is.EqualTo(new[] { "kept" }));
        }
    }

    [Test]
    public async Task A_write_that_breaks_a_constraint_fails_with_sqlites_error_and_its_statement_runs_again()
    {
        await using (var connection = await _store!.OpenAsync(default))
        {
            await connection.ExecuteAsync("CREATE UNIQUE INDEX t_k ON t (k)");
        }

        var sessions = _store.Sessions!;
        var session = await sessions.RentAsync(default);
        session.Execute("INSERT INTO t (k, v) VALUES (@k, @v)", new { k = 1, v = "first" }, null);
        var duplicate = Assert.Throws<SqliteException>(() => session.Execute("INSERT INTO t (k, v) VALUES (@k, @v)", new { k = 1, v = "again" }, null));
        var next = session.Execute("INSERT INTO t (k, v) VALUES (@k, @v)", new { k = 2, v = "next" }, null);
        var updated = session.Execute("UPDATE t SET v = @v WHERE k = @k", new { k = 3, v = "nobody" }, null);
        sessions.Return(session);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(duplicate!.SqliteErrorCode, Is.EqualTo(19), "SQLITE_CONSTRAINT, which the store reads as a row that exists");
            Assert.That(duplicate.Message, Does.Contain("UNIQUE"));
            Assert.That(next, Is.EqualTo(1), "the statement was reset after its failure");
            Assert.That(updated, Is.Zero, "an update that matched nothing says so");
        }
    }

    [Test]
    public async Task A_session_that_failed_or_outlived_a_clear_is_closed_not_kept()
    {
        var sessions = _store!.Sessions!;
        var failed = await sessions.RentAsync(default);
        var cleared = await sessions.RentAsync(default);
        Assert.Throws<SqliteException>(() => failed.Execute("INSERT INTO missing (k) VALUES (@k)", new { k = 1 }, null));
        sessions.Return(failed, failed: true);
        sessions.Clear();
        sessions.Return(cleared);

        var next = await sessions.RentAsync(default);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(next, Is.Not.SameAs(failed).And.Not.SameAs(cleared));
            Assert.That(failed.Connection.State, Is.EqualTo(System.Data.ConnectionState.Closed));
            Assert.That(cleared.Connection.State, Is.EqualTo(System.Data.ConnectionState.Closed));
        }

        sessions.Return(next);
        Assert.That(await sessions.RentAsync(default), Is.SameAs(next), "a session given back is the next one rented");
    }

    [Test]
    public async Task A_savepoint_keeps_what_it_would_roll_back_in_memory_not_in_a_temporary_file()
    {
        Assume.That(Directory.Exists("/proc/self/fd"), "the process's open files, as Linux lists them");
        var sessions = _store!.Sessions!;
        var session = await sessions.RentAsync(default);
        try
        {
            // The store's file is in WAL mode (its migrations set it), where a savepoint's pages have no rollback journal to go to.
            session.Connection.Execute("PRAGMA journal_mode = WAL");
            for (var k = 0; k < 400; k++)
            {
                session.Execute("INSERT INTO t (k, v) VALUES (@K, @V)", new { K = k, V = new string('a', 1000) }, null);
            }

            // As a group commit writes a command: a savepoint, then pages changed after it (some 100 pages, past the 64 KiB
            // of sub-journal SQLite keeps in memory before it spills to a temporary file, which stays open until the end).
            var transaction = session.BeginWrite();
            transaction.Save("wf_command");
            var updated = session.Execute("UPDATE t SET v = @V", new { V = new string('b', 1000) }, transaction);
            var temporary = Directory.GetFiles("/proc/self/fd")
                .Select(fd => new FileInfo(fd).LinkTarget ?? "")
                .Where(target => target.Contains("etilqs_", StringComparison.Ordinal))
                .ToList();
            transaction.Rollback("wf_command");
            var kept = session.Connection.ExecuteScalar<long>("SELECT COUNT(*) FROM t WHERE v = @V", new { V = new string('a', 1000) });
            transaction.Rollback();
            using (Assert.EnterMultipleScope())
            {
                Assert.That(updated, Is.EqualTo(400));
                Assert.That(temporary, Is.Empty, "SQLite's temporary files open during the savepoint");
                Assert.That(kept, Is.EqualTo(400), "the rollback to the savepoint restored every row from the journal in memory");
            }
        }
        finally
        {
            sessions.Return(session);
        }
    }
}
