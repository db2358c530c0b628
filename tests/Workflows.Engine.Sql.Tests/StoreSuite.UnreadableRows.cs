using NUnit.Framework;
using Workflows.Engine.Calendars;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// What the rows of an instance whose stored state cannot be read still say, on every store: its SLA clocks are parked
/// with its jobs and timers, it has at most one open incident for its state, and the instances it called are found by
/// their rows and ended with it.
/// </summary>
public abstract partial class StoreSuite
{
    // A caller calling a called process, which calls a third: each waits at the next, the last at a user task.
    private static async Task<(string Caller, string Called, string Deepest)> DeployCallChainAsync(ProcessTestHarness h)
    {
        var (caller, called, deepest) = (Unique("caller"), Unique("called"), Unique("deepest"));
        static string Call(string processId) =>
            $"""<bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="{processId}"/></bpmn:extensionElements></bpmn:callActivity>""";
        await h.DeployAsync(Process(deepest, $"""<bpmn:startEvent id="start"/>{UserTask("deep")}<bpmn:endEvent id="end"/>{Chain("start", "deep", "end")}"""));
        await h.DeployAsync(Process(called, $"""<bpmn:startEvent id="start"/>{Call(deepest)}<bpmn:endEvent id="end"/>{Chain("start", "call", "end")}"""));
        await h.DeployAsync(Process(caller, $"""<bpmn:startEvent id="start"/>{Call(called)}<bpmn:endEvent id="end"/>{Chain("start", "call", "end")}"""));
        return (caller, called, deepest);
    }

    private static async Task<ProcessInstanceStatus> StatusByRowsAsync(ProcessTestHarness h, Guid id) =>
        (await h.Engine.Inspection.InspectAsync(id)).Instance.Status;

