using Workflows.Engine.Runtime;

namespace Workflows.Engine.Services;

/// <summary>
/// Whether an instance's wait-point rows and its state agree: every open task, job, timer and subscription row is waited
/// for by the element its key names, and every element's wait has its row. A row no element waits for can never be met
/// (a task completed answers "no longer waits" for ever), and an element waiting for a row that does not exist never moves;
/// either is a stored instance changed outside the engine, named here for the operator (review13 F3).
/// </summary>
internal static class WaitPointChecks
{
    /// <summary>The wait points, each row no element of <paramref name="state"/> waits for marked with why.</summary>
    public static List<WaitPointInfo> Against(InstanceState state, List<WaitPointInfo> points)
    {
        var marked = new List<WaitPointInfo>(points.Count);
        foreach (var point in points)
        {
            marked.Add(point.Problem is null && Unbacked(state, point) is { } problem ? point with { Problem = problem } : point);
        }

        return marked;
    }

    /// <summary>Why no element of the state waits for the row, or null when one does (or the row is not an element's wait).</summary>
    public static string? Unbacked(InstanceState state, WaitPointInfo point)
    {
        if (point.Kind is "call" or "sla-clock" || (point.Kind == "user-task" && point.ElementKey == 0))
        {
            return null; // called instances are the state's own reference; clocks and recovery tasks are rows of their own
        }

        if (!state.Elements.TryGetValue(point.ElementKey, out var element))
        {
            return $"its row names element key {point.ElementKey} ('{point.ElementId}'), which is no element of the instance's state: nothing waits for it";
        }

        var waits = point.Kind switch
        {
            "user-task" => element.TaskId == point.Id,
            "job" => element.JobId == point.Id,
            _ => element.Waits?.Exists(w => w.Id == point.Id) == true,
        };
        return waits ? null
            : $"element '{element.ElementId}' (key {element.Key}) of the instance's state does not wait for this {point.Kind}{Waiting(element, point.Kind)}: nothing can meet it";
    }

    /// <summary>The waits of elements of the state whose row is not among <paramref name="points"/>: an element that can never move.</summary>
    /// <remarks>An element with an incident is left out: a task or job completed into a failed output mapping keeps its reference for the retry.</remarks>
    public static List<string> Missing(InstanceState state, IReadOnlyList<WaitPointInfo> points)
    {
        var rows = points.Select(p => p.Id).ToHashSet();
        var missing = new List<string>();
        foreach (var element in state.Elements.Values.OrderBy(e => e.Key))
        {
            if (element.IncidentId is not null)
            {
                continue;
            }

            if (element.TaskId is { } task && !rows.Contains(task))
            {
                missing.Add($"element '{element.ElementId}' (key {element.Key}) waits for user task {task}, which no open task row is");
            }

            if (element.JobId is { } job && !rows.Contains(job))
            {
                missing.Add($"element '{element.ElementId}' (key {element.Key}) waits for job {job}, which no job row is");
            }

            foreach (var wait in element.Waits ?? [])
            {
                if (wait.Kind != WaitKind.Condition && !rows.Contains(wait.Id))
                {
                    missing.Add($"element '{element.ElementId}' (key {element.Key}) waits for {wait.Kind.ToString().ToLowerInvariant()} {wait.Id} at '{wait.ElementId}', which no row is");
                }
            }
        }

        return missing;
    }

    private static string Waiting(ElementInstance element, string kind) => kind switch
    {
        "user-task" => element.TaskId is { } task ? $" (it waits for task {task})" : "",
        "job" => element.JobId is { } job ? $" (it waits for job {job})" : "",
        _ => "",
    };
}
