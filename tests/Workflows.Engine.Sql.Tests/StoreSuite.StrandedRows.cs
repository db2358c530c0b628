using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// Rows and a state that disagree, on every store (review13 F3, F10, F14): a task, job or subscription row no element of the
/// state waits for is the instance's incident when a command meets it (never "no longer waits" for ever) and is named at
/// inspection; a parked timer shows its lease; a message buffered while the state could not be read is taken once the
/// repaired instance's incident is resolved.
/// </summary>
public abstract partial class StoreSuite
{
    [Test]
    public async Task A_task_no_element_of_the_state_waits_for_is_the_instances_incident_when_completed_and_named_at_inspection()
    {
        var h = await HarnessAsync();
        var id = Unique("stranded");
        await h.DeployAsync(Process(id, $"""<bpmn:startEvent id="start"/>{UserTask("t")}{Chain("start", "t")}"""));
        var instance = await h.StartAsync(id);
        var task = (await instance.UserTasksAsync()).Single();
        var elsewhere = Guid.NewGuid();
        await TamperAsync(instance.Id, json => json.Replace(task.Id.ToString(), elsewhere.ToString(), StringComparison.OrdinalIgnoreCase));

        var inspection = await h.Engine.Inspection.InspectAsync(instance.Id);
        var refused = Assert.ThrowsAsync<InstanceStateUnreadableException>(() => h.Engine.Tasks.CompleteAsync(task.Id))!;
        var again = Assert.ThrowsAsync<InstanceStateUnreadableException>(() => h.Engine.Tasks.ClaimAsync(task.Id, "agent-1"))!;
        var incidents = await instance.IncidentsAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(inspection.WaitPoints.Single(w => w.Kind == "user-task").Problem, Does.Contain("does not wait for this user-task").And.Contain(elsewhere.ToString()));
            Assert.That(inspection.MissingRows, Has.One.Contains(elsewhere.ToString()).And.One.Contains("'t'"));
            Assert.That(refused.Message, Does.Contain(task.Id.ToString()).And.Contain("nothing could ever meet it"));
            Assert.That(again.InstanceId, Is.EqualTo(instance.Id));
            Assert.That(incidents, Has.Count.EqualTo(1), "one incident for the instance, however often the task is met");
            Assert.That(incidents[0].Message, Does.Contain(task.Id.ToString()));
        }
    }

    [Test]
    public async Task A_message_subscription_no_element_waits_for_raises_the_instances_incident_and_the_message_goes_to_the_next_subscriber()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(s_awaiting);
        var key = "STR-" + Guid.NewGuid();
        var stranded = await h.StartAsync("awaiting", Vars(("key", key)));
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        var next = await h.StartAsync("awaiting", Vars(("key", key)));
        // The receive task's element waits for another subscription: its row stays, no element waits for it.
        var subscription = (await h.Engine.Inspection.InspectAsync(stranded.Id)).WaitPoints.Single(w => w.Kind == "message").Id;
        await TamperAsync(stranded.Id, json => json.Replace(subscription.ToString(), Guid.NewGuid().ToString(), StringComparison.OrdinalIgnoreCase));

        var result = await h.CorrelateAsync("awaiting-reply", key);
        var incidents = await stranded.IncidentsAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.CorrelatedInstances, Is.EqualTo(1));
            Assert.That(await next.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }), "the message went on to the next waiting instance");
            Assert.That(incidents, Has.Count.EqualTo(1));
            Assert.That(incidents[0].Message, Does.Contain("message subscription").And.Contain("nothing could ever meet it"));
        }
    }

    [Test]
    public async Task A_timer_no_element_waits_for_is_the_instances_incident_when_due_and_stays_for_the_operator_not_dropped()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(s_timed);
        var instance = await h.StartAsync("timed", Vars(("key", "T-" + Guid.NewGuid())));
        var timer = (await h.Engine.Inspection.InspectAsync(instance.Id)).WaitPoints.Single(w => w.Kind == "timer").Id;
        await TamperAsync(instance.Id, json => json.Replace(timer.ToString(), Guid.NewGuid().ToString(), StringComparison.OrdinalIgnoreCase));

        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(1));
        var inspection = await h.Engine.Inspection.InspectAsync(instance.Id);
        var incidents = await instance.IncidentsAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(incidents, Has.Count.EqualTo(1));
            Assert.That(incidents[0].Message, Does.Contain($"timer {timer}"));
            Assert.That(inspection.WaitPoints.Single(w => w.Kind == "timer").Problem, Does.Contain("does not wait for this timer"), "kept, marked, for the operator");
            Assert.That(inspection.MissingRows, Has.Count.EqualTo(1), "and the wait the element names instead has no row");
        }
    }

    [Test]
    public async Task The_inspection_shows_a_parked_timer_leased_to_the_unreadable_state_as_it_shows_a_parked_job()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(s_timed);
        var instance = await h.StartAsync("timed", Vars(("key", "L-" + Guid.NewGuid())));
        await PoisonAsync(instance.Id);
        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(1)); // the timer meets the unreadable state: its incident, its work parked

        var timer = (await h.Engine.Inspection.InspectAsync(instance.Id)).WaitPoints.Single(w => w.Kind == "timer");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(timer.LeaseOwner, Is.EqualTo("unreadable-state"));
            Assert.That(timer.LeaseUntil, Is.EqualTo(DateTimeOffset.MaxValue), "parked with no end");
        }
    }

    [Test]
    public async Task A_message_buffered_while_the_state_could_not_be_read_is_taken_once_the_repaired_instances_incident_is_resolved()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(s_awaiting);
        var key = "BUF-" + Guid.NewGuid();
        var instance = await h.StartAsync("awaiting", Vars(("key", key)));
        await PoisonAsync(instance.Id);

        var published = await h.CorrelateAsync("awaiting-reply", key, Vars(("got", true)), timeToLive: TimeSpan.FromHours(1));
        await RepairAsync(instance.Id);
        await h.Engine.Runtime.ResolveIncidentAsync((await instance.IncidentsAsync()).Single().Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(published.Buffered, Is.True, "the message passed over the unreadable instance");
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }), "the catch took the buffered message");
            Assert.That(await instance.VariableAsync("got"), Is.EqualTo(true));
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
        }

        var second = await h.StartAsync("awaiting", Vars(("key", key)));
        Assert.That(await second.ActiveElementsAsync(), Is.EqualTo(new[] { "reply" }), "taken once: a later instance of the process finds nothing buffered");
    }
}
