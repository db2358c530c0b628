using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>Instances a signal of the model starts run in the thrower's command and count against its element budget.</summary>
public sealed class SignalFanOutTests
{
    // A process that a signal starts and that throws the same signal: every throw would start one more instance.
    private static readonly string s_selfSpawning = Process("spawn", $"""
        <bpmn:startEvent id="plain"/>
        <bpmn:startEvent id="bysignal"><bpmn:signalEventDefinition signalRef="s"/></bpmn:startEvent>
        <bpmn:intermediateThrowEvent id="again"><bpmn:signalEventDefinition signalRef="s"/></bpmn:intermediateThrowEvent>
        {UserTask("t")}
        {Chain("plain", "again", "t")}
        {Flow("bysignal", "again")}
        """, """<bpmn:signal id="s" name="spawn"/>""");

    // Before the fix the broadcast never returned: the timeout makes that a failure, not a hung suite.
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(60);

    [Test]
    public async Task A_broadcast_to_a_process_that_throws_the_signal_again_returns_with_one_instance_parked_on_its_start()
    {
        var h = new ProcessTestHarness(configure: o => o.Limits.MaxElementsPerCommand = 300);
        await h.DeployAsync(s_selfSpawning);

        var started = await h.BroadcastSignalAsync("spawn").WaitAsync(s_bound);

        var instances = await h.InstancesOfAsync("spawn");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(started, Is.EqualTo(1));
            Assert.That(instances, Has.Count.EqualTo(1), "nothing the chain started was kept");
            var incident = (await instances[0].IncidentsAsync()).Single();
            Assert.That(incident.ElementId, Is.EqualTo("bysignal"));
            Assert.That(incident.Message, Does.Contain("MaxElementsPerCommand = 300").And.Contain("started by a signal"));
        }
    }

    [Test]
    public async Task A_start_of_a_process_whose_signal_keeps_starting_instances_returns_with_an_incident_and_no_other_instance()
    {
        var h = new ProcessTestHarness(configure: o => o.Limits.MaxElementsPerCommand = 300);
        await h.DeployAsync(s_selfSpawning);

        var instance = await h.StartAsync("spawn").WaitAsync(s_bound);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await instance.IncidentsAsync()).Single().ElementId, Is.EqualTo("plain"));
            Assert.That(await h.InstancesOfAsync("spawn"), Has.Count.EqualTo(1));
        }
    }

    [Test]
    public async Task A_signal_that_starts_a_bounded_chain_of_instances_still_starts_them_all_in_the_command()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("step", $"""
            <bpmn:startEvent id="start"><bpmn:signalEventDefinition signalRef="s"/></bpmn:startEvent>
            <bpmn:scriptTask id="inc"><bpmn:extensionElements><zeebe:script expression="=n + 1" resultVariable="n"/></bpmn:extensionElements></bpmn:scriptTask>
            <bpmn:exclusiveGateway id="more" default="stop"/>
            <bpmn:intermediateThrowEvent id="again"><bpmn:extensionElements><zeebe:ioMapping><zeebe:input source="=n" target="n"/></zeebe:ioMapping></bpmn:extensionElements><bpmn:signalEventDefinition signalRef="s"/></bpmn:intermediateThrowEvent>
            {UserTask("t")}
            {Chain("start", "inc", "more")}{Flow("more", "again", "=n < 20")}{Flow("more", "t", null, "stop")}{Flow("again", "t")}
            """, """<bpmn:signal id="s" name="next"/>"""));

        await h.BroadcastSignalAsync("next", Vars(("n", 0)));

        var instances = await h.InstancesOfAsync("step");
        Assert.That(instances, Has.Count.EqualTo(20));
        foreach (var instance in instances)
        {
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
        }
    }
}
