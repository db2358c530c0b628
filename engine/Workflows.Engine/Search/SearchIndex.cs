using System.Globalization;
using Workflows.Engine.Feel;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Search;

/// <summary>How a searchable variable's value becomes an index row, and a filter's value a comparable one.</summary>
internal static class SearchIndex
{
    /// <summary>Longer text is not indexed: an index key has a size limit in every database.</summary>
    public const int MaxTextLength = 200;

    /// <summary>The index row of a value, or null when the value is missing or not of the declared type (nothing is indexed then).</summary>
    public static VariableIndexRecord? Row(Guid instanceId, SearchableVariable variable, object? value) =>
        TryIndexValue(value, variable.Type, out var indexed) ? new VariableIndexRecord(instanceId, variable.Name, indexed) : null;

    /// <summary>Reads a value as the declared type; text is read as a number or date when the type says so (a filter from a URL).</summary>
    public static bool TryIndexValue(object? value, SearchableType type, out IndexedValue indexed)
    {
        indexed = default;
        switch (type)
        {
            case SearchableType.String when value is string s && s.Length <= MaxTextLength:
                indexed = new IndexedValue(s, null, null);
                return true;
            case SearchableType.Number when Number(value) is { } number:
                indexed = new IndexedValue(null, number, null);
                return true;
            case SearchableType.Date when Instant(value) is { } instant:
                indexed = new IndexedValue(null, null, instant.UtcTicks);
                return true;
            default:
                return false;
        }
    }

    private static double? Number(object? value) => value switch
    {
        decimal d => (double)d,
        int i => i,
        long l => l,
        double d when double.IsFinite(d) => d,
        float f when float.IsFinite(f) => f,
        string s when decimal.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => (double)d,
        _ => null,
    };

    private static DateTimeOffset? Instant(object? value) => value switch
    {
        DateOnly d => new DateTimeOffset(d.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
        FeelDateTime t => t.ToInstant(),
        DateTimeOffset o => o,
        DateTime t => new DateTimeOffset(DateTime.SpecifyKind(t, t.Kind == DateTimeKind.Unspecified ? DateTimeKind.Utc : t.Kind)),
        string s when DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) =>
            new DateTimeOffset(d.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
        string s when s.Contains('T', StringComparison.Ordinal)
            && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var o) => o,
        _ => null,
    };
}

/// <summary>A searchable value as the index keeps it: exactly one of the three is set.</summary>
internal readonly record struct IndexedValue(string? Text, double? Number, long? Ticks);
