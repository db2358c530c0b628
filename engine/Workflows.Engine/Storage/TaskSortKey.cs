namespace Workflows.Engine.Storage;

/// <summary>One key of a task order; each store says how it keeps it (the SQL store as a column of its queue index).</summary>
internal enum TaskSortField
{
    /// <summary>The ticks of the moment a module says the task falls due (<see cref="TaskMark.DueAt"/>); the largest value when none.</summary>
    Due,

    /// <summary>100 − priority, so that a higher priority sorts first.</summary>
    InvPriority,

    /// <summary>The creation time's ticks.</summary>
    Created,
}

/// <summary>
/// Where a task stands in the task orders: every order is a prefix-free choice of these keys, ending on the id.
/// <see cref="DueSort"/> is the ticks of the task's <see cref="TaskMark.DueAt"/> (the largest value when it has none);
/// <see cref="InvPriority"/> is 100 − priority, so that every key sorts ascending.
/// </summary>
internal readonly record struct TaskSortKey(long DueSort, int InvPriority, long CreatedTicks, Guid Id)
{
    private static readonly TaskSortField[] s_byPriority = [TaskSortField.InvPriority, TaskSortField.Created];
    private static readonly TaskSortField[] s_byAge = [TaskSortField.Created];
    private static readonly TaskSortField[] s_byDue = [TaskSortField.Due, TaskSortField.InvPriority, TaskSortField.Created];

    public static TaskSortKey Of(UserTaskRecord task) =>
        new(task.Mark.DueAt?.UtcTicks ?? long.MaxValue, 100 - task.Priority, task.CreatedAt.UtcTicks, task.Id);

    /// <summary>The keys an order compares, in order (the id breaks ties last).</summary>
    public static IReadOnlyList<TaskSortField> Fields(TaskSort sort) => sort switch
    {
        TaskSort.Priority => s_byPriority,
        TaskSort.Age => s_byAge,
        _ => s_byDue,
    };

    public long Value(TaskSortField field) => field switch
    {
        TaskSortField.Due => DueSort,
        TaskSortField.InvPriority => InvPriority,
        _ => CreatedTicks,
    };

    /// <summary>Compares two keys in the order <paramref name="sort"/>, the id last.</summary>
    /// <remarks>The keys of <see cref="Fields"/>, written out: the in-memory store's ordered lists compare on every step.</remarks>
    public static int Compare(in TaskSortKey x, in TaskSortKey y, TaskSort sort)
    {
        int c;
        switch (sort)
        {
            case TaskSort.Priority:
                if ((c = x.InvPriority.CompareTo(y.InvPriority)) != 0 || (c = x.CreatedTicks.CompareTo(y.CreatedTicks)) != 0)
                {
                    return c;
                }

                break;
            case TaskSort.Age:
                if ((c = x.CreatedTicks.CompareTo(y.CreatedTicks)) != 0)
                {
                    return c;
                }

                break;
            default:
                if ((c = x.DueSort.CompareTo(y.DueSort)) != 0 || (c = x.InvPriority.CompareTo(y.InvPriority)) != 0 || (c = x.CreatedTicks.CompareTo(y.CreatedTicks)) != 0)
                {
                    return c;
                }

                break;
        }

        return x.Id.CompareTo(y.Id);
    }

    public string ToCursor(TaskSort sort) =>
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{(int)sort}|{DueSort}|{InvPriority}|{CreatedTicks}|{Id}")))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <exception cref="WorkflowInputException">The cursor is not one this engine made, or was made for another order.</exception>
    public static TaskSortKey FromCursor(string cursor, TaskSort sort)
    {
        try
        {
            var base64 = cursor.Replace('-', '+').Replace('_', '/');
            base64 += new string('=', (4 - (base64.Length % 4)) % 4);
            var parts = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(base64)).Split('|');
            var culture = System.Globalization.CultureInfo.InvariantCulture;
            if (parts.Length == 5 && int.Parse(parts[0], culture) == (int)sort)
            {
                return new TaskSortKey(long.Parse(parts[1], culture), int.Parse(parts[2], culture), long.Parse(parts[3], culture), Guid.Parse(parts[4]));
            }
        }
        catch (FormatException)
        {
        }

        throw new WorkflowInputException($"the cursor '{cursor}' is not a cursor of a task list sorted by {sort}; start again without a cursor");
    }
}
