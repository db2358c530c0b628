using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Tests.Storage;

/// <summary>
/// The in-memory store's rows by id kept in windows of the times their version-7 ids were made: every row found again
/// wherever its id's time puts it, and the open window as small as the windows are.
/// </summary>
public sealed class InMemoryRowsByIdTests
{
    private const long Start = 1_796_000_000_000; // Unix milliseconds, December 2026

    private static Guid MadeAt(long milliseconds) => RowIds.NewId(DateTimeOffset.FromUnixTimeMilliseconds(milliseconds));

    [Test]
    public void Rows_made_over_time_close_windows_and_are_all_found_again()
    {
        var rows = new InMemoryRowsById<int>();
        var ids = new List<Guid>();
        var largestOpen = 0;
        for (var i = 0; i < 5 * InMemoryRowsById<int>.WindowRows; i++)
        {
            var id = MadeAt(Start + (i / 7)); // seven rows a millisecond
            rows[id] = i;
            ids.Add(id);
            largestOpen = Math.Max(largestOpen, rows.OpenWindowRows);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(rows.ClosedWindows, Is.EqualTo(4));
            Assert.That(largestOpen, Is.LessThan(InMemoryRowsById<int>.WindowRows + 7), "a window closes at the first millisecond after it is full");
            Assert.That(rows.Count, Is.EqualTo(ids.Count));
            Assert.That(ids.Select((id, i) => rows.TryGetValue(id, out var value) && value == i), Is.All.True);
            Assert.That(rows.Values.Order(), Is.EqualTo(Enumerable.Range(0, ids.Count)));
            Assert.That(rows.ContainsKey(MadeAt(Start + 3)), Is.False, "an id of a closed window's time that was never written");
        }
    }

    [Test]
    public void A_row_made_before_the_open_window_goes_to_the_closed_window_of_its_time_and_is_found_there()
    {
        var rows = new InMemoryRowsById<string>();
        for (var i = 0; i < 3 * InMemoryRowsById<string>.WindowRows; i++)
        {
            rows[MadeAt(Start + i)] = "made in order";
        }

        var late = MadeAt(Start + 10); // a clock moved back: the first window's time
        var older = MadeAt(Start - 1_000); // before every window
        var other = Guid.NewGuid(); // not a version-7 id
        rows[late] = "late";
        rows[older] = "older";
        rows[other] = "other";
        rows[late] = "late again";

        using (Assert.EnterMultipleScope())
        {
            Assert.That(rows.For(late), Is.SameAs(rows.For(MadeAt(Start + 11))), "the window of its time");
            Assert.That(rows.For(late), Is.Not.SameAs(rows.For(MadeAt(Start + (3 * InMemoryRowsById<string>.WindowRows)))));
            Assert.That(rows[late], Is.EqualTo("late again"));
            Assert.That(rows.GetValueOrDefault(older), Is.EqualTo("older"));
            Assert.That(rows[other], Is.EqualTo("other"));
            Assert.That(rows.Count, Is.EqualTo((3 * InMemoryRowsById<string>.WindowRows) + 3));
            Assert.That(rows.Values.Count(v => v != "made in order"), Is.EqualTo(3));
        }
    }

