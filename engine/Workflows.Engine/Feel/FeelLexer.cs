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
        "context merge", "is empty", "list replace", "string reverse",
    ];

    private static readonly string[] s_punctuation = ["**", "..", "!=", "<=", ">=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "=", "<", ">", "+", "-", "*", "/", "?"];

    public static List<Token> Tokenize(string text)
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

            if (IsNameStart(c))
            {
                var multi = MatchMultiWordName(text, i);
                if (multi is not null)
                {
                    tokens.Add(new Token(TokenKind.Name, multi, start));
                    i += multi.Length;
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

    private static string? MatchMultiWordName(string text, int i)
    {
        foreach (var name in s_multiWordNames)
        {
            if (string.CompareOrdinal(text, i, name, 0, name.Length) != 0)
            {
                continue;
            }

            var j = i + name.Length;
            if (j < text.Length && IsNamePart(text[j]))
            {
                continue;
            }

            while (j < text.Length && char.IsWhiteSpace(text[j]))
            {
                j++;
            }

            if (j < text.Length && text[j] == '(')
            {
                return name;
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
                    case 'u' when i + 4 < text.Length:
                        if (!int.TryParse(text.AsSpan(i + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                        {
                            throw new FeelSyntaxException($"'\\u{text.Substring(i + 1, 4)}' is not a unicode escape", i - 1);
                        }

                        sb.Append((char)code);
                        i += 4;
                        break;
                    default:
                        sb.Append(text[i]);
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

    private static bool IsNameStart(char c) => char.IsLetter(c) || c == '_' || c == '$' || c == '?';

    private static bool IsNamePart(char c) => char.IsLetterOrDigit(c) || c == '_' || c == '$';
}
