using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Workflows.Host.Tests;

/// <summary>
/// The host on a real SQLite file under HTTP load (starts and task completions) while the store stops taking writes:
/// the API answers 503 problems (never a 500, never a crash), readiness is Unhealthy while the fault lasts and Healthy
/// after, the worker recovers on its own, and every operation acknowledged with 2xx is in the store once.
/// </summary>
/// <remarks>
/// A file made read-only (chmod, chattr) in this process does not fault it: SQLite reuses the writable descriptors of
/// connections already open on the file. The start on a read-only file is tested in <see cref="StartFaultTests"/>, the
/// worker on one in the store's WorkerFaultTests.
/// </remarks>
[NonParallelizable]
public sealed class StoreFaultLoadTests
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(90); // two busy cores

    [Test]
    public async Task A_database_another_process_locks_under_load_answers_503_reports_not_ready_and_recovers_with_nothing_acknowledged_lost()
    {
        await using var host = StartHost(out var file);
        await using var holder = new SqliteConnection($"Data Source={file};Pooling=False");

        await RunFaultAsync(host, file,
            begin: async () =>
            {
                await holder.OpenAsync();
                await using var exclusive = holder.CreateCommand();
                exclusive.CommandText = "BEGIN EXCLUSIVE";
                await exclusive.ExecuteNonQueryAsync();
            },
            end: async () =>
            {
                await using var rollback = holder.CreateCommand();
                rollback.CommandText = "ROLLBACK";
                await rollback.ExecuteNonQueryAsync();
                await holder.CloseAsync();
            },
            expected: "locked");
    }

    private static TestHost StartHost(out string file)
    {
        // A command waits 1 s for a lock (Default Timeout), so that a locked file answers 503 within the test's patience.
        var directory = Directory.CreateTempSubdirectory("workflows-faultdb-").FullName;
        file = Path.Combine(directory, "host.db");
        var host = TestHost.Start(new Dictionary<string, string>
        {
            ["Workflows__Store__ConnectionString"] = $"Data Source={file};Default Timeout=1",
            ["Workflows__Engine__Worker__PollInterval"] = "00:00:00.100",
            ["Workflows__Engine__Worker__FaultBackoff"] = "00:00:00.050",
            ["Workflows__Engine__Worker__MaxFaultBackoff"] = "00:00:00.500",
        });
        return host;
    }

    private static async Task RunFaultAsync(TestHost host, string file, Func<Task> begin, Func<Task> end, string expected)
    {
        var ann = await host.As("ann");
        using var probe = host.Anonymous();
        var load = new Load(ann);
        using var stop = new CancellationTokenSource();
        var running = Task.WhenAll(load.StartingAsync(stop.Token), load.CompletingAsync(stop.Token));
        Assert.That(await EventuallyAsync(() => Task.FromResult(load.Completed.Count >= 3 && load.Started.Count >= 5)), Is.True, $"the load runs before the fault: {load}");

        await begin();
        var unready = await EventuallyAsync(async () => await ReadinessAsync(probe) == "Unhealthy");
        var refused = await EventuallyAsync(() => Task.FromResult(load.Statuses.ContainsKey(503)));
        var reason = load.LastProblem;
        await end();
        var ready = await EventuallyAsync(async () => await ReadinessAsync(probe) == "Healthy");
        var before = load.Completed.Count;
        var resumed = await EventuallyAsync(() => Task.FromResult(load.Completed.Count >= before + 3));
        await stop.CancelAsync();
        await running;

        await using var db = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
        await db.OpenAsync();
        var instances = (await QueryAsync(db, "SELECT id FROM wf_instances")).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var completions = (await QueryAsync(db, "SELECT instance_id FROM wf_history WHERE kind = 'task-completed' AND element_id = 'register'"))
            .GroupBy(i => i, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.Count(), StringComparer.OrdinalIgnoreCase);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(load.Unexpected, Is.Empty, "no answer but 2xx, a 4xx problem or a 503 problem");
            Assert.That(unready, Is.True, "readiness said Unhealthy while the fault lasted");
            Assert.That(refused, Is.True, $"the API answered 503 while the fault lasted: {load}");
            Assert.That(reason, Does.Contain(expected), "the 503 says what is wrong with the store");
            Assert.That(ready, Is.True, "readiness said Healthy once the fault went");
            Assert.That(resumed, Is.True, $"completions went on after the fault: {load}");
            Assert.That(load.Started.Where(id => !instances.Contains(id)), Is.Empty, "every acknowledged start is in the store");
            Assert.That(load.Completed.Where(c => completions.GetValueOrDefault(c) != 1), Is.Empty, "every acknowledged completion is in the store once");
            Assert.That(completions.Values.Where(n => n > 1), Is.Empty, "no task was completed twice");
        }
    }

    private static async Task<List<string>> QueryAsync(SqliteConnection db, string sql)
    {
        await using var command = db.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetValue(0).ToString()!);
        }

        return values;
    }

    private static async Task<string?> ReadinessAsync(HttpClient probe)
    {
        using var response = await probe.GetAsync(new Uri("/health/ready", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        return text.StartsWith('{') ? JsonDocument.Parse(text).RootElement.GetProperty("status").GetString() : null;
    }

    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > s_deadline)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }

    /// <summary>Starts complaints and completes their first task over HTTP, recording every answer.</summary>
    private sealed class Load(HttpClient ann)
    {
        private readonly ConcurrentQueue<(string Instance, string Task)> _open = new();

        public ConcurrentBag<string> Started { get; } = [];

        /// <summary>The instances whose register task was acknowledged as completed.</summary>
        public ConcurrentBag<string> Completed { get; } = [];

        public ConcurrentDictionary<int, int> Statuses { get; } = new();

        public ConcurrentBag<string> Unexpected { get; } = [];

        public string? LastProblem { get; private set; }

        public async Task StartingAsync(CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await ann.PostAsJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", variables = new { customerId = "c-load" } }, CancellationToken.None);
                var body = await Record(response);
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    var id = body.GetProperty("id").GetString()!;
                    Started.Add(id);
                    using var read = await ann.GetAsync(new Uri($"/api/instances/{id}", UriKind.Relative), CancellationToken.None);
                    var instance = await Record(read);
                    if (read.IsSuccessStatusCode)
                    {
                        var task = instance.GetProperty("tasks").EnumerateArray().Single(t => t.GetProperty("elementId").GetString() == "register").GetProperty("id").GetString()!;
                        _open.Enqueue((id, task));
                    }
                }
            }
        }

        public async Task CompletingAsync(CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                if (!_open.TryDequeue(out var open))
                {
                    await Task.Delay(20, CancellationToken.None);
                    continue;
                }

                using var response = await ann.PostAsJsonAsync($"/api/tasks/{open.Task}/complete", new { variables = new { category = "billing", amount = 20, summary = "x" } }, CancellationToken.None);
                await Record(response);
                if (response.IsSuccessStatusCode)
                {
                    Completed.Add(open.Instance);
                }
                else if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    _open.Enqueue(open); // nothing was changed: try again later, as a caller would
                }
            }
        }

        private async Task<JsonElement> Record(HttpResponseMessage response)
        {
            var status = (int)response.StatusCode;
            Statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            var text = await response.Content.ReadAsStringAsync();
            JsonElement body = default;
            try
            {
                body = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
            }
            catch (JsonException)
            {
                Unexpected.Add($"{status} with a body that is not JSON: {text}");
            }

            if (status >= 500 && !(status == 503 && body.ValueKind == JsonValueKind.Object && body.TryGetProperty("detail", out var detail) && response.Headers.RetryAfter is not null))
            {
                Unexpected.Add($"{status}: {text}");
            }
            else if (status == 503)
            {
                LastProblem = body.GetProperty("detail").GetString();
            }

            return body;
        }

        public override string ToString() => $"{Started.Count} started, {Completed.Count} completed, answers {string.Join(", ", Statuses.OrderBy(s => s.Key))}";
    }
}
