using Microsoft.Extensions.Logging;

namespace Workflows.Engine.Services;

/// <summary>
/// The background worker: fires due timers and SLA clocks, runs asynchronous in-process jobs, expires buffered
/// messages, refreshes calendars and deletes old history. <see cref="RunAsync"/> loops until cancelled; the
/// other methods do one pass each, for tests and tools that move time themselves.
/// </summary>
/// <remarks>
/// Work is claimed with leases (<see cref="WorkflowWorkerOptions.LeaseDuration"/>), so several nodes on one store
/// share it and each item fires once. The loop survives faults: a round that fails (the store read-only, full,
/// locked or unreachable) is logged, retried after a doubling back-off (<see cref="WorkflowWorkerOptions.FaultBackoff"/>
/// up to <see cref="WorkflowWorkerOptions.MaxFaultBackoff"/>), and <see cref="Status"/> reads
/// <see cref="WorkerState.Faulted"/> until a round succeeds again: readiness checks read it.
/// </remarks>
public sealed class WorkflowWorker
{
    private readonly DueWork _due;
    private readonly WorkflowServiceLevels _serviceLevels;
    private readonly WorkerLoop _loop;

    internal WorkflowWorker(CommandRunner runner, WorkflowJobs jobs, WorkflowServiceLevels serviceLevels, ILogger logger)
    {
        _due = new DueWork(runner, jobs);
        _serviceLevels = serviceLevels;
        _loop = new WorkerLoop(runner, _due, logger);
    }

    /// <summary>Where the loop stands: stopped, running, or faulted since when and why.</summary>
    public WorkerStatus Status => _loop.Status;

    /// <summary>
    /// Does due work until cancelled, sleeping <see cref="WorkflowWorkerOptions.PollInterval"/> (or until the next
    /// timer or clock is due, if sooner) whenever a round found nothing, so an idle engine does close to no work.
    /// </summary>
    /// <remarks>Returns when <paramref name="cancellationToken"/> is cancelled; a fault never ends it (see <see cref="Status"/>).</remarks>
    public Task RunAsync(CancellationToken cancellationToken) => _loop.RunAsync(cancellationToken);

    /// <summary>Fires the timers due by now that this node can lease, each in its own command.</summary>
    /// <returns>How many timers fired.</returns>
    public Task<int> FireDueTimersAsync(int maxTimers = 1000, CancellationToken cancellationToken = default) =>
        _due.FireDueTimersAsync(maxTimers, cancellationToken);

    /// <summary>
    /// Fires the SLA clocks due by now that this node can lease: warnings, breaches and repeated escalations.
    /// Several instances share a command (<see cref="WorkflowWorkerOptions.ClockBatchSize"/>), so a burst of due clocks costs few transactions.
    /// </summary>
    /// <returns>How many clocks were fired.</returns>
    public Task<int> FireDueClocksAsync(int maxClocks = 1000, CancellationToken cancellationToken = default) =>
        _serviceLevels.FireDueClocksAsync(maxClocks, cancellationToken);

    /// <summary>
    /// Runs the due jobs whose types have in-process handlers (service tasks marked <c>async</c>) that this node
    /// can lease: the handler runs outside any command, then its result is committed; a failure is retried with
    /// exponential back-off (<see cref="WorkflowWorkerOptions.RetryBackoff"/>), then becomes an incident.
    /// </summary>
    /// <returns>How many jobs ran.</returns>
    public Task<int> RunDueJobsAsync(int maxJobs = 1000, CancellationToken cancellationToken = default) =>
        _due.RunDueJobsAsync(maxJobs, cancellationToken);

    /// <summary>
    /// Leases up to <paramref name="max"/> pending instances of running batch operations and does each one's operation,
    /// its result committed in the same transaction (<see cref="WorkflowOperations"/>); a batch with none left completes.
    /// </summary>
    /// <returns>How many batch items were taken.</returns>
    public Task<int> RunBatchItemsAsync(int max = 1000, CancellationToken cancellationToken = default) =>
        _due.RunBatchItemsAsync(max, cancellationToken);

    /// <summary>
    /// Marks buffered messages whose time-to-live has run out as expired. One that no instance ever took is
    /// kept, logged as a warning and counted (<c>workflows.messages.expired</c>);
    /// <see cref="WorkflowQueries.GetExpiredMessagesAsync"/> lists them.
    /// </summary>
    /// <returns>How many messages expired.</returns>
    public Task<int> ExpireMessagesAsync(int max = 1000, CancellationToken cancellationToken = default) =>
        _due.ExpireMessagesAsync(max, cancellationToken);

