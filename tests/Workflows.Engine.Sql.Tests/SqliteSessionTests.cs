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
            k => new { K = k, V = new byte[] { 1, 2, 3 } }, k => new { K = k, V = 1.5 }, k => new { K = k, V = 12.25m },
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
}
