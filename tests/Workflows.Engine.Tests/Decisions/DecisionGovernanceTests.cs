using System.Text.Json;
using Workflows.Engine.Validation;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;
using static Workflows.Engine.Tests.Decisions.BusinessRuleTaskTests;

namespace Workflows.Engine.Tests.Decisions;

/// <summary>
/// What governs the decision a branch's cases run (review10-18): a decision nobody approved runs in no branch (F1); what
/// a branch is told it decides with is what each calling task's binding decides with (F2); DMN ids that could not be
/// stored or reached are findings (F3, F4); a DMN document with a DTD is refused as DMN (F11); a history row cut for
/// size still names its decision (F12); an advance names its wave (F8); an evaluation's variables are bounded (F10).
/// </summary>
public sealed class DecisionGovernanceTests
{
    private const string Ns = "https://www.omg.org/spec/DMN/20191111/MODEL/";

    private static string Claim(string binding = "") => Process("claim", $"""
        <bpmn:startEvent id="s"/>
        <bpmn:businessRuleTask id="decide" name="Level"><bpmn:extensionElements><zeebe:calledDecision decisionId="level" resultVariable="level" {binding}/></bpmn:extensionElements></bpmn:businessRuleTask>
        {UserTask("review")}
        {Chain("s", "decide", "review")}
        """, extensions: """<bpmn:extensionElements><wf:journey branch="=branch"/></bpmn:extensionElements>""");

    private static async Task<ProcessTestHarness> WithBranchAsync()
    {
        var h = new ProcessTestHarness();
        await h.Engine.Branches.SaveAsync(new Branch("paris-01", "Paris"));
        return h;
    }

    private static Task<Guid> StartAsync(ProcessTestHarness h, string? branch, decimal amount) =>
        h.Engine.Runtime.StartAsync(new StartInstance("claim") { Branch = branch, Variables = Vars(("amount", amount)) });

