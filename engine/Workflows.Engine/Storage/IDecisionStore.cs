namespace Workflows.Engine.Storage;

/// <summary>
/// Deployed decision versions (DMN) and their approvals (migration 0019): reads here, writes through the change set
/// (<see cref="DecisionChanges"/>) in the commit of the deployment or approval.
/// </summary>
internal interface IDecisionStore
{
    ValueTask<DecisionRecord?> GetDecisionAsync(Guid id, CancellationToken ct);

    ValueTask<DecisionRecord?> GetLatestDecisionAsync(string decisionId, CancellationToken ct);

    ValueTask<DecisionRecord?> GetDecisionByVersionAsync(string decisionId, int version, CancellationToken ct);

    /// <summary>
    /// A version as <see cref="GetDecisionByVersionAsync"/> reads it, or the latest (<paramref name="version"/> null) as
    /// <see cref="GetLatestDecisionAsync"/>, its XML left empty where that saves reading it (a SQL store): what a business
    /// rule task needs once the version's model is kept (<c>DeployedDecisions.LoadAsync</c> reads the XML when it is not).
    /// </summary>
    ValueTask<DecisionRecord?> FindDecisionVersionAsync(string decisionId, int? version, CancellationToken ct);

    /// <summary>The highest version carrying that tag.</summary>
    ValueTask<DecisionRecord?> GetDecisionByVersionTagAsync(string decisionId, string versionTag, CancellationToken ct);

    ValueTask<DecisionRecord?> GetDecisionInDeploymentAsync(Guid deploymentId, string decisionId, CancellationToken ct);

    /// <summary>Every deployed version (of one decision when given), by decision id and version, without their XML.</summary>
    ValueTask<IReadOnlyList<DecisionRecord>> GetDecisionsAsync(string? decisionId, CancellationToken ct);

    /// <summary>The approvals of one decision's versions (of every decision when null), by decision and version.</summary>
    ValueTask<IReadOnlyList<VersionApprovalRecord>> GetDecisionApprovalsAsync(string? decisionId, CancellationToken ct);

    /// <summary>
    /// What a business rule task reads to choose its decision's version, in one round trip: the branch's row (null when
    /// <paramref name="branchId"/> is null or names no branch), the decision's approvals (as <see cref="GetDecisionApprovalsAsync"/>)
    /// and the rollouts of <paramref name="rolloutKey"/>, newest first, at most <paramref name="maxRollouts"/> (as <see cref="IRolloutStore.GetRolloutsAsync"/>);
    /// and, where that saves a round trip (a server), the decision's <paramref name="likelyVersion"/> as <see cref="FindDecisionVersionAsync"/>
    /// reads it (the version chosen last time: the caller uses it only when it is the version it chooses now).
    /// <paramref name="stampReadByCommand"/> is the stamp the command read with its first rows (<see cref="TaskWithInstance.DecisionChoiceStamp"/>),
    /// null when it read none: a store that keeps the rows by that stamp compares it rather than read the stamp again.
    /// </summary>
    ValueTask<DecisionChoiceRows> GetDecisionChoiceRowsAsync(string? branchId, string decisionId, string rolloutKey, int maxRollouts, int? likelyVersion, long? stampReadByCommand, CancellationToken ct);

    /// <summary>
    /// A decision's recorded evaluations (of one branch when given), newest first, up to <paramref name="max"/>; with
    /// <paramref name="before"/>, those older than that one (paging on).
    /// </summary>
    ValueTask<IReadOnlyList<DecisionEvaluationRecord>> GetDecisionEvaluationsAsync(string decisionId, string? branch, DecisionEvaluationRecord? before, int max, CancellationToken ct);

    /// <summary>One recorded evaluation.</summary>
    ValueTask<DecisionEvaluationRecord?> GetDecisionEvaluationAsync(Guid id, CancellationToken ct);

