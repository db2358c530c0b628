using Workflows.Engine.Calendars;
using Workflows.Engine.Model;
using Workflows.Engine.Validation;

namespace Workflows.Engine.ServiceLevels;

/// <summary>
/// The decomposition check: along every path of a process, the level-2 budgets of its steps must fit in
/// the level-1 promise, and inside a sub-process with a level-2 budget the level-3 budgets must fit in it.
/// </summary>
/// <remarks>
/// Budgets of different kinds (elapsed, working hours, business days) add up in business time: they are
/// laid end to end on the calendar from a fixed start (a Monday 09:00 in the calendar's zone), and where
/// the last one ends is compared with where the promise ends. A loop is walked once, with a warning.
/// </remarks>
internal static class CommitmentCheck
{
    // Every node a walk enters counts, loop-backs included: paths that all loop back never reach an end, so a cap on
    // ended paths alone let K diamonds in a loop cost 2^K steps (hours for a 15 KB model).
    internal const int MaxSteps = 100_000;

    // Each names a whole path: past this many per scope, the rest are counted in one finding rather than listed.
    private const int MaxExceededListed = 20;

    public static void Run(ProcessModel process, BusinessCalendar calendar, List<ValidationFinding> findings)
    {
        // Each budget read once, so an unreadable one is reported once however many paths cross it.
        var budgets = new Dictionary<FlowNode, BusinessDuration>();
        foreach (var node in process.Nodes.Values.Prepend(process.Root).Where(n => n.Commitment is not null))
        {
            if (Parse(node.Commitment!.Target, node, findings) is { } budget)
            {
                budgets[node] = budget;
            }
        }

        var start = calendar.ToInstant(new DateOnly(2025, 1, 6), TimeSpan.FromHours(9));
        foreach (var (scope, target) in budgets.Where(b => b.Key.IsScope && b.Key.Commitment!.Level < 3))
        {
            CheckScope(scope, scope.Commitment!, target, scope.Commitment!.Level + 1, budgets, calendar, start, findings);
        }
    }

    private static void CheckScope(FlowNode scope, CommitmentDefinition upper, BusinessDuration upperTarget, int level, Dictionary<FlowNode, BusinessDuration> budgets, BusinessCalendar calendar, DateTimeOffset start, List<ValidationFinding> findings)
    {
        var due = upperTarget.AddTo(start, calendar);
        var reportedLoops = new HashSet<FlowNode>();
        var steps = 0;
        var exceeded = 0;

        // The path walked so far, as a stack and a set: no copy per step, and a loop-back found in constant time.
        var path = new List<FlowNode>();
        var onPath = new HashSet<FlowNode>();
        foreach (var startNode in scope.Children.Where(c => c.Kind == NodeKind.StartEvent && !c.TriggeredByEvent))
        {
            Walk(startNode, start);
        }

        void Walk(FlowNode node, DateTimeOffset at)
        {
            if (++steps > MaxSteps)
            {
                return;
            }

            path.Add(node);
            onPath.Add(node);
            try
            {
                Visit(node, at);
            }
            finally
            {
                path.RemoveAt(path.Count - 1);
                onPath.Remove(node);
            }
        }

        void Visit(FlowNode node, DateTimeOffset at)
        {
            if (node.Commitment?.Level == level && budgets.TryGetValue(node, out var budget))
            {
                at = budget.AddTo(at, calendar);
            }

            var next = node.Outgoing.Select(f => f.Target).Concat(node.Boundaries).ToList();
            if (next.Count == 0)
            {
                if (at > due && ++exceeded <= MaxExceededListed)
                {
                    var names = string.Join(" → ", path.Select(n => n.Name ?? n.Id));
                    findings.Add(new ValidationFinding(FindingSeverity.Warning, "COMMITMENT_EXCEEDED", scope.Id, scope.Position.Line, scope.Position.Column,
                        $"along {names} the level-{level} budgets add up to more than the level-{upper.Level} target {upper.Target}" +
                        $"{(upper.Name is null ? "" : $" ('{upper.Name}')")}: from a Monday 09:00 start they end {at:yyyy-MM-dd HH:mm}, the target ends {due:yyyy-MM-dd HH:mm} ({calendar.Name} calendar)"));
                }

                return;
            }

            foreach (var target in next)
            {
                if (steps > MaxSteps)
                {
                    return;
                }

                if (onPath.Contains(target))
                {
                    steps++;
                    if (reportedLoops.Add(target))
                    {
                        findings.Add(new ValidationFinding(FindingSeverity.Warning, "COMMITMENT_LOOP", target.Id, target.Position.Line, target.Position.Column,
                            $"a path loops back to {target.Name ?? target.Id}: its budgets are counted once in the commitment check"));
                    }

                    continue;
                }

                Walk(target, at);
            }
        }

        if (exceeded > MaxExceededListed)
        {
            findings.Add(new ValidationFinding(FindingSeverity.Warning, "COMMITMENT_EXCEEDED", scope.Id, scope.Position.Line, scope.Position.Column,
                $"{exceeded - MaxExceededListed:N0} more paths exceed the level-{upper.Level} target {upper.Target} (the first {MaxExceededListed} are named)"));
        }

        if (steps > MaxSteps)
        {
            findings.Add(new ValidationFinding(FindingSeverity.Warning, "COMMITMENT_PATHS", scope.Id, scope.Position.Line, scope.Position.Column,
                $"the model has too many paths to check them all: the commitment check stopped after {MaxSteps:N0} steps, and paths beyond were not checked"));
        }
    }

    private static BusinessDuration? Parse(string text, FlowNode node, List<ValidationFinding> findings)
    {
        try
        {
            return BusinessDuration.Parse(text);
        }
        catch (FormatException e)
        {
            findings.Add(new ValidationFinding(FindingSeverity.Error, "COMMITMENT_INVALID", node.Id, node.Position.Line, node.Position.Column, e.Message));
            return null;
        }
    }
}
