using NUnit.Framework;
using Workflows.Engine.Runtime;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>Review 13 F19: a message start held by its process scope's incident, stored and retried, on every database.</summary>
public abstract partial class StoreSuite
{
    [Test]
    public async Task A_message_start_held_by_an_event_sub_process_key_keeps_its_incident_and_message_variables_in_the_store_and_another_engine_retries_it()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Process("held-start", $"""
            <bpmn:startEvent id="received"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>
            {UserTask("handle")}
            {Chain("received", "handle")}
            <bpmn:subProcess id="followUps" triggeredByEvent="true">
              <bpmn:startEvent id="more" isInterrupting="false"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>
              {UserTask("note")}
              {Chain("more", "note")}
            </bpmn:subProcess>
            """, Message("m", "held-opened", "=key")));

        var published = await h.CorrelateAsync("held-opened", "H-1", Vars(("key", "H-1"), ("x", 1)), timeToLive: TimeSpan.FromHours(1));
        var started = (await h.InstancesOfAsync("held-start")).Single();
        var incident = (await started.IncidentsAsync()).Single();

        // Another engine over the same database: the held start event and its message's variables come from the store.
        var other = await HarnessAsync();
        var instance = other.Instance(started.Id);
        var heldAt = await instance.ActiveElementsAsync();
        await instance.SetVariablesAsync(Vars(("key", "H-1")));
        await other.Engine.Runtime.ResolveIncidentAsync(incident.Id);
        var notesAfterRetry = (await instance.UserTasksAsync()).Count(t => t.ElementId == "note");
        await other.CorrelateAsync("held-opened", "H-1");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(published.StartedInstances, Is.EqualTo(1));
            Assert.That(incident.ElementId, Is.EqualTo("held-start"));
            Assert.That(incident.Message, Does.Contain("=key"));
            Assert.That(heldAt, Is.EqualTo(new[] { "received" }));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "followUps", "handle", "note" }));
            Assert.That(await instance.VariableAsync("x"), Is.EqualTo(1));
            Assert.That(notesAfterRetry, Is.Zero, "the starting message is correlated once");
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
            Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Active));
        }
    }
}
