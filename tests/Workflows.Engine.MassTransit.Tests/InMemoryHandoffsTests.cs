namespace Workflows.Engine.MassTransit.Tests;

/// <summary>The in-memory transport's bookkeeping of which engines are done with a published message.</summary>
[TestFixture]
public sealed class InMemoryHandoffsTests
{
    [Test]
    public void A_message_is_delivered_once_every_engine_of_the_node_is_done_with_it_not_when_the_first_is()
    {
        var relay = new RecordingRelay();
        var handoffs = new InMemoryHandoffs(engines: 3);
        var id = Guid.NewGuid();
        handoffs.Publishing(id, relay, seq: 7);

        handoffs.Answered(id, reached: true); // refused as poison, say
        handoffs.Answered(id, reached: true); // not a process it runs
        var afterTwo = relay.Delivered.Count;
        handoffs.Answered(id, reached: true); // took it

        using (Assert.EnterMultipleScope())
        {
            Assert.That(afterTwo, Is.Zero, "two of three engines done is not delivered");
            Assert.That(relay.Delivered, Is.EqualTo(new[] { 7L }));
            Assert.That(handoffs.InTransit(id), "in transit until the relay marked its row: a read in between must not publish it again");
            Assert.That(handoffs.InTransitOf(relay), Is.EqualTo(1));
        }

        handoffs.Marked([id]);
        Assert.That(handoffs.InTransit(id), Is.False);
    }

    [Test]
    public void A_message_any_engine_gave_up_is_not_delivered_and_no_longer_in_transit_so_that_it_is_published_again()
    {
        var relay = new RecordingRelay();
        var handoffs = new InMemoryHandoffs(engines: 2);
        var id = Guid.NewGuid();
        handoffs.Publishing(id, relay, seq: 9);

        handoffs.Answered(id, reached: false);
        var inTransitWhileTheOtherHoldsIt = handoffs.InTransit(id);
        handoffs.Answered(id, reached: true);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(inTransitWhileTheOtherHoldsIt, "still in transit while another engine holds its copy");
            Assert.That(relay.Delivered, Is.Empty);
            Assert.That(relay.Undelivered, Is.EqualTo(new[] { 9L }));
            Assert.That(handoffs.InTransit(id), Is.False);
        }
    }

    [Test]
    public void Answers_for_messages_no_relay_of_the_node_published_change_nothing()
    {
        var relay = new RecordingRelay();
        var handoffs = new InMemoryHandoffs(engines: 1);
        var id = Guid.NewGuid();
        handoffs.Publishing(id, relay, seq: 1);

        handoffs.Answered(Guid.NewGuid(), reached: true); // a job answer, or a message published by hand
        handoffs.Answered(null, reached: true);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(relay.Delivered, Is.Empty);
            Assert.That(handoffs.InTransitOf(relay), Is.EqualTo(1));
            Assert.That(handoffs.InTransitOf(new RecordingRelay()), Is.Zero, "each relay counts its own");
        }
    }

    private sealed class RecordingRelay : IHandoffRelay
    {
        public List<long> Delivered { get; } = [];

        public List<long> Undelivered { get; } = [];

        void IHandoffRelay.Delivered(long seq, Guid messageId) => Delivered.Add(seq);

        void IHandoffRelay.Undelivered(long seq) => Undelivered.Add(seq);
    }
}
