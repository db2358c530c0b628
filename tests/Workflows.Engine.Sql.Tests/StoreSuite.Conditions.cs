using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>Issue 13, item 10: conditional events keep their waits in the stored instance state, on every database.</summary>
public abstract partial class StoreSuite
{
    [Test]
    public async Task Conditional_waits_survive_the_store_and_fire_when_a_later_command_on_another_engine_sets_their_variables()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Process("cond-stored", $"""
            <bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>
            {UserTask("work")}
            <bpmn:boundaryEvent id="raised" attachedToRef="work" cancelActivity="false"><bpmn:conditionalEventDefinition><bpmn:extensionElements><zeebe:conditionalFilter variableNames="priority"/></bpmn:extensionElements><bpmn:condition>=priority &gt; 3</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:boundaryEvent>
            {UserTask("escalate")}
            <bpmn:intermediateCatchEvent id="paid"><bpmn:conditionalEventDefinition><bpmn:condition>=paid</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>
            {UserTask("ship")}
            {Chain("start", "fork", "work")}{Chain("raised", "escalate")}{Chain("fork", "paid", "ship")}
            """));
        var started = await h.StartAsync("cond-stored", Vars(("priority", 1), ("paid", "not yet")));
        var incident = (await started.IncidentsAsync()).Single();

        // Another engine over the same database: nothing of the waits is in memory.
        var other = await HarnessAsync();
        var instance = other.Instance(started.Id);
        await instance.SetVariablesAsync(Vars(("priority", 4), ("paid", false)));
        await instance.SetVariablesAsync(Vars(("priority", 5)));
        await other.Engine.Runtime.ResolveIncidentAsync(incident.Id);
        var beforePaid = await instance.ActiveElementsAsync();
        await instance.SetVariablesAsync(Vars(("paid", true)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(incident.ElementId, Is.EqualTo("paid"), "a string is not a condition's answer");
            Assert.That((await instance.UserTasksAsync()).Count(t => t.ElementId == "escalate"), Is.EqualTo(2));
            Assert.That(beforePaid, Does.Contain("paid"));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "escalate", "escalate", "ship", "work" }));
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
        }
    }
}
