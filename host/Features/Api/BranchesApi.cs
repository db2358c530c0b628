using System.Text.Json.Serialization;
using Workflows.Engine;
using Workflows.Engine.Calendars;
using Workflows.Host.Features.Security;

namespace Workflows.Host.Features.Api;

/// <summary>Branches: list them (staff); a branch admin pins the standard version of each journey and sets the calendar of its own branch.</summary>
internal static class BranchesApi
{
    public static void MapBranches(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/branches").WithTags("Branches");
        group.MapGet("", async (HttpContext http, WorkflowEngine engine, CancellationToken ct) =>
            {
                var branches = await engine.Branches.GetAllAsync(ct);
                var caller = Caller.From(http.User);
                // A customer chooses where to raise a case: names only, none of the branch's settings.
                return caller.Is(Roles.Customer) && !Roles.Staff.Any(caller.Is)
                    ? Results.Ok(branches.Select(b => new { b.Id, b.Name }))
                    : Results.Ok(branches);
            })
            .RequireAuthorization(p => p.RequireRole(Roles.All)).WithName("ListBranches")
            .Produces<IReadOnlyList<Branch>>().WithDescription("Staff get each branch with its settings; customers get each branch's id and name only.");
        group.MapGet("/{branchId}", async (string branchId, WorkflowEngine engine, CancellationToken ct) => await engine.Branches.GetAsync(branchId, ct))
            .RequireAuthorization(p => p.RequireRole(Roles.Staff)).WithName("GetBranch");
        group.MapPut("/{branchId}/pins/{processId}", async (string branchId, string processId, PinRequest pin, HttpContext http, WorkflowEngine engine, CancellationToken ct) =>
            {
                await OwnBranchAsync(http, engine, branchId, ct);
                return await engine.Branches.PinAsync(branchId, processId, PinRequest.Checked(pin.Version), ct);
            })
            .RequireAuthorization(p => p.RequireRole(Roles.BranchAdmin)).WithName("PinVersion")
            .WithSummary("Pins an approved (or rolled-out) version of a journey for the branch's starts; instances already running stay on theirs. A version only deployed is 409.");
        group.MapDelete("/{branchId}/pins/{processId}", async (string branchId, string processId, HttpContext http, WorkflowEngine engine, CancellationToken ct) =>
            {
                await OwnBranchAsync(http, engine, branchId, ct);
                return await engine.Branches.PinAsync(branchId, processId, null, ct);
            })
            .RequireAuthorization(p => p.RequireRole(Roles.BranchAdmin)).WithName("UnpinVersion").WithSummary("The branch starts the latest version again (409 when the latest is not approved).");
        group.MapPut("/{branchId}/calendar", SetCalendarAsync)
            .RequireAuthorization(p => p.RequireRole(Roles.BranchAdmin)).WithName("SetCalendar")
            .WithSummary("Sets the branch's own calendar layer from a date on; running clocks on it are recalculated.");
    }

    private static async Task<Branch> OwnBranchAsync(HttpContext http, WorkflowEngine engine, string branchId, CancellationToken ct)
    {
        var branch = await engine.Branches.GetAsync(branchId, ct);
        Caller.From(http.User).MustServe(branch.Id, "the settings");
        return branch;
    }

