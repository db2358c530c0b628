using System.Collections.Concurrent;

namespace Workflows.Engine.Runtime;

/// <summary>
/// What a stored text parses to, kept by the text's exact content: a pure function of it, so there is nothing to
/// invalidate when the row changes (its new text is another key), and the same few texts (a task's form) are read
/// for every task an agent takes or completes. Bounded: emptied when it holds <paramref name="capacity"/> texts.
/// The values must be immutable: one parse serves every caller.
/// </summary>
internal sealed class ParsedByText<T>(Func<string, T> parse, int capacity = 1_024)
    where T : class
{
    private readonly ConcurrentDictionary<string, T> _parsed = new(StringComparer.Ordinal);

    /// <summary>The text parsed; a text that does not parse throws as <c>parse</c> does, and is not kept.</summary>
    public T Get(string text)
    {
        if (!_parsed.TryGetValue(text, out var value))
        {
            value = parse(text);
            if (_parsed.Count >= capacity)
            {
                _parsed.Clear();
            }

            _parsed[text] = value;
        }

        return value;
    }
}
