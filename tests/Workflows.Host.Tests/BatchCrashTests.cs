using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Workflows.Host.Tests;

/// <summary>
/// Issue 15's acceptance for batch operations: 500 instances cancelled by a batch whose host process is killed (SIGKILL)
/// halfway and started again on the same store — every instance cancelled once, every result written once; on SQLite
/// with the in-memory bus, and on PostgreSQL with RabbitMQ.
/// </summary>
[OnEveryBackend]
[NonParallelizable]
public sealed class BatchCrashTests(Backend backend)
{
    private const int Instances = 500;
    private const string Journey = "crash-batch";
    private static readonly Dictionary<string, string> s_smallChunksShortLeases = new()
    {
        ["Workflows__Engine__Worker__BatchChunkSize"] = "10",
        ["Workflows__Engine__Worker__LeaseDuration"] = "00:00:03",
    };

    private string _directory = "";
    private TestBackend _store = null!;

    [OneTimeSetUp]
    public async Task ProvideTheStore()
    {
        _directory = Directory.CreateTempSubdirectory("workflows-batchcrash-").FullName;
        _store = await TestBackend.CreateAsync(backend, _directory);
    }

    [OneTimeTearDown]
    public async Task RemoveTheStore()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Test]
    public async Task A_batch_cancelling_500_instances_survives_its_host_killed_halfway_and_cancels_each_once()
    {
        string batchId;
        int doneAtKill;
        using (var first = HostProcess.Start(_store, s_smallChunksShortLeases))
        {
            using var alice = await first.SignInAsync("alice");
            using var ann = await first.SignInAsync("ann");
            using var olga = Operator(first);
            await alice.DeployAsync(TestJourneys.UserTask(Journey));
            await StartManyAsync(ann);

            var batch = await olga.PostJsonAsync("api/batches", new { kind = "cancel", selection = new { journey = Journey }, reason = "journey withdrawn" }, HttpStatusCode.Created);
            batchId = batch.GetProperty("id").GetString()!;
            Assert.That(batch.GetProperty("total").GetInt32(), Is.EqualTo(Instances));

            var halfway = await WhileProgressingAsync(olga, batchId, b => b.GetProperty("done").GetInt32() >= Instances / 2, "the batch got halfway");
            doneAtKill = halfway.GetProperty("done").GetInt32();
            await first.KillAsync(); // mid-batch: leases stay taken, nothing shuts down
        }

        Assert.That(doneAtKill, Is.InRange(Instances / 2, Instances - 1), "the host was killed with the batch halfway");

        JsonElement finished;
        using (var second = HostProcess.Start(_store, s_smallChunksShortLeases))
        {
            using var ann = await second.SignInAsync("ann"); // once it listens
            using var olga = Operator(second);
            finished = await WhileProgressingAsync(olga, batchId, b => b.GetProperty("state").GetString() == "completed", "the restarted host completed the batch");
            await second.KillAsync();
        }

        const string BatchInstances = "(SELECT instance_id FROM wf_batch_items)";
        using (Assert.EnterMultipleScope())
        {
            Assert.That(finished.GetProperty("done").GetInt32(), Is.EqualTo(Instances), finished.ToString());
            Assert.That(await _store.CountAsync($"SELECT COUNT(*) FROM wf_instances WHERE status = 3 AND id IN {BatchInstances}"), Is.EqualTo(Instances), "every instance is cancelled");
            Assert.That(await _store.CountAsync($"SELECT COUNT(*) FROM wf_history WHERE kind = 'instance-cancelled' AND instance_id IN {BatchInstances}"), Is.EqualTo(Instances),
                "each instance was cancelled once");
            Assert.That(await _store.CountAsync($"SELECT COUNT(*) FROM wf_history WHERE kind = 'batch-operation' AND instance_id IN {BatchInstances}"), Is.EqualTo(Instances),
                "each instance's batch operation is in its history once");
        }
    }

    // The batch once reached holds, waited for as long as it does items (ProgressWait: a killed host's leases run out in 3 s,
    // a chunk is 10 items, so two minutes without one is a stuck batch).
    private static Task<JsonElement> WhileProgressingAsync(HttpClient olga, string batchId, Func<JsonElement, bool> reached, string what) =>
        ProgressWait.UntilAsync(() => olga.GetJsonAsync($"api/batches/{batchId}"), reached, b => b.GetProperty("done").GetInt32(), what);

    private static async Task StartManyAsync(HttpClient ann) =>
        await Parallel.ForEachAsync(Enumerable.Range(0, Instances), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (_, ct) =>
        {
            using var start = await ann.PostAsJsonAsync("api/instances", new { journey = Journey, branch = "paris-01", variables = new { customerId = "c-batch" } }, ct);
            await start.JsonAsync(HttpStatusCode.Created);
        });

    // An operator of the demo branch, with a token signed by the key the host was given.
    private static HttpClient Operator(HostProcess host) => host.WithToken(("sub", "olga"), ("role", "operator"), ("branch", "paris-01"));
}
