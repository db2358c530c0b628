using System.Net;
using System.Net.Http.Json;

namespace Workflows.Host.Tests;

/// <summary>
/// An instance whose stored state cannot be read, met through the API: a message passes over it to the next waiting
/// instance or the buffer, its job is handed to no worker once refused, and it has one incident an operator retries
/// after the repair.
/// </summary>
[NonParallelizable]
public sealed class UnreadableInstanceApiTests
{
    private static readonly string s_awaiting = UnreadableStates.AwaitingMessage("unreadable-reply");

    private static async Task<List<string>> IncidentsOfAsync(HttpClient staff, string instanceId) =>
        (await staff.GetJsonAsync("/api/incidents")).EnumerateArray()
            .Where(i => i.GetProperty("instanceId").GetString() == instanceId)
            .Select(i => i.GetProperty("id").GetString()!).ToList();

    [Test]
    public async Task A_message_passes_over_an_unreadable_instance_to_the_next_waiting_one_and_then_to_the_buffer()
    {
        await using var host = TestHost.Start();
        await (await host.As("alice")).DeployAsync(s_awaiting);
        var ann = await host.As("ann");
        var poisoned = await ann.StartAsync("unreadable-reply", new { grp = "G" });
        var healthy = await ann.StartAsync("unreadable-reply", new { grp = "G" });
        await UnreadableStates.PoisonAsync(host, poisoned); // it waited first: the message would be its

        using var first = await ann.PostAsJsonAsync("/api/messages", new { name = "unreadable-reply", correlationKey = "G" });
        var correlated = await first.JsonAsync(HttpStatusCode.OK);
        using var second = await ann.PostAsJsonAsync("/api/messages", new { name = "unreadable-reply", correlationKey = "G" });
        var refused = await second.ProblemAsync(HttpStatusCode.NotFound);
        var central = host.WithToken(("sub", "central-desk"), ("role", "agent"), ("branch", "*")); // a time-to-live is a central team's
        using var third = await central.PostAsJsonAsync("/api/messages", new { name = "unreadable-reply", correlationKey = "G", timeToLive = "PT1H" });
        var buffered = await third.JsonAsync(HttpStatusCode.OK);
        var otto = await host.As("otto");
        var state = await ann.GetJsonAsync($"/api/instances/{healthy}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(correlated.GetProperty("correlatedInstances").GetInt32(), Is.EqualTo(1));
            Assert.That(state.GetProperty("activeElements").EnumerateArray().Select(e => e.GetProperty("elementId").GetString()), Is.EqualTo(new[] { "t" }));
            Assert.That(refused, Does.Contain(poisoned).And.Contain("cannot be read"), "a message that must correlate names the instance it passed over");
            Assert.That(buffered.GetProperty("buffered").GetBoolean(), Is.True);
            Assert.That(await IncidentsOfAsync(otto, poisoned), Has.Count.EqualTo(1), "one incident, however many messages met it");
        }
    }

    [Test]
    public async Task A_job_whose_instance_cannot_be_read_is_refused_once_then_handed_to_no_worker_until_its_incident_is_retried()
    {
        const string type = "unreadable-check";
        await using var host = TestHost.Start();
        await (await host.As("alice")).DeployAsync(TestJourneys.ServiceTask(type, type));
        var ann = await host.As("ann");
        var poisoned = await ann.StartAsync(type);
        var healthy = await ann.StartAsync(type);
        var worker = host.WithToken(("sub", "bot-paris-01"), ("role", "worker"), ("branch", "paris-01"));
        var jobs = (await worker.PostJsonAsync("/api/jobs/activation", new { type, maxJobsToActivate = 10, timeout = "PT1S" })).GetProperty("jobs").EnumerateArray()
            .ToDictionary(j => j.GetProperty("instanceId").GetString()!, j => j.GetProperty("id").GetString()!);
        Assert.That(jobs.Keys, Is.EquivalentTo(new[] { poisoned, healthy }));
        await UnreadableStates.PoisonAsync(host, poisoned);

        using var refused = await worker.PostAsJsonAsync($"/api/jobs/{jobs[poisoned]}/completion", new { });
        var problem = await refused.JsonAsync(HttpStatusCode.Conflict);
        using var done = await worker.PostAsJsonAsync($"/api/jobs/{jobs[healthy]}/completion", new { });
        // Long enough for the refused job's one-second lease to run out: it is not handed out again.
        var later = await worker.PostJsonAsync("/api/jobs/activation", new { type, maxJobsToActivate = 10, requestTimeout = "PT3S" });
        var otto = await host.As("otto");
        var incidents = await IncidentsOfAsync(otto, poisoned);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(problem.GetProperty("instanceId").GetString(), Is.EqualTo(poisoned));
            Assert.That(done.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), "the worker goes on with its other jobs");
            Assert.That(later.GetProperty("jobs").GetArrayLength(), Is.Zero);
            Assert.That(incidents, Has.Count.EqualTo(1));
        }

        await UnreadableStates.RepairAsync(host, poisoned);
        using var retry = await otto.PostAsync(new Uri($"/api/incidents/{incidents[0]}/retry", UriKind.Relative), null);
        Assert.That(retry.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        var again = await worker.PostJsonAsync("/api/jobs/activation", new { type, maxJobsToActivate = 10, requestTimeout = "PT3S" });
        Assert.That(again.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("instanceId").GetString()), Is.EqualTo(new[] { poisoned }), "given back after the retry");
    }
}
