using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// An agent's loop, counted in round trips to PostgreSQL: next-task reads its queue's page as ids, then claims as a
/// claim by id does (no read of the task row first); a completion checked by its caller on the command's own read of
/// the task costs what an unchecked one does.
/// </summary>
[NonParallelizable]
public sealed class PostgresAgentLoopTests
{
    private readonly string _database = "wf_test_" + Guid.NewGuid().ToString("N")[..12];
    private WorkflowEngine _engine = null!;
    private SqlWorkflowStore _store = null!;

    private static string Server => Environment.GetEnvironmentVariable("WORKFLOWS_TEST_POSTGRES")
        ?? throw new InvalidOperationException("WORKFLOWS_TEST_POSTGRES is not set: run ./scripts/test.sh, which provisions PostgreSQL and sets it");

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        await using (var connection = new NpgsqlConnection(Server))
        {
            await connection.ExecuteAsync($"CREATE DATABASE {_database}");
        }

        var options = new SqlStoreOptions { Provider = SqlProvider.PostgreSql, ConnectionString = new NpgsqlConnectionStringBuilder(Server) { Database = _database }.ConnectionString };
        await SqlWorkflowEngine.MigrateAsync(options);
        _store = new SqlWorkflowStore(SqlDialect.For(SqlProvider.PostgreSql), options.ConnectionString);
        _engine = new WorkflowEngine(_store, new WorkflowEngineOptions(), TimeProvider.System, NullLogger.Instance);
        // A queue per test, so that neither finds the other's tasks.
        foreach (var queue in new[] { "next", "complete", "held" })
        {
            await _engine.Deployments.DeployAsync(Process(queue, $"""
                <bpmn:startEvent id="start"/>
                {UserTask("first", $"""<bpmn:extensionElements><wf:userTask candidateGroups="{queue}-queue"/></bpmn:extensionElements>""")}
                {UserTask("second", $"""<bpmn:extensionElements><wf:userTask candidateGroups="{queue}-queue"/></bpmn:extensionElements>""")}
                <bpmn:endEvent id="end"/>
                {Chain("start", "first", "second", "end")}
                """));
        }

