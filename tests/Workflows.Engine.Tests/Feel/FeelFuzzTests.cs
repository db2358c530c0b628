using System.Text.Json;
using CsCheck;
using Workflows.Engine.Feel;

namespace Workflows.Engine.Tests.Feel;

/// <summary>
/// Random and mutated FEEL never crashes the evaluator: it parses or fails with <see cref="FeelSyntaxException"/>,
/// evaluates or fails with <see cref="FeelLimitExceededException"/>, and no case runs for long.
/// </summary>
public sealed class FeelFuzzTests
{
    // Tighter than the defaults so that each case is quick; the budgets' behaviour is the same.
    private static readonly FeelLimits s_limits = new() { MaxSteps = 200_000, MaxCollectionSize = 20_000, MaxStringLength = 200_000, RegexTimeout = TimeSpan.FromMilliseconds(50) };

    private static readonly string[] s_names = ["a", "b", "s", "l", "ctx", "d", "missing", "item", "?"];

    private static readonly string[] s_functions =
    [
        "string", "number", "not", "is defined", "string length", "upper case", "substring", "substring before", "contains",
        "matches", "replace", "split", "string join", "decimal", "floor", "ceiling", "round up", "abs", "modulo", "sqrt", "log",
        "exp", "odd", "list contains", "count", "min", "max", "sum", "mean", "median", "product", "all", "any", "sublist",
        "append", "concatenate", "insert before", "remove", "reverse", "index of", "union", "distinct values",
        "duplicate values", "flatten", "sort", "get value", "get entries", "context put", "context merge", "date", "time",
        "date and time", "duration", "years and months duration", "now", "today", "day of week", "week of year",
        "last day of month", "cycle",
    ];

    private static readonly string[] s_literals =
    [
        "0", "1", "-1", "2.5", "1000000", "99999999999999999999999999", "0.000000000000000000000001", "\"\"", "\"abc\"",
        "\"a\\\"b\"", "\"\\u00e9\"", "true", "false", "null", "[]", "{}", "@\"2024-02-29\"", "@\"10:30:00@Europe/Paris\"",
        "@\"2024-01-01T00:00:00Z\"", "@\"P1Y2M\"", "@\"-PT5M\"", "@\"P10675199D\"", "date(\"9999-12-31\")",
        "\"^(a+)+$\"", "\"[\"", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\"",
    ];

    private static readonly string[] s_binary = ["+", "-", "*", "/", "**", "=", "!=", "<", "<=", ">", ">=", "and", "or"];

    private static readonly string[] s_tokens =
    [
        .. s_names, .. s_literals, .. s_binary, "(", ")", "[", "]", "{", "}", ",", ".", "..", ":", "if", "then", "else", "for",
        "in", "return", "some", "every", "satisfies", "function", "between", "instance of", "not", "@", "\"", "`", "//", "/*", "-",
        "string length(", "date and time(", "1..", "x", "item", "partial",
    ];

