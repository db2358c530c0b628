using System.Collections.Concurrent;
using MassTransit;
using Workflows.Engine.Storage;

namespace Workflows.Engine.MassTransit;

/// <summary>
/// Moves what an engine's commands committed onto the bus: outbox rows are published (one node at a time holds
/// the relay lease, so each instance's messages leave in the order they were written) and due external jobs are
/// sent to their type's queue (leased per job, so several nodes share them). The broker being away fails
/// nothing: rows and jobs wait in the database and go when it is back.
/// </summary>
internal sealed class EngineRelay : IDisposable, IHandoffRelay
{
    private const string RelayLease = "outbox-relay";
    private const int Parallelism = 32;

    private readonly WorkflowEngine _engine;
    private readonly IBus _bus;
    private readonly WorkflowBusOptions _options;
    private readonly string _queueName;
    private readonly BusLog _log;
    private readonly SemaphoreSlim _outboxWritten = new(0, 1);
    private readonly SemaphoreSlim _jobsCreated = new(0, 1);

    // On the in-memory transport: the messages published whose rows are not marked yet, and the rows of those every engine is done with, to mark.
    private readonly InMemoryHandoffs? _handoffs;
    private readonly ConcurrentQueue<(long Seq, Guid Id)> _delivered = new();
    private readonly ConcurrentQueue<(long Seq, Guid Id, string Reason)> _parked = new();

    public EngineRelay(WorkflowEngine engine, IBus bus, WorkflowBusOptions options, string queueName, BusLog log, InMemoryHandoffs? handoffs)
    {
        _handoffs = handoffs;
        _engine = engine;
        _bus = bus;
        _options = options;
        _queueName = queueName;
        _log = log;
        _engine.Committed += OnCommitted;
    }

    /// <summary>For tests: runs around each publish of an outbox row (its message id, and the publish itself).</summary>
    public Func<Guid, Func<Task>, Task>? PublishHook { get; init; }

    private IWorkflowStore Store => _engine.Store;

    private string NodeId => _engine.Options.NodeId;

    public void Dispose()
    {
        _engine.Committed -= OnCommitted;
        _outboxWritten.Dispose();
        _jobsCreated.Dispose();
    }

    /// <inheritdoc/>
    public void Delivered(long seq, Guid messageId)
    {
        _delivered.Enqueue((seq, messageId));
        Wake(_outboxWritten);
    }

    /// <inheritdoc/>
    public void Undelivered(long seq) => Wake(_outboxWritten);

    /// <inheritdoc/>
    public void Park(long seq, Guid messageId, string reason)
    {
        _parked.Enqueue((seq, messageId, reason));
        Wake(_outboxWritten);
    }

    public Task RunAsync(CancellationToken ct) =>
        Task.WhenAll(KeepRunningAsync("outbox relay", RelayOutboxAsync, ct), KeepRunningAsync("job dispatcher", DispatchJobsAsync, ct));

    private void OnCommitted(ChangeSet changes)
    {
        if (changes.Outbox.Count > 0)
        {
            Wake(_outboxWritten);
        }

        if (changes.JobsCreated.Exists(j => j.External && j.DueAt <= _engine.Time.GetUtcNow()))
        {
            Wake(_jobsCreated);
        }
    }

