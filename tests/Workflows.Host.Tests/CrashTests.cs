using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Workflows.Host.Tests;

/// <summary>
/// The host as its own process on a SQLite file, killed with SIGKILL while starts and completions run over HTTP and
/// started again on the same file: every acknowledged operation is there, none was done twice.
/// </summary>
[NonParallelizable]
public sealed class CrashTests
{
    [Test]
    public async Task A_host_killed_mid_load_keeps_every_acknowledged_start_and_completion_once_after_its_restart()
    {
        var directory = Directory.CreateTempSubdirectory("workflows-hostcrash-").FullName;
        var started = new ConcurrentBag<string>();
        var completed = new ConcurrentBag<string>();
        await using var store = await TestBackend.CreateAsync(Backend.Sqlite, directory);
        try
        {
            using (var first = HostProcess.Start(store))
            {
                using var ann = await first.SignInAsync("ann");
                using var stop = new CancellationTokenSource();
                var load = Task.WhenAll(Enumerable.Range(0, 3).Select(_ => LoadAsync(ann, started, completed, stop.Token)));
                await ProgressWait.UntilAsync(() => Task.FromResult(completed.Count), n => n >= 20, n => n, "the load completed 20 tasks before the kill");

                await first.KillAsync(); // mid-load: no shutdown code runs
                await stop.CancelAsync();
                await load;
                Assert.That(completed, Has.Count.GreaterThanOrEqualTo(20), "the load ran before the kill");
            }

            using (var second = HostProcess.Start(store))
            {
                using var ann = await second.SignInAsync("ann");
                using (Assert.EnterMultipleScope())
                {
                    foreach (var id in started)
                    {
                        using var read = await ann.GetAsync(new Uri($"api/instances/{id}", UriKind.Relative));
                        Assert.That(read.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"the acknowledged start {id} is there after the restart");
                    }
                }

                // Nothing stuck: whatever jobs and timers came due before or during the kill are done by the restarted worker.
                // Leased rows of the killed node count too: their lease runs out and the restarted worker takes them.
                // Waited for as long as the overdue rows get fewer (ProgressWait), not for a wall-clock time.
                var overdue = await ProgressWait.UntilAsync(() => store.CountAsync(Overdue()), n => n == 0, n => -n, "the restarted worker worked off the overdue jobs and timers");
                Assert.That(overdue, Is.Zero, "no job or timer is left overdue after the restart");

                // More work on the restarted host: it takes writes again.
                using var again = await ann.PostAsJsonAsync("api/instances", new { journey = "complaint", branch = "paris-01", variables = new { customerId = "c-crash" } });
                Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Created), await again.Content.ReadAsStringAsync());
                await second.KillAsync();
            }

            var completions = await CompletionsAsync(store);
            using (Assert.EnterMultipleScope())
            {
                Assert.That(completed.Where(i => completions.GetValueOrDefault(i) != 1), Is.Empty, "every acknowledged completion is there once");
                Assert.That(completions.Values.Where(n => n > 1), Is.Empty, "no task completed twice");
                Assert.That(started.Distinct().Count(), Is.EqualTo(started.Count), "no start acknowledged twice");
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string Overdue() =>
        $"SELECT (SELECT COUNT(*) FROM wf_jobs WHERE external = 0 AND due_at <= {DateTimeOffset.UtcNow.AddSeconds(-5).UtcTicks}) + (SELECT COUNT(*) FROM wf_timers WHERE due_at <= {DateTimeOffset.UtcNow.AddSeconds(-5).UtcTicks})";

    private static async Task<Dictionary<string, long>> CompletionsAsync(TestBackend store)
    {
        await using var db = await store.OpenAsync();
        await using var command = db.CreateCommand();
        command.CommandText = "SELECT instance_id, COUNT(*) FROM wf_history WHERE kind = 'task-completed' AND element_id = 'register' GROUP BY instance_id";
        var completions = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            completions[reader.GetValue(0).ToString()!] = reader.GetInt64(1);
        }

        return completions;
    }

    private static async Task LoadAsync(HttpClient ann, ConcurrentBag<string> started, ConcurrentBag<string> completed, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var start = await ann.PostAsJsonAsync("api/instances", new { journey = "complaint", branch = "paris-01", variables = new { customerId = "c-crash" } }, stop);
                if (start.StatusCode != HttpStatusCode.Created)
                {
                    continue;
                }

                var id = (await start.Content.ReadFromJsonAsync<JsonElement>(stop)).GetProperty("id").GetString()!;
                started.Add(id);
                var instance = await ann.GetFromJsonAsync<JsonElement>($"api/instances/{id}", stop);
                var task = instance.GetProperty("tasks").EnumerateArray().Single(t => t.GetProperty("elementId").GetString() == "register").GetProperty("id").GetString();
                using var complete = await ann.PostAsJsonAsync($"api/tasks/{task}/complete", new { variables = new { category = "billing", amount = 20, summary = "x" } }, stop);
                if (complete.IsSuccessStatusCode)
                {
                    completed.Add(id);
                }
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
            {
                // the host died under the request: not acknowledged
                if (stop.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }
}
