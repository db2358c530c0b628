using System.Globalization;
using System.Text.RegularExpressions;
using Workflows.Engine.Feel;

// The namespace is the public types', not the folder's: users' code compiles unchanged (docs/architecture.md §4).
namespace Workflows.Engine.Calendars;

/// <summary>
/// A duration as a service level states it. Three kinds, each with its text form:
/// <list type="bullet">
/// <item><c>PT48H</c>: elapsed time, weekends and nights included (<see cref="Elapsed"/>).</item>
/// <item><c>16 working hours</c> or <c>PT16H working</c>: time inside the calendar's working intervals (<see cref="WorkingTime"/>).</item>
/// <item><c>2 business days</c>, optionally <c>cut-off 17:00</c>: the end of the N-th business day after the day the work counts from (<see cref="BusinessDays"/>).</item>
/// </list>
/// </summary>
public abstract partial record BusinessDuration
{
    private BusinessDuration()
    {
    }

    /// <summary>When a clock started at <paramref name="start"/> with this duration is due, on <paramref name="calendar"/>.</summary>
    public abstract DateTimeOffset AddTo(DateTimeOffset start, BusinessCalendar calendar);

    /// <summary>Reads one of the text forms.</summary>
    /// <exception cref="FormatException">The text is none of them; the message shows the forms.</exception>
    public static BusinessDuration Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (WorkingHoursForm().Match(trimmed) is { Success: true } hours)
        {
            return new WorkingTime(TimeSpan.FromHours(double.Parse(hours.Groups["n"].Value, CultureInfo.InvariantCulture)));
        }

        if (IsoWorkingForm().Match(trimmed) is { Success: true } iso && FeelBuiltins.ParseDuration(iso.Groups["d"].Value) is TimeSpan working)
        {
            return new WorkingTime(working);
        }

        if (BusinessDaysForm().Match(trimmed) is { Success: true } days)
        {
            var cutOff = days.Groups["cut"].Success ? TimeOnly.Parse(days.Groups["cut"].Value, CultureInfo.InvariantCulture) : TimeOnly.MaxValue;
            return new BusinessDays(int.Parse(days.Groups["n"].Value, CultureInfo.InvariantCulture), cutOff);
        }

        if (FeelBuiltins.ParseDuration(trimmed) is TimeSpan elapsed)
        {
            return new Elapsed(elapsed);
        }

        throw new FormatException($"'{text}' is not a duration: write PT48H (elapsed), 16 working hours (or PT16H working), or 2 business days cut-off 17:00");
    }

    /// <summary>Elapsed time.</summary>
    public sealed record Elapsed(TimeSpan Length) : BusinessDuration
    {
        /// <inheritdoc />
        public override DateTimeOffset AddTo(DateTimeOffset start, BusinessCalendar calendar) => start + Length;

        /// <inheritdoc />
        public override string ToString() => FeelValue.FormatDuration(Length);
    }

    /// <summary>Time inside the calendar's working intervals.</summary>
    public sealed record WorkingTime(TimeSpan Length) : BusinessDuration
    {
        /// <inheritdoc />
        public override DateTimeOffset AddTo(DateTimeOffset start, BusinessCalendar calendar) => calendar.AddWorkingTime(start, Length);

        /// <inheritdoc />
        public override string ToString() => $"{FeelValue.FormatDuration(Length)} working";
    }

    /// <summary>Business days; work arriving at or after <paramref name="CutOff"/> counts from the next business day.</summary>
    public sealed record BusinessDays(int Days, TimeOnly CutOff) : BusinessDuration
    {
        /// <inheritdoc />
        public override DateTimeOffset AddTo(DateTimeOffset start, BusinessCalendar calendar) => calendar.AddBusinessDays(start, Days, CutOff);

        /// <inheritdoc />
        public override string ToString() =>
            CutOff == TimeOnly.MaxValue ? $"{Days} business days" : $"{Days} business days cut-off {CutOff:HH\\:mm}";
    }

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?) working hours?$", RegexOptions.IgnoreCase)]
    private static partial Regex WorkingHoursForm();

    [GeneratedRegex(@"^(?<d>P\S+) working$", RegexOptions.IgnoreCase)]
    private static partial Regex IsoWorkingForm();

    [GeneratedRegex(@"^(?<n>\d+) business days?( cut-?off (?<cut>\d{1,2}:\d{2}))?$", RegexOptions.IgnoreCase)]
    private static partial Regex BusinessDaysForm();
}
