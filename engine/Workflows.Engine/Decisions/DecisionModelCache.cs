using Workflows.Engine.Feel;

namespace Workflows.Engine.Decisions;

/// <summary>
/// The parsed models of deployed decision versions, least recently used dropped first, bounded by the size of their
/// documents as well as their number: a parsed table holds about twenty times its XML (a 1.4 MB table of 12,000 rules
/// keeps 28 MB), so a count alone let a few large tables hold gigabytes.
/// </summary>
internal sealed class DecisionModelCache(long maxCharacters, int maxEntries)
{
    private readonly object _gate = new();
    private readonly Dictionary<(Guid Id, FeelLimits Limits), LinkedListNode<Entry>> _entries = [];
    private readonly LinkedList<Entry> _recent = new(); // most recently used first
    private long _characters;

    /// <summary>The characters of DMN the cached models were read from.</summary>
    public long Characters
    {
        get
        {
            lock (_gate)
            {
                return _characters;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    public bool TryGet(Guid id, FeelLimits limits, out DecisionModel model)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue((id, limits), out var node))
            {
                _recent.Remove(node);
                _recent.AddFirst(node);
                model = node.Value.Model;
                return true;
            }
        }

        model = null!;
        return false;
    }

    /// <summary>Keeps a model read from <paramref name="characters"/> of XML; one larger than the whole budget is not kept.</summary>
    public void Add(Guid id, FeelLimits limits, DecisionModel model, long characters)
    {
        if (characters > maxCharacters)
        {
            return;
        }

        lock (_gate)
        {
            if (_entries.ContainsKey((id, limits)))
            {
                return;
            }

            while (_recent.Last is { } oldest && (_characters + characters > maxCharacters || _entries.Count >= maxEntries))
            {
                _recent.RemoveLast();
                _entries.Remove(oldest.Value.Key);
                _characters -= oldest.Value.Characters;
            }

            _entries[(id, limits)] = _recent.AddFirst(new Entry((id, limits), model, characters));
            _characters += characters;
        }
    }

    private sealed record Entry((Guid Id, FeelLimits Limits) Key, DecisionModel Model, long Characters);
}
