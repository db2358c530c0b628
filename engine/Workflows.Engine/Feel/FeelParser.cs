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

/// <summary>Recursive descent over the FEEL grammar (DMN 1.3 §10.3), the documented subset.</summary>
internal sealed class FeelParser
{
    private readonly List<Token> _tokens;
    private readonly int _maxDepth;
    private int _pos;
    private int _depth;

    private FeelParser(List<Token> tokens, int maxDepth)
    {
        _tokens = tokens;
        _maxDepth = maxDepth;
    }

    public static FeelNode Parse(string text, int maxDepth)
    {
        var parser = new FeelParser(FeelLexer.Tokenize(text), maxDepth);
        var node = parser.ParseExpression();
        if (parser.Current.Kind != TokenKind.End)
        {
            throw new FeelSyntaxException($"unexpected '{parser.Current.Text}'", parser.Current.Position);
        }

        return node;
    }

    private Token Current => _tokens[_pos];

    private bool IsPunct(string p) => Current.Kind == TokenKind.Punct && Current.Text == p;

    private bool IsKeyword(string k) => Current.Kind == TokenKind.Name && Current.Text == k;

    private void Expect(string p)
    {
        if (!IsPunct(p))
        {
            throw new FeelSyntaxException($"expected '{p}' but found '{(Current.Kind == TokenKind.End ? "end of expression" : Current.Text)}'", Current.Position);
        }

        _pos++;
    }

    private void ExpectKeyword(string k)
    {
        if (!IsKeyword(k))
        {
            throw new FeelSyntaxException($"expected '{k}' but found '{(Current.Kind == TokenKind.End ? "end of expression" : Current.Text)}'", Current.Position);
        }

        _pos++;
    }

    // Every recursion of the grammar passes here or through a unary minus, so nesting is bounded
    // before it can exhaust the stack: "((((…" is a syntax error naming the limit, not a crash.
    private FeelNode ParseExpression()
    {
        Nest();
        var node = ParseDisjunction();
        _depth--;
        return node;
    }

    private void Nest()
    {
        if (++_depth > _maxDepth)
        {
            throw new FeelSyntaxException($"the expression nests deeper than {_maxDepth} levels (FeelLimits.MaxDepth)", Current.Position);
        }
    }

    private FeelNode ParseDisjunction()
    {
        var left = ParseConjunction();
        while (IsKeyword("or"))
        {
            _pos++;
            left = new OrNode(left, ParseConjunction());
        }

        return left;
    }

    private FeelNode ParseConjunction()
    {
        var left = ParseComparison();
        while (IsKeyword("and"))
        {
            _pos++;
            left = new AndNode(left, ParseComparison());
        }

        return left;
    }

    private FeelNode ParseComparison()
    {
        var left = ParseAdditive();
        if (Current.Kind == TokenKind.Punct && Current.Text is "=" or "!=" or "<" or "<=" or ">" or ">=")
        {
            var op = Current.Text;
            _pos++;
            return new CompareNode(op, left, ParseAdditive());
        }

        if (IsKeyword("between"))
        {
            _pos++;
            var low = ParseAdditive();
            ExpectKeyword("and");
            var high = ParseAdditive();
            return new BetweenNode(left, low, high);
        }

        if (IsKeyword("in"))
        {
            _pos++;
            if (IsPunct("(") && !LooksLikeRange())
            {
                _pos++;
                var tests = new List<FeelNode> { ParseUnaryTest() };
                while (IsPunct(","))
                {
                    _pos++;
                    tests.Add(ParseUnaryTest());
                }

                Expect(")");
                return new InNode(left, new UnaryTestsNode(tests));
            }

            return new InNode(left, new UnaryTestsNode([ParseUnaryTest()]));
        }

        if (IsKeyword("instance"))
        {
            _pos++;
            ExpectKeyword("of");
            return new InstanceOfNode(left, ParseTypeName());
        }

        return left;
    }

    private string ParseTypeName()
    {
        var words = new List<string>();
        while (Current.Kind == TokenKind.Name && !(words.Count > 0 && Current.Text is "or" or "then" or "else" or "return" or "satisfies"))
        {
            words.Add(Current.Text);
            _pos++;
            if (words.Count > 0 && !(Current.Kind == TokenKind.Name && Current.Text is "and" or "time" or "months" or "duration" or "days" or "date"))
            {
                break;
            }
        }

        if (words.Count == 0)
        {
            throw new FeelSyntaxException("expected a type name", Current.Position);
        }

        return string.Join(' ', words);
    }

    // After '(' in "x in (...)": a range such as (1..5) versus a list of unary tests.
    private bool LooksLikeRange()
    {
        var depth = 0;
        for (var i = _pos; i < _tokens.Count; i++)
        {
            var t = _tokens[i];
            if (t.Kind != TokenKind.Punct)
            {
                continue;
            }

            switch (t.Text)
            {
                case "(" or "[" or "{":
                    depth++;
                    break;
                case ")" or "]" or "}":
                    depth--;
                    if (depth <= 0)
                    {
                        return false;
                    }

                    break;
                case ".." when depth == 1:
                    return true;
                case "," when depth == 1:
                    return false;
            }
        }

        return false;
    }

