using System.Collections.Concurrent;
using MassTransit;

namespace Workflows.Engine.MassTransit;

/// <summary>How an engine ended with its copy of a message.</summary>
internal enum HandoffAnswer
{
    /// <summary>It took it: correlated, started, buffered it, or found it a duplicate.</summary>
    Took,

    /// <summary>It left it: aimed at a process the engine does not run (a broker's queue of that engine would have dropped it).</summary>
    Left,

    /// <summary>It refused it for good (poison): no retry can make it succeed.</summary>
    Refused,

    /// <summary>It gave it up: it failed however often it was retried.</summary>
    GaveUp,
}

/// <summary>What <see cref="InMemoryHandoffs"/> tells the relay that published a message.</summary>
internal interface IHandoffRelay
{
    /// <summary>Every engine of the node is done with the message of that row: the row is to be marked published.</summary>
    void Delivered(long seq, Guid messageId);

    /// <summary>An engine gave the message up (it failed however often it was retried, or the node stopped under it): the row is published again once its pause ended.</summary>
    void Undelivered(long seq);

    /// <summary>Engines gave the message up more often than they may: the row is to be parked (kept, not published again until an operator says so).</summary>
    void Park(long seq, Guid messageId, string reason);
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
/// queue nobody reads: after a pause that doubles with each give-up (<see cref="WorkflowBusOptions.RedeliveryDelay"/>),
/// and after <see cref="WorkflowBusOptions.MaxRedeliveries"/> publications given up the row is parked instead. A message
/// no engine took and one refused for good (poison: say a handoff that must correlate and finds nothing waiting) is parked
/// at once, with the refusal as reason: an operator sees it and sends it again once the receiver is deployed. So is a
/// message every engine found aimed at a process it does not run (this transport has no other node to take it). A message
/// one engine refused and another took is delivered (the refusing engine was not the one it was for). A message
/// stays here until its row is marked, so that a relay never reads it as unpublished and sends it twice in between.
/// <para>
/// Each publication of a message is counted apart (its number travels in the <see cref="PublicationHeader"/>): a publish
/// that failed after some engines' queues had their copies is published again, and answers to the first copies must
/// not count for the second, or the row would be marked while an engine still holds its only unanswered copy.
/// </para>
/// </remarks>
internal sealed class InMemoryHandoffs(int engines, WorkflowBusOptions options, TimeProvider time)
{
    /// <summary>The header that carries which publication of a message a copy belongs to.</summary>
    public const string PublicationHeader = "Workflows-Publication";

    /// <summary>The longest reason a parked row keeps, in characters.</summary>
    internal const int MaxReasonLength = 2000;

    private readonly ConcurrentDictionary<Guid, Delivery> _inTransit = new();
    private long _publications;

    /// <summary>Whether the message of that id was published and its row not yet marked, or waits for its next publication.</summary>
    public bool InTransit(Guid messageId) => _inTransit.TryGetValue(messageId, out var delivery) && !delivery.Due(time.GetUtcNow());

    /// <summary>
    /// How many of <paramref name="relay"/>'s messages engines hold, and how many pause before their next publication: the
    /// relay reads that many rows more, so they take no place in its batch.
    /// </summary>
    public (int Held, int Pausing) InTransitOf(IHandoffRelay relay)
    {
        var (now, held, pausing) = (time.GetUtcNow(), 0, 0);
        foreach (var (_, delivery) in _inTransit) // walked in place, not copied as .Values would be, at every relay round
        {
            if (delivery.Relay != relay || delivery.Due(now))
            {
                continue;
            }

            if (delivery.PausedUntil is null)
            {
                held++;
            }
            else
            {
                pausing++;
            }
        }

        return (held, pausing);
    }

    /// <summary>
    /// Records a publication of a message <paramref name="relay"/> is about to publish (before, so that an engine's answer
    /// cannot come first), and returns its number, for the <see cref="PublicationHeader"/>.
    /// </summary>
    public long Publishing(Guid messageId, IHandoffRelay relay, long seq)
    {
        var publication = Interlocked.Increment(ref _publications);
        var givenUp = _inTransit.TryGetValue(messageId, out var earlier) ? earlier.GivenUp : 0;
        _inTransit[messageId] = new Delivery(relay, seq, engines, publication, givenUp, pausedUntil: null);
        return publication;
    }

    /// <summary>Forgets a publication that failed: the relay tries the message again as any unpublished row (the give-ups counted so far stay).</summary>
    public void NotPublished(Guid messageId, long publication)
    {
        if (_inTransit.TryGetValue(messageId, out var delivery) && delivery.Publication == publication)
        {
            _inTransit.TryUpdate(messageId, delivery.Paused(delivery.GivenUp, DateTimeOffset.MinValue), delivery);
        }
    }

