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
/// command works on the rows made in the last moments, which are in the window last written, small enough to stay in the
/// cache.
/// <para>
/// The windows cut the time axis in consecutive ranges, so each id belongs to exactly one dictionary, found from the id
/// alone (the window of the latest times is checked first, then the one last written, then a binary search); an id of another version (random ids, tests')
/// goes to a dictionary of its own. A full window that gets a new id made after every row in it is cut at that id's
/// millisecond: the id begins a new window and no row moves. Windows are made by row count, not by time, so a store that
/// makes few rows has few windows.
/// </para>
/// <para>
/// A window whose rows were not all made before the new ids it gets (one id made far ahead, a clock moved back for good,
/// another node's clock) would grow without bound (review 18, F5): once it is half over its size it is cut in three
/// at the new id's millisecond, the rows before it, those of that millisecond (with the new id: the window the next ids go
/// to) and those after it, moving the smaller part. The cut is made only when it moves few rows or leaves the new ids a
/// long stretch of time of their own (rows ahead of a clock come back); a clock moved back a little among dense rows is
/// left to overflow its windows, which is bounded by the rows its step made again, and the cut is not tried again until
/// the window doubles, so a write never pays a scan twice.
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

    // How many rows a cut may move whatever the time it leaves the new ids (and the room a new window has past its size).
    private const int Overflow = WindowRows / 8;

    // The windows in the order of their times: window i holds the ids made in [_windows[i].From, _windows[i + 1].From),
    // the first from the beginning of time, the last to its end.
    private readonly List<Window> _windows = [new(long.MinValue, [])]; // the first grows as rows come: a store that makes few never closes one
    private Window _last; // the window of the latest times, looked at first: most ids a command looks up are new ones
    private Window _recent; // the window last written, looked at next, and where it ends
    private int _recentIndex;
    private long _recentTo = long.MaxValue;
    private Dictionary<Guid, TValue>? _otherVersions;

    public InMemoryRowsById() => _recent = _last = _windows[0];

    /// <summary>How many windows have been closed (every window but one), for tests that check windows are made.</summary>
    internal int ClosedWindows => _windows.Count - 1;

    /// <summary>How many rows the window last written holds, for tests that check it stays small.</summary>
    internal int OpenWindowRows => _recent.Rows.Count;

    public int Count
    {
        get
        {
            var count = _otherVersions?.Count ?? 0;
            foreach (var window in _windows)
            {
                count += window.Rows.Count;
            }

            return count;
        }
    }

    /// <summary>Every row, in no particular order.</summary>
    public IEnumerable<TValue> Values
    {
        get
        {
            foreach (var window in _windows)
            {
                foreach (var value in window.Rows.Values)
                {
                    yield return value;
                }
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

        if (rows.Count == 0 && rows != _recent.Rows)
        {
            rows.TrimExcess(); // a closed window emptied (an ended instance's history deleted) lets its arrays go
        }

        return true;
    }

    /// <summary>
    /// The dictionary that holds the row of <paramref name="id"/> if there is one: for the caller's own look-up (a reference
    /// into it with <see cref="System.Runtime.InteropServices.CollectionsMarshal"/>, say). A read never changes the windows,
    /// so that looking rows up while enumerating <see cref="Values"/> is safe, as it is on a dictionary.
    /// </summary>
    public Dictionary<Guid, TValue> For(Guid id)
    {
        if (id.Version != 7)
        {
            return _otherVersions ??= [];
        }

        var made = MadeAt(id);
        return made >= _last.From ? _last.Rows : made >= _recent.From && made < _recentTo ? _recent.Rows : _windows[IndexOf(made)].Rows;
    }

    /// <summary>
    /// The dictionary the row of <paramref name="id"/> is to be written in (<see cref="For"/>, after cutting the window of
    /// its time when that is full and the id is new): a write may move rows between windows, so a reference into one
    /// (<see cref="For"/>'s) is not kept across a write, as a dictionary's is not.
    /// </summary>
    public Dictionary<Guid, TValue> ForWriting(Guid id)
    {
        if (id.Version != 7)
        {
            return _otherVersions ??= [];
        }

        var made = MadeAt(id);
        var index = made >= _last.From ? _windows.Count - 1 : made >= _recent.From && made < _recentTo ? _recentIndex : IndexOf(made);
        var window = _windows[index];
        var windowsChanged = false;
        if (window.Rows.Count >= WindowRows)
        {
            if (made > window.Latest)
            {
                // A new id (made after every row of the window, it is none of them): it begins the next window and none moves.
                window = Insert(++index, made, new Dictionary<Guid, TValue>(WindowRows + Overflow));
                windowsChanged = true;
            }
            else if (window.Rows.Count >= window.CutTriedAt && !window.Rows.ContainsKey(id))
            {
                (window, index, windowsChanged) = Cut(index, made);
            }
        }

        window.Latest = Math.Max(window.Latest, made);
        if (windowsChanged || index != _recentIndex)
        {
            _recentIndex = index;
            _recent = window;
            _recentTo = index + 1 < _windows.Count ? _windows[index + 1].From : long.MaxValue;
            _last = _windows[^1];
        }

        return window.Rows;
    }

    // Cuts window index in three at the millisecond made (see the remarks) and answers the window that millisecond is in.
    private (Window Window, int Index, bool Cut) Cut(int index, long made)
    {
        var window = _windows[index];
        var (before, at, after) = (0, 0, 0);
        var (firstBefore, firstAfter, lastBefore) = (long.MaxValue, long.MaxValue, long.MinValue);
        foreach (var id in window.Rows.Keys)
        {
            var rowMade = MadeAt(id);
            if (rowMade < made)
            {
                (before, firstBefore, lastBefore) = (before + 1, Math.Min(firstBefore, rowMade), Math.Max(lastBefore, rowMade));
            }
            else if (rowMade == made)
            {
                at++;
            }
            else
            {
                (after, firstAfter) = (after + 1, Math.Min(firstAfter, rowMade));
            }
        }

        var moved = at + Math.Min(before, after);
        var timeLeft = after == 0 ? long.MaxValue : firstAfter - made;
        if ((before == 0 && after == 0) || (moved > Overflow && (before == 0 || timeLeft <= made - firstBefore)))
        {
            window.CutTriedAt = 2 * window.Rows.Count; // left to overflow (see the remarks); not scanned again before then
            return (window, index, false);
        }

        // The original dictionary stays with the larger part; the rows of the new id's millisecond and the smaller part move.
        var keepsAfter = after > before;
        var atRows = new Dictionary<Guid, TValue>(WindowRows + Overflow);
        var otherRows = new Dictionary<Guid, TValue>();
        foreach (var (id, value) in window.Rows)
        {
            var rowMade = MadeAt(id);
            if (rowMade == made)
            {
                atRows.Add(id, value);
            }
            else if ((rowMade > made) != keepsAfter)
            {
                otherRows.Add(id, value);
            }
        }

        foreach (var id in atRows.Keys.Concat(otherRows.Keys))
        {
            window.Rows.Remove(id);
        }

        var (beforeRows, afterRows) = keepsAfter ? (otherRows, window.Rows) : (window.Rows, otherRows);
        var atFrom = before == 0 ? window.From : made;
        var lastAfter = window.Latest;
        _windows.RemoveAt(index);
        if (before > 0)
        {
            Insert(index++, window.From, beforeRows).Latest = lastBefore;
        }

        var atIndex = index;
        var atWindow = Insert(atIndex, atFrom, atRows);
        if (after > 0)
        {
            Insert(atIndex + 1, firstAfter, afterRows).Latest = lastAfter;
        }

        return (atWindow, atIndex, true);
    }

    private Window Insert(int index, long from, Dictionary<Guid, TValue> rows)
    {
        var window = new Window(from, rows);
        _windows.Insert(index, window);
        return window;
    }

    // The window whose times cover a millisecond: the last one that begins at or before it.
    private int IndexOf(long made)
    {
        var (low, high) = (0, _windows.Count - 1);
        while (low < high)
        {
            var middle = (low + high + 1) / 2;
            if (_windows[middle].From <= made)
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }

        return low;
    }

    // The 48 bits of Unix milliseconds a version-7 id begins with: the Guid's first int and short, as RFC 9562 lays them out.
    private static long MadeAt(Guid id)
    {
        ref var bytes = ref Unsafe.As<Guid, byte>(ref id);
        var high = Unsafe.ReadUnaligned<uint>(ref bytes);
        var low = Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref bytes, 4));
        return ((long)high << 16) | low;
    }

    // A window: the first millisecond of its times, its rows, the latest millisecond of its rows (a removal leaves it: an
    // upper bound), and the row count at which a cut that moved too much may be tried again.
    private sealed class Window(long from, Dictionary<Guid, TValue> rows)
    {
        public long From { get; } = from;

        public Dictionary<Guid, TValue> Rows { get; } = rows;

        public long Latest { get; set; } = long.MinValue;

        public int CutTriedAt { get; set; } = WindowRows + (WindowRows / 2);
    }
}
