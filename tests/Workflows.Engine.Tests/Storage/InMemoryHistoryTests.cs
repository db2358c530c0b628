using Workflows.Engine.Storage;

namespace Workflows.Engine.Tests.Storage;

/// <summary>The in-memory store keeps history rows compactly (an id's text as the id, the moment as ticks) and reads each back as it was given.</summary>
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
}
