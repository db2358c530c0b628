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
        if (names.FirstOrDefault(n => !registry.Contains(n)) is { } unknown)
        {
            throw new ArgumentException($"the calendar '{chain}' names a layer '{unknown}' that is not defined");
        }

        return new ClockCalendar(registry, names, null);
    }

    public static string[] Split(string chain) => chain.Split('/', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private BusinessCalendar At(DateTimeOffset instant) => _fixed ?? _registry!.Resolve(_chain, instant);

    private DateTimeOffset? NextChange(DateTimeOffset from, DateTimeOffset to) =>
        _fixed is not null ? null : _registry!.ChangesBetween(_chain, from, to) is [var first, ..] ? first : null;

    /// <summary>The instant <paramref name="amount"/> of working time after <paramref name="from"/>.</summary>
    public DateTimeOffset AddWorkingTime(DateTimeOffset from, TimeSpan amount)
    {
        while (true)
        {
            var calendar = At(from);
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
            total += At(from).WorkingTimeBetween(from, end);
            from = end;
        }

        return total;
    }

    /// <summary>The due moment of a typed duration started at <paramref name="start"/>; business days count on the version in force at the start.</summary>
    public DateTimeOffset AddTo(BusinessDuration duration, DateTimeOffset start) => duration switch
    {
        BusinessDuration.Elapsed e => start + e.Length,
        BusinessDuration.WorkingTime w => AddWorkingTime(start, w.Length),
        _ => duration.AddTo(start, At(start)),
    };
}
