namespace Workflows.Engine.Feel;

/// <summary>An ordered FEEL context (a JSON object): keys keep their insertion order.</summary>
public sealed class FeelContext : IEnumerable<KeyValuePair<string, object?>>
{
    // Contexts are made all the time (a command's variables, a mapping's locals, every state read) and most hold a few
    // entries: the keys and values are two lists in insertion order, made on the first entry, and a key is found by a
    // scan of the keys. Only past IndexedCount entries does a dictionary index them.
    private const int IndexedCount = 8;
    private static readonly List<string> s_noKeys = [];

    private List<string>? _keys;
    private List<object?>? _values;
    private Dictionary<string, int>? _index;

    /// <summary>Creates an empty context.</summary>
    public FeelContext()
    {
    }

    /// <summary>Creates an empty context with room for <paramref name="capacity"/> entries.</summary>
    public FeelContext(int capacity)
    {
        if (capacity > 0)
        {
            _keys = new List<string>(capacity);
            _values = new List<object?>(capacity);
        }
    }

    /// <summary>The number of entries.</summary>
    public int Count => _keys?.Count ?? 0;

    /// <summary>The keys in insertion order.</summary>
    public IReadOnlyList<string> Keys => _keys ?? s_noKeys;

    /// <summary>Gets or sets an entry; setting a new key appends it.</summary>
    public object? this[string key]
    {
        get => IndexOf(key) is var i and >= 0 ? _values![i] : null;
        set
        {
            var i = IndexOf(key);
            if (i >= 0)
            {
                _values![i] = value;
                return;
            }

            _keys ??= [];
            _values ??= [];
            _keys.Add(key);
            _values.Add(value);
            if (_index is not null)
            {
                _index[key] = _keys.Count - 1;
            }
            else if (_keys.Count > IndexedCount)
            {
                Reindex();
            }
        }
    }

    /// <summary>Whether the context has an entry named <paramref name="key"/>.</summary>
    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    /// <summary>Looks up an entry.</summary>
    public bool TryGetValue(string key, out object? value)
    {
        var i = IndexOf(key);
        value = i >= 0 ? _values![i] : null;
        return i >= 0;
    }

    /// <summary>Removes an entry, keeping the order of the others.</summary>
    public bool Remove(string key)
    {
        var i = IndexOf(key);
        if (i < 0)
        {
            return false;
        }

        _keys!.RemoveAt(i);
        _values!.RemoveAt(i);
        if (_index is not null)
        {
            Reindex();
        }

        return true;
    }

    /// <summary>A shallow copy: each attempt of a command works on its own, so a retry never sees the last try's changes.</summary>
    internal FeelContext Copy()
    {
        var copy = new FeelContext();
        if (Count > 0)
        {
            copy._keys = [.. _keys!];
            copy._values = [.. _values!];
            if (_index is not null)
            {
                copy._index = new Dictionary<string, int>(_index, StringComparer.Ordinal);
            }
        }

        return copy;
    }

    private int IndexOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_index is not null)
        {
            return _index.TryGetValue(key, out var i) ? i : -1;
        }

        if (_keys is null)
        {
            return -1;
        }

        for (var i = 0; i < _keys.Count; i++)
        {
            if (string.Equals(_keys[i], key, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    private void Reindex()
    {
        _index = new Dictionary<string, int>(_keys!.Count, StringComparer.Ordinal);
        for (var i = 0; i < _keys.Count; i++)
        {
            _index[_keys[i]] = i;
        }
    }

    /// <summary>The entries in insertion order.</summary>
    // A struct enumerator: a foreach over a context (every variable mapping, every state written) allocates nothing.
    public Enumerator GetEnumerator() => new(this);

    IEnumerator<KeyValuePair<string, object?>> IEnumerable<KeyValuePair<string, object?>>.GetEnumerator() => GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Enumerates a context's entries in insertion order.</summary>
    public struct Enumerator : IEnumerator<KeyValuePair<string, object?>>
    {
        private readonly List<object?>? _values;
        private List<string>.Enumerator _keys;
        private int _position;

        internal Enumerator(FeelContext context)
        {
            _values = context._values;
            _keys = (context._keys ?? s_noKeys).GetEnumerator();
            _position = -1;
        }

        /// <inheritdoc />
        public KeyValuePair<string, object?> Current => new(_keys.Current, _values![_position]);

        object System.Collections.IEnumerator.Current => Current;

        /// <inheritdoc />
        public bool MoveNext()
        {
            _position++;
            return _keys.MoveNext();
        }

        /// <inheritdoc />
        public void Dispose() => _keys.Dispose();

        void System.Collections.IEnumerator.Reset() => throw new NotSupportedException();
    }

    /// <inheritdoc />
    public override string ToString() => FeelValue.ToDisplayString(this);
}
