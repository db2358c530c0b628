using Workflows.Engine.Feel;
using Workflows.Engine.Model;

namespace Workflows.Engine.Runtime;

/// <summary>
/// Compensation: completed activities that can be undone are recorded in the instance state (with the
/// variables they had); a compensation throw event starts the handlers of the completed activities of its
/// scope (or of one activity), latest completed first, and waits for them (Camunda 8); a cancel end event
/// compensates its transaction before the transaction is left through its cancel boundary event.
/// </summary>
/// <remarks>
/// A record's scope is the key of the live scope the activity completed in, or the key of the record of a
/// completed sub-process it was inside: compensating that sub-process reaches the records inside it. A scope
/// that is terminated takes its records with it: what did not complete is never compensated. Handlers run as
/// children of the throw event, so the throw completes when its last handler has (the token loop settles it
/// like any scope).
/// </remarks>
internal sealed class Compensations(Execution execution)
{
    /// <summary>The element completed: record it when it can be compensated.</summary>
    public static void Completed(LoadedInstance instance, ElementInstance element, FlowNode node)
    {
        var state = instance.State;
        var records = state.Compensations;
        if (records is null && node.CompensationHandler is null && node.EventSubProcesses.Count == 0)
        {
            return; // the usual case: nothing to record, nothing recorded
        }

        if (element.IsMultiInstanceBody)
        {
            // The inner instances' records move up to the scope the activity completed in.
            foreach (var record in records ?? [])
            {
                if (record.ScopeKey == element.Key)
                {
                    record.ScopeKey = element.ParentKey;
                }
            }

            return;
        }

        if (element.CompensatingKey is { } compensated)
        {
            DropWithin(state, compensated); // the event sub-process compensated that sub-process: what it left is done
            return;
        }

        if (node.IsForCompensation)
        {
            DropWithin(state, element.Key);
            return;
        }

        var hasInner = records is not null && HasRecordsIn(records, element.Key);
        if (node.CompensationHandler is null && !hasInner && node.CompensationEventSubProcess is null)
        {
            return;
        }

        (state.Compensations ??= []).Add(new CompensationRecord
        {
            Key = element.Key,
            ElementId = node.Id,
            ScopeKey = element.ParentKey,
            Sequence = state.NextKey++,
            Variables = element.Variables?.Copy(),
        });
    }

