using System.Collections;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Workflows.Engine.Feel;

/// <summary>The result of evaluating FEEL: a value (possibly null) and the warnings that explain a null.</summary>
public readonly record struct FeelResult(object? Value, IReadOnlyList<string> Warnings);

/// <summary>Evaluates FEEL expressions (the documented subset, see <c>docs/feel.md</c>).</summary>
/// <remarks>
/// Numbers are <see cref="decimal"/>, never double. Time comes from the <see cref="TimeProvider"/> given,
/// so <c>now()</c> is deterministic in tests. A leading <c>=</c> (the Camunda 8 marker of an expression)
/// is accepted and ignored.
/// </remarks>
public static class FeelInterpreter
{
    /// <summary>Parses and evaluates <paramref name="expression"/> against <paramref name="context"/>, within the default <see cref="FeelLimits"/>.</summary>
    /// <exception cref="FeelSyntaxException">The expression does not parse.</exception>
    /// <exception cref="FeelLimitExceededException">The evaluation went over a budget of <see cref="FeelLimits.Default"/>.</exception>
    public static FeelResult Evaluate(string expression, IReadOnlyDictionary<string, object?>? context = null, TimeProvider? time = null) =>
        Evaluate(expression, FeelLimits.Default, context, time);

    /// <summary>Parses and evaluates <paramref name="expression"/> against <paramref name="context"/>, within <paramref name="limits"/>.</summary>
    /// <exception cref="FeelSyntaxException">The expression does not parse, or nests deeper than <see cref="FeelLimits.MaxDepth"/>.</exception>
    /// <exception cref="FeelLimitExceededException">The evaluation went over a budget of <paramref name="limits"/>.</exception>
    public static FeelResult Evaluate(string expression, FeelLimits limits, IReadOnlyDictionary<string, object?>? context = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();
        var parsed = FeelExpression.Parse(expression, limits);
        var scope = new FeelContext();
        if (context is not null)
        {
            foreach (var (key, value) in context)
            {
                scope[key] = FeelConvert.FromClr(value);
            }
        }

        return parsed.Evaluate(new ContextScope(scope, null), time ?? TimeProvider.System);
    }
}

/// <summary>A parsed expression, kept in the definition so that each one is parsed once, at deploy.</summary>
internal sealed class FeelExpression
{
    private readonly FeelNode _root;

    private readonly FeelLimits _limits;

    private FeelExpression(string text, FeelNode root, FeelLimits limits)
    {
        Text = text;
        _root = root;
        _limits = limits;
    }

    public string Text { get; }

    /// <summary>Parses an expression; it is evaluated within <paramref name="limits"/> (the defaults when null).</summary>
    public static FeelExpression Parse(string text, FeelLimits? limits = null) => Parse(text, limits, null);

    /// <summary>
    /// Parses an expression whose scope declares <paramref name="knownNames"/>: names of several words or with operator
    /// characters, longest first (see <see cref="FeelLexer.Tokenize(string, FeelNames)"/>).
    /// </summary>
    public static FeelExpression Parse(string text, FeelLimits? limits, FeelNames? knownNames)
    {
        limits ??= FeelLimits.Default;
        var body = text.TrimStart();
        if (body.StartsWith('='))
        {
            body = body[1..];
        }

        if (string.IsNullOrWhiteSpace(body))
        {
            throw new FeelSyntaxException("the expression is empty", 0);
        }

        return new FeelExpression(text, FeelParser.Parse(body, limits.MaxDepth, knownNames), limits);
    }

    /// <summary>Parses unary tests (a decision table's input entry, an item definition's allowed values); empty text or <c>-</c> accepts anything.</summary>
    public static FeelExpression ParseUnaryTests(string text, FeelLimits? limits, FeelNames? knownNames)
    {
        limits ??= FeelLimits.Default;
        return new FeelExpression(text, FeelParser.ParseUnaryTests(text, limits.MaxDepth, knownNames), limits);
    }

    /// <summary>Whether this is the test that accepts anything (<c>-</c>).</summary>
    public bool IsAnyTest => _root is AnyTestNode;

