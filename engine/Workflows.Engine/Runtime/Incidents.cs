using Workflows.Engine.Storage;

namespace Workflows.Engine.Runtime;

/// <summary>Incidents: a step that failed stops its element, which waits for a retry with the state as before the step.</summary>
internal sealed class Incidents(Execution execution)
{
    private DateTimeOffset Now => execution.Unit.Now;

    public void Raise(LoadedInstance instance, ElementInstance element, IncidentPhase phase, string message)
    {
        if (element.IncidentId is not null)
        {
            return;
        }

        message = StorableText.Diagnostic(message)!;
        var incident = new IncidentRecord(RowIds.NewId(Now), instance.Id, element.Key, element.ElementId, message, Now, null);
        element.IncidentId = incident.Id;
        element.IncidentPhase = phase;
        execution.Unit.Changes.IncidentsCreated.Add(incident);
        execution.Unit.History(instance, HistoryKind.IncidentRaised, element.ElementId, element.Key, message);
        execution.Engine.Log.IncidentRaised(instance.Id, instance.State.BusinessKey, element.ElementId, message);
    }

    public void RaiseJobIncident(LoadedInstance instance, ElementInstance element, string message) =>
        Raise(instance, element, IncidentPhase.Activate, message);

    public void Clear(LoadedInstance instance, ElementInstance element)
    {
        if (element.IncidentId is { } id)
        {
            execution.Unit.Changes.IncidentsResolved.Add((id, Now));
            execution.Unit.History(instance, HistoryKind.IncidentResolved, element.ElementId, element.Key);
            element.IncidentId = null;
            element.IncidentPhase = IncidentPhase.None;
        }
    }

    /// <summary>Retries the step an incident stopped: the activation or the completion of its element.</summary>
    public async ValueTask RetryAsync(LoadedInstance instance, ElementInstance element)
    {
        var node = instance.Definition.Node(element.ElementId);
        var phase = element.IncidentPhase;
        Clear(instance, element);
        if (phase == IncidentPhase.Condition)
        {
            execution.Conditions.Reevaluate(instance, element);
            return;
        }

        if (phase == IncidentPhase.CompletionCondition)
        {
            await execution.MultiInstances.RetryCompletionAsync(instance, element, node).ConfigureAwait(false);
            return;
        }

        if (phase == IncidentPhase.Complete)
        {
            if (node.Kind == Model.NodeKind.AdHocSubProcess && !element.IsMultiInstanceBody)
            {
                execution.Tokens.CheckScope(instance, element.Key); // its completion condition decides again
            }
            else
            {
                execution.Tokens.EnqueueComplete(instance, element.Key);
            }

            return;
        }

        if (element.Key == InstanceState.RootKey)
        {
            // The process scope could not open its event sub-processes' waits when a message, timer or signal started it.
            await Behaviours.Containers.ProcessBehaviour.RetryStartAsync(execution, instance, element).ConfigureAwait(false);
            return;
        }

        execution.Waits.CloseWaits(element);
        if (element.JobId is { } job)
        {
            execution.Unit.Changes.JobsClosed.Add(job);
            element.JobId = null;
        }

        await execution.Elements.RunActivationAsync(instance, element, node, null).ConfigureAwait(false);
    }
}
