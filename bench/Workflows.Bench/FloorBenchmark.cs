using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Dapper;
using Workflows.Engine;
using Workflows.Engine.Sql;
using Workflows.Bench.Http;

namespace Workflows.Bench;

/// <summary>
/// The store's floor under a persisted straight-through instance (issue 19): the rows the engine writes for one
/// instance (its instance row and its command's history row), written by the database driver alone with prepared
/// statements and no engine, in transactions of 8, 32 and 128 instances (group commit's sizes). Beside it the engine's
/// own rate on the same database, so the report says what share of the store's ceiling the engine reaches and whether a
/// rate target is within what the database itself can write on this machine. On PostgreSQL the same for the complaint
/// (<see cref="ComplaintFloor"/>: every statement the engine sends for one, by the driver alone), split into what its rows,
/// its transactions and its round trips cost the server.
/// </summary>
internal static class FloorBenchmark
{
    private static readonly int[] s_groups = [8, 32, 128];

    public static async Task RunAsync(SqlProvider provider, string server, int runs, int instances, string shapes = "straight-through,complaint", int complaints = 2000,
        int[]? engineClients = null, bool engineOnly = false)
    {
        var selected = shapes.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (provider == SqlProvider.PostgreSql)
        {
            ComplaintFloor.NpgsqlCapture.Install(); // before the process's first connection
        }

        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}; store: {provider}; commit {Machine.Commit()}");
        Console.WriteLine($"Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load average {Machine.LoadAverage()}; {runs} runs, medians; "
            + string.Join(", ", new[] { selected.Contains("straight-through") ? $"{instances:N0} straight-through instances" : null, selected.Contains("complaint") ? $"{complaints:N0} complaints" : null }.OfType<string>()) + " a writer and run");
        Console.WriteLine($"fdatasync/s in {Path.GetTempPath()}: {Machine.FlushRate(Path.GetTempPath(), TimeSpan.FromSeconds(2)):N0}");
        Console.WriteLine();
        Console.WriteLine("| writer | instances/s per run | median | CPU per instance (this process) | database server CPU per instance |");
        Console.WriteLine("|---|---|---:|---:|---:|");

        var writers = provider == SqlProvider.Sqlite ? new[] { 1 } : [1, 4];
        var results = new Dictionary<string, List<(double Rate, double Cpu, double ServerCpu)>>();
        for (var run = 0; run < runs; run++)
        {
            if (selected.Contains("complaint"))
            {
                await ComplaintAsync(results, provider, server, writers, complaints, engineClients ?? [8], engineOnly);
            }

            if (!selected.Contains("straight-through"))
            {
                continue;
            }

            await using var db = await PersistedBenchmark.Database.CreateAsync(provider, server);
            var engine = await SqlWorkflowEngine.CreateAsync(db.Store, PersistedBenchmark.Options());
            await engine.Deployments.DeployAsync(Shapes.Read("straight-through.bpmn"));
            var variables = new Dictionary<string, object?> { ["amount"] = 1500 };
            await Measure(results, "the engine (8 clients, group commit)", db, instances, async count =>
                await ParallelAsync(8, count, () => engine.Runtime.StartAsync(new StartInstance("straightThrough") { Variables = variables })));

            var rows = await Rows.ReadAsync(db);
            foreach (var group in s_groups)
            {
                foreach (var writerCount in writers)
                {
                    await Measure(results, $"the driver alone, {group} per transaction, {writerCount} connection{(writerCount == 1 ? "" : "s")}", db, instances,
                        count => RawAsync(db, rows, group, writerCount, count));
                }
            }
        }

