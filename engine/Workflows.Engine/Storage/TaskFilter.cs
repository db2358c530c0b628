namespace Workflows.Engine.Storage;

/// <summary>A task query's filters on one task, for the in-memory store (the database stores say the same in SQL).</summary>
internal static class TaskFilter
{
    /// <summary>The queue keys a query looks in: its queues, and the candidate user's own.</summary>
    public static List<string> QueueKeys(TaskQuery query) =>
        query.Queues.Concat(query.CandidateUser is { } user ? [UserTaskRecord.UserQueue(user)] : []).Distinct(StringComparer.Ordinal).ToList();

    public static bool Matches(TaskQuery query, UserTaskRecord task)
    {
        var queues = QueueKeys(query);
        return task.Status == TaskStatus.Open
            && (queues.Count == 0 || task.QueueKeys.Any(queues.Contains))
            && (query.Assignee is null || task.Assignee == query.Assignee)
            && (query.Unassigned is not { } unassigned || (task.Assignee is null) == unassigned)
            && (query.Branch is null || task.Branch == query.Branch)
            && (query.MarkState is null || task.Mark.State == query.MarkState)
            && (query.CustomerId is null || task.CustomerId == query.CustomerId)
            && (query.BusinessKey is null || task.BusinessKey == query.BusinessKey)
            && (query.DueBefore is null || task.DueDate < query.DueBefore);
    }
}
