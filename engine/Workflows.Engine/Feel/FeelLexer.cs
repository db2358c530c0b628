using System.Globalization;

namespace Workflows.Engine.Feel;

/// <summary>A FEEL expression that does not parse; <see cref="Position"/> is the 0-based offset.</summary>
public sealed class FeelSyntaxException(string message, int position) : Exception(message)
{
    /// <summary>Where in the expression text the problem is (0-based character offset).</summary>
    public int Position { get; } = position;
}

internal enum TokenKind
{
    Number,
    String,
    Name,
    Temporal,
    Punct,
    End,
}

internal readonly record struct Token(TokenKind Kind, string Text, int Position);

internal static class FeelLexer
{
    // Built-in functions whose names contain spaces; recognised only when a '(' follows, so that
    // `date and time` in `a and b` style expressions is never mistaken for a name.
    private static readonly string[] s_multiWordNames =
    [
        "years and months duration", "date and time", "string length", "upper case", "lower case",
        "substring before", "substring after", "starts with", "ends with", "list contains", "index of",
        "distinct values", "duplicate values", "insert before", "get value", "get entries", "day of week",
        "day of year", "month of year", "week of year", "string join", "is defined", "round up",
        "round down", "round half up", "round half down", "last day of month", "context put",
        "context merge", "is empty", "list replace", "string reverse", "met by", "overlaps before", "overlaps after",
        "finished by", "started by",
    ];

    private static readonly string[] s_punctuation = ["**", "..", "!=", "<=", ">=", "->", "(", ")", "[", "]", "{", "}", ",", ".", ":", "=", "<", ">", "+", "-", "*", "/", "?"];

    public static List<Token> Tokenize(string text) => Tokenize(text, null);

