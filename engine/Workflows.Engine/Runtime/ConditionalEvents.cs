using Workflows.Engine.Feel;
using Workflows.Engine.Model;

namespace Workflows.Engine.Runtime;

/// <summary>
/// Conditional events (intermediate catches, boundary events, event sub-process starts), as Camunda 8.9 runs them:
/// a condition is evaluated when its event becomes active, and again whenever a variable changes in a scope it can
/// see (only the variables its <c>zeebe:conditionalFilter variableNames</c> lists, when it has one). Its wait is a <see cref="WaitKind.Condition"/> reference in the instance state, so it lives
/// across commands and through the stores like any other wait; it has no row, as nothing outside the instance can
/// trigger it.
/// </summary>
/// <remarks>
/// The token loop asks for an evaluation between two steps (<see cref="TokenLoop"/>): the variables a step set
/// (a task's answers, a message's variables, output mappings, a script's result, the set-variables command) are
/// evaluated together, once per waiting event however many of them changed, from the outermost scope inward, so an
/// interrupting event ends the events inside it before they are looked at. A condition that is null (a variable not
/// set yet) is false; one that fails, or gives something other than a boolean, is an incident on the element that
/// owns the wait, and a retry evaluates it again. A non-interrupting event fires on every change that evaluates it
/// and after which its condition is true, as in Camunda 8 and Camunda 7.
/// </remarks>
internal sealed class ConditionalEvents(Execution execution)
{
    // Waits opened in this command, evaluated at the next step boundary whatever changed.
    private List<(LoadedInstance Instance, long OwnerKey, Guid WaitId)>? _opened;

    /// <summary>Opens the wait of a conditional catch owned by <paramref name="owner"/>; its condition is evaluated before the next step.</summary>
    public void Open(LoadedInstance instance, ElementInstance owner, FlowNode catchNode)
    {
        if (catchNode.Event?.Condition is null)
        {
            throw new StepFailedException($"{catchNode} has no condition");
        }

        var id = RowIds.NewId(execution.Unit.Now);
        owner.AddWait(WaitKind.Condition, id, catchNode.Id);
        (_opened ??= []).Add((instance, owner.Key, id));
    }

    /// <summary>Evaluates the conditional waits of <paramref name="element"/> again (after their incident was resolved).</summary>
    public void Reevaluate(LoadedInstance instance, ElementInstance element)
    {
        foreach (var wait in element.Waits ?? [])
        {
            if (wait.Kind == WaitKind.Condition)
            {
                (_opened ??= []).Add((instance, element.Key, wait.Id));
            }
        }
    }

    /// <summary>Whether a wait opened since the last evaluation.</summary>
    public bool HasOpened => _opened is { Count: > 0 };