    private static readonly Gen<string> s_atom = Gen.OneOf(
        Gen.OneOf(s_literals),
        Gen.OneOf(s_names),
        Gen.Int[-1000, 1000].Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    // Built level by level, so that an expression nests at most five deep and generation itself never recurses far.
    private static readonly Gen<string> s_expression = Enumerable.Range(0, 5).Aggregate(s_atom, (expr, _) => Gen.Frequency(
        (4, s_atom),
        (3, from l in expr from op in Gen.OneOf(s_binary) from r in expr select $"{l} {op} {r}"),
        (1, from e in expr select $"-({e})"),
        (1, from c in expr from t in expr from f in expr select $"if {c} then {t} else {f}"),
        (1, from items in expr.Array[0, 4] select $"[{string.Join(", ", items)}]"),
        (1, from v in expr from w in expr select $"{{x: {v}, y: {w}}}"),
        (1, from f in Gen.OneOf(s_functions) from args in expr.Array[0, 3] select $"{f}({string.Join(", ", args)})"),
        (1, from lo in expr from hi in expr from body in expr select $"for x in {lo}..{hi} return {body}"),
        (1, from list in expr from cond in expr select $"some x in {list} satisfies {cond}"),
        (1, from list in expr from filter in expr select $"({list})[{filter}]"),
        (1, from target in expr from name in Gen.OneOf("x", "year", "days", "start", "a b") select $"({target}).{name}"),
        (1, from v in expr from lo in expr from hi in expr select $"{v} between {lo} and {hi}"),
        (1, from v in expr from tests in expr.Array[1, 3] select $"{v} in ({string.Join(", ", tests)})"),
        (1, from v in expr select $"{v} instance of number"),
        (1, from body in expr from arg in expr select $"(function(x) {body})({arg})")));

    // Values the generated names resolve to: every FEEL type, empty and odd ones included.
    private static readonly Gen<object?> s_value = Gen.OneOf<object?>(
        Gen.Bool.Select(_ => (object?)null),
        Gen.Bool.Select(b => (object?)b),
        Gen.Decimal.Select(d => (object?)d),
        Gen.Int.Select(i => (object?)i),
        Gen.String.Select(s => (object?)s),
        Gen.Int[0, 50].Select(n => (object?)Enumerable.Range(0, n).Select(i => (object?)i).ToList()),
        Gen.DateOnly.Select(d => (object?)d),
        Gen.Const<object?>(new Dictionary<string, object?> { ["x"] = 1, ["y"] = "two", ["a b"] = null }));

    private static readonly Gen<Dictionary<string, object?>> s_context =
        from values in s_value.Array[s_names.Length - 2]
        select s_names.Take(s_names.Length - 2).Zip(values).ToDictionary(p => p.First, p => p.Second);

    private static void EvaluateSafely(string expression, Dictionary<string, object?>? context) =>
        Fuzzing.Timed(expression, () =>
        {
            try
            {
                var result = FeelInterpreter.Evaluate(expression, s_limits, context);
                _ = FeelValue.ToDisplayString(result.Value);
            }
            catch (Exception e) when (e is FeelSyntaxException or FeelLimitExceededException)
            {
                // documented outcomes
            }
        });

    [Test]
    public void Random_expressions_from_the_grammar_evaluate_or_fail_only_with_the_documented_exceptions() =>
        Assert.DoesNotThrow(() => s_expression.Select(s_context).Sample(
            (expression, context) => EvaluateSafely(expression, context),
            iter: Fuzzing.Iterations(1500), threads: 1, print: t => Fuzzing.Shorten(t.Item1)));

    [Test]
    public void Random_token_soup_parses_or_is_a_syntax_error() =>
        Assert.DoesNotThrow(() => Gen.OneOf(s_tokens).Array[0, 40].Select(tokens => string.Join(" ", tokens)).Sample(
            expression => EvaluateSafely(expression, null),
            iter: Fuzzing.Iterations(1500), threads: 1, print: Fuzzing.Shorten));

    [Test]
    public void Random_text_parses_or_is_a_syntax_error() =>
        Assert.DoesNotThrow(() => Gen.String.Sample(expression => EvaluateSafely(expression, null), iter: Fuzzing.Iterations(1000), threads: 1, print: Fuzzing.Shorten));

    [Test]
    public void Mutated_reference_expressions_evaluate_or_fail_only_with_the_documented_exceptions()
    {
        var corpus = Corpus();
        var mutation = from index in Gen.Int[0, corpus.Count - 1]
                       from position in Gen.Int[0, 1000]
                       from kind in Gen.Int[0, 3]
                       from token in Gen.OneOf(s_tokens)
                       select Mutate(corpus[index], position, kind, token);

        Assert.DoesNotThrow(() => mutation.Sample(expression => EvaluateSafely(expression, null), iter: Fuzzing.Iterations(1500), threads: 1, print: Fuzzing.Shorten));
    }

    [Test]
    public void A_lone_question_mark_is_read_as_a_name_instead_of_looping_in_the_lexer() =>
        Assert.That(FeelInterpreter.Evaluate("(function(x) ?)(2)").Value, Is.Null);

    [Test]
    public void A_for_body_returning_partial_gets_a_copy_so_no_list_contains_itself() =>
        Assert.That(FeelValue.ToDisplayString(FeelInterpreter.Evaluate("for x in 1..3 return partial").Value), Is.EqualTo("[[], [[]], [[], [[]]]]"));

    private static string Mutate(string text, int position, int kind, string token)
    {
        var at = text.Length == 0 ? 0 : position % (text.Length + 1);
        return kind switch
        {
            0 => text.Insert(at, " " + token + " "),
            1 when at < text.Length => text.Remove(at, Math.Min(1 + (position % 7), text.Length - at)),
            2 => text[..at] + text[at..] + text[..at], // a repeated prefix
            _ => at < text.Length ? text.Remove(at, 1).Insert(at, token[..1]) : text + token,
        };
    }

    private static List<string> Corpus()
    {
        var path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Feel", "Corpus", "feel-corpus.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return [.. Expressions(document.RootElement).Distinct(StringComparer.Ordinal)];

        static IEnumerable<string> Expressions(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray().SelectMany(Expressions))
                    {
                        yield return item;
                    }

                    break;
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        if (property.Name == "expression" && property.Value.ValueKind == JsonValueKind.String)
                        {
                            yield return property.Value.GetString()!;
                        }
                        else
                        {
                            foreach (var item in Expressions(property.Value))
                            {
                                yield return item;
                            }
                        }
                    }

                    break;
            }
        }
    }
}
