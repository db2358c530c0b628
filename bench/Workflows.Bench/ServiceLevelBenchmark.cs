using System.Data.Common;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.InteropServices;
using System.Text;
using Dapper;
using Workflows.Engine;
using Workflows.Engine.Sql;

namespace Workflows.Bench;

/// <summary>
/// Issue 4's targets on SQLite or PostgreSQL. Queues: with 1,000,000 open tasks in 200 queues and 50
/// branches, the latency of "next task" and of "first page of my queues by SLA time left". Clocks: with
/// 1,000,000 SLA clocks due across one day, the firing rate and lateness, on a clock that runs faster
/// than real time so that 2,000 clocks fall due each second.
/// </summary>
/// <remarks>
/// The rows are loaded in bulk, not through the engine (a million commands would take most of an hour):
/// each instance is a copy of one the engine started, with its own ids, so every command the benchmark
/// then runs (claims, firings) is the engine's own, on rows it can read.
/// </remarks>
internal static class ServiceLevelBenchmark
{
    private const int Queues = 200;
    private const int Branches = 50;

    private static readonly DateTimeOffset s_base = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    public static async Task RunAsync(SqlProvider provider, string server, int runs, int tasks, int clocks, double speed, int seconds, int workers)
    {
        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}; store: {provider}");
        Console.WriteLine($"Date: {DateTime.UtcNow:yyyy-MM-dd}; {runs} runs, medians reported");
        if (tasks > 0)
        {
            await QueuesAsync(provider, server, runs, tasks);
        }

