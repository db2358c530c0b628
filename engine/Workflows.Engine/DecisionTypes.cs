using Workflows.Engine.Decisions;

namespace Workflows.Engine;

/// <summary>A decision version of a deployment. <see cref="IsNew"/> is false when the same model was deployed before (the same canonical form).</summary>
/// <param name="DecisionId">The decision's id in the DMN XML.</param>
/// <param name="Name">The decision's name.</param>
/// <param name="Version">Its version: one more than the last for a changed model.</param>
/// <param name="Key">The version's key.</param>
/// <param name="VersionTag">The decision's <c>zeebe:versionTag</c>, if it has one.</param>
/// <param name="IsNew">Whether this deployment created the version.</param>
public sealed record DeployedDecision(string DecisionId, string Name, int Version, Guid Key, string? VersionTag, bool IsNew)
{
    /// <summary>True when the model was unchanged but its XML was not (its diagram, formatting or prefixes): the version took the new XML.</summary>
    public bool DiagramReplaced { get; init; }
}

/// <summary>A deployed version of a decision, with where it stands: deployed or approved, and which branches pin it.</summary>
/// <param name="Key">The version's key.</param>
/// <param name="DecisionId">The decision's id.</param>
/// <param name="Name">The decision's name.</param>
/// <param name="Version">The version.</param>
/// <param name="VersionTag">Its version tag, if any.</param>
/// <param name="DeploymentId">The deployment that created it.</param>
/// <param name="DeployedAt">When.</param>
/// <param name="DeployedBy">By whom, when known.</param>
public sealed record DecisionVersionInfo(Guid Key, string DecisionId, string Name, int Version, string? VersionTag, Guid DeploymentId, DateTimeOffset DeployedAt, string? DeployedBy)
{
    /// <summary>Deployed, approved, or rolled out (a decision rollout pinned it to every branch of its plan).</summary>
    public VersionStage Stage { get; init; }

    /// <summary>Who approved it.</summary>
    public string? ApprovedBy { get; init; }

    /// <summary>When it was approved.</summary>
    public DateTimeOffset? ApprovedAt { get; init; }

    /// <summary>Why it was approved.</summary>
    public string? ApprovalReason { get; init; }

    /// <summary>The branches that pin it now, in id order (empty in a caller's view that may not see other branches).</summary>
    public IReadOnlyList<string> PinnedBy { get; init; } = [];

    /// <summary>
    /// Whether it is the decision's standard: what a branch without a pin evaluates (the first version approved, then the
    /// version of the last rollout completed). No version is while none is approved: the latest is then evaluated.
    /// </summary>
    public bool Standard { get; init; }
}

/// <summary>A decision to evaluate: which, with what inputs, for which branch.</summary>
/// <param name="DecisionId">The decision's id.</param>
public sealed record EvaluateDecision(string DecisionId)
{
    /// <summary>The inputs by name (the DMN's input data names, or the variables its table's inputs read).</summary>
    public IReadOnlyDictionary<string, object?>? Variables { get; init; }

    /// <summary>
    /// The branch whose pin chooses the version (null: the standard), and whose cases' <c>branch</c>, <c>calendar</c> and
    /// <c>branchSettings</c> the decision sees.
    /// </summary>
    public string? Branch { get; init; }

    /// <summary>
    /// With <see cref="Branch"/>: the journey whose cases' parameters (<c>branchSettings</c>) to evaluate with; null for
    /// the journeys whose business rule tasks call the decision in the version the branch runs.
    /// </summary>
    public string? Journey { get; init; }

    /// <summary>A version to evaluate instead of the pinned or latest one.</summary>
    public int? Version { get; init; }

    /// <summary>
    /// Who asks. When given, the evaluation is recorded (who, branch, version, inputs, matched rules, outputs) and listed
    /// by <see cref="Services.WorkflowDecisions.GetEvaluationsAsync"/>; without it nothing is written.
    /// </summary>
    public string? Actor { get; init; }
}

/// <summary>
/// A branch's decision pin that no longer holds (<see cref="Services.WorkflowDecisions.CheckPinsAsync"/>): the decision or
/// the version it names is not deployed, the version is not approved, or its stored model no longer passes today's checks
/// (a stricter rule or limit since it was deployed).
/// </summary>
/// <param name="BranchId">The branch.</param>
/// <param name="DecisionId">The decision it pins.</param>
/// <param name="Version">The version it pins.</param>
/// <param name="Problem">What is wrong, in words, naming the branch, the decision and the version.</param>
public sealed record DecisionPinProblem(string BranchId, string DecisionId, int Version, string Problem);

