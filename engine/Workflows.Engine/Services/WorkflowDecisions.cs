using Workflows.Engine.Decisions;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Services;

/// <summary>Deployed decisions (DMN): their versions and stages, their XML, approvals, branch pins and evaluation.</summary>
/// <remarks>
/// Decisions are deployed through <see cref="WorkflowDeployments.DeployAsync(IReadOnlyList{string}, string?, CancellationToken)"/>
/// (a DMN document alone, or with BPMN documents in one deployment), versioned per decision id like processes: an
/// unchanged model keeps its version, a changed one becomes version + 1. A branch pins the version of each decision its
/// business rule tasks and evaluations use (<see cref="Branch.DecisionPins"/>), by hand or wave by wave through a
/// rollout (<see cref="RolloutSubject.Decision"/>); a decision not pinned uses its standard: the first version approved,
/// then the version of the last rollout completed (<see cref="DecisionStandard"/>).
/// </remarks>
public sealed partial class WorkflowDecisions
{
    private readonly CommandRunner _runner;
    private readonly WorkflowBranches _branches;

    internal WorkflowDecisions(CommandRunner runner, WorkflowBranches branches)
    {
        _runner = runner;
        _branches = branches;
    }

    private IWorkflowStore Store => _runner.Store;

    /// <summary>Every deployed version, of one decision when given, by decision id and version, with its stage and the branches that pin it.</summary>
    public async Task<IReadOnlyList<DecisionVersionInfo>> GetVersionsAsync(string? decisionId = null, CancellationToken cancellationToken = default)
    {
        var records = await Store.GetDecisionsAsync(decisionId, cancellationToken).ConfigureAwait(false);
        var approvals = (await Store.GetDecisionApprovalsAsync(decisionId, cancellationToken).ConfigureAwait(false))
            .ToDictionary(a => (a.ProcessId, a.Version));
        var branches = records.Count == 0 ? [] : await _branches.GetAllAsync(cancellationToken).ConfigureAwait(false);

        // The decisions' rollouts (read once for them all): the completed ones make a version rolled out, the last
        // completed the standard.
        var rollouts = (await Store.GetRolloutsAsync(decisionId is null ? null : WorkflowRollouts.Key(RolloutSubject.Decision, decisionId),
                decisionId is null ? 10_000 : 500, cancellationToken).ConfigureAwait(false))
            .Select(r => WorkflowRollouts.Read(r.Json, r.Revision)).Where(r => r.Subject == RolloutSubject.Decision).ToLookup(r => r.ProcessId, StringComparer.Ordinal);
        var rolledOut = rollouts.SelectMany(g => g).Where(r => r.Status == RolloutStatus.Completed).Select(r => (r.ProcessId, r.Version)).ToHashSet();
        var standards = records.Select(r => r.DecisionId).Distinct(StringComparer.Ordinal)
            .ToDictionary(id => id, id => DecisionStandard.Of(approvals.Values.Where(a => a.ProcessId == id), rollouts[id]), StringComparer.Ordinal);

        return records.Select(r =>
        {
            var approval = approvals.GetValueOrDefault((r.DecisionId, r.Version));
            return new DecisionVersionInfo(r.Id, r.DecisionId, r.Name, r.Version, r.VersionTag, r.DeploymentId, r.DeployedAt, r.DeployedBy)
            {
                Stage = rolledOut.Contains((r.DecisionId, r.Version)) ? VersionStage.RolledOut : approval is null ? VersionStage.Deployed : VersionStage.Approved,
                Standard = standards.GetValueOrDefault(r.DecisionId) == r.Version,
                ApprovedBy = approval?.ApprovedBy,
                ApprovedAt = approval?.ApprovedAt,
                ApprovalReason = approval?.Reason,
                PinnedBy = branches.Where(b => DeployedDecisions.PinOf(b, r.DecisionId) == r.Version).Select(b => b.Id).ToList(),
            };
        }).ToList();
    }

