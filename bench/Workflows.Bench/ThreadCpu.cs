using System.Runtime.InteropServices;

namespace Workflows.Bench;

/// <summary>
/// The calling thread's CPU time (Linux: <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>), which the store's writer meter
/// reads around each group it flushes (<c>WriterMeter</c>): at 32 clients SQLite's one writer holds the rate, and its
/// thread's CPU per instance is what a change to the commit path must cut (issue 19, round 20).
/// </summary>
internal static partial class ThreadCpu
{
    private const int ThreadCpuClock = 3; // CLOCK_THREAD_CPUTIME_ID

    /// <summary>Lets the store's writer meter read its thread's CPU, where the OS offers the clock.</summary>
    public static void MeterTheWriter()
    {
        if (OperatingSystem.IsLinux())
        {
            Workflows.Engine.Sql.WriterMeter.ThreadCpu = Nanoseconds;
        }
    }

    private static long Nanoseconds() => ClockGetTime(ThreadCpuClock, out var time) == 0 ? (time.Seconds * 1_000_000_000L) + time.Nanoseconds : 0;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);
}
