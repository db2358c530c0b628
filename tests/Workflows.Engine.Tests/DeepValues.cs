namespace Workflows.Engine.Tests;

/// <summary>
/// Values nested as deep as a test needs, and how deep a value read back goes: the deep-state tests of the engine
/// (<c>StateDepthTests</c>) and of the store suite (<c>StoreSuite.StateDepth</c>) build and measure them the same way.
/// </summary>
internal static class DeepValues
{
    /// <summary>A value nesting <paramref name="depth"/> one-item lists around <paramref name="core"/> (the number 1 unless given).</summary>
    public static object Nested(int depth, object? core = null)
    {
        var value = core ?? 1;
        for (var i = 0; i < depth; i++)
        {
            value = new List<object?> { value };
        }

        return value;
    }

    /// <summary>How many one-item lists <paramref name="value"/> nests, as the engine hands it back.</summary>
    public static int DepthOf(object? value)
    {
        var depth = 0;
        while (value is IList<object?> { Count: 1 } list)
        {
            depth++;
            value = list[0];
        }

        return depth;
    }
}
