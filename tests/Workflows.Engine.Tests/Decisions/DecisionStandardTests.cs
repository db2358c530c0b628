using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;
using static Workflows.Engine.Tests.Decisions.BusinessRuleTaskTests;

namespace Workflows.Engine.Tests.Decisions;

/// <summary>
/// A decision's standard (review18 F5, F12): what a branch without a pin and an evaluation for no branch use. Approval
/// alone does not move it, a completed rollout does, and a rollback puts every branch back on what it ran before.
/// </summary>
public sealed class DecisionStandardTests
{
    // Version 1 sends 1,500 to a manager, version 2 (limit 2,000) to an agent, version 3 (limit 3,000) too.
    private const decimal Amount = 1500m;

    private static string Claim() => Process("claim", $"""
        <bpmn:startEvent id="s"/>
        <bpmn:businessRuleTask id="decide"><bpmn:extensionElements><zeebe:calledDecision decisionId="level" resultVariable="level"/></bpmn:extensionElements></bpmn:businessRuleTask>
        {UserTask("review")}
        {Chain("s", "decide", "review")}
        """, extensions: """<bpmn:extensionElements><wf:journey branch="=branch"/></bpmn:extensionElements>""");

    private static async Task<ProcessTestHarness> TwoApprovedAsync()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Level(1000));
        await h.DeployAsync(Level(2000));
        await h.DeployAsync(Claim());
        foreach (var branch in new[] { "paris-01", "lyon-01", "nice-01" })
        {
            await h.Engine.Branches.SaveAsync(new Branch(branch, branch));
        }

        await h.ApproveDecisionAsync("level", 1);
        await h.ApproveDecisionAsync("level", 2);
        return h;
    }

    private static async Task<int> EvaluatedAsync(ProcessTestHarness h, string? branch) =>
        (await h.Engine.Decisions.EvaluateAsync(new EvaluateDecision("level") { Branch = branch, Variables = Vars(("amount", Amount)) })).Version;

    // The version a new case of the branch evaluates, read from its history row.
    private static async Task<object?> CaseDecidesAsync(ProcessTestHarness h, string branch)
    {
        var id = await h.Engine.Runtime.StartAsync(new StartInstance("claim") { Branch = branch, Variables = Vars(("amount", Amount)) });
        return await h.Instance(id).VariableAsync("level");
    }

    [Test]
    public async Task Approving_a_version_changes_nothing_for_unpinned_branches_until_a_rollout_and_a_rollback_of_the_pilot_puts_it_back()
    {
        var h = await TwoApprovedAsync();
        var afterApproval = (await EvaluatedAsync(h, "paris-01"), await EvaluatedAsync(h, "lyon-01"), await CaseDecidesAsync(h, "lyon-01"));
        var plan = await h.Engine.Rollouts.PlanAsync(new PlanRollout("level", 2, [new RolloutWave("pilot", ["paris-01"]), new RolloutWave("rest", ["lyon-01"])], "cora", "the new limit")
        {
            Subject = RolloutSubject.Decision,
        });
        var pilot = await h.Engine.Rollouts.AdvanceAsync(plan.Id, "cora", "pilot");
        var duringPilot = (await EvaluatedAsync(h, "paris-01"), await CaseDecidesAsync(h, "paris-01"), await EvaluatedAsync(h, "lyon-01"), await CaseDecidesAsync(h, "lyon-01"));
        var back = await h.Engine.Rollouts.RollBackAsync(plan.Id, "cora", "complaints went up");
        var afterRollback = (await EvaluatedAsync(h, "paris-01"), await CaseDecidesAsync(h, "paris-01"), await EvaluatedAsync(h, "lyon-01"));
        var versions = await h.Engine.Decisions.GetVersionsAsync("level");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(afterApproval, Is.EqualTo((1, 1, (object?)"manager")), "approving version 2 alone leaves every unpinned branch on the standard, version 1");
            Assert.That(pilot.Waves[0].Previous["paris-01"], Is.Null, "Paris pinned nothing");
            Assert.That(pilot.Waves[0].Ran["paris-01"], Is.EqualTo(1), "Paris ran the standard, version 1");
            Assert.That(duringPilot, Is.EqualTo((2, (object?)"agent", 1, (object?)"manager")), "the pilot runs version 2, Lyon (not reached) the standard");
            Assert.That(back.Steps[^1].Branches, Is.EqualTo(new[] { "paris-01" }));
            Assert.That(afterRollback, Is.EqualTo((1, (object?)"manager", 1)), "rolled back, Paris evaluates what it ran before: version 1");
            Assert.That(versions.Where(v => v.Standard).Select(v => v.Version), Is.EqualTo(new[] { 1 }));
            Assert.That(versions.Single(v => v.Version == 2).Stage, Is.EqualTo(VersionStage.Approved));
        }
    }

    [Test]
    public async Task A_completed_rollout_makes_its_version_the_standard_for_branches_it_did_not_name_and_rolling_it_back_restores_the_one_before()
    {
        var h = await TwoApprovedAsync();
        var plan = await h.Engine.Rollouts.PlanAsync(new PlanRollout("level", 2, [new RolloutWave("pilot", ["paris-01"]), new RolloutWave("rest", ["lyon-01"])], "cora", "the new limit")
        {
            Subject = RolloutSubject.Decision,
        });
        await h.Engine.Rollouts.AdvanceAsync(plan.Id, "cora", "pilot");
        var niceDuring = await EvaluatedAsync(h, "nice-01");
        await h.Engine.Rollouts.AdvanceAsync(plan.Id, "cora", "rest");
        var completed = (await EvaluatedAsync(h, "nice-01"), await CaseDecidesAsync(h, "nice-01"), await EvaluatedAsync(h, null));
        var standardThen = (await h.Engine.Decisions.GetVersionsAsync("level")).Single(v => v.Standard).Version;
        var listedWithTheOthers = (await h.Engine.Decisions.GetVersionsAsync()).Single(v => v.Standard).Version;
        await h.Engine.Rollouts.RollBackAsync(plan.Id, "cora", "complaints went up");
        var rolledBack = (await EvaluatedAsync(h, "nice-01"), await EvaluatedAsync(h, "paris-01"), await EvaluatedAsync(h, "lyon-01"), await EvaluatedAsync(h, null));
        var paris = await h.Engine.Branches.GetAsync("paris-01");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(niceDuring, Is.EqualTo(1), "while the rollout is under way, a branch it does not name stays on the standard");
            Assert.That(completed, Is.EqualTo((2, (object?)"agent", 2)), "completed, version 2 is the standard: Nice and an evaluation for no branch follow it");
            Assert.That(standardThen, Is.EqualTo(2));
            Assert.That(listedWithTheOthers, Is.EqualTo(2), "the list of every decision marks the same standard");
            Assert.That(rolledBack, Is.EqualTo((1, 1, 1, 1)), "the rollback unpins Paris and Lyon, and the standard is version 1 again");
            Assert.That(paris.DecisionPins, Is.Empty);
        }
    }

    [Test]
    public async Task An_evaluation_for_no_branch_and_a_case_of_a_branch_the_store_does_not_know_use_the_standard_not_the_latest_deployed()
    {
        var h = await TwoApprovedAsync();
        await h.DeployAsync(Level(3000)); // deployed, approved by nobody
        var central = await h.Engine.Decisions.EvaluateAsync(new EvaluateDecision("level") { Variables = Vars(("amount", Amount)) });
        var unknownBranch = await h.StartAsync("claim", Vars(("amount", Amount), ("branch", "closed-01")));
        var evaluated = (await unknownBranch.HistoryAsync()).Single(e => e.Kind == "decision-evaluated").Detail;

        // With no version approved at all, the latest is what there is.
        var fresh = new ProcessTestHarness();
        await fresh.DeployAsync(Level(1000));
        await fresh.DeployAsync(Level(2000));
        var unapproved = await fresh.Engine.Decisions.EvaluateAsync(new EvaluateDecision("level") { Variables = Vars(("amount", Amount)) });

        using (Assert.EnterMultipleScope())
        {
            Assert.That((central.Version, central.Value), Is.EqualTo((1, (object?)"manager")), "the standard, not version 3 that nobody approved nor version 2 that no rollout made the standard");
            Assert.That(await unknownBranch.VariableAsync("level"), Is.EqualTo("manager"));
            Assert.That(evaluated, Does.Contain("\"version\":1"));
            Assert.That(unapproved.Version, Is.EqualTo(2));
        }
    }
}
