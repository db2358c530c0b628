using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Services;

public sealed class RolloutTests
{
    // A journey whose start records the customer's score and whose level-1 commitment is an hour; the label tells versions apart.
    private static string Journey(string label) => Process("journey", $"""
        <bpmn:startEvent id="s"><bpmn:extensionElements><wf:satisfaction score="=score"/></bpmn:extensionElements></bpmn:startEvent>
        <bpmn:userTask id="{label}"/>
        {Chain("s", label)}
        """, extensions: """<bpmn:extensionElements><wf:journey branch="=branch"/><wf:commitment level="1" name="Answered within the hour" target="PT1H"/></bpmn:extensionElements>""");

    private static async Task<ProcessTestHarness> ThreeBranchesOnVersionOneAsync()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Journey("v1"));
        await h.DeployAsync(Journey("v2"));
        await h.ApproveAsync("journey", 1); // a branch pins only an approved version
        await h.Engine.Branches.SaveAsync(new Branch("paris-01", "Paris") { Pins = new Dictionary<string, int> { ["journey"] = 1 } });
        await h.Engine.Branches.SaveAsync(new Branch("lyon-01", "Lyon") { Pins = new Dictionary<string, int> { ["journey"] = 1 } });
        await h.Engine.Branches.SaveAsync(new Branch("nice-01", "Nice"));
        return h;
    }

    private static async Task<int?> PinAsync(ProcessTestHarness h, string branch) =>
        (await h.Engine.Branches.GetAsync(branch)).Pins.TryGetValue("journey", out var v) ? v : null;

    private static PlanRollout Plan(params RolloutWave[] waves) => new("journey", 2, waves, "cora", "v2 answers faster");

    [Test]
    public async Task A_version_rolls_out_only_once_approved_wave_after_wave_and_every_step_names_its_actor_and_reason()
    {
        var h = await ThreeBranchesOnVersionOneAsync();
        var unapproved = Assert.ThrowsAsync<WorkflowConflictException>(() => h.Engine.Rollouts.PlanAsync(Plan(new RolloutWave("pilot", ["paris-01"]))));

        var approved = await h.Engine.Rollouts.ApproveAsync("journey", 2, "alice", "reviewed with the front office");
        var again = Assert.ThrowsAsync<WorkflowConflictException>(() => h.Engine.Rollouts.ApproveAsync("journey", 2, "alice", "twice"));
        var rollout = await h.Engine.Rollouts.PlanAsync(Plan(new RolloutWave("pilot", ["paris-01"]), new RolloutWave("France", ["lyon-01", "nice-01"])));
        var pilot = await h.Engine.Rollouts.AdvanceAsync(rollout.Id, "cora", "pilot in Paris");
        var afterPilot = (await PinAsync(h, "paris-01"), await PinAsync(h, "lyon-01"), await PinAsync(h, "nice-01"));
        var stageDuringPilot = (await h.Engine.Rollouts.GetLifecycleAsync("journey"))[0];
        var done = await h.Engine.Rollouts.AdvanceAsync(rollout.Id, "cora", "pilot figures as good as v1's");
        var finished = Assert.ThrowsAsync<WorkflowConflictException>(() => h.Engine.Rollouts.AdvanceAsync(rollout.Id, "cora", "once more"));
        var lifecycle = await h.Engine.Rollouts.GetLifecycleAsync("journey");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(unapproved!.Message, Does.StartWith("cannot roll out version 2 of 'journey': it is deployed (by test), not approved"));
            Assert.That(approved.Stage, Is.EqualTo(VersionStage.Approved));
            Assert.That(again!.Message, Does.Contain("was approved by alice"));
            Assert.That(rollout.Status, Is.EqualTo(RolloutStatus.Planned));
            Assert.That(pilot.Status, Is.EqualTo(RolloutStatus.InProgress));
            Assert.That(afterPilot, Is.EqualTo(((int?)2, (int?)1, (int?)null)), "only the pilot is pinned after the first wave");
            Assert.That(stageDuringPilot.Stage, Is.EqualTo(VersionStage.Approved));
            Assert.That(stageDuringPilot.PinnedBy, Is.EqualTo(new[] { "paris-01" }));
            Assert.That(done.Status, Is.EqualTo(RolloutStatus.Completed));
            Assert.That(await PinAsync(h, "lyon-01"), Is.EqualTo(2));
            Assert.That(await PinAsync(h, "nice-01"), Is.EqualTo(2));
            Assert.That(finished!.Message, Does.Contain("completed"));
            Assert.That(lifecycle.Select(l => (l.Version, l.Stage)), Is.EqualTo(new[] { (2, VersionStage.RolledOut), (1, VersionStage.Approved) }));
            Assert.That(lifecycle[0].ApprovedBy, Is.EqualTo("alice"));
            Assert.That(lifecycle[0].ApprovalReason, Is.EqualTo("reviewed with the front office"));
            Assert.That(done.Steps.Select(s => (s.Action, s.Actor, s.Reason, s.Wave)), Is.EqualTo(new (string, string, string, string?)[]
            {
                ("planned", "cora", "v2 answers faster", null),
                ("wave-pinned", "cora", "pilot in Paris", "pilot"),
                ("wave-pinned", "cora", "pilot figures as good as v1's", "France"),
            }));
            Assert.That(done.Waves[1].Previous, Is.EqualTo(new Dictionary<string, int?> { ["lyon-01"] = 1, ["nice-01"] = null }));
        }
    }

    [Test]
    public async Task A_rollback_re_pins_what_each_branch_ran_before_leaves_a_pin_changed_since_and_frees_the_journey_for_a_new_plan()
    {
        var h = await ThreeBranchesOnVersionOneAsync();
        await h.DeployAsync(Journey("v3"));
        await h.Engine.Branches.SaveAsync(new Branch("lille-01", "Lille") { Pins = new Dictionary<string, int> { ["journey"] = 1 } });
        await h.Engine.Rollouts.ApproveAsync("journey", 2, "alice", "ok");
        var rollout = await h.Engine.Rollouts.PlanAsync(Plan(new RolloutWave("pilot", ["paris-01", "nice-01", "lyon-01"]), new RolloutWave("rest", ["lille-01"])));
        await h.Engine.Rollouts.AdvanceAsync(rollout.Id, "cora", "pilot");
        await h.ApproveAsync("journey", 3);
        await h.Engine.Branches.UpdateAsync("lyon-01", b => b with { Pins = new Dictionary<string, int> { ["journey"] = 3 } });

        var rolledBack = await h.Engine.Rollouts.RollBackAsync(rollout.Id, "cora", "breaches doubled in the pilot");
        var twice = Assert.ThrowsAsync<WorkflowConflictException>(() => h.Engine.Rollouts.RollBackAsync(rollout.Id, "cora", "again"));
        var next = await h.Engine.Rollouts.PlanAsync(Plan(new RolloutWave("pilot", ["nice-01"])));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await PinAsync(h, "lille-01"), Is.EqualTo(1), "the wave never pinned is untouched");
            Assert.That(rolledBack.Status, Is.EqualTo(RolloutStatus.RolledBack));
            Assert.That(await PinAsync(h, "paris-01"), Is.EqualTo(1));
            Assert.That(await PinAsync(h, "nice-01"), Is.Null, "a branch that pinned nothing runs the latest again");
            Assert.That(await PinAsync(h, "lyon-01"), Is.EqualTo(3), "a pin changed by hand since is not the rollout's to undo");
            Assert.That(rolledBack.Steps[^1], Is.EqualTo(rolledBack.Steps[^1] with { Action = "rolled-back", Actor = "cora", Reason = "breaches doubled in the pilot" }));
            Assert.That(rolledBack.Steps[^1].Branches, Is.EqualTo(new[] { "paris-01", "nice-01" }));
            Assert.That(twice!.Message, Does.Contain("rolled back"));
            Assert.That(next.Status, Is.EqualTo(RolloutStatus.Planned));
            Assert.That((await h.Engine.Rollouts.GetLifecycleAsync("journey")).Single(l => l.Version == 2).Stage, Is.EqualTo(VersionStage.Approved));
        }
    }

    [Test]
    public async Task A_plan_with_an_unknown_branch_a_branch_twice_no_reason_or_beside_another_under_way_is_refused_and_nothing_is_pinned()
    {
        var h = await ThreeBranchesOnVersionOneAsync();
        await h.Engine.Rollouts.ApproveAsync("journey", 2, "alice", "ok");
        var unknown = Assert.ThrowsAsync<WorkflowNotFoundException>(() => h.Engine.Rollouts.PlanAsync(Plan(new RolloutWave("pilot", ["nowhere"]))));
        var twice = Assert.ThrowsAsync<WorkflowInputException>(() => h.Engine.Rollouts.PlanAsync(Plan(new RolloutWave("a", ["paris-01"]), new RolloutWave("b", ["paris-01"]))));
        var noReason = Assert.ThrowsAsync<WorkflowInputException>(() => h.Engine.Rollouts.PlanAsync(Plan(new RolloutWave("a", ["paris-01"])) with { Reason = " " }));
        var noWave = Assert.ThrowsAsync<WorkflowInputException>(() => h.Engine.Rollouts.PlanAsync(Plan()));
        var first = await h.Engine.Rollouts.PlanAsync(Plan(new RolloutWave("pilot", ["paris-01"])));
        var second = Assert.ThrowsAsync<WorkflowConflictException>(() => h.Engine.Rollouts.PlanAsync(Plan(new RolloutWave("pilot", ["lyon-01"]))));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(unknown!.Message, Does.Contain("branch 'nowhere' does not exist"));
            Assert.That(twice!.Message, Does.Contain("branch 'paris-01' is in two waves"));
            Assert.That(noReason!.Message, Does.Contain("reason"));
            Assert.That(noWave!.Message, Does.Contain("1 to 20 waves"));
            Assert.That(second!.Message, Does.Contain($"rollout {first.Id}"));
            Assert.That(await h.Engine.Rollouts.GetAllAsync("journey"), Has.Count.EqualTo(1));
            Assert.That(await PinAsync(h, "paris-01"), Is.EqualTo(1));
        }
    }

    [Test]
    public async Task The_pilots_figures_set_the_new_versions_cases_breaches_risks_and_satisfaction_beside_the_previous_versions()
    {
        var h = await ThreeBranchesOnVersionOneAsync();
        await h.Engine.Rollouts.ApproveAsync("journey", 2, "alice", "ok");
        await h.Engine.Runtime.StartAsync(new StartInstance("journey") { Branch = "paris-01", Variables = new Dictionary<string, object?> { ["score"] = 2 } });
        await h.Engine.Runtime.StartAsync(new StartInstance("journey") { Branch = "lyon-01", Variables = new Dictionary<string, object?> { ["score"] = 1 } });
        await h.AdvanceTimeAsync(TimeSpan.FromHours(2));
        var rollout = await h.Engine.Rollouts.PlanAsync(Plan(new RolloutWave("pilot", ["paris-01"]), new RolloutWave("rest", ["lyon-01"])));
        await h.Engine.Rollouts.AdvanceAsync(rollout.Id, "cora", "pilot");
        await h.Engine.Runtime.StartAsync(new StartInstance("journey") { Branch = "paris-01", Variables = new Dictionary<string, object?> { ["score"] = 5 } });
        await h.Engine.Runtime.StartAsync(new StartInstance("journey") { Branch = "paris-01", Variables = new Dictionary<string, object?> { ["score"] = 4 } });
        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(50));

        var figures = await h.Engine.Rollouts.GetFiguresAsync(rollout.Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(figures.Branches, Is.EqualTo(new[] { "paris-01" }), "only the pinned wave counts; Lyon's case is not the pilot's");
            Assert.That(figures.Candidate, Is.EqualTo(new VersionFigures(2, Cases: 2, Breaches: 0, AtRisk: 2, Satisfaction: 4.5m, Surveyed: 2)));
            Assert.That(figures.Previous, Is.EqualTo(new[] { new VersionFigures(1, Cases: 1, Breaches: 1, AtRisk: 0, Satisfaction: 2m, Surveyed: 1) }));
        }
    }

    [Test]
    public async Task The_figures_count_each_case_for_the_version_it_started_on_and_the_candidate_only_from_its_waves_pin()
    {
        var h = await ThreeBranchesOnVersionOneAsync();
        await h.Engine.Rollouts.ApproveAsync("journey", 2, "alice", "ok");
        var before = await h.Engine.Runtime.StartAsync(new StartInstance("journey") { Branch = "paris-01", Variables = new Dictionary<string, object?> { ["score"] = 1 } });
        var stays = await h.Engine.Runtime.StartAsync(new StartInstance("journey") { Branch = "paris-01", Variables = new Dictionary<string, object?> { ["score"] = 3 } });
        var rollout = await h.Engine.Rollouts.PlanAsync(Plan(new RolloutWave("pilot", ["paris-01"]), new RolloutWave("rest", ["lyon-01"])));
        await h.Engine.Rollouts.AdvanceAsync(rollout.Id, "cora", "pilot");

        // A case started on v1 and migrated to v2 after the pin ran under v1: it is v1's evidence, not v2's.
        await h.Engine.Operations.MigrateAsync(before, new MigrationPlan("journey", 2) { Mappings = [new ElementMapping("v1", "v2")] }, "onto the pilot's version", "olga");
        var after = await h.Engine.Runtime.StartAsync(new StartInstance("journey") { Branch = "paris-01", Variables = new Dictionary<string, object?> { ["score"] = 5 } });

        var figures = await h.Engine.Rollouts.GetFiguresAsync(rollout.Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await h.Engine.Queries.GetInstanceAsync(before)).Version, Is.EqualTo(2), "migrated");
            Assert.That(figures.Candidate.Cases, Is.EqualTo(1), "only the case started on v2 since the pilot's pin");
            Assert.That(figures.Candidate.Satisfaction, Is.EqualTo(5m));
            Assert.That(figures.Previous.Single().Cases, Is.EqualTo(2), $"the migrated case {before} and {stays} started on v1; {after} on v2");
            Assert.That(figures.Previous.Single().Satisfaction, Is.EqualTo(2m));
        }
    }
}