    private static void Wake(SemaphoreSlim signal)
    {
        try
        {
            if (signal.CurrentCount == 0)
            {
                signal.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // already awake
        }
        catch (ObjectDisposedException)
        {
            // stopping
        }
    }

    // Polling is how often a node looks for work other nodes committed; a node's own commits wake it at once.
    private static async Task SleepAsync(SemaphoreSlim signal, TimeSpan timeout, CancellationToken ct) =>
        await signal.WaitAsync(timeout, ct).ConfigureAwait(false);

    private async Task KeepRunningAsync(string name, Func<CancellationToken, Task> loop, CancellationToken ct)
    {
        string? fault = null;
        while (!ct.IsCancellationRequested)
        {
            var restarted = _engine.Time.GetUtcNow();
            try
            {
                await loop(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The database away, most likely: nothing is lost, the next round picks up where this one stopped.
                // Logged once per fault: the same failure right after a restart is the fault going on, not a new one.
                var goingOn = e.Message == fault && _engine.Time.GetUtcNow() - restarted < 2 * _options.MaxRetryDelay;
                if (goingOn)
                {
                    _log.LoopStillFailing(name, e.Message);
                }
                else
                {
                    _log.LoopFailed(name, e.Message);
                }

                fault = e.Message;
                await Task.Delay(_options.MaxRetryDelay, ct).ConfigureAwait(false);
            }
        }
    }

    // ---------------------------------------------------------------- outbox

    private async Task RelayOutboxAsync(CancellationToken ct)
    {
        DateTimeOffset? leaseUntil = null;
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            var now = _engine.LeaseTime.GetUtcNow();
            if (leaseUntil is null || now >= leaseUntil - (_options.RelayLease / 2))
            {
                var held = leaseUntil > now;
                if (!await Store.TryTakeLeaseAsync(RelayLease, NodeId, now, now + _options.RelayLease, ct).ConfigureAwait(false))
                {
                    leaseUntil = null;
                    await SleepAsync(_outboxWritten, _options.PollInterval, ct).ConfigureAwait(false);
                    continue;
                }

                leaseUntil = now + _options.RelayLease;
                if (!held)
                {
                    _log.RelayTaken(NodeId);
                }
            }

            await MarkDeliveredAsync(ct).ConfigureAwait(false);

            // Messages in transit are unpublished rows too: the relay reads that many more, so however long an engine
            // holds one it takes no place from the rows behind it. With a batch's worth in transit it waits for answers.
            // Messages pausing before their next publication (engines gave them up) are read past too, but never make it wait.
            var (holding, pausing) = _handoffs?.InTransitOf(this) ?? (0, 0);
            var rows = holding >= _options.RelayBatchSize
                ? []
                : await Store.GetUnpublishedOutboxAsync(_options.RelayBatchSize + holding + pausing, ct).ConfigureAwait(false);
            if (_handoffs is not null)
            {
                rows = rows.Where(r => !_handoffs.InTransit(r.Id)).Take(_options.RelayBatchSize).ToList();
            }

            if (rows.Count == 0)
            {
                await SleepAsync(_outboxWritten, _options.PollInterval, ct).ConfigureAwait(false);
                continue;
            }

            var (published, failed) = await PublishAsync(rows, ct).ConfigureAwait(false);
            if (published.Count > 0)
            {
                await Store.MarkOutboxPublishedAsync(published, _engine.Time.GetUtcNow(), ct).ConfigureAwait(false);
            }

            failures = failed ? failures + 1 : 0;
            if (failures > 0)
            {
                await Task.Delay(RetryDelay(failures), ct).ConfigureAwait(false);
            }
        }
    }

    // The rows of messages every engine of the node is done with, on the in-memory transport, marked published; those
    // the engines gave up too often, parked.
    private async Task MarkDeliveredAsync(CancellationToken ct)
    {
        if (_handoffs is null)
        {
            return;
        }

        await ParkAsync(ct).ConfigureAwait(false);
        if (_delivered.IsEmpty)
        {
            return;
        }

        var delivered = new List<(long Seq, Guid Id)>();
        while (_delivered.TryDequeue(out var row))
        {
            delivered.Add(row);
        }

        try
        {
            await Store.MarkOutboxPublishedAsync(delivered.ConvertAll(d => d.Seq), _engine.Time.GetUtcNow(), ct).ConfigureAwait(false);
        }
        catch
        {
            // Marked at the next round (still in transit meanwhile, so not published again); unmarked at a stop, a row
            // is published again by the next process and the inbox refuses it.
            foreach (var row in delivered)
            {
                _delivered.Enqueue(row);
            }

            throw;
        }

        _handoffs.Marked(delivered.Select(d => d.Id));
    }

    private async Task ParkAsync(CancellationToken ct)
    {
        while (_parked.TryPeek(out var row))
        {
            // Still in transit until parked: a failure here leaves it queued for the next round, never published again meanwhile.
            await Store.ParkOutboxAsync(row.Seq, row.Reason, _engine.Time.GetUtcNow(), ct).ConfigureAwait(false);
            _log.MessageParked(row.Id, row.Reason);
            _parked.TryDequeue(out _);
            _handoffs!.Marked([row.Id]);
        }
    }

    /// <summary>
    /// Publishes rows, each instance's in order (stopping at its first failure), instances side by side. Returns the rows
    /// to mark published now (on the in-memory transport, not a message: its row is marked once every engine is done with
    /// it) and whether any failed.
    /// </summary>
    private async Task<(IReadOnlyCollection<long> Published, bool Failed)> PublishAsync(IReadOnlyList<OutboxRecord> rows, CancellationToken ct)
    {
        var published = new ConcurrentBag<long>();
        var failed = 0;
        var byInstance = rows.GroupBy(r => r.InstanceId).Select(g => g.OrderBy(r => r.Seq).ToList());
        await Parallel.ForEachAsync(byInstance, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct }, async (instanceRows, token) =>
        {
            foreach (var row in instanceRows)
            {
                var tracked = _handoffs is not null && row.Kind != OutgoingMessageKind.Notification;
                long? publication = null;
                try
                {
                    publication = tracked ? _handoffs!.Publishing(row.Id, this, row.Seq) : null;
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                    timeout.CancelAfter(_options.PublishTimeout);
                    var publish = () => PublishAsync(row, publication, timeout.Token);
                    await (PublishHook is { } hook ? hook(row.Id, publish) : publish()).ConfigureAwait(false);
                    if (!tracked)
                    {
                        published.Add(row.Seq);
                    }
                }
                catch (Exception e) when (!token.IsCancellationRequested)
                {
                    if (publication is { } number)
                    {
                        _handoffs!.NotPublished(row.Id, number);
                    }

                    _log.PublishFailed(row.MessageName, row.Id, row.InstanceId, e.Message);
                    Interlocked.Exchange(ref failed, 1);
                    return;
                }
            }
        }).ConfigureAwait(false);
        return (published, failed == 1);
    }

