namespace Workflows.Engine.Modules;

/// <summary>
/// What modules attach to the core's objects (a parsed element, an instance in a command): one part of each
/// type, found by type. Few modules, so a short array scanned without allocating beats a dictionary.
/// </summary>
internal static class ModuleParts
{
    public static T? Find<T>(object[]? parts)
        where T : class
    {
        if (parts is not null)
        {
            foreach (var part in parts)
            {
                if (part is T found)
                {
                    return found;
                }
            }
        }

        return null;
    }

    /// <summary>Whether every part only adds rows of its own (<see cref="IChangeSetPart"/>); true for none.</summary>
    public static bool OnlyAdd(object[]? parts)
    {
        if (parts is not null)
        {
            foreach (var part in parts)
            {
                if (part is not IChangeSetPart { OnlyAdds: true })
                {
                    return false;
                }
            }
        }

        return true;
    }

    public static T Add<T>(ref object[]? parts, T part)
        where T : class
    {
        parts = parts is null ? [part] : [.. parts, part];
        return part;
    }
}
