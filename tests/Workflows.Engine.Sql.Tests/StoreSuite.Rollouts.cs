using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

// The version lifecycle and staged rollouts (wf_version_approvals, wf_rollouts, wf_rollout_locks) and branch parameters.
public abstract partial class StoreSuite
{
    private static string Rolled(string id, string task) => Process(id, $"""<bpmn:startEvent id="s"/><bpmn:userTask id="{task}"/>{Chain("s", task)}""",
        extensions: """<bpmn:extensionElements><wf:parameter name="limit" type="number" min="0" max="100" default="10"/></bpmn:extensionElements>""");

    [Test]
    public async Task An_approval_and_a_rollout_stepped_on_one_node_are_read_whole_on_another_and_a_second_plan_or_approval_is_refused()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (process, pilot, rest) = ("rolled-" + suffix, "pilot-" + suffix, "rest-" + suffix);
        var a = await HarnessAsync();
        await a.DeployAsync(Rolled(process, "v1"));
        await a.DeployAsync(Rolled(process, "v2"));
        await a.ApproveAsync(process, 1); // a branch pins only an approved version
        await a.Engine.Branches.SaveAsync(new Branch(pilot, "Pilot") { Pins = new Dictionary<string, int> { [process] = 1 } });
        await a.Engine.Branches.SaveAsync(new Branch(rest, "Rest"));
        await a.Engine.Rollouts.ApproveAsync(process, 2, "alice", "reviewed");
        var plan = await a.Engine.Rollouts.PlanAsync(new PlanRollout(process, 2, [new RolloutWave("pilot", [pilot]), new RolloutWave("rest", [rest])], "cora", "faster"));
        await a.Engine.Rollouts.AdvanceAsync(plan.Id, "cora", "pilot");
        await a.Engine.Branches.SetParametersAsync(pilot, process, new Dictionary<string, object?> { ["limit"] = 42m });

        var b = await HarnessAsync();
        var read = await b.Engine.Rollouts.GetAsync(plan.Id);
        var second = Assert.ThrowsAsync<WorkflowConflictException>(() => b.Engine.Rollouts.PlanAsync(new PlanRollout(process, 2, [new RolloutWave("again", [rest])], "cora", "again")));
        var approvedTwice = Assert.ThrowsAsync<WorkflowConflictException>(() => b.Engine.Rollouts.ApproveAsync(process, 2, "alice", "again"));
        var started = await b.Engine.Runtime.StartAsync(new StartInstance(process) { Branch = pilot });
        var settings = (Workflows.Engine.Feel.FeelContext)(await b.Engine.Queries.GetInstanceAsync(started)).Variables["branchSettings"]!;
        var rolledBack = await b.Engine.Rollouts.RollBackAsync(plan.Id, "cora", "breaches");
        var lifecycle = await a.Engine.Rollouts.GetLifecycleAsync(process);
        a.Clock.Advance(TimeSpan.FromMinutes(1));
        var next = await a.Engine.Rollouts.PlanAsync(new PlanRollout(process, 2, [new RolloutWave("pilot", [rest])], "cora", "retry"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(read.Status, Is.EqualTo(RolloutStatus.InProgress));
            Assert.That(read.Waves[0].Previous, Is.EqualTo(new Dictionary<string, int?> { [pilot] = 1 }));
            Assert.That(read.Steps.Select(s => (s.Action, s.Actor, s.Reason)), Is.EqualTo(new[] { ("planned", "cora", "faster"), ("wave-pinned", "cora", "pilot") }));
            Assert.That(read.Revision, Is.EqualTo(2));
            Assert.That(second!.Message, Does.Contain(plan.Id.ToString()));
            Assert.That(approvedTwice!.Message, Does.Contain("was approved by alice"));
            Assert.That((await b.Engine.Queries.GetInstanceAsync(started)).Version, Is.EqualTo(2));
            Assert.That(settings["limit"], Is.EqualTo(42m));
            Assert.That(rolledBack.Status, Is.EqualTo(RolloutStatus.RolledBack));
            Assert.That((await a.Engine.Branches.GetAsync(pilot)).Pins[process], Is.EqualTo(1));
            Assert.That((await a.Engine.Branches.GetAsync(pilot)).Parameters[process]["limit"], Is.EqualTo("42"));
            Assert.That(lifecycle.Select(l => (l.Version, l.Stage, l.ApprovedBy)), Is.EqualTo(new[] { (2, VersionStage.Approved, (string?)"alice"), (1, VersionStage.Approved, (string?)"test-reviewer") }));
            Assert.That(next.Status, Is.EqualTo(RolloutStatus.Planned), "the rollback freed the journey for a new plan");
            Assert.That((await b.Engine.Rollouts.GetAllAsync(process)).Select(r => r.Id), Is.EqualTo(new[] { next.Id, plan.Id }), "newest first");
        }

        await b.Engine.Runtime.CancelAsync(started);
    }
}
