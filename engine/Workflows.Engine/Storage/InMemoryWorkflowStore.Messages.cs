namespace Workflows.Engine.Storage;

// Message and signal subscriptions, buffered messages, the inbox and the outbox.
internal sealed partial class InMemoryWorkflowStore
{
    private readonly Dictionary<Guid, MessageSubscriptionRecord> _messageSubscriptions = [];
    private readonly Dictionary<(string Name, string Key), List<Guid>> _messageSubscriptionsByKey = [];
    private readonly Dictionary<string, List<Guid>> _messageStartsByName = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, SignalSubscriptionRecord> _signalSubscriptions = [];
    private readonly Dictionary<string, List<Guid>> _signalSubscriptionsByName = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, BufferedMessageRecord> _buffered = [];
    private readonly Dictionary<(string Name, string Key), List<Guid>> _bufferedByKey = [];
    private readonly HashSet<(Guid Message, string Process)> _correlations = [];
    private readonly Dictionary<(string Process, string Key), MessageStartLockRecord> _startLocks = [];
    private readonly HashSet<Guid> _correlatedMessages = [];
    private readonly HashSet<string> _inbox = new(StringComparer.Ordinal);
    private readonly List<OutboxRecord> _outbox = [];

    // The outbox's numbers are never given twice, as a database's identity column: since published rows are purged, the
    // list's length no longer is the last number given (review 19 F1).
    private long _lastOutboxSeq;

