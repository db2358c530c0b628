using Microsoft.Extensions.Time.Testing;
using Workflows.Engine.Feel;
using Workflows.Engine.Storage;
using Workflows.Engine.Testing;
using Workflows.Engine.Validation;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Decisions;

/// <summary>
/// Decisions kept in order after they were deployed: a refused deploy named by what it refused, pins checked again
/// against what is stored now, and the evaluations recorded through the API deleted after their retention.
/// </summary>
public sealed class DecisionUpkeepTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    // The approval level by amount, its threshold written with nested brackets (FEEL depth 5).
    private static string Deep(int limit) => BusinessRuleTaskTests.Level(limit).Replace($"&lt;= {limit}", $"&lt;= (((({limit}))))", StringComparison.Ordinal);

    private static string Broken(int limit) => BusinessRuleTaskTests.Level(limit).Replace($"&lt;= {limit}", "&lt;= (", StringComparison.Ordinal);

    [Test]
    public void A_refused_deploy_names_the_kind_of_document_it_refused()
    {
        var h = new ProcessTestHarness();
        var dmn = Assert.ThrowsAsync<DeploymentRejectedException>(() => h.DeployAsync(Broken(1000)));
        var bpmn = Assert.ThrowsAsync<DeploymentRejectedException>(() => h.DeployAsync(Process("bare", """<bpmn:startEvent id="s"/><bpmn:businessRuleTask id="decide"/>""" + Chain("s", "decide"))));
        var both = Assert.ThrowsAsync<DeploymentRejectedException>(() => h.Engine.Deployments.DeployAsync([Process("fine", """<bpmn:startEvent id="s"/>"""), Broken(1000)]));
        var twoDmn = Assert.ThrowsAsync<DeploymentRejectedException>(() => h.Engine.Deployments.DeployAsync([Broken(1000), BusinessRuleTaskTests.Level(5).Replace("\"level\"", "\"other\"", StringComparison.Ordinal)]));
        var malformed = Assert.ThrowsAsync<DeploymentRejectedException>(() => h.DeployAsync("<definitions"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(dmn!.Title, Is.EqualTo("The DMN document has errors"));
            Assert.That(dmn.Message, Does.StartWith("The DMN document has errors:"));
            Assert.That(bpmn!.Title, Is.EqualTo("The BPMN document has errors"));
            Assert.That(both!.Title, Is.EqualTo("The deployment's documents have errors"));
            Assert.That(twoDmn!.Title, Is.EqualTo("The DMN documents have errors"));
            Assert.That(malformed!.Title, Is.EqualTo("The document has errors"), "a document that is not XML cannot be told");
        }
    }

    [Test]
    public async Task A_pin_on_a_version_todays_checks_refuse_or_on_a_decision_no_longer_deployed_is_reported_by_branch_and_not_set_again()
    {
        var store = new InMemoryWorkflowStore();
        var before = new WorkflowEngine(store, new WorkflowEngineOptions(), new FakeTimeProvider(Start), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        await before.Deployments.DeployAsync(Deep(1000), "alice");
        await before.Deployments.DeployAsync(BusinessRuleTaskTests.Level(2000), "alice");
        await before.Decisions.ApproveAsync("level", 1, "ines", "the standard");
        await before.Decisions.ApproveAsync("level", 2, "ines", "the next one");
        await before.Branches.SaveAsync(new Branch("paris-01", "Paris"));
        await before.Branches.SaveAsync(new Branch("lyon-01", "Lyon"));
        await before.Decisions.PinAsync("paris-01", "level", 1);
        var allFine = await before.Decisions.CheckPinsAsync();

        // A restore that lost a decision: the branch's row still pins it.
        var gone = new Branch("nice-01", "Nice") { DecisionPins = new Dictionary<string, int> { ["vanished"] = 3 } };
        var changes = new ChangeSet();
        changes.Branches.Add((gone.Id, Workflows.Engine.Runtime.Pins.Write(gone), 1, null));
        await store.CommitAsync(changes, default);

        // The same store under a stricter FEEL depth: version 1's threshold nests deeper than it allows.
        var options = new WorkflowEngineOptions { Parser = new BpmnParserOptions { Feel = new FeelLimits { MaxDepth = 3 } } };
        var after = new WorkflowEngine(store, options, new FakeTimeProvider(Start), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var problems = await after.Decisions.CheckPinsAsync();
        var ofParis = await after.Decisions.CheckPinsAsync("paris-01");
        var again = Assert.ThrowsAsync<WorkflowConflictException>(() => after.Decisions.PinAsync("lyon-01", "level", 1));
        await after.Decisions.PinAsync("paris-01", "level", 2);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(allFine, Is.Empty);
            Assert.That(problems.Select(p => (p.BranchId, p.DecisionId, p.Version)), Is.EqualTo(new[] { ("nice-01", "vanished", 3), ("paris-01", "level", 1) }));
            Assert.That(problems[0].Problem, Is.EqualTo("branch 'nice-01' pins decision 'vanished' version 3, but no version of decision 'vanished' is deployed: its evaluations fail until the pin is removed"));
            Assert.That(problems[1].Problem, Does.StartWith("branch 'paris-01' pins decision 'level' version 1, whose stored model no longer passes today's checks (DMN_FEEL_SYNTAX")
                .And.Contain("FeelLimits.MaxDepth"));
            Assert.That(ofParis, Has.Count.EqualTo(1));
            Assert.That(again!.Message, Does.StartWith("cannot pin version 1 of decision 'level' for branch 'lyon-01'").And.Contain("DMN_FEEL_SYNTAX"));
            Assert.That(await after.Decisions.CheckPinsAsync("paris-01"), Is.Empty, "moved to a version that passes");
        }
    }

    [Test]
    public async Task A_pin_on_a_version_no_longer_deployed_or_never_approved_is_reported_naming_the_latest()
    {
        var store = new InMemoryWorkflowStore();
        var engine = new WorkflowEngine(store, new WorkflowEngineOptions(), new FakeTimeProvider(Start), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        await engine.Deployments.DeployAsync(BusinessRuleTaskTests.Level(1000), "alice");
        await engine.Deployments.DeployAsync(BusinessRuleTaskTests.Level(2000), "alice");
        // Rows as an older release left them: pins set before the approval gate, one on a version since lost.
        var changes = new ChangeSet();
        foreach (var branch in new[] { new Branch("paris-01", "Paris") { DecisionPins = new Dictionary<string, int> { ["level"] = 2 } }, new Branch("lyon-01", "Lyon") { DecisionPins = new Dictionary<string, int> { ["level"] = 7 } } })
        {
            changes.Branches.Add((branch.Id, Workflows.Engine.Runtime.Pins.Write(branch), 1, null));
        }

        await store.CommitAsync(changes, default);
        var problems = await engine.Decisions.CheckPinsAsync();

        Assert.That(problems.Select(p => p.Problem), Is.EqualTo(new[]
        {
            "branch 'lyon-01' pins decision 'level' version 7, which is not deployed (the latest is version 2): its evaluations fail until the pin is moved or removed",
            "branch 'paris-01' pins decision 'level' version 2, which is not approved (deployed by alice): a branch runs only an approved version",
        }));
    }

    [Test]
    public async Task The_worker_deletes_evaluations_past_their_retention_and_follows_the_history_retention_when_none_is_set()
    {
        foreach (var (own, history) in new (TimeSpan?, TimeSpan?)[] { (TimeSpan.FromDays(30), null), (null, TimeSpan.FromDays(30)) })
        {
            var h = await ProcessTestHarness.CreateAsync((o, clock) => Task.FromResult(new WorkflowEngine(o, clock)), Start, o =>
            {
                o.Worker.DecisionEvaluationRetention = own;
                o.Worker.HistoryRetention = history;
            });
            await h.DeployAsync(BusinessRuleTaskTests.Level(1000));
            await h.Engine.Decisions.EvaluateAsync(new EvaluateDecision("level") { Variables = Vars(("amount", 1)), Actor = "old" });
            await h.AdvanceTimeAsync(TimeSpan.FromDays(40));
            await h.Engine.Decisions.EvaluateAsync(new EvaluateDecision("level") { Variables = Vars(("amount", 2)), Actor = "recent" });

            using var stop = new CancellationTokenSource();
            var worker = h.Engine.Worker.RunAsync(stop.Token);
            var waited = System.Diagnostics.Stopwatch.StartNew();
            IReadOnlyList<DecisionEvaluationInfo> left;
            do
            {
                await Task.Delay(20);
                left = await h.Engine.Decisions.GetEvaluationsAsync("level");
            }
            while (left.Count > 1 && waited.Elapsed < TimeSpan.FromSeconds(20));

            await stop.CancelAsync();
            await worker;
            Assert.That(left.Select(e => e.Actor), Is.EqualTo(new[] { "recent" }), own is null ? "HistoryRetention alone" : "DecisionEvaluationRetention");
        }
    }

    [Test]
    public void A_retention_that_is_not_positive_is_refused_naming_the_setting()
    {
        var options = new WorkflowEngineOptions();
        options.Worker.DecisionEvaluationRetention = TimeSpan.Zero;

        Assert.That(options.Worker.Check(), Has.One.Contains("Worker.DecisionEvaluationRetention must be positive when set"));
    }

    [Test]
    public async Task A_version_tag_binding_runs_for_a_branch_only_an_approved_version_carrying_the_tag()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(BusinessRuleTaskTests.Level(1000, tag: "q4"));
        await h.Engine.Decisions.ApproveAsync("level", 1, "ines", "the q4 limit");
        await h.DeployAsync(BusinessRuleTaskTests.Level(1_000_000, tag: "q4")); // version 2, same tag, approved by no one
        await h.DeployAsync(Process("tagged", $"""
            <bpmn:startEvent id="s"/>
            <bpmn:businessRuleTask id="decide"><bpmn:extensionElements><zeebe:calledDecision decisionId="level" resultVariable="level" bindingType="versionTag" versionTag="q4"/></bpmn:extensionElements></bpmn:businessRuleTask>
            {UserTask("review")}{Chain("s", "decide", "review")}
            """, extensions: """<bpmn:extensionElements><wf:journey branch="=branch"/></bpmn:extensionElements>"""));
        await h.Engine.Branches.SaveAsync(new Branch("paris-01", "Paris"));

        var paris = await h.StartAsync("tagged", Vars(("amount", 5000), ("branch", "paris-01")));
        var noBranch = await h.StartAsync("tagged", Vars(("amount", 5000)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await paris.VariableAsync("level"), Is.EqualTo("manager"), "version 1, the approved one with the tag (limit 1,000)");
            Assert.That(await noBranch.VariableAsync("level"), Is.EqualTo("agent"), "without a branch, the latest with the tag, as Camunda 8");
        }
    }

    [Test]
    public async Task A_stored_version_that_no_longer_reads_is_a_conflict_naming_it_on_evaluate_and_compare()
    {
        var store = new InMemoryWorkflowStore();
        var engine = new WorkflowEngine(store, new WorkflowEngineOptions(), new FakeTimeProvider(Start), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        await engine.Deployments.DeployAsync(BusinessRuleTaskTests.Level(1000), "alice");
        // A row damaged in the store (a restore, a hand edit): version 2 of the decision is no DMN.
        var changes = new ChangeSet();
        changes.PartToFill<DecisionChanges>().Definitions.Add(new DecisionRecord(Guid.NewGuid(), "level", "Approval level", 2, null, "x", "<definitions>broken", Guid.NewGuid(), Start, "alice"));
        await store.CommitAsync(changes, default);

        var evaluated = Assert.ThrowsAsync<WorkflowConflictException>(() => engine.Decisions.EvaluateAsync(new EvaluateDecision("level") { Version = 2 }));
        var compared = Assert.ThrowsAsync<WorkflowConflictException>(() => engine.Decisions.CompareAsync("level", 1, 2));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(evaluated!.Message, Does.StartWith("decision 'level' version 2 is stored but is no DMN any more:"));
            Assert.That(compared!.Message, Does.StartWith("decision 'level' version 2 is stored but is no DMN any more"));
        }
    }
}
