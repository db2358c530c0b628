using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

// The namespace is the public types', not the folder's: users' code compiles unchanged (docs/architecture.md §4).
namespace Workflows.Engine.Calendars;

/// <summary>
/// A calendar layer version as JSON, the form it is stored in and sent over HTTP:
/// <c>{"name":"fr","effectiveFrom":"2027-01-01T00:00:00+01:00","timeZone":"Europe/Paris",
/// "week":{"Monday":["09:00-12:00","13:00-17:00"]},"holidays":["2027-07-14"],"yearlyHolidays":["12-25"],"workingDays":[]}</c>.
/// </summary>
public static class CalendarLayerJson
{
    /// <summary>Writes a layer version.</summary>
    public static string Write(CalendarLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var week = new JsonObject();
        foreach (var (day, intervals) in layer.Week.OrderBy(d => d.Key))
        {
            week[day.ToString()] = new JsonArray(intervals.Select(i => (JsonNode)$"{i.Start:HH\\:mm}-{(i.End == TimeOnly.MinValue ? "24:00" : i.End.ToString("HH\\:mm", CultureInfo.InvariantCulture))}").ToArray());
        }

        var json = new JsonObject
        {
            ["name"] = layer.Name,
            ["effectiveFrom"] = layer.EffectiveFrom.ToString("O", CultureInfo.InvariantCulture),
            ["timeZone"] = layer.TimeZone,
            ["week"] = week,
            ["holidays"] = new JsonArray(layer.Holidays.Select(d => (JsonNode)d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).ToArray()),
            ["yearlyHolidays"] = new JsonArray(layer.YearlyHolidays.Select(d => (JsonNode)$"{d.Month:00}-{d.Day:00}").ToArray()),
            ["workingDays"] = new JsonArray(layer.WorkingDays.Select(d => (JsonNode)d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).ToArray()),
        };
        return json.ToJsonString();
    }

    /// <summary>Reads a layer version.</summary>
    /// <exception cref="FormatException">The JSON is not a layer; the message names the field.</exception>
    public static CalendarLayer Read(string json)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"the calendar layer is not JSON: {e.Message}", e);
        }

        if (root is not JsonObject o)
        {
            throw new FormatException("the calendar layer must be a JSON object");
        }

        string Text(string field, bool required = true) =>
            o[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s
            : required ? throw new FormatException($"the calendar layer needs '{field}' as text") : "";

        IEnumerable<string> List(string field) => o[field] switch
        {
            null => [],
            JsonArray a => a.Select(x => x is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new FormatException($"'{field}' must be a list of texts")),
            _ => throw new FormatException($"'{field}' must be a list"),
        };

        static T Parse<T>(string field, string text, Func<string, T> parse)
        {
            try
            {
                return parse(text);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
            {
                throw new FormatException($"'{field}': '{text}' cannot be read ({e.Message})", e);
            }
        }

        var week = new Dictionary<DayOfWeek, IReadOnlyList<WorkingInterval>>();
        if (o["week"] is JsonObject days)
        {
            foreach (var (day, _) in days)
            {
                var dayOfWeek = Parse("week", day, d => Enum.Parse<DayOfWeek>(d, ignoreCase: true));
                week[dayOfWeek] = ListOf(days, day).Select(i => Parse("week", i, text => WorkingInterval.Parse(text.Replace("24:00", "00:00", StringComparison.Ordinal)))).ToList();
            }
        }
        else if (o["week"] is not null)
        {
            throw new FormatException("'week' must be an object of weekday → list of intervals such as \"09:00-17:00\"");
        }

        var zone = Text("timeZone", required: false);
        return new CalendarLayer(Text("name"), Parse("effectiveFrom", Text("effectiveFrom"), s => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture)))
        {
            TimeZone = zone.Length == 0 ? null : zone,
            Week = week,
            Holidays = List("holidays").Select(d => Parse("holidays", d, s => DateOnly.ParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture))).ToList(),
            YearlyHolidays = List("yearlyHolidays").Select(d => Parse("yearlyHolidays", d, s => (int.Parse(s[..2], CultureInfo.InvariantCulture), int.Parse(s[3..], CultureInfo.InvariantCulture)))).ToList(),
            WorkingDays = List("workingDays").Select(d => Parse("workingDays", d, s => DateOnly.ParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture))).ToList(),
        };
    }

    private static IEnumerable<string> ListOf(JsonObject days, string day) =>
        days[day] is JsonArray a
            ? a.Select(x => x is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new FormatException($"week.{day} must list intervals such as \"09:00-17:00\""))
            : throw new FormatException($"week.{day} must be a list of intervals");
}
