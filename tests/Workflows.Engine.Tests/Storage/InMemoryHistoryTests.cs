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
}
