using Workflows.Engine.Services;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Services;

/// <summary>Review 18 F8: the outbox kept every message ever sent; the worker deletes published rows after their retention.</summary>
[TestFixture]
public sealed class OutboxRetentionTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    private static string Sender => Process("sender", """
        <bpmn:startEvent id="start"/>
        <bpmn:sendTask id="handoff" messageRef="m"/>
        <bpmn:endEvent id="end"/>
        """ + Chain("start", "handoff", "end"), """<bpmn:message id="m" name="Requested"/>""");

    [Test]
    public async Task The_worker_deletes_published_outbox_rows_past_their_retention_and_keeps_recent_and_unpublished_ones()
    {
        var h = await ProcessTestHarness.CreateAsync((o, clock) => Task.FromResult(new WorkflowEngine(o, clock)), Start, o => o.Worker.OutboxRetention = TimeSpan.FromDays(1));
        await h.DeployAsync(Sender);
        var old = await h.StartAsync("sender");
        await PublishAsync(h, old.Id);
        await h.AdvanceTimeAsync(TimeSpan.FromDays(2));
        var recent = await h.StartAsync("sender");
        await PublishAsync(h, recent.Id);
        var unpublished = await h.StartAsync("sender");

        using var stop = new CancellationTokenSource();
        var worker = h.Engine.Worker.RunAsync(stop.Token);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while ((await h.Engine.Queries.GetOutgoingMessagesAsync(old.Id)).Count > 0 && waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(20);
        }

        await stop.CancelAsync();
        await worker;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await h.Engine.Queries.GetOutgoingMessagesAsync(old.Id), Is.Empty, "published two days ago, kept one");
            Assert.That(await h.Engine.Queries.GetOutgoingMessagesAsync(recent.Id), Has.Count.EqualTo(1));
            Assert.That(await h.Engine.Queries.GetOutgoingMessagesAsync(unpublished.Id), Has.Count.EqualTo(1));
        }
    }

    [Test]
    public void An_outbox_retention_that_is_not_positive_is_refused_naming_the_setting_and_the_default_is_a_week()
    {
        var options = new WorkflowEngineOptions();
        var byDefault = options.Worker.OutboxRetention;
        options.Worker.OutboxRetention = TimeSpan.Zero;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(byDefault, Is.EqualTo(TimeSpan.FromDays(7)));
            Assert.That(options.Worker.Check(), Has.One.Contains("Worker.OutboxRetention must be positive and at most 3,650 days when set"));
        }
    }

    // Review 19 F4: the retentions were checked from below only; a "keep for ever" of TimeSpan.MaxValue passed the check,
    // and the purge's cut-off (now − retention) then failed every worker round, before its timers, clocks and jobs.
    [Test]
    public void A_retention_past_ten_years_is_refused_naming_the_setting_and_an_unset_outbox_retention_keeps_rows_for_ever()
    {
        var options = new WorkflowEngineOptions();
        options.Worker.OutboxRetention = TimeSpan.MaxValue;
        options.Worker.IdempotencyKeyRetention = TimeSpan.MaxValue;
        var refused = options.Worker.Check();
        options.Worker.OutboxRetention = null;
        options.Worker.IdempotencyKeyRetention = TimeSpan.FromDays(3650);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused, Has.One.Contains("Worker.OutboxRetention must be positive and at most 3,650 days when set"));
            Assert.That(refused, Has.One.Contains("Worker.IdempotencyKeyRetention must be from 24 hours (1.00:00:00) to 3,650 days"));
            Assert.That(options.Worker.Check(), Is.Empty);
        }
    }

    // Review 19 F5: the first purge on a node of long standing took its whole backlog in one round, ahead of that round's
    // timers; a round now deletes at most DueWork.OutboxBatchesPerRound batches, and the rounds after it go on at once.
    [Test]
    public async Task A_backlog_of_published_rows_is_deleted_a_few_batches_a_round_and_the_next_rounds_finish_it()
    {
        var h = await ProcessTestHarness.CreateAsync((o, clock) => Task.FromResult(new WorkflowEngine(o, clock)), Start, o =>
        {
            o.Worker.OutboxRetention = TimeSpan.FromDays(1);
            o.Worker.HistoryDeleteBatchSize = 1;
            o.Worker.HistoryCleanupInterval = TimeSpan.FromDays(30); // the clock does not move: no second purge but a continued one
        });
        await h.DeployAsync(Sender);
        var backlog = DueWork.OutboxBatchesPerRound + 5;
        var instances = new List<Guid>();
        for (var i = 0; i < backlog; i++)
        {
            var instance = await h.StartAsync("sender");
            await PublishAsync(h, instance.Id);
            instances.Add(instance.Id);
        }

        await h.AdvanceTimeAsync(TimeSpan.FromDays(2));
        var oneRound = await h.Engine.Store.DeletePublishedOutboxAsync(h.Clock.GetUtcNow() - TimeSpan.FromDays(1), 1, DueWork.OutboxBatchesPerRound, default);
        Assert.That(oneRound, Is.EqualTo(DueWork.OutboxBatchesPerRound), "a round's purge stops at its batches");

        using var stop = new CancellationTokenSource();
        var worker = h.Engine.Worker.RunAsync(stop.Token);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while ((await h.Engine.Store.GetOutboxAsync(null, default)).Count > 0 && waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(20);
        }

        await stop.CancelAsync();
        await worker;
        Assert.That(await h.Engine.Store.GetOutboxAsync(null, default), Is.Empty, "the rest deleted by the worker's rounds, the clock unmoved");
    }

    // Review 19 F1: the in-memory store numbered outbox rows Count + 1, so after a purge a new row took a live row's number.
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

    // As the bus's relay marks a row once the broker has it.
    private static async Task PublishAsync(ProcessTestHarness h, Guid instanceId)
    {
        var row = (await h.Engine.Store.GetOutboxAsync(instanceId, default)).Single();
        await h.Engine.Store.MarkOutboxPublishedAsync([row.Seq], h.Clock.GetUtcNow(), default);
    }
}