    [Test]
    public async Task The_SLA_clock_of_an_unreadable_instance_is_parked_with_its_work_and_runs_again_once_its_incident_is_resolved()
    {
        var h = await HarnessAsync();
        var id = Unique("clocked");
        await h.DeployAsync(Process(id, $"""
            <bpmn:startEvent id="start"/>
            <bpmn:userTask id="answer"><bpmn:extensionElements><wf:sla target="PT1H" warnings="50%"/></bpmn:extensionElements></bpmn:userTask>
            <bpmn:endEvent id="end"/>
            {Chain("start", "answer", "end")}
            """));
        var instance = await h.StartAsync(id);
        await PoisonAsync(instance.Id);

        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(40)); // its warning is due at 30 minutes: the clock meets the state
        h.Clock.Advance(TimeSpan.FromMinutes(30)); // lease time alone, past any worker's lease, nothing run
        var now = h.Clock.GetUtcNow();
        // Lease until long ago: the probe holds nothing it claims, so no other test's clock waits for it.
        var claimable = await NewStore().ClaimDueClocksAsync(now, 10_000, "probe", now, DateTimeOffset.UnixEpoch, default);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(claimable.Where(c => c.InstanceId == instance.Id), Is.Empty, "parked: no poller is handed it again");
            Assert.That(await instance.IncidentsAsync(), Has.Count.EqualTo(1));
        }

        await RepairAsync(instance.Id);
        await h.Engine.Runtime.ResolveIncidentAsync((await instance.IncidentsAsync()).Single().Id);
        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(1));
        Assert.That((await instance.HistoryAsync()).Select(e => e.Kind), Does.Contain("clock-breached"), "given back: due since, it fires");
    }

    [Test]
    public void A_second_open_incident_for_an_instances_unreadable_state_is_refused_by_the_store_and_other_incidents_are_not()
    {
        var store = NewStore();
        var instanceId = Guid.NewGuid();
        var at = ProcessTestHarness.DefaultStart;
        ChangeSet Raise(long elementKey)
        {
            var changes = new ChangeSet();
            changes.IncidentsCreated.Add(new IncidentRecord(Guid.NewGuid(), instanceId, elementKey, "p", "state", at, null));
            return changes;
        }

        Assert.That(async () => await store.CommitAsync(Raise(IncidentRecord.InstanceStateKey), default), Throws.Nothing);
        Assert.That(async () => await store.CommitAsync(Raise(7), default), Throws.Nothing);
        Assert.That(async () => await store.CommitAsync(Raise(7), default), Throws.Nothing, "an element's incidents are guarded by its instance's row");
        Assert.That(async () => await store.CommitAsync(Raise(IncidentRecord.InstanceStateKey), default), Throws.TypeOf<ConcurrencyConflictException>());
    }

    [Test]
    public async Task An_operators_cancel_of_an_unreadable_caller_terminates_the_instances_it_called_found_by_their_rows()
    {
        var h = await HarnessAsync();
        var (caller, called, deepest) = await DeployCallChainAsync(h);
        var top = await h.StartAsync(caller);
        var middle = (await h.InstancesOfAsync(called)).Single();
        var bottom = (await h.InstancesOfAsync(deepest)).Single();
        await PoisonAsync(top.Id);

        var inspection = await h.Engine.Inspection.InspectAsync(top.Id);
        await h.Engine.Runtime.CancelAsync(top.Id, "otto");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(inspection.WaitPoints.Where(w => w.Kind == "call").Select(w => (w.ElementId, w.Id, w.Name)), Is.EqualTo(new[] { ("call", middle.Id, called) }),
                "the instance it called, by its row, at the call its history names");
            Assert.That(await StatusByRowsAsync(h, top.Id), Is.EqualTo(ProcessInstanceStatus.Cancelled));
            Assert.That(await middle.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Terminated));
            Assert.That(await bottom.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Terminated), "and the one that called in turn, through its state");
            Assert.That(await bottom.UserTasksAsync(), Is.Empty);
        }
    }

    [Test]
    public async Task An_unreadable_instance_called_by_an_unreadable_caller_is_ended_by_its_rows_and_what_it_called_with_it()
    {
        var h = await HarnessAsync();
        var (caller, called, deepest) = await DeployCallChainAsync(h);
        var top = await h.StartAsync(caller);
        var middle = (await h.InstancesOfAsync(called)).Single();
        var bottom = (await h.InstancesOfAsync(deepest)).Single();
        await PoisonAsync(top.Id);
        await PoisonAsync(middle.Id);

        await h.Engine.Runtime.CancelAsync(top.Id, "otto");
        var middleHistory = (await NewStore().GetHistoryAsync(middle.Id, default))[^1];

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await StatusByRowsAsync(h, top.Id), Is.EqualTo(ProcessInstanceStatus.Cancelled));
            Assert.That(await StatusByRowsAsync(h, middle.Id), Is.EqualTo(ProcessInstanceStatus.Terminated));
            Assert.That(middleHistory.Kind, Is.EqualTo("instance-terminated"));
            Assert.That(middleHistory.Detail, Does.Contain("by its rows").And.Contain("'evil'"));
            Assert.That(middleHistory.Actor, Is.EqualTo("otto"));
            Assert.That(await bottom.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Terminated), "found by the rows of the unreadable one it was called by");
            Assert.That(await bottom.UserTasksAsync(), Is.Empty);
        }
    }

    [Test]
    public async Task A_cancel_batch_ends_an_unreadable_instance_by_its_rows_with_the_batchs_reason_and_what_it_called()
    {
        var h = await HarnessAsync();
        var (caller, called, _) = await DeployCallChainAsync(h);
        var top = await h.StartAsync(caller);
        var middle = (await h.InstancesOfAsync(called)).Single();
        await PoisonAsync(top.Id);

        var batch = await h.Engine.Operations.CreateBatchAsync(new CreateBatch(BatchKind.Cancel, new BatchSelection { InstanceIds = [top.Id] }, "state lost") { Actor = "olga" });
        await h.Engine.Worker.RunBatchItemsAsync();
        var results = await h.Engine.Operations.GetBatchResultsAsync(batch.Id);
        var cancelled = (await NewStore().GetHistoryAsync(top.Id, default))[^1];

        using (Assert.EnterMultipleScope())
        {
            Assert.That(results.Select(r => (r.InstanceId, r.Status, r.Detail)), Is.EqualTo(new[] { (top.Id, BatchItemStatus.Done, (string?)null) }));
            Assert.That(await StatusByRowsAsync(h, top.Id), Is.EqualTo(ProcessInstanceStatus.Cancelled));
            Assert.That((cancelled.Kind, cancelled.Actor), Is.EqualTo(("instance-cancelled", "olga")));
            Assert.That(cancelled.Detail, Does.StartWith($"state lost | cancel by batch {batch.Id} | by its rows"));
            Assert.That(await middle.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Terminated));
        }
    }

    [Test]
    public async Task Next_task_reaches_past_the_tasks_of_unreadable_instances_at_the_head_of_the_queue()
    {
        var h = await HarnessAsync();
        var (id, queue) = (Unique("queued"), Unique("q"));
        var queued = UserTask("t", $"""<bpmn:extensionElements><wf:userTask candidateGroups="{queue}"/></bpmn:extensionElements>""");
        await h.DeployAsync(Process(id, $"""<bpmn:startEvent id="start"/>{queued}{Chain("start", "t")}"""));
        var broken = new List<Guid>();
        for (var i = 0; i < 10; i++)
        {
            broken.Add((await h.StartAsync(id)).Id); // older: ahead in the queue
        }

        h.Clock.Advance(TimeSpan.FromMinutes(1));
        var healthy = await h.StartAsync(id);
        foreach (var instance in broken)
        {
            await PoisonAsync(instance);
        }

        var claimed = await h.Engine.Tasks.ClaimNextAsync("agent-1", [queue]);
        var nothing = await h.Engine.Tasks.ClaimNextAsync("agent-2", [queue]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(claimed?.InstanceId, Is.EqualTo(healthy.Id), "the healthy task behind the broken ones");
            Assert.That(nothing, Is.Null, "only broken tasks are left: no task, not a refusal after a hundred tries");
        }
    }

    [Test]
    public async Task A_migration_preview_shows_an_unreadable_instance_as_one_that_cannot_move_and_the_others_as_usual()
    {
        var h = await HarnessAsync();
        var id = Unique("moving");
        await h.DeployAsync(Process(id, $"""<bpmn:startEvent id="start"/>{UserTask("t")}{Chain("start", "t")}"""));
        var broken = await h.StartAsync(id);
        var healthy = await h.StartAsync(id);
        await h.DeployAsync(Process(id, $"""<bpmn:startEvent id="start"/>{UserTask("t")}{UserTask("after")}{Chain("start", "t", "after")}"""));
        await h.ApproveAsync(id, 2); // a migration targets only an approved version
        await PoisonAsync(broken.Id);

        var preview = await h.Engine.Operations.PreviewMigrationAsync(new MigrationPlan(id, 2));
        var by = preview.Instances.ToDictionary(i => i.InstanceId);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(by.Keys, Is.EquivalentTo(new[] { broken.Id, healthy.Id }));
            Assert.That(by[broken.Id].CanMigrate, Is.False);
            Assert.That(by[broken.Id].Reasons, Has.One.Contains("its stored state cannot be read").And.One.Contains("'evil'"));
            Assert.That(by[healthy.Id].CanMigrate, Is.True);
        }
    }

    [Test]
    public async Task A_calendar_change_moves_the_clocks_of_readable_instances_passes_over_an_unreadable_one_and_refuses_a_week_without_working_time()
    {
        var layer = Unique("cal");
        IReadOnlyDictionary<DayOfWeek, IReadOnlyList<WorkingInterval>> Week(string? hours) =>
            Enum.GetValues<DayOfWeek>().ToDictionary(d => d, IReadOnlyList<WorkingInterval> (_) => hours is null ? [] : [WorkingInterval.Parse(hours)]);
        var h = await HarnessAsync(o => o.Calendars.Add(new CalendarLayer(layer, DateTimeOffset.MinValue) { TimeZone = "UTC", Week = Week("09:00-17:00") }));
        var id = Unique("cal-p");
        await h.DeployAsync(Process(id, $"""
            <bpmn:startEvent id="start"/><bpmn:userTask id="t"><bpmn:extensionElements><wf:sla target="16 working hours" calendar="{layer}"/></bpmn:extensionElements></bpmn:userTask>{Chain("start", "t")}
            """));
        var broken = await h.StartAsync(id);
        var healthy = await h.StartAsync(id);
        var before = (await healthy.ClocksAsync()).Single().TargetAt;
        await PoisonAsync(broken.Id);
        var now = h.Clock.GetUtcNow();

        var moved = await h.Engine.ServiceLevels.ChangeCalendarAsync(new CalendarLayer(layer, now) { TimeZone = "UTC", Week = Week("09:00-17:00"), Holidays = [DateOnly.FromDateTime(now.UtcDateTime.AddDays(1))] }, "bruno");
        var closed = Assert.ThrowsAsync<WorkflowInputException>(() => h.Engine.ServiceLevels.ChangeCalendarAsync(new CalendarLayer(layer, now) { TimeZone = "UTC", Week = Week(null) }, "bruno"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(moved, Is.EqualTo(1), "the readable instance's clock");
            Assert.That((await healthy.ClocksAsync()).Single().TargetAt, Is.GreaterThan(before!.Value), "moved past the new holiday");
            Assert.That(await broken.IncidentsAsync(), Has.Count.EqualTo(1), "the unreadable one is its own incident");
            Assert.That(closed.Message, Does.Contain(layer).And.Contain("no working time"));
        }
    }
}

