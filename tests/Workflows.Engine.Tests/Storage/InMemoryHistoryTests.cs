using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Tests.Storage;

/// <summary>
/// The in-memory store keeps history rows compactly (an id's text as the id, the moment as ticks; a finished instance's rows
/// as one array) and reads each back as it was given.
/// </summary>
public sealed class InMemoryHistoryTests
{
    [Test]
    public async Task History_rows_read_back_as_written_whatever_their_detail_key_and_moment()
    {
        var store = new InMemoryWorkflowStore();
        var instanceId = Guid.NewGuid();
        var at = new DateTimeOffset(2026, 12, 5, 10, 0, 0, TimeSpan.Zero);
        var id = Guid.NewGuid();
        var written = new List<HistoryRecord>
        {
            new(instanceId, at, "TaskCreated", "handle", 7, null, id.ToString()),
            new(instanceId, at.AddTicks(1), "TaskCompleted", "handle", 7, "ann", id.ToString().ToUpperInvariant()),
            new(instanceId, at.AddSeconds(1), "Note", null, null, null, null),
            new(instanceId, at.AddSeconds(2), "Note", "x", 0, null, "not an id"),
            new(instanceId, at.AddSeconds(3), "Note", "x", long.MaxValue, null, "{" + id + "}"),
            new(instanceId, at.AddSeconds(4), "Note", "x", 1, null, id.ToString("N")),
            new(instanceId, at.AddSeconds(5), "Note", "x", 2, null, Guid.Empty.ToString()),
            // Texts the id parse takes leniently ("0x" or "+" inside a group) but an id does not give back (review16 F1).
            new(instanceId, at.AddSeconds(6), "TaskComment", "x", 3, "ann", "0x123456-0000-0000-0000-000000000000"),
            new(instanceId, at.AddSeconds(7), "TaskComment", "x", 3, "ann", "0X123456-0000-0000-0000-000000000000"),
            new(instanceId, at.AddSeconds(8), "TaskComment", "x", 3, "ann", "+1234567-0000-0000-0000-000000000000"),
            new(instanceId, at.AddSeconds(9), "TaskComment", "x", 3, "ann", "00000000-0x00-0000-0000-000000000000"),
            new(instanceId, at.AddSeconds(10), "TaskComment", "x", 3, "ann", "00000000-+000-0000-0000-000000000000"),
        };
        var changes = new ChangeSet();
        changes.History.AddRange(written);
        await store.CommitAsync(changes, default);

        var read = await store.GetHistoryAsync(instanceId, default);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(read, Is.EqualTo(written), "every field of every row, the details' text exactly");
            Assert.That(read.Select(r => r.At.Offset), Is.All.EqualTo(TimeSpan.Zero));
        }
    }

    [Test]
    public async Task A_history_moment_given_with_an_offset_reads_back_as_the_same_instant_in_UTC()
    {
        var store = new InMemoryWorkflowStore();
        var instanceId = Guid.NewGuid();
        var at = new DateTimeOffset(2026, 12, 5, 11, 0, 0, TimeSpan.FromHours(1));
        var changes = new ChangeSet();
        changes.History.Add(new HistoryRecord(instanceId, at, "Note", null, null, null, null));
        await store.CommitAsync(changes, default);

        var read = (await store.GetHistoryAsync(instanceId, default)).Single();

        Assert.That(read.At.UtcDateTime, Is.EqualTo(at.UtcDateTime));
    }

    [Test]
    public async Task A_finished_instance_keeps_its_history_as_one_array_read_back_in_the_order_of_its_commits()
    {
        var store = new InMemoryWorkflowStore();
        var at = new DateTimeOffset(2026, 12, 5, 10, 0, 0, TimeSpan.Zero);
        var running = new InstanceRecord(Guid.NewGuid(), "p", Guid.NewGuid(), 1, null, ProcessInstanceStatus.Active, 1, at, null, null, [1]);
        HistoryRecord Row(int second, string? detail = null) => new(running.Id, at.AddSeconds(second), "Note", "x", second, null, detail ?? Guid.NewGuid().ToString());
        async Task CommitAsync(InstanceWrite? write, params HistoryRecord[] rows)
        {
            var changes = new ChangeSet();
            if (write is { } w)
            {
                changes.Instances.Add(w);
            }

            changes.History.AddRange(rows);
            await store.CommitAsync(changes, default);
        }

        var written = new List<HistoryRecord> { Row(0), Row(1, "started") };
        await CommitAsync(new InstanceWrite(running, 0), [.. written]);
        written.AddRange([Row(2), Row(3)]);
        await CommitAsync(null, written[2], written[3]);
        var arraysWhileRunning = store.HistoryArrays(running.Id);
        var ended = running with { Status = ProcessInstanceStatus.Completed, RowVersion = 2, EndedAt = at.AddSeconds(4) };
        written.Add(Row(4, "ended"));
        await CommitAsync(new InstanceWrite(ended, 1), written[4]);
        var arraysEnded = store.HistoryArrays(running.Id);
        var readEnded = await store.GetHistoryAsync(running.Id, default);
        written.Add(Row(5, "a note after the end"));
        await CommitAsync(null, written[5]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(arraysWhileRunning, Is.EqualTo(2), "a running instance's commits are kept as they came");
            Assert.That(arraysEnded, Is.EqualTo(1), "an ended instance's rows are one array");
            Assert.That(readEnded, Is.EqualTo(written.Take(5)));
            Assert.That(await store.GetHistoryAsync(running.Id, default), Is.EqualTo(written), "a row after the end follows the others");
            Assert.That(await store.DeleteHistoryAsync(at.AddSeconds(5), 100, default), Is.EqualTo(6));
        }
    }

    [Test]
    public async Task Ended_instances_histories_read_back_across_the_logs_arrays_and_deleted_ones_give_back_their_arrays_and_texts()
    {
        var store = new InMemoryWorkflowStore();
        var at = new DateTimeOffset(2026, 12, 6, 3, 0, 0, TimeSpan.Zero);
        var rowsEach = 50;
        var instances = (InMemoryHistoryLog.ChunkRows / rowsEach) + 2; // the last ones in a second array
        var written = new Dictionary<Guid, List<HistoryRecord>>();
        for (var i = 0; i < instances; i++)
        {
            var started = new InstanceRecord(Guid.NewGuid(), "p", Guid.NewGuid(), 1, null, ProcessInstanceStatus.Active, 1, at, null, null, [1]);
            var rows = Enumerable.Range(0, rowsEach)
                .Select(r => new HistoryRecord(started.Id, at.AddSeconds(r), r % 2 == 0 ? "Note" : "TaskCreated", "e" + (r % 3), r, r == 1 ? "ann" : null,
                    r % 5 == 0 ? $"note {i}.{r}" : Guid.NewGuid().ToString()))
                .ToList();
            written[started.Id] = rows;
            var first = new ChangeSet();
            first.Instances.Add(new InstanceWrite(started, 0));
            first.History.AddRange(rows.Take(rowsEach / 2));
            await store.CommitAsync(first, default);
            var end = new ChangeSet();
            end.Instances.Add(new InstanceWrite(started with { Status = ProcessInstanceStatus.Completed, RowVersion = 2, EndedAt = at.AddHours(1) }, 1));
            end.History.AddRange(rows.Skip(rowsEach / 2));
            await store.CommitAsync(end, default);
        }

        var chunksFilled = store.HistoryChunks;
        var textsHeld = store.HistoryDetailTexts;
        var allReadBack = true;
        foreach (var (id, rows) in written)
        {
            allReadBack &= (await store.GetHistoryAsync(id, default)).SequenceEqual(rows);
        }

        var deleted = await store.DeleteHistoryAsync(at.AddHours(2), 1_000_000, default);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(chunksFilled, Is.EqualTo(2), "the ended instances' rows fill one array of the log and start another");
            Assert.That(textsHeld, Is.EqualTo(instances * rowsEach / 5), "one slot for each detail that is text, none for an id");
            Assert.That(allReadBack, Is.True, "every instance's rows read back as written, in their order");
            Assert.That(deleted, Is.EqualTo(instances * rowsEach));
            Assert.That(store.HistoryChunks, Is.EqualTo(1), "the array nobody's rows are in any more is let go; the one being filled is kept");
            Assert.That(store.HistoryDetailTexts, Is.Zero, "the deleted rows' texts are given back");
        }
    }

    [Test]
    public async Task A_history_longer_than_an_array_of_the_log_is_kept_whole_once_ended()
    {
        var store = new InMemoryWorkflowStore();
        var at = new DateTimeOffset(2026, 12, 6, 3, 0, 0, TimeSpan.Zero);
        var started = new InstanceRecord(Guid.NewGuid(), "p", Guid.NewGuid(), 1, null, ProcessInstanceStatus.Active, 1, at, null, null, [1]);
        var rows = Enumerable.Range(0, InMemoryHistoryLog.ChunkRows + 1).Select(r => new HistoryRecord(started.Id, at.AddTicks(r), "Note", null, null, null, $"{r}")).ToList();
        var first = new ChangeSet();
        first.Instances.Add(new InstanceWrite(started, 0));
        first.History.AddRange(rows.Take(10));
        await store.CommitAsync(first, default);
        var end = new ChangeSet();
        end.Instances.Add(new InstanceWrite(started with { Status = ProcessInstanceStatus.Completed, RowVersion = 2, EndedAt = at.AddHours(1) }, 1));
        end.History.AddRange(rows.Skip(10));
        await store.CommitAsync(end, default);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(store.HistoryArrays(started.Id), Is.EqualTo(1));
            Assert.That(store.HistoryChunks, Is.Zero, "too long for the log's arrays: an array of its own");
            Assert.That(await store.GetHistoryAsync(started.Id, default), Is.EqualTo(rows));
        }
    }

    [Test]
    public async Task An_instance_that_ends_in_its_first_commit_reads_its_rows_back_and_a_note_after_them()
    {
        var store = new InMemoryWorkflowStore();
        var at = new DateTimeOffset(2026, 12, 6, 4, 0, 0, TimeSpan.Zero);
        var ended = new InstanceRecord(Guid.NewGuid(), "p", Guid.NewGuid(), 1, null, ProcessInstanceStatus.Completed, 1, at, at, null, [1]);
        var written = Enumerable.Range(0, 5).Select(r => new HistoryRecord(ended.Id, at.AddTicks(r), "Note", "x", r, null, r == 2 ? "two" : null)).ToList();
        var changes = new ChangeSet();
        changes.Instances.Add(new InstanceWrite(ended, 0));
        changes.History.AddRange(written);
        await store.CommitAsync(changes, default);
        var readEnded = await store.GetHistoryAsync(ended.Id, default);
        var chunks = store.HistoryChunks;
        var note = new ChangeSet();
        written.Add(new HistoryRecord(ended.Id, at.AddMinutes(1), "Note", null, null, "operator", "after the end"));
        note.History.Add(written[^1]);
        await store.CommitAsync(note, default);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(readEnded, Is.EqualTo(written.Take(5)));
            Assert.That(chunks, Is.EqualTo(1), "its rows are a run of the log");
            Assert.That(await store.GetHistoryAsync(ended.Id, default), Is.EqualTo(written), "a row after the end follows the others");
            Assert.That(store.HistoryDetailTexts, Is.EqualTo(2));
        }
    }
}

