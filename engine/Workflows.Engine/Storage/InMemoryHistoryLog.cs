namespace Workflows.Engine.Storage;

/// <summary>
/// The history rows of the in-memory store's ended instances, store-wide, in arrays large enough for the collector's large
/// object heap: each ended instance's rows are one run in one of them (<see cref="InstanceHistory.Compact"/>).
/// </summary>
/// <remarks>
/// An ended instance keeps its history for the life of the store (until it is deleted), and the collector copied every row
/// it kept as it promoted it, twice (to generation 1, then 2): the history was half of what a finished complaint holds. The
/// large object heap is never copied by the young collections, and a row holds no reference (<see cref="HistoryRow"/>), so
/// a chunk is nothing for them to trace either. A chunk is
/// <see cref="ChunkRows"/> rows (~196 KB, well past the heap's 85,000 bytes); a chunk whose every row was deleted is let go.
/// Used under the store's lock.
/// </remarks>
internal sealed class InMemoryHistoryLog
{
    /// <summary>The rows of one chunk: an instance with more keeps its rows in an array of its own.</summary>
    public const int ChunkRows = 4096;

    // Past this many chunks a run's start would not fit an int: the rows then stay in arrays of their own.
    private const int MaxChunks = int.MaxValue / ChunkRows;

    private readonly List<HistoryRow[]?> _chunks = [];
    private readonly List<int> _liveRows = [];
    private int _used = ChunkRows; // of the last chunk: none yet, so the first run makes one

    /// <summary>The rows' texts, by number: every history row of the store, running instances' too.</summary>
    public InMemoryHistoryTexts Texts { get; } = new();

    /// <summary>How many chunks are held (tests check that deleted rows let theirs go).</summary>
    public int Chunks
    {
        get
        {
            var held = 0;
            foreach (var chunk in _chunks)
            {
                held += chunk is null ? 0 : 1;
            }

            return held;
        }
    }

    /// <summary>
    /// Room for <paramref name="count"/> rows in one run, to be filled by the caller: its start, or -1 when the rows do not
    /// fit one chunk (the caller keeps them as they are).
    /// </summary>
    public int Reserve(int count, out Span<HistoryRow> run)
    {
        run = default;
        if (count is <= 0 or > ChunkRows)
        {
            return -1;
        }

        if (_used + count > ChunkRows)
        {
            if (_chunks.Count >= MaxChunks)
            {
                return -1;
            }

            // The tail left in the chunk before stays unused; a chunk nobody's rows are in any more goes.
            LetGoIfEmpty(_chunks.Count - 1);
            _chunks.Add(new HistoryRow[ChunkRows]);
            _liveRows.Add(0);
            _used = 0;
        }

        var last = _chunks.Count - 1;
        var start = (last * ChunkRows) + _used;
        run = _chunks[last]!.AsSpan(_used, count);
        _used += count;
        _liveRows[last] += count;
        return start;
    }

    /// <summary>The run of <paramref name="count"/> rows at <paramref name="start"/>.</summary>
    public ReadOnlySpan<HistoryRow> Rows(int start, int count) => _chunks[start / ChunkRows]!.AsSpan(start % ChunkRows, count);

    /// <summary>The run's rows are no longer anyone's: their chunk goes once it holds no one's rows.</summary>
    public void Release(int start, int count)
    {
        var chunk = start / ChunkRows;
        _liveRows[chunk] -= count;
        if (chunk < _chunks.Count - 1)
        {
            LetGoIfEmpty(chunk);
        }
    }

    private void LetGoIfEmpty(int chunk)
    {
        if (chunk >= 0 && _liveRows[chunk] == 0)
        {
            _chunks[chunk] = null;
        }
    }
}
