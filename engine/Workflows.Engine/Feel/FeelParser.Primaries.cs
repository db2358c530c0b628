using System.Globalization;

namespace Workflows.Engine.Feel;

/// <summary>The primaries of the grammar: literals, names and keywords, iterations, parentheses, lists, ranges and contexts.</summary>
internal sealed partial class FeelParser
{
    private FeelNode ParsePrimary()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.Number:
                _pos++;
                return decimal.TryParse(token.Text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var number)
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
            case TokenKind.Punct when token.Text == "]":
                return ParseOpenStartRange();
            case TokenKind.Punct when token.Text == "[":
                return ParseListOrRange();
            case TokenKind.Punct when token.Text == "{":
                return ParseContext();
            case TokenKind.Punct when token.Text == "?":
                _pos++;
                _inputReferences++;
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
                    var before = _partialReferences;
                    var body = ParseExpression();
                    return new ForNode(iterations, body, usesPartial: _partialReferences > before);
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
                    if (IsKeyword("external"))
                    {
                        _pos++;
                        return new ExternalFunctionNode(parameters, ParseExpression());
                    }

                    return new LambdaNode(parameters, ParseExpression());
                }

            case "not" when _tokens[_pos + 1] is { Kind: TokenKind.Punct, Text: "(" }:
                _pos++;
                return new NameNode("not");
            default:
                _pos++;
                if (token.Text == "partial")
                {
                    _partialReferences++;
                }

                if (token.Text == "?")
                {
                    _inputReferences++;
                    return new NameNode("?");
                }

                return new NameNode(JoinNameWords(token.Text));
        }
    }

    // Words that end a name: a name of several words ("Monthly Income") is read as one up to the next keyword.
    private static readonly HashSet<string> s_nameStops =
        ["and", "or", "in", "instance", "between", "then", "else", "return", "satisfies", "for", "some", "every", "if", "function", "true", "false", "null"];

    // The words are joined once: adding them one by one to a string copied it at every word, quadratic in a long run of
    // words (40,000 took seconds; review10-18 F6).
    private string JoinNameWords(string first)
    {
        List<string>? words = null;
        while (Current.Kind == TokenKind.Name && !s_nameStops.Contains(Current.Text) && Current.Text != "?"
            && _tokens[_pos + 1] is not { Kind: TokenKind.Punct, Text: ":" })
        {
            (words ??= [first]).Add(Current.Text);
            _pos++;
        }

        return words is null ? first : string.Join(' ', words);
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

    // "]1..10]": a range whose start is excluded, in the ISO notation.
    private FeelNode ParseOpenStartRange()
    {
        _pos++;
        var first = ParseExpression();
        Expect("..");
        var end = ParseExpression();
        var closeIncluded = IsPunct("]");
        if (!closeIncluded && !IsPunct(")") && !IsPunct("["))
        {
            throw new FeelSyntaxException("expected ']', '[' or ')' to close the range", Current.Position);
        }

        _pos++;
        return new RangeNode(first, false, end, closeIncluded);
    }

    private FeelNode ParseParenthesisOrRange()
    {
        var open = Current;
        _pos++;

        // "(< 10)": a range made from a unary comparison.
        if (Current.Kind == TokenKind.Punct && Current.Text is "<" or "<=" or ">" or ">=" or "=" or "!=")
        {
            var op = Current.Text;
            _pos++;
            var operand = ParseAdditive();
            Expect(")");
            return new ComparisonRangeNode(op, operand);
        }

        var first = ParseExpression();
        if (IsPunct(".."))
        {
            _pos++;
            var end = ParseExpression();
            var closeIncluded = IsPunct("]");
            if (!closeIncluded && !IsPunct(")") && !IsPunct("["))
            {
                throw new FeelSyntaxException("expected ')', '[' or ']' to close the range", Current.Position);
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
                var words = new List<string> { Current.Text };
                _pos++;

                // Keys may be several words: {first name: "A"}; joined once, not copied at every word.
                while (Current.Kind == TokenKind.Name)
                {
                    words.Add(Current.Text);
                    _pos++;
                }

                key = string.Join(' ', words);
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
