using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// A connection to PostgreSQL lost during a command's COMMIT (cut by a relay at that moment): the store asks a new
/// connection what became of the transaction, so a start that committed is answered its instance, not "retry", and one
/// whose outcome cannot be learned says so; retried with its idempotency key it answers the instance it made, if any.
/// </summary>
[NonParallelizable]
public sealed class PostgresLostCommitTests
{
    private readonly PostgresTestDatabase _database = new();
    private CommitCuttingRelay _relay = null!;

    private string Direct => _database.Store.ConnectionString;

    private string ThroughTheRelay => new NpgsqlConnectionStringBuilder(Direct) { Host = "127.0.0.1", Port = _relay.Port }.ConnectionString;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        await _database.CreateAsync();
        var server = new NpgsqlConnectionStringBuilder(Direct);
        _relay = new CommitCuttingRelay(server.Host!, server.Port);
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        await _relay.DisposeAsync();
        await _database.DropAsync();
    }

    private async Task<(SqlWorkflowStore Store, WorkflowEngine Engine, string Process)> EngineAsync(bool groupCommit)
    {
        _relay.Refusing = false;
        // A pool of its own (its application name): a test that cut every connection leaves no dead ones to the next.
        var process = "lost-" + Guid.NewGuid().ToString("N")[..10];
        var store = new SqlWorkflowStore(SqlDialect.For(SqlProvider.PostgreSql), new NpgsqlConnectionStringBuilder(ThroughTheRelay) { ApplicationName = process }.ConnectionString, groupCommit);
        var engine = new WorkflowEngine(store, new WorkflowEngineOptions(), TimeProvider.System, NullLogger.Instance);
        await engine.Deployments.DeployAsync(Process(process, $"""<bpmn:startEvent id="s"/>{UserTask("t")}{Chain("s", "t")}"""));
        return (store, engine, process);
    }

    // The key names the process too: a key goes with one request, and each test case starts its own process.
    private static StartInstance Start(string process, string key) => new(process) { Idempotency = new StartIdempotency(process + "/" + key) { Scope = "lost" } };

    private async Task<long> InstancesAsync(string process)
    {
        await using var connection = new NpgsqlConnection(Direct);
        return await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM wf_instances WHERE process_id = @process", new { process });
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task A_start_whose_connection_is_lost_after_the_server_committed_it_is_answered_its_instance_not_retry(bool groupCommit)
    {
        var (_, engine, process) = await EngineAsync(groupCommit);
        var cutBefore = _relay.CommitsCut;
        _relay.Cut(CommitCut.AfterTheServerAnswered);

        var started = await engine.Runtime.StartOnceAsync(Start(process, "committed-1"));
        var again = await engine.Runtime.StartOnceAsync(Start(process, "committed-1"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(_relay.CommitsCut - cutBefore, Is.EqualTo(1), "the start's COMMIT was cut after the server answered it");
            Assert.That(started.Repeated, Is.False);
            Assert.That(again.Id, Is.EqualTo(started.Id));
            Assert.That(await InstancesAsync(process), Is.EqualTo(1));
        }
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task A_start_whose_COMMIT_never_reached_the_server_fails_as_a_store_fault_and_its_retry_starts_it(bool groupCommit)
    {
        var (_, engine, process) = await EngineAsync(groupCommit);
        _relay.Cut(CommitCut.BeforeTheServerSawIt);

        var failure = Assert.CatchAsync(async () => await engine.Runtime.StartOnceAsync(Start(process, "aborted-1")));
        var afterFailure = await InstancesAsync(process);
        var retried = await engine.Runtime.StartOnceAsync(Start(process, "aborted-1"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(SqlStoreFaults.IsUnavailable(failure!), Is.True, failure!.ToString());
            Assert.That(failure, Is.Not.TypeOf<CommitOutcomeUnknownException>(), "the server said the transaction aborted");
            Assert.That(afterFailure, Is.Zero);
            Assert.That(retried.Repeated, Is.False, "nothing had been started: the retry starts it");
            Assert.That(await InstancesAsync(process), Is.EqualTo(1));
        }
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task A_start_whose_outcome_cannot_be_learned_says_so_and_its_retry_with_the_key_answers_the_instance_it_made(bool groupCommit)
    {
        var (_, engine, process) = await EngineAsync(groupCommit);
        _relay.Cut(CommitCut.AfterTheServerAnsweredAndRefuse);

        var unknown = Assert.ThrowsAsync<CommitOutcomeUnknownException>(async () => await engine.Runtime.StartOnceAsync(Start(process, "unknown-1")));
        _relay.Refusing = false;
        var retried = await engine.Runtime.StartOnceAsync(Start(process, "unknown-1"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(unknown.Message, Does.Contain("could not say whether it did"));
            Assert.That(SqlStoreFaults.IsUnavailable(unknown), Is.True, "a fault of the store: 503 over HTTP");
            Assert.That(retried.Repeated, Is.True, "the start had committed: its retry with the key answers its instance");
            Assert.That(await InstancesAsync(process), Is.EqualTo(1));
        }
    }

    [Test]
    public async Task Every_start_of_a_group_whose_COMMIT_is_cut_after_the_server_committed_it_is_answered_its_instance()
    {
        var (store, engine, process) = await EngineAsync(groupCommit: true);
        const int starts = 12;
        var arrivals = new CommitArrivals(starts);
        store.BeforeCommit = arrivals.OnCommit;
        // Every flusher's first write waits for all the starts to reach the commit, so those that come after pile up in a group.
        store.FailureInjection = _ => arrivals.All.WaitAsync(TimeSpan.FromSeconds(120));
        var cutBefore = _relay.CommitsCut;
        _relay.Cut(CommitCut.AfterTheServerAnswered, times: starts);

        var started = await Task.WhenAll(Enumerable.Range(0, starts).Select(i => Task.Run(() => engine.Runtime.StartOnceAsync(Start(process, $"group-{i}")))));
        _relay.Cut(CommitCut.AfterTheServerAnswered, times: 0);
        store.BeforeCommit = null;
        store.FailureInjection = null;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(store.LargestGroup, Is.GreaterThan(1), "several starts shared a cut COMMIT");
            Assert.That(_relay.CommitsCut - cutBefore, Is.LessThan(starts).And.GreaterThan(0));
            Assert.That(started.Select(s => s.Id).Distinct().Count(), Is.EqualTo(starts));
            Assert.That(await InstancesAsync(process), Is.EqualTo(starts));
        }
    }
}
