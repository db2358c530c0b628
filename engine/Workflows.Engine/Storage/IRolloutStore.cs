namespace Workflows.Engine.Storage;

/// <summary>
/// Version approvals and rollout plans: reads here, writes through the change set (<see cref="RolloutChanges"/>) in the
/// same commit as the pins a rollout step sets.
/// </summary>
internal interface IRolloutStore
{
    /// <summary>Rollouts, of one process when given, newest first, as JSON with their revisions.</summary>
    ValueTask<IReadOnlyList<(string Json, long Revision)>> GetRolloutsAsync(string? processId, int max, CancellationToken ct);

    /// <summary>One rollout, as JSON with its revision.</summary>
    ValueTask<(string Json, long Revision)?> GetRolloutAsync(Guid id, CancellationToken ct);

    /// <summary>The rollout of a process that is planned or under way (at most one), if any.</summary>
    ValueTask<Guid?> GetActiveRolloutAsync(string processId, CancellationToken ct);

    /// <summary>The approvals of one process's versions (of every process when null), by process and version.</summary>
    ValueTask<IReadOnlyList<VersionApprovalRecord>> GetApprovalsAsync(string? processId, CancellationToken ct);
}

/// <summary>A version approved as a standard: by whom, when and why (wf_version_approvals).</summary>
internal sealed record VersionApprovalRecord(string ProcessId, int Version, string ApprovedBy, DateTimeOffset ApprovedAt, string Reason);

/// <summary>A rollout saved (wf_rollouts): its JSON at its new revision; with an expected revision, only if still at it.</summary>
internal sealed record RolloutWrite(Guid Id, string ProcessId, string Json, long Revision, long? ExpectedRevision, DateTimeOffset CreatedAt);

/// <summary>
/// A command's rollout rows, committed with its branch pins. A new approval of a version approved already, and a
/// process's active-rollout lock taken while another holds it, collide on their keys: the loser retries and then sees why.
/// </summary>
internal sealed class RolloutChanges
{
    public List<VersionApprovalRecord> Approvals { get; } = [];

    public List<RolloutWrite> Rollouts { get; } = [];

    /// <summary>Processes whose one active rollout starts (process id, rollout id).</summary>
    public List<(string ProcessId, Guid RolloutId)> LocksTaken { get; } = [];

    /// <summary>Processes whose active rollout ended (completed or rolled back).</summary>
    public List<string> LocksReleased { get; } = [];
}
