using System.Text.Json;
using Dapper;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql;

// User tasks and their queue index (wf_task_queues), which the queries walk per queue.
internal sealed partial class SqlWorkflowStore
{
    /// <summary>Called with a task list's statement (with or without a queue) before it runs, for tests that read its plan.</summary>
    internal Func<System.Data.Common.DbConnection, string, DynamicParameters, Task>? InspectTaskList { get; set; }

    public ValueTask<UserTaskRecord?> GetUserTaskAsync(Guid id, CancellationToken ct) =>
        SingleAsync<UserTaskRow, UserTaskRecord>("SELECT * FROM wf_user_tasks WHERE id = @id", new { id }, r => r.ToRecord(), ct);

    // The task and its instance in one statement, one snapshot: the task as the instance's row version left it. The
    // clocks after it, in the same round trip on a server (the statements of one command run in order); on SQLite they
    // are left to a read of their own, made only for an instance that keeps clocks.
    private const string TaskWithInstanceSql =
        "SELECT " + UserTaskWithInstanceRow.Columns + TaskWithInstanceFrom;

    private const string TaskWithInstanceFrom = " FROM wf_user_tasks t LEFT JOIN wf_instances i ON i.id = t.instance_id WHERE t.id = @id";

    // The same with the stamp decision choices are kept by (GetDecisionChoiceRowsAsync) in a column of its own: one primary
    // key read more in the statement, where the business rule task the command may reach would have read it alone, in a
    // round trip of its own.
    private const string TaskWithInstanceAndStampSql =
        "SELECT " + UserTaskWithInstanceRow.Columns + ", (" + DecisionChoiceStampSql + ") AS decision_choice_stamp" + TaskWithInstanceFrom;

    private const string OpenClocksOfTaskSql =
        "SELECT * FROM wf_sla_clocks WHERE instance_id = (SELECT instance_id FROM wf_user_tasks WHERE id = @id) AND ended_at IS NULL ORDER BY started_at, id";

    /// <summary>How many reads of clocks ran (with a task, or of instances), for tests that prove which commands make none.</summary>
    internal int ClockReads => Volatile.Read(ref _clockReads);

    private int _clockReads;

    public async ValueTask<TaskWithInstance?> GetTaskWithInstanceAsync(Guid taskId, bool openClocks, bool decisionChoiceStamp, CancellationToken ct)
    {
        var parameters = new { id = taskId };
        // On PostgreSQL only (SQL Server's dialect would take it too, but is not run here), and only once this store keeps a
        // choice: before its first business rule task there is no stamp to compare.
        var sql = decisionChoiceStamp && _dialect.Provider == SqlProvider.PostgreSql && !_decisionChoices.IsEmpty ? TaskWithInstanceAndStampSql : TaskWithInstanceSql;
        if (!openClocks || !ReadsCostRoundTrips)
        {
            return (await RowsAsync<UserTaskWithInstanceRow>(sql, parameters, ct).ConfigureAwait(false)) is [var alone, ..]
                ? new TaskWithInstance(alone.ToRecord(), alone.Instance(), null) { DecisionChoiceStamp = alone.DecisionChoiceStamp }
                : null;
        }

        Interlocked.Increment(ref _clockReads);
        return await ReadTogetherAsync([sql, OpenClocksOfTaskSql], parameters, async read =>
        {
            var rows = await read.NextAsync<UserTaskWithInstanceRow>().ConfigureAwait(false);
            var clocks = await read.NextAsync<SlaClockRow>().ConfigureAwait(false);
            return rows is [var row, ..]
                ? new TaskWithInstance(row.ToRecord(), row.Instance(), clocks.ConvertAll(c => c.ToRecord())) { DecisionChoiceStamp = row.DecisionChoiceStamp }
                : null;
        }, ct).ConfigureAwait(false);
    }

    public ValueTask<IReadOnlyList<UserTaskRecord>> GetOpenUserTasksAsync(Guid instanceId, CancellationToken ct) =>
        ListAsync<UserTaskRow, UserTaskRecord>("SELECT * FROM wf_user_tasks WHERE instance_id = @instanceId AND status = 0 ORDER BY created_at", new { instanceId }, r => r.ToRecord(), ct);