    /// <summary>Whether a variable of any instance the command loaded changed since the last evaluation.</summary>
    public static bool AnyVariableChanged(UnitOfWork unit)
    {
        foreach (var instance in unit.Instances)
        {
            if (instance.VariableChanges is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Evaluates the waits opened and those a variable change concerns; each true condition triggers its wait.</summary>
    public async ValueTask EvaluateAsync()
    {
        var candidates = new List<(LoadedInstance Instance, ElementInstance Owner, WaitRef Wait)>();
        foreach (var (instance, ownerKey, waitId) in _opened ?? [])
        {
            if (instance.State.Elements.TryGetValue(ownerKey, out var owner) && owner.Waits?.Find(w => w.Id == waitId) is { Kind: WaitKind.Condition } wait)
            {
                candidates.Add((instance, owner, wait));
            }
        }

        _opened?.Clear();
        foreach (var instance in execution.Unit.Instances)
        {
            if (instance.VariableChanges is { } changes)
            {
                instance.VariableChanges = null;
                Concerned(instance, changes, candidates);
            }
        }

        if (candidates.Count == 0)
        {
            return;
        }

        // Outermost first: a boundary of a sub-process before the events inside it (Camunda 8's top-down order).
        var ordered = candidates
            .DistinctBy(c => (c.Instance.Id, c.Owner.Key, c.Wait.Id))
            .OrderBy(c => Depth(c.Instance.State, c.Owner))
            .ThenBy(c => c.Owner.Key)
            .ToList();
        foreach (var (instance, owner, wait) in ordered)
        {
            // An event fired earlier in this pass may have ended the owner, or closed this wait.
            if (instance.State.Status != ProcessInstanceStatus.Active || !instance.State.Elements.ContainsKey(owner.Key)
                || owner.IncidentId is not null || owner.Waits?.Contains(wait) != true)
            {
                continue;
            }

            var catchNode = instance.Definition.Node(wait.ElementId);
            bool met;
            try
            {
                met = IsMet(instance, owner, catchNode);
            }
            catch (StepFailedException e)
            {
                execution.Incidents.Raise(instance, owner, IncidentPhase.Condition, e.Message);
                continue;
            }

            if (met)
            {
                execution.Unit.History(instance, HistoryKind.ConditionMet, catchNode.Id, owner.Key, catchNode.Event!.Condition!.Condition.Text.Trim());
                await execution.Waits.TriggerWaitAsync(instance, owner, wait, null).ConfigureAwait(false);
            }
        }
    }

    // The conditional waits of the instance that one of the changes concerns.
    private static void Concerned(LoadedInstance instance, List<VariableChange> changes, List<(LoadedInstance, ElementInstance, WaitRef)> candidates)
    {
        var state = instance.State;
        foreach (var owner in state.Elements.Values)
        {
            if (owner.Waits is null)
            {
                continue;
            }

            foreach (var wait in owner.Waits)
            {
                if (wait.Kind == WaitKind.Condition
                    && instance.Definition.Node(wait.ElementId).Event?.Condition is { } condition
                    && changes.Exists(change => Concerns(state, owner, condition, change)))
                {
                    candidates.Add((instance, owner, wait));
                }
            }
        }
    }

    // A change concerns a condition when it is of an event type the condition listens to, of a name its filter lists
    // (any name without a filter), in the owner's scope or one enclosing it, and not hidden from the owner by a nearer
    // variable of that name.
    private static bool Concerns(InstanceState state, ElementInstance owner, ConditionDefinition condition, VariableChange change)
    {
        if (!condition.Events.HasFlag(change.Created ? VariableEvents.Create : VariableEvents.Update)
            || condition.VariableNames?.Contains(change.Name) == false)
        {
            return false;
        }

        var current = owner;
        while (current.Key != change.ScopeKey)
        {
            if (current.Variables?.ContainsKey(change.Name) == true || !state.Elements.TryGetValue(current.ParentKey, out var parent))
            {
                return false;
            }

            current = parent;
        }

        return true;
    }

    // The condition is read in the owner's scope: an activity's own variables (its input mappings) for a boundary event,
    // the scope's for an event sub-process start, the catch event's for an intermediate catch.
    private bool IsMet(LoadedInstance instance, ElementInstance owner, FlowNode catchNode)
    {
        var condition = catchNode.Event!.Condition!.Condition;
        var value = execution.Expressions.Evaluate(condition, new ElementScope(instance.State, owner), catchNode, "the condition", nullAllowed: true);
        return value switch
        {
            true => true,
            false or null => false,
            _ => throw new StepFailedException($"the condition of {catchNode} ({condition.Text.Trim()}) gave the {FeelValue.TypeName(value)} {FeelConvert.ToJson(value)}, not true or false"),
        };
    }

    private static int Depth(InstanceState state, ElementInstance element)
    {
        var depth = 0;
        while (element.ParentKey != 0 && state.Elements.TryGetValue(element.ParentKey, out var parent))
        {
            element = parent;
            depth++;
        }

        return depth;
    }
}
