using System.Globalization;
using Workflows.Bench;

// Benchmarks (not tests): results go to BENCHMARKS.md with the machine, the command and the date.
//   dotnet run -c Release --project bench/Workflows.Bench -- inmemory [--runs 5] [--shapes straight-through,complaint,parallel-10,memory (these alone)]
//   dotnet run -c Release --project bench/Workflows.Bench -- persisted --provider sqlite|postgresql [--connection CS] [--runs 3] [--clients 8] [--only all|throughput|latency|jobs|phases]
//       [--shapes straight-through,complaint,parallel-10 (the throughput of these alone, without the executor's and storage's; phases: each kind of command's CPU alone)]
//   dotnet run -c Release --project bench/Workflows.Bench -- servicelevels --provider sqlite|postgresql [--connection CS] [--runs 3]
//       [--tasks 1000000] [--clocks 1000000] [--speed 173] [--seconds 60] [--workers 1]
//   dotnet run -c Release --project bench/Workflows.Bench -- search --provider sqlite|postgresql [--connection CS] [--runs 3]
//   dotnet run -c Release --project bench/Workflows.Bench -- migration --provider sqlite|postgresql [--connection CS] [--runs 3]
//   dotnet run -c Release --project bench/Workflows.Bench -- decisions [--runs 5] [--evaluations 100000]
//   dotnet run -c Release --project bench/Workflows.Bench -- pages [--commands 500] [--warmup 2000]
//   dotnet run -c Release --project bench/Workflows.Bench -- costs --provider sqlite|postgresql [--connection CS] [--commands 500] [--warmup 1500] [--allocations 25] [--statements true]
//   dotnet run -c Release --project bench/Workflows.Bench -- floor --provider sqlite|postgresql [--connection CS] [--runs 3] [--instances 20000]
//       [--shapes straight-through,complaint] [--complaints 2000 (the complaint's floor: PostgreSQL only)]
//       [--engine-clients 8 (the complaint's engine rows: 8,32 runs both)] [--engine-only true (the complaint's engine rows alone, no driver)]
//   dotnet run -c Release --project bench/Workflows.Bench -- handoff --transport inmemory|rabbitmq [--rabbitmq amqp://…] [--runs 3] [--cases 2000] [--inflight 16]
//   dotnet run -c Release --project bench/Workflows.Bench -- http --provider sqlite|postgresql|inmemory [--connection CS] [--runs 3] [--clients 1,8,32,128]
//       [--agents 1,8,20] [--tasks 10000] [--seconds 10] [--warmup-seconds 180] [--fill-clients 32] [--queries 300] [--flush-seconds 2] [--host Workflows.Host.dll] [--port N]
//       [--session-clients 32 (0: no request without engine work)] [--only all|starts (the session and start phases alone)|agents (the warm-up, the fill and the agents' phases alone)]
//       [--settings "Workflows__Store__GroupCommit=false;…"]   (the host must be built: dotnet build -c Release host)
var command = args.Length > 0 ? args[0] : "inmemory";
var options = args.Skip(1).Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]);
var runs = int.Parse(options.GetValueOrDefault("runs", command == "inmemory" ? "5" : "3"), CultureInfo.InvariantCulture);
switch (command)
{
    case "inmemory":
        await InMemoryBenchmark.RunAsync(runs, options.GetValueOrDefault("shapes"));
        break;
    case "persisted":
        await PersistedBenchmark.RunAsync(options.GetValueOrDefault("provider", "sqlite"), options.GetValueOrDefault("connection"), runs,
            int.Parse(options.GetValueOrDefault("clients", "8"), CultureInfo.InvariantCulture), options.GetValueOrDefault("only", "all"),
            options.GetValueOrDefault("shapes"));
        break;
    case "servicelevels":
        var provider = PersistedBenchmark.Provider(options.GetValueOrDefault("provider", "sqlite"));
        int Int(string name, string fallback) => int.Parse(options.GetValueOrDefault(name, fallback), CultureInfo.InvariantCulture);
        await ServiceLevelBenchmark.RunAsync(provider, PersistedBenchmark.Server(options.GetValueOrDefault("connection")), runs,
            Int("tasks", "1000000"), Int("clocks", "1000000"), double.Parse(options.GetValueOrDefault("speed", "173"), CultureInfo.InvariantCulture),
            Int("seconds", "60"), Int("workers", provider == Workflows.Engine.Sql.SqlProvider.Sqlite ? "1" : "2"));
        break;
    case "search":
        await SearchBenchmark.RunAsync(PersistedBenchmark.Provider(options.GetValueOrDefault("provider", "sqlite")), PersistedBenchmark.Server(options.GetValueOrDefault("connection")), runs);
        break;
    case "migration":
        await MigrationBenchmark.RunAsync(PersistedBenchmark.Provider(options.GetValueOrDefault("provider", "sqlite")), PersistedBenchmark.Server(options.GetValueOrDefault("connection")), runs);
        break;
    case "handoff":
        await HandoffBenchmark.RunAsync(options.GetValueOrDefault("transport", "inmemory"), options.GetValueOrDefault("rabbitmq"), runs,
            int.Parse(options.GetValueOrDefault("cases", "2000"), CultureInfo.InvariantCulture), int.Parse(options.GetValueOrDefault("inflight", "16"), CultureInfo.InvariantCulture));
        break;
    case "decisions":
        await DecisionBenchmark.RunAsync(int.Parse(options.GetValueOrDefault("runs", "5"), CultureInfo.InvariantCulture),
            int.Parse(options.GetValueOrDefault("evaluations", "100000"), CultureInfo.InvariantCulture));
        break;
    case "pages":
        await WalPagesBenchmark.RunAsync(int.Parse(options.GetValueOrDefault("commands", "500"), CultureInfo.InvariantCulture),
            int.Parse(options.GetValueOrDefault("warmup", "2000"), CultureInfo.InvariantCulture));
        break;
    case "costs":
        await CommandCostBenchmark.RunAsync(PersistedBenchmark.Provider(options.GetValueOrDefault("provider", "sqlite")), PersistedBenchmark.Server(options.GetValueOrDefault("connection")),
            int.Parse(options.GetValueOrDefault("commands", "500"), CultureInfo.InvariantCulture), int.Parse(options.GetValueOrDefault("warmup", "1500"), CultureInfo.InvariantCulture),
            int.Parse(options.GetValueOrDefault("allocations", "0"), CultureInfo.InvariantCulture), options.GetValueOrDefault("statements") == "true");
        break;
    case "floor":
        await FloorBenchmark.RunAsync(PersistedBenchmark.Provider(options.GetValueOrDefault("provider", "sqlite")), PersistedBenchmark.Server(options.GetValueOrDefault("connection")), runs,
            int.Parse(options.GetValueOrDefault("instances", "20000"), CultureInfo.InvariantCulture), options.GetValueOrDefault("shapes", "straight-through,complaint"),
            int.Parse(options.GetValueOrDefault("complaints", "2000"), CultureInfo.InvariantCulture),
            [.. options.GetValueOrDefault("engine-clients", "8").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture))], options.GetValueOrDefault("engine-only") == "true");
        break;
    case "http":
        await Workflows.Bench.Http.HttpLoadBenchmark.RunAsync(HttpOptions(options, runs));
        break;
    default:
        Console.Error.WriteLine($"unknown benchmark '{command}': use inmemory, persisted, servicelevels, search, migration, handoff, decisions, pages, costs, floor or http");
        return 2;
}

