using Workflows.Engine.Model;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Runtime;

/// <summary>
/// Process instance migration as Camunda 8 runs it: every active element instance is mapped to an element of the target
/// version (its own id unless the plan maps it) and checked before anything changes; all reasons are given at once.
/// Applied, the element instances keep their keys, and the rows they own (tasks, jobs, timers, subscriptions, clocks)
/// keep their ids and due times and are re-pointed at the target elements; waits the target adds are opened.
/// </summary>
internal sealed class Migrations(Execution execution)
{
    /// <summary>Checks <paramref name="state"/> against the plan; reads only, so a dry run uses it on an instance it loaded.</summary>
    public static MigrationCheck Check(InstanceState state, ProcessDefinition source, ProcessDefinition target, Dictionary<string, string> map)
    {
        var check = new MigrationCheck { Mapping = map };
        var v = target.Record.Version;
        string Map(string id) => map.TryGetValue(id, out var mapped) ? mapped : id;
        FlowNode? InTarget(string id) => id == target.Process.Id ? target.Process.Root : target.Process.Nodes.GetValueOrDefault(id);

        foreach (var element in state.Elements.Values.OrderBy(e => e.Key))
        {
            var from = source.Node(element.ElementId);
            var to = InTarget(Map(element.ElementId));
            if (to is null)
            {
                check.Reasons.Add(map.ContainsKey(element.ElementId)
                    ? $"'{element.ElementId}' is active and is mapped to '{Map(element.ElementId)}', which version {v} does not have"
                    : $"'{element.ElementId}' is active and version {v} has no element '{element.ElementId}': map it to one");
                continue;
            }

            var before = check.Reasons.Count;
            CheckElement(state, element, from, to, v, Map, check);
            if (element.Key != InstanceState.RootKey && check.Reasons.Count == before)
            {
                check.Moves.Add(to.Id == element.ElementId ? $"{element.ElementId} (same id)" : $"{element.ElementId} → {to.Id}");
            }

            check.Elements.Add((element, to));
            CheckWaits(element, from, to, v, Map, InTarget, check);
        }

        foreach (var record in state.Compensations ?? [])
        {
            if (InTarget(Map(record.ElementId)) is null)
            {
                check.Reasons.Add($"'{record.ElementId}' completed and can still be compensated, and version {v} has no element '{Map(record.ElementId)}': map it to one");
            }
        }

        return check;
    }

    private static void CheckElement(InstanceState state, ElementInstance element, FlowNode from, FlowNode to, int v, Func<string, string> map, MigrationCheck check)
    {
        if (from.Kind != to.Kind)
        {
            check.Reasons.Add($"'{from.Id}' is a {from.ElementName} and '{to.Id}' in version {v} is a {to.ElementName}: an active element keeps its type");
        }
        else if (from.Event?.Type != to.Event?.Type)
        {
            check.Reasons.Add($"'{from.Id}' waits for a {Describe(from.Event?.Type)} and '{to.Id}' in version {v} for a {Describe(to.Event?.Type)}");
        }

        if (from.IsLoop != to.IsLoop || from.MultiInstance?.IsSequential != to.MultiInstance?.IsSequential)
        {
            check.Reasons.Add($"'{from.Id}' and '{to.Id}' in version {v} differ in their loop (multi-instance or standard loop): an active element keeps it");
        }

        // An inner instance's parent is its body, of the same element; the body's scope is checked for both.
        if (element.Key != InstanceState.RootKey && !element.IsMultiInstanceInner && state.Elements.TryGetValue(element.ParentKey, out var parent))
        {
            var expected = map(parent.ElementId);
            if (to.Parent?.Id != expected)
            {
                check.Reasons.Add($"'{from.Id}' runs in '{parent.ElementId}', and '{to.Id}' in version {v} is in '{to.Parent?.Id}', not in '{expected}': an element keeps its scope");
            }
        }

        if (element.IncidentId is { } incident)
        {
            check.Reasons.Add($"'{from.Id}' has an open incident ({incident}): resolve it first");
        }

        foreach (var (gateway, flows) in element.JoinArrivals ?? [])
        {
            if (flows.Count > 0)
            {
                check.Reasons.Add($"the joining gateway '{gateway}' has {flows.Count} token(s) waiting (from {string.Join(", ", flows.Distinct(StringComparer.Ordinal))}): let the join complete or move the tokens first");
            }
        }

        foreach (var (gateway, flows) in element.ComplexResets ?? [])
        {
            if (flows.Count > 0)
            {
                check.Reasons.Add($"the complex gateway '{gateway}' waits for its reset (flows {string.Join(", ", flows)}): let it reset first");
            }
        }
    }

    private static void CheckWaits(ElementInstance element, FlowNode from, FlowNode to, int v, Func<string, string> map, Func<string, FlowNode?> inTarget, MigrationCheck check)
    {
        var kept = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (element.Waits?.Count ?? 0); i++)
        {
            var wait = element.Waits![i];
            if (wait.ElementId == element.ElementId)
            {
                check.Waits.Add((element, i, to)); // its own wait: an intermediate catch or receive task, checked with the element
                continue;
            }

            var catchTo = inTarget(map(wait.ElementId));
            if (catchTo is null || !SameRelation(from, to, wait.ElementId, catchTo) || catchTo.Event?.Type != KindOf(wait.Kind))
            {
                check.Reasons.Add($"'{wait.ElementId}' ({Describe(KindOf(wait.Kind))}) is open on '{from.Id}', and version {v} has no such event at '{to.Id}'{(catchTo is null ? "" : $" ('{catchTo.Id}' is not one)")}: map it to one, or let it fire first");
                continue;
            }

            kept.Add(catchTo.Id);
            check.Waits.Add((element, i, catchTo));
        }

