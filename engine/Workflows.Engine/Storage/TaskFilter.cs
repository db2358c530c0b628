namespace Workflows.Engine.Storage;

/// <summary>A task query's filters on one task, for the in-memory store (the database stores say the same in SQL).</summary>
internal static class TaskFilter
{
    /// <summary>The queue keys a query looks in: its queues, and the candidate user's own.</summary>
    public static List<string> QueueKeys(TaskQuery query) =>
        query.Queues.Concat(query.CandidateUser is { } user ? [UserTaskRecord.UserQueue(user)] : []).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Whether the query would find the task (next-task's claim re-checks a task read on an earlier page).</summary>
    public static bool Matches(TaskQuery query, UserTaskRecord task) => Matches(query, QueueKeys(query), task);

    /// <param name="query">The query.</param>
    /// <param name="queues">The query's <see cref="QueueKeys"/>.</param>
    /// <param name="task">The task.</param>
    public static bool Matches(TaskQuery query, List<string> queues, UserTaskRecord task)
    {
        return task.Status == TaskStatus.Open
            && (queues.Count == 0 || InQueue(task, queues))
            && (query.Assignee is null || task.Assignee == query.Assignee)
            && (query.Unassigned is not { } unassigned || (task.Assignee is null) == unassigned)
            && (query.Branch is null || task.Branch == query.Branch)
            && (query.MarkState is null || task.Mark.State == query.MarkState)
            && (query.CustomerId is null || task.CustomerId == query.CustomerId)
            && (query.BusinessKey is null || task.BusinessKey == query.BusinessKey)
            && (query.DueBefore is null || task.DueDate < query.DueBefore);
    }

    private static bool InQueue(UserTaskRecord task, List<string> queues)
    {
        foreach (var group in task.CandidateGroups)
        {
            if (queues.Contains(group))
            {
                return true;
            }
        }

        foreach (var user in task.CandidateUsers)
        {
            if (queues.Contains(UserTaskRecord.UserQueue(user)))
            {
                return true;
            }
        }

        return false;
    }
}
