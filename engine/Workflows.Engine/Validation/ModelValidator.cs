using Workflows.Engine.Model;
using Workflows.Engine.Modules;

namespace Workflows.Engine.Validation;

/// <summary>
/// Checks a parsed document for what would go wrong at run time. Problems in executable processes
/// are errors; the same problems in descriptive (non-executable) processes are warnings, so that
/// documentation models import cleanly and still say what they lack.
/// </summary>
internal static class ModelValidator
{
    /// <summary>The core's checks, then the modules' (<see cref="EngineModules.ModelChecks"/>), of each process.</summary>
    public static void Validate(BpmnDocument document, List<ValidationFinding> findings, Func<string, bool> isKnownProcess, WorkflowEngineOptions options)
    {
        var localProcesses = document.Processes.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var process in document.Processes)
        {
            var checker = new Checker(process, findings, id => localProcesses.Contains(id) || isKnownProcess(id));
            checker.Run();
            foreach (var check in EngineModules.ModelChecks)
            {
                check.Check(process, options, findings);
            }
        }
    }

    private sealed class Checker(ProcessModel process, List<ValidationFinding> findings, Func<string, bool> isKnownProcess)
    {
        private FindingSeverity Severity => process.IsExecutable ? FindingSeverity.Error : FindingSeverity.Warning;

        public void Run()
        {
            if (!process.StartEvents.Any())
            {
                Add(Severity, "START_EVENT_MISSING", process.Root, "the process has no start event");
            }

            foreach (var node in process.Nodes.Values)
            {
                CheckNode(node);
            }

            CheckReachability();
            CheckExclusiveFeedsParallelJoin();
            LinkCheck.Check(process, (node, code, message) => Add(Severity, code, node, message));
        }

        private void CheckNode(FlowNode node)
        {
            switch (node.Kind)
            {
                case NodeKind.ExclusiveGateway or NodeKind.InclusiveGateway or NodeKind.ComplexGateway when node.Outgoing.Count > 1:
                    foreach (var flow in node.Outgoing.Where(f => f.Condition is null && f != node.DefaultFlow))
                    {
                        Add(Severity, "GATEWAY_FLOW_UNCONDITIONAL", node,
                            $"the outgoing flow '{flow.Id}' has no condition and is not the default flow; give it a condition or make it the default");
                    }

                    break;
                case NodeKind.EventBasedGateway:
                    foreach (var flow in node.Outgoing.Where(f => f.Target.Kind != NodeKind.IntermediateCatchEvent && f.Target.Kind != NodeKind.ReceiveTask))
                    {
                        Add(Severity, "EVENT_GATEWAY_TARGET", node, $"the flow '{flow.Id}' leads to '{flow.Target.Id}'; an event-based gateway must lead to catch events");
                    }

                    if (node.Outgoing.Count < 2)
                    {
                        Add(Severity, "EVENT_GATEWAY_TARGET", node, "an event-based gateway needs at least two outgoing flows");
                    }

                    break;
                case NodeKind.AdHocSubProcess:
                    CheckAdHoc(node);
                    break;
                case NodeKind.IntermediateCatchEvent when node.Event is null:
                    Add(Severity, "EVENT_DEFINITION_MISSING", node, "an intermediate catch event needs a message, timer, signal or link definition");
                    break;
                case NodeKind.BoundaryEvent when node.Event is null:
                    Add(Severity, "EVENT_DEFINITION_MISSING", node, "a boundary event needs an event definition");
                    break;
                case NodeKind.ServiceTask or NodeKind.BusinessRuleTask when node.Task is null && node.Part<Decisions.CalledDecision>() is null:
                    Add(Severity, "TASK_TYPE_MISSING", node, node.Kind == NodeKind.BusinessRuleTask
                        ? "a business rule task needs a zeebe:calledDecision (decisionId, resultVariable) or a taskDefinition with a type (the job worker that runs it)"
                        : $"a {node.ElementName} needs a taskDefinition with a type (the job worker or handler that runs it)");
                    break;
                case NodeKind.SendTask when node.Task is null && node.Message is null:
                    Add(Severity, "TASK_TYPE_MISSING", node, "a send task needs a message or a taskDefinition type");
                    break;
                // A script that is there but does not parse is its FEEL_SYNTAX finding, not a missing script (review13 F11).
                case NodeKind.ScriptTask when node.Script is null && !findings.Exists(f => f.Code == "FEEL_SYNTAX" && f.ElementId == node.Id):
                    Add(Severity, "SCRIPT_MISSING", node, "a script task needs a FEEL script (zeebe:script expression and resultVariable, or a bpmn:script in FEEL)");
                    break;
                case NodeKind.ReceiveTask when node.Message is null:
                    Add(Severity, "MESSAGE_MISSING", node, "a receive task needs a messageRef");
                    break;
                case NodeKind.CallActivity:
                    CheckCall(node);
                    break;
            }

            if (node.Event is { } e)
            {
                CheckEvent(node, e);
            }

            if (node.IsForCompensation || node.CompensationHandler is not null)
            {
                CompensationCheck.CheckHandler(process, node, (code, message) => Add(Severity, code, node, message));
            }

            if (node.MultiInstance is { InputCollection: null, LoopCardinality: null })
            {
                Add(Severity, "MULTI_INSTANCE_INPUT", node, "a multi-instance activity needs an inputCollection or a loopCardinality");
            }

            if (node.Kind == NodeKind.ComplexGateway && node.Incoming.Count > 1 && node.ActivationCondition is null)
            {
                Add(Severity, "ACTIVATION_CONDITION_MISSING", node, "a complex gateway that joins needs an activationCondition (FEEL; activationCount is the number of incoming flows holding a token)");
            }

            if (node.StandardLoop is { } loop)
            {
                CheckStandardLoop(node, loop);
            }
        }

        private void CheckEvent(FlowNode node, EventDefinition e)
        {
            switch (e.Type)
            {
                case EventType.Message when e.Message is null:
                    Add(Severity, "MESSAGE_MISSING", node, "the message event has no messageRef");
                    break;
                case EventType.Message when e.Message.CorrelationKey is null && node.Kind != NodeKind.StartEvent
                                        && node.Kind is NodeKind.IntermediateCatchEvent or NodeKind.BoundaryEvent:
                    Add(Severity, "CORRELATION_KEY_MISSING", node, $"message '{e.Message.Id}' has no correlation key (zeebe:subscription or wf:subscription correlationKey)");
                    break;
                case EventType.Timer when e.Timer is null:
                    Add(Severity, "TIMER_MISSING", node, "the timer event has no timeDate, timeDuration or timeCycle");
                    break;
                case EventType.Signal when e.Signal is null:
                    Add(Severity, "SIGNAL_MISSING", node, "the signal event has no signalRef");
                    break;
                case EventType.Error when e.Error?.Code is null && node.Kind == NodeKind.EndEvent:
                    Add(Severity, "ERROR_CODE_MISSING", node, "an error end event needs an error with an errorCode");
                    break;
                case EventType.Escalation when e.Escalation?.Code is null && node.Kind is NodeKind.EndEvent or NodeKind.IntermediateThrowEvent:
                    Add(Severity, "ESCALATION_CODE_MISSING", node, "an escalation throw event needs an escalation with an escalationCode");
                    break;
                case EventType.Link when string.IsNullOrEmpty(e.LinkName):
                    Add(Severity, "LINK_NAME_MISSING", node, "a link event needs a name");
                    break;
                case EventType.Compensate or EventType.Cancel:
                    CompensationCheck.CheckEvent(node, e, (code, message) => Add(Severity, code, node, message));
                    break;
                case EventType.Conditional:
                    CheckConditional(node, e);
                    break;
                case EventType.Multiple:
                    Add(Severity, "UNSUPPORTED", node, "events with several event definitions (multiple/parallel multiple) are not supported");
                    break;
            }
        }

        // Camunda 8.8's constraints: inner activities to activate, no start or end events.
        private void CheckAdHoc(FlowNode node)
        {
            if (!node.Children.Any(c => c.IsActivity))
            {
                Add(Severity, "AD_HOC_NO_ACTIVITY", node, "an ad-hoc sub-process needs at least one activity inside");
            }

            foreach (var inner in node.Children.Where(c => c.Kind is NodeKind.StartEvent or NodeKind.EndEvent))
            {
                Add(Severity, "AD_HOC_START_END", inner, $"an ad-hoc sub-process has no {inner.ElementName}s: its inner elements start from its active elements collection");
            }

            if (node.Task is not null)
            {
                Add(Severity, "AD_HOC_JOB_WORKER_UNSUPPORTED", node, "an ad-hoc sub-process run by a job worker (zeebe:taskDefinition) is not supported; use zeebe:adHoc activeElementsCollection");
            }
        }

        private void CheckStandardLoop(FlowNode node, StandardLoopDefinition loop)
        {
            if (!node.IsActivity)
            {
                Add(Severity, "LOOP_NOT_ON_ACTIVITY", node, $"standard loop characteristics belong on an activity, not on a {node.ElementName}");
            }

            if (loop.Condition is null && loop.Maximum is null)
            {
                Add(Severity, "LOOP_ENDLESS", node, "a standard loop needs a loopCondition or a loopMaximum; with neither it never ends");
            }
        }

        // Conditional events run as intermediate catches, boundaries and event sub-process starts; a process's own
        // conditional start would need an outside trigger (Camunda 8 has an API for it), which this engine has not.
        private void CheckConditional(FlowNode node, EventDefinition e)
        {
            if (node.Kind is not (NodeKind.IntermediateCatchEvent or NodeKind.BoundaryEvent or NodeKind.StartEvent))
            {
                Add(Severity, "UNSUPPORTED", node, $"a {node.ElementName} cannot be conditional; conditional events catch");
            }
            else if (node.Kind == NodeKind.StartEvent && node.Parent is not { TriggeredByEvent: true })
            {
                Add(Severity, "UNSUPPORTED", node, "conditional start events of a process are not supported; use a conditional start event in an event sub-process, or a message start event");
            }
            else if (e.Condition is null)
            {
                Add(Severity, "CONDITION_MISSING", node, "the conditional event needs a FEEL condition (bpmn:condition, e.g. '=amount > 1000')");
            }
        }

        private void CheckCall(FlowNode node)
        {
            if (node.Call is null || node.Call.ProcessId.Text.Length == 0)
            {
                Add(Severity, "CALLED_ELEMENT_MISSING", node, "a call activity needs a calledElement processId");
                return;
            }

            if (node.Call.ProcessId.IsStatic && !isKnownProcess(node.Call.ProcessId.Text))
            {
                Add(FindingSeverity.Warning, "CALLED_ELEMENT_UNKNOWN", node,
                    $"the called process '{node.Call.ProcessId.Text}' is not deployed yet; deploy it before an instance reaches this activity");
            }

            if (node.Call.Binding == CallBinding.VersionTag && string.IsNullOrEmpty(node.Call.VersionTag))
            {
                Add(Severity, "CALL_BINDING_INVALID", node, "bindingType versionTag needs a versionTag");
            }
        }

        private void CheckReachability()
        {
            var reached = new HashSet<FlowNode>();
            var queue = new Queue<FlowNode>();
            void Enqueue(FlowNode n)
            {
                if (reached.Add(n))
                {
                    queue.Enqueue(n);
                }
            }

            foreach (var start in process.Root.Children.Where(n => n.Kind == NodeKind.StartEvent || n.TriggeredByEvent))
            {
                Enqueue(start);
            }

            var linkTargets = process.Nodes.Values
                .Where(n => n.Kind == NodeKind.IntermediateCatchEvent && n.Event?.Type == EventType.Link)
                .ToLookup(n => (n.Parent, n.Event!.LinkName));

            while (queue.TryDequeue(out var node))
            {
                foreach (var flow in node.Outgoing)
                {
                    Enqueue(flow.Target);
                }

                foreach (var boundary in node.Boundaries)
                {
                    Enqueue(boundary);
                }

                if (node.CompensationHandler is { } handler)
                {
                    Enqueue(handler);
                }

                foreach (var child in node.Children.Where(c => c.Kind == NodeKind.StartEvent || c.TriggeredByEvent))
                {
                    Enqueue(child);
                }

                if (node.Event?.Type == EventType.Link && node.Kind == NodeKind.IntermediateThrowEvent)
                {
                    foreach (var target in linkTargets[(node.Parent, node.Event.LinkName)])
                    {
                        Enqueue(target);
                    }
                }

                if (node.TriggeredByEvent)
                {
                    foreach (var start in node.Children.Where(c => c.Kind == NodeKind.StartEvent))
                    {
                        Enqueue(start);
                    }
                }

                if (node.Kind == NodeKind.AdHocSubProcess)
                {
                    foreach (var inner in node.Children.Where(Behaviours.Containers.AdHocSubProcessBehaviour.IsActivatable))
                    {
                        Enqueue(inner);
                    }
                }
            }

            foreach (var node in process.Nodes.Values.Where(n => !reached.Contains(n)))
            {
                Add(FindingSeverity.Warning, "UNREACHABLE", node, $"no path from a start event reaches this {node.ElementName}");
            }
        }

        // A parallel join fed by two branches of one exclusive split waits forever: only one branch runs.
        private void CheckExclusiveFeedsParallelJoin()
        {
            foreach (var split in process.Nodes.Values.Where(n => n.Kind == NodeKind.ExclusiveGateway && n.Outgoing.Count > 1))
            {
                var branchArrivals = split.Outgoing
                    .Select(flow => JoinArrivals(flow.Target, split))
                    .ToList();
                var joins = branchArrivals.SelectMany(b => b.Keys).Distinct();
                foreach (var join in joins)
                {
                    var feeding = branchArrivals.Where(b => b.ContainsKey(join)).ToList();
                    if (feeding.Count < 2 || feeding.Any(b => b[join].Count == join.Incoming.Count))
                    {
                        continue;
                    }

                    var cyclic = Reaches(join, split);
                    Add(cyclic ? FindingSeverity.Warning : Severity, "DEADLOCK", join,
                        $"branches of the exclusive gateway '{split.Id}' meet at this parallel join, which waits for all {join.Incoming.Count} incoming flows: only one branch runs, so the join waits forever (use an exclusive or inclusive gateway to merge)");
                }
            }
        }

        // For a branch: which parallel joins it reaches, through which of their incoming flows,
        // without passing through a parallel split (which would supply the other flows).
        private static Dictionary<FlowNode, HashSet<SequenceFlow>> JoinArrivals(FlowNode start, FlowNode split)
        {
            var result = new Dictionary<FlowNode, HashSet<SequenceFlow>>();
            var seen = new HashSet<FlowNode> { split };
            var stack = new Stack<FlowNode>();
            stack.Push(start);
            while (stack.TryPop(out var node))
            {
                if (!seen.Add(node))
                {
                    continue;
                }

                if ((node.Kind == NodeKind.ParallelGateway && node.Outgoing.Count > 1) || node.Kind == NodeKind.InclusiveGateway)
                {
                    continue;
                }

                foreach (var flow in node.Outgoing)
                {
                    if (flow.Target.Kind == NodeKind.ParallelGateway && flow.Target.Incoming.Count > 1)
                    {
                        if (!result.TryGetValue(flow.Target, out var set))
                        {
                            result[flow.Target] = set = [];
                        }

                        set.Add(flow);
                        continue;
                    }

                    stack.Push(flow.Target);
                }
            }

            if (start.Kind == NodeKind.ParallelGateway && start.Incoming.Count > 1)
            {
                result[start] = [.. start.Incoming.Where(f => f.Source == split)];
            }

            return result;
        }

        private static bool Reaches(FlowNode from, FlowNode to)
        {
            var seen = new HashSet<FlowNode>();
            var stack = new Stack<FlowNode>([from]);
            while (stack.TryPop(out var node))
            {
                if (node == to)
                {
                    return true;
                }

                if (seen.Add(node))
                {
                    foreach (var flow in node.Outgoing)
                    {
                        stack.Push(flow.Target);
                    }
                }
            }

            return false;
        }

        private void Add(FindingSeverity severity, string code, FlowNode node, string message) =>
            findings.Add(new ValidationFinding(severity, code, node.Id, node.Position.Line, node.Position.Column, message));
    }
}