    /// <summary>
    /// Deletes the history of instances that ended more than <paramref name="olderThan"/> ago, in batches of
    /// <see cref="WorkflowWorkerOptions.HistoryDeleteBatchSize"/> instances per transaction so the runtime tables are never blocked for long.
    /// </summary>
    /// <returns>How many history rows were deleted.</returns>
    public Task<long> DeleteHistoryAsync(TimeSpan olderThan, CancellationToken cancellationToken = default) =>
        _due.DeleteHistoryAsync(olderThan, cancellationToken);

    /// <summary>
    /// Deletes the idempotency keys of starts stored more than <paramref name="olderThan"/> ago (the worker does it every
    /// <see cref="WorkflowWorkerOptions.HistoryCleanupInterval"/> with <see cref="WorkflowWorkerOptions.IdempotencyKeyRetention"/>):
    /// a start retried with one of them starts a new instance.
    /// </summary>
    /// <returns>How many keys were deleted.</returns>
    public Task<int> DeleteIdempotencyKeysAsync(TimeSpan olderThan, CancellationToken cancellationToken = default) =>
        _due.DeleteIdempotencyKeysAsync(olderThan, cancellationToken);

    /// <summary>
    /// Deletes the decision evaluations recorded through the API more than <paramref name="olderThan"/> ago, in batches
    /// of <see cref="WorkflowWorkerOptions.HistoryDeleteBatchSize"/> per transaction; the worker does it every
    /// <see cref="WorkflowWorkerOptions.HistoryCleanupInterval"/> when <see cref="WorkflowWorkerOptions.DecisionEvaluationRetention"/>
    /// (else <see cref="WorkflowWorkerOptions.HistoryRetention"/>) is set.
    /// </summary>
    /// <returns>How many evaluations were deleted.</returns>
    public Task<long> DeleteDecisionEvaluationsAsync(TimeSpan olderThan, CancellationToken cancellationToken = default) =>
        _due.DeleteDecisionEvaluationsAsync(olderThan, cancellationToken);

    /// <summary>When the next timer is due, if any: a poller sleeps until then.</summary>
    public Task<DateTimeOffset?> GetNextTimerDueAsync(CancellationToken cancellationToken = default) =>
        _due.GetNextTimerDueAsync(cancellationToken);

    /// <summary>
    /// Writes one small row the store keeps for the purpose, in a transaction of its own, and throws what the store
    /// throws when it takes no writes (read-only, full, locked, away): a readiness check's proof that commands can commit
    /// even when no work is due. The in-memory store always takes it.
    /// </summary>
    /// <remarks>Cheap, but a write: call it every few seconds at most, not per request.</remarks>
    public Task ProbeStoreWriteAsync(CancellationToken cancellationToken = default) =>
        _due.ProbeStoreWriteAsync(cancellationToken);

    /// <summary>When the next SLA clock is due, if any.</summary>
    public Task<DateTimeOffset?> GetNextClockDueAsync(CancellationToken cancellationToken = default) =>
        _serviceLevels.GetNextClockDueAsync(cancellationToken);
}

/// <summary>Where the background worker's loop stands.</summary>
public enum WorkerState
{
    /// <summary>The loop is not running (not started on this node, or stopped).</summary>
    Stopped,

    /// <summary>The loop runs and its last round succeeded.</summary>
    Running,

    /// <summary>The loop's rounds fail (see <see cref="WorkerStatus.Fault"/>); it keeps trying with back-off.</summary>
    Faulted,
}

/// <summary>The background worker's state, since when, and the fault while there is one.</summary>
/// <param name="State">Stopped, running or faulted.</param>
/// <param name="Since">When the loop entered this state (a fault: when its first failed round ended).</param>
/// <param name="Fault">The last failure's type and message, while faulted.</param>
/// <param name="ConsecutiveFailures">How many rounds in a row failed, while faulted.</param>
public sealed record WorkerStatus(WorkerState State, DateTimeOffset Since, string? Fault, int ConsecutiveFailures)
{
    /// <summary>False while faulted: the node should be taken out of rotation until the worker recovers.</summary>
    public bool IsReady => State != WorkerState.Faulted;
}