/// <summary>A recorded evaluation of a deployed decision: who asked, for which branch, the version evaluated and what it gave.</summary>
/// <param name="Id">Its id.</param>
/// <param name="DecisionId">The decision.</param>
/// <param name="Version">The version evaluated.</param>
/// <param name="Branch">The branch whose pin chose the version; null when none.</param>
/// <param name="Actor">Who asked.</param>
/// <param name="EvaluatedAt">When, on the engine's clock.</param>
/// <param name="Detail">
/// As JSON, the same shape as a business rule task's <c>decision-evaluated</c> history row: the value, every decision
/// evaluated with its table's inputs, matched rules and output, and the warnings.
/// </param>
public sealed record DecisionEvaluationInfo(Guid Id, string DecisionId, int Version, string? Branch, string Actor, DateTimeOffset EvaluatedAt, string Detail);

/// <summary>What evaluating a deployed decision gave.</summary>
/// <param name="DecisionId">The decision.</param>
/// <param name="Version">The version evaluated (the branch's pin, else the standard, unless one was asked for).</param>
/// <param name="Value">The decision's value as a FEEL value; null when no rule matched or it failed (then <paramref name="Warnings"/> say why).</param>
/// <param name="Decisions">Every decision evaluated, required ones first, with its table's inputs and matched rules.</param>
/// <param name="Warnings">Why a value is null, in the order they arose.</param>
public sealed record DecisionResult(string DecisionId, int Version, object? Value, IReadOnlyList<EvaluatedDecision> Decisions, IReadOnlyList<string> Warnings)
{
    /// <summary>
    /// For a branch: the journeys whose cases' parameters the decision saw and whose business rule tasks all decide with
    /// this version (empty when none calls it, or for no branch).
    /// </summary>
    public IReadOnlyList<string> Journeys { get; init; } = [];

    /// <summary>For a branch: each business rule task calling the decision in the journey versions it runs, with the version its binding decides with.</summary>
    public IReadOnlyList<DecisionCaller> Callers { get; init; } = [];
}

/// <summary>
/// A business rule task calling a decision in the journey version a branch runs, and the version its cases decide with
/// now: binding <c>latest</c> follows the branch's pin (else the standard), <c>versionTag</c> the pinned version when it
/// carries the tag, <c>deployment</c> the version deployed with the journey version whatever the pin (Camunda 8's bindings).
/// </summary>
/// <param name="DecisionId">The decision called.</param>
/// <param name="Journey">The journey.</param>
/// <param name="JourneyVersion">The journey's version the branch runs.</param>
/// <param name="ElementId">The business rule task's id.</param>
/// <param name="ElementName">Its name, when it has one.</param>
/// <param name="Binding"><c>latest</c>, <c>deployment</c> or <c>versionTag</c>.</param>
/// <param name="VersionTag">The tag of a <c>versionTag</c> binding.</param>
/// <param name="Version">The decision version the task evaluates; null when none is found (its cases stop on an incident).</param>
public sealed record DecisionCaller(string DecisionId, string Journey, int JourneyVersion, string ElementId, string? ElementName, string Binding, string? VersionTag, int? Version);

/// <summary>One thing that changed between two versions of a decision.</summary>
/// <param name="Kind">
/// <c>hit-policy</c>, <c>input-added</c>, <c>input-removed</c>, <c>input-changed</c> (its expression, type, allowed values or
/// label), <c>output-added</c>, <c>output-removed</c>, <c>output-changed</c> (its name, type, allowed values, default or
/// label), <c>rule-added</c>, <c>rule-removed</c>, <c>rule-changed</c>, <c>rule-moved</c> (where the order of the rules is
/// the answer's), <c>expression</c> (the decision's logic other than a table), <c>decision</c> (its name, type or kind of
/// logic), <c>requirement</c> (a decision, input data or knowledge it now requires or no longer does),
/// <c>required-decision</c> (a change in a decision it requires, said the same way) or <c>dependency</c> (a knowledge
/// model, decision service, item definition or input data it uses, changed, added or removed).
/// </param>
/// <param name="RuleId">The rule's id, for a rule's change.</param>
/// <param name="Text">The change in words: <c>rule 2: amount was “&lt; 500”, now “&lt; 800”</c>.</param>
public sealed record DecisionChange(string Kind, string? RuleId, string Text);

/// <summary>What changed in a decision from one version to another: rules by id (else position), cell by cell.</summary>
/// <param name="DecisionId">The decision.</param>
/// <param name="From">The version compared from.</param>
/// <param name="To">The version compared to.</param>
/// <param name="Changes">Every change, the table's shape first, then rules added, changed, removed.</param>
public sealed record DecisionVersionComparison(string DecisionId, int From, int To, IReadOnlyList<DecisionChange> Changes);
