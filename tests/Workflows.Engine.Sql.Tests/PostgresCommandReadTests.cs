using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// On PostgreSQL every read is a round trip: a command on a task reads its task, its instance and the instance's open
/// clocks in one (the task and instance in one statement, so in one snapshot), then commits in one batch.
/// </summary>
[NonParallelizable]
public sealed class PostgresCommandReadTests : PostgresFixture
{
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
        // The engine reads clocks with an instance once it has loaded one that keeps clocks (a claim reads none): the first
        // completion reads them alone.
        var first = await engine.Runtime.StartAsync(new StartInstance("two-tasks"));
        var firstTask = (await engine.Tasks.GetOpenAsync(first)).Single().Id;
        await engine.Tasks.ClaimAsync(firstTask, "ann");
        var before = NpgsqlCommands.Count;
        await engine.Tasks.CompleteAsync(firstTask, actor: "ann");
        var firstCompletion = NpgsqlCommands.Count - before;
        var instance = await engine.Runtime.StartAsync(new StartInstance("two-tasks"));
        var register = (await engine.Tasks.GetOpenAsync(instance)).Single();

        before = NpgsqlCommands.Count;
        await engine.Tasks.ClaimAsync(register.Id, "ann");
        var claim = NpgsqlCommands.Count - before;

        before = NpgsqlCommands.Count;
        await engine.Tasks.CompleteAsync(register.Id, actor: "ann");
        var completion = NpgsqlCommands.Count - before;