/// <summary>
/// The in-memory store's table of the history's names (kinds, element ids, actors) holds what the kept rows name: a store
/// fed distinct actors does not grow for ever once their rows are deleted, and a number a dropped name gave up names the
/// next one correctly.
/// </summary>
public sealed class InMemoryHistoryNamesTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 6, 6, 0, 0, TimeSpan.Zero);

    [Test]
    public async Task Names_no_kept_row_refers_to_are_dropped_when_their_rows_are_deleted()
    {
        var store = new InMemoryWorkflowStore();
        var kept = await EndedInstanceAsync(store, At.AddDays(1), "kept-actor", "kept-element");
        var namesOfTheKeptInstance = store.HistoryNames;
        var heldAfterEachDeletion = new List<int>();
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < 500; i++)
            {
                await EndedInstanceAsync(store, At, $"agent {round}.{i}", $"element {round}.{i}");
            }

            await store.DeleteHistoryAsync(At.AddHours(1), 1_000_000, default);
            heldAfterEachDeletion.Add(store.HistoryNames);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(namesOfTheKeptInstance, Is.EqualTo(4), "two kinds, an element id and an actor");
            Assert.That(heldAfterEachDeletion, Is.All.EqualTo(namesOfTheKeptInstance), "the deleted rows' 1,000 distinct names each round are dropped");
            Assert.That(await store.GetHistoryAsync(kept.Instance.Id, default), Is.EqualTo(kept.Rows), "the kept rows still read back their names");
        }
    }

    [Test]
    public async Task A_name_dropped_and_given_again_by_the_same_string_reads_back_as_itself_beside_the_names_that_took_its_number()
    {
        var store = new InMemoryWorkflowStore();
        var first = new[] { "ann", "bob", "cid" }; // the very strings given again below: found by reference if anything is
        var early = new List<(InstanceRecord Instance, List<HistoryRecord> Rows)>();
        foreach (var actor in first)
        {
            early.Add(await EndedInstanceAsync(store, At, actor, actor + "'s step"));
        }

        await store.DeleteHistoryAsync(At.AddHours(1), 1_000_000, default);
        var later = new List<(InstanceRecord Instance, List<HistoryRecord> Rows)>();
        foreach (var actor in new[] { "dan", "eve", "fay" })
        {
            later.Add(await EndedInstanceAsync(store, At.AddDays(1), actor, actor + "'s step"));
        }

        foreach (var actor in first)
        {
            later.Add(await EndedInstanceAsync(store, At.AddDays(1), actor, actor + "'s step"));
        }

        var readBack = new List<IReadOnlyList<HistoryRecord>>();
        foreach (var (instance, _) in later)
        {
            readBack.Add(await store.GetHistoryAsync(instance.Id, default));
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(readBack, Is.EqualTo(later.Select(l => l.Rows)), "each row's actor and element id as written");
            Assert.That(store.HistoryNames, Is.EqualTo(2 + (2 * 6)), "two kinds, six actors and six element ids");
            Assert.That(await store.GetHistoryAsync(early[0].Instance.Id, default), Is.Empty);
        }
    }

    // An instance started and ended in two commits, its rows naming the actor and the element.
    private static async Task<(InstanceRecord Instance, List<HistoryRecord> Rows)> EndedInstanceAsync(InMemoryWorkflowStore store, DateTimeOffset endedAt, string actor, string elementId)
    {
        var started = new InstanceRecord(Guid.NewGuid(), "p", Guid.NewGuid(), 1, null, ProcessInstanceStatus.Active, 1, endedAt.AddMinutes(-1), null, null, [1]);
        var rows = new List<HistoryRecord>
        {
            new(started.Id, endedAt.AddMinutes(-1), "TaskCreated", elementId, 1, null, Guid.NewGuid().ToString()),
            new(started.Id, endedAt, "TaskCompleted", elementId, 1, actor, "done by " + actor),
        };
        var first = new ChangeSet();
        first.Instances.Add(new InstanceWrite(started, 0));
        first.History.Add(rows[0]);
        await store.CommitAsync(first, default);
        var end = new ChangeSet();
        end.Instances.Add(new InstanceWrite(started with { Status = ProcessInstanceStatus.Completed, RowVersion = 2, EndedAt = endedAt }, 1));
        end.History.Add(rows[1]);
        await store.CommitAsync(end, default);
        return (started, rows);
    }
}
