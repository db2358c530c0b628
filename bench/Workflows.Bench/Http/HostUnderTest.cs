using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Dapper;
using Workflows.Engine.Sql;

namespace Workflows.Bench.Http;

/// <summary>
/// The built host as it is deployed: its own process (<c>dotnet Workflows.Host.dll</c>), a free port of 127.0.0.1, a
/// fresh store (a SQLite file in a temporary folder, or a new PostgreSQL database) and a signing key the driver knows,
/// so that the driver issues its users' tokens as an identity provider sharing the key would; the demo world is on (its
/// branches and calendars; the driver's users are its own, not the demo sign-ins). The host's output goes
/// to <c>host.log</c> beside the run's files; the process is killed and the store removed on dispose.
/// </summary>
internal sealed class HostUnderTest : IAsyncDisposable
{
    private static readonly TimeSpan s_startDeadline = TimeSpan.FromMinutes(3);
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly string? _server;
    private readonly string? _database;
    private readonly ServerCpu? _serverCpu;
    private bool _closed;

    private HostUnderTest(Process process, StreamWriter log, Uri url, string signingKey, string directory, string? server, string? database)
    {
        _process = process;
        _log = log;
        Url = url;
        SigningKey = signingKey;
        Directory = directory;
        _server = server;
        _database = database;
        _serverCpu = database is null ? null : new ServerCpu(new Npgsql.NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString);
    }

    /// <summary>Where the host listens, with a trailing slash.</summary>
    public Uri Url { get; }

    /// <summary>The key (base 64) the host checks tokens with.</summary>
    public string SigningKey { get; }

    /// <summary>The run's folder: the SQLite file and the host's log.</summary>
    public string Directory { get; }