    /// <summary>The DMN XML a version was deployed in (the latest when <paramref name="version"/> is null).</summary>
    /// <exception cref="WorkflowNotFoundException">The decision, or that version of it, is not deployed.</exception>
    public async Task<string> GetXmlAsync(string decisionId, int? version = null, CancellationToken cancellationToken = default) =>
        (await FindAsync(decisionId, version, cancellationToken).ConfigureAwait(false)).Xml;

    /// <summary>
    /// Evaluates a deployed decision as the branch's cases would: the version asked for, else the branch's pin, else the
    /// decision's standard (for no branch too), else (none approved) the latest for no branch; a branch is refused.
    /// </summary>
    /// <remarks>
    /// For a branch the decision sees what the branch's cases see: <c>branch</c>, <c>calendar</c> and <c>branchSettings</c>
    /// (the branch's parameters of the journey version it runs whose business rule tasks call the decision, or of
    /// <see cref="EvaluateDecision.Journey"/>), unless the variables give them.
    /// With <see cref="EvaluateDecision.Actor"/> the evaluation is recorded in one commit (who, branch, version and the
    /// detail a business rule task's history row has); without it nothing is written. A decision that fails is a result
    /// with warnings, not an exception (and is recorded as such).
    /// </remarks>
    /// <exception cref="WorkflowNotFoundException">The branch does not exist, or the decision (or the version chosen) is not deployed.</exception>
    /// <exception cref="WorkflowConflictException">For a branch, no version of the decision is approved.</exception>
    /// <exception cref="WorkflowInputException">
    /// A variable has no FEEL equivalent, the variables are larger or deeper than a command's may be
    /// (<see cref="WorkflowEngineOptions.MaxVariablesBytes"/>, <see cref="ExecutionLimits.MaxVariableDepth"/>), or the evaluation went over a FEEL budget; the journey named calls no such
    /// decision, or several journeys call it whose cases read different parameters and none is named.
    /// </exception>
    public async Task<DecisionResult> EvaluateAsync(EvaluateDecision request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);

        // The limits of every command's variables (size as JSON, depth): an evaluation is recorded and its work is the
        // caller's input, so 3 MB or 200 levels are refused by name here too (review10-18 F10).
        _ = _runner.Variables(request.Variables);
        var branch = request.Branch is null ? null : await _branches.GetAsync(request.Branch, cancellationToken).ConfigureAwait(false);
        var variables = request.Variables;
        IReadOnlyList<string> journeys = [];
        IReadOnlyList<DecisionCaller> callers = [];
        if (branch is not null)
        {
            var context = await AsTheBranchsCasesAsync(request, branch, cancellationToken).ConfigureAwait(false);
            (variables, journeys, callers) = (context.Variables, context.Journeys, context.Callers);
        }

        // A journey named decides with what its tasks' bindings choose (a deployment binding is not the pin's), so its
        // cases and this evaluation agree; else the version asked, else the branch's pin or standard.
        var record = (branch is null ? null : VersionOfJourney(request, branch, callers)) is { } ofJourney
            ? await FindAsync(request.DecisionId, ofJourney, cancellationToken).ConfigureAwait(false)
            : request.Version is { } asked
            ? await FindAsync(request.DecisionId, asked, cancellationToken).ConfigureAwait(false)
            : await DeployedDecisions.ResolveAsync(Store, request.DecisionId, DecisionBinding.Latest, null, null, branch, cancellationToken).ConfigureAwait(false)
                ?? throw await NotResolvedAsync(request.DecisionId, branch, cancellationToken).ConfigureAwait(false);
        var model = Readable(record);

        // The journeys the evaluation stands for are those whose calling tasks all decide with this version; the others
        // are in the callers with the version they decide with.
        journeys = journeys.Where(j => callers.Where(c => c.Journey == j).All(c => c.Version == record.Version)).ToList();

