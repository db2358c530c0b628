using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime.Semantics;

/// <summary>
/// Issue 13, item 6 (BPMN 2.0, 13.3.2: an inclusive join fires once no token can still reach it, whatever
/// the path: link events, sub-process scopes, event-based gateways, boundary events).
/// </summary>
public sealed class InclusiveJoinTests
{
    private static string Fork(string slowBranch, string extra = "", string definitions = "") => Process("p", $"""
        <bpmn:startEvent id="start"/>
        <bpmn:inclusiveGateway id="fork"/>
        <bpmn:task id="fast"/>
        <bpmn:inclusiveGateway id="join"/>
        {UserTask("after")}
        {Chain("start", "fork")}
        {Flow("fork", "fast", "=true")}{Flow("fast", "join")}
        {Flow("fork", "slow", "=true")}
        {slowBranch}
        {Chain("join", "after")}
        {extra}
        """, definitions);

    private static async Task AssertJoinWaitsForTheSlowBranchAsync(ProcessTestHarness h, Func<ProcessInstanceHandle, Task> finishSlowBranch)
    {
        var instance = await h.StartAsync("p", Vars(("caseId", "K1")));
        Assert.That(await instance.ActiveElementsAsync(), Does.Not.Contain("after"), "a token can still reach the join");

        await finishSlowBranch(instance);

        Assert.That((await instance.UserTasksAsync()).Select(t => t.ElementId), Is.EqualTo(new[] { "after" }), "the join fired once, after both tokens");
    }

    [Test]
    public async Task The_inclusive_join_waits_for_a_token_that_reaches_it_through_a_link_event()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Fork($"""
            {UserTask("slow")}
            <bpmn:intermediateThrowEvent id="jump"><bpmn:linkEventDefinition name="toJoin"/></bpmn:intermediateThrowEvent>
            <bpmn:intermediateCatchEvent id="land"><bpmn:linkEventDefinition name="toJoin"/></bpmn:intermediateCatchEvent>
            {Chain("slow", "jump")}{Chain("land", "join")}
            """));

        await AssertJoinWaitsForTheSlowBranchAsync(h, i => i.CompleteUserTaskAsync("slow"));
    }

    [Test]
    public async Task The_inclusive_join_waits_for_a_token_inside_a_sub_process()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Fork($"""
            <bpmn:subProcess id="slow">
              <bpmn:startEvent id="ss"/>{UserTask("inner")}<bpmn:endEvent id="se"/>
              {Chain("ss", "inner", "se")}
            </bpmn:subProcess>
            {Chain("slow", "join")}
            """));

        await AssertJoinWaitsForTheSlowBranchAsync(h, i => i.CompleteUserTaskAsync("inner"));
    }

    [Test]
    public async Task The_inclusive_join_waits_for_a_token_at_an_event_based_gateway()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Fork($"""
            <bpmn:eventBasedGateway id="slow"/>
            <bpmn:intermediateCatchEvent id="reply"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
            <bpmn:intermediateCatchEvent id="late"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
            {Chain("slow", "reply", "join")}{Chain("slow", "late", "join")}
            """, definitions: Message("m", "reply", "=caseId")));

        await AssertJoinWaitsForTheSlowBranchAsync(h, _ => h.CorrelateAsync("reply", "K1"));
    }

    [Test]
    public async Task The_inclusive_join_waits_for_a_token_that_can_reach_it_through_a_boundary_event()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Fork($"""
            {UserTask("slow")}
            <bpmn:boundaryEvent id="late" attachedToRef="slow"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
            <bpmn:endEvent id="slowEnd"/>
            {Chain("slow", "slowEnd")}{Chain("late", "join")}
            """));

        await AssertJoinWaitsForTheSlowBranchAsync(h, _ => h.AdvanceTimeAsync(TimeSpan.FromHours(1)));
    }
}
