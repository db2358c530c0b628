namespace Workflows.Engine.Storage;

/// <summary>
/// Task sort keys kept in one order (<see cref="TaskSortKey.Compare"/>), as a database keeps an index: a page is found
/// by a binary search and read in order from there, so it costs O(log n + page) however many keys are kept.
/// </summary>
/// <remarks>
/// The keys sit in chunks of at most <see cref="ChunkCapacity"/> sorted keys, the chunks in order: a key is found by a
/// binary search over the chunks' last keys and then within its chunk, and added or removed by moving at most a
/// chunk's keys (a full chunk is split in two, an empty one dropped). .NET's <c>SortedSet</c> would do for adding and
/// removing, but reading from a key onwards needs its <c>GetViewBetween</c>, which counts every key of the view.
/// Not thread-safe: the in-memory store reads and writes it under its lock.
/// </remarks>
internal sealed class OrderedTaskKeys(TaskSort sort)
{
    private const int ChunkCapacity = 128;

    private readonly List<Chunk> _chunks = [];

    public TaskSort Sort { get; } = sort;

    public int Count { get; private set; }

    public void Add(TaskSortKey key)
    {
        if (_chunks.Count == 0)
        {
            var first = new Chunk(1) { Count = 1 };
            first.Keys[0] = key;
            _chunks.Add(first);
            Count = 1;
            return;
        }

        var steps = 0L;
        var c = FirstChunkNotBefore(key, strictlyAfter: false, ref steps);
        if (c == _chunks.Count)
        {
            c--; // past every key: the last chunk takes it
        }

        var chunk = _chunks[c];
        if (chunk.Count == ChunkCapacity && c == _chunks.Count - 1 && Compare(key, chunk.Last) > 0)
        {
            // Past the last key (a new task, most often): a new chunk, so that keys added in order fill their chunks.
            chunk = new Chunk(1);
            _chunks.Add(chunk);
        }
        else if (chunk.Count == ChunkCapacity)
        {
            var half = new Chunk(ChunkCapacity);
            const int Kept = ChunkCapacity / 2;
            Array.Copy(chunk.Keys, Kept, half.Keys, 0, ChunkCapacity - Kept);
            half.Count = ChunkCapacity - Kept;
            Array.Clear(chunk.Keys, Kept, ChunkCapacity - Kept);
            chunk.Count = Kept;
            _chunks.Insert(c + 1, half);
            if (Compare(key, chunk.Keys[Kept - 1]) > 0)
            {
                chunk = half;
            }
        }

        var at = chunk.Search(key, Sort, strictlyAfter: false, ref steps);
        chunk.MakeRoom();
        Array.Copy(chunk.Keys, at, chunk.Keys, at + 1, chunk.Count - at);
        chunk.Keys[at] = key;
        chunk.Count++;
        Count++;
    }

    /// <returns>Whether the key was kept (and is no longer).</returns>
    public bool Remove(TaskSortKey key)
    {
        var steps = 0L;
        var c = FirstChunkNotBefore(key, strictlyAfter: false, ref steps);
        if (c == _chunks.Count)
        {
            return false;
        }

        var chunk = _chunks[c];
        var at = chunk.Search(key, Sort, strictlyAfter: false, ref steps);
        if (at == chunk.Count || Compare(chunk.Keys[at], key) != 0)
        {
            return false;
        }

        chunk.Count--;
        Array.Copy(chunk.Keys, at + 1, chunk.Keys, at, chunk.Count - at);
        chunk.Keys[chunk.Count] = default;
        Count--;
        if (chunk.Count == 0)
        {
            _chunks.RemoveAt(c);
        }

        return true;
    }

    /// <summary>
    /// A reader placed on the first key after <paramref name="after"/> (on the first key when null); the comparisons
    /// its search made are added to <paramref name="steps"/>.
    /// </summary>
    public Reader ReadAfter(TaskSortKey? after, ref long steps)
    {
        if (after is not { } cursor)
        {
            return new Reader(this, 0, 0);
        }

        var c = FirstChunkNotBefore(cursor, strictlyAfter: true, ref steps);
        return c == _chunks.Count ? new Reader(this, c, 0) : new Reader(this, c, _chunks[c].Search(cursor, Sort, strictlyAfter: true, ref steps));
    }

    private int Compare(in TaskSortKey x, in TaskSortKey y) => TaskSortKey.Compare(x, y, Sort);

    // The first chunk whose last key is at or after the key (strictly after it): where the key is or would go.
    private int FirstChunkNotBefore(in TaskSortKey key, bool strictlyAfter, ref long steps)
    {
        int low = 0, high = _chunks.Count;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            steps++;
            var c = Compare(_chunks[middle].Last, key);
            if (c > 0 || (c == 0 && !strictlyAfter))
            {
                high = middle;
            }
            else
            {
                low = middle + 1;
            }
        }

        return low;
    }

    /// <summary>Reads the keys in order from where it was placed; the set must not change while it reads.</summary>
    internal struct Reader(OrderedTaskKeys keys, int chunk, int index)
    {
        private int _chunk = chunk;
        private int _index = index;

        /// <summary>The key the reader is on, without moving past it; false at the end.</summary>
        public readonly bool TryPeek(out TaskSortKey key)
        {
            var chunks = keys._chunks;
            var c = _chunk;
            var i = _index;
            while (c < chunks.Count)
            {
                if (i < chunks[c].Count)
                {
                    key = chunks[c].Keys[i];
                    return true;
                }

                c++;
                i = 0;
            }

            key = default;
            return false;
        }

        public void Advance()
        {
            _index++;
            var chunks = keys._chunks;
            while (_chunk < chunks.Count && _index >= chunks[_chunk].Count)
            {
                _chunk++;
                _index = 0;
            }
        }
    }

    // A chunk's array grows as a list's does, up to ChunkCapacity: a list of one key (one customer's open task, say)
    // costs one key, not a full chunk's.
    private sealed class Chunk(int capacity)
    {
        public TaskSortKey[] Keys = new TaskSortKey[capacity];

        public int Count;

        public void MakeRoom()
        {
            if (Count == Keys.Length)
            {
                Array.Resize(ref Keys, Math.Min(Keys.Length * 2, ChunkCapacity));
            }
        }

        public TaskSortKey Last => Keys[Count - 1];

        // The first position whose key is at or after the key (strictly after it).
        public int Search(in TaskSortKey key, TaskSort sort, bool strictlyAfter, ref long steps)
        {
            int low = 0, high = Count;
            while (low < high)
            {
                var middle = (low + high) >>> 1;
                steps++;
                var c = TaskSortKey.Compare(Keys[middle], key, sort);
                if (c > 0 || (c == 0 && !strictlyAfter))
                {
                    high = middle;
                }
                else
                {
                    low = middle + 1;
                }
            }

            return low;
        }
    }
}
