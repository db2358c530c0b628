using Workflows.Engine.Feel;

// The namespace is the public types', not the folder's: users' code compiles unchanged (docs/architecture.md §4).
namespace Workflows.Engine.Calendars;

/// <summary>A stretch of working time within a day, in the calendar's local time (<c>End</c> after <c>Start</c>; 00:00 as end means midnight).</summary>
public readonly record struct WorkingInterval(TimeOnly Start, TimeOnly End)
{
    /// <summary>Reads "09:00-17:00".</summary>
    /// <exception cref="FormatException">The text is not two times joined by a dash, the first before the second.</exception>
    public static WorkingInterval Parse(string text)
    {
        var parts = text.Split('-', StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || !TimeOnly.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out var start)
            || !TimeOnly.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var end)
            || (end <= start && end != TimeOnly.MinValue))
        {
            throw new FormatException($"'{text}' is not a working interval such as 09:00-17:00");
        }

        return new WorkingInterval(start, end);
    }

    internal TimeSpan EndOfDayOffset => End == TimeOnly.MinValue ? TimeSpan.FromDays(1) : End.ToTimeSpan();
}

/// <summary>
/// A resolved business calendar: working intervals per weekday, holidays and a time zone. It answers
/// the questions SLA clocks ask: when do N working hours starting now end, how much working time lies
/// between two instants, when is "2 business days, cut-off 17:00".
/// </summary>
/// <remarks>
/// Working time is real elapsed time inside working intervals, measured on the instant line: an interval
/// that spans a daylight-saving change is an hour shorter (spring) or longer (autumn). A local time that
/// does not exist (in a spring gap) is read as the first instant after the gap.
/// </remarks>
public sealed class BusinessCalendar
{
    private readonly Dictionary<DayOfWeek, IReadOnlyList<WorkingInterval>> _week;
    private readonly HashSet<DateOnly> _holidays;
    private readonly HashSet<(int Month, int Day)> _yearlyHolidays;
    private readonly HashSet<DateOnly> _workingDays;

    // Local moments already placed on the instant line: every clock started walks the working days ahead of it, and each
    // day's ends cost three time-zone rule lookups (a gap, an overlap, the offset). A calendar lives as long as its layer
    // versions (CalendarRegistry keeps it), so the same days come back; the cache is emptied past its size limit.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<DateTime, DateTimeOffset> _instants = new();
    private const int MaxInstants = 4096;

    /// <summary>Creates a calendar.</summary>
    public BusinessCalendar(string name, TimeZoneInfo zone, IReadOnlyDictionary<DayOfWeek, IReadOnlyList<WorkingInterval>> week, IEnumerable<DateOnly>? holidays = null, IEnumerable<(int Month, int Day)>? yearlyHolidays = null, IEnumerable<DateOnly>? workingDays = null)
    {
        ArgumentNullException.ThrowIfNull(zone);
        ArgumentNullException.ThrowIfNull(week);
        Name = name;
        Zone = zone;
        _week = week.ToDictionary(p => p.Key, p => (IReadOnlyList<WorkingInterval>)p.Value.OrderBy(i => i.Start).ToList());
        _holidays = [.. holidays ?? []];
        _yearlyHolidays = [.. yearlyHolidays ?? []];
        _workingDays = [.. workingDays ?? []];
        if (_week.Values.All(intervals => intervals.Count == 0))
        {
            throw new ArgumentException($"calendar '{name}' has no working time in its week", nameof(week));
        }
    }

    /// <summary>The calendar's name.</summary>
    public string Name { get; }

    /// <summary>The time zone working hours and holidays are read in.</summary>
    public TimeZoneInfo Zone { get; }

    /// <summary>The working intervals of each weekday.</summary>
    public IReadOnlyDictionary<DayOfWeek, IReadOnlyList<WorkingInterval>> Week => _week;

    /// <summary>Dated holidays.</summary>
    public IReadOnlyCollection<DateOnly> Holidays => _holidays;

    /// <summary>Holidays every year (month, day).</summary>
    public IReadOnlyCollection<(int Month, int Day)> YearlyHolidays => _yearlyHolidays;

    /// <summary>Whether the local date has working time.</summary>
    public bool IsBusinessDay(DateOnly date) => IntervalsOn(date).Count > 0;

    /// <summary>The working intervals of a local date: none on holidays.</summary>
    public IReadOnlyList<WorkingInterval> IntervalsOn(DateOnly date)
    {
        var holiday = !_workingDays.Contains(date) && (_holidays.Contains(date) || _yearlyHolidays.Contains((date.Month, date.Day)));
        return holiday || !_week.TryGetValue(date.DayOfWeek, out var intervals) ? [] : intervals;
    }