    public ValueTask<IReadOnlyList<MessageSubscriptionRecord>> FindMessageSubscriptionsAsync(string name, string correlationKey, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<MessageSubscriptionRecord> result = _messageSubscriptionsByKey.TryGetValue((name, correlationKey), out var ids)
                ? ids.Select(id => _messageSubscriptions[id]).OrderBy(s => s.CreatedAt).ToList()
                : [];
            return new(result);
        }
    }

    public ValueTask<IReadOnlyList<MessageSubscriptionRecord>> FindMessageStartsAsync(string name, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<MessageSubscriptionRecord> result = _messageStartsByName.TryGetValue(name, out var ids)
                ? ids.Select(id => _messageSubscriptions[id]).ToList()
                : [];
            return new(result);
        }
    }

    public ValueTask<IReadOnlyList<SignalSubscriptionRecord>> FindSignalSubscriptionsAsync(string name, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<SignalSubscriptionRecord> result = _signalSubscriptionsByName.TryGetValue(name, out var ids)
                ? ids.Select(id => _signalSubscriptions[id]).ToList()
                : [];
            return new(result);
        }
    }

    public ValueTask<IReadOnlyList<BufferedMessageRecord>> FindBufferedMessagesAsync(string name, string correlationKey, string processId, DateTimeOffset now, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<BufferedMessageRecord> result = _bufferedByKey.TryGetValue((name, correlationKey), out var ids)
                ? ids.Select(id => _buffered[id]).Where(m => m.ExpiresAt > now && !_correlations.Contains((m.Id, processId))).OrderBy(m => m.PublishedAt).ToList()
                : [];
            return new(result);
        }
    }

    public ValueTask<MessageStartLockRecord?> GetMessageStartLockAsync(string processId, string correlationKey, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_startLocks.GetValueOrDefault((processId, correlationKey)));
        }
    }

    public ValueTask<(int Expired, IReadOnlyList<BufferedMessageRecord> Unclaimed)> ExpireBufferedMessagesAsync(DateTimeOffset now, int max, CancellationToken ct)
    {
        lock (_gate)
        {
            var expired = _buffered.Values.Where(m => m.ExpiredAt is null && m.ExpiresAt <= now).OrderBy(m => m.ExpiresAt).Take(max).ToList();
            foreach (var m in expired)
            {
                _buffered[m.Id] = m with { ExpiredAt = now, Unclaimed = !_correlatedMessages.Contains(m.Id) };
            }

            IReadOnlyList<BufferedMessageRecord> unclaimed = expired.Select(m => _buffered[m.Id]).Where(m => m.Unclaimed).ToList();
            return new((expired.Count, unclaimed));
        }
    }

    public ValueTask<IReadOnlyList<BufferedMessageRecord>> GetExpiredMessagesAsync(int max, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_buffered.Values.Where(m => m.Unclaimed).OrderByDescending(m => m.ExpiresAt).Take(max).ToList());
        }
    }

    public ValueTask<bool> IsInInboxAsync(string messageId, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_inbox.Contains(messageId));
        }
    }

    public ValueTask<IReadOnlyList<OutboxRecord>> GetOutboxAsync(Guid? instanceId, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_outbox.Where(o => instanceId is null || o.InstanceId == instanceId).ToList());
        }
    }

    public ValueTask<IReadOnlyList<OutboxRecord>> GetUnpublishedOutboxAsync(int max, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_outbox.Where(o => o.PublishedAt is null).Take(max).ToList());
        }
    }

    public ValueTask MarkOutboxPublishedAsync(IReadOnlyCollection<long> seqs, DateTimeOffset at, CancellationToken ct)
    {
        lock (_gate)
        {
            var published = seqs.ToHashSet();
            for (var i = 0; i < _outbox.Count; i++)
            {
                if (published.Contains(_outbox[i].Seq))
                {
                    _outbox[i] = _outbox[i] with { PublishedAt = at };
                }
            }

            return ValueTask.CompletedTask;
        }
    }

    public ValueTask ParkOutboxAsync(long seq, string reason, DateTimeOffset at, CancellationToken ct)
    {
        lock (_gate)
        {
            var i = _outbox.FindIndex(o => o.Seq == seq);
            if (i >= 0 && _outbox[i].PublishedAt is null)
            {
                _outbox[i] = _outbox[i] with { PublishedAt = at, ParkedAt = at, ParkedReason = reason };
            }

            return ValueTask.CompletedTask;
        }
    }

    public ValueTask<IReadOnlyList<OutboxRecord>> GetParkedOutboxAsync(string? branch, ParkedCursor? after, int max, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_outbox
                .Where(o => o.ParkedAt is { } at && (branch is null || o.Headers.Handoff.Branch == branch)
                    && (after is not { } cursor || at > cursor.ParkedAt || (at == cursor.ParkedAt && o.Seq > cursor.Seq)))
                .OrderBy(o => o.ParkedAt).ThenBy(o => o.Seq).Take(max).ToList());
        }
    }

    public ValueTask<OutboxRecord?> GetParkedOutboxAsync(Guid messageId, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_outbox.Find(o => o.Id == messageId && o.ParkedAt is not null));
        }
    }

    public Task<int> DeletePublishedOutboxAsync(DateTimeOffset publishedBefore, int batchSize, int maxBatches, CancellationToken ct)
    {
        lock (_gate)
        {
            var most = (long)batchSize * maxBatches;
            var deleted = 0;
            return Task.FromResult(_outbox.RemoveAll(o => o.PublishedAt < publishedBefore && o.ParkedAt is null && deleted++ < most));
        }
    }

    public ValueTask<bool> UnparkOutboxAsync(Guid messageId, CancellationToken ct)
    {
        lock (_gate)
        {
            var i = _outbox.FindIndex(o => o.Id == messageId && o.ParkedAt is not null);
            if (i >= 0)
            {
                _outbox[i] = _outbox[i] with { PublishedAt = null, ParkedAt = null, ParkedReason = null };
            }

            return new(i >= 0);
        }
    }

    private void ApplyMessages(ChangeSet changes)
    {
        foreach (var (messageId, _) in changes.Inbox)
        {
            _inbox.Add(messageId);
        }

        foreach (var s in changes.MessageSubscriptionsCreated)
        {
            _messageSubscriptions[s.Id] = s;
            if (s.InstanceId is null)
            {
                Add(_messageStartsByName, s.MessageName, s.Id);
            }
            else
            {
                Add(_messageSubscriptionsByKey, (s.MessageName, s.CorrelationKey ?? ""), s.Id);
            }
        }

        foreach (var id in changes.MessageSubscriptionsRemoved)
        {
            if (_messageSubscriptions.Remove(id, out var s))
            {
                if (s.InstanceId is null)
                {
                    Remove(_messageStartsByName, s.MessageName, id);
                }
                else
                {
                    Remove(_messageSubscriptionsByKey, (s.MessageName, s.CorrelationKey ?? ""), id);
                }
            }
        }

        foreach (var s in changes.SignalSubscriptionsCreated)
        {
            _signalSubscriptions[s.Id] = s;
            Add(_signalSubscriptionsByName, s.SignalName, s.Id);
        }

        foreach (var id in changes.SignalSubscriptionsRemoved)
        {
            if (_signalSubscriptions.Remove(id, out var s))
            {
                Remove(_signalSubscriptionsByName, s.SignalName, id);
            }
        }

        foreach (var m in changes.MessagesBuffered)
        {
            _buffered[m.Id] = m;
            Add(_bufferedByKey, (m.Name, m.CorrelationKey), m.Id);
        }

        foreach (var c in changes.MessageCorrelations)
        {
            _correlations.Add((c.BufferedMessageId, c.ProcessId));
            _correlatedMessages.Add(c.BufferedMessageId);
        }

        // Released before taken: an ending instance hands its process and key to the instance the next buffered message starts.
        foreach (var l in changes.StartLocksReleased)
        {
            _startLocks.Remove((l.ProcessId, l.CorrelationKey));
        }

        foreach (var l in changes.StartLocksFreed)
        {
            if (_startLocks.TryGetValue((l.ProcessId, l.CorrelationKey), out var held) && held.InstanceId == l.InstanceId)
            {
                _startLocks.Remove((l.ProcessId, l.CorrelationKey));
            }
        }

        foreach (var l in changes.StartLocksTaken)
        {
            _startLocks[(l.ProcessId, l.CorrelationKey)] = l with { Revision = 0 };
        }

        foreach (var l in changes.StartLocksTouched)
        {
            var key = (l.ProcessId, l.CorrelationKey);
            _startLocks[key] = _startLocks[key] with { Revision = _startLocks[key].Revision + 1 };
        }

        foreach (var o in changes.Outbox)
        {
            _outbox.Add(o with { Seq = ++_lastOutboxSeq });
        }
    }
}
