using Workflows.Engine.Runtime;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime.Semantics;

/// <summary>
/// Issue 13, item 3: what a command already changed is visible to its later steps, though the store
/// sees it only at the commit.
/// </summary>
public sealed class CommandEffectsTests
{
    [Test]
    public async Task A_buffered_message_taken_by_the_first_of_two_consecutive_catches_is_not_taken_by_the_second()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("first")}
            <bpmn:intermediateCatchEvent id="one"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
            <bpmn:intermediateCatchEvent id="two"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
            {UserTask("done")}
            {Chain("start", "first", "one", "two", "done")}
            """, Message("m", "payment", "=orderId")));
        var instance = await h.StartAsync("p", Vars(("orderId", "O-7")));
        await h.CorrelateAsync("payment", "O-7", timeToLive: TimeSpan.FromHours(1));

        await instance.CompleteUserTaskAsync("first");

        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "two" }));
        await h.CorrelateAsync("payment", "O-7");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "done" }));
    }

    [Test]
    public async Task A_message_buffered_by_a_command_reaches_a_catch_of_another_process_opened_later_in_that_command()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("child", $"""
            <bpmn:startEvent id="cs"/>
            <bpmn:intermediateCatchEvent id="childWaits"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
            {UserTask("childDone")}
            {Chain("cs", "childWaits", "childDone")}
            """, Message("m", "approved", "=caseId")));
        await h.DeployAsync(Process("parent", $"""
            <bpmn:startEvent id="ps"/>
            <bpmn:intermediateCatchEvent id="parentWaits"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
            <bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="child"/></bpmn:extensionElements></bpmn:callActivity>
            {Chain("ps", "parentWaits", "call")}
            """, Message("m", "approved", "=caseId")));
        await h.StartAsync("parent", Vars(("caseId", "C-1")));

        await h.CorrelateAsync("approved", "C-1", timeToLive: TimeSpan.FromHours(1));

        var child = (await h.InstancesOfAsync("child")).Single();
        Assert.That(await child.ActiveElementsAsync(), Is.EqualTo(new[] { "childDone" }), "the child process had not taken the message yet");
    }

    [Test]
    public async Task The_buffered_message_that_started_an_instance_is_not_taken_by_a_catch_of_that_instance()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="received"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>
            <bpmn:intermediateCatchEvent id="again"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
            {UserTask("done")}
            {Chain("received", "again", "done")}
            """, """<bpmn:message id="m" name="order"><bpmn:extensionElements><zeebe:subscription correlationKey="=orderId"/></bpmn:extensionElements></bpmn:message>"""));

        await h.CorrelateAsync("order", "O-1", Vars(("orderId", "O-1")), timeToLive: TimeSpan.FromHours(1));

        var instance = (await h.InstancesOfAsync("p")).Single();
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "again" }));
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task A_signal_thrown_by_one_parallel_branch_reaches_the_catch_the_other_branch_opens_in_that_command(bool throwFirst)
    {
        // Camunda 8 processes the broadcast after the commands written before it (the other branch's activation), so
        // the order of the two flows in the document does not decide whether the signal is seen.
        var toThrow = Flow("fork", "throw");
        var toCatch = Flow("fork", "catch");
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:parallelGateway id="fork"/>
            <bpmn:intermediateThrowEvent id="throw"><bpmn:signalEventDefinition signalRef="s"/></bpmn:intermediateThrowEvent>
            <bpmn:intermediateCatchEvent id="catch"><bpmn:signalEventDefinition signalRef="s"/></bpmn:intermediateCatchEvent>
            <bpmn:endEvent id="thrown"/>
            <bpmn:endEvent id="caught"/>
            {Flow("start", "fork")}
            {(throwFirst ? toThrow + toCatch : toCatch + toThrow)}
            {Chain("throw", "thrown")}{Chain("catch", "caught")}
            """, """<bpmn:signal id="s" name="go"/>"""));

        var instance = await h.StartAsync("p");

        Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
    }

    [Test]
    public async Task A_signal_thrown_before_a_catch_on_the_same_path_is_not_seen_by_it_as_in_Camunda_8()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:intermediateThrowEvent id="throw"><bpmn:signalEventDefinition signalRef="s"/></bpmn:intermediateThrowEvent>
            <bpmn:intermediateCatchEvent id="catch"><bpmn:signalEventDefinition signalRef="s"/></bpmn:intermediateCatchEvent>
            <bpmn:endEvent id="end"/>
            {Chain("start", "throw", "catch", "end")}
            """, """<bpmn:signal id="s" name="go"/>"""));

        var instance = await h.StartAsync("p");

        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "catch" }));
    }
}