    /// <summary>The instant <paramref name="workingTime"/> of working time after <paramref name="start"/>.</summary>
    public DateTimeOffset AddWorkingTime(DateTimeOffset start, TimeSpan workingTime)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workingTime, TimeSpan.Zero);
        var left = workingTime;
        var stretches = new Stretches(this, start);
        while (stretches.Next(out var from, out var to))
        {
            var available = to - from;
            if (left <= available)
            {
                return from + left;
            }

            left -= available;
        }

        // Only a calendar with very little working time a week runs out of its twenty-year walk before the duration does.
        throw new ArgumentOutOfRangeException(nameof(workingTime), $"{FeelValue.FormatDuration(workingTime)} of working time is more than calendar '{Name}' has in twenty years");
    }

    /// <summary>How much working time lies between two instants (zero when <paramref name="to"/> is not later).</summary>
    public TimeSpan WorkingTimeBetween(DateTimeOffset from, DateTimeOffset to)
    {
        var total = TimeSpan.Zero;
        if (to <= from)
        {
            return total;
        }

        var stretches = new Stretches(this, from);
        while (stretches.Next(out var start, out var end))
        {
            if (start >= to)
            {
                break;
            }

            total += (end < to ? end : to) - start;
        }

        return total;
    }

    /// <summary>
    /// The end of the <paramref name="days"/>-th business day after the day the work counts from: the
    /// day it arrived if that is a business day and it arrived before <paramref name="cutOff"/>,
    /// otherwise the next business day. "2 business days" from Monday 10:00 ends Wednesday at closing time.
    /// </summary>
    public DateTimeOffset AddBusinessDays(DateTimeOffset start, int days, TimeOnly cutOff)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(days);
        var local = TimeZoneInfo.ConvertTime(start, Zone);
        var day = DateOnly.FromDateTime(local.DateTime);
        if (!IsBusinessDay(day) || TimeOnly.FromDateTime(local.DateTime) >= cutOff)
        {
            day = NextBusinessDay(day);
        }

        for (var i = 0; i < days; i++)
        {
            day = NextBusinessDay(day);
        }

        return ToInstant(day, IntervalsOn(day)[^1].EndOfDayOffset);
    }

    private DateOnly NextBusinessDay(DateOnly day)
    {
        for (var i = 0; i < 3660; i++)
        {
            day = day.AddDays(1);
            if (IsBusinessDay(day))
            {
                return day;
            }
        }

        throw new InvalidOperationException($"calendar '{Name}' has no business day in ten years after {day}");
    }

    // Working stretches as instants, from the one containing (or following) start, in order: a walk kept on the caller's
    // stack, as every SLA clock a command starts walks the calendar four times and an iterator would be an object each.
    private struct Stretches
    {
        private readonly BusinessCalendar _calendar;
        private readonly DateTimeOffset _start;
        private DateOnly _day;
        private int _daysWalked;
        private IReadOnlyList<WorkingInterval>? _intervals;
        private int _next;

        public Stretches(BusinessCalendar calendar, DateTimeOffset start)
        {
            _calendar = calendar;
            _start = start;
            _day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(start, calendar.Zone).DateTime).AddDays(-1);
        }

        public bool Next(out DateTimeOffset from, out DateTimeOffset to)
        {
            for (; _daysWalked < 3660 * 2; _daysWalked++, _day = _day.AddDays(1), _intervals = null, _next = 0)
            {
                // By index: a foreach over the list's interface would make an enumerator for every day walked.
                _intervals ??= _calendar.IntervalsOn(_day);
                while (_next < _intervals.Count)
                {
                    var interval = _intervals[_next++];
                    var opens = _calendar.ToInstant(_day, interval.Start.ToTimeSpan());
                    var closes = _calendar.ToInstant(_day, interval.EndOfDayOffset);
                    if (closes <= _start || closes <= opens)
                    {
                        continue;
                    }

                    (from, to) = (opens < _start ? _start : opens, closes);
                    return true;
                }
            }

            (from, to) = (default, default);
            return false;
        }
    }

    /// <summary>The instant of a local date and time of day in this calendar's zone.</summary>
    internal DateTimeOffset ToInstant(DateOnly day, TimeSpan timeOfDay)
    {
        var local = day.ToDateTime(TimeOnly.MinValue).Add(timeOfDay);
        if (_instants.TryGetValue(local, out var known))
        {
            return known;
        }

        if (_instants.Count >= MaxInstants)
        {
            _instants.Clear();
        }

        return _instants[local] = Place(local);
    }

    private DateTimeOffset Place(DateTime local)
    {
        while (Zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(1); // inside a spring gap: the first minute after it
        }

        var offset = Zone.IsAmbiguousTime(local) ? Zone.GetAmbiguousTimeOffsets(local).Max() : Zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset);
    }
}
