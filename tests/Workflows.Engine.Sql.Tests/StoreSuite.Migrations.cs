using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>Issue 16, item 4: a migration is stored whole on every store, and another engine continues on the target version.</summary>
public abstract partial class StoreSuite
{
    private static string Migrating(string task, string receive) => Process("migrating", $"""
        <bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>
        {UserTask(task, """<bpmn:extensionElements><wf:sla target="PT4H"/></bpmn:extensionElements>""")}
        <bpmn:boundaryEvent id="late" attachedToRef="{task}" cancelActivity="false"><bpmn:timerEventDefinition><bpmn:timeDuration>PT2H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
        {UserTask("chase")}<bpmn:receiveTask id="{receive}" messageRef="m"/>{UserTask("read")}
        {Chain("start", "fork", task)}{Chain("fork", receive, "read")}{Chain("late", "chase")}
        """, Message("m", "reply", "=caseId"));

    [Test]
    public async Task A_migration_is_stored_whole_and_another_engine_continues_on_the_target_with_due_times_kept()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Migrating("register", "reply"));
        var started = await h.StartAsync("migrating", Vars(("caseId", "M-1")));
        var task = (await started.UserTasksAsync()).Single();
        var clock = (await started.ClocksAsync()).Single();
        await h.AdvanceTimeAsync(TimeSpan.FromHours(1));
        await h.DeployAsync(Migrating("register_complaint", "answer"));
        await h.ApproveAsync("migrating", 2); // a migration targets only an approved version
        await h.Engine.Operations.MigrateAsync(started.Id, new MigrationPlan("migrating", 2)
        {
            Mappings = [new ElementMapping("register", "register_complaint"), new ElementMapping("reply", "answer")],
        }, "renamed", "olga");

        var other = await HarnessAsync();
        other.Clock.SetUtcNow(h.Clock.GetUtcNow());
        var instance = other.Instance(started.Id);
        var migrated = (await instance.UserTasksAsync()).Single();
        var migratedClock = (await instance.ClocksAsync()).Single();
        await other.AdvanceTimeAsync(TimeSpan.FromMinutes(59));
        var beforeDue = await instance.ActiveElementsAsync();
        await other.AdvanceTimeAsync(TimeSpan.FromMinutes(1));
        await other.CorrelateAsync("reply", "M-1");

        using (Assert.EnterMultipleScope())
        {
            Assert.That((migrated.Id, migrated.ElementId, migrated.Name), Is.EqualTo((task.Id, "register_complaint", "register_complaint")));
            Assert.That((migratedClock.Id, migratedClock.ElementId, migratedClock.TargetAt), Is.EqualTo((clock.Id, "register_complaint", clock.TargetAt)));
            Assert.That((await instance.SnapshotAsync()).Version, Is.EqualTo(2));
            Assert.That(beforeDue, Is.EqualTo(new[] { "answer", "register_complaint" }));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "chase", "read", "register_complaint" }), "the timer fired at its first due time; the subscription was carried over");
            Assert.That((await h.Engine.Queries.QueryInstancesAsync(new InstanceQuery { ProcessId = "migrating", Version = 2 })).Select(i => i.Id), Is.EqualTo(new[] { started.Id }), "the instance row says the new version");
        }
    }
}
