using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime.Semantics;

/// <summary>
/// Issue 13, item 2 (Camunda 8: a published message correlates at most once per process, across its
/// versions and instances; to every process that waits for it, once each).
/// </summary>
public sealed class MessageCorrelationTests
{
    private static string Waiting(string processId) => Process(processId, $"""
        <bpmn:startEvent id="start"/>
        <bpmn:intermediateCatchEvent id="paid"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
        {UserTask("ship")}
        {Chain("start", "paid", "ship")}
        """, Message("m", "payment", "=orderId"));

    [Test]
    public async Task Two_instances_waiting_for_the_same_name_and_key_move_one_per_message()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Waiting("order"));
        var first = await h.StartAsync("order", Vars(("orderId", "O-1")));
        var second = await h.StartAsync("order", Vars(("orderId", "O-1")));

        var one = await h.CorrelateAsync("payment", "O-1");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(one.CorrelatedInstances, Is.EqualTo(1));
            Assert.That(await first.ActiveElementsAsync(), Is.EqualTo(new[] { "ship" }), "the instance that waited first");
            Assert.That(await second.ActiveElementsAsync(), Is.EqualTo(new[] { "paid" }));
        }

        await h.CorrelateAsync("payment", "O-1");
        Assert.That(await second.ActiveElementsAsync(), Is.EqualTo(new[] { "ship" }));
    }

    [Test]
    public async Task One_message_moves_one_waiting_instance_of_each_process()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Waiting("order"));
        await h.DeployAsync(Waiting("invoice"));
        var orders = new[] { await h.StartAsync("order", Vars(("orderId", "O-1"))), await h.StartAsync("order", Vars(("orderId", "O-1"))) };
        var invoice = await h.StartAsync("invoice", Vars(("orderId", "O-1")));

        var result = await h.CorrelateAsync("payment", "O-1");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.CorrelatedInstances, Is.EqualTo(2));
            Assert.That(await invoice.ActiveElementsAsync(), Is.EqualTo(new[] { "ship" }));
            Assert.That(await orders[0].ActiveElementsAsync(), Is.EqualTo(new[] { "ship" }));
            Assert.That(await orders[1].ActiveElementsAsync(), Is.EqualTo(new[] { "paid" }));
        }
    }

    [Test]
    public async Task A_buffered_message_taken_by_one_instance_is_not_taken_by_a_later_instance_of_the_same_process()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Waiting("order"));
        await h.DeployAsync(Waiting("invoice"));

        await h.CorrelateAsync("payment", "O-1", timeToLive: TimeSpan.FromHours(1));
        var first = await h.StartAsync("order", Vars(("orderId", "O-1")));
        var second = await h.StartAsync("order", Vars(("orderId", "O-1")));
        var invoice = await h.StartAsync("invoice", Vars(("orderId", "O-1")));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await first.ActiveElementsAsync(), Is.EqualTo(new[] { "ship" }));
            Assert.That(await second.ActiveElementsAsync(), Is.EqualTo(new[] { "paid" }), "the message was used by this process already");
            Assert.That(await invoice.ActiveElementsAsync(), Is.EqualTo(new[] { "ship" }), "another process still gets it");
        }
    }
}
