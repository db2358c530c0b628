using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Storage;

/// <summary>Review 19 F1: the in-memory store numbers outbox rows Count + 1, so after the purge a new row takes a live row's seq.</summary>
[TestFixture]
public sealed class InMemoryOutboxSeqTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    private static string Sender => Process("sender", """
        <bpmn:startEvent id="start"/>
        <bpmn:sendTask id="handoff" messageRef="m"/>
        <bpmn:endEvent id="end"/>
        """ + Chain("start", "handoff", "end"), """<bpmn:message id="m" name="Requested"/>""");

    [Test]
    public async Task After_a_purge_a_new_outbox_row_does_not_share_a_seq_and_marking_it_does_not_mark_another_message()
    {
        var h = await ProcessTestHarness.CreateAsync((o, clock) => Task.FromResult(new WorkflowEngine(o, clock)), Start, o => o.Worker.OutboxRetention = TimeSpan.FromDays(1));
        await h.DeployAsync(Sender);
        var old = await h.StartAsync("sender");
        await PublishAsync(h, old.Id);
        await h.AdvanceTimeAsync(TimeSpan.FromDays(2));
        var unpublished = await h.StartAsync("sender"); // waits for the relay (seq 2)

        // The worker's housekeeping, as it runs it.
        var purged = await h.Engine.Store.DeletePublishedOutboxAsync(h.Clock.GetUtcNow() - TimeSpan.FromDays(1), 500, 10, default);
        var next = await h.StartAsync("sender");
        var nextRow = (await h.Engine.Store.GetOutboxAsync(next.Id, default)).Single();
        var waitingRow = (await h.Engine.Store.GetOutboxAsync(unpublished.Id, default)).Single();

        // The relay publishes `next` and marks its seq.
        await h.Engine.Store.MarkOutboxPublishedAsync([nextRow.Seq], h.Clock.GetUtcNow(), default);
        var waitingAfter = (await h.Engine.Store.GetOutboxAsync(unpublished.Id, default)).Single();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(purged, Is.EqualTo(1));
            Assert.That(nextRow.Seq, Is.Not.EqualTo(waitingRow.Seq), "a new row takes a seq no live row has");
            Assert.That(waitingAfter.PublishedAt, Is.Null, "a message never published must not be marked published by another's mark");
        }
    }

    private static async Task PublishAsync(ProcessTestHarness h, Guid instanceId)
    {
        var row = (await h.Engine.Store.GetOutboxAsync(instanceId, default)).Single();
        await h.Engine.Store.MarkOutboxPublishedAsync([row.Seq], h.Clock.GetUtcNow(), default);
    }
}