    /// <summary>The position of the first of these unary tests the input (<c>?</c> in <paramref name="scope"/>) satisfies; -1 when none does.</summary>
    internal int IndexOfTest(FeelEvaluator evaluator, IFeelScope scope)
    {
        if (_root is not UnaryTestsNode tests)
        {
            return _root.Evaluate(evaluator, scope) is true ? 0 : -1;
        }

        for (var i = 0; i < tests.Tests.Count; i++)
        {
            if (tests.Tests[i].Evaluate(evaluator, scope) is true)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Evaluates within an evaluation already under way (a decision's), sharing its budgets and warnings.</summary>
    internal object? Evaluate(FeelEvaluator evaluator, IFeelScope scope) => _root.Evaluate(evaluator, scope);

    /// <summary>The variable the expression is, when it is nothing but a name (<c>=customerId</c>); null otherwise.</summary>
    public string? VariableName => _root is NameNode name ? name.Name : null;

    /// <exception cref="FeelLimitExceededException">The evaluation went over a budget; nothing it computed is used.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> was cancelled while it ran (its instance ended).</exception>
    public FeelResult Evaluate(IFeelScope scope, TimeProvider time, CancellationToken cancellation = default)
    {
        var evaluator = new FeelEvaluator(time, _limits, cancellation);
        try
        {
            var value = _root.Evaluate(evaluator, scope);
            return new FeelResult(value, evaluator.Warnings);
        }
        catch (RegexMatchTimeoutException)
        {
            throw new FeelLimitExceededException(nameof(FeelLimits.RegexTimeout), _limits.RegexTimeout,
                $"a regular expression ran longer than {_limits.RegexTimeout.TotalMilliseconds:N0} ms");
        }
        catch (Exception e) when (e is ArithmeticException or ArgumentException or FormatException or InvalidCastException or IndexOutOfRangeException)
        {
            // FEEL does not throw at run time: a value out of range (a date beyond year 9999, a scale of 40
            // digits) is null with a warning, as a type error is, wherever in the built-ins it arises.
            return new FeelResult(null, [.. evaluator.Warnings, $"the evaluation failed: {e.Message}"]);
        }
    }

    public override string ToString() => Text;
}

/// <summary>Turns CLR and JSON values into FEEL values, and back into JSON-friendly CLR values.</summary>
public static class FeelConvert
{
    /// <summary>
    /// Normalises a CLR value: integers and floating point become <see cref="decimal"/>, dictionaries
    /// become <see cref="FeelContext"/>, sequences become lists, <see cref="JsonElement"/> is unpacked.
    /// </summary>
    /// <exception cref="ArgumentException">The value has no FEEL equivalent.</exception>
    public static object? FromClr(object? value) => value switch
    {
        null => null,
        decimal or string or bool or DateOnly or FeelTime or FeelDateTime or TimeSpan or FeelYearMonthDuration or FeelContext => value,
        FeelRange or FeelFunction => value, // FEEL's own values, as a decision or an expression gave them
        int i => (decimal)i,
        long l => (decimal)l,
        short s => (decimal)s,
        byte b => (decimal)b,
        uint u => (decimal)u,
        ulong u => (decimal)u,
        double d => ToDecimal(d),
        float f => ToDecimal(f),
        char c => c.ToString(),
        Guid g => g.ToString(),
        Enum e => e.ToString(),
        DateTimeOffset o => FeelDateTime.FromInstant(o),
        DateTime dt => dt.Kind == DateTimeKind.Utc ? new FeelDateTime(dt, TimeSpan.Zero, null) : new FeelDateTime(dt, null, null),
        TimeOnly t => new FeelTime(t, null),
        JsonElement json => FromJson(json),
        List<object?> list => NormaliseList(list),
        IDictionary dictionary => FromDictionary(dictionary),
        IEnumerable<KeyValuePair<string, object?>> pairs => FromPairs(pairs),
        IEnumerable sequence => NormaliseList(sequence.Cast<object?>()),
        _ => throw new ArgumentException($"a value of type {value.GetType().Name} has no FEEL equivalent", nameof(value)),
    };

    /// <summary>
    /// A value as a variable keeps it: a range or a function (anywhere inside) becomes the text the store writes for it,
    /// so that a variable has the same type within the command that set it as after it is committed.
    /// </summary>
    internal static object? Storable(object? value)
    {
        switch (value)
        {
            case FeelRange or FeelFunction:
                return FeelValue.ToFeelString(value);
            case List<object?> list when list.Exists(NeedsText):
                return list.ConvertAll(Storable);
            case FeelContext context when NeedsText(context):
                var copy = new FeelContext();
                foreach (var (key, item) in context)
                {
                    copy[key] = Storable(item);
                }

                return copy;
            default:
                return value;
        }
    }

    private static bool NeedsText(object? value)
    {
        switch (value)
        {
            case FeelRange or FeelFunction:
                return true;
            case List<object?> list:
                return list.Exists(NeedsText);
            case FeelContext context:
                foreach (var (_, item) in context)
                {
                    if (NeedsText(item))
                    {
                        return true;
                    }
                }

                return false;
            default:
                return false;
        }
    }

    /// <summary>Reads a JSON value: numbers as decimal, objects as contexts.</summary>
    /// <exception cref="ArgumentException">
    /// A number is beyond what a decimal holds (about ±7.9e28), such as 1e300; or a text or name holds an escaped
    /// unpaired surrogate (<c>"\ud800"</c>), which is no Unicode text.
    /// </exception>
    public static object? FromJson(JsonElement json)
    {
        switch (json.ValueKind)
        {
            case JsonValueKind.Null or JsonValueKind.Undefined:
                return null;
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            case JsonValueKind.String:
                return Text(json);
            case JsonValueKind.Number:
                // Tiny values (1e-300) round to zero; huge ones have no decimal and are refused.
                return json.TryGetDecimal(out var d) ? d : ToDecimal(json.GetDouble());
            case JsonValueKind.Array:
                var list = new List<object?>(json.GetArrayLength());
                foreach (var item in json.EnumerateArray())
                {
                    list.Add(FromJson(item));
                }

                return list;
            default:
                var context = new FeelContext();
                foreach (var property in json.EnumerateObject())
                {
                    context[Name(json, property)] = FromJson(property.Value);
                }

                return context;
        }
    }

    // Two readers rather than one taking a lambda: a lambda capturing the JSON value would cost every value read a closure.
    private static string? Text(JsonElement json)
    {
        try
        {
            return json.GetString();
        }
        catch (InvalidOperationException e)
        {
            throw UnpairedSurrogate(json, e);
        }
    }

    private static string Name(JsonElement json, JsonProperty property)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException e)
        {
            throw UnpairedSurrogate(json, e);
        }
    }

    private static ArgumentException UnpairedSurrogate(JsonElement json, InvalidOperationException e) =>
        new($"the text {(json.GetRawText() is { Length: > 40 } raw ? raw[..37] + "..." : json.GetRawText())} holds an unpaired surrogate (\\uD800-\\uDFFF), which is no Unicode text", nameof(json), e);

    // JSON holds Unicode text only: an unpaired surrogate (a FEEL substring that cut a pair, say) is written as U+FFFD,
    // as any UTF-8 encoder does, instead of failing the write of a whole instance.
    private static string Unicode(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                var chars = text.ToCharArray();
                for (var j = i; j < chars.Length; j++)
                {
                    if (char.IsHighSurrogate(chars[j]) && j + 1 < chars.Length && char.IsLowSurrogate(chars[j + 1]))
                    {
                        j++;
                    }
                    else if (char.IsSurrogate(chars[j]))
                    {
                        chars[j] = '\uFFFD';
                    }
                }

                return new string(chars);
            }
        }

