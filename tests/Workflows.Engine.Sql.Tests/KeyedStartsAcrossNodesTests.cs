using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// Keyed starts sent to two nodes sharing one database at once: within a node a second start with a key still under way
/// is refused (<see cref="IdempotencyKeyBusyException"/>, 409 over HTTP); across nodes nothing tells one node of the
/// other's start, so the second waits on the key's unique index until the first commits, then answers the first's
/// instance. Under load: no failure, one instance per key, both answers the same, and every answer names an instance
/// already committed (docs/api.md, "Retrying a start").
/// </summary>
public abstract class KeyedStartsAcrossNodesTests
{
    private const int Keys = 48;

    private protected abstract SqlDialect Dialect { get; }

    /// <summary>The database as each node names it: two stores that share no writer queue of this process, as two processes would.</summary>
    private protected abstract (string NodeA, string NodeB) ConnectionStrings { get; }

    private protected static string OneTaskProcess(string process) => Process(process, $"""<bpmn:startEvent id="s"/>{UserTask("t")}{Chain("s", "t")}""");

    [Test]
    public async Task Two_nodes_given_the_same_keys_at_once_start_one_instance_per_key_and_both_answer_it_once_it_is_committed()
    {
        var process = "across-" + Guid.NewGuid().ToString("N")[..8];
        var (a, b) = ConnectionStrings;
        var nodes = new[] { Node(a, "node-a"), Node(b, "node-b") };
        await nodes[0].Deployments.DeployAsync(OneTaskProcess(process));
        var observer = new SqlWorkflowStore(Dialect, a, groupCommit: false);
        var answers = new ConcurrentBag<(int Key, int Node, Guid Id, bool Repeated, bool Committed)>();
        var failures = new ConcurrentBag<Exception>();

        await Task.WhenAll(Enumerable.Range(0, Keys).SelectMany(key => nodes.Select((engine, node) => Task.Run(async () =>
        {
            try
            {
                var started = await engine.Runtime.StartOnceAsync(new StartInstance(process)
                {
                    Idempotency = new StartIdempotency($"{process}/key-{key}") { Scope = "across-nodes", Fingerprint = "same-request" },
                });
                // Read at once by a third connection: an answer names an instance the database already holds.
                var committed = await observer.GetInstanceAsync(started.Id, default) is not null;
                answers.Add((key, node, started.Id, started.Repeated, committed));
            }
            catch (Exception e)
            {
                failures.Add(e);
            }
        }))));

        var byKey = answers.GroupBy(x => x.Key).ToList();
        await using var connection = await observer.OpenAsync(default);
        await using var count = connection.CreateCommand();
        count.CommandText = $"SELECT COUNT(*) FROM wf_instances WHERE process_id = '{process}'";
        var instances = Convert.ToInt64(await count.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(failures, Is.Empty, string.Join("\n", failures.Select(f => f.Message)));
            Assert.That(answers, Has.Count.EqualTo(2 * Keys));
            Assert.That(byKey.Where(k => k.Select(x => x.Id).Distinct().Count() != 1).Select(k => k.Key), Is.Empty, "both nodes answer the same instance for a key");
            Assert.That(byKey.Where(k => k.Count(x => !x.Repeated) != 1).Select(k => k.Key), Is.Empty, "one node started it, the other answered it as a repeat");
            Assert.That(answers.Where(x => !x.Committed), Is.Empty, "no answer before its instance was committed");
            Assert.That(instances, Is.EqualTo(Keys), "one instance per key");
        }
    }

    private protected WorkflowEngine Node(string connectionString, string nodeId) =>
        new(new SqlWorkflowStore(Dialect, connectionString), new WorkflowEngineOptions { NodeId = nodeId }, TimeProvider.System, NullLogger.Instance);
}

/// <summary><see cref="KeyedStartsAcrossNodesTests"/> on one SQLite file, each node with a writer of its own (the file's lock between them).</summary>
public sealed class SqliteKeyedStartsAcrossNodesTests : KeyedStartsAcrossNodesTests
{
    private string? _directory;

    private protected override SqlDialect Dialect => SqlDialect.For(SqlProvider.Sqlite);

    // Two spellings of one file: the store queues its writers per connection string, so each node waits on the file's lock
    // for the other's, as two processes do.
    private protected override (string NodeA, string NodeB) ConnectionStrings =>
        ($"Data Source={Path.Combine(_directory!, "across.db")}", $"Data Source={Path.Combine(_directory!, "across.db")};Default Timeout=60");

