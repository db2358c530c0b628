using Workflows.Engine.Model;
using Workflows.Engine.Modules;
using Workflows.Engine.Validation;

namespace Workflows.Engine.ServiceLevels;

/// <summary>The module's checks at deploy: commitments decompose along every path, and pauses name a reason of the catalogue.</summary>
internal sealed class ServiceLevelChecks : IModelCheck
{
    public static ServiceLevelChecks Instance { get; } = new();

    public void Check(ProcessModel process, WorkflowEngineOptions options, List<ValidationFinding> findings)
    {
        CommitmentCheck.Run(process, options.DefaultCalendar, findings);
        foreach (var node in process.Nodes.Values)
        {
            if (node.PauseReason is { } reason && !options.PauseReasons.Contains(reason))
            {
                findings.Add(new ValidationFinding(FindingSeverity.Error, "PAUSE_REASON_UNKNOWN", node.Id, node.Position.Line, node.Position.Column,
                    $"the pause reason '{reason}' is not in the catalogue ({string.Join(", ", options.PauseReasons.Order(StringComparer.Ordinal))})"));
            }
        }
    }
}
