namespace Workflows.Engine.Storage;

/// <summary>
/// One instance's history rows as the in-memory store keeps them: while the instance runs, each commit's rows as an array
/// of the exact size, appended as the commits come (nothing copied); once it has ended, all of them as one run in the
/// store's <see cref="InMemoryHistoryLog"/>.
/// </summary>
/// <remarks>
/// A finished instance is kept for the life of the store, and the collector traces and copies what it keeps as it promotes
/// it: a finished instance's history is one run of the log's large arrays, which it does not copy (round 14 made it one
/// array rather than a list, the list's array and an array per commit). The rows of a commit of an ended instance (rare: an
/// operator's note) are appended as before and the history is made one run again at its next end.
/// </remarks>
internal struct InstanceHistory
{
    // Null, one commit's rows (HistoryRow[]), or several commits' rows (List<HistoryRow[]>); null too once the rows are a
    // run of the log (_logCount > 0).
    private object? _rows;
    private int _logStart;
    private int _logCount;

    /// <summary>How many arrays hold the rows: one once the instance has ended (for tests that check what is kept).</summary>
    public readonly int Arrays => _logCount > 0 ? 1 : _rows switch
    {
        HistoryRow[] => 1,
        List<HistoryRow[]> commits => commits.Count,
        _ => 0,
    };

    /// <summary>Whether the rows are a run of the store's log.</summary>
    public readonly bool InLog => _logCount > 0;

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
                    return _logCount;
            }
        }
    }

    /// <summary>Adds a commit's rows after those there are (taking an ended instance's rows out of the log first).</summary>
    public void Append(HistoryRow[] rows, InMemoryHistoryLog log)
    {
        if (_logCount > 0)
        {
            var kept = log.Rows(_logStart, _logCount).ToArray();
            log.Release(_logStart, _logCount);
            _logCount = 0;
            _rows = kept;
        }

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

    /// <summary>
    /// Makes the rows one run of <paramref name="log"/>, in their order; more rows than a chunk holds are made one array of
    /// the exact size instead.
    /// </summary>
    public void Compact(InMemoryHistoryLog log)
    {
        if (_rows is null)
        {
            return;
        }

        var count = (int)Math.Min(Count, int.MaxValue);
        var start = log.Reserve(count, out var run);
        if (start < 0)
        {
            if (_rows is List<HistoryRow[]> several)
            {
                var all = new HistoryRow[count];
                CopyTo(several, all);
                _rows = all;
            }

            return;
        }

        CopyKeptTo(run);
        _rows = null;
        _logStart = start;
        _logCount = count;
    }

    /// <summary>
    /// The rows of the commit that ends the instance, written straight into one run of <paramref name="log"/> after the rows
    /// its earlier commits kept (a straight-through start has none): no array for this commit's rows, to be copied into the
    /// log by <see cref="Compact"/> and dropped. False, and nothing written, when its rows are a run of the log already or
    /// all of them do not fit one chunk.
    /// </summary>
    public bool WriteEnded(List<HistoryRecord> history, int start, int end, InMemoryHistoryLog log)
    {
        if (_logCount > 0)
        {
            return false;
        }

        var kept = (int)Math.Min(Count, InMemoryHistoryLog.ChunkRows + 1);
        var at = log.Reserve(kept + end - start, out var run);
        if (at < 0)
        {
            return false;
        }

        CopyKeptTo(run);
        for (var i = start; i < end; i++)
        {
            run[kept + i - start] = HistoryRow.Of(history[i], log.Texts);
        }

        _rows = null;
        _logStart = at;
        _logCount = kept + end - start;
        return true;
    }

    /// <summary>The rows are deleted: their details' texts and their run of the log are given back.</summary>
    public readonly void Release(InMemoryHistoryLog log)
    {
        switch (_rows)
        {
            case HistoryRow[] rows:
                Release(rows, log.Texts);
                break;
            case List<HistoryRow[]> commits:
                foreach (var rows in commits)
                {
                    Release(rows, log.Texts);
                }

                break;
            default:
                if (_logCount > 0)
                {
                    Release(log.Rows(_logStart, _logCount), log.Texts);
                    log.Release(_logStart, _logCount);
                }

                break;
        }
    }

    private static void Release(ReadOnlySpan<HistoryRow> rows, InMemoryHistoryTexts texts)
    {
        foreach (var row in rows)
        {
            row.Release(texts);
        }
    }

    /// <summary>Adds the rows to <paramref name="records"/> as the instance's history records, in their order.</summary>
    public readonly void AddTo(List<HistoryRecord> records, Guid instanceId, InMemoryHistoryLog log)
    {
        switch (_rows)
        {
            case HistoryRow[] rows:
                Add(records, rows, instanceId, log.Texts);
                break;
            case List<HistoryRow[]> commits:
                foreach (var rows in commits)
                {
                    Add(records, rows, instanceId, log.Texts);
                }

                break;
            default:
                if (_logCount > 0)
                {
                    Add(records, log.Rows(_logStart, _logCount), instanceId, log.Texts);
                }

                break;
        }
    }

    // The rows kept while the instance ran, in their order, to the start of a run of the log.
    private readonly void CopyKeptTo(Span<HistoryRow> run)
    {
        switch (_rows)
        {
            case HistoryRow[] rows:
                rows.CopyTo(run);
                break;
            case List<HistoryRow[]> commits:
                CopyTo(commits, run);
                break;
        }
    }

    private static void CopyTo(List<HistoryRow[]> commits, Span<HistoryRow> into)
    {
        var at = 0;
        foreach (var rows in commits)
        {
            rows.CopyTo(into[at..]);
            at += rows.Length;
        }
    }

    private static void Add(List<HistoryRecord> records, ReadOnlySpan<HistoryRow> rows, Guid instanceId, InMemoryHistoryTexts texts)
    {
        foreach (var row in rows)
        {
            records.Add(row.ToRecord(instanceId, texts));
        }
    }
}

