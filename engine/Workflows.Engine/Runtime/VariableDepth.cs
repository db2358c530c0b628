using Workflows.Engine.Feel;

namespace Workflows.Engine.Runtime;

/// <summary>
/// How deep a value nests lists and contexts, held to <see cref="ExecutionLimits.MaxVariableDepth"/> so that every state
/// the engine commits can be read back (it is stored as JSON, read to <see cref="ExecutionLimits.MaxStoredJsonDepth"/>).
/// </summary>
internal static class VariableDepth
{
    /// <summary>
    /// The depth of <paramref name="value"/> (a scalar 0, <c>[1]</c> 1, <c>{"a": [1]}</c> 2), counted no further than one
    /// past <paramref name="limit"/>: a value deeper than the limit answers <c>limit + 1</c>, without walking the rest.
    /// </summary>
    public static int Of(object? value, int limit) => value switch
    {
        List<object?> list => OfList(list, limit),
        FeelContext context => OfContext(context, limit),
        _ => 0,
    };

    /// <summary>The first variable of <paramref name="variables"/> deeper than <paramref name="limit"/>, with its depth (counted to <c>limit + 1</c>).</summary>
    public static (string Name, int Depth)? FirstTooDeep(FeelContext? variables, int limit)
    {
        if (variables is null)
        {
            return null;
        }

        foreach (var (name, value) in variables)
        {
            if (value is List<object?> or FeelContext && Of(value, limit) is var depth && depth > limit)
            {
                return (name, depth);
            }
        }

        return null;
    }

    // The walk stops at limit + 1 levels: its recursion is bounded by the limit, whatever the value.
    private static int OfList(List<object?> list, int limit)
    {
        var deepest = 0;
        if (limit <= 0)
        {
            return 1;
        }

        foreach (var item in list)
        {
            if (item is List<object?> or FeelContext)
            {
                deepest = Math.Max(deepest, Of(item, limit - 1));
                if (deepest >= limit)
                {
                    break;
                }
            }
        }

        return deepest + 1;
    }

    private static int OfContext(FeelContext context, int limit)
    {
        var deepest = 0;
        if (limit <= 0)
        {
            return 1;
        }

        foreach (var (_, item) in context)
        {
            if (item is List<object?> or FeelContext)
            {
                deepest = Math.Max(deepest, Of(item, limit - 1));
                if (deepest >= limit)
                {
                    break;
                }
            }
        }

        return deepest + 1;
    }
}
