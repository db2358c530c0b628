namespace Workflows.Bench;

/// <summary>
/// Lets <c>perf record</c> or <c>perf stat</c> count only the stretches a benchmark counts: started with
/// <c>-D -1 --control fifo:CTL,ACK</c> and the two fifos named in <c>WORKFLOWS_BENCH_PERF_CTL</c> and
/// <c>WORKFLOWS_BENCH_PERF_ACK</c>, perf is told to enable its events before each stretch and disable them after it,
/// so that start-up, warm-up and the JIT's compilation stay out of the shares and counts (issue 19).
/// </summary>
internal static class PerfControl
{
    private static readonly StreamWriter? s_control = Open(Environment.GetEnvironmentVariable("WORKFLOWS_BENCH_PERF_CTL"));
    private static readonly StreamReader? s_ack = Environment.GetEnvironmentVariable("WORKFLOWS_BENCH_PERF_ACK") is { Length: > 0 } ack ? new StreamReader(ack) : null;

    public static void Enable() => Send("enable");

    public static void Disable() => Send("disable");

    private static StreamWriter? Open(string? path) => string.IsNullOrEmpty(path) ? null : new StreamWriter(path) { AutoFlush = true };

    private static void Send(string command)
    {
        if (s_control is null)
        {
            return;
        }

        s_control.WriteLine(command);
        s_ack?.ReadLine(); // perf answers "ack" once the events are switched
    }
}
