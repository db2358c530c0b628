using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Runtime;

/// <summary>A deployed process version, parsed once and shared by every instance that runs on it.</summary>
internal sealed class ProcessDefinition
{
    private readonly Dictionary<(FlowNode? Scope, string? Name), FlowNode> _linkCatches = [];

    public ProcessDefinition(DefinitionRecord record, BpmnDocument document, ProcessModel process)
    {
        Record = record;
        Document = document;
        Process = process;
        foreach (var node in process.Nodes.Values)
        {
            if (node.Kind == NodeKind.IntermediateCatchEvent && node.Event?.Type == EventType.Link)
            {
                _linkCatches.TryAdd((node.Parent, node.Event.LinkName), node);
            }

            if (node.Kind is NodeKind.InclusiveGateway or NodeKind.ComplexGateway && node.Incoming.Count > 1)
            {
                node.Upstream = ComputeUpstream(node);
                HasComplexJoins |= node.Kind == NodeKind.ComplexGateway;
            }
        }

        HasConditionalEvents = process.Nodes.Values.Any(n => n.Event?.Type == EventType.Conditional);
        _messageTargets = MessageTargets(document, process);
    }

    private readonly Dictionary<string, string?> _messageTargets;

    /// <summary>The process a message sent from <paramref name="elementId"/> is for, when the collaboration's message flows name exactly one.</summary>
    public string? MessageTarget(string elementId) => _messageTargets.GetValueOrDefault(elementId);

    // A message flow targets a pool (participant) or an element inside one; the sender's own process
    // never counts, and a sender whose flows reach several processes is left untargeted (everyone may take it).
    private static Dictionary<string, string?> MessageTargets(BpmnDocument document, ProcessModel process)
    {
        var targets = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var group in document.MessageFlows.Where(f => process.Nodes.ContainsKey(f.SourceRef)).GroupBy(f => f.SourceRef))
        {
            var processes = group
                .Select(f => document.Participants.Find(p => p.Id == f.TargetRef)?.ProcessRef
                    ?? document.Processes.Find(p => p.Nodes.ContainsKey(f.TargetRef))?.Id)
                .Where(p => p is not null && p != process.Id)
                .Distinct()
                .ToList();
            targets[group.Key] = processes.Count == 1 ? processes[0] : null;
        }

        return targets;
    }

    /// <summary>Whether a complex gateway joins anywhere: only then does the token loop look for complex joins to settle.</summary>
    public bool HasComplexJoins { get; }

    /// <summary>Whether any element is a conditional event: only then are variable changes noted for them.</summary>
    public bool HasConditionalEvents { get; }

    public DefinitionRecord Record { get; }

    public BpmnDocument Document { get; }

    public ProcessModel Process { get; }

    public Guid Id => Record.Id;

    public FlowNode Node(string elementId) =>
        elementId == Process.Id ? Process.Root : Process.Nodes[elementId];

    public FlowNode? LinkCatch(FlowNode scope, string? name) => _linkCatches.GetValueOrDefault((scope, name));

    // The nodes from which a token can still reach the join without passing through it; a token
    // waiting at an activity counts when one of its boundary events leads there.
    private static HashSet<FlowNode> ComputeUpstream(FlowNode join)
    {
        var upstream = new HashSet<FlowNode>();
        var stack = new Stack<FlowNode>(join.Incoming.Select(f => f.Source));
        while (stack.TryPop(out var node))
        {
            if (node == join || !upstream.Add(node))
            {
                continue;
            }

            foreach (var flow in node.Incoming)
            {
                stack.Push(flow.Source);
            }

            if (node.Kind == NodeKind.BoundaryEvent && node.AttachedTo is not null)
            {
                stack.Push(node.AttachedTo);
            }

            // A link catch has no incoming flow: its tokens come from the link throws of the same name in its scope.
            if (node.Kind == NodeKind.IntermediateCatchEvent && node.Event?.Type == EventType.Link && node.Parent is not null)
            {
                foreach (var linkThrow in node.Parent.Children.Where(t => t.Kind == NodeKind.IntermediateThrowEvent && t.Event?.Type == EventType.Link && t.Event.LinkName == node.Event.LinkName))
                {
                    stack.Push(linkThrow);
                }
            }
        }

        return upstream;
    }
}

/// <summary>Resolves names through an element instance's scope chain, innermost first.</summary>
internal sealed class ElementScope(InstanceState state, ElementInstance element) : IFeelScope
{
    public bool TryResolve(string name, out object? value)
    {
        var current = element;
        while (true)
        {
            if (current.Variables is not null && current.Variables.TryGetValue(name, out value))
            {
                return true;
            }

            if (current.ParentKey == 0 || !state.Elements.TryGetValue(current.ParentKey, out var parent))
            {
                break;
            }

            current = parent;
        }

        return state.Variables.TryGetValue(name, out value);
    }

    /// <summary>Every visible variable, inner scopes shadowing outer ones.</summary>
    public FeelContext Flatten()
    {
        var chain = new List<FeelContext>();
        var current = element;
        while (true)
        {
            if (current.Variables is not null && current.Key != InstanceState.RootKey)
            {
                chain.Add(current.Variables);
            }

            if (current.ParentKey == 0 || !state.Elements.TryGetValue(current.ParentKey, out var parent))
            {
                break;
            }

            current = parent;
        }

        var result = new FeelContext(state.Variables.Count);
        foreach (var (k, v) in state.Variables)
        {
            result[k] = v;
        }

        for (var i = chain.Count - 1; i >= 0; i--)
        {
            foreach (var (k, v) in chain[i])
            {
                result[k] = v;
            }
        }

        return result;
    }
}
