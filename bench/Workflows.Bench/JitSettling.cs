using System.Runtime;

namespace Workflows.Bench;

/// <summary>
/// A warm-up that lasts until the JIT has settled, and what the JIT still did in a counted stretch. Round 19 found
/// 35 % of a counted straight-through run's samples in the JIT (<c>libclrjit.so</c>, 6,000 instances after three
/// warm-up rounds of 200, load 35): each method is compiled quickly, then with counters, then optimized, each step after
/// some thirty calls and in the background, and on a loaded machine the background lags. CPU per instance then measured
/// the JIT's backlog as much as the engine. Rounds are repeated until one compiles almost nothing.
/// </summary>
internal static class JitSettling
{
    // A round of a straight-through shape compiled ~0–3 methods once settled (rarely-taken paths, a timer's callback).
    private const int SettledMethods = 4;

    private const int MaxRounds = 30;

    /// <summary>
    /// Runs <paramref name="round"/> at least <paramref name="minRounds"/> times, and until a round (with the pause after it,
    /// where the background compilation catches up) compiles fewer than a few methods, at most <see cref="MaxRounds"/>.
    /// </summary>
    /// <returns>How many rounds ran.</returns>
    public static async Task<int> WarmAsync(Func<Task> round, int minRounds = 3)
    {
        for (var rounds = 1; ; rounds++)
        {
            var compiled = JitInfo.GetCompiledMethodCount();
            await round();
            await Task.Delay(500);
            if (rounds >= MaxRounds || (rounds >= minRounds && JitInfo.GetCompiledMethodCount() - compiled < SettledMethods))
            {
                return rounds;
            }
        }
    }

    /// <summary>The JIT's count and time so far, to subtract from a later reading.</summary>
    public static (long Methods, TimeSpan Time) Read() => (JitInfo.GetCompiledMethodCount(), JitInfo.GetCompilationTime());

    /// <summary>What the JIT did since <paramref name="before"/>, per operation of <paramref name="count"/>: methods in all, µs each.</summary>
    public static string Since((long Methods, TimeSpan Time) before, int count)
    {
        var (methods, time) = Read();
        return FormattableString.Invariant($"JIT {methods - before.Methods} methods, {(time - before.Time).TotalMicroseconds / count:N1} µs per instance");
    }
}