    private FeelNode ParseUnaryTest()
    {
        if (Current.Kind == TokenKind.Punct && Current.Text is "<" or "<=" or ">" or ">=" or "=" or "!=")
        {
            var op = Current.Text;
            _pos++;
            return new ComparisonTestNode(op, ParseAdditive());
        }

        if (IsPunct("-") && _tokens[_pos + 1].Kind == TokenKind.End)
        {
            _pos++;
            return new AnyTestNode();
        }

        return new ValueTestNode(ParseExpression());
    }

    private FeelNode ParseAdditive()
    {
        var left = ParseMultiplicative();
        while (IsPunct("+") || IsPunct("-"))
        {
            var op = Current.Text[0];
            _pos++;
            left = new ArithmeticNode(op, left, ParseMultiplicative());
        }

        return left;
    }

    private FeelNode ParseMultiplicative()
    {
        var left = ParseExponent();
        while (IsPunct("*") || IsPunct("/"))
        {
            var op = Current.Text[0];
            _pos++;
            left = new ArithmeticNode(op, left, ParseExponent());
        }

        return left;
    }

    private FeelNode ParseExponent()
    {
        var left = ParseUnary();
        while (IsPunct("**"))
        {
            _pos++;
            left = new ArithmeticNode('^', left, ParseUnary());
        }

        return left;
    }

    private FeelNode ParseUnary()
    {
        if (IsPunct("-"))
        {
            _pos++;
            Nest();
            var operand = ParseUnary();
            _depth--;
            return new NegateNode(operand);
        }

        return ParsePostfix(ParsePrimary());
    }

    private FeelNode ParsePostfix(FeelNode node)
    {
        while (true)
        {
            if (IsPunct("."))
            {
                _pos++;
                if (Current.Kind != TokenKind.Name)
                {
                    throw new FeelSyntaxException("expected a name after '.'", Current.Position);
                }

                node = new PathNode(node, Current.Text);
                _pos++;
            }
            else if (IsPunct("["))
            {
                _pos++;
                var filter = ParseExpression();
                Expect("]");
                node = new FilterNode(node, filter);
            }
            else if (IsPunct("("))
            {
                _pos++;
                var positional = new List<FeelNode>();
                List<(string Name, FeelNode Value)>? named = null;
                while (!IsPunct(")"))
                {
                    if (NamedArgumentLength() is var words and > 0)
                    {
                        named ??= [];
                        var name = string.Join(' ', _tokens.Skip(_pos).Take(words).Select(t => t.Text));
                        _pos += words + 1;
                        named.Add((name, ParseExpression()));
                    }
                    else
                    {
                        positional.Add(ParseExpression());
                    }

                    if (!IsPunct(","))
                    {
                        break;
                    }

                    _pos++;
                }

                Expect(")");
                node = new InvokeNode(node, positional, named);
            }
            else
            {
                return node;
            }
        }
    }

    // "start position: 4" names a parameter; parameter names may have several words.
    private int NamedArgumentLength()
    {
        var i = _pos;
        while (_tokens[i].Kind == TokenKind.Name)
        {
            i++;
        }

        return i > _pos && _tokens[i] is { Kind: TokenKind.Punct, Text: ":" } ? i - _pos : 0;
    }

