using Workflows.Engine.Model;

namespace Workflows.Engine.Search;

// What the search module's parse listener reads from a process (docs/bpmn-extensions.md: wf:searchable),
// kept as a part of the parsed process.

/// <summary>How a searchable variable is indexed and compared.</summary>
internal enum SearchableType
{
    /// <summary>Text, compared by ordinal equality and order; at most <see cref="SearchIndex.MaxTextLength"/> characters are indexed.</summary>
    String,

    /// <summary>A number, compared as a double.</summary>
    Number,

    /// <summary>A date or a date and time, compared as a UTC instant (a date is its midnight UTC).</summary>
    Date,
}

/// <summary>One variable a process declares searchable: its name (a process variable) and how it is compared.</summary>
internal sealed record SearchableVariable(string Name, SearchableType Type);

/// <summary>The variables a process declares searchable, in the order declared.</summary>
internal sealed class ProcessSearch(IReadOnlyList<SearchableVariable> variables)
{
    public IReadOnlyList<SearchableVariable> Variables { get; } = variables;
}

/// <summary>Reading the part from the model.</summary>
internal static class SearchModelExtensions
{
    extension(ProcessModel process)
    {
        /// <summary>The variables the process declares searchable; empty when none.</summary>
        public IReadOnlyList<SearchableVariable> Searchable => process.Part<ProcessSearch>()?.Variables ?? [];
    }
}