        return text;
    }

    /// <summary>
    /// Writes a FEEL value as JSON. Temporal values become ISO 8601 strings, as Camunda 8 stores them,
    /// so variables always round-trip through any store as plain JSON.
    /// </summary>
    public static void WriteJson(Utf8JsonWriter writer, object? value) => WriteJson(writer, value, long.MaxValue);

    /// <summary>
    /// Writes a FEEL value as JSON while the writer has taken no more than <paramref name="maxBytes"/> in all; false when it
    /// stopped there, the JSON unfinished. A value may share one large list many times: it is written no further than
    /// the caller keeps (review10-18 F5).
    /// </summary>
    internal static bool WriteJson(Utf8JsonWriter writer, object? value, long maxBytes)
    {
        if (writer.BytesCommitted + writer.BytesPending > maxBytes)
        {
            return false;
        }

        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case decimal d:
                writer.WriteNumberValue(d);
                break;
            case string s:
                writer.WriteStringValue(Unicode(s));
                break;
            case List<object?> list:
                writer.WriteStartArray();
                foreach (var item in list)
                {
                    if (!WriteJson(writer, item, maxBytes))
                    {
                        return false;
                    }
                }

                writer.WriteEndArray();
                break;
            case FeelContext context:
                writer.WriteStartObject();
                foreach (var (key, item) in context)
                {
                    writer.WritePropertyName(Unicode(key));
                    if (!WriteJson(writer, item, maxBytes))
                    {
                        return false;
                    }
                }

                writer.WriteEndObject();
                break;
            default:
                writer.WriteStringValue(FeelValue.ToFeelString(value));
                break;
        }

        return writer.BytesCommitted + writer.BytesPending <= maxBytes;
    }

    /// <summary>A FEEL value as JSON text.</summary>
    public static string ToJson(object? value) => ToJson(value, long.MaxValue)!;

    /// <summary>
    /// Whether a context surely takes no more than <paramref name="maxBytes"/> as JSON, bounded without writing it: a name or
    /// a text takes at most 6 bytes a UTF-16 character (escaped), a number, a flag or null at most 64. False when it may
    /// take more or holds any other value: then <see cref="JsonByteCount"/> measures it.
    /// </summary>
    internal static bool SurelyWithinJson(FeelContext context, long maxBytes)
    {
        long bound = 2;
        foreach (var (name, value) in context)
        {
            bound += (name.Length * 6L) + 4 + value switch
            {
                null or bool or decimal => 64,
                string text => (text.Length * 6L) + 2,
                _ => maxBytes + 1,
            };
            if (bound > maxBytes)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The UTF-8 bytes a FEEL value takes as the JSON <see cref="ToJson(object?)"/> writes, counted without making its text.</summary>
    internal static long JsonByteCount(object? value)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteJson(writer, value);
        }

        return buffer.WrittenCount;
    }

    /// <summary>A FEEL value as JSON text of at most <paramref name="maxBytes"/> UTF-8 bytes; null when it would be longer (written no further).</summary>
    internal static string? ToJson(object? value, long maxBytes)
    {
        using var buffer = new MemoryStream();
        bool complete;
        using (var writer = new Utf8JsonWriter(buffer))
        {
            complete = WriteJson(writer, value, maxBytes);
        }

        return complete ? System.Text.Encoding.UTF8.GetString(buffer.ToArray()) : null;
    }

    internal static decimal ToDecimal(double value) =>
        double.IsFinite(value) && Math.Abs(value) < 7.9e28
            ? (decimal)value
            : throw new ArgumentException($"the number {value.ToString(System.Globalization.CultureInfo.InvariantCulture)} is beyond the range of FEEL numbers (decimal, about ±7.9e28)", nameof(value));

    private static List<object?> NormaliseList(IEnumerable<object?> items)
    {
        var list = new List<object?>();
        foreach (var item in items)
        {
            list.Add(FromClr(item));
        }

        return list;
    }

    private static FeelContext FromDictionary(IDictionary dictionary)
    {
        var context = new FeelContext(dictionary.Count);
        foreach (DictionaryEntry entry in dictionary)
        {
            context[entry.Key.ToString() ?? ""] = FromClr(entry.Value);
        }

        return context;
    }

    private static FeelContext FromPairs(IEnumerable<KeyValuePair<string, object?>> pairs)
    {
        var context = new FeelContext();
        foreach (var (key, value) in pairs)
        {
            context[key] = FromClr(value);
        }

        return context;
    }
}
