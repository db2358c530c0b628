using System.Diagnostics;

namespace Workflows.Engine.Sql;

/// <summary>
/// What SQLite's one writer did, counted for benchmarks (process-wide): the groups it wrote, the change sets in them, and
/// the time its thread spent writing them, on the clock and on the CPU. At many clients that thread holds the rate (issue
/// 19): every µs it spends per instance, and how many instances share a group, is what the rate is made of.
/// </summary>
/// <remarks>
/// The CPU is read only when a benchmark sets <see cref="ThreadCpu"/> (the engine calls no OS function for it): a group is
/// written on one thread (SQLite's writes are synchronous), and a group whose flush ended on another thread (its writer's
/// lock was awaited) is counted without CPU.
/// </remarks>
internal static class WriterMeter
{
    private static long s_groups;
    private static long s_changeSets;
    private static long s_wallTicks;
    private static long s_cpuNanoseconds;
    private static long s_cpuGroups;
    private static long s_commitWallTicks;
    private static long s_commitCpuNanoseconds;
    private static long s_flushersStarted;

    /// <summary>The calling thread's CPU time in nanoseconds; null (the default) counts no CPU.</summary>
    public static Func<long>? ThreadCpu { get; set; }

    /// <summary>What was counted so far.</summary>
    public static WriterCounts Read() => new(
        Interlocked.Read(ref s_groups), Interlocked.Read(ref s_changeSets), Stopwatch.GetElapsedTime(0, Interlocked.Read(ref s_wallTicks)),
        Interlocked.Read(ref s_cpuNanoseconds), Interlocked.Read(ref s_cpuGroups),
        Stopwatch.GetElapsedTime(0, Interlocked.Read(ref s_commitWallTicks)), Interlocked.Read(ref s_commitCpuNanoseconds), Interlocked.Read(ref s_flushersStarted));

    /// <summary>
    /// Counts a flusher started (<see cref="CommitQueue"/>: the last one ended with nothing waiting): a group whose
    /// flusher had to start waits for the thread pool to run it, behind the callers' continuations.
    /// </summary>
    internal static void FlusherStarted() => Interlocked.Increment(ref s_flushersStarted);

    /// <summary>Counts the COMMIT (its WAL frames written and flushed) of a group begun at <paramref name="started"/>.</summary>
    internal static void StopCommit(Started started)
    {
        Interlocked.Add(ref s_commitWallTicks, Stopwatch.GetTimestamp() - started.Timestamp);
        if (started.Cpu >= 0 && started.Thread == Environment.CurrentManagedThreadId && ThreadCpu is { } cpu)
        {
            Interlocked.Add(ref s_commitCpuNanoseconds, cpu() - started.Cpu);
        }
    }

    /// <summary>Starts the count of one group's flush (or its COMMIT) on the calling thread.</summary>
    internal static Started Start() => new(Stopwatch.GetTimestamp(), ThreadCpu?.Invoke() ?? -1, Environment.CurrentManagedThreadId);

    /// <summary>Counts a group's flush of <paramref name="changeSets"/> change sets begun at <paramref name="started"/>.</summary>
    internal static void Stop(Started started, int changeSets)
    {
        Interlocked.Increment(ref s_groups);
        Interlocked.Add(ref s_changeSets, changeSets);
        Interlocked.Add(ref s_wallTicks, Stopwatch.GetTimestamp() - started.Timestamp);
        if (started.Cpu >= 0 && started.Thread == Environment.CurrentManagedThreadId && ThreadCpu is { } cpu)
        {
            Interlocked.Add(ref s_cpuNanoseconds, cpu() - started.Cpu);
            Interlocked.Increment(ref s_cpuGroups);
        }
    }

    /// <summary>Where a group's count began.</summary>
    internal readonly record struct Started(long Timestamp, long Cpu, int Thread);
}

/// <summary>The writer's counts at one moment (<see cref="WriterMeter.Read"/>); subtract two to count a stretch.</summary>
/// <param name="Groups">Groups flushed (transactions committed by the commit queue's flusher).</param>
/// <param name="ChangeSets">Change sets written in them.</param>
/// <param name="Wall">Time the flusher spent in the groups' flushes.</param>
/// <param name="CpuNanoseconds">CPU its thread spent in them, for <paramref name="CpuGroups"/> of the groups.</param>
/// <param name="CpuGroups">Groups whose CPU was read.</param>
/// <param name="CommitWall">Of <paramref name="Wall"/>, the time in the groups' COMMITs (SQLite's WAL frames written and flushed).</param>
/// <param name="CommitCpuNanoseconds">Of <paramref name="CpuNanoseconds"/>, the CPU in them.</param>
/// <param name="FlushersStarted">Flushers started (any store's queue, SQLite's or a server's): each a wait for the thread pool before a group.</param>
internal readonly record struct WriterCounts(long Groups, long ChangeSets, TimeSpan Wall, long CpuNanoseconds, long CpuGroups, TimeSpan CommitWall, long CommitCpuNanoseconds, long FlushersStarted)
{
    public static WriterCounts operator -(WriterCounts a, WriterCounts b) =>
        new(a.Groups - b.Groups, a.ChangeSets - b.ChangeSets, a.Wall - b.Wall, a.CpuNanoseconds - b.CpuNanoseconds, a.CpuGroups - b.CpuGroups,
            a.CommitWall - b.CommitWall, a.CommitCpuNanoseconds - b.CommitCpuNanoseconds, a.FlushersStarted - b.FlushersStarted);

    /// <summary>One line for a benchmark's output: per instance (of <paramref name="instances"/>) and per group, over <paramref name="elapsed"/>.</summary>
    public string Describe(int instances, TimeSpan elapsed)
    {
        if (Groups == 0)
        {
            return "the writer flushed no group";
        }

        var line = FormattableString.Invariant(
            $"writer: {Groups:N0} groups of {ChangeSets / (double)Groups:N1} change sets; busy {Wall / elapsed:P0} of the stretch, {Wall.TotalMicroseconds / instances:N1} µs an instance on the clock");
        line += FormattableString.Invariant($" (COMMIT {CommitWall.TotalMicroseconds / instances:N1}); a flusher started for {FlushersStarted * 100.0 / Groups:N0} % of groups");
        return CpuGroups == 0
            ? line
            : line + FormattableString.Invariant(
                $", {CpuNanoseconds / 1000.0 / CpuGroups * Groups / instances:N1} µs on its thread's CPU (COMMIT {CommitCpuNanoseconds / 1000.0 / CpuGroups * Groups / instances:N1}; {CpuGroups * 100.0 / Groups:N0} % of groups read)");
    }
}
