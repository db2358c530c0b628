namespace Workflows.Engine.Feel;

/// <summary>Recursive descent over the FEEL grammar (DMN 1.3 §10.3), the documented subset.</summary>
internal sealed partial class FeelParser
{
    private readonly List<Token> _tokens;
    private readonly int _maxDepth;
    private int _pos;
    private int _depth;
    private int _partialReferences;
    private int _inputReferences;

    private FeelParser(List<Token> tokens, int maxDepth)
    {
        _tokens = tokens;
        _maxDepth = maxDepth;
    }

    public static FeelNode Parse(string text, int maxDepth, FeelNames? knownNames = null)
    {
        var parser = new FeelParser(FeelLexer.Tokenize(text, knownNames), maxDepth);
        var node = parser.ParseExpression();
        parser.ExpectEnd();
        return node;
    }

    /// <summary>
    /// Parses unary tests as a decision table's input entry holds them: <c>-</c>, <c>not(…)</c>, or tests separated by commas,
    /// each a comparison (<c>&lt; 5</c>), an interval, or an expression compared with, containing or (when it names <c>?</c>) judging the input.
    /// </summary>
    public static FeelNode ParseUnaryTests(string text, int maxDepth, FeelNames? knownNames = null)
    {
        var parser = new FeelParser(FeelLexer.Tokenize(text, knownNames), maxDepth);
        if (parser.Current.Kind == TokenKind.End || (parser.IsPunct("-") && parser._tokens[1].Kind == TokenKind.End))
        {
            return new AnyTestNode();
        }

        var negated = false;
        if (parser.IsKeyword("not") && parser._tokens[1] is { Kind: TokenKind.Punct, Text: "(" } && parser.ClosesAtEnd(1))
        {
            negated = true;
            parser._pos = 2;
        }

        var tests = new List<FeelNode> { parser.ParseUnaryTest() };
        while (parser.IsPunct(","))
        {
            parser._pos++;
            tests.Add(parser.ParseUnaryTest());
        }

        if (negated)
        {
            parser.Expect(")");
        }

        parser.ExpectEnd();
        var node = new UnaryTestsNode(tests);
        return negated ? new NotTestsNode(node) : node;
    }

    private void ExpectEnd()
    {
        if (Current.Kind != TokenKind.End)
        {
            throw new FeelSyntaxException($"unexpected '{Current.Text}'", Current.Position);
        }
    }

    // Whether the bracket opened at token `open` closes at the last token: not(1, 2) rather than not(x) = y.
    private bool ClosesAtEnd(int open)
    {
        var depth = 0;
        for (var i = open; i < _tokens.Count; i++)
        {
            var t = _tokens[i];
            if (t.Kind == TokenKind.Punct && t.Text is "(" or "[" or "{")
            {
                depth++;
            }
            else if (t.Kind == TokenKind.Punct && t.Text is ")" or "]" or "}")
            {
                depth--;
                if (depth == 0)
                {
                    return _tokens[i + 1].Kind == TokenKind.End;
                }
            }
        }

        return false;
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

    /// <summary>
    /// A type: a name of one or more words (<c>date and time</c>, an item definition's name), or <c>list&lt;T&gt;</c>,
    /// <c>range&lt;T&gt;</c>, <c>context&lt;name: T, …&gt;</c>, <c>function&lt;T, …&gt; -&gt; T</c>.
    /// </summary>
    private FeelType ParseTypeName()
    {
        Nest();
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

        var name = string.Join(' ', words);
        var type = new FeelType(name);
        if (name is "list" or "range" or "context" or "function" && IsPunct("<"))
        {
            _pos++;
            var arguments = new List<FeelType>();
            var fields = new List<(string, FeelType)>();
            while (!IsPunct(">"))
            {
                if (name == "context")
                {
                    var fieldWords = new List<string> { Current.Text };
                    _pos++;
                    while (Current.Kind == TokenKind.Name)
                    {
                        fieldWords.Add(Current.Text);
                        _pos++;
                    }

                    var field = string.Join(' ', fieldWords);

                    Expect(":");
                    fields.Add((field, ParseTypeName()));
                }
                else
                {
                    arguments.Add(ParseTypeName());
                }

                if (!IsPunct(","))
                {
                    break;
                }

                _pos++;
            }

            Expect(">");
            FeelType? result = null;
            if (name == "function" && IsPunct("->"))
            {
                _pos++;
                result = ParseTypeName();
            }

            type = new FeelType(name, arguments, fields, result);
        }

        _depth--;
        return type;
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

        var before = _inputReferences;
        var expression = ParseExpression();
        return new ValueTestNode(expression, referencesInput: _inputReferences > before);
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

                var name = Current.Text;
                _pos++;
                node = new PathNode(node, JoinNameWords(name));
            }
            else if (IsPunct("[") && StartsExpression(_tokens[_pos + 1]))
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

    // After a range's end, "[" closes it ("[1..10[") when no expression follows, rather than opening a filter.
    private static bool StartsExpression(Token token) => token.Kind switch
    {
        TokenKind.End => false,
        TokenKind.Punct => token.Text is "(" or "[" or "{" or "-" or "?" or "<" or "<=" or ">" or ">=" or "]",
        TokenKind.Name => token.Text is not ("and" or "or" or "then" or "else" or "in" or "return" or "satisfies" or "instance" or "between"),
        _ => true,
    };

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
}
