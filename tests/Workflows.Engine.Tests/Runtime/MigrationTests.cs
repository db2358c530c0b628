using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>Issue 16, item 4: process instance migration, the cases Camunda 8's migration tests cover that apply here.</summary>
public sealed class MigrationTests
{
    private const string Sla = """<bpmn:extensionElements><wf:sla target="PT4H"/></bpmn:extensionElements>""";

    private static readonly string s_v1 = Process("case", $"""
        <bpmn:startEvent id="start"/>{UserTask("register", Sla)}{UserTask("respond")}<bpmn:endEvent id="end"/>
        {Chain("start", "register", "respond", "end")}
        """);

    // register renamed (and renamed in its name), a new step before respond
    private static readonly string s_v2 = Process("case", $"""
        <bpmn:startEvent id="start"/>{UserTask("register_complaint", Sla)}{UserTask("check")}{UserTask("respond")}<bpmn:endEvent id="end"/>
        {Chain("start", "register_complaint", "check", "respond", "end")}
        """);

    private static readonly MigrationPlan s_plan = new("case", 2) { Mappings = [new ElementMapping("register", "register_complaint")] };

    [Test]
    public async Task A_mapped_task_keeps_its_id_assignee_and_clock_due_time_and_the_instance_continues_on_the_new_version()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_v1);
        var instance = await h.StartAsync("case");
        var task = (await instance.UserTasksAsync()).Single();
        await h.Engine.Tasks.ClaimAsync(task.Id, "ana");
        var clockBefore = (await instance.ClocksAsync()).Single();
        await h.AdvanceTimeAsync(TimeSpan.FromHours(1));
        await h.DeployAsync(s_v2);

        await h.ApproveAsync("case", 2); // a migration targets only an approved version
        await h.Engine.Operations.MigrateAsync(instance.Id, s_plan, "register renamed", "olga");

        var migrated = (await instance.UserTasksAsync()).Single();
        var clockAfter = (await instance.ClocksAsync()).Single();
        var entry = (await instance.HistoryAsync()).Single(e => e.Kind == "instance-migrated");
        using (Assert.EnterMultipleScope())
        {
            Assert.That((migrated.Id, migrated.ElementId, migrated.Name, migrated.Assignee), Is.EqualTo((task.Id, "register_complaint", "register_complaint", "ana")));
            Assert.That((clockAfter.Id, clockAfter.ElementId, clockAfter.TargetAt), Is.EqualTo((clockBefore.Id, "register_complaint", clockBefore.TargetAt)), "the clock keeps its due time");
            Assert.That((await instance.SnapshotAsync()).Version, Is.EqualTo(2));
            Assert.That((entry.Actor, entry.Detail), Is.EqualTo(("olga", "version 1 → 2 | register renamed | register → register_complaint")));
        }

        await instance.CompleteUserTaskAsync("register_complaint");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "check" }), "the new step runs");
    }

    [Test]
    public async Task A_dry_run_lists_every_reason_per_instance_and_changes_nothing()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("mix", $"""
            <bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="route"/>
            {UserTask("a")}{UserTask("gone")}{UserTask("typed")}
            <bpmn:parallelGateway id="fork"/>{UserTask("left")}<bpmn:parallelGateway id="join"/>{UserTask("after")}
            {UserTask("watched")}
            <bpmn:boundaryEvent id="chase" attachedToRef="watched" cancelActivity="false"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
            {Chain("start", "route")}{Flow("route", "a", "=path = \"a\"")}{Flow("route", "gone", "=path = \"gone\"")}{Flow("route", "typed", "=path = \"typed\"")}
            {Flow("route", "fork", "=path = \"fork\"")}{Flow("route", "watched", "=path = \"watched\"")}
            {Chain("fork", "left", "join")}{Flow("fork", "join", id: "straight")}{Chain("join", "after")}
            """));
        await h.DeployAsync(Process("mix", $"""
            <bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="route"/>
            {UserTask("a")}{ServiceTask("typed", "robot")}
            <bpmn:parallelGateway id="fork"/>{UserTask("left")}<bpmn:parallelGateway id="join"/>{UserTask("after")}
            {UserTask("watched")}
            {Chain("start", "route")}{Flow("route", "a", "=path = \"a\"")}{Flow("route", "typed", "=path = \"typed\"")}
            {Flow("route", "fork", "=path = \"fork\"")}{Flow("route", "watched", "=path = \"watched\"")}
            {Chain("fork", "left", "join")}{Flow("fork", "join", id: "straight")}{Chain("join", "after")}
            """));
        var started = new Dictionary<string, Guid>();
        foreach (var path in new[] { "a", "gone", "typed", "fork", "watched" })
        {
            started[path] = (await h.Engine.Runtime.StartAsync(new StartInstance("mix") { Version = 1, Variables = Vars(("path", path)) }));
        }

        await h.ApproveAsync("mix", 2); // a migration targets only an approved version
        var preview = await h.Engine.Operations.PreviewMigrationAsync(new MigrationPlan("mix", 2));
        var by = preview.Instances.ToDictionary(i => i.InstanceId);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(preview.Instances, Has.Count.EqualTo(5));
            Assert.That(preview.Migratable, Is.EqualTo(1));
            Assert.That(by[started["a"]].Moves, Is.EqualTo(new[] { "a (same id)" }));
            Assert.That(by[started["gone"]].Reasons, Is.EqualTo(new[] { "'gone' is active and version 2 has no element 'gone': map it to one" }));
            Assert.That(by[started["typed"]].Reasons.Single(), Does.StartWith("'typed' is a userTask and 'typed' in version 2 is a serviceTask"));
            Assert.That(by[started["fork"]].Reasons.Single(), Does.StartWith("the joining gateway 'join' has 1 token(s) waiting (from straight)"));
            Assert.That(by[started["watched"]].Reasons.Single(), Does.StartWith("'chase' (timer) is open on 'watched', and version 2 has no such event at 'watched'"));
            Assert.That((await h.Instance(started["a"]).SnapshotAsync()).Version, Is.EqualTo(1), "a dry run changes nothing");
        }
    }

    [Test]
    public async Task A_boundary_timer_keeps_its_due_time_a_new_boundary_event_is_opened_and_a_receive_task_keeps_its_subscription()
    {
        var h = new ProcessTestHarness();
        var timer = """<bpmn:boundaryEvent id="late" attachedToRef="{0}"><bpmn:timerEventDefinition><bpmn:timeDuration>PT2H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>""";
        await h.DeployAsync(Process("wait", $"""
            <bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>{UserTask("work")}
            {string.Format(System.Globalization.CultureInfo.InvariantCulture, timer, "work")}{UserTask("chase")}
            <bpmn:receiveTask id="reply" messageRef="m"/>
            {Chain("start", "fork", "work")}{Chain("fork", "reply")}{Chain("late", "chase")}
            """, Message("m", "reply", "=caseId")));
        await h.DeployAsync(Process("wait", $"""
            <bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>{UserTask("work")}
            {string.Format(System.Globalization.CultureInfo.InvariantCulture, timer, "work")}{UserTask("chase")}
            <bpmn:boundaryEvent id="cancelled" attachedToRef="work"><bpmn:messageEventDefinition messageRef="c"/></bpmn:boundaryEvent>{UserTask("closed")}
            <bpmn:receiveTask id="answer" messageRef="m"/>{UserTask("read")}
            {Chain("start", "fork", "work")}{Chain("fork", "answer", "read")}{Chain("late", "chase")}{Chain("cancelled", "closed")}
            """, Message("m", "reply", "=caseId") + Message("c", "cancel", "=caseId")));
        var instance = await h.Engine.Runtime.StartAsync(new StartInstance("wait") { Version = 1, Variables = Vars(("caseId", "W-1")) });
        var handle = h.Instance(instance);
        await h.AdvanceTimeAsync(TimeSpan.FromHours(1));

        await h.ApproveAsync("wait", 2); // a migration targets only an approved version
        var preview = await h.Engine.Operations.PreviewMigrationAsync(new MigrationPlan("wait", 2) { Mappings = [new ElementMapping("reply", "answer")] });
        await h.Engine.Operations.MigrateAsync(instance, new MigrationPlan("wait", 2) { Mappings = [new ElementMapping("reply", "answer")] }, "new cancel path");
        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(59));
        var beforeDue = await handle.ActiveElementsAsync();
        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(1));
        var afterDue = await handle.ActiveElementsAsync();
        await h.CorrelateAsync("reply", "W-1");
        await h.CorrelateAsync("cancel", "W-1");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(preview.Instances.Single().Moves, Is.EqualTo(new[] { "work (same id)", "opens cancelled on work", "reply → answer" }));
            Assert.That(beforeDue, Is.EqualTo(new[] { "answer", "work" }), "the timer did not restart: it is due two hours after the start");
            Assert.That(afterDue, Is.EqualTo(new[] { "answer", "chase" }));
        }

        Assert.That(await handle.ActiveElementsAsync(), Is.EqualTo(new[] { "chase", "read" }), "the receive task's subscription was carried over; the cancel boundary had ended with its task");
    }

    [Test]
    public async Task A_plan_that_does_not_fit_its_target_is_refused_whole_and_an_unknown_version_is_not_found()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_v1);
        await h.DeployAsync(s_v2);

        await h.ApproveAsync("case", 2); // a migration targets only an approved version
        var misfit = Assert.ThrowsAsync<WorkflowInputException>(() => h.Engine.Operations.PreviewMigrationAsync(
            new MigrationPlan("case", 2) { Mappings = [new ElementMapping("register", "nowhere"), new ElementMapping("register", "check"), new ElementMapping("ghost", "check")] },
            new BatchSelection { Version = 1 }));
        var missing = Assert.ThrowsAsync<WorkflowNotFoundException>(() => h.Engine.Operations.PreviewMigrationAsync(new MigrationPlan("case", 9)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(misfit!.Message, Does.Contain("mappings[0]: version 2 of 'case' has no element 'nowhere'"));
            Assert.That(misfit.Message, Does.Contain("mappings[1]: 'register' is mapped twice"));
            Assert.That(misfit.Message, Does.Contain("mappings[2]: version 1 of 'case' has no element 'ghost'"));
            Assert.That(missing!.Message, Does.Contain("no version 9"));
        }
    }

    [Test]
    public async Task An_element_moved_to_another_scope_and_an_open_incident_are_reasons()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("scoped", $"""
            <bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>{UserTask("a")}
            <bpmn:exclusiveGateway id="stuck"/>{UserTask("never")}
            {Chain("start", "fork", "a")}{Chain("fork", "stuck")}{Flow("stuck", "never", "=false")}
            """));
        await h.DeployAsync(Process("scoped", $"""
            <bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>
            <bpmn:subProcess id="sp"><bpmn:startEvent id="sp_start"/>{UserTask("a")}{Chain("sp_start", "a")}</bpmn:subProcess>
            <bpmn:exclusiveGateway id="stuck"/>{UserTask("never")}
            {Chain("start", "fork", "sp")}{Chain("fork", "stuck")}{Flow("stuck", "never", "=false")}
            """));
        var instance = await h.Engine.Runtime.StartAsync(new StartInstance("scoped") { Version = 1 });

        await h.ApproveAsync("scoped", 2); // a migration targets only an approved version
        var reasons = Assert.ThrowsAsync<MigrationRefusedException>(() => h.Engine.Operations.MigrateAsync(instance, new MigrationPlan("scoped", 2), "wrap a"))!.Reasons;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reasons, Has.Count.EqualTo(2));
            Assert.That(reasons[0], Does.StartWith("'a' runs in 'scoped', and 'a' in version 2 is in 'sp', not in 'scoped'"));
            Assert.That(reasons[1], Does.StartWith("'stuck' has an open incident"));
            Assert.That((await h.Instance(instance).SnapshotAsync()).Version, Is.EqualTo(1));
        }
    }

    [Test]
    public async Task An_instance_moves_only_to_the_version_its_branch_runs()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_v1);
        await h.ApproveAsync("case", 1); // a branch pins only an approved version
        await h.Engine.Branches.SaveAsync(new Branch("lyon-02", "Lyon") { Pins = new Dictionary<string, int> { ["case"] = 1 } });
        var instance = await h.Engine.Runtime.StartAsync(new StartInstance("case") { Branch = "lyon-02" });
        await h.DeployAsync(s_v2);
        await h.ApproveAsync("case", 2); // approved, but the branch still runs version 1

        var refused = Assert.ThrowsAsync<MigrationRefusedException>(() => h.Engine.Operations.MigrateAsync(instance, s_plan, "too early"));
        await h.Engine.Branches.UpdateAsync("lyon-02", b => b with { Pins = new Dictionary<string, int> { ["case"] = 2 } });
        await h.Engine.Operations.MigrateAsync(instance, s_plan, "pinned now");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused!.Reasons.Single(), Is.EqualTo("branch 'lyon-02' runs version 1 of 'case', not 2: pin version 2 for the branch first"));
            Assert.That((await h.Instance(instance).SnapshotAsync()).Version, Is.EqualTo(2));
        }
    }

    [Test]
    public async Task A_migrate_batch_migrates_what_fits_fails_the_rest_with_their_reasons_and_skips_what_already_moved()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_v1);
        var atRegister = await h.StartAsync("case");
        var atRespond = await h.StartAsync("case");
        await atRespond.CompleteUserTaskAsync("register");
        var gone = await h.StartAsync("case");
        await h.DeployAsync(Process("case", $"""
            <bpmn:startEvent id="start"/>{UserTask("register_complaint", Sla)}<bpmn:endEvent id="end"/>{Chain("start", "register_complaint", "end")}
            """));
        await h.ApproveAsync("case", 2); // a migration targets only an approved version
        await h.Engine.Operations.MigrateAsync(gone.Id, s_plan, "first");

        var batch = await h.Engine.Operations.CreateBatchAsync(new CreateBatch(BatchKind.Migrate, new BatchSelection(), "respond dropped") { Actor = "olga", Migration = s_plan });
        await h.Engine.Worker.RunBatchItemsAsync();
        var info = await h.Engine.Operations.GetBatchAsync(batch.Id);
        var results = (await h.Engine.Operations.GetBatchResultsAsync(batch.Id)).ToDictionary(r => r.InstanceId);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((info.Kind, info.State, info.Total, info.Done, info.Failed, info.Skipped), Is.EqualTo((BatchKind.Migrate, BatchState.Completed, 3, 1, 1, 1)));
            Assert.That(results[atRegister.Id].Status, Is.EqualTo(BatchItemStatus.Done));
            Assert.That(results[atRespond.Id].Detail, Does.Contain("'respond' is active and version 2 has no element 'respond'"));
            Assert.That(results[gone.Id].Detail, Is.EqualTo("the instance already runs version 2"));
            Assert.That((await atRegister.HistoryAsync()).Single(e => e.Kind == "instance-migrated").Actor, Is.EqualTo("olga"));
            Assert.That((await atRespond.SnapshotAsync()).Version, Is.EqualTo(1));
        }
    }
}