        var open = await engine.Tasks.GetOpenAsync(instance);
        var clocks = await engine.ServiceLevels.GetClocksAsync(instance);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(firstCompletion, Is.GreaterThan(completion), "the first completion reads the clocks on their own");
            Assert.That(claim, Is.EqualTo(2), "the claim: one read (task and instance; no clock), one write (the commit's batch)");
            Assert.That(completion, Is.EqualTo(2), "the completion: one read, one write");
            Assert.That(open.Select(t => t.ElementId), Is.EqualTo(new[] { "resolve" }));
            Assert.That(clocks.Where(c => c.EndedAt is null).Select(c => c.ElementId), Is.EqualTo(new[] { "resolve" }), "the register task's clock was read with it, and ended");
            Assert.That(clocks.Single(c => c.ElementId == "register").EndedAt, Is.Not.Null);
        }
    }

    private static string Versioned(string label) => Process("pinned-start", $"""<bpmn:startEvent id="s"/><bpmn:userTask id="{label}"/>{Chain("s", label)}""");

    [Test]
    public async Task A_start_for_a_branch_reads_the_branch_and_the_version_it_runs_in_one_round_trip_and_follows_a_moved_pin_or_the_approvals()
    {
        WorkflowEngine Node() => new(new SqlWorkflowStore(new SqlStoreOptions { Provider = SqlProvider.PostgreSql, ConnectionString = Store.ConnectionString }),
            new WorkflowEngineOptions(), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var engine = Node();
        await engine.Deployments.DeployAsync(Versioned("v1"));
        await engine.Deployments.DeployAsync(Versioned("v2"));
        await engine.Rollouts.ApproveAsync("pinned-start", 1, "alice", "reviewed");
        await engine.Rollouts.ApproveAsync("pinned-start", 2, "alice", "reviewed");
        await engine.Branches.SaveAsync(new Branch("pin-reads", "Pinned") { Pins = new Dictionary<string, int> { ["pinned-start"] = 1 } });

        async Task<(long RoundTrips, int Version)> StartAsync()
        {
            var before = NpgsqlCommands.Count;
            var id = await engine.Runtime.StartAsync(new StartInstance("pinned-start") { Branch = "pin-reads" });
            var roundTrips = NpgsqlCommands.Count - before;
            return (roundTrips, (await engine.Queries.GetInstanceAsync(id)).Version);
        }

        _ = await StartAsync();
        var pinned = await StartAsync();
        // Another node moves the pin: the version read with the branch is no longer the one it pins.
        await Node().Branches.UpdateAsync("pin-reads", b => b with { Pins = new Dictionary<string, int> { ["pinned-start"] = 2 } });
        var moved = await StartAsync();
        var again = await StartAsync();
        await Node().Branches.UpdateAsync("pin-reads", b => b with { Pins = new Dictionary<string, int>() });
        var unpinned = await StartAsync();
        var following = await StartAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(pinned, Is.EqualTo((2L, 1)), "the branch with the version it pinned, then the commit");
            Assert.That(moved.Version, Is.EqualTo(2), "the pin the branch's row holds, not the version read with it");
            Assert.That(moved.RoundTrips, Is.GreaterThan(again.RoundTrips), "a version read that no longer holds is read again");
            Assert.That(again, Is.EqualTo((2L, 2)));
            Assert.That(unpinned.Version, Is.EqualTo(2), "a branch that pins nothing runs the newest approved version");
            Assert.That(following, Is.EqualTo((2L, 2)), "the branch with the version the approvals chose last and the approvals, then the commit");
        }
    }

    private static readonly string s_levels = TestDecisions.Levels("read-level");

    // A task, then a business rule task of the instance's branch, then a task.
    private static readonly string s_decided = Process("decided", """
        <bpmn:startEvent id="s"/>
        <bpmn:userTask id="register" name="Register"><bpmn:extensionElements><wf:userTask candidateGroups="desk"/></bpmn:extensionElements></bpmn:userTask>
        <bpmn:businessRuleTask id="decide"><bpmn:extensionElements><zeebe:calledDecision decisionId="read-level" resultVariable="level"/></bpmn:extensionElements></bpmn:businessRuleTask>
        <bpmn:userTask id="resolve" name="Resolve"><bpmn:extensionElements><wf:userTask candidateGroups="desk"/></bpmn:extensionElements></bpmn:userTask>
        <bpmn:endEvent id="e"/>
        """ + Chain("s", "register", "decide", "resolve", "e"), extensions: """<bpmn:extensionElements><wf:journey branch="=branch"/></bpmn:extensionElements>""");

    [Test]
    public async Task A_completion_through_a_business_rule_task_reads_the_branch_approvals_rollouts_and_version_in_one_round_trip()
    {
        var engine = new WorkflowEngine(new SqlWorkflowStore(new SqlStoreOptions { Provider = SqlProvider.PostgreSql, ConnectionString = Store.ConnectionString }),
            new WorkflowEngineOptions(), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        await engine.Deployments.DeployAsync([s_levels, s_decided]);
        await engine.Branches.SaveAsync(new Branch("read-branch", "Reads"));
        await engine.Decisions.ApproveAsync("read-level", 1, "alice", "reviewed");
        var round = new List<long>();
        var levels = new List<object?>();
        foreach (var amount in new[] { 500, 1500, 700 })
        {
            var instance = await engine.Runtime.StartAsync(new StartInstance("decided") { Variables = new Dictionary<string, object?> { ["amount"] = amount, ["branch"] = "read-branch" } });
            var register = (await engine.Tasks.GetOpenAsync(instance)).Single();
            var before = NpgsqlCommands.Count;
            await engine.Tasks.CompleteAsync(register.Id, actor: "ann");
            round.Add(NpgsqlCommands.Count - before);
            levels.Add((await engine.Queries.GetInstanceAsync(instance)).Variables["level"]);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(levels, Is.EqualTo(new object?[] { "agent", "manager", "agent" }));
            Assert.That(round[0], Is.EqualTo(5), "the first: the task, the branch with the approvals and rollouts, the version, its XML (its model not yet kept), the commit");
            Assert.That(round.Skip(1), Is.All.EqualTo(2), "then the choice kept: the stamp it is kept by read with the task, and the commit");
        }
    }

    [Test]
    public async Task A_commands_reads_reach_the_server_as_statements_of_positional_parameters_and_read_the_same_rows()
    {
        // Npgsql parses and rewrites a statement of named parameters (@id) on every run; one of $1, $2… it sends as it is.
        var engine = new WorkflowEngine(new SqlWorkflowStore(new SqlStoreOptions { Provider = SqlProvider.PostgreSql, ConnectionString = Store.ConnectionString }),
            new WorkflowEngineOptions(), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        await engine.Deployments.DeployAsync(s_twoTasks);
        var instance = await engine.Runtime.StartAsync(new StartInstance("two-tasks"));
        var register = (await engine.Tasks.GetOpenAsync(instance)).Single();

        var statements = new List<string>();
        using (var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                lock (statements)
                {
                    statements.AddRange(((activity.GetTagItem("db.query.text") ?? activity.GetTagItem("db.statement"))?.ToString() ?? "").Split("; "));
                }
            },
        })
        {
            System.Diagnostics.ActivitySource.AddActivityListener(listener);
            await engine.Tasks.ClaimAsync(register.Id, "ann");
            await engine.Tasks.CompleteAsync(register.Id, actor: "ann");
        }

        var reads = statements.Where(s => s.TrimStart().StartsWith("SELECT", StringComparison.OrdinalIgnoreCase)).ToList();
        var task = (await engine.Tasks.GetOpenAsync(instance)).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(reads, Has.Count.GreaterThanOrEqualTo(2), "the task with its instance, and its clocks");
            Assert.That(reads, Has.None.Match(@"@\w"), "no named parameter left for Npgsql to rewrite");
            Assert.That(reads, Has.Some.Contains("$1"));
            Assert.That(task.ElementId, Is.EqualTo("resolve"));
            Assert.That((await engine.ServiceLevels.GetClocksAsync(instance)).Single(c => c.ElementId == "register").EndedAt, Is.Not.Null, "the clock read with the task was ended");
        }
    }
}
