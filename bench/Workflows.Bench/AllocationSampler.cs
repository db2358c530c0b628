using System.Diagnostics.Tracing;

namespace Workflows.Bench;

/// <summary>
/// What a stretch of code allocates, by type, from the runtime's own sampling: the garbage collector reports the type
/// of the allocation that crossed each ~100 KB of a thread's allocations (its <c>GCAllocationTick</c> event), so a type's
/// share of the ticks is its share of the bytes, without a profiler attached (issue 19: where a command's bytes go).
/// </summary>
/// <remarks>Only the ticks between a <see cref="Start"/> and its <see cref="Stop"/> count; one sampler per process.</remarks>
internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, (long Bytes, int Ticks)> _byType = new(StringComparer.Ordinal);
    private volatile bool _sampling;

    /// <summary>Counts the ticks from now on, added to those of earlier stretches.</summary>
    public void Start() => _sampling = true;

    public void Stop() => _sampling = false;

    /// <summary>The types of the most sampled bytes, with their share of every sampled byte.</summary>
    public IReadOnlyList<(string Type, double Share, int Ticks)> Top(int count)
    {
        lock (_gate)
        {
            var total = Math.Max(1, _byType.Values.Sum(v => v.Bytes));
            return [.. _byType.OrderByDescending(p => p.Value.Bytes).Take(count).Select(p => (p.Key, p.Value.Bytes / (double)total, p.Value.Ticks))];
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_sampling || eventData.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.PayloadNames is not { } names)
        {
            return;
        }

        var type = names.IndexOf("TypeName") is var t and >= 0 ? eventData.Payload![t] as string ?? "?" : "?";
        var amount = names.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(eventData.Payload![a], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
        lock (_gate)
        {
            var (bytes, ticks) = _byType.GetValueOrDefault(type);
            _byType[type] = (bytes + amount, ticks + 1);
        }
    }
}
