using Workflows.Engine.Validation;

namespace Workflows.Engine.Model;

/// <summary>
/// Compares two BPMN documents process by process (pool by pool) and element by element: what was added, removed or
/// changed, and for a changed element each property that differs (attributes, extension elements, forms, flows), in
/// words and as a stable shape. An element whose meaning is the same but whose drawing moved is reported as redrawn,
/// never as changed.
/// </summary>
/// <remarks>
/// Elements are matched by id, as deployments and instance migrations match them. The document's order of elements is
/// not meaning (a designer moves an element it redraws to the end), so it is not compared; the order of repeated
/// extension children without an identifying attribute is.
/// </remarks>
internal static partial class ModelComparer
{
    /// <summary>Compares the older document <paramref name="fromXml"/> with the newer <paramref name="toXml"/>.</summary>
    /// <exception cref="WorkflowInputException">Either is not well-formed BPMN XML, has a DTD, or is beyond <paramref name="limits"/>.</exception>
    public static ModelComparison Compare(string fromXml, string toXml, BpmnParserOptions limits)
    {
        ArgumentNullException.ThrowIfNull(fromXml);
        ArgumentNullException.ThrowIfNull(toXml);
        var before = ModelSnapshot.Read(fromXml, "older", limits);
        var after = ModelSnapshot.Read(toXml, "newer", limits);
        var words = new Words(before.Names, after.Names);

        var processes = new List<ProcessDifference>();
        var older = before.Processes.ToDictionary(p => p.Id, StringComparer.Ordinal);
        var newer = after.Processes.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var process in after.Processes)
        {
            if (older.TryGetValue(process.Id, out var was))
            {
                var elements = Elements(was.Elements, process.Elements, before.Layout, after.Layout, words);
                var kind = elements.Count == 0 ? DifferenceKind.Unchanged
                    : elements.All(e => e.Kind == DifferenceKind.Redrawn) ? DifferenceKind.Redrawn : DifferenceKind.Changed;
                processes.Add(new ProcessDifference(process.Id, process.Name, process.Participant ?? was.Participant, kind, elements));
            }
            else
            {
                processes.Add(new ProcessDifference(process.Id, process.Name, process.Participant, DifferenceKind.Added,
                    process.Elements.Select(e => Whole(e, DifferenceKind.Added, words)).ToList()));
            }
        }

        foreach (var process in before.Processes.Where(p => !newer.Contains(p.Id)))
        {
            processes.Add(new ProcessDifference(process.Id, process.Name, process.Participant, DifferenceKind.Removed,
                process.Elements.Select(e => Whole(e, DifferenceKind.Removed, words)).ToList()));
        }

        return new ModelComparison(processes, Elements(before.Collaboration, after.Collaboration, before.Layout, after.Layout, words));
    }

    private static List<ElementDifference> Elements(List<ElementShape> before, List<ElementShape> after, Dictionary<string, string> beforeLayout,
        Dictionary<string, string> afterLayout, Words words)
    {
        var older = new Dictionary<string, ElementShape>(StringComparer.Ordinal);
        foreach (var element in before)
        {
            older.TryAdd(element.Id, element);
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<ElementDifference>();
        foreach (var element in after)
        {
            if (!seen.Add(element.Id))
            {
                continue; // a duplicate id: the validator refuses it at deploy; here the first one counts
            }

            if (!older.TryGetValue(element.Id, out var was))
            {
                result.Add(Whole(element, DifferenceKind.Added, words));
                continue;
            }

            var changes = Changes(was, element, words);
            if (changes.Count > 0)
            {
                result.Add(new ElementDifference(element.Id, element.Type, element.Name, DifferenceKind.Changed, Words.Element(was, element, changes), changes));
            }
            else if (beforeLayout.GetValueOrDefault(element.Id) != afterLayout.GetValueOrDefault(element.Id))
            {
                var change = new PropertyChange(ChangeAspect.Layout, "$layout", null, null, "moved, resized or re-routed in the diagram only");
                result.Add(new ElementDifference(element.Id, element.Type, element.Name, DifferenceKind.Redrawn, $"{Words.Label(element)} redrawn (layout only)", [change]));
            }
        }

        foreach (var element in before.Where(e => !seen.Contains(e.Id)))
        {
            if (seen.Add(element.Id))
            {
                result.Add(Whole(element, DifferenceKind.Removed, words));
            }
        }

        return result;
    }

    private static ElementDifference Whole(ElementShape element, DifferenceKind kind, Words words) =>
        new(element.Id, element.Type, element.Name, kind, $"{Words.Label(element)} {(kind == DifferenceKind.Added ? "added" : "removed")}", []);

    private static List<PropertyChange> Changes(ElementShape before, ElementShape after, Words words)
    {
        var changes = new List<PropertyChange>();
        if (before.Type != after.Type)
        {
            changes.Add(new PropertyChange(ChangeAspect.Attribute, "$type", before.Type, after.Type,
                $"changed from {Words.Kind(before.Type).ToLowerInvariant()} to {Words.Kind(after.Type).ToLowerInvariant()}"));
        }

        foreach (var key in before.Properties.Keys.Union(after.Properties.Keys).Order(StringComparer.Ordinal))
        {
            var was = before.Properties.GetValueOrDefault(key);
            var now = after.Properties.GetValueOrDefault(key);
            if (!string.Equals(was, now, StringComparison.Ordinal))
            {
                changes.Add(words.Change(before, key, was, now));
            }
        }

        // Renamed first, then the settings, then the flows: the order a person reads a change in.
        return Grouped(changes, before, after, words).OrderBy(c => c.Property == "@name" ? 0 : c.Aspect == ChangeAspect.Flow ? 2 : 1).ToList();
    }

    // A setting added or removed whole (a form field, a parameter, an escalation rung) is one change, said once, not
    // one per attribute: its path is the shortest element path the other version has nothing under.
    private static List<PropertyChange> Grouped(List<PropertyChange> changes, ElementShape before, ElementShape after, Words words)
    {
        var groups = new Dictionary<string, List<PropertyChange>>(StringComparer.Ordinal);
        var result = new List<PropertyChange>();
        foreach (var change in changes)
        {
            var other = change.Before is null ? before : change.After is null ? after : null;
            var path = other is null ? null : AbsentElementPath(change.Property, other);
            if (path is null)
            {
                result.Add(change);
            }
            else
            {
                (groups.TryGetValue(path, out var list) ? list : groups[path] = []).Add(change);
            }
        }

        foreach (var (path, list) in groups)
        {
            if (list.Count == 1)
            {
                result.Add(list[0]);
                continue;
            }

            var added = list[0].Before is null;
            var values = string.Join(", ", list.Select(c => $"{c.Property[path.Length..].TrimStart('@', '/')}={(added ? c.After : c.Before)}"));
            result.Add(Words.Whole(path, list[0].Aspect, added ? null : values, added ? values : null));
        }

        return result;
    }

    private static string? AbsentElementPath(string key, ElementShape other)
    {
        var end = key.IndexOf('@', StringComparison.Ordinal) is var at and >= 0 ? at : key.Length;
        for (var slash = key.IndexOf('/', StringComparison.Ordinal); ; slash = key.IndexOf('/', slash + 1))
        {
            var path = key[..(slash < 0 || slash > end ? end : slash)];
            if (path.Length > 0 && !path.StartsWith('$')
                && !other.Properties.Keys.Any(k => k == path || k.StartsWith(path + "@", StringComparison.Ordinal) || k.StartsWith(path + "/", StringComparison.Ordinal)))
            {
                return path;
            }

            if (slash < 0 || slash > end)
            {
                return null;
            }
        }
    }
}
