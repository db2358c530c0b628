using NUnit.Framework;
using Workflows.Engine.Storage;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

// The rows the bus relies on (Workflows.Engine.MassTransit), on each database.
public abstract partial class StoreSuite
{
    [Test]
    public async Task The_relay_lease_outbox_external_jobs_inbox_and_message_expiry_work_on_the_store()
    {
        var h = await HarnessAsync();
        var store = NewStore();
        var now = h.Clock.GetUtcNow();
        var run = Guid.NewGuid().ToString("N")[..8];
        await h.DeployAsync(Process($"bus-{run}", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:sendTask id="handoff" messageRef="m"/>
            <bpmn:serviceTask id="score"><bpmn:extensionElements><wf:taskDefinition type="score-{run}" external="true"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:endEvent id="end"/>
            {Chain("start", "handoff", "score", "end")}
            """, $"""<bpmn:message id="m" name="Requested-{run}"><bpmn:extensionElements><wf:publish timeToLive="PT10M"/></bpmn:extensionElements></bpmn:message>"""));
        var instance = await h.StartAsync($"bus-{run}");

        // One node at a time holds a lease; another takes it once it runs out.
        var lease = $"lease-{run}";
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await store.TryTakeLeaseAsync(lease, "a", now, now.AddSeconds(30), default), Is.True);
            Assert.That(await store.TryTakeLeaseAsync(lease, "a", now.AddSeconds(10), now.AddSeconds(40), default), Is.True, "renewed by its holder");
            Assert.That(await store.TryTakeLeaseAsync(lease, "b", now.AddSeconds(20), now.AddSeconds(50), default), Is.False);
            Assert.That(await store.TryTakeLeaseAsync(lease, "b", now.AddSeconds(40), now.AddSeconds(70), default), Is.False, "held up to and including its end");
            Assert.That(await store.TryTakeLeaseAsync(lease, "b", now.AddSeconds(41), now.AddSeconds(71), default), Is.True, "taken over after it ran out");
        }

        // The outbox row carries its kind and headers until the relay marks it published.
        var row = (await store.GetUnpublishedOutboxAsync(10_000, default)).Single(o => o.InstanceId == instance.Id);
        await store.MarkOutboxPublishedAsync([row.Seq], now, default);
        var sent = (await h.Engine.Queries.GetOutgoingMessagesAsync(instance.Id)).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(row.Kind, Is.EqualTo(OutgoingMessageKind.Message));
            Assert.That(row.Headers.TimeToLive, Is.EqualTo(TimeSpan.FromMinutes(10)));
            Assert.That(row.Headers.Handoff.SourceInstanceId, Is.EqualTo(instance.Id));
            Assert.That(sent.PublishedAt, Is.EqualTo(now));
            Assert.That((await store.GetUnpublishedOutboxAsync(10_000, default)).Where(o => o.InstanceId == instance.Id), Is.Empty);
        }

        // An external job is leased to one dispatcher; a released lease lets another take it at once.
        var job = (await store.ClaimDueExternalJobsAsync(now.AddSeconds(1), 100, "n1", now.AddSeconds(1), now.AddMinutes(5), default)).Single(j => j.InstanceId == instance.Id);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(job.External, Is.True);
            Assert.That((await store.ClaimDueExternalJobsAsync(now.AddSeconds(1), 100, "n2", now.AddSeconds(1), now.AddMinutes(5), default)).Where(j => j.Id == job.Id), Is.Empty);
        }

        await store.ReleaseJobLeasesAsync([job.Id], "n1", default);
        Assert.That((await store.ClaimDueExternalJobsAsync(now.AddSeconds(1), 100, "n2", now.AddSeconds(1), now.AddMinutes(5), default)).Select(j => j.Id), Does.Contain(job.Id));

        // The inbox: the same message id a second time changes nothing.
        var message = new PublishMessage($"Nobody-{run}", "k") { MessageId = $"id-{run}", TimeToLive = TimeSpan.FromMinutes(1) };
        var first = await h.Engine.Runtime.CorrelateMessageAsync(message);
        var second = await h.Engine.Runtime.CorrelateMessageAsync(message);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(first, Is.EqualTo(new CorrelationResult(0, 0, Buffered: true, Duplicate: false)));
            Assert.That(second.Duplicate, Is.True);
            Assert.ThrowsAsync<WorkflowNotFoundException>(() => h.Engine.Runtime.CorrelateMessageAsync(new PublishMessage($"Nobody-{run}", "k2") { MustCorrelate = true }));
        }

        // Its time-to-live runs out with nobody taking it: recorded, not dropped.
        h.Clock.Advance(TimeSpan.FromMinutes(2));
        await h.Engine.Worker.ExpireMessagesAsync();
        Assert.That((await h.Engine.Queries.GetExpiredMessagesAsync(1000)).Select(m => m.MessageId), Does.Contain($"id-{run}"));
    }

    // Issue 19, round 18: a message the engines of an in-memory bus node keep giving up is parked, not published for ever.
    [Test]
    public async Task A_parked_outbox_row_is_kept_listed_not_read_as_unpublished_and_unparked_once()
    {
        var h = await HarnessAsync();
        var store = NewStore();
        var now = h.Clock.GetUtcNow();
        var (instance, run) = await StartWithOneMessageAsync(h);
        var row = (await store.GetUnpublishedOutboxAsync(10_000, default)).Single(o => o.InstanceId == instance.Id);

        await store.ParkOutboxAsync(row.Seq, "engines gave it up 9 times; the last failure: the database is away", now, default);
        var parked = await h.Engine.Queries.GetParkedMessagesAsync(10_000);
        var unpublishedWhileParked = (await store.GetUnpublishedOutboxAsync(10_000, default)).Where(o => o.InstanceId == instance.Id);
        var sentAgain = h.Engine.Operations.SendParkedMessageAgainAsync(row.Id);
        await sentAgain;
        var afterSendingAgain = (await h.Engine.Queries.GetOutgoingMessagesAsync(instance.Id)).Single();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(parked.Where(m => m.Id == row.Id).Select(m => (m.ParkedAt, m.ParkedReason, m.Name)),
                Is.EqualTo(new[] { ((DateTimeOffset?)now, (string?)"engines gave it up 9 times; the last failure: the database is away", $"Requested-{run}") }));
            Assert.That(unpublishedWhileParked, Is.Empty, "the relay does not read a parked row");
            Assert.That((await store.GetUnpublishedOutboxAsync(10_000, default)).Where(o => o.InstanceId == instance.Id).Select(o => o.Id), Is.EqualTo(new[] { row.Id }), "unpublished again once sent again");
            Assert.That(afterSendingAgain.ParkedAt, Is.Null);
            Assert.That(afterSendingAgain.PublishedAt, Is.Null);
            Assert.That((await h.Engine.Queries.GetParkedMessagesAsync(10_000)).Where(m => m.Id == row.Id), Is.Empty);
            Assert.ThrowsAsync<WorkflowNotFoundException>(() => h.Engine.Operations.SendParkedMessageAgainAsync(row.Id), "a row not parked is not sent again");
        }
    }

    // Round 20: PostgreSQL reads the page after a cursor with a row comparison (parked_at, seq), the others with "later, or
    // as late with a greater seq": pages of two through rows parked at one time and at the next give each row once, in order.
    [Test]
    public async Task Parked_rows_paged_after_a_cursor_come_each_once_in_the_order_of_their_park_and_seq()
    {
        var h = await HarnessAsync();
        var store = NewStore();
        var at = h.Clock.GetUtcNow().AddDays(3650); // later than any other test's parks on a shared database: ours come last
        var rows = new List<OutboxRecord>();
        for (var i = 0; i < 5; i++)
        {
            var (instance, _) = await StartWithOneMessageAsync(h);
            rows.Add((await store.GetUnpublishedOutboxAsync(10_000, default)).Single(o => o.InstanceId == instance.Id));
        }

        // Parked out of their seq's order: the three of the first time are the later three rows.
        foreach (var (row, time) in rows.Zip(new[] { at.AddSeconds(1), at.AddSeconds(1), at, at, at }))
        {
            await store.ParkOutboxAsync(row.Seq, "refused for good", time, default);
        }

        var paged = new List<OutboxRecord>();
        ParkedCursor? after = null;
        for (var page = await store.GetParkedOutboxAsync(null, after, 2, default); page.Count > 0; page = await store.GetParkedOutboxAsync(null, after, 2, default))
        {
            paged.AddRange(page);
            after = new ParkedCursor(page[^1].ParkedAt!.Value, page[^1].Seq);
        }

        var ours = rows.Select(r => r.Seq).ToHashSet();
        Assert.That(paged.Where(p => ours.Contains(p.Seq)).Select(p => p.Seq), Is.EqualTo(new[] { rows[2].Seq, rows[3].Seq, rows[4].Seq, rows[0].Seq, rows[1].Seq }));
        Assert.That(paged.Select(p => p.Seq), Is.Unique, "no row on two pages");
    }

    // Review 18 F4: a relay parks a row some time after its engines gave it up; another node's relay may have published it since.
    [Test]
    public async Task A_row_published_before_its_park_is_written_stays_published_and_is_not_listed_as_parked()
    {
        var h = await HarnessAsync();
        var store = NewStore();
        var now = h.Clock.GetUtcNow();
        var (instance, _) = await StartWithOneMessageAsync(h);
        var row = (await store.GetUnpublishedOutboxAsync(10_000, default)).Single(o => o.InstanceId == instance.Id);

        await store.MarkOutboxPublishedAsync([row.Seq], now, default);
        await store.ParkOutboxAsync(row.Seq, "engines gave it up 9 times", now.AddMinutes(1), default);
        var message = (await h.Engine.Queries.GetOutgoingMessagesAsync(instance.Id)).Single();

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await h.Engine.Queries.GetParkedMessagesAsync(10_000)).Where(m => m.Id == row.Id), Is.Empty);
            Assert.That((message.PublishedAt, message.ParkedAt, message.ParkedReason), Is.EqualTo(((DateTimeOffset?)now, (DateTimeOffset?)null, (string?)null)));
        }
    }

    // Review 18 F8: published outbox rows were never deleted, so the outbox kept every message ever sent.
    [Test]
    public async Task Published_outbox_rows_are_deleted_after_their_retention_in_batches_and_parked_and_unpublished_rows_stay()
    {
        var h = await HarnessAsync();
        var store = NewStore();
        var now = h.Clock.GetUtcNow();
        var rows = new List<OutboxRecord>();
        for (var i = 0; i < 5; i++)
        {
            var (instance, _) = await StartWithOneMessageAsync(h);
            rows.Add((await store.GetUnpublishedOutboxAsync(10_000, default)).Single(o => o.InstanceId == instance.Id));
        }

        var (old1, old2, recent, parked, unpublished) = (rows[0], rows[1], rows[2], rows[3], rows[4]);
        await store.MarkOutboxPublishedAsync([old1.Seq, old2.Seq], now.AddHours(-3), default);
        await store.MarkOutboxPublishedAsync([recent.Seq], now, default);
        await store.ParkOutboxAsync(parked.Seq, "refused for good", now.AddHours(-3), default);

        var deleted = await store.DeletePublishedOutboxAsync(now.AddHours(-1), batchSize: 1, maxBatches: 10, default);
        var left = (await store.GetOutboxAsync(null, default)).Select(o => o.Id).ToHashSet();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(deleted, Is.GreaterThanOrEqualTo(2), "both old published rows, a batch of one at a time");
            Assert.That(left, Does.Not.Contain(old1.Id).And.Not.Contain(old2.Id));
            Assert.That(left, Does.Contain(recent.Id).And.Contain(parked.Id).And.Contain(unpublished.Id), "a row within its retention, a parked row and an unpublished one stay");
            Assert.That((await h.Engine.Queries.GetParkedMessagesAsync(10_000)).Select(m => m.Id), Does.Contain(parked.Id));
        }
    }

    /// <summary>Starts an instance of a new process that sends one message (<c>Requested-{run}</c>) and ends: one outbox row.</summary>
    private protected static async Task<(ProcessInstanceHandle Instance, string Run)> StartWithOneMessageAsync(ProcessTestHarness h)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        await h.DeployAsync(Process($"one-message-{run}", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:sendTask id="handoff" messageRef="m"/>
            <bpmn:endEvent id="end"/>
            {Chain("start", "handoff", "end")}
            """, $"""<bpmn:message id="m" name="Requested-{run}"/>"""));
        return (await h.StartAsync($"one-message-{run}"), run);
    }
}
