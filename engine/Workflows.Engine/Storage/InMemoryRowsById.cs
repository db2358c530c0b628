using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Workflows.Engine.Storage;

/// <summary>
/// The in-memory store's rows of one kind by id (instances, tasks, histories), as a dictionary whose recent rows stay in a
/// small one: the rows' ids are version-7 GUIDs (<see cref="Runtime.RowIds"/>), whose first 48 bits are the time they were
/// made, and the rows are kept in windows of consecutive times, each a dictionary of about <see cref="WindowRows"/> rows.
/// </summary>
/// <remarks>
/// Why: a store that keeps every row of its life in one dictionary looks a new id up in buckets and entries spread over
/// tens of megabytes, one cache miss (and a page walk) each: the commit's check that a created row's id is new, the
/// instance's row version, its history. Those were the largest frames of the in-memory complaint's own CPU (issue 19). A
/// command works on the rows made in the last moments, which are in the open window, small enough to stay in the cache.
/// <para>
/// Each id belongs to exactly one dictionary, found from the id alone: the open window holds the ids made at or after its
/// first millisecond; an id made before it (a clock moved back, an id from another node) goes to the closed window whose
/// times cover it (a binary search over the windows); an id of another version (random ids, tests') to a dictionary of
/// its own. The open window is closed once it holds <see cref="WindowRows"/> rows and a later millisecond begins the next,
/// so its rows never move. Windows are made by row count, not by time, so a store that makes few rows has few windows.
/// </para>
/// Not thread-safe: the store uses it under its lock. Enumeration order is unspecified, as a dictionary's.
/// </remarks>
internal sealed class InMemoryRowsById<TValue>
{
    /// <summary>
    /// The rows of a window before it is closed: ~37 KB of entries and buckets for a task's row, so that the open windows
    /// of a command's tables stay in a core's L2 (4,096 rows, ~150 KB each, took 4 % less off the complaint's CPU, round 18).
    /// </summary>
    internal const int WindowRows = 1024;

    // The closed windows, in the order of their times: window i holds the ids made in [_closedFrom[i], _closedFrom[i + 1]),
    // the last one up to the open window's first millisecond.
    private readonly List<long> _closedFrom = [];
    private readonly List<Dictionary<Guid, TValue>> _closed = [];
    private Dictionary<Guid, TValue> _open = []; // the first grows as rows come: a store that makes few never closes one
    private long _openFrom = long.MinValue;
    private long _openLatest = long.MinValue;
    private Dictionary<Guid, TValue>? _otherVersions;

    /// <summary>How many windows have been closed, for tests that check the open one stays small.</summary>
    internal int ClosedWindows => _closed.Count;

    /// <summary>How many rows the open window holds, for tests that check it stays small.</summary>
    internal int OpenWindowRows => _open.Count;

    public int Count
    {
        get
        {
            var count = _open.Count + (_otherVersions?.Count ?? 0);
            foreach (var window in _closed)
            {
                count += window.Count;
            }

            return count;
        }
    }

    /// <summary>Every row, in no particular order.</summary>
    public IEnumerable<TValue> Values
    {
        get
        {
            foreach (var window in _closed)
            {
                foreach (var value in window.Values)
                {
                    yield return value;
                }
            }

            foreach (var value in _open.Values)
            {
                yield return value;
            }

            if (_otherVersions is not null)
            {
                foreach (var value in _otherVersions.Values)
                {
                    yield return value;
                }
            }
        }
    }

    public TValue this[Guid id]
    {
        get => For(id)[id];
        set => ForWriting(id)[id] = value;
    }

    public bool TryGetValue(Guid id, [MaybeNullWhen(false)] out TValue value) => For(id).TryGetValue(id, out value);

    public TValue? GetValueOrDefault(Guid id) => For(id).GetValueOrDefault(id);

    public bool ContainsKey(Guid id) => For(id).ContainsKey(id);

    public bool Remove(Guid id, [MaybeNullWhen(false)] out TValue value)
    {
        var rows = For(id);
        if (!rows.Remove(id, out value))
        {
            return false;
        }

        if (rows.Count == 0 && rows != _open)
        {
            rows.TrimExcess(); // a closed window emptied (an ended instance's history deleted) lets its arrays go
        }

        return true;
    }

    /// <summary>
    /// The dictionary that holds the row of <paramref name="id"/> if there is one: for the caller's own look-up (a reference
    /// into it with <see cref="System.Runtime.InteropServices.CollectionsMarshal"/>, say). A read never closes a window, so
    /// that looking rows up while enumerating <see cref="Values"/> is safe, as it is on a dictionary.
    /// </summary>
    public Dictionary<Guid, TValue> For(Guid id)
    {
        if (id.Version != 7)
        {
            return _otherVersions ??= [];
        }

        var made = MadeAt(id);
        return made < _openFrom ? Closed(made) : _open;
    }

    /// <summary>
    /// The dictionary the row of <paramref name="id"/> is to be written in (<see cref="For"/>, after closing the open window
    /// when it is full and the id was made after every row in it).
    /// </summary>
    public Dictionary<Guid, TValue> ForWriting(Guid id)
    {
        if (id.Version != 7)
        {
            return _otherVersions ??= [];
        }

        var made = MadeAt(id);
        if (made < _openFrom)
        {
            return Closed(made);
        }

        if (made > _openLatest)
        {
            if (_open.Count >= WindowRows)
            {
                // Every row of the open window was made at or before _openLatest: closing it there moves none of them.
                _closedFrom.Add(_openFrom);
                _closed.Add(_open);
                _open = new Dictionary<Guid, TValue>(WindowRows + (WindowRows / 8)); // the rows of its last millisecond may go over
                _openFrom = _openLatest + 1;
            }

            _openLatest = made;
        }

        return _open;
    }

    // The closed window whose times cover a millisecond before the open window's: the last one that begins at or before it.
    private Dictionary<Guid, TValue> Closed(long made)
    {
        var (low, high) = (0, _closedFrom.Count - 1);
        while (low < high)
        {
            var middle = (low + high + 1) / 2;
            if (_closedFrom[middle] <= made)
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }

        return _closed[low];
    }

    // The 48 bits of Unix milliseconds a version-7 id begins with: the Guid's first int and short, as RFC 9562 lays them out.
    private static long MadeAt(Guid id)
    {
        ref var bytes = ref Unsafe.As<Guid, byte>(ref id);
        var high = Unsafe.ReadUnaligned<uint>(ref bytes);
        var low = Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref bytes, 4));
        return ((long)high << 16) | low;
    }
}
