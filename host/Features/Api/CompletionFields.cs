using System.Text.Json;
using Workflows.Engine;

namespace Workflows.Host.Features.Api;

/// <summary>
/// The variables a completion may set, as a tree of the form's fields: a field's key sets a value of any shape (the
/// engine checks it against the field's rules), a group's path an object holding only the fields under it. So that a
/// group's path (<c>visit</c> for <c>visit.day</c>) cannot carry keys the form never asked for
/// (<c>visit.evil</c>, <c>visit.refund.amount</c>) into the case, where a condition reading them would take them.
/// </summary>
internal sealed class CompletionFields
{
    private readonly Dictionary<string, CompletionFields> _children = new(StringComparer.Ordinal);
    private bool _field;

    private CompletionFields()
    {
    }

    // The trees made so far, by the form's list of fields: the engine hands every task of one form text the same list
    // (immutable), so a completion reads its form's tree instead of building it again from the fields' keys.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IReadOnlyList<TaskFormField>, CompletionFields> s_trees = new();

    /// <summary>
    /// The tree of a task's form fields, by their dotted keys (<c>visit.day</c>). A disabled field is shown, never
    /// sent (form-js leaves it out of its submit), so it is no key a completion may set.
    /// </summary>
    public static CompletionFields Of(IReadOnlyList<TaskFormField> fields) => s_trees.GetValue(fields, Build);

    private static CompletionFields Build(IReadOnlyList<TaskFormField> fields)
    {
        var root = new CompletionFields();
        foreach (var field in fields.Where(f => !f.Disabled))
        {
            var node = root;
            foreach (var segment in field.Id.Split('.'))
            {
                node = node._children.TryGetValue(segment, out var next) ? next : node._children[segment] = new CompletionFields();
            }

            node._field = true;
        }

        return root;
    }

    /// <exception cref="WorkflowInputException">
    /// A variable, at the top or under a group's path, that no field of the form sets (named by its path, with the
    /// fields there); or a group's path given something else than an object (or null).
    /// </exception>
    public void Check(Dictionary<string, JsonElement>? variables, string form)
    {
        if (variables is null)
        {
            return;
        }

        // Walked without a list or a path's text made for each variable: a completion whose variables are all the form's
        // plain fields (the usual one) allocates nothing here; the problem's texts are made only when there is one.
        foreach (var name in variables.Keys)
        {
            if (!_children.ContainsKey(name))
            {
                var unknown = variables.Keys.Where(k => !_children.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
                throw new WorkflowInputException($"variables.{string.Join(", variables.", unknown)}: not a field of {form} (its fields: {Names()})");
            }
        }

        foreach (var (name, value) in variables)
        {
            var child = _children[name];
            if (!child.Holds(value))
            {
                child.CheckValue(value, "variables." + name, form); // the path's text made only for a group to walk
            }
        }
    }

    // A field's value is the engine's to check against the field's rules; a group left out is its fields left empty.
    private bool Holds(JsonElement value) => _field || value.ValueKind == JsonValueKind.Null;

    private void CheckValue(JsonElement value, string path, string form)
    {
        if (Holds(value))
        {
            return;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new WorkflowInputException($"{path}: an object of the form's fields under it ({Names()}) is expected, not {value.ValueKind.ToString().ToLowerInvariant()}");
        }

        var unknown = value.EnumerateObject().Select(p => p.Name).Where(k => !_children.ContainsKey(k)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            throw new WorkflowInputException($"{path}.{string.Join($", {path}.", unknown)}: not a field of {form} (its fields under {path["variables.".Length..]}: {Names()})");
        }

        foreach (var property in value.EnumerateObject())
        {
            _children[property.Name].CheckValue(property.Value, $"{path}.{property.Name}", form);
        }
    }

    private string Names() => _children.Count == 0 ? "none" : string.Join(", ", _children.Keys);
}
