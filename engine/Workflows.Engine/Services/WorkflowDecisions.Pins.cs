using Workflows.Engine.Decisions;
using Workflows.Engine.Storage;
using Workflows.Engine.Validation;

namespace Workflows.Engine.Services;

// Pins checked again after they were set: a pin is checked when it is saved, but what it names can change under it —
// the store restored without that decision, a version approved under an older gate, a stored model that today's
// stricter checks or smaller limits refuse. Such a pin fails every evaluation of the branch; this says so up front.
public sealed partial class WorkflowDecisions
{
    /// <summary>
    /// Checks every decision pin (of one branch when given) against what is stored now: the decision and the version it
    /// names are deployed, the version is approved, and its model passes today's checks.
    /// </summary>
    /// <returns>The pins that do not hold, by branch and decision; empty when all do.</returns>
    /// <exception cref="WorkflowNotFoundException">The branch given does not exist.</exception>
    public async Task<IReadOnlyList<DecisionPinProblem>> CheckPinsAsync(string? branchId = null, CancellationToken cancellationToken = default)
    {
        var branches = branchId is null
            ? await _branches.GetAllAsync(cancellationToken).ConfigureAwait(false)
            : [await _branches.GetAsync(branchId, cancellationToken).ConfigureAwait(false)];
        var problems = new List<DecisionPinProblem>();
        foreach (var branch in branches)
        {
            foreach (var (decisionId, version) in branch.DecisionPins.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                if (await ProblemOfAsync(branch.Id, decisionId, version, cancellationToken).ConfigureAwait(false) is { } problem)
                {
                    problems.Add(new DecisionPinProblem(branch.Id, decisionId, version, problem));
                }
            }
        }

        return problems;
    }

    private async ValueTask<string?> ProblemOfAsync(string branchId, string decisionId, int version, CancellationToken ct)
    {
        var pinned = $"branch '{branchId}' pins decision '{decisionId}' version {version}";
        if (await Store.GetDecisionByVersionAsync(decisionId, version, ct).ConfigureAwait(false) is not { } record)
        {
            return await Store.GetLatestDecisionAsync(decisionId, ct).ConfigureAwait(false) is { } latest
                ? $"{pinned}, which is not deployed (the latest is version {latest.Version}): its evaluations fail until the pin is moved or removed"
                : $"{pinned}, but no version of decision '{decisionId}' is deployed: its evaluations fail until the pin is removed";
        }

        if (Unsound(record) is { } unsound)
        {
            return $"{pinned}, {unsound}: its evaluations fail until the pin is moved to a version that passes";
        }

        var approvals = await Store.GetDecisionApprovalsAsync(decisionId, ct).ConfigureAwait(false);
        return approvals.Any(a => a.Version == version)
            ? null
            : $"{pinned}, which is not approved (deployed by {record.DeployedBy ?? "unknown"}): a branch runs only an approved version";
    }

    // Why a stored version's model no longer passes the checks a deployment makes today; null when it does.
    private string? Unsound(DecisionRecord record)
    {
        var read = DecisionModel.Read(record.Xml, _runner.Options.Parser);
        var errors = read.Report.Findings.Where(f => f.Severity == FindingSeverity.Error).ToList();
        if (read.Model is not null && errors.Count == 0)
        {
            return null;
        }

        var first = string.Join("; ", errors.Take(3).Select(f => $"{f.Code} {f.Message}"));
        return $"whose stored model no longer passes today's checks ({first}{(errors.Count > 3 ? $"; and {errors.Count - 3} more" : "")})";
    }

    // A pin is set only on a version that passes today's checks: one that does not would fail every evaluation.
    private void RequireSound(DecisionRecord record, string branchId)
    {
        if (Unsound(record) is { } unsound)
        {
            throw new WorkflowConflictException($"cannot pin version {record.Version} of decision '{record.DecisionId}' for branch '{branchId}': it is a version {unsound}");
        }
    }

    // The model of a stored version; one that no longer reads is the version's problem (409 naming it), not a failure of the server.
    private DecisionModel LoadOrRefuse(DecisionRecord record)
    {
        try
        {
            return DeployedDecisions.Load(record, _runner.Options.Parser);
        }
        catch (InvalidDataException e)
        {
            throw new WorkflowConflictException($"{e.Message}: it cannot be read; deploy a version that reads and pin it, or use another version");
        }
    }
}
