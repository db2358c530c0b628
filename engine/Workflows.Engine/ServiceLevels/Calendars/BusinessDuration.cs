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
        var parsed = ParseForm(trimmed) ?? throw new FormatException($"'{text}' is not a duration: write PT48H (elapsed), 16 working hours (or PT16H working), or 2 business days cut-off 17:00");
        return parsed.IsWithinLimits ? parsed : throw new FormatException(TooLong(text));
    }

    /// <summary>Why <paramref name="text"/>, written in one of the forms, is refused for its length; null when it is not too long or in no form.</summary>
    internal static string? LengthProblem(string text) => ParseForm(text.Trim()) is { IsWithinLimits: false } ? TooLong(text) : null;

    private static string TooLong(string text) =>
        $"'{text}' is longer than a service level or timer may be: at most {MaxElapsedDays:N0} days elapsed, {MaxWorkingHours:N0} working hours or {MaxBusinessDays:N0} business days";

    // Bounds that keep every due date inside the calendar (year 9999) and every calendar walk short: a business day is
    // found by stepping day by day, working time by walking working stretches (BusinessCalendar bounds both at ten years).
    private const int MaxElapsedDays = 36_500;
    private const int MaxWorkingHours = 20_000;
    private const int MaxBusinessDays = 2_500;

    private bool IsWithinLimits => this switch
    {
        Elapsed e => e.Length.Duration() <= TimeSpan.FromDays(MaxElapsedDays),
        WorkingTime w => w.Length <= TimeSpan.FromHours(MaxWorkingHours),
        BusinessDays d => d.Days <= MaxBusinessDays,
        _ => false,
    };

    private static BusinessDuration? ParseForm(string trimmed)
    {
        if (WorkingHoursForm().Match(trimmed) is { Success: true } hours)
        {
            var n = double.Parse(hours.Groups["n"].Value, CultureInfo.InvariantCulture);
            return new WorkingTime(n <= MaxWorkingHours ? TimeSpan.FromHours(n) : TimeSpan.MaxValue);
        }

        if (IsoWorkingForm().Match(trimmed) is { Success: true } iso && FeelBuiltins.ParseDuration(iso.Groups["d"].Value) is TimeSpan working)
        {
            return new WorkingTime(working);
        }

        if (BusinessDaysForm().Match(trimmed) is { Success: true } days)
        {
            var cutOff = days.Groups["cut"].Success ? TimeOnly.Parse(days.Groups["cut"].Value, CultureInfo.InvariantCulture) : TimeOnly.MaxValue;
            return new BusinessDays(int.TryParse(days.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : int.MaxValue, cutOff);
        }

        return FeelBuiltins.ParseDuration(trimmed) is TimeSpan elapsed ? new Elapsed(elapsed) : null;
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
