using System.Diagnostics;

namespace Workflows.Bench.Http;

/// <summary>What one simulated user saw in a phase: the latencies of its successful requests and its refusals.</summary>
internal sealed class Tally
{
    public List<double> Latencies { get; } = [];

    public long Ok { get; set; }

    /// <summary>Next-task answers of "nothing to do" (204): the agents ran out of work, and the loop figure is not a capacity.</summary>
    public long Empty { get; set; }

    public long Errors { get; private set; }

    public string? FirstError { get; private set; }

    public void Succeeded(double milliseconds)
    {
        Ok++;
        Latencies.Add(milliseconds);
    }

    public void Failed(string what, Answer answer)
    {
        Errors++;
        FirstError ??= $"{what}: {(answer.Status == 0 ? "no answer" : ((int)answer.Status).ToString(System.Globalization.CultureInfo.InvariantCulture))} {Truncate(answer.Body)}";
    }

    public void Failed(string what)
    {
        Errors++;
        FirstError ??= what;
    }

    /// <summary>Runs <paramref name="clients"/> users at once, each repeating <paramref name="step"/> while <paramref name="more"/> says so.</summary>
    public static async Task<(Tally Total, TimeSpan Elapsed)> RunAsync(int clients, Func<bool> more, Func<int, Tally, Task> step)
    {
        var tallies = Enumerable.Range(0, clients).Select(_ => new Tally()).ToArray();
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(tallies.Select((tally, client) => Task.Run(async () =>
        {
            while (more())
            {
                await step(client, tally);
            }
        })));
        var elapsed = watch.Elapsed;
        var total = new Tally();
        foreach (var tally in tallies)
        {
            total.Latencies.AddRange(tally.Latencies);
            total.Ok += tally.Ok;
            total.Empty += tally.Empty;
            total.Errors += tally.Errors;
            total.FirstError ??= tally.FirstError;
        }

        total.Latencies.Sort();
        return (total, elapsed);
    }

    /// <summary>While the phase lasts: a deadline from now.</summary>
    public static Func<bool> For(TimeSpan duration)
    {
        var watch = Stopwatch.StartNew();
        return () => watch.Elapsed < duration;
    }

    /// <summary>Until <paramref name="count"/> steps have been taken among all users.</summary>
    public static Func<bool> Times(long count)
    {
        var left = count;
        return () => Interlocked.Decrement(ref left) >= 0;
    }

    private static string Truncate(string? text) => text is null ? "" : text.Length <= 300 ? text : text[..300] + "…";
}
