using Workflows.Engine.Feel;

namespace Workflows.Engine.Decisions;

/// <summary>
/// The model's types: FEEL's built-in types and the item definitions. A value that does not conform to the type
/// it is given becomes null with a warning (DMN 1.5 §10.3.2.9.4), after the two conversions the spec allows:
/// a singleton list to its item, and an item to a singleton list.
/// </summary>
internal sealed class DmnTypes(IReadOnlyDictionary<string, ItemDefinition> items)
{
    private static readonly Dictionary<string, string> s_builtIns = new(StringComparer.Ordinal)
    {
        ["number"] = "number",
        ["string"] = "string",
        ["boolean"] = "boolean",
        ["date"] = "date",
        ["time"] = "time",
        ["date and time"] = "date and time",
        ["dateTime"] = "date and time",
        ["days and time duration"] = "days and time duration",
        ["dayTimeDuration"] = "days and time duration",
        ["years and months duration"] = "years and months duration",
        ["yearMonthDuration"] = "years and months duration",
        ["context"] = "context",
        ["list"] = "list",
        ["function"] = "function",
        ["range"] = "range",
        ["Any"] = "Any",
    };

    public static string Strip(string typeRef)
    {
        var colon = typeRef.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && typeRef[..colon] is "feel" or "FEEL" ? typeRef[(colon + 1)..] : typeRef;
    }

    /// <summary>Whether a type reference names a built-in type or an item definition.</summary>
    public bool IsKnown(string typeRef) => s_builtIns.ContainsKey(Strip(typeRef)) || items.ContainsKey(Strip(typeRef)) || Strip(typeRef).StartsWith("list<", StringComparison.Ordinal) || Strip(typeRef).StartsWith("context<", StringComparison.Ordinal);

    /// <summary>The value as <paramref name="typeRef"/> takes it: converted, or null (with a warning naming <paramref name="what"/>) when it does not conform.</summary>
    public object? Coerce(DecisionRun run, string? typeRef, object? value, string what)
    {
        if (typeRef is null || value is null)
        {
            return value;
        }

        if (Conforms(run, typeRef, value, 0, WithAllowedValues))
        {
            return value;
        }

        if (value is List<object?> { Count: 1 } single && !IsCollection(typeRef) && Conforms(run, typeRef, single[0], 0, WithAllowedValues))
        {
            return single[0];
        }

        if (value is not List<object?> && IsCollection(typeRef) && Conforms(run, typeRef, new List<object?> { value }, 0, WithAllowedValues))
        {
            return new List<object?> { value };
        }

        run.Evaluator.Warn($"{what} is {FeelValue.TypeName(value)} {Abbreviate(value)}, which does not conform to its type '{typeRef}'");
        return null;
    }

    /// <summary>For FEEL's <c>instance of</c>: whether a value is of the item definition <paramref name="name"/>; null when there is none.</summary>
    public bool? IsInstance(DecisionRun run, string name, object? value) =>
        items.TryGetValue(name, out var item) ? value is not null && Conforms(run, item, value, 0, TypeOnly) : null;

    // How a check treats allowed values. "instance of" asks about the type, not its allowed values: 256 is an
    // instance of a number type allowing [0..255]. This travels with the check, never in a field: a model's types are
    // shared by every evaluation of it on every thread (review10-18 F7).
    private const bool WithAllowedValues = false;
    private const bool TypeOnly = true;

    // Rendered no further than the message shows: a value that shares one list many times is small in memory and
    // huge written out (review10-18 F5).
    private static string Abbreviate(object? value) => FeelValue.ToDisplayString(value, 60);

    private bool IsCollection(string typeRef, int depth = 0)
    {
        // Follows the chain of base types; one that comes back to itself (a validation finding) is no collection.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var name = Strip(typeRef); seen.Add(name); )
        {
            if (name.StartsWith("list<", StringComparison.Ordinal) || name == "list")
            {
                return true;
            }

            if (!items.TryGetValue(name, out var item))
            {
                return false;
            }

            if (item.IsCollection)
            {
                return true;
            }

            if (item.TypeRef is not { } inner)
            {
                return false;
            }

            name = Strip(inner);
        }

        return false;
    }

