using NUnit.Framework;
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
}
