using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Services;

/// <summary>What comes due with time: timers, in-process jobs, buffered messages' expiry and old history.</summary>
internal sealed class DueWork(CommandRunner runner, WorkflowJobs jobs)
{
    private readonly BatchRunner _batches = new(runner);

    /// <summary>Leases a chunk of pending batch items and does each one's operation with its result.</summary>
    public Task<int> RunBatchItemsAsync(int max, CancellationToken cancellationToken) => _batches.RunDueAsync(max, cancellationToken);

    private IWorkflowStore Store => runner.Store;

    private WorkflowEngineOptions Options => runner.Options;

    public async Task ProbeStoreWriteAsync(CancellationToken cancellationToken) =>
        await Store.ProbeWriteAsync(Options.NodeId, runner.LeaseTime.GetUtcNow(), cancellationToken).ConfigureAwait(false);

    public async Task<int> FireDueTimersAsync(int maxTimers, CancellationToken cancellationToken)
    {
        var (now, leaseNow) = (runner.Time.GetUtcNow(), runner.LeaseTime.GetUtcNow());
        var due = await Store.ClaimDueTimersAsync(now, maxTimers, Options.NodeId, leaseNow, leaseNow + Options.Worker.LeaseDuration, cancellationToken).ConfigureAwait(false);
        var fired = 0;
        foreach (var timer in due)
        {
            try
            {
                fired += await runner.ExecuteAsync(execution => FireTimerAsync(execution, timer.Id, cancellationToken), cancellationToken, name: "FireTimer").ConfigureAwait(false);
            }
            catch (InstanceStateUnreadableException)
            {
                // One instance's unreadable state is that instance's incident (the command raised it and parked the
                // instance's timers and jobs), not the worker's failure: every other timer fires.
            }
            catch (DefinitionUnreadableException unreadable)
            {
                // A start timer of a version whose stored XML no longer reads: logged, tried again after its lease.
                runner.Core.Log.RowUnreadable($"timer {timer.Id}: {unreadable.Message}");
            }
        }

        return fired;
    }

    public async Task<int> RunDueJobsAsync(int maxJobs, CancellationToken cancellationToken)
    {
        if (Options.Handlers.Count == 0)
        {
            return 0;
        }

        var (now, leaseNow) = (runner.Time.GetUtcNow(), runner.LeaseTime.GetUtcNow());
        var claimed = await Store.ClaimDueJobsAsync(Options.Handlers.Keys, now, maxJobs, Options.NodeId, leaseNow, leaseNow + Options.Worker.LeaseDuration, cancellationToken).ConfigureAwait(false);
        foreach (var job in claimed)
        {
            await RunJobAsync(job, Options.Handlers[job.Type], cancellationToken).ConfigureAwait(false);
        }

        return claimed.Count;
    }

    public async Task<int> ExpireMessagesAsync(int max, CancellationToken cancellationToken)
    {
        var (expired, unclaimed) = await Store.ExpireBufferedMessagesAsync(runner.Time.GetUtcNow(), max, cancellationToken).ConfigureAwait(false);
        foreach (var message in unclaimed)
        {
            runner.Core.Log.MessageExpired(message.Name, message.CorrelationKey, message.MessageId, message.ExpiresAt);
            WorkflowsTelemetry.MessagesExpired.Add(1, new KeyValuePair<string, object?>("message", message.Name));
        }

        return expired;
    }

    public Task<long> DeleteHistoryAsync(TimeSpan olderThan, CancellationToken cancellationToken) =>
        Store.DeleteHistoryAsync(runner.Time.GetUtcNow() - olderThan, Options.Worker.HistoryDeleteBatchSize, cancellationToken);

    public Task<int> DeleteIdempotencyKeysAsync(TimeSpan olderThan, CancellationToken cancellationToken) =>
        Store.DeleteIdempotencyKeysAsync(runner.LeaseTime.GetUtcNow() - olderThan, Options.Worker.HistoryDeleteBatchSize, cancellationToken); // real time, as the keys are stamped

    /// <summary>How many batches of published outbox rows one worker round deletes at most (review 19 F5).</summary>
    public const int OutboxBatchesPerRound = 20;

    // At most OutboxBatchesPerRound batches: the first purge on a node of long standing (its whole backlog) would otherwise
    // hold the round's timers, clocks and jobs behind it (34 s a million rows on SQLite). True when more may be waiting.
    public async Task<bool> DeletePublishedOutboxAsync(TimeSpan olderThan, CancellationToken cancellationToken)
    {
        var batchSize = Options.Worker.HistoryDeleteBatchSize;
        var deleted = await Store.DeletePublishedOutboxAsync(runner.Time.GetUtcNow() - olderThan, batchSize, OutboxBatchesPerRound, cancellationToken).ConfigureAwait(false); // engine time, as the relay stamps rows
        return deleted >= (long)batchSize * OutboxBatchesPerRound;
    }

    public Task<long> DeleteDecisionEvaluationsAsync(TimeSpan olderThan, CancellationToken cancellationToken) =>
        Store.DeleteDecisionEvaluationsAsync(runner.Time.GetUtcNow() - olderThan, Options.Worker.HistoryDeleteBatchSize, cancellationToken);

    public Task<DateTimeOffset?> GetNextTimerDueAsync(CancellationToken cancellationToken) =>
        Store.GetNextTimerDueAsync(runner.LeaseTime.GetUtcNow(), cancellationToken).AsTask();

