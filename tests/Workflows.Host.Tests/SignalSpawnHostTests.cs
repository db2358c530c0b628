using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;

namespace Workflows.Host.Tests;

/// <summary>
/// The review's H1 as an attacker would try it on a running host: a journey started by a signal that throws the same
/// signal, deployed and started over the API. The host answers in bounded time and memory with one instance parked
/// on a clear incident, stays up and ready, and a host killed while such starts run leaves nothing half-written.
/// </summary>
[NonParallelizable]
public sealed class SignalSpawnHostTests
{
    private const string Journey = "spawn-h1";

    private const string SelfSpawning = $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
          <bpmn:signal id="s" name="{Journey}"/>
          <bpmn:process id="{Journey}" isExecutable="true">
            <bpmn:startEvent id="plain"/>
            <bpmn:startEvent id="bysignal"><bpmn:signalEventDefinition signalRef="s"/></bpmn:startEvent>
            <bpmn:intermediateThrowEvent id="again"><bpmn:signalEventDefinition signalRef="s"/></bpmn:intermediateThrowEvent>
            <bpmn:userTask id="t"/>
            <bpmn:sequenceFlow id="f0" sourceRef="plain" targetRef="again"/>
            <bpmn:sequenceFlow id="f1" sourceRef="bysignal" targetRef="again"/>
            <bpmn:sequenceFlow id="f2" sourceRef="again" targetRef="t"/>
          </bpmn:process>
        </bpmn:definitions>
        """;

    // A heap the chain would have filled in seconds before the fix (the review saw 4 GB in a minute).
    private static readonly Dictionary<string, string> s_capped = new() { ["DOTNET_GCHeapHardLimit"] = "0x30000000" };

    private static string Count(string what) => what switch
    {
        "instances" => $"SELECT COUNT(*) FROM wf_instances WHERE process_id = '{Journey}'",
        "started" => $"SELECT COUNT(*) FROM wf_history WHERE kind = 'instance-started' AND instance_id IN (SELECT id FROM wf_instances WHERE process_id = '{Journey}')",
        "orphans" => "SELECT COUNT(*) FROM wf_history h WHERE NOT EXISTS (SELECT 1 FROM wf_instances i WHERE i.id = h.instance_id)",
        "incidents" => $"SELECT COUNT(*) FROM wf_incidents WHERE resolved_at IS NULL AND instance_id IN (SELECT id FROM wf_instances WHERE process_id = '{Journey}')",
        "tasks" => $"SELECT COUNT(*) FROM wf_user_tasks WHERE instance_id IN (SELECT id FROM wf_instances WHERE process_id = '{Journey}')",
        _ => throw new ArgumentOutOfRangeException(nameof(what)),
    };

    [Test]
    public async Task A_start_whose_signal_keeps_starting_instances_answers_in_bounded_time_and_memory_with_one_clear_incident_and_a_ready_host()
    {
        var directory = Directory.CreateTempSubdirectory("workflows-h1-").FullName;
        await using var store = await TestBackend.CreateAsync(Backend.Sqlite, directory);
        try
        {
            using var host = HostProcess.Start(store, s_capped);
            using var alice = await host.SignInAsync("alice");
            await alice.DeployAsync(SelfSpawning);
            using var ann = await host.SignInAsync("ann");
            var watch = Stopwatch.StartNew();
            using var start = await ann.PostAsJsonAsync("api/instances", new { journey = Journey, branch = "paris-01" });
            var took = watch.Elapsed;
            var body = await start.Content.ReadAsStringAsync();
            using var otto = await host.SignInAsync("otto");
            var incidents = await otto.GetJsonAsync("api/incidents");
            using var anonymous = new HttpClient { BaseAddress = host.Url };
            using var ready = await anonymous.GetAsync(new Uri("health/ready", UriKind.Relative));

            using (Assert.EnterMultipleScope())
            {
                Assert.That(start.StatusCode, Is.EqualTo(HttpStatusCode.Created), body);
                Assert.That(took, Is.LessThan(TimeSpan.FromSeconds(60)), "answered, not hung");
                Assert.That(host.IsRunning, Is.True);
                Assert.That(host.WorkingSet, Is.LessThan(700L << 20), "memory stayed bounded");
                Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the host stays ready");
                Assert.That(await store.CountAsync(Count("instances")), Is.EqualTo(1), "nothing the chain started was kept");
                var messages = incidents.EnumerateArray().Select(i => i.GetProperty("message").GetString()).ToList();
                Assert.That(messages, Has.One.Contains("MaxElementsPerCommand").And.One.Contains("a signal that keeps starting instances"));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public async Task A_host_killed_while_self_spawning_starts_run_leaves_each_instance_whole_or_absent()
    {
        var directory = Directory.CreateTempSubdirectory("workflows-h1kill-").FullName;
        await using var store = await TestBackend.CreateAsync(Backend.Sqlite, directory);
        try
        {
            using (var first = HostProcess.Start(store, s_capped))
            {
                using var alice = await first.SignInAsync("alice");
                await alice.DeployAsync(SelfSpawning);
                using var ann = await first.SignInAsync("ann");
                var starts = Enumerable.Range(0, 4).Select(async _ =>
                {
                    try
                    {
                        using var response = await ann.PostAsJsonAsync("api/instances", new { journey = Journey, branch = "paris-01" });
                    }
                    catch (HttpRequestException)
                    {
                        // the host died under the request
                    }
                }).ToList();
                await Task.Delay(TimeSpan.FromMilliseconds(400)); // the chains are running in their commands
                await first.KillAsync();
                await Task.WhenAll(starts);
            }

            using (var second = HostProcess.Start(store, s_capped))
            {
                using var ann = await second.SignInAsync("ann");
                using (Assert.EnterMultipleScope())
                {
                    var instances = await store.CountAsync(Count("instances"));
                    Assert.That(instances, Is.LessThanOrEqualTo(4), "no instance of a chain was kept beside its parked start");
                    Assert.That(await store.CountAsync(Count("started")), Is.EqualTo(instances), "every instance row has its start in the history once");
                    Assert.That(await store.CountAsync(Count("orphans")), Is.Zero, "no history row of an instance that was not kept");
                    Assert.That(await store.CountAsync(Count("incidents")), Is.EqualTo(instances), "each kept instance is parked on its incident");
                    Assert.That(await store.CountAsync(Count("tasks")), Is.Zero, "no task of a rolled-back chain");
                }

                // The restarted host takes the same start again and answers it.
                using var again = await ann.PostAsJsonAsync("api/instances", new { journey = Journey, branch = "paris-01" });
                Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Created), await again.Content.ReadAsStringAsync());
                await second.KillAsync();
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