    public async ValueTask<IReadOnlyList<UserTaskRecord>> GetOpenUserTasksOfInstancesAsync(IReadOnlyCollection<Guid> instanceIds, CancellationToken ct)
    {
        var tasks = new List<UserTaskRecord>();
        foreach (var chunk in instanceIds.Distinct().Chunk(500))
        {
            tasks.AddRange(await ListAsync<UserTaskRow, UserTaskRecord>(
                $"SELECT * FROM wf_user_tasks WHERE {_dialect.InList("instance_id", "@ids")} AND status = 0", new { ids = chunk }, r => r.ToRecord(), ct).ConfigureAwait(false));
        }

        return tasks;
    }

    public async ValueTask<IReadOnlyList<UserTaskRecord>> QueryTasksAsync(TaskQuery query, TaskSortKey? after, int limit, CancellationToken ct)
    {
        var list = TaskList(query, after, limit, idsOnly: false);
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        if (InspectTaskList is { } inspect)
        {
            await inspect(connection, list.Sql, list.Parameters).ConfigureAwait(false);
        }

        if (!list.ByQueue)
        {
            var rows = await connection.QueryAsync<UserTaskRow>(new CommandDefinition(list.Sql, list.Parameters, cancellationToken: ct)).ConfigureAwait(false);
            return rows.Select(r => r.ToRecord()).ToList();
        }

        var ids = (await connection.QueryAsync<Guid>(new CommandDefinition(list.Sql, list.Parameters, cancellationToken: ct)).ConfigureAwait(false))
            .Distinct()
            .Take(limit)
            .ToList();
        if (ids.Count == 0)
        {
            return [];
        }

        var tasks = (await connection.QueryAsync<UserTaskRow>(new CommandDefinition(
            $"SELECT * FROM wf_user_tasks WHERE {_dialect.InList("id", "@ids")}", new { ids = ids.ToArray() }, cancellationToken: ct)).ConfigureAwait(false))
            .ToDictionary(r => r.Id, r => r.ToRecord());
        return ids.Where(tasks.ContainsKey).Select(id => tasks[id]).ToList();
    }

    private string? _heldTaskIds;

    /// <summary>
    /// The open tasks an agent holds, by the partial index of open tasks' assignees (migration 24); its parameters named
    /// apart from a page's (<c>@holder</c>, <c>@held</c>), so that both statements bind from one object.
    /// </summary>
    internal string HeldTaskIdsStatement => _heldTaskIds ??= _dialect.Top("id FROM wf_user_tasks WHERE status = 0 AND assignee = @holder", "@held");

