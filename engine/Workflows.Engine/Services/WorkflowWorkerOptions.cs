namespace Workflows.Engine.Services;

/// <summary>Cadences, batch sizes and leases of the background worker (<see cref="WorkflowWorker"/>).</summary>
/// <remarks>
/// Set through <see cref="WorkflowEngineOptions.Worker"/>, or the configuration section the host binds
/// (<c>Workflows:Engine:Worker</c>). Every value is checked when the engine is built (and, registered with
/// <c>AddWorkflowsEngine</c>, when the host starts): a wrong one fails with a message naming it.
/// </remarks>
public sealed partial class WorkflowWorkerOptions
{
    /// <summary>How long the worker sleeps when a round found nothing due (less when a timer or clock is due sooner). Default 1 second.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many due timers one round claims; each fires in its own command. Default 32.</summary>
    public int TimerBatchSize { get; set; } = 32;

    /// <summary>How many due in-process jobs one round claims. Default 32.</summary>
    public int JobBatchSize { get; set; } = 32;

    /// <summary>How long a claimed timer, job or clock stays this node's; another node may take it after. Default 30 seconds.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The first retry delay of a failed job; each further failure doubles it. Default 1 second.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the history of a finished instance is kept; null (the default) keeps it for ever.</summary>
    public TimeSpan? HistoryRetention { get; set; }

    /// <summary>
    /// How long a decision evaluation recorded through the API (<see cref="WorkflowDecisions.GetEvaluationsAsync"/>) is
    /// kept after it was made; null (the default) keeps it as long as <see cref="HistoryRetention"/> keeps history, and
    /// for ever when that is null too. A business rule task's evaluations are its instance's history.
    /// </summary>
    public TimeSpan? DecisionEvaluationRetention { get; set; }

    /// <summary>How often the worker deletes history older than <see cref="HistoryRetention"/> and evaluations older than <see cref="DecisionEvaluationRetention"/>, when set. Default 1 hour.</summary>
    public TimeSpan HistoryCleanupInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How long a start's idempotency key (<see cref="StartIdempotency"/>) is kept: within it a retried start answers the
    /// first one's instance; after it the worker deletes the key (every <see cref="HistoryCleanupInterval"/>). Default 24
    /// hours, the least allowed: a client may retry a start whose answer it lost for a day.
    /// </summary>
    public TimeSpan IdempotencyKeyRetention { get; set; } = MinIdempotencyKeyRetention;

    /// <summary>
    /// How long an outbox row is kept once the bus's relay published it (it shows in the instance's outgoing messages
    /// meanwhile); after it the worker deletes it (every <see cref="HistoryCleanupInterval"/>, <see cref="HistoryDeleteBatchSize"/>
    /// rows a statement). An unpublished or parked row is never deleted. Default 7 days; null keeps every row for ever.
    /// </summary>
    public TimeSpan? OutboxRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The longest <see cref="IdempotencyKeyRetention"/> and <see cref="OutboxRetention"/>: 3,650 days.</summary>
    public static readonly TimeSpan MaxRetention = TimeSpan.FromDays(3650);

    /// <summary>The shortest <see cref="IdempotencyKeyRetention"/>: 24 hours.</summary>
    public static readonly TimeSpan MinIdempotencyKeyRetention = TimeSpan.FromHours(24);

    /// <summary>How many finished instances' history one delete transaction takes, so the tables are never blocked for long. Default 500.</summary>
    public int HistoryDeleteBatchSize { get; set; } = 500;

    /// <summary>How often the worker marks buffered messages past their time-to-live as expired. Default 10 seconds.</summary>
    public TimeSpan MessageExpiryInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many buffered messages one expiry pass marks at most. Default 1000.</summary>
    public int MessageExpiryBatchSize { get; set; } = 1000;

