using Workflows.Engine.Feel;

namespace Workflows.Engine.Runtime;

/// <summary>
/// Texts a caller gives the engine to store (a business key, a message's name and key, variables' texts and names) hold
/// no NUL character (U+0000). PostgreSQL's <c>text</c> refuses one with a driver error, while SQLite keeps it and tools
/// that read C strings cut the text at it: refused alike on every store, before anything is stored, naming the field.
/// </summary>
internal static class StorableText
{
    /// <exception cref="WorkflowInputException"><paramref name="value"/> holds a NUL character.</exception>
    public static void Check(string? value, string field)
    {
        if (value is not null && value.Contains('\0', StringComparison.Ordinal))
        {
            throw Refused(field);
        }
    }

    /// <summary>Every text and name inside <paramref name="variables"/>, at any depth (called once their depth is known to be within the limit).</summary>
    /// <exception cref="WorkflowInputException">One holds a NUL character: named by its path (<c>variables.claim.lines[2]</c>).</exception>
    public static void CheckVariables(FeelContext variables)
    {
        foreach (var (name, value) in variables)
        {
            Check(name, "variables: a name");
            if (value is string or List<object?> or FeelContext && FirstInValue(value) is { } path)
            {
                throw Refused("variables." + name + path);
            }
        }
    }

    // The path below a value to the first text or name holding a NUL ("" for the value itself), or null when none does.
    private static string? FirstInValue(object? value)
    {
        switch (value)
        {
            case string text:
                return text.Contains('\0', StringComparison.Ordinal) ? "" : null;
            case List<object?> list:
                for (var i = 0; i < list.Count; i++)
                {
                    if (FirstInValue(list[i]) is { } below)
                    {
                        return $"[{i}]{below}";
                    }
                }

                return null;
            case FeelContext context:
                foreach (var (name, member) in context)
                {
                    if (name.Contains('\0', StringComparison.Ordinal))
                    {
                        return ": a name";
                    }

                    if (FirstInValue(member) is { } below)
                    {
                        return "." + name + below;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    /// <summary>
    /// A text the engine writes to tell what happened (a job's failure message from a worker, an error's message, an
    /// incident's), with each NUL replaced by U+FFFD: refusing it would leave the failure unrecorded and the job handed
    /// out again and again; kept, PostgreSQL would refuse the whole command.
    /// </summary>
    public static string? Diagnostic(string? text) =>
        text is not null && text.Contains('\0', StringComparison.Ordinal) ? text.Replace('\0', '\uFFFD') : text;

    private static WorkflowInputException Refused(string field) =>
        new($"{field} holds a NUL character (\\u0000), which no store keeps: remove it");
}
