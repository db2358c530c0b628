namespace Workflows.Engine.Storage;

/// <summary>
/// One instance's history rows as the in-memory store keeps them: while the instance runs, each commit's rows as an array
/// of the exact size, appended as the commits come (nothing copied); once it has ended, all of them as one array.
/// </summary>
/// <remarks>
/// A finished instance is kept for the life of the store, and the collector traces and copies what it keeps as it promotes
/// it: a finished complaint's history as one array rather than a list, the list's array and an array per commit (1 object
/// instead of 8). The rows of a commit of an ended instance (rare: an operator's note) are appended as before and the
/// history is made one array again at its next end.
/// </remarks>
internal struct InstanceHistory
{
    // Null, one commit's rows (HistoryRow[]), or several commits' rows (List<HistoryRow[]>).
    private object? _rows;

    /// <summary>How many arrays hold the rows: one once the instance has ended (for tests that check what is kept).</summary>
    public readonly int Arrays => _rows switch
    {
        HistoryRow[] => 1,
        List<HistoryRow[]> commits => commits.Count,
        _ => 0,
    };

    /// <summary>How many rows there are.</summary>
    public readonly long Count
    {
        get
        {
            switch (_rows)
            {
                case HistoryRow[] rows:
                    return rows.Length;
                case List<HistoryRow[]> commits:
                    long count = 0;
                    foreach (var rows in commits)
                    {
                        count += rows.Length;
                    }

                    return count;
                default:
                    return 0;
            }
        }
    }

    /// <summary>Adds a commit's rows after those there are.</summary>
    public void Append(HistoryRow[] rows)
    {
        switch (_rows)
        {
            case null:
                _rows = rows;
                break;
            case HistoryRow[] first:
                _rows = new List<HistoryRow[]>(8) { first, rows };
                break;
            case List<HistoryRow[]> commits:
                commits.Add(rows);
                break;
        }
    }

    /// <summary>Makes the rows one array of the exact size, in their order.</summary>
    public void Compact()
    {
        if (_rows is not List<HistoryRow[]> commits)
        {
            return;
        }

        var all = new HistoryRow[Count];
        var at = 0;
        foreach (var rows in commits)
        {
            rows.CopyTo(all, at);
            at += rows.Length;
        }

        _rows = all;
    }

    /// <summary>Adds the rows to <paramref name="records"/> as the instance's history records, in their order.</summary>
    public readonly void AddTo(List<HistoryRecord> records, Guid instanceId)
    {
        switch (_rows)
        {
            case HistoryRow[] rows:
                Add(records, rows, instanceId);
                break;
            case List<HistoryRow[]> commits:
                foreach (var rows in commits)
                {
                    Add(records, rows, instanceId);
                }

                break;
        }
    }

    private static void Add(List<HistoryRecord> records, HistoryRow[] rows, Guid instanceId)
    {
        foreach (var row in rows)
        {
            records.Add(row.ToRecord(instanceId));
        }
    }
}

/// <summary>
/// A history row as the in-memory store keeps it: inline in its instance's array, without the instance id it is kept
/// under. A finished instance keeps thirty or so rows for the life of the store, and as objects of their own each was
/// one more for the collector to trace and copy.
/// </summary>
/// <remarks>
/// Kept small, as every row stays: the moment as its UTC ticks (the engine's clock is UTC), no element key as
/// <see cref="NoKey"/> rather than a nullable's extra word, and a detail that is an id's text (a task's, a job's: the
/// detail of most rows) as the id itself, 32 bytes boxed rather than a 96-byte string; each is read back as it was given.
/// The id boxed rather than inline keeps a row at 48 bytes: inline (64), every row of every shape paid 16 bytes for the
/// few that have an id (parallel-10: +393 B held per finished instance).
/// </remarks>
internal readonly struct HistoryRow
{
    private const long NoKey = long.MinValue;

    private readonly long _atUtcTicks;
    private readonly long _elementKey;
    private readonly string _kind;
    private readonly string? _elementId;
    private readonly string? _actor;
    private readonly object? _detail; // the detail's text, or the Guid whose "D" text it was

    private HistoryRow(HistoryRecord h)
    {
        _atUtcTicks = h.At.UtcTicks;
        _elementKey = h.ElementKey ?? NoKey;
        _kind = h.Kind;
        _elementId = h.ElementId;
        _actor = h.Actor;
        _detail = IdText(h.Detail);
    }

    public static HistoryRow Of(HistoryRecord h) => new(h);

    public HistoryRecord ToRecord(Guid instanceId) =>
        new(instanceId, new DateTimeOffset(_atUtcTicks, TimeSpan.Zero), _kind, _elementId, _elementKey == NoKey ? null : _elementKey, _actor,
            _detail is Guid id ? id.ToString() : (string?)_detail);

    // An id written as Guid.ToString() writes it (36 characters, lower case), kept as the id; any other text as it is.
    private static object? IdText(string? detail)
    {
        if (detail is { Length: 36 } && Guid.TryParseExact(detail, "D", out var id) && !detail.AsSpan().ContainsAnyInRange('A', 'F'))
        {
            return id;
        }

        return detail;
    }
}