    /// <summary>
    /// One engine is done with its copy of <paramref name="publication"/> (<paramref name="reason"/>: its refusal or its last
    /// failure, when it refused or gave it up).
    /// </summary>
    public void Answered(Guid? messageId, long? publication, HandoffAnswer answer, string? reason = null)
    {
        if (messageId is not { } id || !_inTransit.TryGetValue(id, out var delivery) || delivery.Publication != publication || delivery.PausedUntil is not null
            || !delivery.Answer(answer, reason, out var lost, out var refused))
        {
            return; // not a message of the node's relays, or a copy of an earlier publication: that one was given up on
        }

        if (lost is null && refused is not null)
        {
            // No engine took it and one refused it for good: published again it would be refused again, and left in an
            // error queue of the process it would be lost at the next restart (review 18 F7). Kept for an operator.
            delivery.Relay.Park(delivery.Seq, id, StorableReason($"refused for good: {refused}"));
            return;
        }

        if (lost is null)
        {
            delivery.Relay.Delivered(delivery.Seq, id);
            return;
        }

        var givenUp = delivery.GivenUp + 1;
        if (givenUp > options.MaxRedeliveries)
        {
            // Still in transit until the relay parked the row, so that no read in between publishes it again.
            delivery.Relay.Park(delivery.Seq, id, StorableReason($"engines gave it up {givenUp} times; the last failure: {lost}"));
            return;
        }

        var pause = options.RedeliveryDelay * Math.Pow(2, givenUp - 1);
        _inTransit.TryUpdate(id, delivery.Paused(givenUp, time.GetUtcNow() + pause), delivery);
        delivery.Relay.Undelivered(delivery.Seq);
    }

    /// <summary>
    /// The reason as every store keeps it: an exception's message may hold a NUL or half a surrogate pair, which PostgreSQL
    /// refuses, and a park that fails at every round would stop the relay behind it. Cut at <see cref="MaxReasonLength"/>.
    /// </summary>
    internal static string StorableReason(string reason)
    {
        var text = new System.Text.StringBuilder(Math.Min(reason.Length, MaxReasonLength));
        for (var i = 0; i < reason.Length && text.Length < MaxReasonLength; i++)
        {
            var c = reason[i];
            if (char.IsHighSurrogate(c) && i + 1 < reason.Length && char.IsLowSurrogate(reason[i + 1]))
            {
                if (text.Length + 2 > MaxReasonLength)
                {
                    break;
                }

                text.Append(c).Append(reason[++i]);
            }
            else
            {
                text.Append(char.IsSurrogate(c) ? '\uFFFD' : char.IsControl(c) ? ' ' : c);
            }
        }

        return text.ToString();
    }

    /// <summary>The relay marked (or parked) the rows of these messages: they are no longer in transit.</summary>
    public void Marked(IEnumerable<Guid> messageIds)
    {
        foreach (var id in messageIds)
        {
            _inTransit.TryRemove(id, out _);
        }
    }

    // One publication of a message (or, PausedUntil set, the pause before the next: due once it passed). GivenUp counts
    // the earlier publications an engine gave up.
    private sealed class Delivery(IHandoffRelay relay, long seq, int engines, long publication, int givenUp, DateTimeOffset? pausedUntil)
    {
        private readonly int _engines = engines;
        private int _waiting = engines;
        private string? _lost;
        private string? _refused;
        private int _took;
        private int _left;

        public IHandoffRelay Relay => relay;

        public long Seq => seq;

        public long Publication => publication;

        public int GivenUp => givenUp;

        public DateTimeOffset? PausedUntil => pausedUntil;

        public bool Due(DateTimeOffset now) => pausedUntil <= now;

        public Delivery Paused(int givenUpNow, DateTimeOffset until) => new(relay, seq, _engines, publication, givenUpNow, until);

        // True for the last engine's answer; lost (the reason) when any engine gave its copy up, refused (the reason) when
        // one refused it for good and none took it.
        public bool Answer(HandoffAnswer answer, string? reason, out string? lost, out string? refused)
        {
            switch (answer)
            {
                case HandoffAnswer.GaveUp:
                    Interlocked.CompareExchange(ref _lost, reason ?? "an engine gave it up", null);
                    break;
                case HandoffAnswer.Refused:
                    Interlocked.CompareExchange(ref _refused, reason ?? "an engine refused it", null);
                    break;
                case HandoffAnswer.Took:
                    Volatile.Write(ref _took, 1);
                    break;
                case HandoffAnswer.Left:
                    Volatile.Write(ref _left, 1);
                    break;
            }

            var last = Interlocked.Decrement(ref _waiting) == 0;
            lost = Volatile.Read(ref _lost);

            // Left by every engine that did not refuse it: no engine of the node runs the process it is for (not deployed
            // yet, say), and on this transport there is no other node to take it: refused for good, so parked (review 19 F2).
            refused = Volatile.Read(ref _took) == 1 ? null
                : Volatile.Read(ref _refused) ?? (Volatile.Read(ref _left) == 1 ? "no engine of this node runs the process it is for" : null);
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
        // The endpoint marks a message it left (aimed at a process its engine does not run) on this, for this attempt.
        var left = context.GetOrAddPayload(() => new LeftMessage());
        left.Left = false;
        try
        {
            await next.Send(context).ConfigureAwait(false);
        }
        catch (Exception e) when (!context.CancellationToken.IsCancellationRequested)
        {
            if (gaveUp(context, e) is { } last)
            {
                handoffs.Answered(context.MessageId, Publication(context), last ? HandoffAnswer.GaveUp : HandoffAnswer.Refused, e.Message);
            }

            throw;
        }

        handoffs.Answered(context.MessageId, Publication(context), left.Left ? HandoffAnswer.Left : HandoffAnswer.Took);
    }

    /// <summary>Tells the filter that the endpoint left the message to another engine (it returns as if it took it).</summary>
    public static void Leave(ConsumeContext context)
    {
        if (context.TryGetPayload<LeftMessage>(out var left))
        {
            left.Left = true;
        }
    }

    private sealed class LeftMessage
    {
        public bool Left { get; set; }
    }

    private static long? Publication(ConsumeContext context) => context.Headers.Get<long>(InMemoryHandoffs.PublicationHeader);

    public void Probe(ProbeContext context) => context.CreateFilterScope("workflows-handoffs");
}
