using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Dapper;
using Workflows.Engine;
using Workflows.Engine.Sql;

namespace Workflows.Bench;

/// <summary>
/// The durable engine (issue 3) on SQLite or PostgreSQL, each measurement on a fresh database:
/// throughput of the three shapes with p50/p99 command latency, the straight-through shape through
/// the job executor, storage per waiting instance, and latency with many versions and a big history.
/// </summary>
internal static class PersistedBenchmark
{
    private static int Clients { get; set; } = 8;

    private static readonly (string File, string ProcessId, int Count)[] s_shapes =
        [("straight-through.bpmn", "straightThrough", 6000), ("complaint.bpmn", "complaint", 1500), ("parallel-10.bpmn", "parallel10", 2000)];

    // shapes: the shapes the throughput (or the phases) measures, by file name without its extension ("complaint", or
    // several joined by commas); null for all three. Given, the executor's shape and the storage measure are left out,
    // so that a profile of the run holds the shapes' own commands only (issue 19).
    public static async Task RunAsync(string providerName, string? connection, int runs, int clients, string only = "all", string? shapes = null)
    {
        Clients = clients;
        var provider = Provider(providerName);
        var server = Server(connection);

        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}; store: {provider}");
        Console.WriteLine($"Date: {DateTime.UtcNow:yyyy-MM-dd}  {Clients} concurrent clients; medians of {runs} runs, each on a fresh database after a warm-up");
        if (only is "all" or "throughput")
        {
            await ThroughputAndStorageAsync(provider, server, runs, Selected(shapes));
        }

        if (only is "phases")
        {
            await PersistedPhases.RunAsync(provider, server, runs, Clients, Selected(shapes) ?? s_shapes);
        }

        if (only is "jobs")
        {
            // The executor's shape alone (issue 19: what a job's lease costs), medians of the runs.
            var rates = new List<double>();
            for (var r = 0; r < runs; r++)
            {
                await using var db = await Database.CreateAsync(provider, server);
                rates.Add(await AsyncJobThroughputAsync(db, 3000));
            }

            Console.WriteLine($"straight-through, service task as a job run by the executor: {Shapes.Median(rates):N0} instances/s ({string.Join(" / ", rates.Select(r => r.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)))})");
        }

