using Dapper;
using Npgsql;
using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// On PostgreSQL every read is a round trip: a command on a task reads its task, its instance and the instance's open
/// clocks in one (the task and instance in one statement, so in one snapshot), then commits in one batch.
/// </summary>
[NonParallelizable]
public sealed class PostgresCommandReadTests
{
    private readonly string _database = "wf_test_" + Guid.NewGuid().ToString("N")[..12];

    private static string Server => Environment.GetEnvironmentVariable("WORKFLOWS_TEST_POSTGRES")
        ?? throw new InvalidOperationException("WORKFLOWS_TEST_POSTGRES is not set: run ./scripts/test.sh, which provisions PostgreSQL and sets it");

    private SqlStoreOptions Store => new() { Provider = SqlProvider.PostgreSql, ConnectionString = new NpgsqlConnectionStringBuilder(Server) { Database = _database }.ConnectionString };

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        await using (var connection = new NpgsqlConnection(Server))
        {
            await connection.ExecuteAsync($"CREATE DATABASE {_database}");
        }

        await SqlWorkflowEngine.MigrateAsync(Store);
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(Server);
        await connection.ExecuteAsync($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
    }

    // Two tasks in a row, each under a service-level clock: the commands on the first read its clocks with it.
    private static readonly string s_twoTasks = Process("two-tasks", """
        <bpmn:startEvent id="s"/>
        <bpmn:userTask id="register" name="Register"><bpmn:extensionElements><wf:userTask candidateGroups="desk"/><wf:sla target="PT4H"/></bpmn:extensionElements></bpmn:userTask>
        <bpmn:userTask id="resolve" name="Resolve"><bpmn:extensionElements><wf:userTask candidateGroups="desk"/><wf:sla target="PT8H"/></bpmn:extensionElements></bpmn:userTask>
        <bpmn:endEvent id="e"/>
        """ + Chain("s", "register", "resolve", "e"));

    [TestCase(true)]
    [TestCase(false)]
    public async Task A_claim_and_a_completion_each_read_their_task_instance_and_clocks_in_one_round_trip_then_commit_in_one(bool groupCommit)
    {
        var engine = new WorkflowEngine(new SqlWorkflowStore(new SqlStoreOptions { Provider = SqlProvider.PostgreSql, ConnectionString = Store.ConnectionString, GroupCommit = groupCommit }), new WorkflowEngineOptions(), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        await engine.Deployments.DeployAsync(s_twoTasks);
        var instance = await engine.Runtime.StartAsync(new StartInstance("two-tasks"));
        var register = (await engine.Tasks.GetOpenAsync(instance)).Single();

        var before = NpgsqlCommands.Count;
        await engine.Tasks.ClaimAsync(register.Id, "ann");
        var claim = NpgsqlCommands.Count - before;

        before = NpgsqlCommands.Count;
        await engine.Tasks.CompleteAsync(register.Id, actor: "ann");
        var completion = NpgsqlCommands.Count - before;

        var open = await engine.Tasks.GetOpenAsync(instance);
        var clocks = await engine.ServiceLevels.GetClocksAsync(instance);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(claim, Is.EqualTo(2), "the claim: one read (task, instance, clocks), one write (the commit's batch)");
            Assert.That(completion, Is.EqualTo(2), "the completion: one read, one write");
            Assert.That(open.Select(t => t.ElementId), Is.EqualTo(new[] { "resolve" }));
            Assert.That(clocks.Where(c => c.EndedAt is null).Select(c => c.ElementId), Is.EqualTo(new[] { "resolve" }), "the register task's clock was read with it, and ended");
            Assert.That(clocks.Single(c => c.ElementId == "register").EndedAt, Is.Not.Null);
        }
    }
}