return 0;

static Workflows.Bench.Http.HttpLoadOptions HttpOptions(Dictionary<string, string> options, int runs)
{
    int Int(string name, string fallback) => int.Parse(options.GetValueOrDefault(name, fallback), CultureInfo.InvariantCulture);
    int[] List(string name, string fallback) => [.. options.GetValueOrDefault(name, fallback).Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture))];
    var settings = options.GetValueOrDefault("settings", "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(s => s.Split('=', 2)).ToDictionary(p => p[0], p => p.Length == 2 ? p[1] : throw new ArgumentException($"--settings: '{p[0]}' needs a value (Name=Value)"));
    // The host's in-memory store (http only): what a request costs without a database.
    var provider = options.GetValueOrDefault("provider", "sqlite");
    return new(provider.Equals("inmemory", StringComparison.OrdinalIgnoreCase) ? null : PersistedBenchmark.Provider(provider), PersistedBenchmark.Server(options.GetValueOrDefault("connection")), runs,
        List("clients", "1,8,32,128"), List("agents", "1,8,20"), Int("tasks", "10000"), TimeSpan.FromSeconds(Int("seconds", "10")), TimeSpan.FromSeconds(Int("warmup-seconds", "180")), Int("fill-clients", "32"),
        Int("queries", "300"), TimeSpan.FromSeconds(Int("flush-seconds", "2")),
        options.TryGetValue("host", out var host) ? Path.GetFullPath(host) : Workflows.Bench.Http.HostUnderTest.DefaultDll(), settings,
        options.TryGetValue("port", out var port) ? int.Parse(port, CultureInfo.InvariantCulture) : null,
        Int("session-clients", "32"), options.GetValueOrDefault("only", "all") switch
        {
            "all" => Workflows.Bench.Http.HttpPhases.All,
            "starts" => Workflows.Bench.Http.HttpPhases.Starts,
            "agents" => Workflows.Bench.Http.HttpPhases.Agents,
            var other => throw new ArgumentException($"--only {other}: use all, starts or agents"),
        });
}
