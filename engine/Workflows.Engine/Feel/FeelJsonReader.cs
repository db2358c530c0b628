using System.Text;
using System.Text.Json;

namespace Workflows.Engine.Feel;

/// <summary>
/// Reads FEEL values straight from UTF-8 JSON, token by token: the values <see cref="FeelConvert.FromJson"/> gives for
/// the same JSON parsed into a document, without the document (its metadata rows, its pooled buffers, a second walk).
/// An instance's state is read this way on every command.
/// </summary>
internal static class FeelJsonReader
{
    // Booleans boxed once: a state holds many flags, and a box per read is garbage per command.
    private static readonly object s_true = true;
    private static readonly object s_false = false;

    /// <summary>
    /// The value whose first token <paramref name="reader"/> is on (numbers as decimal, objects as contexts), leaving the
    /// reader on its last token. <paramref name="json"/> is the whole text the reader reads, for naming a value in an error.
    /// </summary>
    /// <exception cref="ArgumentException">As <see cref="FeelConvert.FromJson"/>: a number beyond a decimal, or an unpaired surrogate.</exception>
    public static object? ReadValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> json) => ReadValue(ref reader, json, InsideAValue);

    // variable: the top-level variable being read (named when one of its objects gives a name twice), InsideAValue for a
    // value read on its own, or null while reading an object of variables (its members are the variables).
    private static object? ReadValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, string variable)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.True:
                return s_true;
            case JsonTokenType.False:
                return s_false;
            case JsonTokenType.String:
                return Text(ref reader);
            case JsonTokenType.Number:
                // Tiny values (1e-300) round to zero; huge ones have no decimal and are refused.
                return reader.TryGetDecimal(out var d) ? d : FeelConvert.ToDecimal(reader.GetDouble());
            case JsonTokenType.StartArray:
                var list = new List<object?>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    list.Add(ReadValue(ref reader, json, variable));
                }

                return list;
            case JsonTokenType.StartObject:
                return ReadContext(ref reader, json, variable);
            default:
                throw new JsonException($"a {reader.TokenType} token where a value belongs");
        }
    }

    /// <summary>The object of variables <paramref name="reader"/> is on, as a context; the reader is left on its end.</summary>
    /// <exception cref="InvalidDataException">A name given twice in the object or in an object inside one of its values.</exception>
    public static FeelContext ReadContext(ref Utf8JsonReader reader, ReadOnlySpan<byte> json) => ReadContext(ref reader, json, null);

    private static FeelContext ReadContext(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, string? variable)
    {
        var start = reader.TokenStartIndex;
        var context = new FeelContext();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string name;
            try
            {
                name = reader.GetString()!;
            }
            catch (InvalidOperationException e)
            {
                throw UnpairedSurrogate(RawText(json, start), e);
            }

            reader.Read();
            var count = context.Count;
            context[name] = ReadValue(ref reader, json, variable ?? name);
            if (context.Count == count)
            {
                // Kept as it came, the first value would be dropped unseen (and written back without it by the next command).
                throw Repeated(name, variable, start);
            }
        }

        return context;
    }

    /// <summary>The JSON text of the value that starts at <paramref name="start"/>, as <see cref="JsonElement.GetRawText"/> gives it.</summary>
    public static string RawText(ReadOnlySpan<byte> json, long start)
    {
        var value = json[(int)start..];
        var reader = new Utf8JsonReader(value, new JsonReaderOptions { MaxDepth = ExecutionLimits.MaxStoredJsonDepth });
        reader.Read();
        reader.Skip();
        return Encoding.UTF8.GetString(value[..(int)reader.BytesConsumed]);
    }

    private static string Text(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            throw UnpairedSurrogate("\"" + Encoding.UTF8.GetString(reader.ValueSpan) + "\"", e);
        }
    }

    private const string InsideAValue = "";

    // One reason, the name once and never a value (a state's values are a case's data, and the reason reaches logs,
    // incidents and problem details); the byte tells where in the stored text to look.
    private static InvalidDataException Repeated(string name, string? variable, long start) => variable switch
    {
        null => new($"variable {Quoted(name)} is given twice in one object of variables (at byte {start + 1}); it is refused rather than one of its values dropped"),
        InsideAValue => new($"an object inside a value gives the name {Quoted(name)} twice (at byte {start + 1}); it is refused rather than one of its values dropped"),
        _ => new($"variable {Quoted(variable)} holds an object that gives the name {Quoted(name)} twice (at byte {start + 1}); it is refused rather than one of its values dropped"),
    };

    // At most 40 characters, and a control character (a line break would forge a line of the log) as its escape.
    private static string Quoted(string name)
    {
        var shown = new StringBuilder("'");
        foreach (var c in name.Length > 40 ? name[..37] : name)
        {
            _ = char.IsControl(c) ? shown.Append("\\u").Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture)) : shown.Append(c);
        }

        return shown.Append(name.Length > 40 ? "...'" : "'").ToString();
    }

    // Worded as FeelConvert.FromJson words it, so that a state read either way is refused the same.
    private static ArgumentException UnpairedSurrogate(string json, InvalidOperationException e) =>
        new($"the text {(json is { Length: > 40 } ? json[..37] + "..." : json)} holds an unpaired surrogate (\\uD800-\\uDFFF), which is no Unicode text", nameof(json), e);
}