    [SetUp]
    public async Task CreateDatabase()
    {
        _directory = Directory.CreateTempSubdirectory("workflows-across-").FullName;
        await SqlWorkflowEngine.MigrateAsync(new SqlStoreOptions { Provider = SqlProvider.Sqlite, ConnectionString = ConnectionStrings.NodeA });
    }

    [TearDown]
    public void DropDatabase()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory!, recursive: true);
    }
}

/// <summary><see cref="KeyedStartsAcrossNodesTests"/> on one PostgreSQL database, each node with a pool of its own.</summary>
[NonParallelizable]
public sealed class PostgresKeyedStartsAcrossNodesTests : KeyedStartsAcrossNodesTests
{
    private readonly PostgresTestDatabase _database = new();

    private protected override SqlDialect Dialect => SqlDialect.For(SqlProvider.PostgreSql);

    // A small pool each, as a node's MaxConnections bounds it: the server's connections are shared with other tests.
    private protected override (string NodeA, string NodeB) ConnectionStrings =>
        (new Npgsql.NpgsqlConnectionStringBuilder(_database.Store.ConnectionString) { ApplicationName = "node-a", MaxPoolSize = 8 }.ConnectionString,
            new Npgsql.NpgsqlConnectionStringBuilder(_database.Store.ConnectionString) { ApplicationName = "node-b", MaxPoolSize = 8 }.ConnectionString);

    [OneTimeSetUp]
    public Task CreateDatabase() => _database.CreateAsync();

    [OneTimeTearDown]
    public Task DropDatabase() => _database.DropAsync();

    [Test]
    public async Task A_start_on_the_other_node_waits_on_the_key_while_the_first_is_uncommitted_and_then_answers_the_first_s_instance()
    {
        var direct = new Npgsql.NpgsqlConnectionStringBuilder(_database.Store.ConnectionString) { MaxPoolSize = 8 };
        await using var relay = new CommitCuttingRelay(direct.Host!, direct.Port);
        var process = "held-" + Guid.NewGuid().ToString("N")[..8];
        // Node A's COMMIT is held in a relay: its start stays written but uncommitted on the server for as long as the test wants.
        var nodeA = Node(new Npgsql.NpgsqlConnectionStringBuilder(direct.ConnectionString) { Host = "127.0.0.1", Port = relay.Port, ApplicationName = "held-a" }.ConnectionString, "held-a");
        var nodeB = Node(new Npgsql.NpgsqlConnectionStringBuilder(direct.ConnectionString) { ApplicationName = "held-b" }.ConnectionString, "held-b");
        await nodeB.Deployments.DeployAsync(OneTaskProcess(process));
        StartInstance Keyed() => new(process) { Idempotency = new StartIdempotency(process + "/held") { Scope = "across-nodes", Fingerprint = "same-request" } };

        relay.Cut(CommitCut.Held);
        var first = Task.Run(() => nodeA.Runtime.StartOnceAsync(Keyed()));
        await relay.CommitHeld.WaitAsync(TimeSpan.FromSeconds(120));
        var second = Task.Run(() => nodeB.Runtime.StartOnceAsync(Keyed()));
        await using (var observer = new Npgsql.NpgsqlConnection(direct.ConnectionString))
        {
            await observer.OpenAsync();
            // Waits for progress, not for time: node B's session is seen waiting on a lock (the key's unique index entry).
            const string waiting = "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = 'held-b' AND wait_event_type = 'Lock'";
            while (await Dapper.SqlMapper.ExecuteScalarAsync<long>(observer, waiting) == 0)
            {
                Assert.That(second.IsCompleted, Is.False, () => $"node B answered while node A's start was uncommitted: {second.Status} {second.Exception}");
                await Task.Delay(20);
            }
        }

        var answeredWhileHeld = second.IsCompleted;
        relay.Release();
        var (a, b) = (await first, await second);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(answeredWhileHeld, Is.False, "node B waits while node A's start is uncommitted");
            Assert.That(b.Id, Is.EqualTo(a.Id), "then answers node A's instance");
            Assert.That(a.Repeated, Is.False);
            Assert.That(b.Repeated, Is.True);
        }
    }
}
