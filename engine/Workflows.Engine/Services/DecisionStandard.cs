using Workflows.Engine.Storage;

namespace Workflows.Engine.Services;

/// <summary>
/// A decision's standard: the version a branch without a pin evaluates, and an evaluation for no branch (a central
/// team's, an analyst's). Approval alone does not move it; a rollout does.
/// </summary>
/// <remarks>
/// <para>
/// Why not the latest approved version (review18 F12): approving a version then put it live at once in every branch
/// without a pin, before any rollout reached them, and a rollback that unpinned a branch sent it back to that very
/// version. Now the first version ever approved becomes the standard (before it, none is approved and the latest is
/// evaluated), and from then on only a completed rollout moves it: the standard is the version of the rollout completed
/// last. A rollout rolled back no longer counts, so a rollback also returns the standard to what it was.
/// </para>
/// <para>
/// While a rollout is under way the standard stays where it was: the waves pin their branches one by one, a rollback
/// unpins the branches that had no pin, and they are back on the version they ran. When the last wave is pinned, the
/// branches the rollout did not name follow the new standard too.
/// </para>
/// </remarks>
internal static class DecisionStandard
{
    /// <summary>The rollouts read to find the last completed one: one decision has far fewer.</summary>
    public const int MaxRolloutsRead = 500;

    /// <summary>The standard version of <paramref name="decisionId"/>; null while no version is approved (the latest is then evaluated).</summary>
    public static async ValueTask<int?> OfAsync(IWorkflowStore store, string decisionId, CancellationToken ct)
    {
        var approvals = await store.GetDecisionApprovalsAsync(decisionId, ct).ConfigureAwait(false);
        if (approvals.Count == 0)
        {
            return null; // no rollout without an approved version: nothing more to read
        }

        var rows = await store.GetRolloutsAsync(WorkflowRollouts.Key(RolloutSubject.Decision, decisionId), MaxRolloutsRead, ct).ConfigureAwait(false);
        return Of(approvals, rows.Select(r => WorkflowRollouts.Read(r.Json, r.Revision)));
    }

    /// <summary>The standard from the rows a business rule task reads (<see cref="IDecisionStore.GetDecisionChoiceRowsAsync"/>), as <see cref="OfAsync"/> finds it.</summary>
    public static int? Of(DecisionChoiceRows rows) =>
        rows.Approvals.Count == 0 ? null : Of(rows.Approvals, rows.Rollouts.Select(r => WorkflowRollouts.Read(r.Json, r.Revision)));

    /// <summary>The standard from a decision's approvals and rollouts, as <see cref="OfAsync"/> reads them.</summary>
    public static int? Of(IEnumerable<VersionApprovalRecord> approvals, IEnumerable<Rollout> rollouts)
    {
        var completed = rollouts.Where(r => r.Subject == RolloutSubject.Decision && r.Status == RolloutStatus.Completed)
            .MaxBy(r => r.Waves.Max(w => w.PinnedAt));
        return completed?.Version
            ?? approvals.OrderBy(a => a.ApprovedAt).ThenBy(a => a.Version).Select(a => (int?)a.Version).FirstOrDefault();
    }
}
