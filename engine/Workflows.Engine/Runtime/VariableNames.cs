namespace Workflows.Engine.Runtime;

/// <summary>
/// The names a command may give the variables it brings. Every name FEEL can reach is allowed (a name with a space or a
/// dash is read in backquotes, as in Camunda 8); refused are the names no expression and no mapping could ever tell
/// apart from something else.
/// </summary>
internal static class VariableNames
{
    /// <summary>Why a caller's variable name cannot be taken; null when it can.</summary>
    /// <remarks>
    /// An empty name (or one of spaces only) is no name FEEL can write. A dot is how FEEL and the engine's mappings reach
    /// into a context (<c>a.b</c> is the member <c>b</c> of <c>a</c>, item 7 of issue 13): a variable named <c>a.b</c>
    /// would sit beside the context <c>a</c> and be read as neither. A control character would pass for another name in
    /// every list and log that shows it.
    /// </remarks>
    public static string? Problem(string name) => name switch
    {
        "" => "a variable's name is empty: give every variable a name (expressions read variables by name)",
        _ when string.IsNullOrWhiteSpace(name) => $"a variable's name is only white space ('{name}'): give every variable a name expressions can read",
        _ when name.Contains('.', StringComparison.Ordinal) =>
            $"variable '{name}': a name holds no '.', which expressions and mappings read as the member '{name[(name.LastIndexOf('.') + 1)..]}' of a context '{name[..name.LastIndexOf('.')]}'; "
            + "send the context itself to set a member ({\"" + name[..name.IndexOf('.', StringComparison.Ordinal)] + "\": {…}})",
        _ when name.Any(char.IsControl) => $"variable '{Visible(name)}': a name holds no control character (line break, tab, NUL…)",
        _ => null,
    };

    /// <summary>The first of <paramref name="names"/> that cannot be taken, with why.</summary>
    public static string? FirstProblem(IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            if (Problem(name) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    private static string Visible(string name)
    {
        var text = new System.Text.StringBuilder(name.Length + 8);
        foreach (var c in name)
        {
            _ = char.IsControl(c) ? text.Append("\\u").Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture)) : text.Append(c);
        }

        return text.ToString();
    }
}