        if (only is "all" or "latency")
        {
            await BigDatabaseLatencyAsync(provider, server, runs);
        }
    }

    public static SqlProvider Provider(string name) => name.ToLowerInvariant() switch
    {
        "sqlite" => SqlProvider.Sqlite,
        "postgresql" or "postgres" => SqlProvider.PostgreSql,
        _ => throw new ArgumentException($"unknown provider {name}: use sqlite or postgresql"),
    };

    public static string Server(string? connection) =>
        connection ?? Environment.GetEnvironmentVariable("WORKFLOWS_TEST_POSTGRES") ?? "Host=127.0.0.1;Username=workflows;Password=workflows;Database=postgres;SSL Mode=Disable";

    // The server's CPU per instance is NaN on SQLite (the store runs in the benchmark's own process).
    private static readonly List<(double Allocated, double CpuMicroseconds, double ServerMicroseconds)> s_costs = [];

    private static (string File, string ProcessId, int Count)[]? Selected(string? shapes)
    {
        if (shapes is null)
        {
            return null;
        }

        var names = shapes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return [.. names.Select(name => s_shapes.FirstOrDefault(s => s.File == name + ".bpmn") is { File: not null } shape
            ? shape
            : throw new ArgumentException($"--shapes: unknown shape '{name}'; use {string.Join(", ", s_shapes.Select(s => s.File[..^5]))}"))];
    }

    // On PostgreSQL, the database server's CPU per instance beside the engine's: its backends' time on a CPU while the
    // counted instances ran (issue 19: both sides of a command's cost).
    private static string ServerCost() => s_costs.Count == 0 || double.IsNaN(s_costs[0].ServerMicroseconds)
        ? ""
        : $"; server {Shapes.Median(s_costs.Select(c => c.ServerMicroseconds)):N0} µs ({string.Join(" / ", s_costs.Select(c => c.ServerMicroseconds.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)))})";

    private static async Task ThroughputAndStorageAsync(SqlProvider provider, string server, int runs, (string File, string ProcessId, int Count)[]? shapes)
    {
        Console.WriteLine();
        Console.WriteLine("| shape | instances/s | command p50 | command p99 | allocated per instance | CPU per instance |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        var hot = new List<string>();
        foreach (var (file, processId, count) in shapes ?? s_shapes)
        {
            var results = new List<(double Rate, List<double> Latencies)>();
            var updates = new List<(string Table, long Updated, long Hot)>();
            var indexBytes = new List<double>();
            s_costs.Clear();
            for (var r = 0; r < runs; r++)
            {
                await using var db = await Database.CreateAsync(provider, server);
                results.Add(await ThroughputAsync(db.Store, Shapes.Read(file), processId, count));
                if (provider == SqlProvider.PostgreSql)
                {
                    updates.AddRange(await HotUpdates.ReadAsync(db.Store.ConnectionString));
                    indexBytes.Add(await IndexBytes.PerInstanceAsync(db.Store.ConnectionString));
                }
            }

            if (updates.Count > 0)
            {
                hot.Add($"{file}: {HotUpdates.Describe(updates)}; index bytes per instance {string.Join(" / ", indexBytes.Select(b => b.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)))}");
            }

            var latencies = results.SelectMany(x => x.Latencies).Order().ToList();
            Console.WriteLine($"| {file} | {Shapes.Median(results.Select(x => x.Rate)):N0} | {Shapes.Percentile(latencies, 0.5):N2} ms | {Shapes.Percentile(latencies, 0.99):N2} ms | {Shapes.Median(s_costs.Select(c => c.Allocated)):N0} B | {Shapes.Median(s_costs.Select(c => c.CpuMicroseconds)):N0} µs ({string.Join(" / ", s_costs.Select(c => c.CpuMicroseconds.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)))}){ServerCost()} |");
        }

        if (hot.Count > 0)
        {
            // Whole runs, warm-up included: an update that is not HOT writes an entry in each index of its table (issue 19).
            Console.WriteLine();
            Console.WriteLine("Row updates that were HOT (PostgreSQL, whole runs with their warm-up): " + string.Join("; ", hot));
        }

        if (shapes is not null)
        {
            return;
        }

        var asyncRates = new List<double>();
        for (var r = 0; r < runs; r++)
        {
            await using var db = await Database.CreateAsync(provider, server);
            asyncRates.Add(await AsyncJobThroughputAsync(db, 3000));
        }

        Console.WriteLine($"| straight-through, service task as a job run by the executor | {Shapes.Median(asyncRates):N0} | | |");

        await using (var db = await Database.CreateAsync(provider, server))
        {
            var bytes = await WaitingStorageAsync(db, 5000);
            Console.WriteLine();
            Console.WriteLine($"Runtime storage per waiting complaint instance (instances, tasks and their indexes; history aside): {bytes:N0} B");
        }

    }

    private static async Task BigDatabaseLatencyAsync(SqlProvider provider, string server, int runs)
    {
        Console.WriteLine();
        Console.WriteLine("| start + complete one task (medians of the runs) | p50 | p99 |");
        Console.WriteLine("|---|---:|---:|");
        await using (var empty = await Database.CreateAsync(provider, server))
        await using (var big = await Database.CreateAsync(provider, server))
        {
            var onEmpty = await LatencyEngineAsync(empty, versions: 1, finished: 0);
            var onBig = await LatencyEngineAsync(big, versions: 1000, finished: 1_000_000);
            var results = (Empty: new List<(double, double)>(), Big: new List<(double, double)>());
            // Alternate the two databases run by run, so that the machine's drift weighs on both alike.
            for (var r = 0; r < Math.Max(runs, 5); r++)
            {
                results.Empty.Add(await StartCompleteLatencyAsync(onEmpty));
                results.Big.Add(await StartCompleteLatencyAsync(onBig));
            }

            Console.WriteLine($"| 1 version, empty history | {Shapes.Median(results.Empty.Select(x => x.Item1)):N2} ms | {Shapes.Median(results.Empty.Select(x => x.Item2)):N2} ms |");
            Console.WriteLine($"| 1,000 versions, 1,000,000 finished instances (their 1,000,000 completed tasks, 5,000,000 history events) | {Shapes.Median(results.Big.Select(x => x.Item1)):N2} ms | {Shapes.Median(results.Big.Select(x => x.Item2)):N2} ms |");
        }
    }

    internal static WorkflowEngineOptions Options() => new WorkflowEngineOptions { Worker = { PollInterval = TimeSpan.FromMilliseconds(10) } }
        .AddHandler("work", (_, _) => ValueTask.FromResult<IReadOnlyDictionary<string, object?>?>(null));

    private static async Task<(double Rate, List<double> Latencies)> ThroughputAsync(SqlStoreOptions store, string xml, string processId, int count)
    {
        var engine = await SqlWorkflowEngine.CreateAsync(store, Options());
        await engine.Deployments.DeployAsync(xml);
        var variables = new Dictionary<string, object?> { ["amount"] = 1500 };
        var latencies = new ConcurrentBag<double>();

        async Task TimedAsync(Func<Task> command)
        {
            var started = Stopwatch.GetTimestamp();
            await command();
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        async Task RunInstanceAsync()
        {
            Guid id = default;
            await TimedAsync(async () => id = await engine.Runtime.StartAsync(new StartInstance(processId) { Variables = variables }));
            for (var tasks = await engine.Tasks.GetOpenAsync(id); tasks.Count > 0; tasks = await engine.Tasks.GetOpenAsync(id))
            {
                foreach (var task in tasks)
                {
                    await TimedAsync(() => engine.Tasks.CompleteAsync(task.Id));
                }
            }
        }

        async Task RunManyAsync(int total)
        {
            var next = 0;
            await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => Task.Run(async () =>
            {
                while (Interlocked.Increment(ref next) <= total)
                {
                    await RunInstanceAsync();
                }
            })));
        }

        // Warmed until the JIT has settled: each method is compiled quickly, then with counters, then optimized, each step
        // after some thirty calls and in the background. One round of 150 complaints left a third of the first run's CPU
        // to the JIT (issue 19, round 13: 3,827 µs per complaint in a first run, 1,836–2,347 in the runs after it).
        // Round 19: three rounds were not enough on a loaded machine (35 % of a counted run in the JIT): until one compiles almost nothing.
        var warmRounds = await JitSettling.WarmAsync(() => RunManyAsync(Math.Min(200, count / 10)));

        latencies.Clear();
        var server = store.Provider == SqlProvider.PostgreSql ? new ServerCpu(store.ConnectionString) : null;
        var serverBefore = server is null ? null : await server.ReadAsync();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var jit = JitSettling.Read();
        ThreadCpu.MeterTheWriter();
        var writer = WriterMeter.Read();
        var watch = Stopwatch.StartNew();
        PerfControl.Enable(); // under perf, only the counted instances (PerfControl)
        await RunManyAsync(count);
        PerfControl.Disable();
        var elapsed = watch.Elapsed;
        Console.Error.WriteLine($"{processId}: warm-up {warmRounds} rounds; in the counted stretch {JitSettling.Since(jit, count)}");
        if (store.Provider == SqlProvider.Sqlite)
        {
            // SQLite's one writer: what its thread spent per instance, and how many shared a group (issue 19, round 20).
            Console.Error.WriteLine($"{processId}: {(WriterMeter.Read() - writer).Describe(count, elapsed)}");
        }

        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds * 1000 / count;
        var allocated = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / (double)count;
        var serverCpu = server is null ? double.NaN : ServerCpu.Spent(serverBefore!, await server.ReadAsync()) / 1000.0 / count;
        s_costs.Add((allocated, cpu, serverCpu));
        return (count / watch.Elapsed.TotalSeconds, latencies.ToList());
    }

    private static async Task<double> AsyncJobThroughputAsync(Database db, int count)
    {
        var xml = Shapes.Read("straight-through.bpmn")
            .Replace("xmlns:zeebe=", "xmlns:wf=\"urn:workflows:bpmn:1.0\" xmlns:zeebe=", StringComparison.Ordinal)
            .Replace("<zeebe:taskDefinition type=\"work\"/>", "<wf:taskDefinition type=\"work\" async=\"true\"/>", StringComparison.Ordinal);
        var engine = await SqlWorkflowEngine.CreateAsync(db.Store, Options());
        await engine.Deployments.DeployAsync(xml);
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 2).Select(_ => Task.Run(() => engine.Worker.RunAsync(stop.Token))).ToList();
        var variables = new Dictionary<string, object?> { ["amount"] = 1500 };
        var server = db.Store.Provider == SqlProvider.PostgreSql ? new ServerCpu(db.Store.ConnectionString) : null;
        var serverBefore = server is null ? null : await server.ReadAsync();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                await engine.Runtime.StartAsync(new StartInstance("straightThrough") { Variables = variables });
            }
        })));

        while (await db.ScalarAsync("SELECT COUNT(*) FROM wf_instances WHERE status = 1") < count)
        {
            await Task.Delay(20);
        }

        var rate = count / watch.Elapsed.TotalSeconds;
        // Each run's costs (no warm-up: the JIT's share is in them, the same for both builds of a pair), the engine's CPU
        // with the workers' polls and the count's, and the server's (issue 19: round 14's executor pair, 0.88×).
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds * 1000 / count;
        var serverCpu = server is null ? "" : $", server {ServerCpu.Spent(serverBefore!, await server.ReadAsync()) / 1000.0 / count:N0} µs";
        Console.WriteLine($"executor run: {rate:N0} instances/s, engine CPU {cpu:N0} µs per instance{serverCpu}");
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        return rate;
    }

    private static async Task<double> WaitingStorageAsync(Database db, int count)
    {
        var engine = await SqlWorkflowEngine.CreateAsync(db.Store, Options());
        await engine.Deployments.DeployAsync(Shapes.Read("complaint.bpmn"));
        var variables = new Dictionary<string, object?> { ["amount"] = 1500, ["customer"] = "C-12345", ["channel"] = "shop" };
        var before = await db.RuntimeBytesAsync();
        for (var i = 0; i < count; i++)
        {
            await engine.Runtime.StartAsync(new StartInstance("complaint") { BusinessKey = $"CMP-{i:000000}", Variables = variables });
        }

        return (await db.RuntimeBytesAsync() - before) / (double)count;
    }

    private static async Task<WorkflowEngine> LatencyEngineAsync(Database db, int versions, int finished)
    {
        var engine = await SqlWorkflowEngine.CreateAsync(db.Store, Options());
        for (var v = 1; v <= versions; v++)
        {
            await engine.Deployments.DeployAsync(LatencyProcess(v));
        }

        if (finished > 0)
        {
            await db.FillHistoryAsync(finished);
        }

        return engine;
    }

    private static async Task<(double P50, double P99)> StartCompleteLatencyAsync(WorkflowEngine engine)
    {
        var latencies = new List<double>();
        for (var i = 0; i < 1200; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var id = await engine.Runtime.StartAsync(new StartInstance("latency"));
            var task = (await engine.Tasks.GetOpenAsync(id)).Single();
            await engine.Tasks.CompleteAsync(task.Id);
            if (i >= 200)
            {
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        latencies.Sort();
        return (Shapes.Percentile(latencies, 0.5), Shapes.Percentile(latencies, 0.99));
    }

    private static string LatencyProcess(int version) => $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="latency-{version}" targetNamespace="http://workflows/bench">
          <bpmn:process id="latency" name="Latency v{version}" isExecutable="true">
            <bpmn:startEvent id="start"/>
            <bpmn:userTask id="task"/>
            <bpmn:endEvent id="end"/>
            <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
            <bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="end"/>
          </bpmn:process>
        </bpmn:definitions>
        """;

    /// <summary>A fresh database for one measurement, dropped afterwards.</summary>
    internal sealed class Database : IAsyncDisposable
    {
        private readonly string? _directory;
        private readonly string? _server;
        private readonly string? _name;

        private Database(SqlStoreOptions store, string? directory, string? server, string? name)
        {
            Store = store;
            _directory = directory;
            _server = server;
            _name = name;
        }

        public SqlStoreOptions Store { get; }

        public static async Task<Database> CreateAsync(SqlProvider provider, string server)
        {
            if (provider == SqlProvider.Sqlite)
            {
                var directory = Directory.CreateTempSubdirectory("workflows-bench-").FullName;
                return new Database(Tuned(new SqlStoreOptions { ConnectionString = $"Data Source={Path.Combine(directory, "bench.db")}" }), directory, null, null);
            }

            var name = "wf_bench_" + Guid.NewGuid().ToString("N")[..12];
            await using (var admin = new Npgsql.NpgsqlConnection(server))
            {
                await admin.ExecuteAsync($"CREATE DATABASE {name}");
            }

            var connection = new Npgsql.NpgsqlConnectionStringBuilder(server) { Database = name, MaxPoolSize = 50 }.ConnectionString;
            return new Database(Tuned(new SqlStoreOptions { Provider = SqlProvider.PostgreSql, ConnectionString = connection }), null, server, name);
        }

        // WORKFLOWS_BENCH_GROUP_COMMIT=false and WORKFLOWS_BENCH_SQLITE_SYNCHRONOUS=Normal measure the store without group
        // commit, or with SQLite's flush at checkpoints only, on the same build (issue 19).
        private static SqlStoreOptions Tuned(SqlStoreOptions store)
        {
            if (bool.TryParse(Environment.GetEnvironmentVariable("WORKFLOWS_BENCH_GROUP_COMMIT"), out var group))
            {
                store.GroupCommit = group;
            }

            if (Enum.TryParse<SqliteSynchronous>(Environment.GetEnvironmentVariable("WORKFLOWS_BENCH_SQLITE_SYNCHRONOUS"), ignoreCase: true, out var synchronous))
            {
                store.SqliteSynchronous = synchronous;
            }

            return store;
        }

        public DbConnection Open() => Store.Provider == SqlProvider.Sqlite
            ? new Microsoft.Data.Sqlite.SqliteConnection(Store.ConnectionString)
            : new Npgsql.NpgsqlConnection(Store.ConnectionString);

        public async Task<long> ScalarAsync(string sql)
        {
            await using var connection = Open();
            return await connection.ExecuteScalarAsync<long>(sql);
        }

        /// <summary>Bytes the runtime tables take with their indexes (instances, tasks, jobs, timers, subscriptions, the variable index).</summary>
        public async Task<long> RuntimeBytesAsync()
        {
            string[] tables = ["wf_instances", "wf_user_tasks", "wf_jobs", "wf_timers", "wf_message_subscriptions", "wf_signal_subscriptions", "wf_variable_index"];
            await using var connection = Open();
            if (Store.Provider == SqlProvider.Sqlite)
            {
                // This SQLite build has no dbstat: measure the whole file with history removed (the
                // other tables are empty here), compacted.
                await connection.ExecuteAsync("DELETE FROM wf_history_commands; DELETE FROM wf_history_rows; VACUUM; PRAGMA wal_checkpoint(TRUNCATE);");
                return await connection.ExecuteScalarAsync<long>("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()");
            }

            await connection.ExecuteAsync("VACUUM ANALYZE");
            return await connection.ExecuteScalarAsync<long>("SELECT SUM(pg_total_relation_size(t)) FROM unnest(@tables) t", new { tables });
        }

        /// <summary>Finished instances with five history events each (one history row), written in bulk (not through the engine).</summary>
        public async Task FillHistoryAsync(int finished)
        {
            var at = DateTimeOffset.UtcNow.AddDays(-30).UtcTicks;
            await using var connection = Open();
            await connection.OpenAsync();
            var definition = await connection.ExecuteScalarAsync<string>("SELECT CAST(id AS TEXT) FROM wf_definitions LIMIT 1");
            // As the store writes a command's history (HistoryEvents): one row, its events a JSON array.
            var events = """[{"k":"instance-started"},{"k":"element-entered","e":"task","ek":2},{"k":"task-created","e":"task","ek":2},{"k":"element-completed","e":"task","ek":2},{"k":"instance-completed"}]""";
            if (Store.Provider == SqlProvider.Sqlite)
            {
                await connection.ExecuteAsync($"""
                    WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {finished})
                    INSERT INTO wf_instances (id, process_id, definition_id, version, business_key, status, row_version, started_at, ended_at, parent_instance_id, state)
                    SELECT upper(hex(randomblob(16))), 'finished', @definition, 1, 'old-' || n, 1, 3, @at, @at, NULL, randomblob(200) FROM g
                    """, new { definition, at }, commandTimeout: 600);
                await connection.ExecuteAsync("""
                    INSERT INTO wf_history_commands (instance_id, at, events)
                    SELECT i.id, @at, @events FROM wf_instances i WHERE i.process_id = 'finished'
                    """, new { at, events }, commandTimeout: 600);
                await connection.ExecuteAsync("""
                    INSERT INTO wf_user_tasks (id, instance_id, element_key, element_id, process_id, candidate_groups, candidate_users, priority, created_at, status)
                    SELECT upper(hex(randomblob(16))), i.id, 2, 'task', 'finished', '', '', 50, @at, 1 FROM wf_instances i WHERE i.process_id = 'finished'
                    """, new { at }, commandTimeout: 600);
                await connection.ExecuteAsync("PRAGMA wal_checkpoint(TRUNCATE)", commandTimeout: 600);
                return;
            }

            await connection.ExecuteAsync($"""
                INSERT INTO wf_instances (id, process_id, definition_id, version, business_key, status, row_version, started_at, ended_at, parent_instance_id, state)
                SELECT gen_random_uuid(), 'finished', CAST(@definition AS uuid), 1, 'old-' || g, 1, 3, @at, @at, NULL, decode(repeat('ab', 200), 'hex') FROM generate_series(1, {finished}) g
                """, new { definition, at }, commandTimeout: 600);
            await connection.ExecuteAsync("""
                INSERT INTO wf_history_commands (instance_id, at, events)
                SELECT i.id, @at, @events FROM wf_instances i WHERE i.process_id = 'finished'
                """, new { at, events }, commandTimeout: 600);
            // Each finished instance keeps its completed task, as a real database does: a task table left empty here
            // and analyzed empty below made PostgreSQL plan the tasks' lookups for an empty table (a scan), which no
            // deployment with a million finished instances has.
            await connection.ExecuteAsync("""
                INSERT INTO wf_user_tasks (id, instance_id, element_key, element_id, process_id, candidate_groups, candidate_users, priority, created_at, status)
                SELECT gen_random_uuid(), i.id, 2, 'task', 'finished', '', '', 50, @at, 1 FROM wf_instances i WHERE i.process_id = 'finished'
                """, new { at }, commandTimeout: 600);
            // Settle the bulk load (months of history arrive here in one statement): flush it to disk so
            // the measurement does not pay for writing a gigabyte of WAL and dirty buffers.
            await connection.ExecuteAsync("VACUUM ANALYZE", commandTimeout: 600);
            await connection.ExecuteAsync("CHECKPOINT", commandTimeout: 600, commandType: System.Data.CommandType.Text);
        }

        public async ValueTask DisposeAsync()
        {
            if (_directory is not null)
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(_directory, recursive: true);
                return;
            }

            Npgsql.NpgsqlConnection.ClearAllPools();
            await using var admin = new Npgsql.NpgsqlConnection(_server);
            await admin.ExecuteAsync($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)");
        }
    }
}
