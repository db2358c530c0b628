using Workflows.Engine;

namespace Workflows.Host.Features.Api;

/// <summary>
/// The approval gate and the four-eyes rule for decisions, as <see cref="StandardVersions"/> and the process approval
/// keep them for journeys: a branch evaluates only a decision version an analyst approved, and the analyst who
/// deployed a version is not the one who approves it.
/// </summary>
internal static class StandardDecisions
{
    /// <summary>Refuses to pin (or, for an unpin, to fall back to the latest) a decision version that is only deployed.</summary>
    public static async Task RequireApprovedAsync(WorkflowEngine engine, string decisionId, int? version, CancellationToken ct)
    {
        var versions = await engine.Decisions.GetVersionsAsync(decisionId, ct);
        var asked = version is { } v ? versions.FirstOrDefault(d => d.Version == v)
            : versions.Any(d => d.Stage != VersionStage.Deployed) ? null : versions.MaxBy(d => d.Version);
        if (asked is null || asked.Stage != VersionStage.Deployed)
        {
            return; // an unknown version is the engine's 404
        }

        var what = version is null ? "unpin" : "pin";
        var runs = version is null ? $"; no version is approved, so without a pin the branch would use the latest, version {asked.Version}" : "";
        throw new WorkflowConflictException(
            $"cannot {what} version {asked.Version} of decision '{decisionId}': it is deployed (by {asked.DeployedBy ?? "unknown"}), not approved{runs}. " +
            "A branch uses only an approved decision version: an analyst approves it first (POST /api/decisions/{decisionId}/versions/{version}/approval)");
    }

    /// <summary>Refuses an approval by the analyst who deployed the version.</summary>
    public static async Task RequireFourEyesAsync(WorkflowEngine engine, string decisionId, int version, string actor, CancellationToken ct)
    {
        var versions = await engine.Decisions.GetVersionsAsync(decisionId, ct);
        if (versions.FirstOrDefault(d => d.Version == version) is { ApprovedBy: null, DeployedBy: { } deployer } && string.Equals(deployer, actor, StringComparison.Ordinal))
        {
            throw new WorkflowConflictException(
                $"{actor} deployed version {version} of decision '{decisionId}' and may not approve it too (four-eyes rule): another analyst approves it");
        }
    }
}
