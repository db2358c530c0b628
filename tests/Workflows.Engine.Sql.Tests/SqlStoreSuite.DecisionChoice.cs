using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// A business rule task's choice of its decision's version (binding latest), kept by a node with the stamp every change
/// to what chooses it moves (migration 38): read once while nothing changes it, and chosen again after a change that
/// any node made, another node's too.
/// </summary>
public abstract partial class SqlStoreSuite
{
    // A decision deployed under a test's own id, sending an amount above `limit` to a manager.
    private static string ChoiceLevels(string decisionId, int limit) => TestDecisions.Levels(decisionId).Replace("1000", limit.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    private static string ChoiceCase(string processId, string decisionId) => Process(processId, $"""
        <bpmn:startEvent id="s"/>
        <bpmn:businessRuleTask id="decide"><bpmn:extensionElements><zeebe:calledDecision decisionId="{decisionId}" resultVariable="level"/></bpmn:extensionElements></bpmn:businessRuleTask>
        <bpmn:userTask id="review" name="Review"><bpmn:extensionElements><wf:userTask candidateGroups="choice-desk"/></bpmn:extensionElements></bpmn:userTask>
        {Chain("s", "decide", "review")}
        """, extensions: """<bpmn:extensionElements><wf:journey branch="=branch"/></bpmn:extensionElements>""");

    // The level a new case of the branch (null: none) decides for 1,500.
    private static async Task<object?> DecidesAsync(WorkflowEngine engine, string processId, string? branch)
    {
        var instance = await engine.Runtime.StartAsync(new StartInstance(processId) { Branch = branch, Variables = Vars(("amount", 1500)) });
        return (await engine.Queries.GetInstanceAsync(instance)).Variables["level"];
    }

    [Test]
    public async Task A_business_rule_task_reads_what_chooses_its_decision_s_version_once_while_nothing_changes_it()
    {
        var store = NewSqlStore();
        var engine = new WorkflowEngine(store, new WorkflowEngineOptions(), TimeProvider.System, NullLogger.Instance);
        await engine.Deployments.DeployAsync([ChoiceLevels("once-level", 1000), ChoiceCase("once-case", "once-level")]);
        await engine.Decisions.ApproveAsync("once-level", 1, "alice", "reviewed");
        await engine.Branches.SaveAsync(new Branch("once-paris", "Paris"));

        var reads = new List<int>();
        var levels = new List<object?>();
        foreach (var branch in new[] { "once-paris", "once-paris", null, "once-paris", null })
        {
            var before = store.DecisionChoiceReads;
            levels.Add(await DecidesAsync(engine, "once-case", branch));
            reads.Add(store.DecisionChoiceReads - before);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(levels, Is.All.EqualTo("manager"), "version 1, the standard, for the branch and for none");
            Assert.That(reads, Is.EqualTo(new[] { 1, 0, 1, 0, 0 }), "the rows read once per branch (and for none), then the stamp alone");
        }
    }

    [Test]
    public async Task A_business_rule_task_evaluates_what_another_node_changed_since_its_last_evaluation()
    {
        // Two nodes on one database: a runs the cases, b deploys, approves, pins and rolls out. Each change b commits
        // changes the version a's next case evaluates: a choice a kept from before would decide the old way.
        var a = new WorkflowEngine(NewSqlStore(), new WorkflowEngineOptions(), TimeProvider.System, NullLogger.Instance);
        var b = new WorkflowEngine(NewSqlStore(), new WorkflowEngineOptions(), TimeProvider.System, NullLogger.Instance);
        const string decision = "nodes-level", process = "nodes-case", paris = "nodes-paris";
        await a.Deployments.DeployAsync([ChoiceLevels(decision, 1000), ChoiceCase(process, decision)]);
        await a.Branches.SaveAsync(new Branch(paris, "Paris"));
        var decided = new List<object?> { await DecidesAsync(a, process, null) };     // none approved: the latest, version 1

        await b.Deployments.DeployAsync([ChoiceLevels(decision, 2000)]);
        decided.Add(await DecidesAsync(a, process, null));                            // the latest, version 2
        await b.Decisions.ApproveAsync(decision, 1, "alice", "reviewed");
        decided.Add(await DecidesAsync(a, process, null));                            // the standard: the first approved, version 1
        await b.Decisions.ApproveAsync(decision, 2, "alice", "reviewed");
        decided.Add(await DecidesAsync(a, process, paris));                           // a branch that pins nothing: the standard, version 1
        await b.Branches.SaveAsync(new Branch(paris, "Paris") { DecisionPins = new Dictionary<string, int> { [decision] = 2 } });
        decided.Add(await DecidesAsync(a, process, paris));                           // its pin, version 2
        decided.Add(await DecidesAsync(a, process, null));                            // still the standard, version 1
        var plan = await b.Rollouts.PlanAsync(new PlanRollout(decision, 2, [new RolloutWave("all", [paris])], "cora", "the new limit") { Subject = RolloutSubject.Decision });
        await b.Rollouts.AdvanceAsync(plan.Id, "cora", "all");
        decided.Add(await DecidesAsync(a, process, null));                            // the rollout completed: version 2 the standard

        Assert.That(decided, Is.EqualTo(new object?[] { "manager", "agent", "manager", "manager", "agent", "manager", "agent" }));
    }

    [Test]
    public async Task A_business_rule_task_reached_by_a_completion_evaluates_what_another_node_changed_since_the_task_was_created()
    {
        // The completion's business rule task compares the stamp the completion read with its task (PostgreSQL) or reads it
        // alone (SQLite): a case started before b's change and completed after it decides the new way.
        var a = new WorkflowEngine(NewSqlStore(), new WorkflowEngineOptions(), TimeProvider.System, NullLogger.Instance);
        var b = new WorkflowEngine(NewSqlStore(), new WorkflowEngineOptions(), TimeProvider.System, NullLogger.Instance);
        const string decision = "completed-level", process = "completed-case", paris = "completed-paris";
        await a.Deployments.DeployAsync([ChoiceLevels(decision, 1000), Process(process, $"""
            <bpmn:startEvent id="s"/>
            <bpmn:userTask id="intake" name="Intake"><bpmn:extensionElements><wf:userTask candidateGroups="completed-desk"/></bpmn:extensionElements></bpmn:userTask>
            <bpmn:businessRuleTask id="decide"><bpmn:extensionElements><zeebe:calledDecision decisionId="{decision}" resultVariable="level"/></bpmn:extensionElements></bpmn:businessRuleTask>
            <bpmn:userTask id="review" name="Review"><bpmn:extensionElements><wf:userTask candidateGroups="completed-desk"/></bpmn:extensionElements></bpmn:userTask>
            {Chain("s", "intake", "decide", "review")}
            """, extensions: """<bpmn:extensionElements><wf:journey branch="=branch"/></bpmn:extensionElements>""")]);
        await a.Decisions.ApproveAsync(decision, 1, "alice", "reviewed");
        await a.Branches.SaveAsync(new Branch(paris, "Paris"));

        async Task<Guid> StartAsync() => await a.Runtime.StartAsync(new StartInstance(process) { Branch = paris, Variables = Vars(("amount", 1500)) });
        async Task<object?> CompleteAsync(Guid instance)
        {
            await a.Tasks.CompleteAsync((await a.Tasks.GetOpenAsync(instance)).Single().Id, null, "agent");
            return (await a.Queries.GetInstanceAsync(instance)).Variables["level"];
        }

        var decided = new List<object?> { await CompleteAsync(await StartAsync()), await CompleteAsync(await StartAsync()) }; // version 1, then kept
        var waiting = await StartAsync();
        await b.Deployments.DeployAsync([ChoiceLevels(decision, 2000)]);
        await b.Decisions.ApproveAsync(decision, 2, "alice", "reviewed");
        await b.Branches.SaveAsync(new Branch(paris, "Paris") { DecisionPins = new Dictionary<string, int> { [decision] = 2 } });
        decided.Add(await CompleteAsync(waiting));                                    // the pin b saved after the case started: version 2
        decided.Add(await CompleteAsync(await StartAsync()));                         // and kept
        await b.Branches.SaveAsync(new Branch(paris, "Paris") { DecisionPins = new Dictionary<string, int> { [decision] = 1 } });
        decided.Add(await CompleteAsync(await StartAsync()));                         // pinned back: version 1

        Assert.That(decided, Is.EqualTo(new object?[] { "manager", "manager", "agent", "agent", "manager" }));
    }

    [Test]
    public async Task Migration_38_gives_a_database_with_decisions_the_stamp_its_choices_are_kept_by()
    {
        var engine = new WorkflowEngine(NewSqlStore(), new WorkflowEngineOptions(), TimeProvider.System, NullLogger.Instance);
        await engine.Deployments.DeployAsync([ChoiceLevels("stamp-level", 1000), ChoiceCase("stamp-case", "stamp-level")]);
        var before = await DecidesAsync(engine, "stamp-case", null);
        await using var connection = await NewSqlStore().OpenAsync(default);
        await connection.ExecuteAsync("DROP TABLE wf_decision_choice_stamp");
        await connection.ExecuteAsync("DELETE FROM wf_schema_version WHERE version = 38");

        var applied = await SqlWorkflowEngine.MigrateAsync(Store);
        var migrated = new WorkflowEngine(NewSqlStore(), new WorkflowEngineOptions(), TimeProvider.System, NullLogger.Instance);
        var after = await DecidesAsync(migrated, "stamp-case", null);
        await migrated.Deployments.DeployAsync([ChoiceLevels("stamp-level", 2000)]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(applied, Is.EqualTo(1));
            Assert.That((before, after), Is.EqualTo(((object?)"manager", (object?)"manager")));
            Assert.That(await connection.ExecuteScalarAsync<long>("SELECT stamp FROM wf_decision_choice_stamp WHERE id = 1"), Is.EqualTo(1), "the deployment moved it");
            Assert.That(await DecidesAsync(migrated, "stamp-case", null), Is.EqualTo("agent"), "version 2, deployed after the choice was kept");
        }
    }
}