    /// <summary>
    /// How long the worker waits after a round failed (the store read-only, full, locked or unreachable) before it
    /// tries again; each further failure in a row doubles it, up to <see cref="MaxFaultBackoff"/>. Default 1 second.
    /// </summary>
    public TimeSpan FaultBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between tries while a fault lasts. Default 1 minute.</summary>
    public TimeSpan MaxFaultBackoff { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How many instances of batch operations one round leases; each is done in its own command. Default 50.</summary>
    public int BatchChunkSize { get; set; } = 50;

    /// <summary>The most instances one batch operation may select. Default 100,000.</summary>
    public int BatchMaxInstances { get; set; } = 100_000;

    /// <summary>What is wrong with the settings, one message per wrong setting naming it; empty when all are right.</summary>
    public IReadOnlyList<string> Check()
    {
        var errors = new List<string>();
        void Require(bool ok, string name, object? value, string rule) => RequireThat(errors, ok, name, value, rule);

        Require(PollInterval > TimeSpan.Zero, nameof(PollInterval), PollInterval, "must be positive");
        Require(TimerBatchSize is >= 1 and <= 1000, nameof(TimerBatchSize), TimerBatchSize, "must be from 1 to 1000");
        Require(JobBatchSize is >= 1 and <= 1000, nameof(JobBatchSize), JobBatchSize, "must be from 1 to 1000");
        Require(LeaseDuration > TimeSpan.Zero, nameof(LeaseDuration), LeaseDuration, "must be positive");
        Require(RetryBackoff >= TimeSpan.Zero, nameof(RetryBackoff), RetryBackoff, "must not be negative");
        Require(HistoryRetention is null || HistoryRetention > TimeSpan.Zero, nameof(HistoryRetention), HistoryRetention, "must be positive when set");
        Require(DecisionEvaluationRetention is null || DecisionEvaluationRetention > TimeSpan.Zero, nameof(DecisionEvaluationRetention), DecisionEvaluationRetention, "must be positive when set");
        // Bounded above too: the purges cut at now − retention, which a "for ever" of TimeSpan.MaxValue would take past the
        // calendar's start at every worker round (review 19 F4). Leave OutboxRetention unset to keep published rows for ever.
        Require(IdempotencyKeyRetention >= MinIdempotencyKeyRetention && IdempotencyKeyRetention <= MaxRetention, nameof(IdempotencyKeyRetention), IdempotencyKeyRetention, "must be from 24 hours (1.00:00:00) to 3,650 days");
        Require(OutboxRetention is null || (OutboxRetention > TimeSpan.Zero && OutboxRetention <= MaxRetention), nameof(OutboxRetention), OutboxRetention, "must be positive and at most 3,650 days when set (unset keeps published rows for ever)");
        Require(HistoryCleanupInterval > TimeSpan.Zero, nameof(HistoryCleanupInterval), HistoryCleanupInterval, "must be positive");
        Require(HistoryDeleteBatchSize is >= 1 and <= 100_000, nameof(HistoryDeleteBatchSize), HistoryDeleteBatchSize, "must be from 1 to 100,000");
        Require(MessageExpiryInterval > TimeSpan.Zero, nameof(MessageExpiryInterval), MessageExpiryInterval, "must be positive");
        Require(MessageExpiryBatchSize is >= 1 and <= 100_000, nameof(MessageExpiryBatchSize), MessageExpiryBatchSize, "must be from 1 to 100,000");
        Require(BatchChunkSize is >= 1 and <= 1000, nameof(BatchChunkSize), BatchChunkSize, "must be from 1 to 1000");
        Require(BatchMaxInstances is >= 1 and <= 10_000_000, nameof(BatchMaxInstances), BatchMaxInstances, "must be from 1 to 10,000,000");
        Require(FaultBackoff > TimeSpan.Zero, nameof(FaultBackoff), FaultBackoff, "must be positive");
        Require(MaxFaultBackoff >= FaultBackoff, nameof(MaxFaultBackoff), MaxFaultBackoff, $"must be at least {nameof(FaultBackoff)} ({FaultBackoff})");
        CheckServiceLevels(errors);
        return errors;
    }

    private static void RequireThat(List<string> errors, bool ok, string name, object? value, string rule)
    {
        if (!ok)
        {
            errors.Add($"{nameof(WorkflowEngineOptions)}.{nameof(WorkflowEngineOptions.Worker)}.{name} {rule} (it is {value ?? "null"})");
        }
    }
}
