using System.Text.Json;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Runtime;

/// <summary>
/// Reads an instance's stored state and checks that its structure can be run: every element key below the key
/// counter, every parent present and no parent chain that loops, and (when the definition is given) every element,
/// wait and compensation naming an element the definition has. A state that fails is refused with
/// <see cref="InstanceStateUnreadableException"/> naming the instance and what is wrong; it is never run as if whole.
/// </summary>
internal static class InstanceStateReader
{
    /// <summary>The state of the row, checked; with <paramref name="variablesUnread"/> its variables are checked and kept as stored (<see cref="InstanceStateSerializer.Deserialize"/>).</summary>
    public static InstanceState Read(InstanceRecord record, ProcessDefinition? definition, bool variablesUnread = false)
    {
        InstanceState state;
        try
        {
            state = InstanceStateSerializer.Deserialize(record, definition, variablesUnread);
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException or InvalidCastException
            or ArgumentException or OverflowException)
        {
            // (ArgumentException: a number beyond FEEL's, an unpaired surrogate; refused as the instance's problem, so that
            // a task whose state is corrupt is passed over by next-task instead of failing every agent's call.)
            throw new InstanceStateUnreadableException(record.Id, Reason(e));
        }

        if (Problem(state, definition) is { } problem)
        {
            throw new InstanceStateUnreadableException(record.Id, problem);
        }

        return state;
    }

    // What is wrong, never a value of the state: the reason goes to logs, incidents and problem details, and the values are
    // the case's data (review12 F6). The serializer's own refusals name keys and element ids (and the instance: kept
    // whole); the JSON reader's quote the text where it stopped, and the FEEL reader's the number or the text.
    private static string Reason(Exception e) => e switch
    {
        InvalidDataException => e.Message,
        JsonException { BytePositionInLine: { } at } json => $"its JSON is not well formed (line {json.LineNumber + 1}, byte {at + 1})",
        ArgumentException or OverflowException => "a variable holds a value no FEEL value can hold (a number beyond about ±7.9e28, or a text with an unpaired surrogate)",
        _ => $"its JSON does not have the expected shape ({e.Message})",
    };

    /// <summary>What makes the state impossible to run, or null when nothing does.</summary>
    public static string? Problem(InstanceState state, ProcessDefinition? definition)
    {
        var elements = state.Elements;
        if (state.Status == ProcessInstanceStatus.Active && !elements.ContainsKey(InstanceState.RootKey))
        {
            return $"it is active and has no process scope (element key {InstanceState.RootKey})";
        }

        foreach (var element in elements.Values)
        {
            if (element.Key >= state.NextKey)
            {
                return $"element '{element.ElementId}' has key {element.Key}, not below the key counter \"next\" = {state.NextKey}: new elements would reuse it";
            }

            if (element.Key == InstanceState.RootKey)
            {
                continue;
            }

            if (ParentLoop(elements, element) is { } loop)
            {
                return loop;
            }

            if (definition is not null && !Known(definition, element.ElementId))
            {
                return $"element key {element.Key} names '{element.ElementId}', which version {definition.Record.Version} of process '{definition.Process.Id}' does not have";
            }

            // Find gives a default WaitRef (no element id) when no wait matches.
            if (definition is not null && element.Waits?.Find(w => !string.IsNullOrEmpty(w.ElementId) && !Known(definition, w.ElementId)) is { ElementId: { Length: > 0 } } wait)
            {
                return $"element '{element.ElementId}' (key {element.Key}) waits at '{wait.ElementId}', which version {definition.Record.Version} of process '{definition.Process.Id}' does not have";
            }
        }

        if (definition is not null && state.Compensations?.Find(c => !Known(definition, c.ElementId)) is { } compensation)
        {
            return $"a compensation record names '{compensation.ElementId}', which version {definition.Record.Version} of process '{definition.Process.Id}' does not have";
        }

        return null;
    }

    // Walks up from the element: the chain must reach the process scope within as many steps as there are elements.
    private static string? ParentLoop(Dictionary<long, ElementInstance> elements, ElementInstance element)
    {
        var current = element;
        for (var steps = 0; steps <= elements.Count; steps++)
        {
            if (current.ParentKey == current.Key)
            {
                return $"element '{current.ElementId}' (key {current.Key}) is its own parent";
            }

            if (current.ParentKey == InstanceState.RootKey)
            {
                return null;
            }

            if (!elements.TryGetValue(current.ParentKey, out var parent))
            {
                return $"element '{current.ElementId}' (key {current.Key}) has parent key {current.ParentKey}, which is no element of the instance";
            }

            current = parent;
        }

        return $"the parents of element '{element.ElementId}' (key {element.Key}) form a cycle";
    }

    // A wait with no element id is the element's own (its timer, its job); one that names an element must name one of the definition's.
    private static bool Known(ProcessDefinition definition, string elementId) =>
        elementId == definition.Process.Id || definition.Process.Nodes.ContainsKey(elementId);
}
