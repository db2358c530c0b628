using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Workflows.Engine.Feel;

/// <summary>The regular expressions of matches, replace and split: XML Schema's flavour, carried out by .NET's engine.</summary>
internal static partial class FeelBuiltins
{
    private static Regex? MakeRegex(FeelEvaluator ev, IReadOnlyList<object?> a, int patternIndex, int? flagsIndex = null)
    {
        if (Str(a, patternIndex) is not { } pattern)
        {
            return null;
        }

        var at = flagsIndex ?? patternIndex + 1;
        var flags = at < a.Count && a[at] is not null ? a[at] as string : "";
        if (flags is null || flags.Any(c => c is not ('s' or 'm' or 'i' or 'x' or 'q')))
        {
            ev.Warn("the flags of a regular expression are letters of 's', 'm', 'i', 'x' and 'q'");
            return null;
        }

        var options = RegexOptions.CultureInvariant;
        if (flags.Contains('i', StringComparison.Ordinal))
        {
            options |= RegexOptions.IgnoreCase;
        }

        if (flags.Contains('m', StringComparison.Ordinal))
        {
            options |= RegexOptions.Multiline;
        }

        var translated = flags.Contains('q', StringComparison.Ordinal) ? Regex.Escape(pattern)
            : XPathPattern(pattern, dotAll: flags.Contains('s', StringComparison.Ordinal), stripWhitespace: flags.Contains('x', StringComparison.Ordinal));
        if (translated is null)
        {
            ev.Warn($"invalid pattern: '{pattern}'");
            return null;
        }

        try
        {
            // A bounded match time keeps a hostile pattern from stalling the engine (FeelLimits.RegexTimeout).
            return new Regex(translated, options, ev.Limits.RegexTimeout);
        }
        catch (ArgumentException e)
        {
            ev.Warn($"invalid pattern: {e.Message}");
            return null;
        }
    }

    /// <summary>
    /// An XML Schema / XPath regular expression (what FEEL's matches, replace and split take) as a .NET one: '.' matches
    /// no line end unless dotAll, 'x' removes whitespace outside classes, and a back-reference must follow the group it
    /// names, never sit in a class. Null when the pattern is invalid in XPath.
    /// </summary>
    private static string? XPathPattern(string pattern, bool dotAll, bool stripWhitespace)
    {
        var sb = new StringBuilder(pattern.Length + 8);
        var inClass = 0;
        var opened = 0;
        var closed = 0;
        var open = new Stack<int>();
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (stripWhitespace && inClass == 0 && c is ' ' or '\t' or '\n' or '\r')
            {
                continue;
            }

            if (c == '\\' && i + 1 < pattern.Length)
            {
                // "hello\ sworld" with x: the whitespace goes first, so the escape is "\s". Skipped by index, not
                // removed from the pattern, so that a long pattern is read once.
                var at = i + 1;
                while (stripWhitespace && at < pattern.Length && char.IsWhiteSpace(pattern[at]))
                {
                    at++;
                }

                if (at >= pattern.Length)
                {
                    return null;
                }

                var next = pattern[at];
                if (char.IsAsciiDigit(next))
                {
                    if (inClass > 0 || next == '0')
                    {
                        return null;
                    }

                    var j = at;
                    while (j < pattern.Length && char.IsAsciiDigit(pattern[j]))
                    {
                        j++;
                    }

                    if (j - at > 4 || int.Parse(pattern.AsSpan(at, j - at), CultureInfo.InvariantCulture) > closed)
                    {
                        return null;
                    }
                }

                if (stripWhitespace && next is 'p' or 'P' && at + 1 < pattern.Length && pattern[at + 1] == '{')
                {
                    var end = pattern.IndexOf('}', at + 1);
                    if (end > 0)
                    {
                        sb.Append(c).Append(next).Append(string.Concat(pattern[(at + 1)..(end + 1)].Where(x => !char.IsWhiteSpace(x))));
                        i = end;
                        continue;
                    }
                }

                sb.Append(c).Append(next);
                i = at;
                continue;
            }

            switch (c)
            {
                case '[':
                    inClass++;
                    break;
                case ']' when inClass > 0:
                    inClass--;
                    break;
                case '(' when inClass == 0:
                    open.Push(i + 1 < pattern.Length && pattern[i + 1] == '?' ? -1 : ++opened);
                    break;
                case ')' when inClass == 0 && open.Count > 0:
                    if (open.Pop() > 0)
                    {
                        closed++;
                    }

                    break;
                case '.' when inClass == 0 && !dotAll:
                    sb.Append("[^\\n\\r]");
                    continue;
                case '.' when inClass == 0:
                    sb.Append("[\\s\\S]");
                    continue;
            }

            sb.Append(c);
        }

        return sb.ToString();
    }
}
