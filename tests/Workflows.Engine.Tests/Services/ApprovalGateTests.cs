using System.Text.Json;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;
using static Workflows.Engine.Tests.Decisions.BusinessRuleTaskTests;

namespace Workflows.Engine.Tests.Services;

/// <summary>
/// The approval gate is the engine's: a program using the engine library alone is refused a pin, an unpin, a migration
/// target or a rollout of a version only deployed, with the one message the API answers too; decisions as journeys.
/// </summary>
public sealed class ApprovalGateTests
{
    private static string Journey(string task) => Process("journey", $"""
        <bpmn:startEvent id="s"/>
        {UserTask(task)}
        {Chain("s", task)}
        """);

    [Test]
    public async Task Every_path_that_makes_a_branch_run_a_journey_version_refuses_one_only_deployed_with_one_message()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Journey("v1"));
        await h.Engine.Branches.SaveAsync(new Branch("lyon-01", "Lyon"));

        var pin = Assert.ThrowsAsync<WorkflowConflictException>(() => h.Engine.Branches.PinAsync("lyon-01", "journey", 1));
        var save = Assert.ThrowsAsync<WorkflowConflictException>(() => h.Engine.Branches.SaveAsync(new Branch("nice-01", "Nice") { Pins = new Dictionary<string, int> { ["journey"] = 1 } }));
        var update = Assert.ThrowsAsync<WorkflowConflictException>(() => h.Engine.Branches.UpdateAsync("lyon-01", b => b with { Pins = new Dictionary<string, int> { ["journey"] = 1 } }));
        var migrate = Assert.ThrowsAsync<WorkflowConflictException>(() => h.Engine.Operations.PreviewMigrationAsync(new MigrationPlan("journey", 1)));
        var rollout = Assert.ThrowsAsync<WorkflowConflictException>(() => h.Engine.Rollouts.PlanAsync(new PlanRollout("journey", 1, [new RolloutWave("pilot", ["lyon-01"])], "cora", "pilot")));
        var untouched = await h.Engine.Branches.GetAsync("lyon-01");

        await h.ApproveAsync("journey", 1);
        var pinned = await h.Engine.Branches.PinAsync("lyon-01", "journey", 1);
        await h.DeployAsync(Journey("v2"));
        var unpinned = await h.Engine.Branches.PinAsync("lyon-01", "journey", null);

        using (Assert.EnterMultipleScope())
        {
            const string Rest = " version 1 of 'journey': it is deployed (by test), not approved. A branch runs only an approved version: another analyst than the one who deployed it approves it first";
            Assert.That(pin!.Message, Is.EqualTo("cannot pin" + Rest));
            Assert.That(save!.Message, Is.EqualTo("cannot pin" + Rest), "a branch saved whole is gated too");
            Assert.That(update!.Message, Is.EqualTo("cannot pin" + Rest));
            Assert.That(migrate!.Message, Is.EqualTo("cannot migrate to" + Rest));
            Assert.That(rollout!.Message, Is.EqualTo("cannot roll out" + Rest));
            Assert.That(untouched.Pins, Is.Empty, "nothing was written");
            Assert.That(await h.Engine.Branches.GetAllAsync(), Has.Count.EqualTo(1), "the refused branch was not created");
            Assert.That(pinned.Pins["journey"], Is.EqualTo(1));
            Assert.That(unpinned.Pins, Is.Empty, "an unpin with an approved version to fall back to passes");
            Assert.That(await h.Engine.Branches.ResolveVersionAsync("journey", "lyon-01"), Is.EqualTo(1), "unpinned, the branch runs the standard: the approved version 1, not the deployed 2");
        }
    }

    [Test]
    public async Task A_decision_version_only_deployed_is_refused_a_pin_with_the_same_message()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Level(1000));
        await h.Engine.Branches.SaveAsync(new Branch("paris-01", "Paris"));

        var pin = Assert.ThrowsAsync<WorkflowConflictException>(() => h.Engine.Decisions.PinAsync("paris-01", "level", 1));
        var save = Assert.ThrowsAsync<WorkflowConflictException>(() => h.Engine.Branches.UpdateAsync("paris-01", b => b with { DecisionPins = new Dictionary<string, int> { ["level"] = 1 } }));
        await h.ApproveDecisionAsync("level", 1);
        var pinned = await h.Engine.Decisions.PinAsync("paris-01", "level", 1);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(pin!.Message, Is.EqualTo("cannot pin version 1 of decision 'level': it is deployed (by test), not approved. " +
                "A branch runs only an approved decision version: another analyst than the one who deployed it approves it first"));
            Assert.That(save!.Message, Is.EqualTo(pin.Message));
            Assert.That(pinned.DecisionPins["level"], Is.EqualTo(1));
        }
    }

    [Test]
    public async Task A_decision_version_rolls_out_in_waves_through_the_branches_decision_pins_and_rolls_back()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Level(1000));
        await h.DeployAsync(Level(2000));
        await h.ApproveDecisionAsync("level", 1);
        await h.Engine.Branches.SaveAsync(new Branch("paris-01", "Paris") { DecisionPins = new Dictionary<string, int> { ["level"] = 1 } });
        await h.Engine.Branches.SaveAsync(new Branch("lyon-01", "Lyon"));
        var unapproved = Assert.ThrowsAsync<WorkflowConflictException>(() => h.Engine.Rollouts.PlanAsync(
            new PlanRollout("level", 2, [new RolloutWave("pilot", ["paris-01"])], "cora", "pilot") { Subject = RolloutSubject.Decision }));
        await h.ApproveDecisionAsync("level", 2);

        var plan = await h.Engine.Rollouts.PlanAsync(new PlanRollout("level", 2, [new RolloutWave("pilot", ["paris-01"]), new RolloutWave("rest", ["lyon-01"])], "cora", "the new limit")
        {
            Subject = RolloutSubject.Decision,
        });
        var second = Assert.ThrowsAsync<WorkflowConflictException>(() => h.Engine.Rollouts.PlanAsync(
            new PlanRollout("level", 2, [new RolloutWave("again", ["lyon-01"])], "cora", "twice") { Subject = RolloutSubject.Decision }));
        await h.Engine.Rollouts.AdvanceAsync(plan.Id, "cora", "pilot");
        var afterPilot = (await h.Engine.Branches.GetAsync("paris-01")).DecisionPins.GetValueOrDefault("level");
        var done = await h.Engine.Rollouts.AdvanceAsync(plan.Id, "cora", "rest");
        var stage = (await h.Engine.Decisions.GetVersionsAsync("level")).Single(v => v.Version == 2).Stage;
        var listed = await h.Engine.Rollouts.GetForDecisionAsync("level");
        var journeys = await h.Engine.Rollouts.GetAllAsync("level");
        var figures = Assert.ThrowsAsync<WorkflowInputException>(() => h.Engine.Rollouts.GetFiguresAsync(plan.Id));
        var back = await h.Engine.Rollouts.RollBackAsync(plan.Id, "cora", "too many managers' tasks");
        var paris = await h.Engine.Branches.GetAsync("paris-01");
        var lyon = await h.Engine.Branches.GetAsync("lyon-01");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(unapproved!.Message, Does.StartWith("cannot roll out version 2 of decision 'level': it is deployed (by test), not approved"));
            Assert.That(second!.Message, Does.Contain($"rollout {plan.Id} of decision 'level' is planned or under way"));
            Assert.That(afterPilot, Is.EqualTo(2));
            Assert.That(done.Status, Is.EqualTo(RolloutStatus.Completed));
            Assert.That(stage, Is.EqualTo(VersionStage.RolledOut));
            Assert.That(listed.Select(r => (r.Id, r.Subject)), Is.EqualTo(new[] { (plan.Id, RolloutSubject.Decision) }));
            Assert.That(journeys, Is.Empty, "a decision's rollouts are not a journey's of the same id");
            Assert.That(figures!.Message, Does.Contain("service figures are counted per journey"));
            Assert.That(back.Status, Is.EqualTo(RolloutStatus.RolledBack));
            Assert.That(paris.DecisionPins["level"], Is.EqualTo(1), "Paris pinned version 1 before");
            Assert.That(lyon.DecisionPins, Is.Empty, "Lyon pinned nothing before");
        }
    }

    [Test]
    public async Task An_evaluation_asked_by_someone_is_recorded_with_branch_version_inputs_matched_rules_and_output_and_one_without_is_not()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Level(1000));
        await h.DeployAsync(Level(2000));
        await h.ApproveDecisionAsync("level", 1);
        await h.Engine.Branches.SaveAsync(new Branch("paris-01", "Paris") { DecisionPins = new Dictionary<string, int> { ["level"] = 1 } });

        await h.Engine.Decisions.EvaluateAsync(new EvaluateDecision("level") { Variables = Vars(("amount", 1500)) });
        await h.Engine.Decisions.EvaluateAsync(new EvaluateDecision("level") { Branch = "paris-01", Variables = Vars(("amount", 1500)), Actor = "pat" });
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        await h.Engine.Decisions.EvaluateAsync(new EvaluateDecision("level") { Version = 2, Variables = Vars(("amount", 500)), Actor = "alice" });

        var all = await h.Engine.Decisions.GetEvaluationsAsync("level");
        var paris = await h.Engine.Decisions.GetEvaluationsAsync("level", "paris-01");
        var page = await h.Engine.Decisions.GetEvaluationsAsync("level", after: all[0].Id);
        using var detail = JsonDocument.Parse(paris.Single().Detail);
        var table = detail.RootElement.GetProperty("decisions")[0];

        using (Assert.EnterMultipleScope())
        {
            Assert.That(all.Select(e => (e.Actor, e.Branch, e.Version)), Is.EqualTo(new[] { ("alice", (string?)null, 2), ("pat", "paris-01", 1) }), "newest first; the one nobody asked for is not recorded");
            Assert.That(page.Select(e => e.Actor), Is.EqualTo(new[] { "pat" }));
            Assert.That(table.GetProperty("inputs")[0].GetProperty("value").GetDecimal(), Is.EqualTo(1500m));
            Assert.That(table.GetProperty("matchedRules")[0].GetProperty("ruleId").GetString(), Is.EqualTo("large"));
            Assert.That(table.GetProperty("output").GetString(), Is.EqualTo("manager"));
        }
    }

    [Test]
    public async Task What_changed_between_two_decision_versions_names_each_rule_cell_by_cell()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Level(1000));
        await h.DeployAsync(Level(2000));

        var comparison = await h.Engine.Decisions.CompareAsync("level", 1, 2);

        Assert.That(comparison.Changes.Select(c => (c.Kind, c.RuleId, c.Text)), Is.EqualTo(new[]
        {
            ("rule-changed", (string?)"small", "rule 1: Amount was “<= 1000”, now “<= 2000”"),
            ("rule-changed", "large", "rule 2: Amount was “> 1000”, now “> 2000”"),
        }));
    }
}
