using Microsoft.Extensions.Time.Testing;

namespace Workflows.Engine.MassTransit.Tests;

/// <summary>The in-memory transport's bookkeeping of which engines are done with a published message.</summary>
[TestFixture]
public sealed class InMemoryHandoffsTests
{
    private readonly FakeTimeProvider _time = new();

    [Test]
    public void A_message_is_delivered_once_every_engine_of_the_node_is_done_with_it_not_when_the_first_is()
    {
        var relay = new RecordingRelay();
        var handoffs = Handoffs(engines: 3);
        var id = Guid.NewGuid();
        var publication = handoffs.Publishing(id, relay, seq: 7);

        handoffs.Answered(id, publication, HandoffAnswer.Refused, "nothing waits for it"); // refused as poison, say
        handoffs.Answered(id, publication, HandoffAnswer.Left); // not a process it runs
        var afterTwo = relay.Delivered.Count;
        handoffs.Answered(id, publication, HandoffAnswer.Took); // took it

        using (Assert.EnterMultipleScope())
        {
            Assert.That(afterTwo, Is.Zero, "two of three engines done is not delivered");
            Assert.That(relay.Delivered, Is.EqualTo(new[] { 7L }));
            Assert.That(handoffs.InTransit(id), "in transit until the relay marked its row: a read in between must not publish it again");
            Assert.That(handoffs.InTransitOf(relay), Is.EqualTo((1, 0)));
        }

        handoffs.Marked([id]);
        Assert.That(handoffs.InTransit(id), Is.False);
    }

