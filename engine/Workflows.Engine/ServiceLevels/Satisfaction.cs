using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine.ServiceLevels;

/// <summary>
/// Customer satisfaction at milestones: an element with a satisfaction score records it as it
/// completes. Plugs into the core as an element lifecycle listener.
/// </summary>
internal sealed class Satisfaction(Execution execution) : IElementLifecycleListener
{
    private DateTimeOffset Now => execution.Unit.Now;

    private ChangeSet Changes => execution.Unit.Changes;

    public void OnActivating(LoadedInstance instance, ElementInstance element, FlowNode node)
    {
    }

    public async ValueTask OnCompletingAsync(LoadedInstance instance, ElementInstance element, FlowNode node)
    {
        if (node.SatisfactionScore is not null)
        {
            await RecordAsync(instance, element, node).ConfigureAwait(false);
        }
    }

    public void OnLeaving(LoadedInstance instance, ElementInstance element, bool completed)
    {
    }

    public void OnCommitting(LoadedInstanceSet instances)
    {
    }

    /// <summary>A milestone's score: a variable and a history row; below the policy's threshold, the open tasks rise and a recovery task opens.</summary>
    private async ValueTask RecordAsync(LoadedInstance instance, ElementInstance element, FlowNode node)
    {
        var value = execution.Expressions.Evaluate(node.SatisfactionScore!, new ElementScope(instance.State, element), node, "the satisfaction score", nullAllowed: true);
        if (value is null)
        {
            return; // no score at this milestone (the customer did not answer)
        }

        if (value is not decimal score)
        {
            throw new StepFailedException($"the satisfaction score of {node} gave {FeelValue.ToDisplayString(value)}, not a number");
        }

        var policy = instance.Definition.Process.Satisfaction;
        VariableScopes.SetProcessVariable(instance, policy?.Variable ?? "satisfaction", score);
        execution.Unit.History(instance, ServiceLevelHistory.SatisfactionRecorded, node.Id, element.Key, FeelValue.FormatNumber(score));
        if (policy is null || score >= policy.Threshold)
        {
            return;
        }

        foreach (var task in await execution.Unit.OpenTasksUnderAsync(instance, InstanceState.RootKey).ConfigureAwait(false))
        {
            if (task.Priority < policy.Priority)
            {
                Changes.UpdateTask(task with { Priority = policy.Priority }, task);
            }
        }

        var recovery = new UserTaskRecord(
            RowIds.NewId(Now), instance.Id, 0, "satisfaction-recovery", $"Recover the customer (satisfaction {FeelValue.FormatNumber(score)} at {node.Name ?? node.Id})",
            instance.State.ProcessId, instance.State.BusinessKey, null, [policy.Queue], [], policy.Priority, null, null, null, Now)
        {
            CustomerId = execution.Expressions.Party(instance, element, instance.Definition.Process.CustomerId),
            Branch = execution.Expressions.Party(instance, element, instance.Definition.Process.Branch),
            Journey = instance.Definition.Process.Name ?? instance.State.ProcessId,
        };
        Changes.TasksCreated.Add(recovery);
        execution.Unit.History(instance, ServiceLevelHistory.RecoveryTaskCreated, node.Id, element.Key, $"{recovery.Id} in {policy.Queue}: satisfaction {FeelValue.FormatNumber(score)} below {FeelValue.FormatNumber(policy.Threshold)}");
    }
}