    /// <summary>Whether the type is an item definition with allowed values (of its own or of its base types).</summary>
    public bool HasAllowedValues(string typeRef)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var name = Strip(typeRef); seen.Add(name) && items.TryGetValue(name, out var item); name = Strip(item.TypeRef ?? ""))
        {
            if (item.AllowedValues is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The item definitions whose base type leads back to themselves (<c>tA</c> → <c>tB</c> → <c>tA</c>): no value
    /// conforms to them. Components may refer to their own type (a tree); only the chain of base types is followed.
    /// </summary>
    public List<string> Cycles()
    {
        // Each type has one base at most, so one walk per type that stops at any type walked before is linear.
        var cycles = new List<string>();
        var done = new HashSet<string>(StringComparer.Ordinal);
        foreach (var start in items.Keys)
        {
            var path = new List<string>();
            var onPath = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var at = start; !done.Contains(at) && items.TryGetValue(at, out var item); at = Strip(item.TypeRef!))
            {
                if (onPath.TryGetValue(at, out var from))
                {
                    cycles.AddRange(path.Skip(from));
                    break;
                }

                onPath[at] = path.Count;
                path.Add(at);
                if (item.TypeRef is null)
                {
                    break;
                }
            }

            done.UnionWith(path);
        }

        return cycles;
    }

    private bool Conforms(DecisionRun run, string typeRef, object? value, int depth, bool typeOnly)
    {
        if (value is null)
        {
            return true;
        }

        if (depth > 32)
        {
            return false; // an item definition that refers to itself
        }

        var name = Strip(typeRef);
        if (s_builtIns.TryGetValue(name, out var builtIn))
        {
            return builtIn == "Any" || FeelValue.TypeName(value) == builtIn;
        }

        if (name.StartsWith("list<", StringComparison.Ordinal) && name.EndsWith('>'))
        {
            return value is List<object?> list && list.All(x => Counted(run) && Conforms(run, name[5..^1], x, depth + 1, typeOnly));
        }

        if (!items.TryGetValue(name, out var item))
        {
            return true; // an unknown type is a validation finding, not a reason to drop values
        }

        return Conforms(run, item, value, depth + 1, typeOnly);
    }

    // Each item checked is a step of the evaluation: a list holding one large list many times is checked item by
    // item, and must stay within the budget that bounded making it (review10-18 F5).
    private static bool Counted(DecisionRun run)
    {
        run.Evaluator.Step();
        return true;
    }

    private bool Conforms(DecisionRun run, ItemDefinition item, object? value, int depth, bool typeOnly)
    {
        if (value is null)
        {
            return true;
        }

        if (item.IsCollection)
        {
            return value is List<object?> list && list.All(x => Counted(run) && ConformsItem(run, item, x, depth, typeOnly));
        }

        return ConformsItem(run, item, value, depth, typeOnly);
    }

    private bool ConformsItem(DecisionRun run, ItemDefinition item, object? value, int depth, bool typeOnly)
    {
        if (value is null)
        {
            return true;
        }

        if (item.IsFunction)
        {
            return value is FeelFunction;
        }

        if (item.Components.Count > 0)
        {
            if (value is not FeelContext context)
            {
                return false;
            }

            foreach (var component in item.Components)
            {
                if (!context.TryGetValue(component.Name, out var inner) || !Conforms(run, component, inner, depth + 1, typeOnly))
                {
                    return false;
                }
            }

            return true;
        }

        if (item.TypeRef is not null && !Conforms(run, item.TypeRef, value, depth + 1, typeOnly))
        {
            return false;
        }

        return item.AllowedValues is null || typeOnly || item.AllowedValues.Evaluate(run.Evaluator, new NameScope("?", value, EmptyScope.Instance)) is true;
    }
}