    [Test]
    public void Rows_of_one_millisecond_stay_in_one_window_however_many_they_are()
    {
        var rows = new InMemoryRowsById<int>();
        var same = Enumerable.Range(0, InMemoryRowsById<int>.WindowRows + 100).Select(_ => MadeAt(Start)).ToList();
        foreach (var id in same)
        {
            rows[id] = 1;
        }

        var next = MadeAt(Start + 1);
        rows[next] = 2;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(rows.ClosedWindows, Is.EqualTo(1), "closed at the next millisecond");
            Assert.That(same.Select(rows.For).Distinct().Count(), Is.EqualTo(1));
            Assert.That(rows.For(MadeAt(Start)), Is.SameAs(rows.For(same[0])), "a later id of the same millisecond joins its window");
            Assert.That(rows.OpenWindowRows, Is.EqualTo(1));
            Assert.That(rows[next], Is.EqualTo(2));
        }
    }

    [Test]
    public void A_removed_row_is_gone_from_its_window_and_the_others_stay()
    {
        var rows = new InMemoryRowsById<int>();
        var ids = Enumerable.Range(0, 2 * InMemoryRowsById<int>.WindowRows).Select(i => MadeAt(Start + i)).ToList();
        foreach (var id in ids)
        {
            rows[id] = 1;
        }

        var removed = rows.Remove(ids[0], out var value);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(removed && value == 1, Is.True);
            Assert.That(rows.Remove(ids[0], out _), Is.False);
            Assert.That(rows.ContainsKey(ids[0]), Is.False);
            Assert.That(rows.Count, Is.EqualTo(ids.Count - 1));
            Assert.That(ids.Skip(1).All(rows.ContainsKey), Is.True);
        }
    }

    [Test]
    public void Rows_looked_up_while_the_rows_are_enumerated_close_no_window()
    {
        var rows = new InMemoryRowsById<int>();
        for (var i = 0; i < 2 * InMemoryRowsById<int>.WindowRows; i++)
        {
            rows[MadeAt(Start + i)] = i; // one window closed, the open one full
        }

        var later = MadeAt(Start + (3 * InMemoryRowsById<int>.WindowRows));
        var seen = 0;
        foreach (var _ in rows.Values)
        {
            seen += rows.ContainsKey(later) || rows.TryGetValue(later, out var _) ? 0 : 1;
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(seen, Is.EqualTo(2 * InMemoryRowsById<int>.WindowRows));
            Assert.That(rows.ClosedWindows, Is.EqualTo(1), "only a write closes the open window");
        }

        rows[later] = -1;
        Assert.That(rows.ClosedWindows, Is.EqualTo(2));
    }

    [TestCase(0, TestName = "One id made a year ahead, once, when the window it lands in is full, pins no window")]
    [TestCase(500, TestName = "One id made a year ahead, once, in the middle of a window, pins no window")]
    public void One_id_made_far_ahead_of_the_clock_leaves_the_windows_closing_at_their_size(int rowsBeforeTheOutlier)
    {
        var rows = new InMemoryRowsById<int>();
        var ids = new List<Guid>();
        for (var i = 0; i < (2 * InMemoryRowsById<int>.WindowRows) + rowsBeforeTheOutlier; i++)
        {
            ids.Add(MadeAt(Start + i));
            rows[ids[^1]] = i;
        }

        var ahead = MadeAt(Start + (365L * 24 * 3_600_000)); // a clock set a year ahead, once, or another node's
        rows[ahead] = -1;
        var largest = 0;
        for (var i = 0; i < 20 * InMemoryRowsById<int>.WindowRows; i++)
        {
            ids.Add(MadeAt(Start + (2 * InMemoryRowsById<int>.WindowRows) + rowsBeforeTheOutlier + i)); // the clock back to normal
            rows[ids[^1]] = ids.Count - 1;
            largest = Math.Max(largest, rows.For(ids[^1]).Count);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(largest, Is.LessThanOrEqualTo(InMemoryRowsById<int>.WindowRows + (InMemoryRowsById<int>.WindowRows / 2)), "the window new rows go to stays about a window's size");
            Assert.That(rows[ahead], Is.EqualTo(-1));
            Assert.That(ids.Select((id, i) => rows.TryGetValue(id, out var value) && value == i), Is.All.True);
            Assert.That(rows.Count, Is.EqualTo(ids.Count + 1));
        }
    }

    [Test]
    public void A_clock_moved_back_for_good_writes_its_rows_in_windows_of_their_size_not_in_one_old_window()
    {
        var rows = new InMemoryRowsById<int>();
        var ids = new List<Guid>();
        for (var i = 0; i < 3 * InMemoryRowsById<int>.WindowRows; i++)
        {
            ids.Add(MadeAt(Start + (i / 3)));
            rows[ids[^1]] = i;
        }

        var largest = 0;
        for (var i = 0; i < 20 * InMemoryRowsById<int>.WindowRows; i++)
        {
            ids.Add(MadeAt(Start - (365L * 24 * 3_600_000) + (i / 3))); // three rows a millisecond, a year back
            rows[ids[^1]] = ids.Count - 1;
            largest = Math.Max(largest, rows.For(ids[^1]).Count);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(largest, Is.LessThanOrEqualTo(InMemoryRowsById<int>.WindowRows + (InMemoryRowsById<int>.WindowRows / 2)));
            Assert.That(ids.Select((id, i) => rows.TryGetValue(id, out var value) && value == i), Is.All.True);
            Assert.That(rows.Count, Is.EqualTo(ids.Count));
            Assert.That(rows.Values.Order(), Is.EqualTo(Enumerable.Range(0, ids.Count)));
        }
    }

    [Test]
    public void A_clock_moved_back_a_little_among_dense_rows_overflows_its_windows_and_loses_no_row()
    {
        var rows = new InMemoryRowsById<int>();
        var ids = new List<Guid>();
        for (var i = 0; i < 6 * InMemoryRowsById<int>.WindowRows; i++)
        {
            ids.Add(MadeAt(Start + (i / 7)));
            rows[ids[^1]] = i;
        }

        for (var i = 0; i < 6 * InMemoryRowsById<int>.WindowRows; i++)
        {
            ids.Add(MadeAt(Start + 300 + (i / 7))); // the clock stepped back to the second window's time, and on
            rows[ids[^1]] = ids.Count - 1;
            rows.Remove(ids[i / 2], out _); // while old rows are removed
            rows[ids[i / 2]] = i / 2;
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ids.Select((id, i) => rows.TryGetValue(id, out var value) && value == i), Is.All.True);
            Assert.That(rows.Count, Is.EqualTo(ids.Count));
            Assert.That(rows.Values.Order(), Is.EqualTo(Enumerable.Range(0, ids.Count)));
        }
    }
}
