using System.Text.Json.Serialization;

namespace Workflows.Engine;

/// <summary>Where a journey version stands: deployed by an analyst, approved as a standard, rolled out to every branch of a plan.</summary>
public enum VersionStage
{
    /// <summary>In the library; no branch runs it unless one pins it.</summary>
    Deployed,

    /// <summary>Approved as a standard version: a rollout may pin it.</summary>
    Approved,

    /// <summary>A rollout pinned it to every branch of its plan (and was not rolled back).</summary>
    RolledOut,
}

/// <summary>A journey version's stage, who approved it and why, and which branches pin it now.</summary>
public sealed record VersionLifecycle(string ProcessId, int Version, VersionStage Stage, DateTimeOffset DeployedAt, string? DeployedBy)
{
    /// <summary>Who approved it.</summary>
    public string? ApprovedBy { get; init; }

    /// <summary>When it was approved.</summary>
    public DateTimeOffset? ApprovedAt { get; init; }

    /// <summary>Why it was approved.</summary>
    public string? ApprovalReason { get; init; }

    /// <summary>The branches that pin it now, in id order.</summary>
    public IReadOnlyList<string> PinnedBy { get; init; } = [];
}

/// <summary>How far a rollout went.</summary>
public enum RolloutStatus
{
    /// <summary>Planned: no wave pinned yet.</summary>
    Planned,

    /// <summary>Some waves pinned, others waiting.</summary>
    InProgress,

    /// <summary>Every wave pinned.</summary>
    Completed,

    /// <summary>Rolled back: the branches it pinned were re-pinned to what they ran before.</summary>
    RolledBack,
}

/// <summary>One wave of a rollout: the branches pinned together (the pilot first, then groups such as a country).</summary>
/// <param name="Name">What people call it (<c>pilot</c>, <c>France</c>).</param>
/// <param name="Branches">Its branches.</param>
public sealed record RolloutWave(string Name, IReadOnlyList<string> Branches)
{
    /// <summary>When the wave was pinned; null while it waits.</summary>
    public DateTimeOffset? PinnedAt { get; init; }

    /// <summary>What each branch pinned before the wave (null: none, it followed the standard): what a rollback re-pins.</summary>
    public IReadOnlyDictionary<string, int?> Previous { get; init; } = new Dictionary<string, int?>();

    /// <summary>
    /// The version each branch ran before the wave: its pin, else the standard it followed then (a rollback that unpins it
    /// returns it there). Empty for a wave pinned before it was recorded.
    /// </summary>
    public IReadOnlyDictionary<string, int?> Ran { get; init; } = new Dictionary<string, int?>();
}

/// <summary>One audited step of a rollout: who did what, when and why.</summary>
/// <param name="At">When.</param>
/// <param name="Action"><c>planned</c>, <c>wave-pinned</c> or <c>rolled-back</c>.</param>
/// <param name="Actor">Who.</param>
/// <param name="Reason">Why, in their words.</param>
/// <param name="Wave">The wave it pinned, if any.</param>
/// <param name="Branches">The branches whose pin it changed.</param>
public sealed record RolloutStep(DateTimeOffset At, string Action, string Actor, string Reason, string? Wave, IReadOnlyList<string> Branches);

/// <summary>What a rollout pins: a journey's version (<see cref="Branch.Pins"/>) or a decision's (<see cref="Branch.DecisionPins"/>).</summary>
public enum RolloutSubject
{
    /// <summary>A journey version, pinned for the branches' starts.</summary>
    Journey,

    /// <summary>A decision version, pinned for the branches' business rule tasks and evaluations.</summary>
    Decision,
}

/// <summary>A plan to pin an approved version to branches in waves, with every step taken.</summary>
/// <param name="Id">Its id.</param>
/// <param name="ProcessId">The journey, or the decision for a <see cref="RolloutSubject.Decision"/> rollout.</param>
/// <param name="Version">The version it pins.</param>
/// <param name="Waves">The waves, in order.</param>
public sealed record Rollout(Guid Id, string ProcessId, int Version, IReadOnlyList<RolloutWave> Waves)
{
    /// <summary>What it pins: a journey's version (the default) or a decision's.</summary>
    public RolloutSubject Subject { get; init; }

    /// <summary>How far it went.</summary>
    public RolloutStatus Status { get; init; }

    /// <summary>Every step, oldest first: the plan, each wave pinned, a rollback.</summary>
    public IReadOnlyList<RolloutStep> Steps { get; init; } = [];

    /// <summary>How many waves are pinned.</summary>
    public int WavesPinned => Waves.Count(w => w.PinnedAt is not null);

    /// <summary>How many times it was saved: the store's, read with it.</summary>
    [JsonIgnore]
    public long Revision { get; init; }
}

/// <summary>A rollout to plan: an approved version, its waves, who plans it and why.</summary>
/// <param name="ProcessId">The journey, or the decision when <see cref="Subject"/> says so.</param>
/// <param name="Version">The approved version to pin.</param>
/// <param name="Waves">The waves, in order.</param>
/// <param name="Actor">Who plans it.</param>
/// <param name="Reason">Why.</param>
public sealed record PlanRollout(string ProcessId, int Version, IReadOnlyList<RolloutWave> Waves, string Actor, string Reason)
{
    /// <summary>What the rollout pins: a journey's version (the default) or a decision's.</summary>
    public RolloutSubject Subject { get; init; }
}

/// <summary>The service figures of one version's cases in some branches.</summary>
/// <param name="Version">The version.</param>
/// <param name="Cases">Its instances in those branches (up to the figures' limit).</param>
/// <param name="Breaches">Of those with a level-1 commitment, how many breached it.</param>
/// <param name="AtRisk">How many are past a warning and not yet breached.</param>
/// <param name="Satisfaction">The mean satisfaction score of the cases that recorded one; null when none did.</param>
/// <param name="Surveyed">How many cases recorded a satisfaction score.</param>
public sealed record VersionFigures(int Version, int Cases, int Breaches, int AtRisk, decimal? Satisfaction, int Surveyed);

/// <summary>The pinned waves' service figures under the rollout's version beside those under the versions they ran before.</summary>
/// <param name="RolloutId">The rollout.</param>
/// <param name="Branches">The branches of the pinned waves.</param>
/// <param name="Candidate">The rollout's version.</param>
/// <param name="Previous">Each version those branches ran before, newest first.</param>
public sealed record RolloutFigures(Guid RolloutId, IReadOnlyList<string> Branches, VersionFigures Candidate, IReadOnlyList<VersionFigures> Previous);
