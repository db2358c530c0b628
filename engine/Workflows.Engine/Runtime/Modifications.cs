using Workflows.Engine.Behaviours;
using Workflows.Engine.Feel;
using Workflows.Engine.Model;

namespace Workflows.Engine.Runtime;

/// <summary>
/// Process instance modification as Camunda 8 runs it: every instruction is checked against the instance before
/// anything changes (all reasons in one refusal), then variables are set, elements activated (with the scopes around
/// them created) and element instances terminated; a scope whose last token went is terminated up to the process.
/// </summary>
internal sealed class Modifications(Execution execution)
{
    /// <summary>One checked activation: the element, the live scope it goes in, and the scopes to create between (outermost first).</summary>
    private sealed record Activation(FlowNode Node, long ScopeKey, List<FlowNode> Create, ActivateElement Instruction);

    public async ValueTask<ModificationResult> ApplyAsync(LoadedInstance instance, ModifyInstance command, IReadOnlyList<FeelContext> scopeValues)
    {
        var state = instance.State;
        if (state.Status != ProcessInstanceStatus.Active)
        {
            throw new WorkflowConflictException($"process instance {state.Id} is already {state.Status.ToString().ToLowerInvariant()}");
        }

        var reasons = new List<string>();
        var activations = CheckActivations(instance, command.Activate, reasons);
        var terminations = CheckTerminations(instance, command.Terminate, reasons);
        foreach (var set in command.Variables)
        {
            if (set.ScopeKey is { } key && !state.Elements.ContainsKey(key))
            {
                reasons.Add($"variables: no live scope has key {key}");
            }
        }

        if (command.Activate.Count == 0 && command.Terminate.Count == 0 && command.Variables.Count == 0)
        {
            reasons.Add("the modification has no instruction: give variables, elements to activate or element instances to terminate");
        }

        if (reasons.Count > 0)
        {
            throw new ModificationRefusedException(state.Id, reasons);
        }

        execution.History(instance, HistoryKind.InstanceModified, null, null, Describe(command));
        for (var i = 0; i < command.Variables.Count; i++)
        {
            SetLocals(instance, command.Variables[i].ScopeKey ?? InstanceState.RootKey, scopeValues[i]);
        }

        var activated = new List<long>();
        foreach (var activation in activations)
        {
            activated.Add(await ActivateAsync(instance, activation).ConfigureAwait(false));
        }

        var scopes = new List<long>();
        foreach (var key in terminations)
        {
            if (state.Elements.TryGetValue(key, out var element))
            {
                scopes.Add(element.ParentKey);
                await execution.TerminateAsync(instance, element).ConfigureAwait(false);
            }
        }

        foreach (var scopeKey in scopes)
        {
            await TerminateIfEmptyAsync(instance, scopeKey).ConfigureAwait(false);
        }

        return new ModificationResult(activated, terminations, state.Status);
    }

    private static string Describe(ModifyInstance command)
    {
        var parts = new List<string> { command.Reason.Trim() };
        if (command.Variables.Count > 0)
        {
            parts.Add("variables " + string.Join(", ", command.Variables.SelectMany(v => v.Values.Keys).Distinct(StringComparer.Ordinal)));
        }

        if (command.Activate.Count > 0)
        {
            parts.Add("activate " + string.Join(", ", command.Activate.Select(a => a.ElementId)));
        }

        if (command.Terminate.Count > 0)
        {
            parts.Add("terminate " + string.Join(", ", command.Terminate.Select(t => t.ElementKey?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? t.ElementId)));
        }

        return string.Join(" | ", parts);
    }

    // ---------------------------------------------------------------- checks