    // A loop, not a lambda: a lambda capturing the element would cost every completing element a closure.
    private static bool HasRecordsIn(List<CompensationRecord> records, long scopeKey)
    {
        foreach (var record in records)
        {
            if (record.ScopeKey == scopeKey)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The element was terminated: nothing that completed inside it can be compensated any more.</summary>
    public static void Terminated(LoadedInstance instance, ElementInstance element)
    {
        DropWithin(instance.State, element.Key);
        if (element.CompensatingKey is { } compensated)
        {
            DropWithin(instance.State, compensated);
        }
    }

    /// <summary>
    /// Throws compensation from <paramref name="thrower"/>: starts the handlers of the completed activities of
    /// its scope (or of <paramref name="activityRef"/> only), latest completed first, as children of the thrower.
    /// Returns false when there was nothing to compensate (the thrower goes on at once).
    /// </summary>
    public async ValueTask<bool> ThrowAsync(LoadedInstance instance, ElementInstance thrower, FlowNode node, string? activityRef)
    {
        var state = instance.State;
        var scopeKey = CompensatedScope(instance, thrower);
        var selected = state.Compensations?.Where(r => r.ScopeKey == scopeKey && (activityRef is null || r.ElementId == activityRef)).ToList() ?? [];
        var handlers = new List<(CompensationRecord Record, FlowNode Handler, FeelContext? Variables)>();
        Expand(instance, selected, null, handlers);
        execution.Unit.History(instance, HistoryKind.CompensationThrown, node.Id, thrower.Key, activityRef);
        foreach (var (record, handler, variables) in handlers.OrderByDescending(h => h.Record.Sequence))
        {
            if (!state.Elements.ContainsKey(thrower.Key))
            {
                break; // a handler ended the thrower's scope (an error it threw was caught outside)
            }

            execution.Unit.History(instance, HistoryKind.ActivityCompensated, record.ElementId, record.Key, handler.Id);
            if (!handler.TriggeredByEvent && instance.Definition.Node(record.ElementId).Boundaries.Find(b => b.Event?.Type == EventType.Compensate) is { } boundary)
            {
                // As in Camunda 8, the compensation boundary event is what triggers the handler.
                execution.Unit.History(instance, HistoryKind.BoundaryTriggered, boundary.Id, record.Key);
            }

            await StartHandlerAsync(instance, thrower, record, handler, variables).ConfigureAwait(false);
        }

        return handlers.Count > 0;
    }

    /// <summary>
    /// A cancel end event was reached in its transaction: what else runs in the transaction ends, the completed
    /// activities of the transaction are compensated, and once they are the transaction leaves through its cancel boundary event.
    /// </summary>
    public async ValueTask CancelTransactionAsync(LoadedInstance instance, ElementInstance cancelEnd, FlowNode node)
    {
        var state = instance.State;
        var transaction = state.Elements[cancelEnd.ParentKey];
        transaction.Cancelled = true;
        transaction.Interrupted = true; // no event sub-process starts in a cancelled transaction
        transaction.JoinArrivals = null;
        execution.Unit.History(instance, HistoryKind.TransactionCancelled, transaction.ElementId, transaction.Key, node.Id);
        foreach (var sibling in ElementTree.Children(state, transaction.Key).Where(e => e.Key != cancelEnd.Key))
        {
            await execution.Elements.TerminateAsync(instance, sibling).ConfigureAwait(false);
        }

        if (!await ThrowAsync(instance, cancelEnd, node, activityRef: null).ConfigureAwait(false))
        {
            execution.Tokens.EnqueueComplete(instance, cancelEnd.Key);
        }
    }

    // The scope a throw compensates: its own; inside an event sub-process, the scope holding the event
    // sub-process; inside an event sub-process run to compensate a sub-process, that sub-process.
    private static long CompensatedScope(LoadedInstance instance, ElementInstance thrower)
    {
        if (thrower.ParentKey == InstanceState.RootKey || !instance.State.Elements.TryGetValue(thrower.ParentKey, out var parent))
        {
            return thrower.ParentKey;
        }

        if (parent.CompensatingKey is { } compensated)
        {
            return compensated;
        }

        return instance.Definition.Node(parent.ElementId).TriggeredByEvent ? parent.ParentKey : parent.Key;
    }

    // Each record is compensated by its sub-process's compensation event sub-process (which decides what of
    // the inside to compensate, as in Camunda 7), else by its handler, else through the records of what
    // completed inside it. A record is compensated once. A handler starts with the variables its activity had,
    // over those of the completed sub-processes around it (a multi-instance inner instance's item among them).
    private static void Expand(LoadedInstance instance, List<CompensationRecord> records, FeelContext? around, List<(CompensationRecord, FlowNode, FeelContext?)> handlers)
    {
        var state = instance.State;
        foreach (var record in records)
        {
            var node = instance.Definition.Node(record.ElementId);
            state.Compensations?.Remove(record);
            var variables = Over(around, record.Variables);
            if (node.CompensationEventSubProcess is { } eventSubProcess)
            {
                handlers.Add((record, eventSubProcess, variables)); // the records inside stay for its own compensation throw
            }
            else if (node.CompensationHandler is { } handler)
            {
                DropWithin(state, record.Key);
                handlers.Add((record, handler, variables));
            }
            else
            {
                Expand(instance, state.Compensations?.Where(r => r.ScopeKey == record.Key).ToList() ?? [], variables, handlers);
            }
        }

        if (state.Compensations is { Count: 0 })
        {
            state.Compensations = null;
        }
    }

    private static FeelContext? Over(FeelContext? around, FeelContext? own)
    {
        if (around is null || own is null)
        {
            return own ?? around;
        }

        var merged = around.Copy();
        foreach (var (name, value) in own)
        {
            merged[name] = value;
        }

        return merged;
    }

    private async ValueTask StartHandlerAsync(LoadedInstance instance, ElementInstance thrower, CompensationRecord record, FlowNode handler, FeelContext? variables)
    {
        var element = execution.Elements.NewElement(instance, thrower.Key, handler);
        element.Variables = variables?.Copy();
        if (handler.TriggeredByEvent)
        {
            element.CompensatingKey = record.Key;
            var start = handler.Children.First(c => c.Kind == NodeKind.StartEvent && c.Event?.Type == EventType.Compensate);
            execution.Tokens.EnqueueActivate(instance, element.Key, start);
            return;
        }

        element.IsMultiInstanceBody = handler.MultiInstance is not null;
        await execution.Elements.RunActivationAsync(instance, element, handler, null).ConfigureAwait(false);
    }

    // Removes the records whose scope is scopeKey, and those inside them.
    private static void DropWithin(InstanceState state, long scopeKey)
    {
        if (state.Compensations is null)
        {
            return;
        }

        var scopes = new Queue<long>([scopeKey]);
        while (scopes.TryDequeue(out var key))
        {
            foreach (var record in state.Compensations.Where(r => r.ScopeKey == key).ToList())
            {
                state.Compensations.Remove(record);
                scopes.Enqueue(record.Key);
            }
        }

        if (state.Compensations.Count == 0)
        {
            state.Compensations = null;
        }
    }
}
