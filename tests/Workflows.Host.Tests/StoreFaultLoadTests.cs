using System.Data.Common;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using static Workflows.Host.Tests.FaultChecks;

namespace Workflows.Host.Tests;

/// <summary>
/// The host under HTTP load (clients starting cases and completing tasks, the worker firing timers and running jobs)
/// while its store stops taking writes — locked by another process, made read-only, its disk filled up, a PostgreSQL
/// database turned read-only — and then takes them again: every request answers 2xx, a 4xx problem or a 503 problem
/// naming the fault with Retry-After (never a 500, never a hung request), the worker keeps retrying with back-off and
/// logs the fault once, readiness is Unhealthy while it lasts, and after it, without a restart, the work resumes and every
/// acknowledged write is in the store once, every due timer and job done once.
/// </summary>
/// <remarks>
/// The faults are real: another process's exclusive lock; <c>chattr +i</c> on the database and its WAL (refuses writes
/// through descriptors already open, even to root); a size-limited tmpfs filled to its last byte; PostgreSQL's
/// <c>default_transaction_read_only</c> with the host's sessions terminated. See <see cref="StorageMechanisms"/> for where
/// they are available.
/// </remarks>
[NonParallelizable]
public sealed class StoreFaultLoadTests
{
    [Test]
    public async Task A_database_another_process_locks_under_load_answers_503_reports_not_ready_and_recovers_with_nothing_acknowledged_lost()
    {
        var file = "";
        await using var host = StartHost(d => file = Path.Combine(d, "host.db"), out var logs);
        await using var holder = new SqliteConnection($"Data Source={file};Pooling=False");

        await RunFaultAsync(host, logs, () => OpenSqliteAsync(file),
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

    [Test]
    public async Task A_database_file_made_read_only_under_load_answers_503_reports_not_ready_and_recovers_with_nothing_acknowledged_lost()
    {
        var file = "";
        await using var host = StartHost(d => file = Path.Combine(d, "host.db"), out var logs);
        await StorageMechanisms.RequireImmutableFilesAsync(host.Directory);
        var files = new[] { file, file + "-wal" }; // not -shm: SQLite maps it, and a write fault there is SIGBUS, not an error
        try
        {
            await RunFaultAsync(host, logs, () => OpenSqliteAsync(file),
                begin: () => StorageMechanisms.SetImmutableAsync(true, files),
                end: () => StorageMechanisms.SetImmutableAsync(false, files),
                expected: "read-only");
        }
        finally
        {
            await StorageMechanisms.SetImmutableAsync(false, files);
        }
    }

    [Test]
    public async Task A_disk_filled_up_under_load_answers_503_reports_not_ready_and_recovers_once_space_is_freed_with_nothing_acknowledged_lost()
    {
        // Room enough that the load's own database and WAL never fill it: only Fill does, and Free gives the room back.
        await using var disk = await SizeLimitedDirectory.MountAsync(256);
        var file = Path.Combine(disk.Path, "host.db");
        await using (var host = StartHost(_ => { }, out var logs, file))
        {
            await RunFaultAsync(host, logs, () => OpenSqliteAsync(file),
                begin: () => Task.Run(disk.Fill),
                end: () => Task.Run(disk.Free),
                expected: "full");
        }
    }

    [Test]
    public async Task Readiness_is_unhealthy_while_the_disk_is_full_even_when_no_work_is_due_and_healthy_once_space_is_freed()
    {
        // Room enough that the load's own database and WAL never fill it: only Fill does, and Free gives the room back.
        await using var disk = await SizeLimitedDirectory.MountAsync(256);
        var file = Path.Combine(disk.Path, "host.db");
        await using var host = StartHost(_ => { }, out _, file);
        using var probe = host.Anonymous();
        var healthyBefore = await EventuallyAsync(async () => await ReadinessAsync(probe) == "Healthy");

        disk.Fill();
        var unhealthy = await EventuallyAsync(async () => await ReadinessAsync(probe) == "Unhealthy");
        var description = await ReadinessDescriptionAsync(probe);
        disk.Free();
        var healthyAfter = await EventuallyAsync(async () => await ReadinessAsync(probe) == "Healthy");
        var ann = await host.As("ann");
        using var start = await ann.PostAsJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", variables = new { customerId = "c-idle" } });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(healthyBefore, Is.True, "ready before the disk filled");
            Assert.That(unhealthy, Is.True, "readiness probes a write: with no request and no due work it still sees the full disk");
            Assert.That(description, Does.Contain("takes no writes").And.Contain("full"), "readiness says what is wrong");
            Assert.That(healthyAfter, Is.True, "ready again once space was freed, without a restart");
            Assert.That((int)start.StatusCode, Is.EqualTo(201), await start.Content.ReadAsStringAsync());
        }
    }

    [Test]
    public async Task A_PostgreSQL_database_turned_read_only_under_load_answers_503_reports_not_ready_and_recovers_when_it_takes_writes_again()
    {
        var server = Environment.GetEnvironmentVariable("WORKFLOWS_TEST_POSTGRES");
        if (server is null)
        {
            StorageMechanisms.Unavailable("WORKFLOWS_TEST_POSTGRES is not set: run ./scripts/test.sh, which provisions PostgreSQL and sets it");
        }

        var database = $"wf_fault_{Guid.NewGuid():N}";
        await ExecuteAsync(server!, $"CREATE DATABASE {database}");
        var connection = new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString;
        try
        {
            await using (var host = StartHost(_ => { }, out var logs, settings: new Dictionary<string, string>
            {
                ["Workflows__Store__Provider"] = "PostgreSql",
                ["Workflows__Store__ConnectionString"] = connection,
                ["Workflows__Auth__SigningKey"] = Convert.ToBase64String(new byte[32]),
                ["Workflows__Auth__DemoUsers"] = "true",
            }))
            {
                await RunFaultAsync(host, logs, async () =>
                    {
                        var db = new NpgsqlConnection(connection);
                        await db.OpenAsync();
                        return db;
                    },
                    // As a primary demoted to a standby: new sessions are read-only, the open ones are cut.
                    begin: () => ExecuteAsync(server!, $"ALTER DATABASE {database} SET default_transaction_read_only = on; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}' AND pid <> pg_backend_pid()"),
                    // The host's sessions opened meanwhile stay read-only: it must open new ones on its own.
                    end: () => ExecuteAsync(server!, $"ALTER DATABASE {database} SET default_transaction_read_only = off"),
                    expected: "read-only");
            }
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(server!, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        }
    }

    /// <summary>The host with a fast worker and short leases, its store where <paramref name="file"/> says (by default in its own directory).</summary>
    private static TestHost StartHost(Action<string> directory, out RecordingLoggerProvider logs, string? file = null, Dictionary<string, string>? settings = null)
    {
        var recorder = new RecordingLoggerProvider(20, 121);
        logs = recorder;
        var all = new Dictionary<string, string>
        {
            ["Workflows__Engine__Worker__PollInterval"] = "00:00:00.100",
            ["Workflows__Engine__Worker__FaultBackoff"] = "00:00:00.050",
            ["Workflows__Engine__Worker__MaxFaultBackoff"] = "00:00:00.500",
            // A job or timer leased in a round the fault failed is taken again soon after.
            ["Workflows__Engine__Worker__LeaseDuration"] = "00:00:02",
        };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        var host = TestHost.Start(all, services: s => s.AddSingleton<ILoggerProvider>(recorder));
        directory(host.Directory);
        if (settings is null)
        {
            // A command waits 1 s for a lock (Default Timeout), so that a locked file answers 503 within the test's patience.
            Environment.SetEnvironmentVariable("Workflows__Store__ConnectionString", $"Data Source={file ?? Path.Combine(host.Directory, "host.db")};Default Timeout=1");
        }

        return host;
    }

    private static async Task RunFaultAsync(TestHost host, RecordingLoggerProvider logs, Func<Task<DbConnection>> open, Func<Task> begin, Func<Task> end, string expected)
    {
        await FaultLoad.DeployTimerProcessAsync(host);
        var ann = await host.As("ann");
        using var probe = host.Anonymous();
        var load = new FaultLoad(ann);
        await using var worker = new WorkerWatch(host);
        using var stop = new CancellationTokenSource();
        var running = load.RunAsync(stop.Token);
        Assert.That(await EventuallyAsync(() => Task.FromResult(load.Completed.Count >= 3 && load.Started.Count >= 5 && load.TimersStarted.Count >= 2)), Is.True, $"the load runs before the fault: {load}");

        await begin();
        var unready = await EventuallyAsync(async () => await ReadinessAsync(probe) == "Unhealthy");
        var refused = await EventuallyAsync(() => Task.FromResult(load.Statuses.GetValueOrDefault(503) >= 3));
        var faulted = await EventuallyAsync(() => Task.FromResult(worker.MaxFailures >= 3));
        using var live = await probe.GetAsync(new Uri("/health/live", UriKind.Relative));
        var faultedStatus = worker.Last;
        await end();

        var ready = await EventuallyAsync(async () => await ReadinessAsync(probe) == "Healthy");
        var (completed, timers) = (load.Completed.Count, load.TimersStarted.Count);
        var resumed = await EventuallyAsync(() => Task.FromResult(load.Completed.Count >= completed + 3 && load.TimersStarted.Count >= timers + 2));
        await stop.CancelAsync();
        await running;

        await using var db = await open();
        // The worker catches up: every acknowledged timer process has its timer fired and its job run, nothing overdue;
        // and the outbox resumes: every registered complaint is handed over to the back office.
        var caughtUp = await EventuallyAsync(async () =>
        {
            var jobs = await HistoryCountsAsync(db, "job-completed", "lookup");
            return load.TimersStarted.All(jobs.ContainsKey) && await OverdueAsync(db) == 0 && await CountAsync(db, HandoffsMissing) == 0;
        });
        var handedTwice = await CountAsync(db, HandoffsTwice);
        var instances = await InstancesAsync(db);
        var completions = await HistoryCountsAsync(db, "task-completed", "register");
        var fired = await HistoryCountsAsync(db, "timer-fired", "wait");
        var ran = await HistoryCountsAsync(db, "job-completed", "lookup");
        var workerFaultLogs = logs.Entries.Where(e => e.EventId == 20).Select(e => e.Message).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(load.Unexpected, Is.Empty, "no answer but 2xx, a 4xx problem or a 503 problem with Retry-After; no request hung");
            Assert.That(unready, Is.True, "readiness said Unhealthy while the fault lasted");
            Assert.That(refused, Is.True, $"the API answered 503 while the fault lasted: {load}");
            Assert.That(load.Problems.Keys, Has.Some.Contain(expected), "a 503 says what is wrong with the store");
            Assert.That(live.IsSuccessStatusCode, Is.True, "the host stays alive through the fault");
            Assert.That(faulted, Is.True, $"the worker failed rounds in a row and kept retrying: {faultedStatus}");
            Assert.That(worker.Stopped, Is.False, "the worker never stopped");
            Assert.That(workerFaultLogs, Has.Count.GreaterThanOrEqualTo(1).And.Count.LessThan(worker.MaxFailures),
                $"the worker logs a fault once (again only when its reason changes), not each of its {worker.MaxFailures} failed rounds: {string.Join(" | ", workerFaultLogs)}");
            Assert.That(workerFaultLogs.Select(Reason).Zip(workerFaultLogs.Select(Reason).Skip(1)).Where(p => p.First == p.Second), Is.Empty, "no reason logged twice in a row");
            Assert.That(ready, Is.True, "readiness said Healthy once the fault went");
            Assert.That(resumed, Is.True, $"starts and completions went on after the fault, without a restart: {load}");
            Assert.That(caughtUp, Is.True, $"the worker ran every acknowledged timer process's timer and job, and left nothing overdue; the outbox handed every registered complaint over ({await CountAsync(db, HandoffsMissing)} not)");
            Assert.That(handedTwice, Is.Zero, "no complaint was handed over twice");
            Assert.That(load.Started.Concat(load.TimersStarted).Where(id => !instances.Contains(id)), Is.Empty, "every acknowledged start is in the store");
            Assert.That(load.Completed.Where(c => completions.GetValueOrDefault(c) != 1), Is.Empty, "every acknowledged completion is in the store once");
            Assert.That(completions.Values.Concat(fired.Values).Concat(ran.Values).Where(n => n > 1), Is.Empty, "no task completed, timer fired or job run twice");
            if (db is SqliteConnection)
            {
                Assert.That(await ScalarAsync(db, "PRAGMA integrity_check"), Is.EqualTo("ok"), "nothing half-written");
            }
        }
    }

    // The worker's fault log ends with the reason, after "(logged once per fault): ".
    private static string Reason(string message) => message[(message.IndexOf("): ", StringComparison.Ordinal) + 3)..];

    private static async Task<DbConnection> OpenSqliteAsync(string file)
    {
        var db = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
        await db.OpenAsync();
        return db;
    }

    private static async Task<string?> ScalarAsync(DbConnection db, string sql)
    {
        await using var command = db.CreateCommand();
        command.CommandText = sql;
        return (await command.ExecuteScalarAsync())?.ToString();
    }

    private static async Task ExecuteAsync(string connection, string sql)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand(sql, db);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string?> ReadinessDescriptionAsync(HttpClient probe)
    {
        using var response = await probe.GetAsync(new Uri("/health/ready", UriKind.Relative));
        var report = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return string.Join("; ", report.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("description").GetString()));
    }
}