    private static async Task<CalendarChanged> SetCalendarAsync(string branchId, CalendarRequest request, HttpContext http, WorkflowEngine engine, ApiLimits limits, CancellationToken ct)
    {
        var branch = await OwnBranchAsync(http, engine, branchId, ct);
        var days = new[] { ("holidays", request.Holidays?.Count ?? 0), ("yearlyHolidays", request.YearlyHolidays?.Count ?? 0), ("workingDays", request.WorkingDays?.Count ?? 0) }
            .Where(d => d.Item2 > 0).ToList();
        if (days.Sum(d => d.Item2) is var holidays && holidays > limits.MaxCalendarHolidays)
        {
            // Every clock on the branch's chain reads the layer: its size is every business-time computation's cost.
            var named = string.Join(" + ", days.Select(d => d.Item1));
            throw new WorkflowInputException($"{named} list{(days.Count == 1 ? "s" : "")} {holidays:N0} days; the limit is {limits.MaxCalendarHolidays:N0} (Workflows:Limits:MaxCalendarHolidays)");
        }

        var layer = "branch:" + branch.Id;
        var week = new Dictionary<DayOfWeek, IReadOnlyList<WorkingInterval>>();
        foreach (var (day, intervals) in request.Week ?? [])
        {
            if (!Enum.TryParse<DayOfWeek>(day, ignoreCase: true, out var weekday) || !Enum.IsDefined(weekday))
            {
                throw new WorkflowInputException($"'{day}' in week is not a day of the week (monday … sunday)");
            }

            try
            {
                week[weekday] = intervals.Select(WorkingInterval.Parse).ToList();
            }
            catch (FormatException e)
            {
                throw new WorkflowInputException($"week.{day}: {e.Message}");
            }
        }

        var calendar = new CalendarLayer(layer, request.EffectiveFrom ?? ClockApi.EngineTime(http.RequestServices).GetUtcNow())
        {
            TimeZone = request.TimeZone,
            Week = week,
            Holidays = request.Holidays ?? [],
            YearlyHolidays = Yearly(request.YearlyHolidays),
            WorkingDays = request.WorkingDays ?? [],
        };
        if (System.Text.Encoding.UTF8.GetByteCount(CalendarLayerJson.Write(calendar)) is var bytes && bytes > limits.MaxCalendarBytes)
        {
            throw new PayloadTooLargeException($"the calendar layer takes {bytes:N0} bytes as the engine keeps it; the limit is {limits.MaxCalendarBytes:N0} (Workflows:Limits:MaxCalendarBytes)");
        }

        // After the size check: a layer too large is told by its size, whatever else is wrong with it.
        foreach (var (weekday, intervals) in week)
        {
            RefuseOverlaps(weekday.ToString().ToLowerInvariant(), intervals);
        }

        // The engine checks the chains it knows; the branch's chain-to-be (its first own layer) is known here only.
        if (!Calendars(branch).Contains(layer, StringComparer.Ordinal))
        {
            engine.ServiceLevels.RefuseClosedWeek([.. Calendars(branch), layer], calendar);
        }

        var changed = await engine.ServiceLevels.ChangeCalendarAsync(calendar, Caller.From(http.User).Name, ct);

        // The branch's clocks run on its chain; a chain that does not yet end on its own layer gets it.
        if (!Calendars(branch).Contains(layer, StringComparer.Ordinal))
        {
            branch = await engine.Branches.UpdateAsync(branch.Id, b => Calendars(b).Contains(layer, StringComparer.Ordinal) ? b : b with { Calendar = b.Calendar + "/" + layer }, ct);
        }

        return new CalendarChanged(branch.Id, branch.Calendar, changed);
    }

    // An hour given twice would be counted twice by a clock that adds up a day's intervals: refused, naming both.
    private static void RefuseOverlaps(string day, IReadOnlyList<WorkingInterval> intervals)
    {
        static TimeSpan End(WorkingInterval i) => i.End == TimeOnly.MinValue ? TimeSpan.FromDays(1) : i.End.ToTimeSpan();
        var sorted = intervals.OrderBy(i => i.Start).ToList();
        for (var i = 1; i < sorted.Count; i++)
        {
            if (sorted[i].Start.ToTimeSpan() < End(sorted[i - 1]))
            {
                throw new WorkflowInputException($"week.{day}: {Text(sorted[i - 1])} and {Text(sorted[i])} overlap; give each working hour once (join them as one interval)");
            }
        }

        static string Text(WorkingInterval i) => i.Start.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture) + "-"
            + (i.End == TimeOnly.MinValue ? "24:00" : i.End.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture));
    }

    // "12-24": a day of the year, as the calendar layer keeps yearly holidays (the page sends back what it read).
    private static List<(int Month, int Day)> Yearly(List<string>? days) => (days ?? []).Select(d =>
        DateOnly.TryParseExact("2000-" + d, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var date)
            ? (date.Month, date.Day)
            : throw new WorkflowInputException($"yearlyHolidays: '{d}' is not a day of the year as MM-dd (12-25)")).ToList();

    private static string[] Calendars(Branch branch) => branch.Calendar.Split('/', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>The version to pin: a JSON number (the text "2" is refused, as any other value that is not one), 1 or more.</summary>
internal sealed record PinRequest([property: JsonNumberHandling(JsonNumberHandling.Strict)] int? Version)
{
    /// <summary>The version asked for, or 400 naming the field when it is missing or not a version number.</summary>
    public static int Checked(int? version) => version switch
    {
        null => throw new WorkflowInputException("version names the version to pin (a number, 1 or more)"),
        < 1 => throw new WorkflowInputException($"version: {version} is not a version; versions are numbered from 1"),
        var v => v.Value,
    };
}

/// <summary>
/// A branch's calendar layer: the week's working intervals (<c>"monday": ["09:00-12:00", "13:00-17:00"]</c>; a day given
/// empty is closed), holidays, yearly holidays (<c>"12-24"</c>), working days an upper layer makes holidays, and from when.
/// </summary>
internal sealed record CalendarRequest(Dictionary<string, List<string>>? Week, List<DateOnly>? Holidays, string? TimeZone, DateTimeOffset? EffectiveFrom,
    List<string>? YearlyHolidays = null, List<DateOnly>? WorkingDays = null);

internal sealed record CalendarChanged(string BranchId, string Calendar, int ClocksRecalculated);
