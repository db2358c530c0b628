using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Workflows.Host.Tests;

/// <summary>
/// The host as its own process on a SQLite file, killed with SIGKILL while starts and completions run over HTTP and
/// started again on the same file: every acknowledged operation is there, none was done twice.
/// </summary>
[NonParallelizable]
public sealed class CrashTests
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromMinutes(2);

    [Test]
    public async Task A_host_killed_mid_load_keeps_every_acknowledged_start_and_completion_once_after_its_restart()
    {
        var directory = Directory.CreateTempSubdirectory("workflows-hostcrash-").FullName;
        var file = Path.Combine(directory, "host.db");
        var started = new ConcurrentBag<string>();
        var completed = new ConcurrentBag<string>();
        try
        {
            var url = $"http://127.0.0.1:{FreePort()}";
            using (var first = StartHost(file, url))
            {
                using var ann = await SignInAsync(url, first);
                using var stop = new CancellationTokenSource();
                var load = Task.WhenAll(Enumerable.Range(0, 3).Select(_ => LoadAsync(ann, started, completed, stop.Token)));
                var watch = Stopwatch.StartNew();
                while (completed.Count < 20 && watch.Elapsed < s_deadline && !first.HasExited)
                {
                    await Task.Delay(50);
                }

                first.Kill(entireProcessTree: true); // SIGKILL mid-load: no shutdown code runs
                await first.WaitForExitAsync();
                await stop.CancelAsync();
                await load;
                Assert.That(completed, Has.Count.GreaterThanOrEqualTo(20), "the load ran before the kill");
            }

            using (var second = StartHost(file, url))
            {
                using var ann = await SignInAsync(url, second);
                using (Assert.EnterMultipleScope())
                {
                    foreach (var id in started)
                    {
                        using var read = await ann.GetAsync(new Uri($"{url}/api/instances/{id}"));
                        Assert.That(read.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"the acknowledged start {id} is there after the restart");
                    }
                }

                // Nothing stuck: whatever jobs and timers came due before or during the kill are done by the restarted worker.
                var watch = Stopwatch.StartNew();
                long overdue;
                while ((overdue = await OverdueAsync(file)) > 0 && watch.Elapsed < s_deadline)
                {
                    await Task.Delay(200);
                }

                Assert.That(overdue, Is.Zero, "no job or timer is left overdue after the restart");

                // More work on the restarted host: it takes writes again.
                using var again = await ann.PostAsJsonAsync($"{url}/api/instances", new { journey = "complaint", branch = "paris-01", variables = new { customerId = "c-crash" } });
                Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Created), await again.Content.ReadAsStringAsync());
                second.Kill(entireProcessTree: true);
                await second.WaitForExitAsync();
            }

            SqliteConnection.ClearAllPools();
            await using var db = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
            await db.OpenAsync();
            await using var command = db.CreateCommand();
            command.CommandText = "SELECT instance_id, COUNT(*) FROM wf_history WHERE kind = 'task-completed' AND element_id = 'register' GROUP BY instance_id";
            var completions = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    completions[reader.GetValue(0).ToString()!] = reader.GetInt64(1);
                }
            }

            using (Assert.EnterMultipleScope())
            {
                Assert.That(completed.Where(i => completions.GetValueOrDefault(i) != 1), Is.Empty, "every acknowledged completion is there once");
                Assert.That(completions.Values.Where(n => n > 1), Is.Empty, "no task completed twice");
                Assert.That(started.Distinct().Count(), Is.EqualTo(started.Count), "no start acknowledged twice");
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<long> OverdueAsync(string file)
    {
        await using var db = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
        await db.OpenAsync();
        await using var command = db.CreateCommand();
        // Leased rows of the killed node count too: their lease runs out and the restarted worker takes them.
        command.CommandText = "SELECT (SELECT COUNT(*) FROM wf_jobs WHERE external = 0 AND due_at <= $now) + (SELECT COUNT(*) FROM wf_timers WHERE due_at <= $now)";
        command.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.AddSeconds(-5).UtcTicks);
        return (long)(await command.ExecuteScalarAsync())!;
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

    private static async Task<HttpClient> SignInAsync(string url, Process host)
    {
        var client = new HttpClient { BaseAddress = new Uri(url + "/"), Timeout = TimeSpan.FromSeconds(60) };
        var watch = Stopwatch.StartNew();
        while (true)
        {
            Assert.That(host.HasExited, Is.False, "the host runs");
            try
            {
                using var response = await client.PostAsJsonAsync("api/auth/sign-in", new { username = "ann", password = "demo" });
                if (response.IsSuccessStatusCode)
                {
                    var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString();
                    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
                    return client;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            Assert.That(watch.Elapsed, Is.LessThan(s_deadline), "the host started listening");
            await Task.Delay(200);
        }
    }

    private static Process StartHost(string file, string url)
    {
        var root = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Workflows.sln")))
        {
            root = root.Parent;
        }

        var hostDirectory = Path.Combine(root!.FullName, "host", "bin", "Release", "net10.0");
        var dll = Path.Combine(hostDirectory, "Workflows.Host.dll");
        Assert.That(File.Exists(dll), Is.True, $"the host is built at {dll}");
        var start = new ProcessStartInfo("dotnet", [dll]) { WorkingDirectory = hostDirectory, UseShellExecute = false, RedirectStandardOutput = false, RedirectStandardError = false };
        start.Environment["Workflows__Store__Provider"] = "Sqlite";
        start.Environment["Workflows__Store__ConnectionString"] = $"Data Source={file}";
        start.Environment["ASPNETCORE_URLS"] = url;
        start.Environment["Workflows__Auth__SignInPermitsPerMinute"] = "1000";
        return Process.Start(start)!;
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