        if (clocks > 0)
        {
            await ClocksAsync(provider, server, runs, clocks, speed, seconds, workers);
        }
    }

    // ---------------------------------------------------------------- queues

    private static string QueuedProcess(string sla) => $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:wf="urn:workflows:bpmn:1.0" id="d" targetNamespace="http://workflows/bench">
          <bpmn:process id="queued" name="Queued request" isExecutable="true">
            <bpmn:startEvent id="start"/>
            <bpmn:userTask id="handle" name="Handle the request">
              <bpmn:extensionElements>
                <wf:userTask candidateGroups="=queue" priority="=priority"/>
                {sla}
              </bpmn:extensionElements>
            </bpmn:userTask>
            <bpmn:endEvent id="end"/>
            <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="handle"/>
            <bpmn:sequenceFlow id="f2" sourceRef="handle" targetRef="end"/>
          </bpmn:process>
        </bpmn:definitions>
        """;

    private static async Task QueuesAsync(SqlProvider provider, string server, int runs, int count)
    {
        await using var db = await PersistedBenchmark.Database.CreateAsync(provider, server);
        var engine = await SqlWorkflowEngine.CreateAsync(db.Store, new WorkflowEngineOptions());
        await engine.Deployments.DeployAsync(QueuedProcess("""<wf:sla target="PT8H"/>"""));
        var loading = Stopwatch.StartNew();
        await BulkLoader.LoadAsync(db, engine, count, clocks: false);
        Console.WriteLine();
        Console.WriteLine($"Loaded {count:N0} open tasks in {Queues} queues and {Branches} branches in {loading.Elapsed.TotalSeconds:N0} s (bulk, outside the engine)");

        var random = new Random(7);
        string[] AgentQueues() => Enumerable.Range(0, 3).Select(_ => $"queue-{random.Next(Queues)}").Distinct().ToArray();
        var page = new List<(double P50, double P99)>();
        var next = new List<(double P50, double P99)>();
        for (var r = 0; r < runs; r++)
        {
            page.Add(await MeasureAsync(2000, 200, () => engine.Tasks.QueryAsync(new TaskQuery { Queues = AgentQueues(), PageSize = 50 })));
            next.Add(await MeasureAsync(1000, 100, () => engine.Tasks.ClaimNextAsync($"agent-{random.Next(500)}", AgentQueues())));
        }

        Console.WriteLine();
        Console.WriteLine("| operation (an agent in 3 of the 200 queues) | p50 | p99 |");
        Console.WriteLine("|---|---:|---:|");
        Console.WriteLine($"| first page of my queues by SLA time left (50 tasks) | {Shapes.Median(page.Select(x => x.P50)):N2} ms | {Shapes.Median(page.Select(x => x.P99)):N2} ms |");
        Console.WriteLine($"| next task (claim the best of my queues) | {Shapes.Median(next.Select(x => x.P50)):N2} ms | {Shapes.Median(next.Select(x => x.P99)):N2} ms |");
        Console.WriteLine($"(each run: 2,000 page reads and 1,000 claims after a warm-up; p50 and p99 are medians over {runs} runs: page p99 {string.Join(", ", page.Select(x => x.P99.ToString("N2", System.Globalization.CultureInfo.InvariantCulture)))}; next p99 {string.Join(", ", next.Select(x => x.P99.ToString("N2", System.Globalization.CultureInfo.InvariantCulture)))})");
    }

    private static async Task<(double P50, double P99)> MeasureAsync<T>(int count, int warmUp, Func<Task<T>> operation)
    {
        var latencies = new List<double>(count);
        for (var i = 0; i < warmUp + count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await operation();
            if (i >= warmUp)
            {
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        latencies.Sort();
        return (Shapes.Percentile(latencies, 0.5), Shapes.Percentile(latencies, 0.99));
    }

    // ---------------------------------------------------------------- clocks

    private static async Task ClocksAsync(SqlProvider provider, string server, int runs, int count, double speed, int seconds, int workers)
    {
        Console.WriteLine();
        Console.WriteLine($"| clocks (1,000,000 due across one day, clock run at {speed:N0}× so {count / 86_400.0 * speed:N0} fall due per second; {workers} worker(s), {seconds} s) | fired/s | lateness p50 | lateness p99 |");
        Console.WriteLine("|---|---:|---:|---:|");
        var results = new List<(double Rate, double P50, double P99)>();
        for (var r = 0; r < runs; r++)
        {
            await using var db = await PersistedBenchmark.Database.CreateAsync(provider, server);
            var loader = await SqlWorkflowEngine.CreateAsync(db.Store, new WorkflowEngineOptions());
            await loader.Deployments.DeployAsync(QueuedProcess("""<wf:sla target="PT8H" warnings="50%"><wf:escalate at="breach" priority="90" publish="true"/></wf:sla>"""));
            await BulkLoader.LoadAsync(db, loader, count, clocks: true);
            results.Add(await FireAsync(db, speed, seconds, workers));
            Console.WriteLine($"| run {r + 1} | {results[^1].Rate:N0} | {results[^1].P50:N1} ms | {results[^1].P99:N1} ms |");
        }

        Console.WriteLine($"| **median** | **{Shapes.Median(results.Select(x => x.Rate)):N0}** | **{Shapes.Median(results.Select(x => x.P50)):N1} ms** | **{Shapes.Median(results.Select(x => x.P99)):N1} ms** |");
    }

    private static async Task<(double Rate, double P50, double P99)> FireAsync(PersistedBenchmark.Database db, double speed, int seconds, int workers)
    {
        var clock = new ScaledTimeProvider(s_base, speed);
        var lateness = new List<double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == WorkflowsTelemetry.Name && instrument.Name == "workflows.clock.lateness")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            lock (lateness)
            {
                lateness.Add(value / speed); // virtual milliseconds → real ones
            }
        });
        listener.Start();

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var nodes = new List<Task>();
        for (var w = 0; w < workers; w++)
        {
            var options = new WorkflowEngineOptions { NodeId = $"bench-{w}", Worker = { TimerBatchSize = 64, JobBatchSize = 64, ClockBatchSize = 64, PollInterval = TimeSpan.FromSeconds(1) } };
            var engine = await SqlWorkflowEngine.CreateAsync(db.Store, options, clock);
            nodes.Add(engine.Worker.RunAsync(stop.Token));
        }

        clock.Start();
        await Task.WhenAll(nodes);
        listener.Dispose();
        lateness.Sort();
        Console.WriteLine($"(lateness p90 {Shapes.Percentile(lateness, 0.9):N1} ms, p99.9 {Shapes.Percentile(lateness, 0.999):N1} ms, max {lateness[^1]:N1} ms, over 1 s: {lateness.Count(l => l > 1000):N0} of {lateness.Count:N0})");
        return (lateness.Count / (double)seconds, Shapes.Percentile(lateness, 0.5), Shapes.Percentile(lateness, 0.99));
    }

    /// <summary>Time that runs <c>speed</c> times faster than real time from <c>start</c> on; its timers run as much faster.</summary>
    private sealed class ScaledTimeProvider(DateTimeOffset start, double speed) : TimeProvider
    {
        private long _origin = Stopwatch.GetTimestamp();

        public void Start() => _origin = Stopwatch.GetTimestamp();

        public override DateTimeOffset GetUtcNow() => start + (Stopwatch.GetElapsedTime(_origin) * speed);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            System.CreateTimer(callback, state, Scale(dueTime), Scale(period));

        private TimeSpan Scale(TimeSpan span) => span == Timeout.InfiniteTimeSpan ? span : span / speed;
    }

    // ---------------------------------------------------------------- bulk loading

    /// <summary>Copies of one started instance (its task, queue rows and, for the clock benchmark, its SLA clock) with their own ids.</summary>
    private static class BulkLoader
    {
        public static async Task LoadAsync(PersistedBenchmark.Database db, WorkflowEngine engine, int count, bool clocks)
        {
            var template = await engine.Runtime.StartAsync(new StartInstance("queued") { Variables = new Dictionary<string, object?> { ["queue"] = "queue-0", ["priority"] = 50 } });
            await using var connection = db.Open();
            await connection.OpenAsync();
            var instance = await connection.QuerySingleAsync<(string ProcessId, string DefinitionId, byte[] State)>(
                "SELECT process_id, CAST(definition_id AS TEXT), state FROM wf_instances WHERE id = @template", new { template });
            var taskId = await connection.QuerySingleAsync<string>("SELECT CAST(id AS TEXT) FROM wf_user_tasks WHERE instance_id = @template", new { template });
            var state = Encoding.UTF8.GetString(instance.State);
            var elementKey = await connection.QuerySingleAsync<long>("SELECT element_key FROM wf_user_tasks WHERE instance_id = @template", new { template });
            await connection.ExecuteAsync("DELETE FROM wf_sla_clocks; DELETE FROM wf_task_queues; DELETE FROM wf_user_tasks; DELETE FROM wf_history_commands; DELETE FROM wf_history_rows; DELETE FROM wf_instances");

            var random = new Random(42);
            var rows = Enumerable.Range(0, count).Select(i =>
            {
                // Queue benchmark: a fifth without a running clock, the rest due between a day ago and three days on.
                // Clock benchmark: due moments spread evenly over the day from the start, half at the 50% warning,
                // half at the breach; ids are time-ordered by when the work arrived, as the engine makes them.
                DateTimeOffset? due = clocks ? s_base.AddTicks(TimeSpan.FromDays(1).Ticks / count * i)
                    : random.Next(5) == 0 ? null : s_base.AddMinutes(random.Next(-24 * 60, 3 * 24 * 60));
                var created = clocks ? due!.Value.AddHours(-8) : s_base.AddMinutes(-random.Next(30 * 24 * 60));
                var id = Guid.CreateVersion7(created);
                var task = Guid.CreateVersion7(created);
                var priority = random.Next(101);
                var atWarning = clocks && i % 2 == 0;
                var target = atWarning ? due!.Value.AddHours(4) : due;
                return new Row(id, task, $"queue-{i % Queues}", $"branch-{i % Branches}", priority, created,
                    target, target is { } t && t < s_base ? 3 : atWarning ? 0 : 2, due, atWarning);
            });

            if (db.Store.Provider == SqlProvider.PostgreSql)
            {
                await CopyAsync((Npgsql.NpgsqlConnection)connection, rows, instance, state, taskId, elementKey, clocks);
            }
            else
            {
                await InsertAsync(connection, rows, instance, state, taskId, elementKey, clocks);
            }

            // Settle the bulk load, as after any migration of this size: statistics, and its pages flushed,
            // so that the measurement does not pay for writing a million rows' worth of dirty buffers.
            if (db.Store.Provider == SqlProvider.PostgreSql)
            {
                await connection.ExecuteAsync("VACUUM ANALYZE", commandTimeout: 3600);
                await connection.ExecuteAsync("CHECKPOINT", commandTimeout: 3600, commandType: System.Data.CommandType.Text);
            }
            else
            {
                await connection.ExecuteAsync("ANALYZE; PRAGMA wal_checkpoint(TRUNCATE)", commandTimeout: 3600);
            }
        }

        private sealed record Row(Guid Id, Guid Task, string Queue, string Branch, int Priority, DateTimeOffset Created, DateTimeOffset? Target, int SlaState, DateTimeOffset? Due, bool AtWarning);

        private static byte[] State(string template, string templateTask, Row row) => Encoding.UTF8.GetBytes(template.Replace(templateTask, row.Task.ToString(), StringComparison.OrdinalIgnoreCase));

        private static async Task InsertAsync(DbConnection connection, IEnumerable<Row> rows, (string ProcessId, string DefinitionId, byte[] State) instance, string state, string templateTask, long elementKey, bool clocks)
        {
            var definition = Guid.Parse(instance.DefinitionId);
            foreach (var chunk in rows.Chunk(50_000))
            {
                await using var transaction = await connection.BeginTransactionAsync();
                await connection.ExecuteAsync(
                    "INSERT INTO wf_instances (id, process_id, definition_id, version, business_key, status, row_version, started_at, ended_at, parent_instance_id, state) VALUES (@Id, 'queued', @Definition, 1, NULL, 0, 1, @Started, NULL, NULL, @State)",
                    chunk.Select(r => new { r.Id, Definition = definition, Started = r.Created.UtcTicks, State = State(state, templateTask, r) }), transaction);
                await connection.ExecuteAsync(
                    """
                    INSERT INTO wf_user_tasks (id, instance_id, element_key, element_id, name, process_id, business_key, assignee, candidate_groups, candidate_users, priority, due_date, follow_up_date, form_json, created_at, status, customer_id, branch, journey, sla_state, sla_due_at, sla_sort, inv_priority)
                    VALUES (@Task, @Id, @ElementKey, 'handle', 'Handle the request', 'queued', NULL, NULL, @Groups, '[]', @Priority, NULL, NULL, NULL, @Created, 0, NULL, @Branch, 'Queued request', @SlaState, @Target, @Sort, @Inv)
                    """,
                    chunk.Select(r => new { r.Task, r.Id, ElementKey = elementKey, Groups = $"[\"{r.Queue}\"]", r.Priority, Created = r.Created.UtcTicks, r.Branch, SlaState = r.Target is null ? (int?)null : r.SlaState, Target = r.Target?.UtcTicks, Sort = r.Target?.UtcTicks ?? long.MaxValue, Inv = 100 - r.Priority }), transaction);
                await connection.ExecuteAsync(
                    "INSERT INTO wf_task_queues (queue, task_id, claimed, sla_sort, inv_priority, created_at) VALUES (@Queue, @Task, 0, @Sort, @Inv, @Created)",
                    chunk.Select(r => new { r.Queue, r.Task, Sort = r.Target?.UtcTicks ?? long.MaxValue, Inv = 100 - r.Priority, Created = r.Created.UtcTicks }), transaction);
                if (clocks)
                {
                    await connection.ExecuteAsync(ClockInsert, chunk.Select(r => Clock(r, elementKey)), transaction);
                }

                await transaction.CommitAsync();
            }
        }

        private const string ClockInsert = """
            INSERT INTO wf_sla_clocks (id, instance_id, element_key, element_id, kind, level, label, process_id, business_key, branch, customer_id, calendar, target,
                working_time, budget_ticks, started_at, state, consumed_ticks, running_since, target_at, next_due_at, fired, next_repeat_at, pause_reason, paused_at,
                paused_by, paused_ticks, ended_at)
            VALUES (@ClockId, @Id, @ElementKey, 'handle', 0, 0, 'Handle the request', 'queued', NULL, @Branch, NULL, NULL, 'PT8H',
                0, @Budget, @Started, @State, 0, @Started, @Target, @Due, @Fired, NULL, NULL, NULL, NULL, 0, NULL)
            """;

        private static object Clock(Row r, long elementKey) => new
        {
            ClockId = Guid.CreateVersion7(r.Due!.Value), r.Id, ElementKey = elementKey, r.Branch, Budget = TimeSpan.FromHours(8).Ticks,
            Started = r.Target!.Value.AddHours(-8).UtcTicks, State = r.AtWarning ? 0 : 2, Target = r.Target.Value.UtcTicks, Due = r.Due.Value.UtcTicks, Fired = r.AtWarning ? 0 : 1,
        };

        private static async Task CopyAsync(Npgsql.NpgsqlConnection connection, IEnumerable<Row> rows, (string ProcessId, string DefinitionId, byte[] State) instance, string state, string templateTask, long elementKey, bool clocks)
        {
            var definition = Guid.Parse(instance.DefinitionId);
            var list = rows.ToList();
            await using (var copy = await connection.BeginBinaryImportAsync("COPY wf_instances (id, process_id, definition_id, version, status, row_version, started_at, state) FROM STDIN (FORMAT BINARY)"))
            {
                foreach (var r in list)
                {
                    await copy.WriteRowAsync(default, r.Id, "queued", definition, 1, 0, 1L, r.Created.UtcTicks, State(state, templateTask, r));
                }

                await copy.CompleteAsync();
            }

            await using (var copy = await connection.BeginBinaryImportAsync("COPY wf_user_tasks (id, instance_id, element_key, element_id, name, process_id, candidate_groups, candidate_users, priority, created_at, status, branch, journey, sla_state, sla_due_at, sla_sort, inv_priority) FROM STDIN (FORMAT BINARY)"))
            {
                foreach (var r in list)
                {
                    await copy.WriteRowAsync(default, r.Task, r.Id, elementKey, "handle", "Handle the request", "queued", $"[\"{r.Queue}\"]", "[]", r.Priority, r.Created.UtcTicks, 0, r.Branch, "Queued request",
                        r.Target is null ? DBNull.Value : (object)r.SlaState, r.Target is { } t ? t.UtcTicks : DBNull.Value, r.Target?.UtcTicks ?? long.MaxValue, 100 - r.Priority);
                }

                await copy.CompleteAsync();
            }

            await using (var copy = await connection.BeginBinaryImportAsync("COPY wf_task_queues (queue, task_id, claimed, sla_sort, inv_priority, created_at) FROM STDIN (FORMAT BINARY)"))
            {
                foreach (var r in list)
                {
                    await copy.WriteRowAsync(default, r.Queue, r.Task, 0, r.Target?.UtcTicks ?? long.MaxValue, 100 - r.Priority, r.Created.UtcTicks);
                }

                await copy.CompleteAsync();
            }

            if (!clocks)
            {
                return;
            }

            await using (var copy = await connection.BeginBinaryImportAsync("COPY wf_sla_clocks (id, instance_id, element_key, element_id, kind, level, label, process_id, branch, target, working_time, budget_ticks, started_at, state, consumed_ticks, running_since, target_at, next_due_at, fired, paused_ticks) FROM STDIN (FORMAT BINARY)"))
            {
                foreach (var r in list)
                {
                    var started = r.Target!.Value.AddHours(-8).UtcTicks;
                    await copy.WriteRowAsync(default, Guid.CreateVersion7(r.Due!.Value), r.Id, elementKey, "handle", 0, 0, "Handle the request", "queued", r.Branch, "PT8H", 0, TimeSpan.FromHours(8).Ticks,
                        started, r.AtWarning ? 0 : 2, 0L, started, r.Target.Value.UtcTicks, r.Due.Value.UtcTicks, r.AtWarning ? 0 : 1, 0L);
                }

                await copy.CompleteAsync();
            }
        }
    }
}