    // The publication's number (in-memory transport) travels with the copies: an answer to an earlier publication's copy
    // then counts for none (InMemoryHandoffs).
    private Task PublishAsync(OutboxRecord row, long? publication, CancellationToken ct)
    {
        var headers = row.Headers;
        if (row.Kind == OutgoingMessageKind.Notification)
        {
            return _bus.Publish(new WorkflowNotification
            {
                Name = row.MessageName,
                InstanceId = row.InstanceId,
                ElementId = row.ElementId,
                VariablesJson = row.VariablesJson,
                Handoff = headers.Handoff,
                SentAt = row.CreatedAt,
            }, context => context.MessageId = row.Id, ct);
        }

        // The outbox id is the message id: the receiving engine's inbox refuses a second delivery by it.
        return _bus.Publish(new WorkflowMessage
        {
            Name = row.MessageName,
            CorrelationKey = row.CorrelationKey,
            VariablesJson = row.VariablesJson,
            TimeToLive = headers.TimeToLive,
            Handoff = headers.Handoff,
            SourceElementId = row.ElementId,
            SentAt = row.CreatedAt,
        }, context =>
        {
            context.MessageId = row.Id;
            if (publication is { } number)
            {
                context.Headers.Set(InMemoryHandoffs.PublicationHeader, number);
            }
        }, ct);
    }

    // ---------------------------------------------------------------- jobs

    private async Task DispatchJobsAsync(CancellationToken ct)
    {
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            var (now, leaseNow) = (_engine.Time.GetUtcNow(), _engine.LeaseTime.GetUtcNow());
            var jobs = await Store.ClaimDueExternalJobsAsync(now, _options.RelayBatchSize, NodeId, leaseNow, leaseNow + _options.JobTimeout, ct).ConfigureAwait(false);
            if (jobs.Count == 0)
            {
                await SleepAsync(_jobsCreated, _options.PollInterval, ct).ConfigureAwait(false);
                continue;
            }

            var instances = (await Store.GetInstancesAsync(jobs.Select(j => j.InstanceId).Distinct().ToList(), ct).ConfigureAwait(false)).ToDictionary(i => i.Id);
            var unsent = new ConcurrentBag<Guid>();
            await Parallel.ForEachAsync(jobs, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct }, async (job, token) =>
            {
                try
                {
                    await SendAsync(job, instances.GetValueOrDefault(job.InstanceId)?.BusinessKey, token).ConfigureAwait(false);
                }
                catch (Exception e) when (!token.IsCancellationRequested)
                {
                    _log.JobSendFailed(job.Id, job.Type, job.InstanceId, e.Message);
                    unsent.Add(job.Id);
                }
            }).ConfigureAwait(false);

            failures = unsent.IsEmpty ? 0 : failures + 1;
            if (!unsent.IsEmpty)
            {
                await Store.ReleaseJobLeasesAsync(unsent.ToList(), NodeId, ct).ConfigureAwait(false);
                await Task.Delay(RetryDelay(failures), ct).ConfigureAwait(false);
            }
        }
    }

    private async Task SendAsync(JobRecord job, string? businessKey, CancellationToken ct)
    {
        if (!WorkflowBusOptions.IsQueueName(job.Type))
        {
            // No queue can carry it, however often it is tried: an incident tells someone to fix the model.
            await _engine.Jobs.FailAsync(job.Id, $"the job type '{job.Type}' cannot name a queue (letters, digits, '-', '_' and '.' only)", retries: 0, cancellationToken: ct).ConfigureAwait(false);
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.PublishTimeout);
        var endpoint = await _bus.GetSendEndpoint(new Uri($"queue:{job.Type}")).ConfigureAwait(false);
        await endpoint.Send(new JobRequest
        {
            JobId = job.Id,
            Type = job.Type,
            InstanceId = job.InstanceId,
            ElementId = job.ElementId,
            BusinessKey = businessKey,
            VariablesJson = job.VariablesJson,
            Headers = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(job.HeadersJson) ?? [],
            Retries = job.Retries,
            Failures = job.Failures,
            ReplyTo = _queueName,
        }, context => context.MessageId = job.Id, timeout.Token).ConfigureAwait(false);
    }

    private TimeSpan RetryDelay(int failures) =>
        TimeSpan.FromMilliseconds(Math.Min(_options.MaxRetryDelay.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(failures, 16))));
}