        try
        {
            var result = model.Evaluate(record.DecisionId, variables, _runner.Core.Time, cancellationToken);
            if (request.Actor is { } actor)
            {
                await RecordAsync(record, branch?.Id, actor, result, cancellationToken).ConfigureAwait(false);
            }

            return new DecisionResult(record.DecisionId, record.Version, result.Value, result.Decisions, result.Warnings) { Journeys = journeys, Callers = callers };
        }
        catch (Exception e) when (e is ArgumentException or Feel.FeelLimitExceededException)
        {
            throw new WorkflowInputException($"decision '{record.DecisionId}' version {record.Version}: {e.Message}");
        }
    }

    // Nothing to evaluate for the caller: a decision deployed but never approved is a conflict for a branch (its cases
    // would stop on an incident naming it), anything else not deployed.
    private async ValueTask<Exception> NotResolvedAsync(string decisionId, Branch? branch, CancellationToken ct)
    {
        var latest = branch is null || DeployedDecisions.PinOf(branch, decisionId) is not null ? null : await Store.GetLatestDecisionAsync(decisionId, ct).ConfigureAwait(false);
        return latest is null
            ? new WorkflowNotFoundException(DeployedDecisions.NotFound(decisionId, DecisionBinding.Latest, null, "", branch))
            : new WorkflowConflictException(DeployedDecisions.NotApproved(decisionId, latest, branch!));
    }

    /// <summary>What changed in a decision between two deployed versions: hit policy, inputs, outputs, rules cell by cell.</summary>
    /// <exception cref="WorkflowNotFoundException">Either version is not deployed.</exception>
    public async Task<DecisionVersionComparison> CompareAsync(string decisionId, int from, int to, CancellationToken cancellationToken = default)
    {
        var before = await FindAsync(decisionId, from, cancellationToken).ConfigureAwait(false);
        var after = await FindAsync(decisionId, to, cancellationToken).ConfigureAwait(false);
        _ = Readable(before);
        _ = Readable(after);
        return new DecisionVersionComparison(decisionId, from, to, DecisionComparison.Compare(decisionId, before.Xml, after.Xml));
    }

    // A stored version that no longer reads (its row edited outside the engine, a reader grown stricter) is a conflict
    // naming the version and why, as a business rule task's incident names it; never a server failure.
    private DecisionModel Readable(DecisionRecord record)
    {
        try
        {
            return DeployedDecisions.Load(record, _runner.Options.Parser);
        }
        catch (InvalidDataException e)
        {
            throw new WorkflowConflictException(e.Message);
        }
    }

    /// <summary>The most recorded evaluations one page lists.</summary>
    public const int MaxEvaluationPage = 500;

    /// <summary>
    /// A decision's recorded evaluations (<see cref="EvaluateDecision.Actor"/>), newest first; of one branch when
    /// <paramref name="branch"/> is given; <paramref name="after"/> pages on past that evaluation.
    /// </summary>
    /// <exception cref="WorkflowNotFoundException">The decision is not deployed, or <paramref name="after"/> names no evaluation of it.</exception>
    public async Task<IReadOnlyList<DecisionEvaluationInfo>> GetEvaluationsAsync(string decisionId, string? branch = null, Guid? after = null, int max = 100, CancellationToken cancellationToken = default)
    {
        _ = await FindAsync(decisionId, null, cancellationToken).ConfigureAwait(false);
        DecisionEvaluationRecord? before = null;
        if (after is { } id)
        {
            before = await Store.GetDecisionEvaluationAsync(id, cancellationToken).ConfigureAwait(false) is { } found && found.DecisionId == decisionId
                ? found
                : throw new WorkflowNotFoundException($"evaluation {id} of decision '{decisionId}' does not exist");
        }

        var rows = await Store.GetDecisionEvaluationsAsync(decisionId, branch, before, Math.Clamp(max, 1, MaxEvaluationPage), cancellationToken).ConfigureAwait(false);
        return rows.Select(r => new DecisionEvaluationInfo(r.Id, r.DecisionId, r.Version, r.Branch, r.Actor, r.EvaluatedAt, r.Detail)).ToList();
    }

    private Task RecordAsync(DecisionRecord record, string? branch, string actor, DecisionEvaluation result, CancellationToken ct) =>
        _runner.ExecuteAsync(execution =>
        {
            execution.Changes.PartToFill<DecisionChanges>().Evaluations.Add(new DecisionEvaluationRecord(
                RowIds.NewId(execution.Now), record.DecisionId, record.Version, branch, actor, execution.Now, DeployedDecisions.HistoryDetail(record, result)));
            return ValueTask.FromResult(true);
        }, ct, runTokens: false, name: "RecordDecisionEvaluation");

    /// <summary>Approves a decision version as a standard a branch may pin: who, when and why, once per version.</summary>
    /// <exception cref="WorkflowInputException">No actor or reason.</exception>
    /// <exception cref="WorkflowNotFoundException">The version is not deployed.</exception>
    /// <exception cref="WorkflowConflictException">The version was approved already (the message names by whom and when).</exception>
    public Task<DecisionVersionInfo> ApproveAsync(string decisionId, int version, string actor, string reason, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(actor) || string.IsNullOrWhiteSpace(reason))
        {
            throw new WorkflowInputException("an approval needs an actor and a reason");
        }

        return _runner.ExecuteAsync(async execution =>
        {
            var record = await FindAsync(decisionId, version, cancellationToken).ConfigureAwait(false);
            if ((await Store.GetDecisionApprovalsAsync(decisionId, cancellationToken).ConfigureAwait(false)).FirstOrDefault(a => a.Version == version) is { } approved)
            {
                throw new WorkflowConflictException($"decision '{decisionId}' version {version} was approved by {approved.ApprovedBy} at {approved.ApprovedAt:O}");
            }

            var approval = new VersionApprovalRecord(decisionId, version, actor, execution.Now, reason);
            execution.Changes.PartToFill<DecisionChanges>().Approvals.Add(approval);
            return new DecisionVersionInfo(record.Id, record.DecisionId, record.Name, record.Version, record.VersionTag, record.DeploymentId, record.DeployedAt, record.DeployedBy)
            {
                Stage = VersionStage.Approved,
                ApprovedBy = actor,
                ApprovedAt = approval.ApprovedAt,
                ApprovalReason = reason,
            };
        }, cancellationToken, runTokens: false, name: "ApproveDecision");
    }

    /// <summary>Pins the version of a decision a branch uses (null unpins it: the standard again); running instances' next evaluations follow it.</summary>
    /// <returns>The branch as saved.</returns>
    /// <exception cref="WorkflowNotFoundException">The branch does not exist, or the decision version is not deployed.</exception>
    /// <exception cref="WorkflowConflictException">The version is only deployed, not approved (for an unpin: no version is approved, so the latest as deployed would be used).</exception>
    public async Task<Branch> PinAsync(string branchId, string decisionId, int? version, CancellationToken cancellationToken = default)
    {
        if (version is { } v)
        {
            RequireSound(await FindAsync(decisionId, v, cancellationToken).ConfigureAwait(false), branchId);
        }

        return await _branches.UpdateAsync(branchId, b =>
        {
            var pins = new Dictionary<string, int>(b.DecisionPins, StringComparer.Ordinal);
            if (version is { } pinned)
            {
                pins[decisionId] = pinned;
            }
            else
            {
                pins.Remove(decisionId);
            }

            return b with { DecisionPins = pins };
        }, cancellationToken).ConfigureAwait(false);
    }

    private async Task<DecisionRecord> FindAsync(string decisionId, int? version, CancellationToken ct) =>
        (version is { } v
            ? await Store.GetDecisionByVersionAsync(decisionId, v, ct).ConfigureAwait(false)
            : await Store.GetLatestDecisionAsync(decisionId, ct).ConfigureAwait(false))
        ?? throw new WorkflowNotFoundException($"decision '{decisionId}'{(version is null ? "" : $" version {version}")} is not deployed");
}
