using System.Globalization;
using System.Text;
using Workflows.Engine.Services;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Search;

/// <summary>Public variable filters read as the declared types, and the keyset cursor of instance lists.</summary>
internal static class SearchFilters
{
    /// <summary>At most this many variable filters in one query.</summary>
    public const int MaxFilters = 10;

    /// <summary>
    /// The variables declared searchable by <paramref name="processId"/>'s deployed versions, or by every deployed
    /// journey; a name declared with two types (by two journeys) has neither.
    /// </summary>
    public static async Task<Dictionary<string, SearchableType?>> DeclaredAsync(CommandRunner runner, string? processId, CancellationToken ct)
    {
        var declared = new Dictionary<string, SearchableType?>(StringComparer.Ordinal);
        foreach (var record in await runner.Store.GetDefinitionsAsync(processId, ct).ConfigureAwait(false))
        {
            Runtime.ProcessDefinition definition;
            try
            {
                definition = await runner.Core.Definitions.GetAsync(record.Id, ct).ConfigureAwait(false);
            }
            catch (DefinitionUnreadableException)
            {
                // A stored version that no longer parses declares nothing; its own instances report it when they run.
                continue;
            }

            foreach (var variable in definition.Process.Searchable)
            {
                declared[variable.Name] = declared.TryGetValue(variable.Name, out var type) && type != variable.Type ? null : variable.Type;
            }
        }

        return declared;
    }

    /// <exception cref="WorkflowInputException">A variable is not declared searchable, or a value does not read as its type.</exception>
    public static async Task<IReadOnlyList<VariableCondition>> ResolveAsync(CommandRunner runner, string? processId, IReadOnlyList<VariableFilter> filters, CancellationToken ct)
    {
        if (filters.Count == 0)
        {
            return [];
        }

        if (filters.Count > MaxFilters)
        {
            throw new WorkflowInputException($"at most {MaxFilters} variable filters, not {filters.Count}");
        }

        var declared = await DeclaredAsync(runner, processId, ct).ConfigureAwait(false);
        var conditions = new List<VariableCondition>(filters.Count);
        foreach (var filter in filters)
        {
            var where = processId is null ? "any deployed journey" : $"journey '{processId}'";
            if (!declared.TryGetValue(filter.Name, out var type))
            {
                var names = declared.Count == 0 ? "none" : string.Join(", ", declared.Keys.Order(StringComparer.Ordinal));
                throw new WorkflowInputException($"variable '{filter.Name}' is not declared searchable by {where} (wf:searchable); searchable: {names}");
            }

            if (type is null)
            {
                throw new WorkflowInputException($"variable '{filter.Name}' is searchable with different types in different journeys: name the journey");
            }

            if (!SearchIndex.TryIndexValue(filter.Value, type.Value, out var value))
            {
                throw new WorkflowInputException($"variable '{filter.Name}': '{filter.Value}' is not a {type.Value.ToString().ToLowerInvariant()}{(type == SearchableType.Date ? " (yyyy-MM-dd or an ISO 8601 date and time)" : type == SearchableType.String ? $" of at most {SearchIndex.MaxTextLength} characters" : "")}");
            }

            conditions.Add(new VariableCondition(filter.Name, filter.Comparison, value));
        }

        return conditions;
    }

    public static string ToCursor(InstanceSummary last) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(FormattableString.Invariant($"i1:{last.StartedAt.UtcTicks}:{last.Id:N}")));

    /// <exception cref="WorkflowInputException">Not a cursor of an instance list.</exception>
    public static (DateTimeOffset StartedAt, Guid Id) FromCursor(string cursor)
    {
        try
        {
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(cursor)).Split(':');
            if (parts.Length == 3 && parts[0] == "i1" && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                && ticks <= DateTimeOffset.MaxValue.UtcTicks && Guid.TryParseExact(parts[2], "N", out var id))
            {
                return (new DateTimeOffset(ticks, TimeSpan.Zero), id);
            }
        }
        catch (FormatException)
        {
            // Reported below, as every other unreadable cursor.
        }

        throw new WorkflowInputException("the cursor is not one this instance list gave (pass nextCursor as it came)");
    }
}