    [Test]
    public async Task A_decision_never_approved_runs_in_no_branch_an_incident_names_it_and_once_approved_a_later_deployment_alone_changes_nothing()
    {
        var h = await WithBranchAsync();
        await h.DeployAsync(Level(1000));
        await h.DeployAsync(Claim());

        var refusedCase = h.Instance(await StartAsync(h, "paris-01", 1500));
        var incident = (await refusedCase.IncidentsAsync()).Single();
        var refusedEvaluation = Assert.ThrowsAsync<WorkflowConflictException>(() => h.Engine.Decisions.EvaluateAsync(new EvaluateDecision("level") { Branch = "paris-01", Variables = Vars(("amount", 1500)) }));
        var noBranch = h.Instance(await StartAsync(h, null, 1500));

        await h.ApproveDecisionAsync("level", 1);
        await refusedCase.ResolveIncidentAsync("decide");
        await h.DeployAsync(Level(2000)); // one analyst alone: deployed, not approved
        var afterDeploy = h.Instance(await StartAsync(h, "paris-01", 1500));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(incident.ElementId, Is.EqualTo("decide"));
            Assert.That(incident.Message, Does.Contain("decision 'level' has no approved version").And.Contain("branch 'paris-01'").And.Contain("version 1 is deployed (by test)"));
            Assert.That(refusedEvaluation!.Message, Does.Contain("decision 'level' has no approved version"));
            Assert.That(await noBranch.VariableAsync("level"), Is.EqualTo("manager"), "a case of no branch runs the latest, as a journey's start without a branch does");
            Assert.That(await refusedCase.VariableAsync("level"), Is.EqualTo("manager"), "approved, the retry decides with version 1");
            Assert.That(await afterDeploy.VariableAsync("level"), Is.EqualTo("manager"), "version 2 (limit 2,000) is only deployed: the branch stays on version 1");
        }
    }

    [Test]
    public async Task The_callers_and_an_evaluation_for_a_branch_say_which_version_a_task_bound_by_deployment_decides_with_not_the_pin()
    {
        var h = await WithBranchAsync();
        await h.Engine.Deployments.DeployAsync([Level(1000), Claim("""bindingType="deployment" """)]);
        await h.DeployAsync(Level(2000));
        await h.ApproveAsync("claim", 1);
        await h.ApproveDecisionAsync("level", 1);
        await h.ApproveDecisionAsync("level", 2);
        await h.Engine.Decisions.PinAsync("paris-01", "level", 2);

        var callers = await h.Engine.Decisions.GetCallersAsync("paris-01");
        var asPinned = await h.Engine.Decisions.EvaluateAsync(new EvaluateDecision("level") { Branch = "paris-01", Variables = Vars(("amount", 1500)) });
        var asJourney = await h.Engine.Decisions.EvaluateAsync(new EvaluateDecision("level") { Branch = "paris-01", Journey = "claim", Variables = Vars(("amount", 1500)) });
        var inCase = h.Instance(await StartAsync(h, "paris-01", 1500));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(callers.Select(c => (c.Journey, c.ElementId, c.Binding, c.Version)), Is.EqualTo(new[] { ("claim", "decide", "deployment", (int?)1) }));
            Assert.That((asPinned.Version, asPinned.Value), Is.EqualTo((2, (object?)"agent")));
            Assert.That(asPinned.Journeys, Is.Empty, "the pinned version does not stand for claim's cases");
            Assert.That(asPinned.Callers.Single().Version, Is.EqualTo(1));
            Assert.That((asJourney.Version, asJourney.Value, asJourney.Journeys), Is.EqualTo((1, (object?)"manager", new[] { "claim" })), "named, claim's cases decide with version 1");
            Assert.That(await inCase.VariableAsync("level"), Is.EqualTo("manager"), "and so does its case");
        }
    }

    [Test]
    public void A_DMN_id_too_long_for_the_store_or_that_is_no_XML_id_is_a_finding_and_a_DTD_is_refused_as_DMN()
    {
        var h = new ProcessTestHarness();
        var longId = new string('a', 5000);
        var tooLong = Assert.ThrowsAsync<DeploymentRejectedException>(() => h.DeployAsync(Level(1000).Replace("id=\"level\"", $"id=\"{longId}\"", StringComparison.Ordinal)));
        var slash = Assert.ThrowsAsync<DeploymentRejectedException>(() => h.DeployAsync(Level(1000).Replace("id=\"level\"", "id=\"r18/slash\"", StringComparison.Ordinal)));
        var space = Assert.ThrowsAsync<DeploymentRejectedException>(() => h.DeployAsync(Level(1000).Replace("id=\"level\"", "id=\"r18 space\"", StringComparison.Ordinal)));
        var dtd = Assert.ThrowsAsync<DeploymentRejectedException>(() => h.DeployAsync("<!DOCTYPE d [<!ENTITY x \"y\">]>\n" + Level(1000)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(tooLong!.Report.Errors.Select(f => f.Code), Is.EqualTo(new[] { "DMN_ID_TOO_LONG" }));
            Assert.That(tooLong.Report.Errors.First().Message, Does.Contain("5,000 characters").And.Contain("the limit is 200 (BpmnParserOptions.MaxIdLength)"));
            Assert.That(tooLong.Report.Errors.First().ElementId!.Length, Is.LessThan(50), "the id is not echoed whole");
            Assert.That(slash!.Report.Errors.Select(f => (f.Code, f.ElementId)), Is.EqualTo(new[] { ("DMN_ID_INVALID", (string?)"r18/slash") }));
            Assert.That(space!.Report.Errors.Select(f => f.Code), Is.EqualTo(new[] { "DMN_ID_INVALID" }));
            Assert.That(dtd!.Title, Is.EqualTo("The DMN document has errors"));
            Assert.That(dtd.Report.Errors.Single().Message, Does.Contain("not allowed in DMN documents"));
        }
    }

    [Test]
    public async Task A_history_row_cut_for_size_keeps_the_decision_its_name_and_version()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync($$"""
            <definitions xmlns="{{Ns}}" id="big" name="Big" namespace="urn:test">
              <decision id="level" name="Long list"><literalExpression><text>for i in 1..3000 return "abcdefghij"</text></literalExpression></decision>
            </definitions>
            """);
        await h.DeployAsync(Claim());
        var instance = h.Instance(await StartAsync(h, null, 1));
        var row = (await instance.HistoryAsync()).Single(e => e.Kind == "decision-evaluated");
        using var detail = JsonDocument.Parse(row.Detail!);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(row.Detail!, Has.Length.LessThanOrEqualTo(16_000), "the cut text is measured as written, escapes included");
            Assert.That(detail.RootElement.GetProperty("cut").GetBoolean(), Is.True);
            Assert.That(detail.RootElement.GetProperty("decisionId").GetString(), Is.EqualTo("level"));
            Assert.That(detail.RootElement.GetProperty("name").GetString(), Is.EqualTo("Long list"));
            Assert.That(detail.RootElement.GetProperty("version").GetInt32(), Is.EqualTo(1));
        }
    }

    [Test]
    public async Task An_advance_naming_a_wave_pinned_already_is_refused_and_pins_nothing_more()
    {
        var h = await WithBranchAsync();
        await h.Engine.Branches.SaveAsync(new Branch("lyon-01", "Lyon"));
        await h.DeployAsync(Level(1000));
        await h.DeployAsync(Level(2000));
        await h.ApproveDecisionAsync("level", 1);
        await h.ApproveDecisionAsync("level", 2);
        var plan = await h.Engine.Rollouts.PlanAsync(new PlanRollout("level", 2, [new RolloutWave("pilot", ["paris-01"]), new RolloutWave("rest", ["lyon-01"])], "cora", "new limit")
        {
            Subject = RolloutSubject.Decision,
        });
        var sameName = Assert.ThrowsAsync<WorkflowInputException>(() => h.Engine.Rollouts.PlanAsync(new PlanRollout("level", 2, [new RolloutWave("w", ["paris-01"]), new RolloutWave("w", ["lyon-01"])], "cora", "x")
        {
            Subject = RolloutSubject.Decision,
        }));

        await h.Engine.Rollouts.AdvanceAsync(plan.Id, "cora", "pilot", "pilot");
        var again = Assert.ThrowsAsync<WorkflowConflictException>(() => h.Engine.Rollouts.AdvanceAsync(plan.Id, "cora", "pilot", "pilot"));
        var unknown = Assert.ThrowsAsync<WorkflowInputException>(() => h.Engine.Rollouts.AdvanceAsync(plan.Id, "cora", "go", "spain"));
        var after = await h.Engine.Rollouts.GetAsync(plan.Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(sameName!.Message, Does.Contain("'w' is another wave's too"));
            Assert.That(again!.Message, Does.Contain("wave 'pilot'").And.Contain("pinned already (by cora").And.Contain("the next wave is 'rest'"));
            Assert.That(unknown!.Message, Does.Contain("no wave 'spain'"));
            Assert.That((after.WavesPinned, after.Status), Is.EqualTo((1, RolloutStatus.InProgress)), "lyon-01 is not pinned by the second click");
        }
    }

    [Test]
    public async Task An_evaluation_refuses_variables_larger_or_deeper_than_a_commands_by_name()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Level(1000));
        object? deep = 1;
        for (var i = 0; i < 200; i++)
        {
            deep = new List<object?> { deep };
        }

        var large = Assert.ThrowsAsync<WorkflowInputException>(() => h.Engine.Decisions.EvaluateAsync(new EvaluateDecision("level") { Variables = Vars(("amount", 1), ("big", new string('x', 2 << 20))) }));
        var nested = Assert.ThrowsAsync<WorkflowInputException>(() => h.Engine.Decisions.EvaluateAsync(new EvaluateDecision("level") { Variables = Vars(("amount", 1), ("deep", deep)) }));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(large!.Message, Does.Contain("bytes as JSON; the limit is").And.Contain("MaxVariablesBytes"));
            Assert.That(nested!.Message, Does.Contain("variable 'deep'").And.Contain("MaxVariableDepth"));
        }
    }
}
