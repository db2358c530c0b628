using Microsoft.Extensions.Logging;

namespace Workflows.Engine.Services;

/// <summary>
/// The worker's loop: rounds of due work, sleeping when idle; a round that fails (the store read-only, full,
/// locked or away) is logged, backed off and tried again until it succeeds, and the status says so meanwhile.
/// </summary>
internal sealed partial class WorkerLoop(CommandRunner runner, DueWork due, ILogger logger)
{
    private WorkerStatus _status = new(WorkerState.Stopped, DateTimeOffset.MinValue, null, 0);
    private DateTimeOffset _nextRetention = DateTimeOffset.MinValue;
    private DateTimeOffset _nextExpiry = DateTimeOffset.MinValue;
    private DateTimeOffset _nextKeyPurge = DateTimeOffset.MinValue;
    private DateTimeOffset _nextOutboxPurge = DateTimeOffset.MinValue;

    public WorkerStatus Status => Volatile.Read(ref _status);

    private WorkflowWorkerOptions Options => runner.Options.Worker;

    private TimeProvider Time => runner.Time;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        SetStatus(new WorkerStatus(WorkerState.Running, Time.GetUtcNow(), null, 0));
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                TimeSpan sleep;
                try
                {
                    sleep = await RoundAsync(cancellationToken).ConfigureAwait(false);
                    if (Status.State == WorkerState.Faulted)
                    {
                        var now = Time.GetUtcNow();
                        var fault = Status;
                        LogRecovered(logger, fault.ConsecutiveFailures, now - fault.Since);
                        SetStatus(new WorkerStatus(WorkerState.Running, now, null, 0));
                    }
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    // Any failure of a round (storage or otherwise) must not stop the worker: it would stop
                    // every timer, job and clock of this node, and a restart would meet the same fault.
                    sleep = Faulted(e);
                }

                if (sleep > TimeSpan.Zero)
                {
                    await Task.Delay(sleep, Time, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: whatever was under way is rolled back, and its lease runs out for another node.
        }
        finally
        {
            SetStatus(new WorkerStatus(WorkerState.Stopped, Time.GetUtcNow(), null, 0));
        }
    }

    private TimeSpan Faulted(Exception e)
    {
        var previous = Status;
        var failures = previous.State == WorkerState.Faulted ? previous.ConsecutiveFailures + 1 : 1;
        var since = previous.State == WorkerState.Faulted ? previous.Since : Time.GetUtcNow();
        var backoff = TimeSpan.FromTicks(Math.Min(Options.MaxFaultBackoff.Ticks,
            (long)Math.Min(long.MaxValue / 2, Options.FaultBackoff.Ticks * Math.Pow(2, Math.Min(failures - 1, 30)))));
        var fault = $"{e.GetType().Name}: {e.Message}";
        SetStatus(new WorkerStatus(WorkerState.Faulted, since, fault, failures));
        // Once per fault: a store away for an hour logs its first failure and its recovery, not every retry; a
        // different failure meanwhile is a new fault and is logged too.
        if (failures == 1 || previous.Fault != fault)
        {
            LogFault(logger, backoff, e.Message, e);
        }
        else
        {
            LogStillFaulted(logger, failures, backoff, e.Message);
        }

        return backoff;
    }

    /// <summary>One round: the periodic chores when due, then timers, the modules' due work (clocks) and jobs.</summary>
    /// <returns>How long to sleep before the next round: zero when the round found work.</returns>
    private async Task<TimeSpan> RoundAsync(CancellationToken cancellationToken)
    {
        var options = Options;
        var evaluations = options.DecisionEvaluationRetention ?? options.HistoryRetention;
        if ((options.HistoryRetention is not null || evaluations is not null) && Time.GetUtcNow() >= _nextRetention)
        {
            if (options.HistoryRetention is { } retention)
            {
                await due.DeleteHistoryAsync(retention, cancellationToken).ConfigureAwait(false);
            }

            if (evaluations is { } kept)
            {
                await due.DeleteDecisionEvaluationsAsync(kept, cancellationToken).ConfigureAwait(false);
            }

            _nextRetention = Time.GetUtcNow() + options.HistoryCleanupInterval;
        }

        // Always on: a start's idempotency keys are kept their retention (at least a day), then go.
        if (runner.LeaseTime.GetUtcNow() >= _nextKeyPurge)
        {
            await due.DeleteIdempotencyKeysAsync(options.IdempotencyKeyRetention, cancellationToken).ConfigureAwait(false);
            _nextKeyPurge = runner.LeaseTime.GetUtcNow() + options.HistoryCleanupInterval;
        }

        // So do published outbox rows after theirs (a week by default), or the outbox would keep every message ever sent: a
        // few batches a round, the next round (at once) going on while a backlog is left, so that timers never wait long.
        var purging = false;
        if (options.OutboxRetention is { } outbox && runner.LeaseTime.GetUtcNow() >= _nextOutboxPurge)
        {
            purging = await due.DeletePublishedOutboxAsync(outbox, cancellationToken).ConfigureAwait(false);
            _nextOutboxPurge = purging ? DateTimeOffset.MinValue : runner.LeaseTime.GetUtcNow() + options.HistoryCleanupInterval;
        }

        foreach (var module in runner.Core.Modules)
        {
            if (module.DueWork is { } source)
            {
                await source.ChoresAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        if (Time.GetUtcNow() >= _nextExpiry)
        {
            await due.ExpireMessagesAsync(options.MessageExpiryBatchSize, cancellationToken).ConfigureAwait(false);
            _nextExpiry = Time.GetUtcNow() + options.MessageExpiryInterval;
        }

        var done = await due.FireDueTimersAsync(options.TimerBatchSize, cancellationToken).ConfigureAwait(false);
        foreach (var module in runner.Core.Modules)
        {
            if (module.DueWork is { } source)
            {
                done += await source.RunDueAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        done += await due.RunDueJobsAsync(options.JobBatchSize, cancellationToken).ConfigureAwait(false);
        done += await due.RunBatchItemsAsync(options.BatchChunkSize, cancellationToken).ConfigureAwait(false);
        if (done > 0 || purging)
        {
            return TimeSpan.Zero;
        }

        var sleep = Sooner(options.PollInterval, await due.GetNextTimerDueAsync(cancellationToken).ConfigureAwait(false));
        foreach (var module in runner.Core.Modules)
        {
            if (module.DueWork is { } source)
            {
                sleep = Sooner(sleep, await source.GetNextDueAsync(cancellationToken).ConfigureAwait(false));
            }
        }

        return sleep;
    }

    private TimeSpan Sooner(TimeSpan sleep, DateTimeOffset? next) =>
        next is { } due && due - Time.GetUtcNow() < sleep ? due - Time.GetUtcNow() : sleep;

    private void SetStatus(WorkerStatus status) => Volatile.Write(ref _status, status);

    [LoggerMessage(EventId = 20, Level = LogLevel.Error, Message = "The engine's worker failed and retries in {Backoff}, backing off, until a round succeeds (logged once per fault): {Reason}")]
    private static partial void LogFault(ILogger logger, TimeSpan backoff, string reason, Exception exception);

    [LoggerMessage(EventId = 22, Level = LogLevel.Debug, Message = "The engine's worker failed {Failures} time(s) in a row and retries in {Backoff}: {Reason}")]
    private static partial void LogStillFaulted(ILogger logger, int failures, TimeSpan backoff, string reason);

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "The engine's worker recovered after {Failures} failed round(s) over {Duration}")]
    private static partial void LogRecovered(ILogger logger, int failures, TimeSpan duration);
}
