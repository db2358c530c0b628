namespace Workflows.Engine;

/// <summary>How an element, a process or a participant differs from one version of a model to another.</summary>
public enum DifferenceKind
{
    /// <summary>Only the newer version has it.</summary>
    Added,

    /// <summary>Only the older version has it.</summary>
    Removed,

    /// <summary>Both have it and what it means differs (see the element's changes).</summary>
    Changed,

    /// <summary>Both have it with the same meaning; only its drawing (position, size, waypoints) differs.</summary>
    Redrawn,

    /// <summary>Both have it, the same (said of a process only: the elements list names what changed in it).</summary>
    Unchanged,
}

/// <summary>What part of an element a change touches.</summary>
public enum ChangeAspect
{
    /// <summary>A BPMN attribute or setting: name, type, condition, timer, message, called element, multi-instance, default flow.</summary>
    Attribute,

    /// <summary>An extension element (<c>zeebe:*</c>, <c>wf:*</c>): job type, assignment, SLA, escalations, commitments, parameters, mappings.</summary>
    Extension,

    /// <summary>A form or one of its fields.</summary>
    Form,

    /// <summary>The flows in and out: sequence flows, message flows between pools, the lane or sub-process the element is in.</summary>
    Flow,

    /// <summary>The drawing only; never a change of meaning.</summary>
    Layout,
}

/// <summary>One property of an element that differs, with the words a person reads.</summary>
/// <param name="Aspect">What part of the element it is.</param>
/// <param name="Property">
/// The property's stable path: <c>@name</c> for an attribute, <c>wf:sla@target</c> for an extension element's attribute,
/// <c>wf:form/wf:field[amount]@label</c> for a repeated one named by its id, <c>conditionExpression</c> for text,
/// <c>$type</c> for the element's kind, <c>flow:to[id]</c>/<c>flow:from[id]</c>/<c>message:to[id]</c>/<c>message:from[id]</c>
/// for flows, <c>$lane</c>, <c>$parent</c>, <c>$layout</c>.
/// </param>
/// <param name="Before">The older version's value; null when it had none.</param>
/// <param name="After">The newer version's value; null when it has none.</param>
/// <param name="Text">The change in words ("SLA changed from 2 working hours to 1 working hours").</param>
public sealed record PropertyChange(ChangeAspect Aspect, string Property, string? Before, string? After, string Text);

/// <summary>One element (flow node, sequence flow, lane, participant, message flow, message…) that differs.</summary>
/// <param name="Id">The element's id, the same in both versions.</param>
/// <param name="Type">The BPMN element kind (<c>userTask</c>, <c>sequenceFlow</c>, <c>participant</c>…), of the newer version when both have it.</param>
/// <param name="Name">Its name in the newer version (the older one's when removed).</param>
/// <param name="Kind">Added, removed, changed or only redrawn.</param>
/// <param name="Text">The difference in words ("User task 'Assess' renamed to 'Assess complaint'; SLA changed from P2D to P1D").</param>
/// <param name="Changes">For a changed or redrawn element, each property that differs; empty when added or removed.</param>
public sealed record ElementDifference(string Id, string Type, string? Name, DifferenceKind Kind, string Text, IReadOnlyList<PropertyChange> Changes);

/// <summary>One process (pool) of the collaboration and its elements that differ.</summary>
/// <param name="ProcessId">The process id.</param>
/// <param name="Name">The process name (the newer version's when both have it).</param>
/// <param name="Participant">The name of the pool that shows it, when the document has a collaboration.</param>
/// <param name="Kind">Added or removed as a whole, changed, only redrawn, or unchanged.</param>
/// <param name="Elements">Its elements that differ (the process's own settings under its id), in document order.</param>
public sealed record ProcessDifference(string ProcessId, string? Name, string? Participant, DifferenceKind Kind, IReadOnlyList<ElementDifference> Elements);

/// <summary>What differs between two versions of a BPMN document: every process (pool) of it, element by element.</summary>
/// <param name="Processes">Each process of either version, in the newer document's order then the removed ones.</param>
/// <param name="Collaboration">
/// What the processes share: participants (pools), message flows between pools, and the document's messages, signals,
/// errors and escalations.
/// </param>
public sealed record ModelComparison(IReadOnlyList<ProcessDifference> Processes, IReadOnlyList<ElementDifference> Collaboration)
{
    private IEnumerable<ElementDifference> All => Processes.SelectMany(p => p.Elements).Concat(Collaboration);

    /// <summary>Ids of the elements only the newer version has, in every process and the collaboration, in id order.</summary>
    public IReadOnlyList<string> Added => Ids(DifferenceKind.Added);

    /// <summary>Ids of the elements only the older version has.</summary>
    public IReadOnlyList<string> Removed => Ids(DifferenceKind.Removed);

    /// <summary>Ids of the elements whose meaning changed (not those only redrawn).</summary>
    public IReadOnlyList<string> Changed => Ids(DifferenceKind.Changed);

    /// <summary>Ids of the elements only redrawn: moved, resized or re-routed in the diagram, with the same meaning.</summary>
    public IReadOnlyList<string> Redrawn => Ids(DifferenceKind.Redrawn);

    /// <summary>True when the two versions mean the same and only their drawing differs.</summary>
    public bool LayoutOnly => Redrawn.Count > 0 && !All.Any(e => e.Kind != DifferenceKind.Redrawn);

    /// <summary>True when nothing differs, not even the drawing.</summary>
    public bool Same => !All.Any();

    /// <summary>The differences in words, one line per element (redrawn elements in one line at the end).</summary>
    public IReadOnlyList<string> Summary
    {
        get
        {
            var lines = All.Where(e => e.Kind != DifferenceKind.Redrawn).Select(e => e.Text).ToList();
            if (Redrawn.Count > 0)
            {
                lines.Add($"Layout only (no change of meaning): {string.Join(", ", Redrawn)} moved or redrawn");
            }

            return lines.Count > 0 ? lines : ["No difference"];
        }
    }

    private List<string> Ids(DifferenceKind kind) =>
        All.Where(e => e.Kind == kind).Select(e => e.Id).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
}
