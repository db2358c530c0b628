using System.Collections.Concurrent;

namespace Workflows.Engine.MassTransit;

/// <summary>
/// The messages a node's relays published on the in-memory transport that no engine of the node has taken yet.
/// </summary>
/// <remarks>
/// On RabbitMQ a published message is the broker's, on disk, before its outbox row is marked published. On the
/// in-memory transport it lives only in this process until an engine's endpoint takes it: a process killed in between
/// would lose a handoff whose row says it left. So there a relay marks a message's row published only once an engine
/// of the node took it (correlated it, buffered it, found it a duplicate, or refused it as poison); until then the row
/// stays unpublished in the database, the relay only remembers here not to publish it again, and the next process
/// publishes it anew (the inbox refuses the second delivery of one an engine had taken just before the kill). A
/// message no engine of the node takes (every engine found it aimed at a process it does not run) is marked after
/// <see cref="Unclaimed"/>, as a broker would have dropped it: otherwise it would hold a place in the relay's batch forever.
/// </remarks>
internal sealed class InMemoryHandoffs
{
    /// <summary>How long a published message may wait for an engine to take it before its row is marked published anyway.</summary>
    public static readonly TimeSpan Unclaimed = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<Guid, Sent> _inTransit = new();

    /// <summary>Whether the message of that id was published and not yet taken.</summary>
    public bool InTransit(Guid messageId) => _inTransit.ContainsKey(messageId);

    /// <summary>Records a message <paramref name="relay"/> is about to publish (before, so that a take cannot come first).</summary>
    public void Publishing(Guid messageId, EngineRelay relay, long seq) =>
        _inTransit[messageId] = new Sent(relay, seq, Environment.TickCount64);

    /// <summary>Forgets a message whose publication failed: the relay tries it again as any unpublished row.</summary>
    public void NotPublished(Guid messageId) => _inTransit.TryRemove(messageId, out _);

    /// <summary>An engine of the node took the message: its relay marks the row published.</summary>
    public void Taken(Guid? messageId)
    {
        if (messageId is { } id && _inTransit.TryRemove(id, out var sent))
        {
            sent.Relay.Delivered(sent.Seq);
        }
    }

    /// <summary>Hands <paramref name="relay"/> the rows of its messages no engine took within <see cref="Unclaimed"/>, forgetting them.</summary>
    public void ReleaseUnclaimed(EngineRelay relay)
    {
        var since = Environment.TickCount64 - (long)Unclaimed.TotalMilliseconds;
        foreach (var (id, sent) in _inTransit)
        {
            if (sent.Relay == relay && sent.At < since && _inTransit.TryRemove(id, out _))
            {
                relay.Delivered(sent.Seq);
            }
        }
    }

    private sealed record Sent(EngineRelay Relay, long Seq, long At);
}