    private FeelNode ParsePrimary()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.Number:
                _pos++;
                return decimal.TryParse(token.Text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
                    ? new LiteralNode(number)
                    : throw new FeelSyntaxException($"the number {token.Text} is out of range", token.Position);
            case TokenKind.String:
                _pos++;
                return new LiteralNode(token.Text);
            case TokenKind.Temporal:
                _pos++;
                var value = FeelBuiltins.ParseTemporal(token.Text)
                    ?? throw new FeelSyntaxException($"'@\"{token.Text}\"' is not a date, time, date-time or duration", token.Position);
                return new LiteralNode(value);
            case TokenKind.Name:
                return ParseNameOrKeyword(token);
            case TokenKind.Punct when token.Text == "(":
                return ParseParenthesisOrRange();
            case TokenKind.Punct when token.Text == "[":
                return ParseListOrRange();
            case TokenKind.Punct when token.Text == "{":
                return ParseContext();
            case TokenKind.Punct when token.Text == "?":
                _pos++;
                return new NameNode("?");
            case TokenKind.Punct when token.Text is "<" or "<=" or ">" or ">=":
                // A unary-test range such as "x in < 5" reaches here only inside unary tests.
                throw new FeelSyntaxException($"unexpected '{token.Text}'", token.Position);
            case TokenKind.End:
                throw new FeelSyntaxException("unexpected end of expression", token.Position);
            default:
                throw new FeelSyntaxException($"unexpected '{token.Text}'", token.Position);
        }
    }

    private FeelNode ParseNameOrKeyword(Token token)
    {
        switch (token.Text)
        {
            case "true":
                _pos++;
                return new LiteralNode(true);
            case "false":
                _pos++;
                return new LiteralNode(false);
            case "null":
                _pos++;
                return new LiteralNode(null);
            case "if":
                {
                    _pos++;
                    var condition = ParseExpression();
                    ExpectKeyword("then");
                    var then = ParseExpression();
                    ExpectKeyword("else");
                    var otherwise = ParseExpression();
                    return new IfNode(condition, then, otherwise);
                }

            case "for":
                {
                    _pos++;
                    var iterations = ParseIterationContexts();
                    ExpectKeyword("return");
                    return new ForNode(iterations, ParseExpression());
                }

            case "some" or "every":
                {
                    _pos++;
                    var iterations = ParseIterationContexts();
                    ExpectKeyword("satisfies");
                    return new QuantifiedNode(token.Text == "every", iterations, ParseExpression());
                }

            case "function" when _tokens[_pos + 1] is { Kind: TokenKind.Punct, Text: "(" }:
                {
                    _pos += 2;
                    var parameters = new List<string>();
                    while (!IsPunct(")"))
                    {
                        if (Current.Kind != TokenKind.Name)
                        {
                            throw new FeelSyntaxException("expected a parameter name", Current.Position);
                        }

                        parameters.Add(Current.Text);
                        _pos++;
                        if (IsPunct(":"))
                        {
                            _pos++;
                            ParseTypeName();
                        }

                        if (!IsPunct(","))
                        {
                            break;
                        }

                        _pos++;
                    }

                    Expect(")");
                    return new LambdaNode(parameters, ParseExpression());
                }

            case "not" when _tokens[_pos + 1] is { Kind: TokenKind.Punct, Text: "(" }:
                _pos++;
                return new NameNode("not");
            default:
                _pos++;
                return new NameNode(token.Text);
        }
    }

    private List<(string Name, FeelNode Source, FeelNode? RangeEnd)> ParseIterationContexts()
    {
        var result = new List<(string, FeelNode, FeelNode?)>();
        do
        {
            if (result.Count > 0)
            {
                _pos++;
            }

            if (Current.Kind != TokenKind.Name)
            {
                throw new FeelSyntaxException("expected a variable name", Current.Position);
            }

            var name = Current.Text;
            _pos++;
            ExpectKeyword("in");
            var source = ParseExpression();
            FeelNode? end = null;
            if (IsPunct(".."))
            {
                _pos++;
                end = ParseExpression();
            }

            result.Add((name, source, end));
        }
        while (IsPunct(","));

        return result;
    }

    private FeelNode ParseParenthesisOrRange()
    {
        var open = Current;
        _pos++;
        var first = ParseExpression();
        if (IsPunct(".."))
        {
            _pos++;
            var end = ParseExpression();
            var closeIncluded = IsPunct("]");
            if (!closeIncluded && !IsPunct(")"))
            {
                throw new FeelSyntaxException("expected ')' or ']' to close the range", Current.Position);
            }

            _pos++;
            return new RangeNode(first, false, end, closeIncluded);
        }

        if (!IsPunct(")"))
        {
            throw new FeelSyntaxException($"expected ')' to match '(' at {open.Position}", Current.Position);
        }

        _pos++;
        return first;
    }

    private FeelNode ParseListOrRange()
    {
        _pos++;
        if (IsPunct("]"))
        {
            _pos++;
            return new ListNode([]);
        }

        var first = ParseExpression();
        if (IsPunct(".."))
        {
            _pos++;
            var end = ParseExpression();
            var closeIncluded = IsPunct("]");
            if (!closeIncluded && !IsPunct(")") && !IsPunct("["))
            {
                throw new FeelSyntaxException("expected ']' or ')' to close the range", Current.Position);
            }

            _pos++;
            return new RangeNode(first, true, end, closeIncluded);
        }

        var items = new List<FeelNode> { first };
        while (IsPunct(","))
        {
            _pos++;
            items.Add(ParseExpression());
        }

        Expect("]");
        return new ListNode(items);
    }

    private FeelNode ParseContext()
    {
        _pos++;
        var entries = new List<(string, FeelNode)>();
        while (!IsPunct("}"))
        {
            string key;
            if (Current.Kind is TokenKind.Name or TokenKind.String)
            {
                key = Current.Text;
                _pos++;
                // Keys may be several words: {first name: "A"}.
                while (Current.Kind == TokenKind.Name)
                {
                    key += " " + Current.Text;
                    _pos++;
                }
            }
            else
            {
                throw new FeelSyntaxException("expected a context key", Current.Position);
            }

            Expect(":");
            entries.Add((key, ParseExpression()));
            if (!IsPunct(","))
            {
                break;
            }

            _pos++;
        }

        Expect("}");
        return new ContextNode(entries);
    }
}
