using Workflows.Engine.Storage;

namespace Workflows.Engine.Services;

/// <summary>
/// The approval gate, one check for journeys and decisions alike: every path that makes a branch run a version — a pin,
/// an unpin that would fall back to an unapproved latest, a migration's target, a rollout — needs a version an analyst
/// approved. A version only deployed is refused with one message naming it, its stage and who deployed it, whoever
/// calls (the host's API or a program using the engine library alone).
/// </summary>
/// <remarks>
/// A rollback and the re-pin it makes are not gated: they go back to what a branch ran before, which already reached it.
/// </remarks>
internal static class ApprovalGate
{
    /// <summary>What a version belongs to, in the message's words.</summary>
    internal enum Subject
    {
        Journey,
        Decision,
    }

    /// <summary>Refuses <paramref name="version"/> of a journey unless it is approved (or rolled out, which needs an approval).</summary>
    /// <param name="store">The store to read the versions and approvals from.</param>
    /// <param name="processId">The journey.</param>
    /// <param name="version">The version a branch would run; null for an unpin (the branch then runs the standard).</param>
    /// <param name="what">What the caller asked, in words: "pin", "unpin and run", "migrate to", "roll out".</param>
    /// <param name="ct">Stops the reads.</param>
    /// <exception cref="WorkflowConflictException">The version is only deployed.</exception>
    public static async ValueTask RequireJourneyAsync(IWorkflowStore store, string processId, int? version, string what, CancellationToken ct)
    {
        var approvals = await store.GetApprovalsAsync(processId, ct).ConfigureAwait(false);
        if (version is { } v)
        {
            if (approvals.Any(a => a.Version == v) || await store.GetDefinitionByVersionAsync(processId, v, ct).ConfigureAwait(false) is not { } asked)
            {
                return; // an unknown version is the caller's own "not deployed"
            }

            throw Refused(Subject.Journey, processId, asked.Version, asked.DeployedBy, what, unpin: false);
        }

        // Without a pin a branch runs the standard (the latest approved version): an unpin is refused only while no
        // version was ever approved, when the branch would run the latest as deployed.
        if (approvals.Count == 0 && await store.GetLatestDefinitionAsync(processId, ct).ConfigureAwait(false) is { } latest)
        {
            throw Refused(Subject.Journey, processId, latest.Version, latest.DeployedBy, what, unpin: true);
        }
    }

    /// <summary>Refuses <paramref name="version"/> of a decision unless it is approved; null for an unpin, as for journeys.</summary>
    /// <exception cref="WorkflowConflictException">The version is only deployed.</exception>
    public static async ValueTask RequireDecisionAsync(IWorkflowStore store, string decisionId, int? version, string what, CancellationToken ct)
    {
        var approvals = await store.GetDecisionApprovalsAsync(decisionId, ct).ConfigureAwait(false);
        if (version is { } v)
        {
            if (approvals.Any(a => a.Version == v) || await store.GetDecisionByVersionAsync(decisionId, v, ct).ConfigureAwait(false) is not { } asked)
            {
                return;
            }

            throw Refused(Subject.Decision, decisionId, asked.Version, asked.DeployedBy, what, unpin: false);
        }

        if (approvals.Count == 0 && await store.GetLatestDecisionAsync(decisionId, ct).ConfigureAwait(false) is { } latest)
        {
            throw Refused(Subject.Decision, decisionId, latest.Version, latest.DeployedBy, what, unpin: true);
        }
    }

    /// <summary>
    /// Gates every pin <paramref name="changed"/> sets or removes against <paramref name="before"/> (null for a new
    /// branch): a pin added or moved is a "pin", a pin removed an "unpin"; pins left as they were pass.
    /// </summary>
    public static async ValueTask RequireChangedPinsAsync(IWorkflowStore store, Branch? before, Branch changed, CancellationToken ct)
    {
        var journeys = before?.Pins ?? new Dictionary<string, int>();
        foreach (var (processId, version) in changed.Pins.Where(p => !journeys.TryGetValue(p.Key, out var was) || was != p.Value))
        {
            await RequireJourneyAsync(store, processId, version, "pin", ct).ConfigureAwait(false);
        }

        foreach (var processId in journeys.Keys.Where(k => !changed.Pins.ContainsKey(k)))
        {
            await RequireJourneyAsync(store, processId, null, "unpin and run", ct).ConfigureAwait(false);
        }

        var decisions = before?.DecisionPins ?? new Dictionary<string, int>();
        foreach (var (decisionId, version) in changed.DecisionPins.Where(p => !decisions.TryGetValue(p.Key, out var was) || was != p.Value))
        {
            await RequireDecisionAsync(store, decisionId, version, "pin", ct).ConfigureAwait(false);
        }

        foreach (var decisionId in decisions.Keys.Where(k => !changed.DecisionPins.ContainsKey(k)))
        {
            await RequireDecisionAsync(store, decisionId, null, "unpin and use", ct).ConfigureAwait(false);
        }
    }

    private static WorkflowConflictException Refused(Subject subject, string id, int version, string? deployedBy, string what, bool unpin)
    {
        var named = subject == Subject.Decision ? $"decision '{id}'" : $"'{id}'";
        var runs = !unpin ? "" : subject == Subject.Decision
            ? "; no version is approved, so without a pin the branch would have no version to run (its business rule tasks would stop on an incident)"
            : $"; no version is approved, so without a pin the branch would run the latest, version {version}";
        return new WorkflowConflictException(
            $"cannot {what} version {version} of {named}: it is deployed (by {deployedBy ?? "unknown"}), not approved{runs}. " +
            $"A branch runs only an approved {(subject == Subject.Decision ? "decision " : "")}version: another analyst than the one who deployed it approves it first");
    }
}
