using System.Text.Json;
using Workflows.Engine.Feel;

namespace Workflows.Engine.Runtime;

/// <summary>A variable set in a command: the scope it lives in (<see cref="InstanceState.RootKey"/> for the process), its name, and whether it is new.</summary>
internal readonly record struct VariableChange(long ScopeKey, string Name, bool Created);

/// <summary>Where variables are set, and how they cross the engine's edges (the API's dictionaries, stored JSON).</summary>
internal static class VariableScopes
{
    /// <summary>Sets a variable in the nearest scope that has it, else on the process (Camunda 8 propagation).</summary>
    public static void SetVariable(LoadedInstance instance, long fromKey, string name, object? value)
    {
        var state = instance.State;
        var key = fromKey;
        while (key != 0 && state.Elements.TryGetValue(key, out var element))
        {
            if (element.Variables is not null && element.Variables.TryGetValue(name, out var old))
            {
                element.Variables[name] = value;
                Changed(instance, key, name, created: false, old, value);
                return;
            }

            key = element.ParentKey;
        }

        SetProcessVariable(instance, name, value);
    }

    /// <summary>Sets a variable on the process scope itself.</summary>
    public static void SetProcessVariable(LoadedInstance instance, string name, object? value)
    {
        var created = !instance.State.Variables.TryGetValue(name, out var old);
        instance.State.Variables[name] = value;
        Changed(instance, InstanceState.RootKey, name, created, old, value);
    }

    /// <summary>Sets a variable as a local variable of the scope <paramref name="scopeKey"/> (the process scope for <see cref="InstanceState.RootKey"/>).</summary>
    public static void SetLocalVariable(LoadedInstance instance, long scopeKey, string name, object? value)
    {
        if (scopeKey == InstanceState.RootKey)
        {
            SetProcessVariable(instance, name, value);
            return;
        }

        var element = instance.State.Elements[scopeKey];
        element.Variables ??= new FeelContext();
        var created = !element.Variables.TryGetValue(name, out var old);
        element.Variables[name] = value;
        Changed(instance, scopeKey, name, created, old, value);
    }

    // Conditional events evaluate again when a variable they can see changes: the change is noted on the instance
    // for the token loop's next step boundary (ConditionalEvents), and only for definitions that have such events.
    // Setting a variable to the value it has is no change (Zeebe writes no variable record for it either).
    private static void Changed(LoadedInstance instance, long scopeKey, string name, bool created, object? old, object? value)
    {
        if (!instance.Definition.HasConditionalEvents || (!created && FeelValue.AreEqual(old, value) == true))
        {
            return;
        }

        (instance.VariableChanges ??= []).Add(new VariableChange(scopeKey, name, created));
    }

    /// <summary>
    /// The variable a mapping sets. A dotted target <c>z.y</c> sets the member <c>y</c> of the context <c>z</c> (as
    /// Zeebe does): a copy of <c>z</c> as the mapping sees it (earlier mappings of the same element first), or a new
    /// context when <c>z</c> is not one, with <c>y</c> set; deeper paths likewise.
    /// </summary>
    public static (string Name, object? Value) MappedValue(string target, object? value, IFeelScope visible)
    {
        if (!target.Contains('.', StringComparison.Ordinal))
        {
            return (target, value);
        }

        var path = target.Split('.');
        visible.TryResolve(path[0], out var current);
        return (path[0], WithMember(current, path, 1, value));
    }

    private static FeelContext WithMember(object? current, string[] path, int index, object? value)
    {
        var context = current is FeelContext existing ? existing.Copy() : new FeelContext();
        context.TryGetValue(path[index], out var member);
        context[path[index]] = index == path.Length - 1 ? value : WithMember(member, path, index + 1, value);
        return context;
    }

    /// <summary>Adds <paramref name="locals"/> to the element's own variables.</summary>
    public static void MergeInto(ElementInstance element, FeelContext locals)
    {
        if (element.Variables is null)
        {
            element.Variables = locals;
            return;
        }

        foreach (var (k, v) in locals)
        {
            element.Variables[k] = v;
        }
    }

    public static IReadOnlyDictionary<string, object?> ToDictionary(FeelContext context)
    {
        var dictionary = new Dictionary<string, object?>(context.Count, StringComparer.Ordinal);
        foreach (var (k, v) in context)
        {
            dictionary[k] = v;
        }

        return dictionary;
    }

    public static FeelContext? ToContext(IReadOnlyDictionary<string, object?>? variables)
    {
        if (variables is null)
        {
            return null;
        }

        var context = new FeelContext(variables.Count);
        foreach (var (k, v) in variables)
        {
            try
            {
                context[k] = FeelConvert.FromClr(v);
            }
            catch (ArgumentException e)
            {
                throw new WorkflowInputException($"variable '{k}': {e.Message}");
            }
        }

        return context;
    }

    public static string ToJson(FeelContext variables) => FeelConvert.ToJson(variables);

    public static FeelContext FromJson(string json)
    {
        using var doc = JsonDocument.Parse(json, InstanceStateSerializer.ReaderOptions);
        return FeelConvert.FromJson(doc.RootElement) as FeelContext ?? new FeelContext();
    }
}