    private static List<Activation> CheckActivations(LoadedInstance instance, IReadOnlyList<ActivateElement> instructions, List<string> reasons)
    {
        var state = instance.State;
        var nodes = instance.Definition.Process.Nodes;
        var result = new List<Activation>();
        var unknown = instructions.Where(a => string.IsNullOrEmpty(a.ElementId) || !nodes.ContainsKey(a.ElementId)).Select(a => $"'{a.ElementId}'").ToList();
        if (unknown.Count > 0)
        {
            reasons.Add($"activate: no element {string.Join(", ", unknown)} in process '{state.ProcessId}' version {state.Version}");
        }

        foreach (var instruction in instructions)
        {
            if (string.IsNullOrEmpty(instruction.ElementId) || !nodes.TryGetValue(instruction.ElementId, out var node))
            {
                continue;
            }

            if (Unsupported(node) is { } why)
            {
                reasons.Add($"activate '{node.Id}': {why}");
                continue;
            }

            var chain = new List<FlowNode>();
            for (var scope = node.Parent; scope is not null; scope = scope.Parent)
            {
                chain.Add(scope);
            }

            var before = reasons.Count;
            var (scopeKey, create) = instruction.AncestorKey is { } ancestor
                ? ChosenAncestor(state, node, chain, ancestor, reasons)
                : LiveAncestor(state, node, chain, reasons);
            if (reasons.Count > before)
            {
                continue;
            }

            if (state.Elements[scopeKey].Interrupted)
            {
                reasons.Add($"activate '{node.Id}': its scope (key {scopeKey}) was taken over by an interrupting event sub-process");
                continue;
            }

            if (create.Find(c => c.IsLoop) is { } loop)
            {
                reasons.Add($"activate '{node.Id}': it would activate the multi-instance element '{loop.Id}', which is not supported; activate '{loop.Id}' itself, or give the key of a running inner instance as ancestorKey");
                continue;
            }

            foreach (var scopeId in instruction.ScopeVariables?.Keys ?? [])
            {
                if (scopeId != node.Id && !create.Exists(c => c.Id == scopeId))
                {
                    reasons.Add($"activate '{node.Id}': variables for '{scopeId}', which is neither the element nor a scope this activation creates; set them on the live scope by key instead");
                }
            }

            result.Add(new Activation(node, scopeKey, create, instruction));
        }

        return result;
    }

    private static string? Unsupported(FlowNode node) => node switch
    {
        { Kind: NodeKind.StartEvent } => "a start event is never activated: activate the element after it",
        { Kind: NodeKind.BoundaryEvent } => "a boundary event is triggered by its event, not activated",
        { IsForCompensation: true } => "a compensation handler runs only when its activity is compensated",
        { TriggeredByEvent: true } => "an event sub-process starts by its event: activate an element inside it",
        _ when node.Incoming.Exists(f => f.Source.Kind == NodeKind.EventBasedGateway) => "an event after an event-based gateway is reached through the gateway: activate the gateway",
        _ when node.Incoming.Count > 1 && ElementBehaviours.JoinOf(node) != JoinRule.None => "a joining gateway waits for tokens on its incoming flows and cannot be activated",
        _ => null,
    };

    private static (long, List<FlowNode>) ChosenAncestor(InstanceState state, FlowNode node, List<FlowNode> chain, long ancestor, List<string> reasons)
    {
        if (!state.Elements.TryGetValue(ancestor, out var element))
        {
            reasons.Add($"activate '{node.Id}': ancestorKey {ancestor} is no live element instance of this instance");
            return (0, []);
        }

        var at = chain.FindIndex(c => c.Id == element.ElementId);
        if (at < 0)
        {
            reasons.Add($"activate '{node.Id}': ancestorKey {ancestor} is an instance of '{element.ElementId}', which does not enclose '{node.Id}'");
            return (0, []);
        }

        if (element.IsMultiInstanceBody)
        {
            reasons.Add($"activate '{node.Id}': ancestorKey {ancestor} is the body of the multi-instance element '{element.ElementId}'; give the key of one of its inner instances");
            return (0, []);
        }

        var create = chain.Take(at).Reverse().ToList();
        return (ancestor, create);
    }

    private static (long, List<FlowNode>) LiveAncestor(InstanceState state, FlowNode node, List<FlowNode> chain, List<string> reasons)
    {
        var create = new List<FlowNode>();
        foreach (var scope in chain)
        {
            if (scope.Kind == NodeKind.Process)
            {
                break;
            }

            var live = state.Elements.Values.Where(e => e.ElementId == scope.Id && !e.IsMultiInstanceBody).ToList();
            if (live.Count > 1)
            {
                reasons.Add($"activate '{node.Id}': its scope '{scope.Id}' runs {live.Count} times (keys {string.Join(", ", live.Select(e => e.Key).Order())}); give ancestorKey to choose one");
                return (0, []);
            }

            if (live.Count == 1)
            {
                create.Reverse();
                return (live[0].Key, create);
            }

            create.Add(scope);
        }

        create.Reverse();
        return (InstanceState.RootKey, create);
    }

