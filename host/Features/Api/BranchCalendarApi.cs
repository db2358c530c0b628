using System.Globalization;
using Workflows.Engine;
using Workflows.Engine.Calendars;
using Workflows.Host.Features.Security;

namespace Workflows.Host.Features.Api;

/// <summary>
/// Reads a branch's calendar as its administrator edits it (the branch page): each layer of the branch's chain as in
/// force now, top first, and the versions of the branch's own layer saved for later. Only the branch's own staff (and a
/// central team) read it: the upper layers are the organisation's, the branch layer its own.
/// </summary>
internal static class BranchCalendarApi
{
    public static void MapBranchCalendar(this IEndpointRouteBuilder api)
    {
        api.MapGroup("/branches").WithTags("Branches")
            .MapGet("/{branchId}/calendar", GetAsync)
            .RequireAuthorization(p => p.RequireRole(Roles.BranchAdmin, Roles.Supervisor)).WithName("GetBranchCalendar")
            .WithSummary("The branch's calendar chain: each layer as in force now (top first: group, country, the branch's own) and the branch layer's later versions.")
            .WithDescription("A day a layer leaves out keeps the upper layer's hours; a day given empty is closed. The branch's own layer is the one PUT /api/branches/{branchId}/calendar sets.");
    }

    private static async Task<BranchCalendar> GetAsync(string branchId, HttpContext http, WorkflowEngine engine, CancellationToken ct)
    {
        var branch = await engine.Branches.GetAsync(branchId, ct);
        Caller.From(http.User).MustServe(branch.Id, "the calendar");
        var now = ClockApi.EngineTime(http.RequestServices).GetUtcNow();
        var own = "branch:" + branch.Id;
        var chain = branch.Calendar.Split('/', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        if (!chain.Contains(own, StringComparer.Ordinal))
        {
            chain.Add(own); // the first save of the branch's layer appends it to the chain (BranchesApi)
        }

        var inForce = new List<CalendarLayerView>();
        var scheduled = new List<CalendarLayerView>();
        foreach (var name in chain)
        {
            var versions = await engine.ServiceLevels.GetCalendarLayerAsync(name, ct);
            if (versions.LastOrDefault(v => v.EffectiveFrom <= now) is { } current)
            {
                inForce.Add(View(current));
            }

            if (name == own)
            {
                scheduled.AddRange(versions.Where(v => v.EffectiveFrom > now).Select(View));
            }
        }

        return new BranchCalendar(branch.Id, string.Join("/", chain), own, inForce, scheduled);
    }

    private static CalendarLayerView View(CalendarLayer layer) => new(
        layer.Name,
        layer.EffectiveFrom,
        layer.TimeZone,
        layer.Week.OrderBy(d => ((int)d.Key + 6) % 7).ToDictionary(
            d => d.Key.ToString().ToLowerInvariant(),
            d => (IReadOnlyList<string>)d.Value.Select(i => $"{i.Start:HH\\:mm}-{(i.End == TimeOnly.MinValue ? "24:00" : i.End.ToString("HH\\:mm", CultureInfo.InvariantCulture))}").ToList()),
        layer.Holidays.Order().ToList(),
        layer.YearlyHolidays.Select(d => $"{d.Month:00}-{d.Day:00}").ToList(),
        layer.WorkingDays.Order().ToList());
}

/// <summary>A branch's calendar: its chain, each layer in force now (top first) and its own layer's later versions.</summary>
/// <param name="BranchId">The branch.</param>
/// <param name="Chain">The chain its clocks run on, top first (<c>group/country:FR/branch:paris-01</c>).</param>
/// <param name="Layer">The branch's own layer, the one its administrator sets.</param>
/// <param name="Layers">Each layer of the chain with a version in force now, top first.</param>
/// <param name="Scheduled">Versions of the branch's own layer that come into force later, soonest first.</param>
internal sealed record BranchCalendar(string BranchId, string Chain, string Layer, IReadOnlyList<CalendarLayerView> Layers, IReadOnlyList<CalendarLayerView> Scheduled);

/// <summary>One version of a calendar layer.</summary>
/// <param name="Name">The layer.</param>
/// <param name="EffectiveFrom">From when it is in force.</param>
/// <param name="TimeZone">Its time zone; null keeps the upper layer's.</param>
/// <param name="Week">The weekdays it sets (lower case, Monday first) with their working intervals; an empty list closes the day.</param>
/// <param name="Holidays">Its dated holidays.</param>
/// <param name="YearlyHolidays">Its yearly holidays (<c>MM-dd</c>).</param>
/// <param name="WorkingDays">Dates an upper layer makes holidays that are working days here.</param>
internal sealed record CalendarLayerView(string Name, DateTimeOffset EffectiveFrom, string? TimeZone, IReadOnlyDictionary<string, IReadOnlyList<string>> Week,
    IReadOnlyList<DateOnly> Holidays, IReadOnlyList<string> YearlyHolidays, IReadOnlyList<DateOnly> WorkingDays);
