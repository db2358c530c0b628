using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine;

/// <summary>What the engine sends and what became of buffered messages: the side the bus relays and watches.</summary>
public sealed partial class WorkflowEngine
{
    /// <summary>
    /// Raised after every committed command with what it changed, on the committing thread: the bus wakes its
    /// outbox relay and job dispatcher from it instead of polling the database for them.
    /// </summary>
    internal event Action<ChangeSet>? Committed;

    /// <summary>Messages the engine sent (send tasks, message throw and end events, SLA notifications), oldest first.</summary>
    public async Task<IReadOnlyList<OutgoingMessage>> GetOutgoingMessagesAsync(Guid? instanceId = null, CancellationToken cancellationToken = default)
    {
        var outbox = await Store.GetOutboxAsync(instanceId, cancellationToken).ConfigureAwait(false);
        return outbox.Select(ToOutgoing).ToList();
    }

    internal static OutgoingMessage ToOutgoing(OutboxRecord row)
    {
        var headers = row.Headers;
        return new OutgoingMessage(row.Id, row.InstanceId, row.ElementId, row.MessageName, row.CorrelationKey,
            Execution.ToDictionary(Execution.VariablesFromJson(row.VariablesJson)))
        {
            Kind = row.Kind,
            TimeToLive = headers.TimeToLive,
            Handoff = headers.Handoff,
            PublishedAt = row.PublishedAt,
        };
    }

    /// <summary>
    /// Marks buffered messages whose time-to-live has run out as expired. One that no instance ever took is
    /// kept, logged as a warning and counted (<c>workflows.messages.expired</c>); <see cref="GetExpiredMessagesAsync"/> lists them.
    /// The worker does this every 10 seconds.
    /// </summary>
    /// <returns>How many messages expired.</returns>
    public async Task<int> ExpireMessagesAsync(int max = 1000, CancellationToken cancellationToken = default)
    {
        var (expired, unclaimed) = await Store.ExpireBufferedMessagesAsync(_core.Time.GetUtcNow(), max, cancellationToken).ConfigureAwait(false);
        foreach (var message in unclaimed)
        {
            _core.Log.MessageExpired(message.Name, message.CorrelationKey, message.MessageId, message.ExpiresAt);
            WorkflowsTelemetry.MessagesExpired.Add(1, new KeyValuePair<string, object?>("message", message.Name));
        }

        return expired;
    }

    /// <summary>Buffered messages that expired before any instance took them, newest first.</summary>
    public async Task<IReadOnlyList<ExpiredMessage>> GetExpiredMessagesAsync(int max = 100, CancellationToken cancellationToken = default)
    {
        var expired = await Store.GetExpiredMessagesAsync(max, cancellationToken).ConfigureAwait(false);
        return expired.Select(m => new ExpiredMessage(m.Name, m.CorrelationKey, m.MessageId, m.PublishedAt, m.ExpiresAt,
            Execution.ToDictionary(Execution.VariablesFromJson(m.VariablesJson)))).ToList();
    }
}

/// <summary>A buffered message whose time-to-live ran out before any instance took it.</summary>
public sealed record ExpiredMessage(string Name, string CorrelationKey, string? MessageId, DateTimeOffset ReceivedAt, DateTimeOffset ExpiredAt, IReadOnlyDictionary<string, object?> Variables);