    /// <summary>
    /// Splits <paramref name="text"/> into tokens. <paramref name="knownNames"/> are the names in scope that hold spaces or
    /// characters an operator would take (<c>Years of Service</c>, <c>Date-Time</c>), longest first: FEEL's grammar is
    /// ambiguous without them, and a DMN model declares them all.
    /// </summary>
    public static List<Token> Tokenize(string text, FeelNames? knownNames)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            if (c == '/' && i + 1 < text.Length && text[i + 1] == '/')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }

                continue;
            }

            if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                var end = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = end < 0 ? text.Length : end + 2;
                continue;
            }

            var start = i;
            if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                while (i < text.Length && char.IsAsciiDigit(text[i]))
                {
                    i++;
                }

                // "1..3" is a range: the first dot belongs to the range operator, not the number.
                if (i + 1 < text.Length && text[i] == '.' && char.IsAsciiDigit(text[i + 1]))
                {
                    i++;
                    while (i < text.Length && char.IsAsciiDigit(text[i]))
                    {
                        i++;
                    }
                }

                // An exponent: 1.23e4, 1.23e+4, 1.23e-4.
                if (i < text.Length && text[i] is 'e' or 'E')
                {
                    var j = i + 1;
                    if (j < text.Length && text[j] is '+' or '-')
                    {
                        j++;
                    }

                    if (j < text.Length && char.IsAsciiDigit(text[j]))
                    {
                        i = j;
                        while (i < text.Length && char.IsAsciiDigit(text[i]))
                        {
                            i++;
                        }
                    }
                }

                tokens.Add(new Token(TokenKind.Number, text[start..i], start));
                continue;
            }

            if (c == '"')
            {
                tokens.Add(new Token(TokenKind.String, ReadString(text, ref i), start));
                continue;
            }

            if (c == '@' && i + 1 < text.Length && text[i + 1] == '"')
            {
                i++;
                tokens.Add(new Token(TokenKind.Temporal, ReadString(text, ref i), start));
                continue;
            }

            if (c == '`')
            {
                var end = text.IndexOf('`', i + 1);
                if (end < 0)
                {
                    throw new FeelSyntaxException("unterminated backtick name", start);
                }

                tokens.Add(new Token(TokenKind.Name, text[(i + 1)..end], start));
                i = end + 1;
                continue;
            }

            if (IsNameStart(c) && knownNames?.Match(text, i) is { } known)
            {
                tokens.Add(new Token(TokenKind.Name, known.Name, start));
                i += known.Length;
                continue;
            }

            if (IsNameStart(c))
            {
                var multi = MatchMultiWordName(text, i);
                if (multi is not null)
                {
                    tokens.Add(new Token(TokenKind.Name, multi.Value.Name, start));
                    i += multi.Value.Length;
                    continue;
                }

                // The first character is taken whatever it is: '?' starts a name but is no part of one,
                // and a lexer that did not move on from it would loop for ever.
                i++;
                while (i < text.Length && IsNamePart(text[i]))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Name, text[start..i], start));
                continue;
            }

            var punct = s_punctuation.FirstOrDefault(p => string.CompareOrdinal(text, i, p, 0, p.Length) == 0);
            if (punct is null)
            {
                throw new FeelSyntaxException($"unexpected character '{c}'", i);
            }

            tokens.Add(new Token(TokenKind.Punct, punct, start));
            i += punct.Length;
        }

        tokens.Add(new Token(TokenKind.End, "", text.Length));
        return tokens;
    }

    /// <summary>Whether a name needs <see cref="Tokenize(string, FeelNames)"/>'s known names to be read as one token.</summary>
    public static bool IsCompoundName(string name) =>
        name.Length > 0 && (!IsNameStart(name[0]) || name[0] == '?' || name.Skip(1).Any(c => !IsNamePart(c)));

    // A known name matches where its words do, whatever whitespace separates them in the text.
    private static (string Name, int Length)? MatchKnownName(string text, int i, IReadOnlyList<string> knownNames)
    {
        foreach (var name in knownNames)
        {
            var t = i;
            var n = 0;
            while (n < name.Length && t < text.Length)
            {
                if (char.IsWhiteSpace(name[n]))
                {
                    if (!char.IsWhiteSpace(text[t]))
                    {
                        break;
                    }

                    while (n < name.Length && char.IsWhiteSpace(name[n]))
                    {
                        n++;
                    }

                    while (t < text.Length && char.IsWhiteSpace(text[t]))
                    {
                        t++;
                    }

                    continue;
                }

                if (name[n] != text[t])
                {
                    break;
                }

                n++;
                t++;
            }

            if (n == name.Length && (t >= text.Length || !IsNamePart(text[t]) || !IsNamePart(name[^1])))
            {
                return (name, t - i);
            }
        }

        return null;
    }

    private static (string Name, int Length)? MatchMultiWordName(string text, int i)
    {
        foreach (var name in s_multiWordNames)
        {
            // The words may be split by any whitespace, a line break too: "date and\n time(...)".
            if (MatchKnownName(text, i, [name]) is not { } match)
            {
                continue;
            }

            var j = i + match.Length;

            while (j < text.Length && char.IsWhiteSpace(text[j]))
            {
                j++;
            }

            if (j < text.Length && text[j] == '(')
            {
                return match;
            }
        }

        return null;
    }

    private static string ReadString(string text, ref int i)
    {
        var start = i;
        i++;
        var sb = new System.Text.StringBuilder();
        while (i < text.Length && text[i] != '"')
        {
            if (text[i] == '\\' && i + 1 < text.Length)
            {
                i++;
                switch (text[i])
                {
                    case 'n':
                        sb.Append('\n');
                        break;
                    case 't':
                        sb.Append('\t');
                        break;
                    case 'r':
                        sb.Append('\r');
                        break;
                    case 'U' when i + 6 < text.Length:
                        if (!int.TryParse(text.AsSpan(i + 1, 6), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var point) || point > 0x10FFFF || point is >= 0xD800 and <= 0xDFFF)
                        {
                            throw new FeelSyntaxException($"'\\U{text.Substring(i + 1, 6)}' is not a unicode escape", i - 1);
                        }

                        sb.Append(char.ConvertFromUtf32(point));
                        i += 6;
                        break;
                    case 'u' when i + 4 < text.Length:
                        if (!int.TryParse(text.AsSpan(i + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                        {
                            throw new FeelSyntaxException($"'\\u{text.Substring(i + 1, 4)}' is not a unicode escape", i - 1);
                        }

                        sb.Append((char)code);
                        i += 4;
                        break;
                    case '"' or '\\' or '\'':
                        sb.Append(text[i]);
                        break;
                    default:
                        // Not an escape of FEEL's: the backslash stays, so "\d" reaches a regular expression as written.
                        sb.Append('\\').Append(text[i]);
                        break;
                }

                i++;
                continue;
            }

            sb.Append(text[i]);
            i++;
        }

        if (i >= text.Length)
        {
            throw new FeelSyntaxException("unterminated string", start);
        }

        i++;
        return sb.ToString();
    }

    // Characters beyond the basic plane (an emoji) come as surrogate pairs; FEEL's name characters include them.
    private static bool IsNameStart(char c) => char.IsLetter(c) || c == '_' || c == '$' || c == '?' || char.IsSurrogate(c);

    public static bool IsNameCharacter(char c) => IsNamePart(c);

    private static bool IsNamePart(char c) => char.IsLetterOrDigit(c) || c == '_' || c == '$' || char.IsSurrogate(c);
}
