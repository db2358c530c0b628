using Workflows.Engine.Runtime;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

public sealed class GatewayTests
{
    private static readonly string s_exclusive = Process("approval", $"""
        <bpmn:startEvent id="start"/>
        <bpmn:exclusiveGateway id="split" default="toAuto"/>
        {UserTask("review")}
        <bpmn:task id="auto"/>
        <bpmn:endEvent id="end1"/>
        <bpmn:endEvent id="end2"/>
        {Flow("start", "split")}
        {Flow("split", "review", "=amount > 1000")}
        {Flow("split", "auto", id: "toAuto")}
        {Chain("review", "end1")}
        {Chain("auto", "end2")}
        """);

    [Test]
    public async Task An_exclusive_gateway_takes_the_flow_whose_condition_holds()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_exclusive);

        var instance = await h.StartAsync("approval", Vars(("amount", 1500)));

        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "review" }));
    }

    [Test]
    public async Task An_exclusive_gateway_takes_the_default_flow_when_no_condition_holds()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_exclusive);

        var instance = await h.StartAsync("approval", Vars(("amount", 200)));

        var snapshot = await instance.SnapshotAsync();
        var history = await instance.HistoryAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(snapshot.Status, Is.EqualTo(ProcessInstanceStatus.Completed));
            Assert.That(history.Where(e => e.Kind == "element-completed").Select(e => e.ElementId), Does.Contain("auto").And.Not.Contain("review"));
        }
    }

    [Test]
    public async Task A_condition_on_a_missing_variable_raises_an_incident_that_a_retry_resolves()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_exclusive);
        var instance = await h.StartAsync("approval");

        var incidents = await instance.IncidentsAsync();
        Assert.That(incidents, Has.Count.EqualTo(1));
        Assert.That(incidents[0].ElementId, Is.EqualTo("split"));
        Assert.That(incidents[0].Message, Does.Contain("amount"));

        await h.Engine.Runtime.SetVariablesAsync(instance.Id, Vars(("amount", 5000)));
        await h.Engine.Runtime.ResolveIncidentAsync(incidents[0].Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "review" }));
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
        }
    }

    [Test]
    public async Task A_parallel_join_waits_for_every_branch()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:parallelGateway id="fork"/>
            {UserTask("a")}{UserTask("b")}
            <bpmn:parallelGateway id="join"/>
            <bpmn:endEvent id="end"/>
            {Chain("start", "fork")}{Chain("fork", "a", "join")}{Chain("fork", "b", "join")}{Chain("join", "end")}
            """));
        var instance = await h.StartAsync("p");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "a", "b" }));

        await instance.CompleteUserTaskAsync("a");
        Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Active));
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "b" }));

        await instance.CompleteUserTaskAsync("b");
        Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
    }

    private static readonly string s_inclusive = Process("incl", $"""
        <bpmn:startEvent id="start"/>
        <bpmn:inclusiveGateway id="split"/>
        {UserTask("a")}{UserTask("b")}{UserTask("c")}
        <bpmn:inclusiveGateway id="join"/>
        {UserTask("after")}
        <bpmn:endEvent id="end"/>
        {Flow("start", "split")}
        {Flow("split", "a", "=needA")}{Flow("split", "b", "=needB")}{Flow("split", "c", "=needC")}
        {Chain("a", "join")}{Chain("b", "join")}{Chain("c", "join")}{Chain("join", "after", "end")}
        """);

    [Test]
    public async Task An_inclusive_gateway_takes_every_flow_whose_condition_holds()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_inclusive);

        var instance = await h.StartAsync("incl", Vars(("needA", true), ("needB", true), ("needC", false)));

        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "a", "b" }));
    }

    [Test]
    public async Task An_inclusive_join_waits_only_for_flows_that_can_still_arrive()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_inclusive);
        var instance = await h.StartAsync("incl", Vars(("needA", true), ("needB", true), ("needC", false)));

        await instance.CompleteUserTaskAsync("b");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "a" }), "b arrived; a can still arrive, c cannot");

        await instance.CompleteUserTaskAsync("a");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }), "the join fires once, when a arrives");
    }

    [Test]
    public async Task An_inclusive_join_with_one_branch_taken_fires_on_its_arrival()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_inclusive);
        var instance = await h.StartAsync("incl", Vars(("needA", false), ("needB", false), ("needC", true)));

        await instance.CompleteUserTaskAsync("c");

        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
    }

    private static readonly string s_race = Process("race", $"""
        <bpmn:startEvent id="start"/>
        <bpmn:eventBasedGateway id="wait"/>
        <bpmn:intermediateCatchEvent id="reply"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
        <bpmn:intermediateCatchEvent id="timeout"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
        {UserTask("answered")}{UserTask("chase")}
        {Chain("start", "wait")}{Chain("wait", "reply", "answered")}{Chain("wait", "timeout", "chase")}
        """, Message("m", "customer-reply", "=caseId"));

    [Test]
    public async Task An_event_based_gateway_follows_the_message_when_it_comes_first_and_the_timer_never_fires()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_race);
        var instance = await h.StartAsync("race", Vars(("caseId", "C-1")));

        var result = await h.CorrelateAsync("customer-reply", "C-1", Vars(("answer", "yes")));
        await h.AdvanceTimeAsync(TimeSpan.FromHours(2));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.CorrelatedInstances, Is.EqualTo(1));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "answered" }));
            Assert.That(await instance.VariableAsync("answer"), Is.EqualTo("yes"));
        }
    }

    [Test]
    public async Task An_event_based_gateway_follows_the_timer_when_it_comes_first_and_the_message_is_not_correlated()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_race);
        var instance = await h.StartAsync("race", Vars(("caseId", "C-2")));

        await h.AdvanceTimeAsync(TimeSpan.FromHours(1));
        var late = await h.CorrelateAsync("customer-reply", "C-2");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "chase" }));
            Assert.That(late.CorrelatedInstances, Is.Zero);
        }
    }

    [Test]
    public async Task A_parallel_join_of_thousands_of_branches_costs_linear_time()
    {
        // 3,000 branches (6,004 elements, within the element budget): with a join that rescanned its arrivals for each
        // incoming flow on every arrival this start took minutes of a core (cubic); linear, it takes well under a second.
        const int Branches = 3000;
        var tasks = string.Concat(Enumerable.Range(0, Branches).Select(i => $"""<bpmn:manualTask id="t{i}"/>{Flow("fork", $"t{i}")}{Flow($"t{i}", "join")}"""));
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("wide", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:parallelGateway id="fork"/>
            <bpmn:parallelGateway id="join"/>
            {UserTask("after")}
            {tasks}
            {Chain("start", "fork")}{Chain("join", "after")}
            """));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var instance = await h.StartAsync("wide");
        clock.Stop();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }), "the join fired once, when the last branch arrived");
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)), "a loaded machine runs it in a few seconds at most");
        }
    }
}
