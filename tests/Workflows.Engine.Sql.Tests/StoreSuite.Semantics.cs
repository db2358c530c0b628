using NUnit.Framework;
using Workflows.Engine.Storage;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>Issue 13, part 1: the message and subscription semantics whose state the store keeps, on every database.</summary>
public abstract partial class StoreSuite
{
    [Test]
    public async Task A_non_interrupting_message_boundary_keeps_its_subscription_row_and_fires_on_every_message()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Process("sem-boundary", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("work")}
            <bpmn:boundaryEvent id="again" attachedToRef="work" cancelActivity="false"><bpmn:messageEventDefinition messageRef="m"/></bpmn:boundaryEvent>
            {UserTask("note")}
            {Chain("start", "work")}{Chain("again", "note")}
            """, Message("m", "sem-more-info", "=caseId")));
        var instance = await h.StartAsync("sem-boundary", Vars(("caseId", "B-1")));

        await h.CorrelateAsync("sem-more-info", "B-1");
        await h.CorrelateAsync("sem-more-info", "B-1");

        Assert.That((await instance.UserTasksAsync()).Count(t => t.ElementId == "note"), Is.EqualTo(2));
    }
    private static string WaitingForPayment(string processId) => Process(processId, $"""
        <bpmn:startEvent id="start"/>
        <bpmn:intermediateCatchEvent id="paid"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
        {UserTask("ship")}
        {Chain("start", "paid", "ship")}
        """, Message("m", "sem-payment", "=orderId"));

    [Test]
    public async Task A_message_moves_one_waiting_instance_per_process_and_a_buffered_one_is_taken_once_per_process()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(WaitingForPayment("sem-order"));
        await h.DeployAsync(WaitingForPayment("sem-invoice"));
        var first = await h.StartAsync("sem-order", Vars(("orderId", "S-1")));
        var second = await h.StartAsync("sem-order", Vars(("orderId", "S-1")));

        var one = await h.CorrelateAsync("sem-payment", "S-1");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(one.CorrelatedInstances, Is.EqualTo(1));
            Assert.That(await first.ActiveElementsAsync(), Is.EqualTo(new[] { "ship" }));
            Assert.That(await second.ActiveElementsAsync(), Is.EqualTo(new[] { "paid" }));
        }

        await h.CorrelateAsync("sem-payment", "S-2", timeToLive: TimeSpan.FromHours(1));
        var third = await h.StartAsync("sem-order", Vars(("orderId", "S-2")));
        var fourth = await h.StartAsync("sem-order", Vars(("orderId", "S-2")));
        var invoice = await h.StartAsync("sem-invoice", Vars(("orderId", "S-2")));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await third.ActiveElementsAsync(), Is.EqualTo(new[] { "ship" }));
            Assert.That(await fourth.ActiveElementsAsync(), Is.EqualTo(new[] { "paid" }), "the buffered message was taken by this process already");
            Assert.That(await invoice.ActiveElementsAsync(), Is.EqualTo(new[] { "ship" }));
        }
    }
    [Test]
    public async Task A_buffered_message_taken_by_the_first_of_two_consecutive_catches_is_not_taken_by_the_second_on_the_database()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Process("sem-twice", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("first")}
            <bpmn:intermediateCatchEvent id="one"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
            <bpmn:intermediateCatchEvent id="two"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
            {UserTask("done")}
            {Chain("start", "first", "one", "two", "done")}
            """, Message("m", "sem-twice", "=orderId")));
        var instance = await h.StartAsync("sem-twice", Vars(("orderId", "T-1")));
        await h.CorrelateAsync("sem-twice", "T-1", timeToLive: TimeSpan.FromHours(1));

        await instance.CompleteUserTaskAsync("first");

        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "two" }));
    }

    private protected static string StartedByMessage(string processId, string messageName) => Process(processId, $"""
        <bpmn:startEvent id="received"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>
        {UserTask("handle")}
        {Chain("received", "handle")}
        """, $"""<bpmn:message id="m" name="{messageName}"/>""");

    [Test]
    public async Task A_unique_business_key_is_refused_while_an_active_instance_has_it_and_free_again_once_it_ends()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Process("sem-unique", $"""<bpmn:startEvent id="s"/>{UserTask("handle")}<bpmn:endEvent id="e"/>{Chain("s", "handle", "e")}"""));
        var store = NewStore();
        var start = new StartInstance("sem-unique") { BusinessKey = "CASE-1", UniqueBusinessKey = true };
        var first = h.Instance(await h.Engine.Runtime.StartAsync(start));
        var held = await store.GetMessageStartLockAsync("sem-unique", "CASE-1", default);
        var refused = Assert.ThrowsAsync<BusinessKeyInUseException>(() => h.Engine.Runtime.StartAsync(start));
        var otherKey = await h.Engine.Runtime.StartAsync(start with { BusinessKey = "CASE-2" });
        await first.CompleteUserTaskAsync("handle");
        var freed = await store.GetMessageStartLockAsync("sem-unique", "CASE-1", default);
        var again = await h.Engine.Runtime.StartAsync(start);
        await h.Engine.Runtime.CancelAsync(again);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(held?.InstanceId, Is.EqualTo(first.Id), "the start holds its key");
            Assert.That(refused?.Message, Does.Contain("'CASE-1'").And.Contain(first.Id.ToString()));
            Assert.That(otherKey, Is.Not.EqualTo(Guid.Empty));
            Assert.That(freed, Is.Null, "the instance let go of its key as it ended");
            Assert.That(await store.GetMessageStartLockAsync("sem-unique", "CASE-1", default), Is.Null, "cancelling lets go too");
            Assert.That(await store.GetMessageStartLockAsync("sem-unique", "CASE-2", default), Is.Not.Null);
        }
    }

    [Test]
    public async Task A_unique_start_is_refused_while_an_active_instance_started_without_uniqueness_has_the_key()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Process("sem-unique-old", $"""<bpmn:startEvent id="s"/>{UserTask("handle")}<bpmn:endEvent id="e"/>{Chain("s", "handle", "e")}"""));
        var earlier = await h.StartAsync("sem-unique-old", businessKey: "CASE-9");

        var refused = Assert.ThrowsAsync<BusinessKeyInUseException>(() =>
            h.Engine.Runtime.StartAsync(new StartInstance("sem-unique-old") { BusinessKey = "CASE-9", UniqueBusinessKey = true }));

        Assert.That(refused?.InstanceId, Is.EqualTo(earlier.Id));
    }

    [Test]
    public async Task A_unique_start_is_refused_while_the_other_offices_journey_started_with_the_key_is_active_even_after_the_case_ended()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Process("sem-unique-front", $"""<bpmn:startEvent id="s"/>{UserTask("handle")}<bpmn:endEvent id="e"/>{Chain("s", "handle", "e")}"""));
        await h.DeployAsync(StartedByMessage("sem-unique-back", "sem-unique-escalated"));
        var start = new StartInstance("sem-unique-front") { BusinessKey = "CASE-7", UniqueBusinessKey = true };
        var front = await h.Engine.Runtime.StartAsync(start);
        await h.CorrelateAsync("sem-unique-escalated", "CASE-7", Vars(("x", 1)));
        var back = (await h.InstancesOfAsync("sem-unique-back")).Single();
        await h.Engine.Runtime.CancelAsync(front);

        var refused = Assert.ThrowsAsync<BusinessKeyInUseException>(() => h.Engine.Runtime.StartAsync(start));
        await back.CompleteUserTaskAsync("handle");
        var again = await h.Engine.Runtime.StartAsync(start);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused?.InstanceId, Is.EqualTo(back.Id), "the back office's answer would reach the new case");
            Assert.That(again, Is.Not.EqualTo(front));
        }
    }

    [Test]
    public async Task A_message_started_instance_holds_its_key_until_it_ends_and_hands_it_to_the_next_buffered_message()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(StartedByMessage("sem-start", "sem-start-placed"));
        var store = NewStore();
        await h.CorrelateAsync("sem-start-placed", "K-1", Vars(("x", 1)));
        var first = (await h.InstancesOfAsync("sem-start")).Single();
        var heldByFirst = await store.GetMessageStartLockAsync("sem-start", "K-1", default);

        var kept = await h.CorrelateAsync("sem-start-placed", "K-1", Vars(("x", 2)), timeToLive: TimeSpan.FromHours(1));
        var touched = await store.GetMessageStartLockAsync("sem-start", "K-1", default);
        await first.CompleteUserTaskAsync("handle");
        var second = (await h.InstancesOfAsync("sem-start")).Single(i => i.Id != first.Id);
        var heldBySecond = await store.GetMessageStartLockAsync("sem-start", "K-1", default);
        await second.CompleteUserTaskAsync("handle");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(heldByFirst?.InstanceId, Is.EqualTo(first.Id));
            Assert.That(kept.StartedInstances, Is.Zero);
            Assert.That(touched?.Revision, Is.EqualTo(heldByFirst?.Revision + 1), "the message kept waiting raised the lock's revision");
            Assert.That(await second.VariableAsync("x"), Is.EqualTo(2m));
            Assert.That(heldBySecond?.InstanceId, Is.EqualTo(second.Id));
            Assert.That(await store.GetMessageStartLockAsync("sem-start", "K-1", default), Is.Null, "the last instance ended with no message waiting");
            Assert.That(await h.InstancesOfAsync("sem-start"), Has.Count.EqualTo(2));
        }
    }

    [Test]
    public async Task A_buffered_message_is_given_to_a_process_once_even_by_two_commits_that_both_read_it_free()
    {
        var store = NewStore();
        var now = DateTimeOffset.UnixEpoch.AddYears(60);
        var message = new BufferedMessageRecord(Guid.NewGuid(), null, "sem-once", "K-1", "{}", now, now.AddHours(1));
        var buffering = new ChangeSet();
        buffering.MessagesBuffered.Add(message);
        await store.CommitAsync(buffering, default);

        ChangeSet Taking(string processId)
        {
            var changes = new ChangeSet();
            changes.MessageCorrelations.Add(new MessageCorrelation(message.Id, Guid.NewGuid(), processId));
            return changes;
        }

        await store.CommitAsync(Taking("sem-once-a"), default);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(async () => await store.CommitAsync(Taking("sem-once-a"), default), Throws.TypeOf<ConcurrencyConflictException>());
            Assert.That(async () => await store.CommitAsync(Taking("sem-once-b"), default), Throws.Nothing, "another process may take it");
        }
    }

    [Test]
    public async Task A_message_start_lock_is_taken_once_and_released_only_by_its_holder_at_the_revision_read()
    {
        var store = NewStore();
        var holder = Guid.NewGuid();
        var lockRow = new MessageStartLockRecord("sem-lock", "K-1", holder, 0);
        ChangeSet With(Action<ChangeSet> fill)
        {
            var changes = new ChangeSet();
            fill(changes);
            return changes;
        }

        await store.CommitAsync(With(c => c.StartLocksTaken.Add(lockRow)), default);
        var secondTake = With(c => c.StartLocksTaken.Add(lockRow with { InstanceId = Guid.NewGuid() }));
        var strangerTouch = With(c => c.StartLocksTouched.Add(lockRow with { InstanceId = Guid.NewGuid() }));
        await store.CommitAsync(With(c => c.StartLocksTouched.Add(lockRow)), default);
        var staleRelease = With(c => c.StartLocksReleased.Add(lockRow));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(async () => await store.CommitAsync(secondTake, default), Throws.TypeOf<ConcurrencyConflictException>());
            Assert.That(async () => await store.CommitAsync(strangerTouch, default), Throws.TypeOf<ConcurrencyConflictException>());
            Assert.That(async () => await store.CommitAsync(staleRelease, default), Throws.TypeOf<ConcurrencyConflictException>(), "a message was kept waiting since the revision was read");
            Assert.That((await store.GetMessageStartLockAsync("sem-lock", "K-1", default))?.Revision, Is.EqualTo(1));
        }

        var next = Guid.NewGuid();
        await store.CommitAsync(With(c =>
        {
            c.StartLocksReleased.Add(lockRow with { Revision = 1 });
            c.StartLocksTaken.Add(lockRow with { InstanceId = next });
        }), default);
        Assert.That(await store.GetMessageStartLockAsync("sem-lock", "K-1", default), Is.EqualTo(lockRow with { InstanceId = next }), "handed over in one commit");
    }

    [Test]
    public async Task A_failed_multi_instance_completion_condition_is_stored_on_the_inner_instance_and_its_retry_runs_the_remaining_items()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Process("sem-mi-retry", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:userTask id="approve">
              <bpmn:multiInstanceLoopCharacteristics isSequential="true">
                <bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=approvers" inputElement="approver" outputCollection="votes" outputElement="=approver"/></bpmn:extensionElements>
                <bpmn:completionCondition>=stop</bpmn:completionCondition>
              </bpmn:multiInstanceLoopCharacteristics>
            </bpmn:userTask>
            {UserTask("after")}
            {Chain("start", "approve", "after")}
            """));
        var instance = await h.StartAsync("sem-mi-retry", Vars(("approvers", new[] { "ann", "bob" })));

        await instance.CompleteUserTaskAsync("approve");
        Assert.That(await instance.IncidentsAsync(), Has.Count.EqualTo(1));
        await instance.SetVariablesAsync(Vars(("stop", false)));
        await instance.ResolveIncidentAsync("approve");
        await instance.CompleteUserTaskAsync("approve");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
            Assert.That(await instance.VariableAsync("votes"), Is.EqualTo(new object?[] { "ann", "bob" }));
        }
    }

    [Test]
    public async Task A_non_interrupting_message_boundary_opened_while_messages_are_buffered_takes_each_once_on_the_database()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Process("sem-buffered-boundary", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("work")}
            <bpmn:boundaryEvent id="again" attachedToRef="work" cancelActivity="false"><bpmn:messageEventDefinition messageRef="m"/></bpmn:boundaryEvent>
            {UserTask("note")}
            {Chain("start", "work")}{Chain("again", "note")}
            """, Message("m", "sem-buffered-info", "=caseId")));
        await h.CorrelateAsync("sem-buffered-info", "BB-1", timeToLive: TimeSpan.FromHours(1));
        await h.CorrelateAsync("sem-buffered-info", "BB-1", timeToLive: TimeSpan.FromHours(1));

        var first = await h.StartAsync("sem-buffered-boundary", Vars(("caseId", "BB-1")));
        var second = await h.StartAsync("sem-buffered-boundary", Vars(("caseId", "BB-1")));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await first.UserTasksAsync()).Count(t => t.ElementId == "note"), Is.EqualTo(2));
            Assert.That((await second.UserTasksAsync()).Count(t => t.ElementId == "note"), Is.Zero, "each buffered message is taken once per process");
        }
    }

    [Test]
    public async Task A_signal_thrown_by_a_parallel_branch_reaches_the_catch_the_other_branch_opens_in_that_command_on_the_database()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Process("sem-signal-self", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:parallelGateway id="fork"/>
            <bpmn:intermediateThrowEvent id="throw"><bpmn:signalEventDefinition signalRef="s"/></bpmn:intermediateThrowEvent>
            <bpmn:intermediateCatchEvent id="catch"><bpmn:signalEventDefinition signalRef="s"/></bpmn:intermediateCatchEvent>
            {UserTask("thrown")}
            {UserTask("caught")}
            {Chain("start", "fork", "throw", "thrown")}{Chain("fork", "catch", "caught")}
            """, """<bpmn:signal id="s" name="sem-self-signal"/>"""));

        var instance = await h.StartAsync("sem-signal-self");

        Assert.That((await instance.ActiveElementsAsync()).Order(), Is.EqualTo(new[] { "caught", "thrown" }));
    }
}