    /// <summary>
    /// Starts the host at <paramref name="hostDll"/> on a fresh store of <paramref name="provider"/> (null: the engine's
    /// memory, <c>Workflows__Store__Provider=InMemory</c>) with
    /// <paramref name="settings"/> (environment-variable form) beyond the store's, and waits until it is ready.
    /// </summary>
    /// <remarks>It listens on <paramref name="port"/>, or on a free port when none is given (on a shared machine, the port its user was given).</remarks>
    public static async Task<HostUnderTest> StartAsync(string hostDll, SqlProvider? provider, string server, IReadOnlyDictionary<string, string> settings, int? port = null)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("workflows-load-").FullName;
        var signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var url = new Uri($"http://127.0.0.1:{port ?? FreePort()}/");
        var start = new ProcessStartInfo("dotnet", [hostDll])
        {
            WorkingDirectory = Path.GetDirectoryName(hostDll)!,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        string? database = null;
        if (provider is null)
        {
            start.Environment["Workflows__Store__Provider"] = "InMemory";
            // The host runs in the Production environment, as a deployment would; a measurement knows it keeps nothing.
            start.Environment["Workflows__Store__AllowInMemoryInProduction"] = "true";
        }
        else if (provider == SqlProvider.Sqlite)
        {
            start.Environment["Workflows__Store__Provider"] = "Sqlite";
            start.Environment["Workflows__Store__ConnectionString"] = $"Data Source={Path.Combine(directory, "host.db")}";
        }
        else
        {
            database = "wf_load_" + Guid.NewGuid().ToString("N")[..12];
            await using (var admin = new Npgsql.NpgsqlConnection(server))
            {
                await admin.ExecuteAsync($"CREATE DATABASE {database}");
            }

            start.Environment["Workflows__Store__Provider"] = "PostgreSql";
            start.Environment["Workflows__Store__ConnectionString"] = new Npgsql.NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString;
        }

        start.Environment["Workflows__Auth__SigningKey"] = signingKey;
        // The demo world: branches paris-01 and lyon-01 on their calendars, pinned to the library's standard versions.
        start.Environment["Workflows__Auth__DemoUsers"] = "true";
        start.Environment["ASPNETCORE_URLS"] = url.ToString().TrimEnd('/');
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        var log = new StreamWriter(Path.Combine(directory, "host.log")) { AutoFlush = true };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"dotnet {hostDll} did not start");
        var host = new HostUnderTest(process, log, url, signingKey, directory, database is null ? null : server, database);
        process.OutputDataReceived += (_, e) => host.Write(e.Data);
        process.ErrorDataReceived += (_, e) => host.Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await host.WaitUntilReadyAsync();
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        return host;
    }

    /// <summary>
    /// The CPU time used so far (user and system, all threads) by the host's process, by the driver's own process and,
    /// on PostgreSQL, by the server processes of the run's database: per request, the counts that hold on a machine
    /// others load, where a rate does not; together, what a request costs the machine both run on.
    /// </summary>
    public CpuSnapshot CpuTime()
    {
        _process.Refresh();
        return new CpuSnapshot(_process.TotalProcessorTime, Process.GetCurrentProcess().TotalProcessorTime,
            _serverCpu?.ReadAsync().GetAwaiter().GetResult());
    }

    /// <summary>
    /// On PostgreSQL, what the host's database has served so far, from the server's own statistics: its transactions (a
    /// read Npgsql sends outside a transaction is one, a command's commit one: with no transaction open across
    /// statements, about one per round trip), the scans of each table (a statement's read of it through an index or
    /// whole, a write's look-up of its row included), and the CPU time of the server processes serving it. Null on SQLite.
    /// </summary>
    /// <remarks>
    /// A backend publishes its counts when a transaction ends, at most once a second, and an idle backend's last ones
    /// after up to ten seconds: the counts are read after that wait, so that the phase before has published all of its
    /// own. The host's background work (pollers, the outbox relay) counts too.
    /// </remarks>
    public async Task<DatabaseCounts?> DatabaseCountsAsync()
    {
        if (_database is null)
        {
            return null;
        }

        await Task.Delay(TimeSpan.FromSeconds(11));
        var connectionString = new Npgsql.NpgsqlConnectionStringBuilder(_server) { Database = _database, Pooling = false }.ConnectionString;
        var cpu = await new ServerCpu(connectionString).ReadAsync();
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        var transactions = await connection.ExecuteScalarAsync<long>("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()");
        // By table, and by index of the tables the agents' loop reads most (which of a table's reads grew or shrank).
        var scans = (await connection.QueryAsync<(string Table, long Scans)>("""
            SELECT relname, COALESCE(seq_scan, 0) + COALESCE(idx_scan, 0) FROM pg_stat_user_tables
            UNION ALL
            SELECT relname || '.' || indexrelname, idx_scan FROM pg_stat_user_indexes WHERE relname IN ('wf_user_tasks', 'wf_task_queues')
            UNION ALL
            SELECT '~updated ' || relname, n_tup_upd FROM pg_stat_user_tables
            UNION ALL
            SELECT '~HOT ' || relname, n_tup_hot_upd FROM pg_stat_user_tables
            """)).ToDictionary(r => r.Table, r => r.Scans, StringComparer.Ordinal);
        return new DatabaseCounts(transactions, scans, cpu);
    }

    /// <summary>The host's process id (to sample it with perf).</summary>
    public int ProcessId => _process.Id;

    /// <summary>The host's build output in this repository (Release), or a clear message of how to make it.</summary>
    public static string DefaultDll()
    {
        var dll = Path.Combine(Shapes.RepositoryRoot(), "host", "bin", "Release", "net10.0", "Workflows.Host.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"the host is not built at {dll}: run `dotnet build -c Release host` first (or pass --host path/to/Workflows.Host.dll)");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        lock (_log)
        {
            _closed = true;
            _log.Dispose();
        }

        if (_database is not null)
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await using var admin = new Npgsql.NpgsqlConnection(_server);
            await admin.ExecuteAsync($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
        }

        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private async Task WaitUntilReadyAsync()
    {
        using var client = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(10) };
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the host stopped at start (exit code {_process.ExitCode}); its output: {Path.Combine(Directory, "host.log")}\n{Tail()}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri("health/ready", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // listening but slow to answer
            }

            if (watch.Elapsed > s_startDeadline)
            {
                throw new TimeoutException($"the host was not ready within {s_startDeadline.TotalMinutes} minutes\n{Tail()}");
            }

            await Task.Delay(200);
        }
    }

    private string Tail()
    {
        lock (_log)
        {
            _log.Flush();
        }

        using var stream = new FileStream(Path.Combine(Directory, "host.log"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return string.Join('\n', reader.ReadToEnd().Split('\n').TakeLast(30));
    }

    private void Write(string? line)
    {
        lock (_log)
        {
            if (line is not null && !_closed)
            {
                _log.WriteLine(line);
            }
        }
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

/// <summary>CPU time used so far by the host, the driver and (on PostgreSQL) the run database's server processes, in nanoseconds per backend.</summary>
internal sealed record CpuSnapshot(TimeSpan Host, TimeSpan Driver, Dictionary<int, long>? Server)
{
    public static CpuSpent operator -(CpuSnapshot after, CpuSnapshot before) => new(after.Host - before.Host, after.Driver - before.Driver,
        after.Server is null || before.Server is null ? null : TimeSpan.FromTicks(ServerCpu.Spent(before.Server, after.Server) / 100));
}

/// <summary>CPU time spent over a phase by the host, the driver and (on PostgreSQL) the database's server processes.</summary>
internal readonly record struct CpuSpent(TimeSpan Host, TimeSpan Driver, TimeSpan? Server);

/// <summary>What a PostgreSQL database has served (<see cref="HostUnderTest.DatabaseCountsAsync"/>): transactions, scans by table, server CPU by backend (ns).</summary>
internal sealed record DatabaseCounts(long Transactions, IReadOnlyDictionary<string, long> Scans, Dictionary<int, long> ServerCpu)
{
    /// <summary>What was served between <paramref name="before"/> and this, per <paramref name="steps"/> (loops, requests), as one line.</summary>
    public string PerStep(DatabaseCounts before, long steps)
    {
        if (steps == 0)
        {
            return "no step";
        }

        // Less the two transactions of each reading of the counts (the transactions' and the scans' statements).
        var transactions = (Transactions - before.Transactions - 2) / (double)steps;
        var all = Scans.Select(s => (s.Key, Count: (s.Value - before.Scans.GetValueOrDefault(s.Key)) / (double)steps))
            .Where(s => s.Count >= 0.005)
            .OrderByDescending(s => s.Count)
            .ToList();
        // Rows updated, and of them HOT (no index entry), by table: "~updated wf_user_tasks", "~HOT wf_user_tasks".
        var updates = all.Where(s => s.Key.StartsWith('~')).OrderBy(s => s.Key[(s.Key.IndexOf(' ', StringComparison.Ordinal) + 1)..], StringComparer.Ordinal).ToList();
        all = all.Where(s => !s.Key.StartsWith('~')).ToList();
        var scans = all.Where(s => !s.Key.Contains('.', StringComparison.Ordinal)).ToList();
        var byIndex = all.Where(s => s.Key.Contains('.', StringComparison.Ordinal)).ToList();
        var cpu = Bench.ServerCpu.Spent(before.ServerCpu, ServerCpu) / 1_000.0 / steps;
        return Machine.Invariant($"{transactions:N2} database transactions each; table scans each {scans.Sum(s => s.Count):N2} ({string.Join(", ", scans.Select(s => $"{s.Key} {s.Count:N2}"))}; by index: {string.Join(", ", byIndex.Select(s => $"{s.Key} {s.Count:N2}"))}); database server CPU {cpu:N0} µs each (rough); row updates each: {string.Join(", ", updates.Select(s => $"{s.Key[1..]} {s.Count:N2}"))}");
    }
}
