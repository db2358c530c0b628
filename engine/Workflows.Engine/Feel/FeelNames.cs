namespace Workflows.Engine.Feel;

/// <summary>
/// The names in scope that FEEL cannot read as one name without knowing them (<c>Years of Service</c>, <c>Date-Time</c>),
/// indexed by their first word so that reading an expression looks at a few candidates, not at every name of a large model.
/// </summary>
internal sealed class FeelNames
{
    private readonly Dictionary<string, string[]> _byFirstWord;

    public FeelNames(IEnumerable<string> names) =>
        _byFirstWord = names.Select(n => n.Trim()).Where(FeelLexer.IsCompoundName).Distinct(StringComparer.Ordinal)
            .GroupBy(n => FirstWord(n, 0), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderByDescending(n => n.Length).ToArray(), StringComparer.Ordinal);

    /// <summary>The names that could start at <paramref name="at"/> in <paramref name="text"/>, longest first.</summary>
    public IReadOnlyList<string> Candidates(string text, int at) =>
        _byFirstWord.TryGetValue(FirstWord(text, at), out var names) ? names : [];

    // The run of name characters from `at` (at least one character, so that a name starting with '?' has a key).
    private static string FirstWord(string text, int at)
    {
        var end = at + 1;
        while (end < text.Length && FeelLexer.IsNameCharacter(text[end]))
        {
            end++;
        }

        return text[at..Math.Min(end, text.Length)];
    }
}
