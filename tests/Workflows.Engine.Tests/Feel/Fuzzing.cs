using System.Diagnostics;
using System.Globalization;

namespace Workflows.Engine.Tests.Feel;

/// <summary>
/// Settings shared by the property-based fuzz tests (CsCheck). CI runs a few thousand cases in seconds;
/// <c>WORKFLOWS_FUZZ_ITERATIONS=200000 dotnet test tests/Workflows.Engine.Tests --filter "FullyQualifiedName~Fuzz"</c>
/// runs a longer campaign (each property takes that many cases), and CsCheck's own <c>CsCheck_Seed</c>
/// replays a failure it printed. See docs/feel.md, "Fuzzing".
/// </summary>
internal static class Fuzzing
{
    /// <summary>The longest one case may take: far above any budget's real cost, far below a stall.</summary>
    public static readonly TimeSpan CaseTimeLimit = TimeSpan.FromSeconds(5);

    /// <summary>The number of cases for a property: <paramref name="ci"/> unless WORKFLOWS_FUZZ_ITERATIONS says more.</summary>
    public static long Iterations(long ci) =>
        long.TryParse(Environment.GetEnvironmentVariable("WORKFLOWS_FUZZ_ITERATIONS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : ci;

    /// <summary>Runs one case and fails it when it takes longer than <see cref="CaseTimeLimit"/>.</summary>
    public static void Timed(string input, Action run)
    {
        var watch = Stopwatch.StartNew();
        run();
        if (watch.Elapsed > CaseTimeLimit)
        {
            throw new TimeoutException($"one case took {watch.Elapsed.TotalSeconds:N1} s: {Shorten(input)}");
        }
    }

    public static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + $"… ({text.Length:N0} characters)";
}