    public async ValueTask<NextTaskIds> QueryNextTaskIdsAsync(TaskQuery query, int limit, string holder, int heldLimit, CancellationToken ct)
    {
        if (PageStatement(query, limit) is not var (sql, parameters))
        {
            // A page made every time (filters next-task never sets): its own read after the held tasks'.
            var held = await RowsAsync<Guid>(HeldTaskIdsStatement, new { holder, held = heldLimit }, ct).ConfigureAwait(false);
            return new NextTaskIds(held, await QueryTaskIdsAsync(query, limit, ct).ConfigureAwait(false));
        }

        // One session (SQLite: both statements kept prepared) or one round trip (a server), the held tasks' read first.
        return await ReadTogetherAsync([HeldTaskIdsStatement, sql], parameters with { holder = holder, held = heldLimit }, async read =>
        {
            var held = await read.NextAsync<Guid>().ConfigureAwait(false);
            var page = await read.NextAsync<Guid>().ConfigureAwait(false);
            return new NextTaskIds(held, page.Distinct().Take(limit).ToList());
        }, ct).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<Guid>> QueryTaskIdsAsync(TaskQuery query, int limit, CancellationToken ct)
    {
        // The statement that finds a page's ids, without the read of their rows that a page's answer needs: next-task reads
        // one on every pull, so its text is made once per shape of query and its values bound from the query's own.
        IEnumerable<Guid> ids;
        if (PageStatement(query, limit) is var (sql, parameters))
        {
            ids = await RowsAsync<Guid>(sql, parameters, ct).ConfigureAwait(false); // on SQLite through a session, kept prepared
        }
        else
        {
            var list = TaskList(query, null, limit, idsOnly: true);
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
            ids = await connection.QueryAsync<Guid>(new CommandDefinition(list.Sql, list.Parameters, cancellationToken: ct)).ConfigureAwait(false);
        }

        return ids.Distinct().Take(limit).ToList();
    }

    // A page statement's text by the shape of its query (which filters are set, how many queues, the order), and how many
    // walks it merges; null for a shape whose parameters PageParameters does not hold (its statement is made every time).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<PageShape, (string Sql, int Walks)?> _pageStatements = new();

    private readonly record struct PageShape(int Queues, TaskSort Sort, bool? Unassigned, bool Assignee, bool Branch, bool Others);

    /// <summary>
    /// The page's statement, made by <see cref="TaskList"/> once per shape of query, with its parameters taken from the query;
    /// null for a query with filters next-task never sets (a variable, a clock state, a customer: made every time).
    /// </summary>
    private (string Sql, PageParameters Parameters)? PageStatement(TaskQuery query, int limit)
    {
        var queues = TaskFilter.QueueKeys(query);
        if (queues.Count is 0 or > PageParameters.MaxQueues || query.VariableConditions.Count > 0)
        {
            return null;
        }

        var shape = new PageShape(queues.Count, query.Sort, query.Unassigned, query.Assignee is not null, query.Branch is not null,
            query.MarkState is not null || query.CustomerId is not null || query.BusinessKey is not null || query.DueBefore is not null);
        if (!_pageStatements.TryGetValue(shape, out var statement))
        {
            // Made by TaskList, and used only when the parameters it names are the query's values as PageParameters holds them.
            var list = TaskList(query, null, limit, idsOnly: true);
            statement = list.ByQueue && PageParameters.Of(list.Parameters) is { } named && named.total % limit == 0
                && named.Equals(PageParameters.For(query, queues, limit, named.total / limit))
                ? (list.Sql, named.total / limit)
                : null;
            _pageStatements.TryAdd(shape, statement);
        }

        return statement is var (sql, count) ? (sql, PageParameters.For(query, queues, limit, count)) : null;
    }

    /// <summary>
    /// A page's parameters as properties of their names, which a session binds (Dapper's <see cref="DynamicParameters"/> it
    /// cannot): the queues' page of next-task, without the filters it never sets (variables, a cursor, a clock state).
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Style", "IDE1006:Naming Styles", Justification = "named as the statement's parameters, which the session binds by name")]
    private sealed record PageParameters
    {
        public const int MaxQueues = 8;

        public int limit { get; private init; }

        public int total { get; private init; }

        public string? branch { get; private init; }

        public string? assignee { get; private init; }

        public string? q0 { get; private init; }

        public string? q1 { get; private init; }

        public string? q2 { get; private init; }

        public string? q3 { get; private init; }

        public string? q4 { get; private init; }

        public string? q5 { get; private init; }

        public string? q6 { get; private init; }

        public string? q7 { get; private init; }

        /// <summary>The agent whose held tasks are read with the page (<see cref="HeldTaskIdsStatement"/>); null for a page alone.</summary>
        public string? holder { get; init; }

        /// <summary>How many held tasks are read at most.</summary>
        public int held { get; init; }

        /// <summary>The values a page statement of <paramref name="walks"/> walks binds for <paramref name="query"/>.</summary>
        public static PageParameters For(TaskQuery query, List<string> queues, int limit, int walks) => new()
        {
            limit = limit, total = limit * walks, branch = query.Branch, assignee = query.Assignee,
            q0 = Queue(queues, 0), q1 = Queue(queues, 1), q2 = Queue(queues, 2), q3 = Queue(queues, 3),
            q4 = Queue(queues, 4), q5 = Queue(queues, 5), q6 = Queue(queues, 6), q7 = Queue(queues, 7),
        };

        /// <summary>The values <see cref="TaskList"/> named; null when it named one not held here.</summary>
        public static PageParameters? Of(DynamicParameters parameters)
        {
            var queues = new List<string>();
            var page = new PageParameters();
            foreach (var name in parameters.ParameterNames.Order(StringComparer.Ordinal))
            {
                switch (name)
                {
                    case "limit": page = page with { limit = parameters.Get<int>(name) }; break;
                    case "total": page = page with { total = parameters.Get<int>(name) }; break;
                    case "branch": page = page with { branch = parameters.Get<string>(name) }; break;
                    case "assignee": page = page with { assignee = parameters.Get<string>(name) }; break;
                    case ['q', >= '0' and < '8'] when name[1] - '0' == queues.Count: queues.Add(parameters.Get<string>(name)); break;
                    default: return null;
                }
            }

            return page with
            {
                q0 = Queue(queues, 0), q1 = Queue(queues, 1), q2 = Queue(queues, 2), q3 = Queue(queues, 3),
                q4 = Queue(queues, 4), q5 = Queue(queues, 5), q6 = Queue(queues, 6), q7 = Queue(queues, 7),
            };
        }

        private static string? Queue(List<string> queues, int i) => i < queues.Count ? queues[i] : null;
    }

    /// <summary>
    /// A task list's statement: without a queue, the task rows themselves (or only their ids); by queue, the ids of each
    /// queue's walk merged in order, at most <paramref name="limit"/> per walk, a task in several of the queues once per queue.
    /// </summary>
    private (string Sql, DynamicParameters Parameters, bool ByQueue) TaskList(TaskQuery query, TaskSortKey? after, int limit, bool idsOnly)
    {
        var parameters = new DynamicParameters();
        parameters.Add("limit", limit);
        var filters = new List<string> { "t.status = 0" };
        void Filter(object? value, string name, string condition)
        {
            if (value is not null)
            {
                parameters.Add(name, value);
                filters.Add(condition);
            }
        }

        Filter(query.Assignee, "assignee", "t.assignee = @assignee");
        Filter(query.Branch, "branch", "t.branch = @branch");
        Filter(query.MarkState, "slaState", "t.sla_state = @slaState");
        Filter(query.CustomerId, "customerId", "t.customer_id = @customerId");
        Filter(query.BusinessKey, "businessKey", "t.business_key = @businessKey");
        Filter(query.DueBefore?.UtcTicks, "dueBefore", "t.due_date < @dueBefore");
        filters.AddRange(VariableConditions("t.instance_id", query.VariableConditions, parameters));

        var fields = TaskSortKey.Fields(query.Sort);
        var columns = fields.Select(QueueColumn).ToList();
        if (after is { } cursor)
        {
            foreach (var field in fields)
            {
                parameters.Add("after_" + QueueColumn(field), cursor.Value(field));
            }

            parameters.Add("after_id", cursor.Id);
        }

        var queues = TaskFilter.QueueKeys(query);
        if (queues.Count == 0)
        {
            // No queue: the task table itself, walked in order along the index of its branch, its customer, or every open
            // task (migration 21), which keep the same sort keys as the queue index.
            var expressions = fields.Select(f => "t." + QueueColumn(f)).Append("t.id").ToList();
            if (query.Unassigned is { } unassigned)
            {
                filters.Add(unassigned ? "t.assignee IS NULL" : "t.assignee IS NOT NULL");
            }

            if (after is not null)
            {
                filters.Add(_dialect.After(expressions, columns.Select(c => "@after_" + c).Append("@after_id").ToList()));
            }

            return (_dialect.Top($"{(idsOnly ? "t.id" : "t.*")} FROM wf_user_tasks t WHERE {string.Join(" AND ", filters)} ORDER BY {string.Join(", ", expressions)}", "@limit"), parameters, false);
        }

        // Per queue (and claimed or not), walk that queue's index in order and stop at a page; then merge. The task's own
        // filters are a probe of its row by key for each queue entry walked (EXISTS, fenced by the dialect so that the
        // database keeps it a probe): there is no join whose method the planner could choose, so no statistics can turn
        // the walk into a hash join of every open task and a sort of the whole queue (PostgreSQL did, once in four runs,
        // at 41,000 open tasks).
        var walk = new List<string>();
        var keys = columns.Select(c => "q." + c).Append("q.task_id").ToList();
        if (after is not null)
        {
            walk.Add(_dialect.After(keys, columns.Select(c => "@after_" + c).Append("@after_id").ToList()));
        }

        walk.Add(_dialect.TaskProbe(string.Join(" AND ", filters)));
        var claimedValues = query.Unassigned switch
        {
            true => new[] { 0 },
            false => [1],
            null => query.Assignee is not null ? [1] : [0, 1],
        };
        var branches = new List<string>();
        var select = string.Join(", ", columns.Select(c => "q." + c).Append("q.task_id"));
        foreach (var (queue, i) in queues.Select((q, i) => (q, i)))
        {
            parameters.Add($"q{i}", queue);
            foreach (var claimed in claimedValues)
            {
                branches.Add($"SELECT * FROM ({_dialect.Top($"{select} FROM wf_task_queues q WHERE q.queue = @q{i} AND q.claimed = {claimed} AND {string.Join(" AND ", walk)} ORDER BY {string.Join(", ", keys)}", "@limit")}) b{branches.Count}");
            }
        }

        var order = string.Join(", ", columns.Append("task_id"));
        parameters.Add("total", limit * branches.Count);
        return (_dialect.Top($"task_id FROM ({string.Join(" UNION ALL ", branches)}) u ORDER BY {order}", "@total"), parameters, true);
    }

    // A task's entries in the queue index, one per queue it is in (a queue named twice, once), unless it was closed.
    private static void QueueEntries(List<(string Queue, UserTaskRecord Task)> queued, UserTaskRecord task, List<(Guid Id, Storage.TaskStatus Status)> closed)
    {
        if (Closed(closed, task.Id))
        {
            return;
        }

        var first = queued.Count;
        foreach (var queue in task.QueueKeys)
        {
            var again = false;
            for (var i = first; i < queued.Count && !again; i++)
            {
                again = string.Equals(queued[i].Queue, queue, StringComparison.Ordinal);
            }

            if (!again)
            {
                queued.Add((queue, task));
            }
        }
    }

    private static bool Closed(List<(Guid Id, Storage.TaskStatus Status)> closed, Guid id)
    {
        foreach (var (closedId, _) in closed)
        {
            if (closedId == id)
            {
                return true;
            }
        }

        return false;
    }

    // The queue index's column of each sort key.
    private static string QueueColumn(TaskSortField field) => field switch
    {
        TaskSortField.Due => "sla_sort",
        TaskSortField.InvPriority => "inv_priority",
        _ => "created_at",
    };

    private static async Task WriteTasksAsync(SqlCommit w, ChangeSet changes)
    {
        // Rows are created before rows are removed, so a wait opened and closed by one command leaves nothing.
        await w.RowsAsync("tasks", """
            INSERT INTO wf_user_tasks (id, instance_id, element_key, element_id, name, process_id, business_key, assignee, candidate_groups, candidate_users, priority, due_date, follow_up_date, form_json, created_at, status, customer_id, branch, journey, sla_state, sla_due_at, sla_sort, inv_priority)
            VALUES (@Id, @InstanceId, @ElementKey, @ElementId, @Name, @ProcessId, @BusinessKey, @Assignee, @CandidateGroups, @CandidateUsers, @Priority, @DueDate, @FollowUpDate, @FormJson, @CreatedAt, 0, @CustomerId, @Branch, @Journey, @SlaState, @SlaDueAt, @SlaSort, @InvPriority)
            """, changes.TasksCreated, UserTaskRow.From).ConfigureAwait(false);
        // The sort keys are in every list's index: on SQLite they are named only where they may have changed (not at all where
        // the engine knows they did not: a claim), in a statement guarded by the change.
        var tasksUpdated = changes.TasksUpdated.Select(t => new
        {
            t.Id, t.Assignee, CandidateGroups = JsonSerializer.Serialize(t.CandidateGroups), CandidateUsers = JsonSerializer.Serialize(t.CandidateUsers),
            t.Priority, SlaState = t.Mark.State, SlaDueAt = t.Mark.DueAt?.UtcTicks, SlaSort = t.Mark.DueAt?.UtcTicks ?? long.MaxValue, InvPriority = 100 - t.Priority,
            Resorted = changes.SortKeysChanged(t),
        }).ToList();
        var marks = changes.TaskMarks.Select(t => new { Id = t.TaskId, t.Mark.State, Due = t.Mark.DueAt?.UtcTicks, Sort = t.Mark.DueAt?.UtcTicks ?? long.MaxValue }).ToList();
        if (w.IndexesByColumn)
        {
            await w.RowsAsync("tasks-updated", """
                UPDATE wf_user_tasks SET assignee = @Assignee, candidate_groups = @CandidateGroups, candidate_users = @CandidateUsers, priority = @Priority,
                    sla_state = @SlaState, sla_due_at = @SlaDueAt
                WHERE id = @Id
                """, tasksUpdated, t => t).ConfigureAwait(false);
            await w.RowsAsync("tasks-updated", """
                UPDATE wf_user_tasks SET sla_sort = @SlaSort, inv_priority = @InvPriority
                WHERE id = @Id AND NOT (sla_sort IS @SlaSort AND inv_priority IS @InvPriority)
                """, tasksUpdated.Where(t => t.Resorted).ToList(), t => t).ConfigureAwait(false);
        }
        else
        {
            await w.RowsAsync("tasks-updated", """
                UPDATE wf_user_tasks SET assignee = @Assignee, candidate_groups = @CandidateGroups, candidate_users = @CandidateUsers, priority = @Priority,
                    sla_state = @SlaState, sla_due_at = @SlaDueAt, sla_sort = @SlaSort, inv_priority = @InvPriority
                WHERE id = @Id
                """, tasksUpdated, t => t).ConfigureAwait(false);
        }

        await w.RowsAsync("tasks-closed", "UPDATE wf_user_tasks SET status = @Status WHERE id = @Id", changes.TasksClosed, t => new { t.Id, Status = (int)t.Status }).ConfigureAwait(false);
        if (w.IndexesByColumn)
        {
            await w.RowsAsync("task-clocks", "UPDATE wf_user_tasks SET sla_state = @State, sla_due_at = @Due WHERE id = @Id", marks, t => t).ConfigureAwait(false);
            await w.RowsAsync("task-clocks", "UPDATE wf_user_tasks SET sla_sort = @Sort WHERE id = @Id AND sla_sort IS NOT @Sort", marks, t => t).ConfigureAwait(false);
        }
        else
        {
            await w.RowsAsync("task-clocks", "UPDATE wf_user_tasks SET sla_state = @State, sla_due_at = @Due, sla_sort = @Sort WHERE id = @Id", marks, t => t).ConfigureAwait(false);
        }

        await w.RowsAsync("task-clocks-queued", "UPDATE wf_task_queues SET sla_sort = @Sort WHERE task_id = @Id AND sla_sort <> @Sort", marks, t => t).ConfigureAwait(false);

        // The queue index follows the task rows: a closed task's entries are removed, a requeued task's
        // written anew, and the other updated tasks' sort keys changed in place. (Asked through Requeued: reading
        // TasksRequeued would make the change set's rare lists, and every rare write then runs for a claim.) The lists are
        // made by walks of the change set's own (a command changes a task or two), not chains of iterators and a set of
        // the closed ids: this runs in the writer, which every other commit waits for.
        List<Guid>? requeued = null;
        foreach (var task in changes.TasksUpdated)
        {
            if (changes.Requeued(task.Id))
            {
                (requeued ??= []).Add(task.Id);
            }
        }

        foreach (var (id, _) in changes.TasksClosed)
        {
            (requeued ??= []).Add(id);
        }

        foreach (var chunk in requeued is null ? [] : requeued.Chunk(500))
        {
            await w.ExecAsync("task-queues-removed", $"DELETE FROM wf_task_queues WHERE {w.In("task_id", chunk.Length)}", SqlCommit.Ids(chunk)).ConfigureAwait(false);
        }

        var queued = new List<(string Queue, UserTaskRecord Task)>();
        foreach (var task in changes.TasksCreated)
        {
            QueueEntries(queued, task, changes.TasksClosed);
        }

        List<UserTaskRecord>? resorted = null;
        foreach (var task in changes.TasksUpdated)
        {
            if (changes.Requeued(task.Id))
            {
                QueueEntries(queued, task, changes.TasksClosed);
            }
            else if (!Closed(changes.TasksClosed, task.Id))
            {
                (resorted ??= []).Add(task);
            }
        }

        await w.RowsAsync("task-queues", """
            INSERT INTO wf_task_queues (queue, task_id, claimed, sla_sort, inv_priority, created_at)
            VALUES (@Queue, @TaskId, @Claimed, @SlaSort, @InvPriority, @CreatedAt)
            """, queued, q =>
        {
            var key = TaskSortKey.Of(q.Task);
            return new { q.Queue, TaskId = q.Task.Id, Claimed = q.Task.Assignee is null ? 0 : 1, SlaSort = key.DueSort, key.InvPriority, CreatedAt = key.CreatedTicks };
        }).ConfigureAwait(false);
        await w.RowsAsync("task-queues-updated", "UPDATE wf_task_queues SET claimed = @Claimed, sla_sort = @SlaSort, inv_priority = @InvPriority WHERE task_id = @Id",
            (IReadOnlyCollection<UserTaskRecord>?)resorted ?? [], t =>
        {
            var key = TaskSortKey.Of(t);
            return new { t.Id, Claimed = t.Assignee is null ? 0 : 1, SlaSort = key.DueSort, key.InvPriority };
        }).ConfigureAwait(false);
    }
}

