using Workflows.Engine.Runtime;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime.Semantics;

/// <summary>
/// Issue 13, item 4 (Camunda 8: a message start event starts at most one active instance per correlation key; while it
/// is active, a message with that key goes to its waiting catch or waits in the buffer until it ends, then starts the
/// next one; the message that started an instance is never used again; a message without a key always starts one).
/// </summary>
public sealed class MessageStartTests
{
    private static readonly TimeSpan s_hour = TimeSpan.FromHours(1);

    private static string Started(string processId = "order", string version = "") => Process(processId, $"""
        <bpmn:startEvent id="received{version}"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>
        {UserTask("handle")}
        {Chain($"received{version}", "handle")}
        """, """<bpmn:message id="m" name="order-placed"/>""");

    // The instances of a process by the x their message carried: "1:Active", "2:Completed"…, in x order.
    private static async Task<string[]> InstancesAsync(ProcessTestHarness h, string processId = "order")
    {
        var found = new List<string>();
        foreach (var instance in await h.InstancesOfAsync(processId))
        {
            found.Add($"{await instance.VariableAsync("x")}:{await instance.StatusAsync()}");
        }

        return [.. found.Order(StringComparer.Ordinal)];
    }

    private static async Task CompleteActiveAsync(ProcessTestHarness h, string processId = "order")
    {
        foreach (var instance in await h.InstancesOfAsync(processId))
        {
            if (await instance.StatusAsync() == ProcessInstanceStatus.Active)
            {
                await instance.CompleteUserTaskAsync("handle");
                return;
            }
        }

        Assert.Fail($"no active instance of {processId}");
    }

