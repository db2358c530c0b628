namespace Workflows.Engine.Feel;

/// <summary>
/// The names in scope that FEEL cannot read as one name without knowing them (<c>Years of Service</c>, <c>Date-Time</c>),
/// in a prefix tree: finding the longest name that starts at a place in an expression walks the text once, however
/// many names share their first words. Comparing every candidate name in turn cost the length of the text times the
/// number of names sharing its first word: a 190 KB document of names <c>a a a … kN</c> took a minute to read
/// (review10-18 F6).
/// </summary>
/// <remarks>
/// A text can still make every walk long and fail late (a very long name, and a text repeating all of it but its last
/// word), so the walks of one document share a budget; over it, <see cref="Match"/> throws
/// <see cref="FeelLimitExceededException"/> naming <see cref="FeelLimits.MaxSteps"/>, and the reader makes it a finding.
/// One instance reads one document, on one thread.
/// </remarks>
internal sealed class FeelNames
{
    private readonly Node _root = new();
    private readonly long _budget;
    private long _steps;

    /// <param name="names">The names the document declares; those that are one plain word need no help and are left out.</param>
    /// <param name="budget">How many characters the walks may compare in all, over every expression read with these names.</param>
    public FeelNames(IEnumerable<string> names, long budget = long.MaxValue)
    {
        _budget = budget;

        // Longest first, so that of two names written alike but for their whitespace ("a b", "a  b") the longer is
        // the one read, as before the tree.
        foreach (var name in names.Select(n => n.Trim()).Where(FeelLexer.IsCompoundName).Distinct(StringComparer.Ordinal)
                     .OrderByDescending(n => n.Length))
        {
            Add(name);
        }
    }

    private void Add(string name)
    {
        var node = _root;
        for (var i = 0; i < name.Length; i++)
        {
            // A run of whitespace in a name matches any run of whitespace in the text: one edge, ' '.
            var key = name[i];
            if (char.IsWhiteSpace(key))
            {
                while (i + 1 < name.Length && char.IsWhiteSpace(name[i + 1]))
                {
                    i++;
                }

                key = ' ';
            }

            node.Next ??= [];
            if (!node.Next.TryGetValue(key, out var next))
            {
                next = new Node();
                node.Next[key] = next;
            }

            node = next;
        }

        node.Name ??= name;
    }

    /// <summary>
    /// The longest known name written at <paramref name="at"/> in <paramref name="text"/> (its words split by any
    /// whitespace) that does not end inside a longer word, and the characters it takes there; null when none is.
    /// </summary>
    /// <exception cref="FeelLimitExceededException">The walks of the document went over their budget.</exception>
    public (string Name, int Length)? Match(string text, int at)
    {
        (string Name, int Length)? best = null;
        var node = _root;
        var t = at;
        while (node.Next is { } next && t < text.Length)
        {
            if (++_steps > _budget)
            {
                throw new FeelLimitExceededException(nameof(FeelLimits.MaxSteps), _budget,
                    $"reading the names of several words took more than {_budget:N0} steps (a name repeated at length in an expression)");
            }

            Node? child;
            if (char.IsWhiteSpace(text[t]))
            {
                if (!next.TryGetValue(' ', out child))
                {
                    break;
                }

                while (t < text.Length && char.IsWhiteSpace(text[t]))
                {
                    t++;
                }
            }
            else
            {
                if (!next.TryGetValue(text[t], out child))
                {
                    break;
                }

                t++;
            }

            node = child;
            if (node.Name is { } name && (t >= text.Length || !FeelLexer.IsNameCharacter(text[t]) || !FeelLexer.IsNameCharacter(name[^1])))
            {
                best = (name, t - at);
            }
        }

        return best;
    }

    private sealed class Node
    {
        public Dictionary<char, Node>? Next { get; set; }

        /// <summary>The name that ends here, as the document writes it.</summary>
        public string? Name { get; set; }
    }
}