        foreach (var (label, measured) in results)
        {
            Console.WriteLine($"| {label} | {string.Join(" / ", measured.Select(m => m.Rate.ToString("N0", CultureInfo.InvariantCulture)))} | **{Shapes.Median(measured.Select(m => m.Rate)):N0}** | {Shapes.Median(measured.Select(m => m.Cpu)):N0} µs | {(provider == SqlProvider.Sqlite ? "(in process)" : Shapes.Median(measured.Select(m => m.ServerCpu)).ToString("N0", CultureInfo.InvariantCulture) + " µs")} |");
        }
    }

    // The complaint (issue 19, round 17): the engine's persisted complaint as the persisted benchmark runs it (8 clients,
    // each a start then its task list read and completions until none is open), then the same statements by the driver
    // alone (ComplaintFloor), on one fresh database.
    private static async Task ComplaintAsync(Dictionary<string, List<(double, double, double)>> results, SqlProvider provider, string server, int[] writers, int complaints,
        int[] engineClients, bool engineOnly)
    {
        if (provider != SqlProvider.PostgreSql)
        {
            Console.Error.WriteLine("the complaint's floor is PostgreSQL's only: SQLite's driver has no log of the statements it runs");
            return;
        }

        await using var db = await PersistedBenchmark.Database.CreateAsync(provider, server);
        var engine = await SqlWorkflowEngine.CreateAsync(db.Store, PersistedBenchmark.Options());
        await engine.Deployments.DeployAsync(Shapes.Read("complaint.bpmn"));
        var variables = new Dictionary<string, object?> { ["amount"] = 1500 };
        async Task OneAsync()
        {
            var id = await engine.Runtime.StartAsync(new StartInstance("complaint") { Variables = variables });
            for (var tasks = await engine.Tasks.GetOpenAsync(id); tasks.Count > 0; tasks = await engine.Tasks.GetOpenAsync(id))
            {
                foreach (var task in tasks)
                {
                    await engine.Tasks.CompleteAsync(task.Id);
                }
            }
        }

        // Round 20: how many commands a group commit's transaction held (warm-up included), the commits a complaint costs.
        var store = (SqlWorkflowStore)engine.Store;
        foreach (var clients in engineClients)
        {
            var label = $"complaint: the engine ({clients} clients, group commit)";
            var before = store.GroupsCommitted;
            await Measure(results, label, db, complaints, count => ParallelAsync(clients, count, OneAsync));
            var (groups, changeSets) = (store.GroupsCommitted.Groups - before.Groups, store.GroupsCommitted.ChangeSets - before.ChangeSets);
            Console.Error.WriteLine($"{label}: {changeSets:N0} commands in {groups:N0} transactions, {(double)changeSets / Math.Max(1, groups):N2} a transaction; at most {store.MostFlushers} groups written at once");
        }

        if (engineOnly)
        {
            return;
        }

        var floor = await ComplaintFloor.CaptureAsync(engine, variables, db.Store.ConnectionString);
        Console.Error.WriteLine($"complaint floor: {floor.Describe()}");
        var tuned = new Npgsql.NpgsqlConnectionStringBuilder(db.Store.ConnectionString) { MaxAutoPrepare = 256, AutoPrepareMinUsages = 2, NoResetOnClose = true }.ConnectionString;
        await Measure(results, "complaint: the driver alone in the engine's round trips, one command a transaction, 8 connections", db, complaints,
            count => OnConnectionsAsync(tuned, 8, count, floor.WriteAsTheEngineAsync));

        // Then one round trip per transaction: one complaint's command a transaction on 8 connections (the engine's
        // transactions, its reads riding with its writes), and groups as group commit's on 1 and 4.
        foreach (var (group, writerCount) in s_groups.SelectMany(g => writers.Select(w => (g, w))).Prepend((1, 8)))
        {
            await Measure(results, $"complaint: the driver alone, {group} per transaction, {writerCount} connection{(writerCount == 1 ? "" : "s")}", db, complaints,
                count => OnConnectionsAsync(tuned, writerCount, count, (connection, share) => floor.WriteAsync(connection, group, share)));
        }

        // The reads' share: the writes alone, in groups of 32 on 4 connections.
        var writes = floor.WritesOnly();
        await Measure(results, "complaint: the driver alone, 32 per transaction, 4 connections, its writes only", db, complaints,
            count => OnConnectionsAsync(tuned, 4, count, (connection, share) => writes.WriteAsync(connection, 32, share)));

        // Every complaint, the engine's and the driver's, went through to its end: ended, its five tasks closed.
        var (instances, ended, tasks, open) = (await db.ScalarAsync("SELECT COUNT(*) FROM wf_instances"), await db.ScalarAsync("SELECT COUNT(*) FROM wf_instances WHERE ended_at IS NOT NULL"),
            await db.ScalarAsync("SELECT COUNT(*) FROM wf_user_tasks"), await db.ScalarAsync("SELECT COUNT(*) FROM wf_user_tasks WHERE status = 0"));
        if (ended != instances || tasks != 5 * instances || open != 0)
        {
            throw new InvalidOperationException($"the complaints were not written whole: {instances} instances, {ended} ended, {tasks} tasks, {open} open");
        }
    }

    // Each of `connections` connections writes its share of `count`.
    private static Task OnConnectionsAsync(string connectionString, int connections, int count, Func<Npgsql.NpgsqlConnection, int, Task> write) =>
        Task.WhenAll(Enumerable.Range(0, connections).Select(c => Task.Run(async () =>
        {
            await using var connection = new Npgsql.NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await write(connection, count / connections + (c < count % connections ? 1 : 0));
        })));

    private static async Task Measure(Dictionary<string, List<(double, double, double)>> results, string label, PersistedBenchmark.Database db, int count, Func<int, Task> write)
    {
        var warmRounds = await JitSettling.WarmAsync(() => write(Math.Max(200, count / 10)), minRounds: 1); // round 19: until the JIT has settled
        var server = db.Store.Provider == SqlProvider.PostgreSql ? new ServerCpu(db.Store.ConnectionString) : null;
        var serverBefore = server is null ? null : await server.ReadAsync();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var jit = JitSettling.Read();
        await write(count);
        var elapsed = watch.Elapsed;
        Console.Error.WriteLine($"{label}: warm-up {warmRounds} rounds; in the counted stretch {JitSettling.Since(jit, count)}");
        var spent = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds * 1000 / count;
        var serverSpent = server is null ? 0 : ServerCpu.Spent(serverBefore!, await server.ReadAsync()) / 1000.0 / count;
        if (!results.TryGetValue(label, out var list))
        {
            results[label] = list = [];
        }

        list.Add((count / elapsed.TotalSeconds, spent, serverSpent));
    }

    private static Task ParallelAsync(int clients, int count, Func<Task> one)
    {
        var next = 0;
        return Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                await one();
            }
        })));
    }

    // Each connection writes its share in transactions of `group` instances: on SQLite through statements prepared once,
    // on PostgreSQL as one batch per transaction (one round trip, as the store's commit sends a group's writes).
    private static Task RawAsync(PersistedBenchmark.Database db, Rows rows, int group, int writers, int count) =>
        Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            await using var connection = db.Open();
            await connection.OpenAsync();
            var share = count / writers + (w < count % writers ? 1 : 0);
            if (connection is Npgsql.NpgsqlConnection postgres)
            {
                for (var done = 0; done < share; done += group)
                {
                    await using var transaction = await postgres.BeginTransactionAsync();
                    await using var batch = new Npgsql.NpgsqlBatch(postgres, transaction);
                    for (var i = 0; i < Math.Min(group, share - done); i++)
                    {
                        var id = Guid.CreateVersion7();
                        batch.BatchCommands.Add(Rows.PostgresInsert("wf_instances", rows.Instance, rows.InstanceId, id));
                        batch.BatchCommands.Add(Rows.PostgresInsert("wf_history_commands", rows.History, rows.HistoryInstanceId, id));
                    }

                    await batch.ExecuteNonQueryAsync();
                    await transaction.CommitAsync();
                }

                return;
            }

            // As the store opens its connections (SqliteDialect): WAL, a flush at every commit.
            await connection.ExecuteAsync("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000");
            var instance = Rows.SqliteInsert(connection, "wf_instances", rows.Instance);
            var history = Rows.SqliteInsert(connection, "wf_history_commands", rows.History);
            for (var done = 0; done < share; done += group)
            {
                await using var transaction = await connection.BeginTransactionAsync();
                instance.Transaction = transaction;
                history.Transaction = transaction;
                for (var i = 0; i < Math.Min(group, share - done); i++)
                {
                    var id = Guid.CreateVersion7().ToString().ToUpperInvariant();
                    instance.Parameters[rows.InstanceId].Value = id;
                    await instance.ExecuteNonQueryAsync();
                    history.Parameters[rows.HistoryInstanceId].Value = id;
                    await history.ExecuteNonQueryAsync();
                }

                await transaction.CommitAsync();
            }
        })));

    /// <summary>One instance row and one history row the engine wrote, every column as the driver read it.</summary>
    private sealed class Rows
    {
        public required (string Name, object Value)[] Instance { get; init; }

        public required (string Name, object Value)[] History { get; init; }

        public int InstanceId => Array.FindIndex(Instance, c => c.Name == "id");

        public int HistoryInstanceId => Array.FindIndex(History, c => c.Name == "instance_id");

        public static async Task<Rows> ReadAsync(PersistedBenchmark.Database db)
        {
            await using var connection = db.Open();
            await connection.OpenAsync();
            return new Rows
            {
                Instance = await RowAsync(connection, "SELECT * FROM wf_instances LIMIT 1"),
                History = await RowAsync(connection, "SELECT instance_id, at, events FROM wf_history_commands LIMIT 1"), // seq is the table's own
            };
        }

        private static async Task<(string, object)[]> RowAsync(DbConnection connection, string sql)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await using var reader = await command.ExecuteReaderAsync();
            if (!await reader.ReadAsync())
            {
                throw new InvalidOperationException($"the engine wrote no row for: {sql}");
            }

            return [.. Enumerable.Range(0, reader.FieldCount).Select(i => (reader.GetName(i), reader.GetValue(i)))];
        }

        public static DbCommand SqliteInsert(DbConnection connection, string table, (string Name, object Value)[] columns)
        {
            var command = connection.CreateCommand();
            command.CommandText = $"INSERT INTO {table} ({string.Join(", ", columns.Select(c => c.Name))}) VALUES ({string.Join(", ", columns.Select((_, i) => "$p" + i))})";
            for (var i = 0; i < columns.Length; i++)
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = "$p" + i;
                parameter.Value = columns[i].Value;
                command.Parameters.Add(parameter);
            }

            command.Prepare();
            return command;
        }

        public static Npgsql.NpgsqlBatchCommand PostgresInsert(string table, (string Name, object Value)[] columns, int idColumn, Guid id)
        {
            var command = new Npgsql.NpgsqlBatchCommand($"INSERT INTO {table} ({string.Join(", ", columns.Select(c => c.Name))}) VALUES ({string.Join(", ", columns.Select((_, i) => "$" + (i + 1)))})");
            for (var i = 0; i < columns.Length; i++)
            {
                command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = i == idColumn ? id : columns[i].Value });
            }

            return command;
        }
    }
}
