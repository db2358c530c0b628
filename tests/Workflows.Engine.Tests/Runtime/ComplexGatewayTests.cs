using Workflows.Engine.Runtime;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>The complex gateway: an inclusive fork, and a join that fires once on its activation condition and then resets (BPMN 2.0).</summary>
public sealed class ComplexGatewayTests
{
    private static string Complex(string id, string activation) =>
        $"""<bpmn:complexGateway id="{id}"><bpmn:activationCondition xsi:type="bpmn:tFormalExpression">{System.Security.SecurityElement.Escape(activation)}</bpmn:activationCondition></bpmn:complexGateway>""";

    // Three parallel reviews meet at a complex join; 'after' runs once per firing.
    private static string Reviews(string activation) => Process("p", $"""
        <bpmn:startEvent id="start"/>
        <bpmn:parallelGateway id="fork"/>
        {UserTask("a")}{UserTask("b")}{UserTask("c")}
        {Complex("cx", activation)}
        {UserTask("after")}
        <bpmn:endEvent id="end"/>
        {Chain("start", "fork")}{Chain("fork", "a", "cx")}{Chain("fork", "b", "cx")}{Chain("fork", "c", "cx")}{Chain("cx", "after", "end")}
        """);

    private static int Firings(IReadOnlyList<HistoryEntry> history) => history.Count(e => e.Kind == "element-completed" && e.ElementId == "cx");

    [Test]
    public async Task As_a_fork_it_takes_every_flow_whose_condition_holds_else_the_default()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:complexGateway id="split" default="toC"/>
            {UserTask("a")}{UserTask("b")}{UserTask("c")}
            {Flow("start", "split")}{Flow("split", "a", "=needA")}{Flow("split", "b", "=needB")}{Flow("split", "c", id: "toC")}
            """));

        var both = await h.StartAsync("p", Vars(("needA", true), ("needB", true)));
        var none = await h.StartAsync("p", Vars(("needA", false), ("needB", false)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await both.ActiveElementsAsync(), Is.EqualTo(new[] { "a", "b" }));
            Assert.That(await none.ActiveElementsAsync(), Is.EqualTo(new[] { "c" }));
        }
    }

    [Test]
    public async Task As_a_join_it_fires_once_when_its_activation_condition_holds_and_consumes_the_late_tokens_without_firing_again()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Reviews("=activationCount >= 2"));
        var instance = await h.StartAsync("p");

        await instance.CompleteUserTaskAsync("a");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "b", "c" }), "one token is not enough");

        await instance.CompleteUserTaskAsync("b");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after", "c" }), "two tokens fire the gateway");

        await instance.CompleteUserTaskAsync("c");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }), "the late token is consumed by the reset");
            Assert.That(Firings(await instance.HistoryAsync()), Is.EqualTo(1));
        }

        await instance.CompleteUserTaskAsync("after");
        Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
    }

    [Test]
    public async Task The_activation_condition_sees_the_variables_of_the_scope()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Reviews("=urgent or activationCount = 3"));
        var instance = await h.StartAsync("p", Vars(("urgent", false)));

        await instance.CompleteUserTaskAsync("a");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "b", "c" }));

        await instance.CompleteUserTaskAsync("b", Vars(("urgent", true)));
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after", "c" }));
    }

    // A loop around a complex join fed by an inclusive split: each round's tokens fire it once.
    private static string Rounds(string splitCondition) => Process("p", $"""
        <bpmn:startEvent id="start"/>
        <bpmn:inclusiveGateway id="split"/>
        {UserTask("a")}{UserTask("b")}
        {Complex("cx", "=activationCount >= 1")}
        {UserTask("after")}
        <bpmn:exclusiveGateway id="again" default="stop"/>
        <bpmn:endEvent id="end"/>
        {Flow("start", "split")}{Flow("split", "a", "=true")}{Flow("split", "b", splitCondition)}
        {Chain("a", "cx")}{Chain("b", "cx")}{Chain("cx", "after", "again")}
        {Flow("again", "split", "=repeat")}{Flow("again", "end", id: "stop")}
        """);

    [Test]
    public async Task After_the_reset_consumed_the_other_tokens_a_new_round_fires_it_again()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Rounds("=true"));
        var instance = await h.StartAsync("p");

        await instance.CompleteUserTaskAsync("a");
        await instance.CompleteUserTaskAsync("b");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));

        await instance.CompleteUserTaskAsync("after", Vars(("repeat", true)));
        await instance.CompleteUserTaskAsync("b");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "a", "after" }), "b's token of the new round fires it");
            Assert.That(Firings(await instance.HistoryAsync()), Is.EqualTo(2));
        }
    }

    [Test]
    public async Task The_reset_ends_when_the_flows_it_waits_for_can_no_longer_deliver()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Rounds("=false"));
        var instance = await h.StartAsync("p");

        await instance.CompleteUserTaskAsync("a");
        await instance.CompleteUserTaskAsync("after", Vars(("repeat", true)));
        await instance.CompleteUserTaskAsync("a");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }), "b was never taken, so the reset did not wait for it");
            Assert.That(Firings(await instance.HistoryAsync()), Is.EqualTo(2));
        }
    }

    [Test]
    public async Task An_activation_condition_that_fails_is_an_incident_on_the_gateway_whose_retry_evaluates_it_again()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Reviews("=activationCount >= quorum"));
        var instance = await h.StartAsync("p");

        await instance.CompleteUserTaskAsync("a");
        var incidents = await instance.IncidentsAsync();
        Assert.That(incidents.Select(i => i.ElementId), Is.EqualTo(new[] { "cx" }));

        await h.Engine.Runtime.SetVariablesAsync(instance.Id, Vars(("quorum", 1)));
        await h.Engine.Runtime.ResolveIncidentAsync(incidents[0].Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after", "b", "c" }));
        }
    }

    [Test]
    public async Task A_joining_complex_gateway_without_an_activation_condition_is_refused_at_deploy()
    {
        var h = new ProcessTestHarness();

        var report = await h.Engine.Deployments.ValidateAsync(Reviews("=true").Replace(
            """<bpmn:activationCondition xsi:type="bpmn:tFormalExpression">=true</bpmn:activationCondition>""", "", StringComparison.Ordinal));

        Assert.That(report.Findings.Select(f => f.Code), Does.Contain("ACTIVATION_CONDITION_MISSING"));
    }
}
