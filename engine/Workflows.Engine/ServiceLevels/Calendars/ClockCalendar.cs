// The namespace is the public types', not the folder's: users' code compiles unchanged (docs/architecture.md §4).
namespace Workflows.Engine.Calendars;

/// <summary>
/// The time a clock measures: elapsed time, or working time on a calendar chain whose layers have dated
/// versions. Each stretch of time is measured on the version in force during it, so a calendar change
/// moves a running clock from its effective time on and leaves the time before it as it was.
/// </summary>
internal sealed class ClockCalendar
{
    private readonly CalendarRegistry? _registry;
    private readonly string[] _chain;
    private readonly BusinessCalendar? _fixed;

    private ClockCalendar(CalendarRegistry? registry, string[] chain, BusinessCalendar? fixedCalendar)
    {
        _registry = registry;
        _chain = chain;
        _fixed = fixedCalendar;
    }

    /// <summary>
    /// The calendar a clock names: a chain of layers, top first, separated by <c>/</c> (<c>group/fr/paris-01</c>);
    /// none means <paramref name="fallback"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A layer of the chain is unknown.</exception>
    public static ClockCalendar Resolve(string? chain, CalendarRegistry registry, BusinessCalendar fallback)
    {
        if (string.IsNullOrWhiteSpace(chain))
        {
            return new ClockCalendar(null, [], fallback);
        }

        var names = Split(chain);
        foreach (var name in names)
        {
            if (!registry.Contains(name))
            {
                throw new ArgumentException($"the calendar '{chain}' names a layer '{name}' that is not defined");
            }
        }

        return new ClockCalendar(registry, names, null);
    }

    public static string[] Split(string chain) => chain.Split('/', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    // Null while the chain's week has no working time (a layer saved before such layers were refused): that stretch
    // passes no working time, and a clock waits for the chain's next version (review13 F13).
    private BusinessCalendar? At(DateTimeOffset instant) => _fixed ?? _registry!.ResolveOpen(_chain, instant);

    // The first moment from which the chain has working time again, or a refusal naming the chain when it never has.
    private DateTimeOffset Opens(DateTimeOffset from)
    {
        while (At(from) is null)
        {
            from = NextChange(from, DateTimeOffset.MaxValue)
                ?? throw new ArgumentException($"the calendar '{string.Join("/", _chain)}' has no working time in its week from {from:O} on: a clock on it could never end");
        }

        return from;
    }

    private DateTimeOffset? NextChange(DateTimeOffset from, DateTimeOffset to) =>
        _fixed is not null ? null : _registry!.FirstChangeBetween(_chain, from, to);

    /// <summary>The instant <paramref name="amount"/> of working time after <paramref name="from"/>.</summary>
    public DateTimeOffset AddWorkingTime(DateTimeOffset from, TimeSpan amount)
    {
        while (true)
        {
            from = Opens(from);
            var calendar = At(from)!;
            var end = calendar.AddWorkingTime(from, amount);
            if (NextChange(from, end) is not { } change)
            {
                return end;
            }

            amount -= calendar.WorkingTimeBetween(from, change);
            from = change;
        }
    }

    /// <summary>The working time between two instants, each stretch on the version in force then.</summary>
    public TimeSpan WorkingTimeBetween(DateTimeOffset from, DateTimeOffset to)
    {
        var total = TimeSpan.Zero;
        while (from < to)
        {
            var end = NextChange(from, to) ?? to;
            total += At(from)?.WorkingTimeBetween(from, end) ?? TimeSpan.Zero;
            from = end;
        }

        return total;
    }

    /// <summary>The due moment of a typed duration started at <paramref name="start"/>; business days count on the version in force at the start.</summary>
    public DateTimeOffset AddTo(BusinessDuration duration, DateTimeOffset start) => duration switch
    {
        BusinessDuration.Elapsed e => start + e.Length,
        BusinessDuration.WorkingTime w => AddWorkingTime(start, w.Length),
        _ => duration.AddTo(Opens(start), At(Opens(start))!),
    };
}
