using System.Diagnostics;

namespace Workflows.Host.Tests;

/// <summary>
/// Waits for what a crash test waits on (a batch's items done, completions acknowledged, overdue rows worked off) as long
/// as it makes progress, rather than for a wall-clock time: a machine at load 40 and more runs it slowly, and a fixed
/// deadline once failed a batch that was still moving. What makes no progress for the stall time is stuck, and fails.
/// </summary>
internal static class ProgressWait
{
    /// <summary>How long the work may make no progress before it counts as stuck: far above any one step on a loaded machine.</summary>
    public static readonly TimeSpan Stall = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The first value <paramref name="read"/> gives that <paramref name="reached"/> accepts; fails naming
    /// <paramref name="what"/> when <paramref name="progress"/> of the values read did not rise for <see cref="Stall"/>.
    /// A read that fails (a host too loaded to answer in time, or gone) is no progress.
    /// </summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> reached, Func<T, long> progress, string what)
    {
        long? best = null;
        var sinceProgress = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var value = await read();
                if (reached(value))
                {
                    return value;
                }

                if (progress(value) is var now && (best is null || now > best))
                {
                    best = now;
                    sinceProgress.Restart();
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // no answer: no progress seen, the stall clock runs on
            }

            Assert.That(sinceProgress.Elapsed, Is.LessThan(Stall), $"{what}: no progress for {Stall.TotalSeconds:N0} s (last at {best?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "nothing read"})");
            await Task.Delay(200);
        }
    }
}