        // The same with a business rule task between the two tasks.
        await _engine.Deployments.DeployAsync([TestDecisions.Levels("loop-level"), Process("decide", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:userTask id="first"><bpmn:extensionElements><wf:userTask candidateGroups="decide-queue"/></bpmn:extensionElements></bpmn:userTask>
            <bpmn:businessRuleTask id="level"><bpmn:extensionElements><zeebe:calledDecision decisionId="loop-level" resultVariable="level"/></bpmn:extensionElements></bpmn:businessRuleTask>
            <bpmn:userTask id="second"><bpmn:extensionElements><wf:userTask candidateGroups="decide-queue"/></bpmn:extensionElements></bpmn:userTask>
            <bpmn:endEvent id="end"/>
            {Chain("start", "first", "level", "second", "end")}
            """)]);
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(Server);
        await connection.ExecuteAsync($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
    }

    private async Task<Guid> OpenTaskAsync(string queue)
    {
        var instance = await _engine.Runtime.StartAsync(new StartInstance(queue) { Variables = Vars(("amount", 500)) });
        return (await _engine.Tasks.GetOpenAsync(instance)).Single().Id;
    }

    private static async Task<long> RoundTripsAsync(Func<Task> work)
    {
        var before = NpgsqlCommands.Count;
        await work();
        return NpgsqlCommands.Count - before;
    }

    [Test]
    public async Task Next_task_costs_one_round_trip_more_than_a_claim_by_id_its_queue_s_page()
    {
        // Warm: the pool's connections, the definition in the engine's cache, the statements prepared.
        await _engine.Tasks.ClaimAsync(await OpenTaskAsync("next"), "warm");
        await OpenTaskAsync("next");
        Assert.That(await _engine.Tasks.ClaimNextAsync("warm", ["next-queue"]), Is.Not.Null);

        var byId = await OpenTaskAsync("next");
        var claim = await RoundTripsAsync(() => _engine.Tasks.ClaimAsync(byId, "agent-1"));
        var next = await OpenTaskAsync("next");
        UserTaskInfo? claimed = null;
        var nextTask = await RoundTripsAsync(async () => claimed = await _engine.Tasks.ClaimNextAsync("agent-1", ["next-queue"]));

        TestContext.Out.WriteLine($"round trips: a claim by id {claim}, next-task {nextTask}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(claimed?.Id, Is.EqualTo(next));
            Assert.That(claimed?.Assignee, Is.EqualTo("agent-1"));
            Assert.That(nextTask, Is.EqualTo(claim + 1), $"a claim by id took {claim} round trips, next-task {nextTask}");
        }
    }

    [Test]
    public async Task Next_task_s_look_for_a_task_its_agent_holds_is_read_in_the_round_trip_of_the_queue_s_page()
    {
        // Warm, as above: the held tasks' statement and the page's prepared.
        await OpenTaskAsync("held");
        Assert.That(await _engine.Tasks.NextAsync("warm-held", ["held-queue"]), Is.Not.Null);

        var first = await OpenTaskAsync("held");
        var claimNext = await RoundTripsAsync(() => _engine.Tasks.ClaimNextAsync("agent-3", ["held-queue"]));
        var second = await OpenTaskAsync("held");
        UserTaskInfo? claimed = null;
        var next = await RoundTripsAsync(async () => claimed = await _engine.Tasks.NextAsync("agent-4", ["held-queue"]));
        var handedBack = await _engine.Tasks.NextAsync("agent-3", ["held-queue"]);

        TestContext.Out.WriteLine($"round trips: a claim of the next task {claimNext}, next-task looking for a held one first {next}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(claimed?.Id, Is.EqualTo(second), "agent-4 holds none: the queue's next task");
            Assert.That(handedBack?.Id, Is.EqualTo(first), "agent-3 holds the first: handed back");
            Assert.That(next, Is.EqualTo(claimNext), $"a claim of the next task took {claimNext} round trips, next-task {next}");
        }
    }

    [Test]
    public async Task A_completion_checked_on_the_command_s_read_of_the_task_costs_what_an_unchecked_one_does()
    {
        var warm = await OpenTaskAsync("complete");
        await _engine.Tasks.CompleteAsync(warm, null, "agent-2");
        var plain = await OpenTaskAsync("complete");
        var checkedTask = await OpenTaskAsync("complete");

        var plainTrips = await RoundTripsAsync(() => _engine.Tasks.CompleteAsync(plain, null, "agent-2"));
        UserTaskInfo? seen = null;
        var withCheck = await RoundTripsAsync(() => _engine.Tasks.CompleteCheckedAsync(checkedTask, task =>
        {
            seen = task;
            return null;
        }, "agent-2"));

        TestContext.Out.WriteLine($"round trips: a completion {plainTrips}, a checked completion {withCheck}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(seen?.Id, Is.EqualTo(checkedTask));
            Assert.That(withCheck, Is.EqualTo(plainTrips), $"unchecked {plainTrips} round trips, checked {withCheck}");
        }
    }

    [Test]
    public async Task A_completion_that_reaches_a_business_rule_task_reads_the_decision_s_stamp_with_its_task()
    {
        // Warm: both completions' statements prepared, and the decision's choice kept by the store.
        await _engine.Tasks.CompleteAsync(await OpenTaskAsync("complete"), null, "agent-5");
        await _engine.Tasks.CompleteAsync(await OpenTaskAsync("decide"), null, "agent-5");
        var plain = await OpenTaskAsync("complete");
        var deciding = await OpenTaskAsync("decide");
        var stampReads = _store.DecisionStampReads;
        var choiceReads = _store.DecisionChoiceReads;

        var plainTrips = await RoundTripsAsync(() => _engine.Tasks.CompleteAsync(plain, null, "agent-5"));
        var decidingTrips = await RoundTripsAsync(() => _engine.Tasks.CompleteAsync(deciding, null, "agent-5"));
        var instance = (await _engine.Tasks.GetAsync(deciding)).InstanceId;

        TestContext.Out.WriteLine($"round trips: a completion {plainTrips}, a completion reaching a business rule task {decidingTrips}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That((await _engine.Queries.GetInstanceAsync(instance)).Variables["level"], Is.EqualTo("agent"));
            Assert.That(decidingTrips, Is.EqualTo(plainTrips), $"a completion {plainTrips} round trips, one reaching a business rule task {decidingTrips}");
            Assert.That(_store.DecisionStampReads - stampReads, Is.Zero, "no read of the stamp alone");
            Assert.That(_store.DecisionChoiceReads - choiceReads, Is.Zero, "the kept choice used");
        }
    }
}
