using Workflows.Engine;

namespace Workflows.Host.Features.Api;

/// <summary>
/// The approval gate on what a branch runs: a pin, an unpin (the branch then runs the latest) and a migration's target
/// each make a branch run a version, so each needs a version an analyst approved (or a rollout rolled out). A version
/// that is only deployed is refused with 409 naming it and its stage (docs/branches.md, "The version lifecycle").
/// </summary>
internal static class StandardVersions
{
    /// <summary>Refuses <paramref name="version"/> of <paramref name="processId"/> unless it is approved or rolled out.</summary>
    /// <param name="engine">The engine.</param>
    /// <param name="processId">The journey.</param>
    /// <param name="version">The version a branch would run; null for the latest (an unpin).</param>
    /// <param name="what">What the caller asked, in words ("pin", "migrate to").</param>
    /// <param name="ct">Stops the read.</param>
    public static async Task RequireAsync(WorkflowEngine engine, string processId, int? version, string what, CancellationToken ct)
    {
        IReadOnlyList<VersionLifecycle> lifecycle;
        try
        {
            lifecycle = await engine.Rollouts.GetLifecycleAsync(processId, ct);
        }
        catch (WorkflowNotFoundException)
        {
            return; // the engine's own check names the journey that is not deployed
        }

        // Without a pin a branch runs the standard (the latest approved version), so an unpin is refused only while
        // no version was ever approved and the branch would run the latest as deployed.
        var asked = version is { } v ? lifecycle.FirstOrDefault(l => l.Version == v)
            : lifecycle.Any(l => l.Stage != VersionStage.Deployed) ? null : lifecycle.Count > 0 ? lifecycle[0] : null;
        if (asked is null || asked.Stage != VersionStage.Deployed)
        {
            return; // an unknown version is the engine's 404
        }

        var runs = version is null ? $"; no version is approved, so without a pin the branch would run the latest, version {asked.Version}" : "";
        throw new WorkflowConflictException(
            $"cannot {what} version {asked.Version} of '{processId}': it is deployed (by {asked.DeployedBy ?? "unknown"}), not approved{runs}. " +
            "A branch runs only an approved or rolled-out version: an analyst approves it first (POST /api/definitions/{journey}/versions/{version}/approval)");
    }
}