    [Test]
    public void A_message_any_engine_gave_up_is_not_delivered_and_pauses_before_it_is_published_again()
    {
        var relay = new RecordingRelay();
        var handoffs = Handoffs(engines: 2);
        var id = Guid.NewGuid();
        var publication = handoffs.Publishing(id, relay, seq: 9);

        handoffs.Answered(id, publication, HandoffAnswer.GaveUp, "the database is away");
        var inTransitWhileTheOtherHoldsIt = handoffs.InTransit(id);
        handoffs.Answered(id, publication, HandoffAnswer.Took);
        var pausing = handoffs.InTransit(id);
        var counted = handoffs.InTransitOf(relay);
        _time.Advance(TimeSpan.FromSeconds(10));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(inTransitWhileTheOtherHoldsIt, "still in transit while another engine holds its copy");
            Assert.That(relay.Delivered, Is.Empty);
            Assert.That(relay.Undelivered, Is.EqualTo(new[] { 9L }));
            Assert.That(pausing, "not read as unpublished during its pause");
            Assert.That(counted, Is.EqualTo((0, 1)), "pausing, not held: the relay reads past it and never waits for it");
            Assert.That(handoffs.InTransit(id), Is.False, "read again once its pause ended");
        }
    }

    // Review 18 F7: a message refused for good by the engine it was for, and left by the others, was marked delivered
    // (and lost in the process's error queue); it is parked with the refusal. One another engine took is delivered.
    [Test]
    public void A_message_no_engine_took_and_one_refused_is_parked_with_the_refusal_and_one_another_took_is_delivered()
    {
        var relay = new RecordingRelay();
        var handoffs = Handoffs(engines: 2);
        var (refused, taken) = (Guid.NewGuid(), Guid.NewGuid());
        var first = handoffs.Publishing(refused, relay, seq: 3);
        var second = handoffs.Publishing(taken, relay, seq: 4);

        handoffs.Answered(refused, first, HandoffAnswer.Left);
        handoffs.Answered(refused, first, HandoffAnswer.Refused, "no instance waits for it");
        handoffs.Answered(taken, second, HandoffAnswer.Refused, "no instance of mine waits for it");
        handoffs.Answered(taken, second, HandoffAnswer.Took);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(relay.Parked, Is.EqualTo(new[] { (3L, "refused for good: no instance waits for it") }));
            Assert.That(relay.Delivered, Is.EqualTo(new[] { 4L }));
            Assert.That(handoffs.InTransit(refused), "in transit until the relay parked its row");
        }
    }

    // Round 17's review (F7): deliveries were kept by message id alone, so when a publish failed after some engines' queues
    // had their copies and the row was published again, an answer to a first copy counted for the second publication: the
    // row was marked while an engine still held its only copy of the second.
    [Test]
    public void Answers_to_the_copies_of_a_publication_that_failed_do_not_count_for_the_next_publication()
    {
        var relay = new RecordingRelay();
        var handoffs = Handoffs(engines: 2);
        var id = Guid.NewGuid();
        var first = handoffs.Publishing(id, relay, seq: 3);
        handoffs.NotPublished(id, first); // the publish threw after the first engine's queue had its copy
        var readAgain = !handoffs.InTransit(id);
        var second = handoffs.Publishing(id, relay, seq: 3);

        handoffs.Answered(id, first, HandoffAnswer.Took); // the first engine took its first copy
        handoffs.Answered(id, second, HandoffAnswer.Took); // and found its second a duplicate
        var beforeTheSecondEngine = relay.Delivered.Count;
        handoffs.Answered(id, first, HandoffAnswer.GaveUp, "stale"); // a late give-up of a first copy changes nothing either
        handoffs.Answered(id, second, HandoffAnswer.Took); // the second engine took the second publication's copy

        using (Assert.EnterMultipleScope())
        {
            Assert.That(readAgain, "a publication that failed is read again by the relay");
            Assert.That(second, Is.Not.EqualTo(first));
            Assert.That(beforeTheSecondEngine, Is.Zero, "not delivered while the second engine holds its copy");
            Assert.That(relay.Delivered, Is.EqualTo(new[] { 3L }));
            Assert.That(relay.Undelivered, Is.Empty);
        }
    }

    [Test]
    public void The_pause_doubles_with_each_give_up_and_the_message_is_parked_after_the_last_redelivery()
    {
        var relay = new RecordingRelay();
        var handoffs = Handoffs(engines: 1, new WorkflowBusOptions { RedeliveryDelay = TimeSpan.FromSeconds(10), MaxRedeliveries = 2 });
        var id = Guid.NewGuid();
        var pauses = new List<TimeSpan>();
        for (var giveUp = 1; giveUp <= 2; giveUp++)
        {
            handoffs.Answered(id, handoffs.Publishing(id, relay, seq: 5), HandoffAnswer.GaveUp, $"failure {giveUp}");
            var paused = TimeSpan.Zero;
            while (handoffs.InTransit(id))
            {
                _time.Advance(TimeSpan.FromSeconds(1));
                paused += TimeSpan.FromSeconds(1);
            }

            pauses.Add(paused);
        }

        handoffs.Answered(id, handoffs.Publishing(id, relay, seq: 5), HandoffAnswer.GaveUp, "failure 3");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(pauses, Is.EqualTo(new[] { TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20) }));
            Assert.That(relay.Undelivered, Is.EqualTo(new[] { 5L, 5L }));
            Assert.That(relay.Parked, Has.Count.EqualTo(1));
            Assert.That(relay.Parked[0].Seq, Is.EqualTo(5L));
            Assert.That(relay.Parked[0].Reason, Does.Contain("3 times").And.Contain("failure 3"));
            Assert.That(handoffs.InTransit(id), "in transit until the relay parked its row: a read in between must not publish it again");
        }

        handoffs.Marked([id]);
        _time.Advance(TimeSpan.FromHours(1));
        Assert.That(handoffs.InTransit(id), Is.False);
    }

    // An exception's message may hold what PostgreSQL's text refuses: a park that failed would fail again at every round and
    // stop the relay behind it.
    [Test]
    public void A_parked_reason_holds_no_nul_no_half_surrogate_pair_and_no_more_than_the_longest_kept()
    {
        var relay = new RecordingRelay();
        var handoffs = Handoffs(engines: 1, new WorkflowBusOptions { MaxRedeliveries = 0 });
        var id = Guid.NewGuid();
        handoffs.Answered(id, handoffs.Publishing(id, relay, seq: 2), HandoffAnswer.GaveUp, "bad\0byte \uD800 half, whole \uD83D\uDE00 pair, line\nend" + new string('x', 5000));
        var reason = relay.Parked.Single().Reason;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reason, Does.Contain("bad byte \uFFFD half, whole \uD83D\uDE00 pair, line end"));
            Assert.That(reason, Has.Length.EqualTo(InMemoryHandoffs.MaxReasonLength));
            Assert.That(reason.Any(char.IsControl), Is.False);
            Assert.DoesNotThrow(() => new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetByteCount(reason), "Unicode text");
        }
    }

    [Test]
    public void Answers_for_messages_no_relay_of_the_node_published_change_nothing()
    {
        var relay = new RecordingRelay();
        var handoffs = Handoffs(engines: 1);
        var id = Guid.NewGuid();
        var publication = handoffs.Publishing(id, relay, seq: 1);

        handoffs.Answered(Guid.NewGuid(), publication, HandoffAnswer.Took); // a job answer, or a message published by hand
        handoffs.Answered(null, null, HandoffAnswer.Took);
        handoffs.Answered(id, publication: null, HandoffAnswer.Took); // a copy of that id published by hand, with no publication

        using (Assert.EnterMultipleScope())
        {
            Assert.That(relay.Delivered, Is.Empty);
            Assert.That(handoffs.InTransitOf(relay), Is.EqualTo((1, 0)));
            Assert.That(handoffs.InTransitOf(new RecordingRelay()), Is.EqualTo((0, 0)), "each relay counts its own");
        }
    }

    private InMemoryHandoffs Handoffs(int engines, WorkflowBusOptions? options = null) => new(engines, options ?? new WorkflowBusOptions(), _time);

    private sealed class RecordingRelay : IHandoffRelay
    {
        public List<long> Delivered { get; } = [];

        public List<long> Undelivered { get; } = [];

        public List<(long Seq, string Reason)> Parked { get; } = [];

        void IHandoffRelay.Delivered(long seq, Guid messageId) => Delivered.Add(seq);

        void IHandoffRelay.Undelivered(long seq) => Undelivered.Add(seq);

        void IHandoffRelay.Park(long seq, Guid messageId, string reason) => Parked.Add((seq, reason));
    }
}