    [Test]
    public async Task A_second_message_with_the_key_of_an_active_instance_starts_nothing_and_another_key_starts_one()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Started());
        await h.CorrelateAsync("order-placed", "O-1", Vars(("x", 1)));

        var same = await h.CorrelateAsync("order-placed", "O-1", Vars(("x", 2)));
        var other = await h.CorrelateAsync("order-placed", "O-2", Vars(("x", 3)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(same.StartedInstances, Is.Zero);
            Assert.That(other.StartedInstances, Is.EqualTo(1));
            Assert.That(await InstancesAsync(h), Is.EqualTo(new[] { "1:Active", "3:Active" }));
        }
    }

    [Test]
    public async Task Buffered_messages_with_the_key_start_the_next_instance_each_time_the_active_one_completes()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Started());
        await h.CorrelateAsync("order-placed", "O-1", Vars(("x", 1)));
        var second = await h.CorrelateAsync("order-placed", "O-1", Vars(("x", 2)), timeToLive: s_hour);
        await h.CorrelateAsync("order-placed", "O-1", Vars(("x", 3)), timeToLive: s_hour);
        Assert.That(second.Buffered && second.StartedInstances == 0, Is.True, "the second message waits in the buffer");

        await CompleteActiveAsync(h);
        Assert.That(await InstancesAsync(h), Is.EqualTo(new[] { "1:Completed", "2:Active" }));

        await CompleteActiveAsync(h);
        Assert.That(await InstancesAsync(h), Is.EqualTo(new[] { "1:Completed", "2:Completed", "3:Active" }));

        await CompleteActiveAsync(h);
        Assert.That(await InstancesAsync(h), Is.EqualTo(new[] { "1:Completed", "2:Completed", "3:Completed" }), "each message started one instance, none twice");
    }

    [Test]
    public async Task Cancelling_the_active_instance_starts_the_next_one_from_the_buffer()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Started());
        await h.CorrelateAsync("order-placed", "O-1", Vars(("x", 1)));
        await h.CorrelateAsync("order-placed", "O-1", Vars(("x", 2)), timeToLive: s_hour);
        var first = (await h.InstancesOfAsync("order")).Single();

        await h.Engine.Runtime.CancelAsync(first.Id);

        Assert.That(await InstancesAsync(h), Is.EqualTo(new[] { "1:Cancelled", "2:Active" }));
    }

    [Test]
    public async Task After_the_active_instance_ends_a_new_message_with_its_key_starts_an_instance()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Started());
        await h.CorrelateAsync("order-placed", "O-1", Vars(("x", 1)), timeToLive: s_hour);
        await CompleteActiveAsync(h);

        var again = await h.CorrelateAsync("order-placed", "O-1", Vars(("x", 2)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(again.StartedInstances, Is.EqualTo(1));
            Assert.That(await InstancesAsync(h), Is.EqualTo(new[] { "1:Completed", "2:Active" }), "the buffered message that started the first instance started nothing more");
        }
    }

    [Test]
    public async Task A_buffered_message_whose_time_to_live_ran_out_starts_nothing_when_the_active_instance_ends()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Started());
        await h.CorrelateAsync("order-placed", "O-1", Vars(("x", 1)));
        await h.CorrelateAsync("order-placed", "O-1", Vars(("x", 2)), timeToLive: TimeSpan.FromMinutes(10));
        await h.CorrelateAsync("order-placed", "O-1", Vars(("x", 3)), timeToLive: TimeSpan.FromMinutes(20));
        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(10));

        await CompleteActiveAsync(h);

        Assert.That(await InstancesAsync(h), Is.EqualTo(new[] { "1:Completed", "3:Active" }));
    }

    [Test]
    public async Task A_message_with_the_key_of_the_active_instance_goes_to_its_catch_and_so_starts_no_instance_later()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("order", $"""
            <bpmn:startEvent id="received"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>
            {UserTask("check")}
            <bpmn:intermediateCatchEvent id="again"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
            {UserTask("handle")}
            {Chain("received", "check", "again", "handle")}
            """, """<bpmn:message id="m" name="order-placed"><bpmn:extensionElements><zeebe:subscription correlationKey="=orderId"/></bpmn:extensionElements></bpmn:message>"""));
        await h.CorrelateAsync("order-placed", "O-1", Vars(("orderId", "O-1"), ("x", 1)), timeToLive: s_hour);
        var instance = (await h.InstancesOfAsync("order")).Single();

        var waiting = await h.CorrelateAsync("order-placed", "O-1", Vars(("x", 2)), timeToLive: s_hour);
        await instance.CompleteUserTaskAsync("check");
        var tookIt = await instance.ActiveElementsAsync();
        await instance.CompleteUserTaskAsync("handle");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(waiting.StartedInstances, Is.Zero, "the active instance holds the key");
            Assert.That(tookIt, Is.EqualTo(new[] { "handle" }), "its catch took the second message from the buffer, not the first");
            Assert.That(await instance.VariableAsync("x"), Is.EqualTo(2m));
            Assert.That(await h.InstancesOfAsync("order"), Has.Count.EqualTo(1), "the message its catch took starts no instance when it ends");
        }
    }

    [Test]
    public async Task Messages_without_a_correlation_key_start_an_instance_every_time()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Started());

        await h.CorrelateAsync("order-placed", "", Vars(("x", 1)));
        await h.CorrelateAsync("order-placed", "", Vars(("x", 2)));

        Assert.That(await InstancesAsync(h), Is.EqualTo(new[] { "1:Active", "2:Active" }));
    }

    [Test]
    public async Task Buffered_messages_of_several_start_events_start_the_next_instances_oldest_first()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("order", $"""
            <bpmn:startEvent id="byShop"><bpmn:messageEventDefinition messageRef="a"/></bpmn:startEvent>
            <bpmn:startEvent id="byPhone"><bpmn:messageEventDefinition messageRef="b"/></bpmn:startEvent>
            {UserTask("handle")}
            {Chain("byShop", "handle")}{Chain("byPhone", "handle")}
            """, """<bpmn:message id="a" name="shop-order"/><bpmn:message id="b" name="phone-order"/>"""));
        await h.CorrelateAsync("shop-order", "O-1", Vars(("x", 1)));
        await h.CorrelateAsync("phone-order", "O-1", Vars(("x", 2)), timeToLive: s_hour);
        await h.AdvanceTimeAsync(TimeSpan.FromSeconds(1));
        await h.CorrelateAsync("shop-order", "O-1", Vars(("x", 3)), timeToLive: s_hour);

        await CompleteActiveAsync(h);
        var afterFirst = await InstancesAsync(h);
        await CompleteActiveAsync(h);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(afterFirst, Is.EqualTo(new[] { "1:Completed", "2:Active" }), "the phone order was published first");
            Assert.That(await InstancesAsync(h), Is.EqualTo(new[] { "1:Completed", "2:Completed", "3:Active" }));
        }
    }

    [Test]
    public async Task The_next_instance_from_the_buffer_runs_the_latest_version()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Started());
        await h.CorrelateAsync("order-placed", "O-1", Vars(("x", 1)));
        await h.DeployAsync(Started(version: "V2"));
        await h.CorrelateAsync("order-placed", "O-1", Vars(("x", 2)), timeToLive: s_hour);
        Assert.That(await h.InstancesOfAsync("order"), Has.Count.EqualTo(1), "the new version is held by the active instance of the old one");

        await CompleteActiveAsync(h);

        var started = new List<string?>();
        foreach (var instance in await h.InstancesOfAsync("order"))
        {
            started.Add((await instance.HistoryAsync()).First(e => e.Kind == "element-entered").ElementId);
        }

        Assert.That(started.Order(StringComparer.Ordinal), Is.EqualTo(new[] { "received", "receivedV2" }));
    }

    [Test]
    public async Task An_instance_started_without_a_message_does_not_hold_its_business_key()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("order", $"""
            <bpmn:startEvent id="manual"/>
            <bpmn:startEvent id="received"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>
            {UserTask("handle")}
            {Chain("manual", "handle")}{Chain("received", "handle")}
            """, """<bpmn:message id="m" name="order-placed"/>"""));
        await h.StartAsync("order", Vars(("x", 1)), businessKey: "O-1");

        var started = await h.CorrelateAsync("order-placed", "O-1", Vars(("x", 2)));

        Assert.That(started.StartedInstances, Is.EqualTo(1));
    }
}
