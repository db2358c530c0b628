using System.Text.Json;
using System.Text.Unicode;
using Workflows.Engine.Feel;

namespace Workflows.Engine.Runtime;

/// <summary>
/// An object of variables kept as the stored JSON it was read from, read into a <see cref="FeelContext"/> when a command
/// first asks for it: a command that runs no token and reads no variable (a claim, an unclaim, a delegation, a move, a
/// comment) never pays for it. A claim's state read spent a fifth of its samples building the variables (round 18).
/// </summary>
/// <remarks>
/// Kept only for an object <see cref="TryKeep"/> checked first: one that <see cref="FeelJsonReader.ReadContext(ref Utf8JsonReader, ReadOnlySpan{byte})"/> reads
/// without an error, so that a state refused when read whole is refused when read this way too, with the same words (any
/// doubt and the caller reads the object whole, which throws as it always did), and the later read cannot fail.
/// </remarks>
internal sealed class StoredVariables
{
    // A name compared byte for byte with the others of its object costs more than a dictionary past a few dozen: such an
    // object is read whole at once instead.
    private const int MostNamesCompared = 64;

    private static readonly JsonReaderOptions s_readerOptions = new() { MaxDepth = ExecutionLimits.MaxStoredJsonDepth };

    private readonly byte[] _json;
    private readonly int _start;
    private readonly int _length;
    private FeelContext? _read;

    private StoredVariables(byte[] json, int start, int length) => (_json, _start, _length) = (json, start, length);

    /// <summary>Whether the variables were read into a context (for tests).</summary>
    internal bool IsRead => _read is not null;

    /// <summary>The variables, read on the first call (and the same context on every other).</summary>
    public FeelContext Read()
    {
        return _read ??= ReadApart();
    }

    /// <summary>The variables as stored, read into a context of their own (not the one <see cref="Read"/> gives, which a command may change).</summary>
    public FeelContext ReadApart()
    {
        ReadOnlySpan<byte> json = _json.AsSpan(_start, _length);
        var reader = new Utf8JsonReader(json, s_readerOptions);
        reader.Read();
        return FeelJsonReader.ReadContext(ref reader, json);
    }

    /// <summary>
    /// The object of variables <paramref name="reader"/> is on, kept unread with the reader moved to its end; or null, with
    /// the reader where it was, when the object holds what only reading it whole can judge (an escaped name, a number
    /// beyond a decimal, an escaped surrogate, many names): the caller then reads it whole.
    /// </summary>
    public static StoredVariables? TryKeep(ref Utf8JsonReader reader, byte[] json)
    {
        var start = (int)reader.TokenStartIndex;
        var scan = reader;
        var names = t_names ??= [];
        names.Clear();
        if (!Readable(ref scan, json, names))
        {
            return null;
        }

        reader = scan;
        return new StoredVariables(json, start, (int)reader.BytesConsumed - start);
    }

    [ThreadStatic]
    private static List<(int Start, int Length)>? t_names;

    // Whether ReadContext would read the object the reader is on without an error (false when unsure); the reader is left
    // on the object's end. names: the unescaped names of the objects being walked, those of the innermost last.
    private static bool Readable(ref Utf8JsonReader reader, byte[] json, List<(int Start, int Length)> names)
    {
        var first = names.Count;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // An unescaped name is its bytes, which the reader does not check are UTF-8: the whole read's transcoding does
            // (review 19 F3), so a name that is not is left to it.
            if (reader.ValueIsEscaped || names.Count - first >= MostNamesCompared || !Utf8.IsValid(reader.ValueSpan))
            {
                return false;
            }

            var name = reader.ValueSpan;
            for (var i = first; i < names.Count; i++)
            {
                if (names[i].Length == name.Length && json.AsSpan(names[i].Start, names[i].Length).SequenceEqual(name))
                {
                    return false; // a name given twice: refused by the whole read, in its words
                }
            }

            names.Add(((int)reader.TokenStartIndex + 1, name.Length)); // after the opening quote: an unescaped name is its bytes
            reader.Read();
            if (!ReadableValue(ref reader, json, names))
            {
                return false;
            }
        }

        names.RemoveRange(first, names.Count - first);
        return true;
    }

    private static bool ReadableValue(ref Utf8JsonReader reader, byte[] json, List<(int Start, int Length)> names)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                // The raw text's bytes must be UTF-8 (escapes are ASCII, so an escaped text is checked as it stands: review 19 F3).
                return Utf8.IsValid(reader.ValueSpan) && (!reader.ValueIsEscaped || !EscapesSurrogate(reader.ValueSpan));
            case JsonTokenType.Number:
                return reader.TryGetDecimal(out _); // beyond a decimal: FeelConvert judges (rounds to zero, or refuses)
            case JsonTokenType.StartArray:
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (!ReadableValue(ref reader, json, names))
                    {
                        return false;
                    }
                }

                return true;
            case JsonTokenType.StartObject:
                return Readable(ref reader, json, names);
            default:
                return reader.TokenType is JsonTokenType.Null or JsonTokenType.True or JsonTokenType.False;
        }
    }

    // Whether an escaped text holds a \uD800-\uDFFF escape: a surrogate can only come from an escape (the reader refuses
    // UTF-8 that encodes one), and a pair is as rare as a lone one in a case's data, so either sends the text to the whole read.
    private static bool EscapesSurrogate(ReadOnlySpan<byte> text)
    {
        for (var at = text.IndexOf((byte)'\\'); at >= 0 && at + 1 < text.Length; at = NextEscape(text, at))
        {
            if (text[at + 1] == 'u' && at + 3 < text.Length && (text[at + 2] | 0x20) == 'd' && text[at + 3] is (byte)'8' or (byte)'9' or (>= (byte)'a' and <= (byte)'f') or (>= (byte)'A' and <= (byte)'F'))
            {
                return true;
            }
        }

        return false;
    }

    // The next backslash after the escape at `at` (an escaped backslash is two bytes: its second is no escape's start).
    private static int NextEscape(ReadOnlySpan<byte> text, int at)
    {
        var from = at + 2;
        if (from >= text.Length)
        {
            return -1;
        }

        var next = text[from..].IndexOf((byte)'\\');
        return next < 0 ? -1 : from + next;
    }
}