    private static List<long> CheckTerminations(LoadedInstance instance, IReadOnlyList<TerminateElement> instructions, List<string> reasons)
    {
        var state = instance.State;
        var keys = new List<long>();
        var unknownKeys = new List<long>();
        foreach (var instruction in instructions)
        {
            if (instruction.ElementKey.HasValue == (instruction.ElementId is not null))
            {
                reasons.Add("terminate: give either an element instance key or an element id, not both nor neither");
                continue;
            }

            if (instruction.ElementId is { } id)
            {
                var live = state.Elements.Values.Where(e => e.ElementId == id && e.Key != InstanceState.RootKey && !e.IsMultiInstanceInner).Select(e => e.Key).Order().ToList();
                if (live.Count == 0)
                {
                    reasons.Add($"terminate '{id}': no instance of it is live");
                }

                keys.AddRange(live.Where(k => !keys.Contains(k)));
                continue;
            }

            var key = instruction.ElementKey!.Value;
            if (key == InstanceState.RootKey)
            {
                reasons.Add("terminate: key 1 is the process scope; cancel the instance instead");
            }
            else if (!state.Elements.TryGetValue(key, out var element))
            {
                unknownKeys.Add(key);
            }
            else if (element.IsMultiInstanceInner)
            {
                reasons.Add($"terminate {key}: an inner instance of the multi-instance element '{element.ElementId}' ends with its body (key {element.ParentKey}); terminate the body, or the elements inside it");
            }
            else if (!keys.Contains(key))
            {
                keys.Add(key);
            }
        }

        if (unknownKeys.Count > 0)
        {
            reasons.Add($"terminate: no live element instance has key {string.Join(", ", unknownKeys)}");
        }

        return keys;
    }

    // ---------------------------------------------------------------- changes

    private static void SetLocals(LoadedInstance instance, long scopeKey, FeelContext values)
    {
        foreach (var (name, value) in values)
        {
            VariableScopes.SetLocalVariable(instance, scopeKey, name, value);
        }
    }

    private async ValueTask<long> ActivateAsync(LoadedInstance instance, Activation activation)
    {
        var parentKey = activation.ScopeKey;
        var scopeVariables = activation.Instruction.ScopeVariables;
        foreach (var scopeNode in activation.Create)
        {
            var scope = execution.Elements.NewElement(instance, parentKey, scopeNode);
            if (scopeVariables?.GetValueOrDefault(scopeNode.Id) is { } locals)
            {
                VariableScopes.MergeInto(scope, VariableScopes.ToContext(locals)!);
            }

            try
            {
                await execution.Elements.EnterScopeAsync(instance, scope, scopeNode).ConfigureAwait(false);
            }
            catch (StepFailedException e)
            {
                throw new ModificationRefusedException(instance.Id, [$"activate '{activation.Node.Id}': its scope '{scopeNode.Id}' cannot be created: {e.Message}"]);
            }

            parentKey = scope.Key;
        }

        var node = activation.Node;
        var element = execution.Elements.NewElement(instance, parentKey, node);
        element.IsMultiInstanceBody = node.IsLoop;
        var own = VariableScopes.ToContext(activation.Instruction.Variables);
        if (scopeVariables?.GetValueOrDefault(node.Id) is { } more)
        {
            own ??= new FeelContext();
            foreach (var (k, v) in more)
            {
                own[k] = FeelConvert.FromClr(v);
            }
        }

        if (own is { Count: > 0 })
        {
            VariableScopes.MergeInto(element, own);
        }

        await execution.Elements.RunActivationAsync(instance, element, node, null).ConfigureAwait(false);
        return element.Key;
    }

    /// <summary>A scope whose last token the modification terminated is terminated too, up to the process (Zeebe).</summary>
    private async ValueTask TerminateIfEmptyAsync(LoadedInstance instance, long scopeKey)
    {
        var state = instance.State;
        while (state.Status == ProcessInstanceStatus.Active && state.Elements.TryGetValue(scopeKey, out var scope)
            && !ElementTree.HasActiveChildren(state, scopeKey) && scope.JoinArrivals is not { Count: > 0 })
        {
            if (scopeKey == InstanceState.RootKey)
            {
                if (state.ParentInstanceId is { } parent)
                {
                    throw new ModificationRefusedException(state.Id, [$"the instructions would terminate the instance, which the call activity of instance {parent} started; modify that instance instead"]);
                }

                await execution.TerminateInstanceAsync(instance, ProcessInstanceStatus.Terminated).ConfigureAwait(false);
                return;
            }

            var parentKey = scope.ParentKey;
            await execution.TerminateAsync(instance, scope).ConfigureAwait(false);
            if (scope.IsMultiInstanceInner && state.Elements.TryGetValue(parentKey, out var body) && body.IsMultiInstanceBody)
            {
                // As Zeebe's body does on a child terminated by a modification: it no longer waits for that inner
                // instance, and completes once none is active.
                body.Total = Math.Max(body.Completed, body.Total - 1);
                if (!ElementTree.HasActiveChildren(state, parentKey))
                {
                    execution.Tokens.EnqueueComplete(instance, parentKey);
                }

                return;
            }

            scopeKey = parentKey;
        }
    }
}