    private async ValueTask<int> FireTimerAsync(Execution execution, Guid timerId, CancellationToken ct)
    {
        execution.Actor = Options.NodeId;
        var timer = await Store.GetTimerAsync(timerId, ct).ConfigureAwait(false);
        if (timer is null)
        {
            return 0; // fired or closed by another command meanwhile
        }

        execution.Changes.FiredTimer = timer.Id;
        if (timer.InstanceId is null)
        {
            // No caller, so no caller's branch: one instance for each branch that runs this version (see Pins). A
            // version no one runs any more (left open by a race with a pin change) closes its timer here.
            var definition = await runner.Core.Definitions.GetAsync(timer.DefinitionId, ct).ConfigureAwait(false);
            var runners = await execution.Pins.RunnersAsync(definition.Record).ConfigureAwait(false);
            if (runners.Count > 0 && timer.Interval is { } interval && timer.Remaining != 0 && Model.TimerSchedule.NextInCycle(timer.DueAt, interval) is { } next)
            {
                execution.Changes.TimersCreated.Add(timer with
                {
                    Id = RowIds.NewId(execution.Now),
                    DueAt = next,
                    Remaining = timer.Remaining > 0 ? timer.Remaining - 1 : -1,
                });
            }
            else if (runners.Count > 0 && timer is { Interval: null, Remaining: not 0 } && CronDue(definition, timer) is { } nextInCron)
            {
                execution.Changes.TimersCreated.Add(timer with { Id = RowIds.NewId(execution.Now), DueAt = nextInCron });
            }

            foreach (var branch in runners)
            {
                var started = execution.CreateInstance(definition, null, Pins.Initial(branch, definition.Process, null));
                execution.History(started, HistoryKind.TimerFired, timer.ElementId, null);
                await execution.StartAtAsync(started, definition.Node(timer.ElementId), []).ConfigureAwait(false);
            }

            return runners.Count;
        }

        var instance = await execution.LoadAsync(timer.InstanceId.Value).ConfigureAwait(false);
        if (!instance.State.Elements.TryGetValue(timer.ElementKey, out var owner) || owner.Waits?.Find(w => w.Id == timer.Id) is not { } wait || wait.Id != timer.Id)
        {
            // Closed by a command that landed after the timer was read (the row is gone now), or a row the state does not
            // back, which would fire into nothing for ever: that is the instance's state problem (review13 F3).
            return await Store.GetTimerAsync(timerId, ct).ConfigureAwait(false) is null
                ? 0
                : throw CommandRunner.Stranded(instance, "timer", timer.Id, timer.ElementKey, owner, null);
        }

        execution.History(instance, HistoryKind.TimerFired, timer.ElementId, owner.Key, timer.DueAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        await execution.TriggerWaitAsync(instance, owner, wait, null, timer).ConfigureAwait(false);
        return 1;
    }

    // A cron start timer fires next where its schedule says; its expression is read as at deploy (no instance, no variables).
    private DateTimeOffset? CronDue(Runtime.ProcessDefinition definition, TimerRecord timer)
    {
        if (definition.Process.Nodes.GetValueOrDefault(timer.ElementId)?.Event?.Timer?.Value is not { } value)
        {
            return null;
        }

        try
        {
            var text = value.Feel is null ? value.Text : value.Feel.Evaluate(Feel.EmptyScope.Instance, runner.Time, CancellationToken.None).Value;
            return Model.TimerSchedule.NextInCron(text, timer.DueAt);
        }
        catch (Feel.FeelLimitExceededException)
        {
            return null; // refused at deploy already; a cycle that cannot be read again ends
        }
    }

    // The handler runs outside any command, then its answer is committed as a worker's would be.
    private async Task RunJobAsync(JobRecord job, ServiceTaskHandler handler, CancellationToken ct)
    {
        var instance = await Store.GetInstanceAsync(job.InstanceId, ct).ConfigureAwait(false);
        ServiceTaskContext context;
        try
        {
            context = new ServiceTaskContext(job.InstanceId, job.ElementId, instance?.BusinessKey, job.Type,
                Execution.ToDictionary(Execution.VariablesFromJson(job.VariablesJson)), InfoMapper.Headers(job));
        }
        catch (System.Text.Json.JsonException e)
        {
            // As for a worker's activation: a row that cannot be read is its job's incident, and the round goes on with
            // the other claimed jobs (review13 F16).
            await jobs.FailUnreadableAsync(job, e, ct).ConfigureAwait(false);
            return;
        }

        IReadOnlyDictionary<string, object?>? result;
        using var inFlight = runner.Core.InFlight.Begin(ct); // the handler's token is cancelled when the instance ends meanwhile
        inFlight.Add(job.InstanceId);
        try
        {
            result = await handler(context, inFlight.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (inFlight.StoppedBy is not null)
        {
            return; // the instance ended: its job is closed, nothing is left to complete
        }
        catch (BpmnErrorException error)
        {
            await CommandRunner.IgnoreIfGoneAsync(jobs.ThrowErrorAsync(job.Id, error.ErrorCode, error.Message, ct)).ConfigureAwait(false);
            return;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await CommandRunner.IgnoreIfGoneAsync(jobs.FailAsync(job.Id, e.Message, job.Retries - 1, jobs.RetryBackoff(job), ct)).ConfigureAwait(false);
            return;
        }

        try
        {
            await CommandRunner.IgnoreIfGoneAsync(jobs.CompleteByAsync(job.Id, result, Options.NodeId, ct)).ConfigureAwait(false);
        }
        catch (WorkflowInputException refused)
        {
            // A result the engine refuses (over MaxVariablesBytes, a value with no FEEL form) fails the job like a thrown exception.
            await CommandRunner.IgnoreIfGoneAsync(jobs.FailAsync(job.Id, $"the handler's result was refused: {refused.Message}", job.Retries - 1, jobs.RetryBackoff(job), ct)).ConfigureAwait(false);
        }
    }
}
