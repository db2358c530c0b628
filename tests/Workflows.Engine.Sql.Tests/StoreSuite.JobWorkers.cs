using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

// Jobs for workers over HTTP on each database: leased by type and branch, leases extended, the types workers asked for.
public abstract partial class StoreSuite
{
    [Test]
    public async Task Jobs_are_leased_by_type_and_branch_their_leases_extended_and_the_types_workers_asked_for_kept()
    {
        var h = await HarnessAsync();
        var store = NewStore();
        var run = Guid.NewGuid().ToString("N")[..8];
        var type = $"http-{run}";
        await h.DeployAsync(Process($"jobs-{run}", $"""
            <bpmn:startEvent id="s"/>{ServiceTask("call", type)}<bpmn:endEvent id="e"/>{Chain("s", "call", "e")}
            """, extensions: """<bpmn:extensionElements><wf:journey branch="=branch"/></bpmn:extensionElements>"""));
        var paris = await h.StartAsync($"jobs-{run}", Vars(("branch", $"paris-{run}")));
        var lyon = await h.StartAsync($"jobs-{run}", Vars(("branch", $"lyon-{run}")));
        var now = h.Clock.GetUtcNow();

        var other = await store.ClaimDueJobsOfTypeAsync("other-" + run, null, now, 10, "a", now, now.AddSeconds(30), default);
        var inParis = await store.ClaimDueJobsOfTypeAsync(type, $"paris-{run}", now, 10, "a", now, now.AddSeconds(30), default);
        var leased = await store.ClaimDueJobsOfTypeAsync(type, $"paris-{run}", now.AddSeconds(10), 10, "b", now.AddSeconds(10), now.AddSeconds(40), default);
        var extended = await store.ExtendJobLeaseAsync(inParis.Single().Id, null, now.AddSeconds(20), now.AddSeconds(90), default);
        var stillHeld = await store.ClaimDueJobsOfTypeAsync(type, null, now.AddSeconds(60), 10, "b", now.AddSeconds(60), now.AddSeconds(200), default);
        var expiredExtension = await store.ExtendJobLeaseAsync(inParis.Single().Id, null, now.AddSeconds(91), now.AddSeconds(120), default);
        var takenOver = await store.ClaimDueJobsOfTypeAsync(type, null, now.AddSeconds(91), 10, "b", now.AddSeconds(91), now.AddSeconds(120), default);

        await store.RecordJobWorkerAsync(type, "bot-1", now, default);
        await store.RecordJobWorkerAsync(type, "bot-2", now.AddMinutes(1), default);
        var workers = await store.GetJobWorkersAsync([type, "never-" + run], default);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(other, Is.Empty);
            Assert.That(inParis.Select(j => j.InstanceId), Is.EqualTo(new[] { paris.Id }), "only the branch's job");
            Assert.That(leased, Is.Empty, "held by a");
            Assert.That(extended, Is.True);
            Assert.That(stillHeld.Select(j => j.InstanceId), Is.EqualTo(new[] { lyon.Id }), "the extended lease still holds the paris job");
            Assert.That(expiredExtension, Is.False, "a lease that ran out is not extended");
            Assert.That(takenOver.Select(j => j.InstanceId), Is.EqualTo(new[] { paris.Id }));
            Assert.That(workers, Is.EqualTo(new[] { new Storage.JobWorkerRecord(type, "bot-2", now.AddMinutes(1)) }));
        }
    }
}