/// <summary>
/// A history row as the in-memory store keeps it: inline in its instance's array, without the instance id it is kept
/// under, and without a reference the collector would have to follow: its texts are numbers in the store's
/// <see cref="InMemoryHistoryTexts"/>, and a detail that is an id's text (a task's, a job's: the detail of most rows) is the
/// id itself.
/// </summary>
/// <remarks>
/// A finished instance keeps thirty or so rows for the life of the store. With four references a row (and an id boxed for
/// each task), the collector traced every one of them at each promotion: keeping no finished history at all took ~15 % off
/// the complaint's CPU (an experiment), keeping it in large arrays alone nothing. The moment is its UTC ticks (the engine's
/// clock is UTC), no element key <see cref="NoKey"/> rather than a nullable's extra word; 48 bytes, as before.
/// </remarks>
internal readonly struct HistoryRow
{
    private const long NoKey = long.MinValue;

    private readonly long _atUtcTicks;
    private readonly long _elementKey;
    private readonly Guid _detailId;
    private readonly int _kind;
    private readonly int _elementId;
    private readonly int _actor;
    private readonly int _detail; // 0 none, IdDetail the id in _detailId, else the text's number

    private HistoryRow(HistoryRecord h, InMemoryHistoryTexts texts)
    {
        _atUtcTicks = h.At.UtcTicks;
        _elementKey = h.ElementKey ?? NoKey;
        _kind = texts.Name(h.Kind);
        _elementId = texts.Name(h.ElementId);
        _actor = texts.Name(h.Actor);
        if (IsIdText(h.Detail, out var id))
        {
            _detailId = id;
            _detail = InMemoryHistoryTexts.IdDetail;
        }
        else
        {
            _detail = texts.Detail(h.Detail);
        }
    }

    public static HistoryRow Of(HistoryRecord h, InMemoryHistoryTexts texts) => new(h, texts);

    public HistoryRecord ToRecord(Guid instanceId, InMemoryHistoryTexts texts) =>
        new(instanceId, new DateTimeOffset(_atUtcTicks, TimeSpan.Zero), texts.Name(_kind)!, texts.Name(_elementId), _elementKey == NoKey ? null : _elementKey,
            texts.Name(_actor), _detail == InMemoryHistoryTexts.IdDetail ? _detailId.ToString() : texts.Detail(_detail));

    /// <summary>The row is deleted: its detail's text is given back, and its names are referred to by one row fewer.</summary>
    public void Release(InMemoryHistoryTexts texts)
    {
        texts.ReleaseName(_kind);
        texts.ReleaseName(_elementId);
        texts.ReleaseName(_actor);
        texts.ReleaseDetail(_detail);
    }

    // An id written as Guid.ToString() writes it (36 characters, lower case), kept as the id; any other text as it is. Only
    // a text the id gives back as it is: the parse also takes upper case and, leniently, "0x" or "+" inside a group
    // (review16 F1), which would come back as other text. The "D" form is lower-case hex digits with dashes at 8, 13, 18
    // and 23, so a text of that shape is one an id gives back: checked by hand first, as most details are not ids and an
    // id's text was parsed, formatted and compared again (~1 % of an in-memory command's CPU, round 17).
    private static bool IsIdText(string? detail, out Guid id)
    {
        id = default;
        if (detail is not { Length: 36 })
        {
            return false;
        }

        for (var i = 0; i < detail.Length; i++)
        {
            var c = detail[i];
            if (i is 8 or 13 or 18 or 23 ? c != '-' : !char.IsAsciiHexDigitLower(c))
            {
                return false;
            }
        }

        id = Guid.ParseExact(detail, "D");
        return true;
    }
}