    /// <summary>
    /// Deletes the recorded evaluations made before <paramref name="evaluatedBefore"/>, at most <paramref name="batchSize"/>
    /// per transaction (retention, migration 0028's index on the time).
    /// </summary>
    /// <returns>How many were deleted.</returns>
    Task<long> DeleteDecisionEvaluationsAsync(DateTimeOffset evaluatedBefore, int batchSize, CancellationToken ct);
}

/// <summary>A decision evaluated through the API (wf_decision_evaluations): who, for which branch, which version, and the detail as JSON.</summary>
internal sealed record DecisionEvaluationRecord(Guid Id, string DecisionId, int Version, string? Branch, string Actor, DateTimeOffset EvaluatedAt, string Detail);

/// <summary>
/// A version of one decision (wf_decision_definitions). <see cref="Xml"/> is the whole DMN document it was deployed in: a
/// decision needs the decisions, knowledge models and input data it requires. The document is stored once per deployment
/// (wf_decision_documents, migration 0029) and each version refers to it by <see cref="DocumentId"/>; a version written
/// before 0029 holds its own copy (no document id) and reads the same.
/// </summary>
internal sealed record DecisionRecord(
    Guid Id,
    string DecisionId,
    string Name,
    int Version,
    string? VersionTag,
    string Checksum,
    string Xml,
    Guid DeploymentId,
    DateTimeOffset DeployedAt,
    string? DeployedBy)
{
    /// <summary>The stored document the version refers to; null for a version that holds its own copy (stored before migration 0029).</summary>
    public Guid? DocumentId { get; init; }
}

/// <summary>
/// A DMN document as deployed (wf_decision_documents): stored once, whatever the number of its decisions, and never
/// changed; the versions of its decisions refer to it (review18 F19: a copy per decision made storage quadratic).
/// </summary>
internal sealed record DecisionDocumentRecord(Guid Id, Guid DeploymentId, string Checksum, string Xml, DateTimeOffset DeployedAt);

/// <summary>
/// A command's decision rows. A version deployed by two commands at once, and a second approval of a version, collide on
/// their keys: the loser retries and then sees the version (or the approval) the winner wrote.
/// </summary>
internal sealed class DecisionChanges
{
    public List<DecisionRecord> Definitions { get; } = [];

    /// <summary>Documents stored, written before the versions that refer to them.</summary>
    public List<DecisionDocumentRecord> Documents { get; } = [];

    /// <summary>
    /// Versions whose stored XML becomes another drawing or writing of the same model: they refer to the new document
    /// from then on; the one they referred to before (<c>Previous</c>) goes when no version refers to it any more.
    /// </summary>
    public List<(Guid Id, Guid DocumentId, Guid? Previous)> DiagramsReplaced { get; } = [];

    /// <summary>Approvals; <see cref="VersionApprovalRecord.ProcessId"/> holds the decision id.</summary>
    public List<VersionApprovalRecord> Approvals { get; } = [];

    /// <summary>Evaluations recorded.</summary>
    public List<DecisionEvaluationRecord> Evaluations { get; } = [];
}

/// <summary>The rows a decision's version is chosen by (<see cref="IDecisionStore.GetDecisionChoiceRowsAsync"/>).</summary>
internal sealed record DecisionChoiceRows((string Json, long Revision)? Branch, IReadOnlyList<VersionApprovalRecord> Approvals, IReadOnlyList<(string Json, long Revision)> Rollouts)
{
    /// <summary>The likely version asked for, when it was read and is deployed; null otherwise.</summary>
    public DecisionRecord? Likely { get; init; }

    /// <summary>
    /// What a business rule task chose from these rows, kept with them: a SQL store hands the same rows back while the
    /// stamp every change to them moves has not moved (migration 38), and the choice with them; null until one is made.
    /// </summary>
    public DecisionChoice? Chosen { get; set; }
}

/// <summary>The branch a decision's version was chosen for (null for none) and the version chosen (null for none: an incident).</summary>
internal sealed record DecisionChoice(Branch? Branch, DecisionRecord? Found);
