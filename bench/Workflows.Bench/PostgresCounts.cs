using System.Diagnostics;
using System.Diagnostics.Metrics;
using Dapper;
using Npgsql;

namespace Workflows.Bench;

/// <summary>
/// The CPU time of the PostgreSQL server processes serving the benchmark's database (the server on this machine):
/// each backend's time on a CPU from <c>/proc/PID/schedstat</c>, in nanoseconds, read through a connection of its
/// own that is left out.
/// </summary>
internal sealed class ServerCpu(string connectionString)
{
    private readonly string _unpooled = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;

    public async Task<Dictionary<int, long>> ReadAsync()
    {
        await using var connection = new NpgsqlConnection(_unpooled);
        var pids = await connection.QueryAsync<int>(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
        var spent = new Dictionary<int, long>();
        foreach (var pid in pids)
        {
            if (File.Exists($"/proc/{pid}/schedstat"))
            {
                spent[pid] = long.Parse((await File.ReadAllTextAsync($"/proc/{pid}/schedstat")).Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return spent;
    }

    // A backend that began during the measure counts whole; one that ended during it is lost (the pool keeps them).
    public static long Spent(Dictionary<int, long> before, Dictionary<int, long> after) =>
        after.Sum(a => a.Value - before.GetValueOrDefault(a.Key));
}

/// <summary>
/// Npgsql's own counters (its "Npgsql" meter): the commands and batches it ran (one duration recorded per
/// execution, so one per round trip but for the transaction's COMMIT, which it sends itself) and the bytes it
/// wrote to and read from the server.
/// </summary>
internal readonly record struct NpgsqlCounts(long Commands, long BytesWritten, long BytesRead)
{
    private static long s_commands;
    private static long s_written;
    private static long s_read;
    private static readonly MeterListener s_listener = Listen();

    public static NpgsqlCounts Now
    {
        get
        {
            s_listener.RecordObservableInstruments();
            return new(Interlocked.Read(ref s_commands), Interlocked.Read(ref s_written), Interlocked.Read(ref s_read));
        }
    }

    public static NpgsqlCounts operator -(NpgsqlCounts a, NpgsqlCounts b) => new(a.Commands - b.Commands, a.BytesWritten - b.BytesWritten, a.BytesRead - b.BytesRead);

    // Npgsql 10's "db.client.operation.duration" (before 10: "db.client.commands.duration"): one per command or batch run.
    private static bool IsDuration(string name) => name.EndsWith(".duration", StringComparison.Ordinal) && !name.Contains("connection", StringComparison.Ordinal);

    private static MeterListener Listen()
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Npgsql" && (IsDuration(instrument.Name) || instrument.Name.EndsWith("bytes_written", StringComparison.Ordinal) || instrument.Name.EndsWith("bytes_read", StringComparison.Ordinal)))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((instrument, _, _, _) =>
        {
            if (IsDuration(instrument.Name))
            {
                Interlocked.Increment(ref s_commands);
            }
        });
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
            Interlocked.Add(ref instrument.Name.EndsWith("bytes_written", StringComparison.Ordinal) ? ref s_written : ref s_read, value));
        listener.Start();
        return listener;
    }
}

/// <summary>
/// The statements Npgsql ran while <see cref="Capturing"/> (from its "Npgsql" activities: one per command or batch run, so
/// one per round trip but the COMMIT), for <c>costs --statements</c> to say which reads a command makes.
/// </summary>
internal static class NpgsqlStatements
{
    private static readonly List<string> s_ran = [];
    private static readonly ActivityListener s_listener = Listen();

    public static bool Capturing { get; set; }

    public static List<string> Take()
    {
        _ = s_listener;
        lock (s_ran)
        {
            var ran = s_ran.ToList();
            s_ran.Clear();
            return ran;
        }
    }

    private static ActivityListener Listen()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => Capturing ? ActivitySamplingResult.AllData : ActivitySamplingResult.None,
            ActivityStopped = activity =>
            {
                var text = activity.GetTagItem("db.query.text") ?? activity.GetTagItem("db.statement") ?? activity.DisplayName;
                lock (s_ran)
                {
                    s_ran.Add(string.Join(' ', text.ToString()!.Split((char[])['\n', '\r', ' '], StringSplitOptions.RemoveEmptyEntries)));
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}

/// <summary>
/// How many of each table's row updates were HOT (heap-only: the new version on its row's page, no index entry) in the
/// benchmark's database, from <c>pg_stat_user_tables</c>; a backend reports its counts within about a second of going
/// idle, so they are read after a pause.
/// </summary>
internal static class HotUpdates
{
    public static async Task<List<(string Table, long Updated, long Hot)>> ReadAsync(string connectionString)
    {
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        return (await connection.QueryAsync<(string, long, long)>(
            "SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE n_tup_upd > 0 ORDER BY n_tup_upd DESC, relname")).ToList();
    }

    /// <summary>"wf_instances 7,129 of 9,042 HOT (79 %), …": the tables' counts summed over runs.</summary>
    public static string Describe(IEnumerable<(string Table, long Updated, long Hot)> counts) =>
        string.Join(", ", counts.GroupBy(c => c.Table)
            .Select(g => (Table: g.Key, Updated: g.Sum(c => c.Updated), Hot: g.Sum(c => c.Hot)))
            .OrderByDescending(t => t.Updated)
            .Select(t => $"{t.Table} {t.Hot:N0} of {t.Updated:N0} HOT ({(double)t.Hot / t.Updated:P0})"));
}

/// <summary>
/// The bytes of every index of the benchmark's database per instance it holds, after a run (warm-up included): what the
/// index entries the commands wrote take, the same from run to run of one build whatever the load (issue 19).
/// </summary>
internal static class IndexBytes
{
    public static async Task<double> PerInstanceAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        var (bytes, instances) = await connection.QuerySingleAsync<(long, long)>("""
            SELECT (SELECT COALESCE(SUM(pg_relation_size(indexrelid)), 0) FROM pg_stat_user_indexes)::bigint, (SELECT COUNT(*) FROM wf_instances)
            """);
        return instances == 0 ? 0 : bytes / (double)instances;
    }
}
