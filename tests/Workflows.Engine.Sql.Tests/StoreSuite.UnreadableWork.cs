using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// The jobs and messages of an instance whose stored state cannot be read: one incident for the instance, its work no
/// longer handed out until the incident is resolved, and every other instance served as before.
/// </summary>
public abstract partial class StoreSuite
{
    private const string Poison = "\"evil\":1,";

    // async: an in-process handler's job waits for the worker instead of running in the command that reached it.
    private static string Jobbed(string type, bool async = false) => Process("jobbed", $"""
        <bpmn:startEvent id="start"/>
        <bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="{type}" async="{(async ? "true" : "false")}"/></bpmn:extensionElements></bpmn:serviceTask>
        {UserTask("after")}
        {Chain("start", "work", "after")}
        """);

    private static readonly string s_awaiting = Process("awaiting", $"""
        <bpmn:startEvent id="start"/>
        <bpmn:receiveTask id="reply" messageRef="m"/>
        {UserTask("after")}
        {Chain("start", "reply", "after")}
        """, Message("m", "awaiting-reply", "=key"));

    private protected Task PoisonAsync(Guid instanceId) => TamperAsync(instanceId, json => json.Replace("\"next\":", Poison + "\"next\":", StringComparison.Ordinal));

    private Task RepairAsync(Guid instanceId) => TamperAsync(instanceId, json => json.Replace(Poison, "", StringComparison.Ordinal));

    [Test]
    public async Task A_job_of_an_unreadable_instance_raises_one_incident_and_is_not_handed_out_again_until_it_is_resolved()
    {
        var h = await HarnessAsync();
        var type = "parked-" + Guid.NewGuid().ToString("N"); // the fixture's store is shared: jobs of a type of its own
        await h.DeployAsync(Jobbed(type));
        var poisoned = await h.StartAsync("jobbed");
        var healthy = await h.StartAsync("jobbed");
        var worker = h.Engine.Jobs.AsLeaseHolder("w1");
        var activation = new JobActivation(type, "w1") { MaxJobs = 10, Timeout = TimeSpan.FromMinutes(1), LeaseHolder = "w1" };
        var jobs = await h.Engine.Jobs.ActivateAsync(activation);
        Assert.That(jobs, Has.Count.EqualTo(2));
        await PoisonAsync(poisoned.Id);

        var refused = Assert.ThrowsAsync<InstanceStateUnreadableException>(async () => await worker.CompleteAsync(jobs.Single(j => j.InstanceId == poisoned.Id).Id))!;
        await worker.CompleteAsync(jobs.Single(j => j.InstanceId == healthy.Id).Id); // the worker goes on with its other work
        for (var round = 0; round < 3; round++)
        {
            await h.AdvanceTimeAsync(TimeSpan.FromMinutes(2)); // the refused job's lease ran out long ago
            Assert.That(await h.Engine.Jobs.ActivateAsync(activation), Is.Empty, "the parked job is handed to no worker");
        }

        var incidents = await poisoned.IncidentsAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused.InstanceId, Is.EqualTo(poisoned.Id));
            Assert.That(await healthy.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
            Assert.That(incidents, Has.Count.EqualTo(1), "one incident for the instance");
            Assert.That(incidents[0].Message, Does.Contain(poisoned.Id.ToString()).And.Contain("'evil'"));
        }

        await RepairAsync(poisoned.Id);
        await h.Engine.Runtime.ResolveIncidentAsync(incidents[0].Id);
        var again = await h.Engine.Jobs.ActivateAsync(activation);
        Assert.That(again.Select(j => j.InstanceId), Is.EqualTo(new[] { poisoned.Id }), "given back once the incident is resolved");
        await worker.CompleteAsync(again[0].Id);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await poisoned.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
            Assert.That(await poisoned.IncidentsAsync(), Is.Empty);
        }
    }

    [Test]
    public async Task An_in_process_handler_meets_an_unreadable_instance_once_and_the_worker_goes_on_with_the_others()
    {
        var type = "handled-" + Guid.NewGuid().ToString("N");
        var calls = new List<Guid>();
        var h = await HarnessAsync(options => options.AddHandler(type, (context, _) =>
        {
            lock (calls)
            {
                calls.Add(context.InstanceId);
            }

            return ValueTask.FromResult<IReadOnlyDictionary<string, object?>?>(null);
        }));
        await h.DeployAsync(Jobbed(type, async: true));
        var poisoned = await h.StartAsync("jobbed");
        var healthy = await h.StartAsync("jobbed");
        await PoisonAsync(poisoned.Id);

        await h.Engine.Worker.RunDueJobsAsync();
        for (var round = 0; round < 3; round++)
        {
            await h.AdvanceTimeAsync(TimeSpan.FromMinutes(30)); // past every lease
            await h.Engine.Worker.RunDueJobsAsync();
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(calls.Count(id => id == poisoned.Id), Is.EqualTo(1), "its job is parked after the first refusal");
            Assert.That(await healthy.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
            Assert.That(await poisoned.IncidentsAsync(), Has.Count.EqualTo(1));
            Assert.That(h.Engine.Worker.Status.IsReady, Is.True);
        }
    }

    [Test]
    public async Task A_message_passes_over_an_unreadable_waiting_instance_to_the_next_one_or_the_buffer()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(s_awaiting);
        var key = "U-" + Guid.NewGuid();
        var poisoned = await h.StartAsync("awaiting", Vars(("key", key)));
        var healthy = await h.StartAsync("awaiting", Vars(("key", key)));
        await PoisonAsync(poisoned.Id); // it waited first, so the message would go to it

        var first = await h.CorrelateAsync("awaiting-reply", key, Vars(("answer", "yes")));
        var second = await h.CorrelateAsync("awaiting-reply", key, timeToLive: TimeSpan.FromHours(1));
        var third = await h.CorrelateAsync("awaiting-reply", key);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.CorrelatedInstances, Is.EqualTo(1));
            Assert.That(await healthy.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
            Assert.That(await healthy.VariableAsync("answer"), Is.EqualTo("yes"));
            Assert.That(second, Is.EqualTo(new CorrelationResult(0, 0, Buffered: true, Duplicate: false)), "buffered: nothing readable waits");
            Assert.That(third.CorrelatedInstances, Is.Zero);
            Assert.That(await poisoned.IncidentsAsync(), Has.Count.EqualTo(1), "one incident however many messages met it");
        }

        var incident = (await poisoned.IncidentsAsync()).Single();
        await RepairAsync(poisoned.Id);
        await h.Engine.Runtime.ResolveIncidentAsync(incident.Id);
        Assert.That(await poisoned.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }), "the message buffered meanwhile is taken once the state reads again (review13 F14)");
    }

    [Test]
    public async Task A_message_that_must_correlate_and_meets_only_an_unreadable_instance_is_refused_naming_it()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(s_awaiting);
        var key = "V-" + Guid.NewGuid();
        var poisoned = await h.StartAsync("awaiting", Vars(("key", key)));
        await PoisonAsync(poisoned.Id);

        var refused = Assert.ThrowsAsync<WorkflowNotFoundException>(async () =>
            await h.Engine.Runtime.CorrelateMessageAsync(new PublishMessage("awaiting-reply", key) { MustCorrelate = true }))!;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused.Message, Does.Contain(poisoned.Id.ToString()).And.Contain("cannot be read"));
            Assert.That(await poisoned.IncidentsAsync(), Has.Count.EqualTo(1));
        }
    }
}
