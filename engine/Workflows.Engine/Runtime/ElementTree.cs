namespace Workflows.Engine.Runtime;

/// <summary>Questions about an instance's tree of element instances.</summary>
internal static class ElementTree
{
    public static List<ElementInstance> Children(InstanceState state, long parentKey)
    {
        var children = new List<ElementInstance>();
        foreach (var element in state.Elements.Values)
        {
            if (element.ParentKey == parentKey)
            {
                children.Add(element);
            }
        }

        return children;
    }

    public static bool HasActiveChildren(InstanceState state, long scopeKey)
    {
        foreach (var element in state.Elements.Values)
        {
            if (element.ParentKey == scopeKey)
            {
                return true;
            }
        }

        return false;
    }

    public static bool IsWithin(InstanceState state, ElementInstance element, long ancestorKey)
    {
        var current = element;
        while (true)
        {
            if (current.Key == ancestorKey)
            {
                return true;
            }

            if (current.ParentKey == 0 || !state.Elements.TryGetValue(current.ParentKey, out var parent))
            {
                return false;
            }

            current = parent;
        }
    }
}
