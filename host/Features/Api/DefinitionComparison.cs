using Workflows.Engine;

namespace Workflows.Host.Features.Api;

/// <summary>
/// What changed between two versions of a process's document, in every process (pool) of it, element by element (see
/// <c>docs/versions.md</c>). <see cref="Added"/>, <see cref="Removed"/> and <see cref="Changed"/> keep the first shape of
/// this answer (element ids); the rest says what changed and how.
/// </summary>
/// <param name="ProcessId">The process whose versions are compared.</param>
/// <param name="From">The older version.</param>
/// <param name="To">The newer version; null when the newer side is an edited document sent in the request.</param>
/// <param name="Added">Ids of elements only the newer version has, in every pool and the collaboration.</param>
/// <param name="Removed">Ids of elements only the older version has.</param>
/// <param name="Changed">Ids of elements whose meaning changed (not those only redrawn).</param>
/// <param name="Redrawn">Ids of elements only moved, resized or re-routed in the diagram.</param>
/// <param name="LayoutOnly">True when the versions mean the same and only the drawing differs.</param>
/// <param name="Same">True when nothing differs, not even the drawing.</param>
/// <param name="Summary">The differences in words, one line per element.</param>
/// <param name="Processes">Each process (pool) of either version with its elements that differ, and for each element what changed.</param>
/// <param name="Collaboration">Participants, message flows between pools, messages, signals, errors and escalations that differ.</param>
internal sealed record DefinitionComparison(string ProcessId, int From, int? To, IReadOnlyList<string> Added, IReadOnlyList<string> Removed,
    IReadOnlyList<string> Changed, IReadOnlyList<string> Redrawn, bool LayoutOnly, bool Same, IReadOnlyList<string> Summary,
    IReadOnlyList<ProcessDifference> Processes, IReadOnlyList<ElementDifference> Collaboration)
{
    public static DefinitionComparison Of(string processId, int from, int? to, ModelComparison comparison) =>
        new(processId, from, to, comparison.Added, comparison.Removed, comparison.Changed, comparison.Redrawn, comparison.LayoutOnly, comparison.Same,
            comparison.Summary, comparison.Processes, comparison.Collaboration);
}
