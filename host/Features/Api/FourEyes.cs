using Workflows.Engine;

namespace Workflows.Host.Features.Api;

/// <summary>
/// Four eyes, the API's rule on approvals: the analyst who deployed a journey or decision version is not the one who
/// makes it a standard every branch may run. The host's and not the engine's, since the journey library approves the
/// versions it ships itself (at start, as <c>journey-library</c>); the approval gate that follows is the engine's.
/// </summary>
internal static class FourEyes
{
    /// <summary>Refuses <paramref name="actor"/>'s approval of a journey version it deployed (an approved one is the engine's 409).</summary>
    public static async Task RequireForJourneyAsync(WorkflowEngine engine, string processId, int version, string actor, CancellationToken ct)
    {
        var lifecycle = await engine.Rollouts.GetLifecycleAsync(processId, ct);
        Require(lifecycle.FirstOrDefault(l => l.Version == version) is { ApprovedBy: null } l ? l.DeployedBy : null, $"'{processId}'", version, actor);
    }

    /// <summary>The same for a decision version.</summary>
    public static async Task RequireForDecisionAsync(WorkflowEngine engine, string decisionId, int version, string actor, CancellationToken ct)
    {
        var versions = await engine.Decisions.GetVersionsAsync(decisionId, ct);
        Require(versions.FirstOrDefault(d => d.Version == version) is { ApprovedBy: null } d ? d.DeployedBy : null, $"decision '{decisionId}'", version, actor);
    }

    private static void Require(string? deployedBy, string named, int version, string actor)
    {
        if (deployedBy is not null && string.Equals(deployedBy, actor, StringComparison.Ordinal))
        {
            throw new WorkflowConflictException($"{actor} deployed version {version} of {named} and may not approve it too (four-eyes rule): another analyst approves it");
        }
    }
}
