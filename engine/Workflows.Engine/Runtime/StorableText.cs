using Workflows.Engine.Feel;

namespace Workflows.Engine.Runtime;

/// <summary>
/// Texts a caller gives the engine to store (a business key, a message's name and key, variables' texts and names) hold
/// no NUL character (U+0000). PostgreSQL's <c>text</c> refuses one with a driver error, while SQLite keeps it and tools
/// that read C strings cut the text at it: refused alike on every store, before anything is stored, naming the field.
/// </summary>
/// <remarks>
/// The words of the refusal are written here once, for the engine and for the host's checks of a request's body and
/// query alike (<see cref="NulProblem"/>), and so are those of a text that is no Unicode (<see cref="SurrogateProblem"/>).
/// </remarks>
public static class StorableText
{
    /// <summary>What is wrong with a text or name that holds a NUL character, naming it (<c>businessKey</c>, <c>variables.claim: a name</c>).</summary>
    /// <param name="field">The field, as the caller wrote it.</param>
    public static string NulProblem(string field) =>
        $"{field} holds a NUL character (U+0000: \\u0000 in JSON, %00 in a URL), which no store keeps: remove it";

    /// <summary>
    /// What is wrong with a text or name that holds an unpaired surrogate (an escaped <c>"\ud800"</c> passes a JSON reader
    /// but is no Unicode text), naming it as <see cref="NulProblem"/> does.
    /// </summary>
    /// <param name="field">The field, as the caller wrote it.</param>
    public static string SurrogateProblem(string field) =>
        $"{field} holds an unpaired surrogate (\\uD800-\\uDFFF), which is no Unicode text: send both halves of the pair, or neither";

    /// <summary>Refuses a text or name the caller gives to store when it holds a NUL character, in the words of <see cref="NulProblem"/>.</summary>
    /// <remarks>The one check of a NUL for the engine and for the host's rules of a request alike.</remarks>
    /// <param name="value">The text; null passes.</param>
    /// <param name="field">The field, as the caller wrote it.</param>
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
    internal static void CheckVariables(FeelContext variables)
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

    /// <summary>
    /// The path below a value (an expression's result) to its first text or name holding a NUL: "" for the value itself,
    /// <c>[2].sku</c>, <c>.claim: a name</c>; null when none does (and for a value that holds no text: a number, a date).
    /// </summary>
    internal static string? FirstNulIn(object? value) => value is string or List<object?> or FeelContext ? FirstInValue(value) : null;

    /// <summary>
    /// Fails the step when a variable of <paramref name="variables"/> (<paramref name="what"/>: a handler's or a decision's
    /// result) holds a NUL in a text or name, naming the variable: kept by no store alike.
    /// </summary>
    /// <exception cref="StepFailedException">One does.</exception>
    internal static void RefuseInResult(FeelContext? variables, string what)
    {
        foreach (var (name, value) in variables ?? [])
        {
            if (name.Contains('\0', StringComparison.Ordinal))
            {
                throw new StepFailedException(NulInResult($"{what} gave a variable whose name holds one:", ""));
            }

            if (FirstNulIn(value) is { } at)
            {
                throw new StepFailedException(NulInResult($"{what} gave '{name}'", at));
            }
        }
    }

    /// <summary>The failure of a step whose result holds a NUL: <paramref name="gave"/> says what gave it, <paramref name="at"/> where in the value (<see cref="FirstNulIn"/>).</summary>
    internal static string NulInResult(string gave, string at) =>
        $"{gave} a value holding a NUL character (U+0000){(at.Length == 0 ? "" : $" at {at.TrimStart('.', ':', ' ')}")}, which no store keeps: the step stops rather than store it";

    // The path below a value to the first text or name holding a NUL ("" for the value itself), or null when none does.
    private static string? FirstInValue(object? value)
    {
        HashSet<object>? clean = null;
        return FirstInValue(value, ref clean);
    }

    // A FEEL value may hold one list or context many times (for j in 1..n return l): each is walked once, and those found
    // clean are kept in clean (made only when the walk meets a nested one), so the walk is linear in the value's distinct
    // parts, never in its size written out.
    private static string? FirstInValue(object? value, ref HashSet<object>? clean)
    {
        switch (value)
        {
            case string text:
                return text.Contains('\0', StringComparison.Ordinal) ? "" : null;
            case List<object?> list when clean?.Contains(list) != true:
                for (var i = 0; i < list.Count; i++)
                {
                    if (list[i] is List<object?> or FeelContext)
                    {
                        clean ??= new HashSet<object>(ReferenceEqualityComparer.Instance);
                    }

                    if (FirstInValue(list[i], ref clean) is { } below)
                    {
                        return $"[{i}]{below}";
                    }
                }

                clean?.Add(list);
                return null;
            case FeelContext context when clean?.Contains(context) != true:
                foreach (var (name, member) in context)
                {
                    if (name.Contains('\0', StringComparison.Ordinal))
                    {
                        return ": a name";
                    }

                    if (member is List<object?> or FeelContext)
                    {
                        clean ??= new HashSet<object>(ReferenceEqualityComparer.Instance);
                    }

                    if (FirstInValue(member, ref clean) is { } below)
                    {
                        return "." + name + below;
                    }
                }

                clean?.Add(context);
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
    internal static string? Diagnostic(string? text) =>
        text is not null && text.Contains('\0', StringComparison.Ordinal) ? text.Replace('\0', '\uFFFD') : text;

    private static WorkflowInputException Refused(string field) => new(NulProblem(field));
}
