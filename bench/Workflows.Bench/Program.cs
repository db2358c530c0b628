using System.Globalization;
using Workflows.Bench;

// Benchmarks (not tests): results go to BENCHMARKS.md with the machine, the command and the date.
//   dotnet run -c Release --project bench/Workflows.Bench -- inmemory [--runs 5]
//   dotnet run -c Release --project bench/Workflows.Bench -- persisted --provider sqlite|postgresql [--connection CS] [--runs 3] [--clients 8] [--only all|latency]
var command = args.Length > 0 ? args[0] : "inmemory";
var options = args.Skip(1).Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]);
var runs = int.Parse(options.GetValueOrDefault("runs", command == "inmemory" ? "5" : "3"), CultureInfo.InvariantCulture);
switch (command)
{
    case "inmemory":
        await InMemoryBenchmark.RunAsync(runs);
        break;
    case "persisted":
        await PersistedBenchmark.RunAsync(options.GetValueOrDefault("provider", "sqlite"), options.GetValueOrDefault("connection"), runs,
            int.Parse(options.GetValueOrDefault("clients", "8"), CultureInfo.InvariantCulture), options.GetValueOrDefault("only", "all"));
        break;
    default:
        Console.Error.WriteLine($"unknown benchmark '{command}': use inmemory or persisted");
        return 2;
}

return 0;