        // A scope taken over by an interrupting event sub-process accepts no other event; an inner instance's boundaries are its body's.
        if (element.Interrupted || element.IsMultiInstanceInner || from.Kind is NodeKind.IntermediateCatchEvent or NodeKind.EventBasedGateway)
        {
            return;
        }

        if (element.Key != InstanceState.RootKey)
        {
            foreach (var boundary in to.Boundaries)
            {
                if (boundary.Event?.Type is EventType.Timer or EventType.Message or EventType.Signal or EventType.Conditional && !kept.Contains(boundary.Id))
                {
                    check.Opened.Add((element, boundary));
                    check.Moves.Add($"opens {boundary.Id} on {to.Id}");
                }
            }
        }

        if (to.Kind is NodeKind.Process or NodeKind.SubProcess or NodeKind.Transaction or NodeKind.AdHocSubProcess && ScopeIsRunning(element, from))
        {
            foreach (var start in to.EventSubProcesses.SelectMany(s => s.Children).Where(c => c.Kind == NodeKind.StartEvent))
            {
                if (start.Event?.Type is EventType.Timer or EventType.Message or EventType.Signal or EventType.Conditional && !kept.Contains(start.Id))
                {
                    check.Opened.Add((element, start));
                    check.Moves.Add($"opens {start.Id} in {to.Id}");
                }
            }
        }
    }

    // An event sub-process's own instance runs inside its scope: the starts it listens for belong to that scope, not to it.
    private static bool ScopeIsRunning(ElementInstance element, FlowNode from) => !from.TriggeredByEvent && !element.IsMultiInstanceBody;

    private static bool SameRelation(FlowNode from, FlowNode to, string catchId, FlowNode catchTo)
    {
        var catchFrom = from.Boundaries.Find(b => b.Id == catchId);
        if (catchFrom is not null)
        {
            return catchTo.Kind == NodeKind.BoundaryEvent && catchTo.AttachedTo == to;
        }

        if (from.Kind == NodeKind.EventBasedGateway)
        {
            return catchTo.Incoming.Exists(f => f.Source == to);
        }

        return catchTo.Kind == NodeKind.StartEvent && catchTo.Parent is { TriggeredByEvent: true } sub && sub.Parent == to;
    }

    private static EventType KindOf(WaitKind kind) => kind switch
    {
        WaitKind.Timer => EventType.Timer,
        WaitKind.Message => EventType.Message,
        WaitKind.Signal => EventType.Signal,
        _ => EventType.Conditional,
    };

    private static string Describe(EventType? type) => type?.ToString().ToLowerInvariant() ?? "no event";

    /// <summary>Applies a check that found no reason: the instance runs on <paramref name="target"/> from now on.</summary>
    public async ValueTask ApplyAsync(LoadedInstance instance, ProcessDefinition target, MigrationCheck check, string detail)
    {
        var state = instance.State;
        var moved = new InstanceMigration(state.Id, target.Id);
        var fromVersion = state.Version;
        foreach (var (element, to) in check.Elements)
        {
            if (element.ElementId != to.Id)
            {
                moved.Elements.Add(new ElementMove(element.Key, element.ElementId, to.Id));
            }

            if (element.TaskId is { } task)
            {
                moved.Rows.Add(new RowMove(RowKind.Task, task, to.Id, to.Name));
            }

            if (element.JobId is { } job)
            {
                moved.Rows.Add(new RowMove(RowKind.Job, job, to.Id, null));
            }

            element.ElementId = to.Id;
        }

        foreach (var (owner, index, catchTo) in check.Waits)
        {
            var wait = owner.Waits![index];
            owner.Waits[index] = wait with { ElementId = catchTo.Id };
            if (wait.Kind != WaitKind.Condition)
            {
                moved.Rows.Add(new RowMove(wait.Kind switch { WaitKind.Timer => RowKind.Timer, WaitKind.Message => RowKind.MessageSubscription, _ => RowKind.SignalSubscription }, wait.Id, catchTo.Id, null));
            }
        }

        foreach (var record in state.Compensations ?? [])
        {
            record.ElementId = check.Map(record.ElementId);
        }

        state.DefinitionId = target.Id;
        state.Version = target.Record.Version;
        instance.Definition = target;
        execution.Changes.Migrations.Add(moved);
        execution.History(instance, HistoryKind.InstanceMigrated, null, null, $"version {fromVersion} → {target.Record.Version} | {detail}");

        foreach (var (owner, catchNode) in check.Opened)
        {
            if (state.Status != ProcessInstanceStatus.Active || !state.Elements.ContainsKey(owner.Key))
            {
                return; // a buffered message or a true condition ended it at once
            }

            await execution.Waits.OpenWaitAsync(instance, owner, catchNode).ConfigureAwait(false);
        }
    }
}

/// <summary>What a migration check found: the reasons it cannot migrate, what would move, and the changes to make.</summary>
internal sealed class MigrationCheck
{
    public Dictionary<string, string> Mapping { get; init; } = new(StringComparer.Ordinal);

    public List<string> Reasons { get; } = [];

    public List<string> Moves { get; } = [];

    /// <summary>Each live element instance and the target element it becomes.</summary>
    public List<(ElementInstance Element, FlowNode Target)> Elements { get; } = [];

    /// <summary>Each open wait (owner, index in its waits) and the target catch node it waits at.</summary>
    public List<(ElementInstance Owner, int Index, FlowNode Target)> Waits { get; } = [];

    /// <summary>Waits the target adds (boundary events, event sub-process starts), opened once migrated.</summary>
    public List<(ElementInstance Owner, FlowNode Catch)> Opened { get; } = [];

    public string Map(string id) => Mapping.TryGetValue(id, out var mapped) ? mapped : id;
}
