using System.Collections.Concurrent;
using MassTransit;

namespace Workflows.Engine.MassTransit;

/// <summary>What <see cref="InMemoryHandoffs"/> tells the relay that published a message.</summary>
internal interface IHandoffRelay
{
    /// <summary>Every engine of the node is done with the message of that row: the row is to be marked published.</summary>
    void Delivered(long seq, Guid messageId);

    /// <summary>An engine gave the message up (it failed however often it was retried, or the node stopped under it): the row is published again.</summary>
    void Undelivered(long seq);
}

/// <summary>
/// The messages a node's relays published on the in-memory transport that the node's engines are not all done with yet.
/// </summary>
/// <remarks>
/// On RabbitMQ a published message is the broker's, on disk, before its outbox row is marked published. On the
/// in-memory transport it lives only in this process, and every engine of the node gets a copy of its own (each engine's
/// queue is bound to the message's exchange): a process killed before an engine took its copy would lose a handoff whose
/// row says it left. So there a message's row is marked published only once <em>every</em> engine of the node is done
/// with its copy: took it (correlated it, buffered it, found it a duplicate), refused it as poison, or found it aimed at a
/// process it does not run (as a broker's queue of that engine would have dropped it). Until then the row stays
/// unpublished in the database and the relay only remembers here not to publish it again; the next process publishes it
/// anew, and the inbox refuses the second delivery to an engine that had taken it just before the kill. A copy an engine
/// gives up (a failure however often retried) has the row published again, rather than left in a process-local error
/// queue nobody reads. A message stays here until its row is marked, so that a relay never reads it as unpublished and
/// sends it twice in between.
/// </remarks>
internal sealed class InMemoryHandoffs(int engines)
{
    private readonly ConcurrentDictionary<Guid, Delivery> _inTransit = new();

    /// <summary>Whether the message of that id was published and its row not yet marked.</summary>
    public bool InTransit(Guid messageId) => _inTransit.ContainsKey(messageId);

    /// <summary>How many of <paramref name="relay"/>'s messages are in transit: the relay reads that many rows more, so they take no place in its batch.</summary>
    public int InTransitOf(IHandoffRelay relay) => _inTransit.Count(d => d.Value.Relay == relay); // walked in place, not copied as .Values would be, at every relay round

    /// <summary>Records a message <paramref name="relay"/> is about to publish (before, so that an engine's answer cannot come first).</summary>
    public void Publishing(Guid messageId, IHandoffRelay relay, long seq) => _inTransit[messageId] = new Delivery(relay, seq, engines);

    /// <summary>Forgets a message whose publication failed: the relay tries it again as any unpublished row.</summary>
    public void NotPublished(Guid messageId) => _inTransit.TryRemove(messageId, out _);

    /// <summary>One engine is done with its copy: <paramref name="reached"/> when it took, refused or left it, false when it gave it up.</summary>
    public void Answered(Guid? messageId, bool reached)
    {
        if (messageId is not { } id || !_inTransit.TryGetValue(id, out var delivery) || !delivery.Answer(reached, out var lost))
        {
            return;
        }

        if (lost)
        {
            _inTransit.TryRemove(id, out _);
            delivery.Relay.Undelivered(delivery.Seq);
        }
        else
        {
            delivery.Relay.Delivered(delivery.Seq, id);
        }
    }

    /// <summary>The relay marked the rows of these messages published: they are no longer in transit.</summary>
    public void Marked(IEnumerable<Guid> messageIds)
    {
        foreach (var id in messageIds)
        {
            _inTransit.TryRemove(id, out _);
        }
    }

    private sealed class Delivery(IHandoffRelay relay, long seq, int engines)
    {
        private int _waiting = engines;
        private int _lost;

        public IHandoffRelay Relay => relay;

        public long Seq => seq;

        // True for the last engine's answer; lost when any engine gave its copy up.
        public bool Answer(bool reached, out bool lost)
        {
            if (!reached)
            {
                Interlocked.Exchange(ref _lost, 1);
            }

            var last = Interlocked.Decrement(ref _waiting) == 0;
            lost = Volatile.Read(ref _lost) == 1;
            return last;
        }
    }
}

/// <summary>
/// Tells <see cref="InMemoryHandoffs"/> how an engine's endpoint ended with a message: it succeeded, was refused for good,
/// or failed on its last attempt (<paramref name="gaveUp"/>: true when retried as often as it may be, false when refused
/// for good, null when it is tried again). The endpoint's retry runs around it, so it sees every attempt.
/// </summary>
internal sealed class HandoffOutcomeFilter(InMemoryHandoffs handoffs, Func<ConsumeContext, Exception, bool?> gaveUp) : IFilter<ConsumeContext>
{
    public async Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
    {
        try
        {
            await next.Send(context).ConfigureAwait(false);
        }
        catch (Exception e) when (!context.CancellationToken.IsCancellationRequested)
        {
            if (gaveUp(context, e) is { } last)
            {
                handoffs.Answered(context.MessageId, reached: !last);
            }

            throw;
        }

        handoffs.Answered(context.MessageId, reached: true);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("workflows-handoffs");
}
