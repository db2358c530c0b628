using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Workflows.Engine.Storage;

// User tasks and the queues agents pick from.
internal sealed partial class InMemoryWorkflowStore
{
    private readonly InMemoryRowsById<UserTaskRecord> _tasks = new(); // recent rows in a small dictionary (InMemoryRowsById)
    private readonly Dictionary<Guid, InMemoryOpenTasks> _openTasksByInstance = [];
    private readonly InMemoryTaskLists _lists = new();

    private long _tasksFiltered;

    /// <summary>
    /// The work the task lists' pages have done, for tests that count it rather than time it: the tasks their filters were
    /// checked on, and the keys the ordered lists compared and read (<see cref="InMemoryTaskLists.Steps"/>).
    /// </summary>
    internal long TaskListSteps
    {
        get
        {
            lock (_gate)
            {
                return _tasksFiltered + _lists.Steps;
            }
        }
    }

    public ValueTask<UserTaskRecord?> GetUserTaskAsync(Guid id, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_tasks.GetValueOrDefault(id));
        }
    }

    // Reads in memory cost nothing: the clocks are left to the module, which reads them only for an instance that keeps
    // clocks; nor is a decision choice kept here, so there is no stamp to read.
    public ValueTask<TaskWithInstance?> GetTaskWithInstanceAsync(Guid taskId, bool openClocks, bool decisionChoiceStamp, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_tasks.TryGetValue(taskId, out var task) ? new TaskWithInstance(task, _instances.GetValueOrDefault(task.InstanceId), null) : null);
        }
    }

    public ValueTask<IReadOnlyList<UserTaskRecord>> GetOpenUserTasksAsync(Guid instanceId, CancellationToken ct)
    {
        lock (_gate)
        {
            // Asked after every command by a caller driving an instance: a loop and an in-place sort, no query operators.
            if (!_openTasksByInstance.TryGetValue(instanceId, out var ids))
            {
                return new(Array.Empty<UserTaskRecord>());
            }

            // An array of the exact size: one object, not a list and its array.
            var result = new UserTaskRecord[ids.Count];
            var at = 0;
            foreach (var id in ids)
            {
                result[at++] = _tasks[id];
            }

            // Usually in order already; otherwise a stable sort, so that tasks created together keep their order.
            for (var i = 1; i < result.Length; i++)
            {
                if (result[i].CreatedAt < result[i - 1].CreatedAt)
                {
                    return new(result.OrderBy(t => t.CreatedAt).ToArray());
                }
            }

            return new(result);
        }
    }

    public ValueTask<IReadOnlyList<UserTaskRecord>> GetOpenUserTasksOfInstancesAsync(IReadOnlyCollection<Guid> instanceIds, CancellationToken ct)
    {
        lock (_gate)
        {
            var result = new List<UserTaskRecord>();
            foreach (var instanceId in instanceIds.Distinct())
            {
                if (_openTasksByInstance.TryGetValue(instanceId, out var ids))
                {
                    foreach (var id in ids)
                    {
                        result.Add(_tasks[id]);
                    }
                }
            }

            return new(result);
        }
    }

    public ValueTask<IReadOnlyList<UserTaskRecord>> QueryTasksAsync(TaskQuery query, TaskSortKey? after, int limit, CancellationToken ct)
    {
        var queues = TaskFilter.QueueKeys(query);
        lock (_gate)
        {
            // The query's ordered lists walked from the cursor, as a database walks its index: the page, not every open task.
            // Each task the filters are checked on is counted, as the lists count the keys they compare and read.
            IReadOnlyList<UserTaskRecord> page = _lists.Page(query, after, limit, OpenTasks(), id => _tasks[id], t =>
            {
                _tasksFiltered++;
                return TaskFilter.Matches(query, queues, t) && MatchesVariables(t.InstanceId, query.VariableConditions);
            });
            return new(page);
        }
    }

    private IEnumerable<UserTaskRecord> OpenTasks()
    {
        foreach (var ids in _openTasksByInstance.Values)
        {
            foreach (var id in ids)
            {
                yield return _tasks[id];
            }
        }
    }

    public async ValueTask<NextTaskIds> QueryNextTaskIdsAsync(TaskQuery query, int limit, string holder, int heldLimit, CancellationToken ct)
    {
        var held = new List<Guid>();
        lock (_gate)
        {
            foreach (var task in OpenTasks())
            {
                if (task.Assignee == holder && held.Count < heldLimit)
                {
                    held.Add(task.Id);
                }
            }
        }

        return new NextTaskIds(held, await QueryTaskIdsAsync(query, limit, ct).ConfigureAwait(false));
    }

    public async ValueTask<IReadOnlyList<Guid>> QueryTaskIdsAsync(TaskQuery query, int limit, CancellationToken ct)
    {
        var page = await QueryTasksAsync(query, null, limit, ct).ConfigureAwait(false);
        var ids = new List<Guid>(page.Count);
        foreach (var task in page)
        {
            ids.Add(task.Id);
        }

        return ids;
    }

    private void ApplyTasks(ChangeSet changes)
    {
        foreach (var t in changes.TasksCreated)
        {
            _tasks[t.Id] = t;
            CollectionsMarshal.GetValueRefOrAddDefault(_openTasksByInstance, t.InstanceId, out _).Add(t.Id);
            if (t.Status == TaskStatus.Open)
            {
                _lists.Add(t);
            }
        }

        // An update changes what the SQL store's update changes, and nothing else of the stored task.
        foreach (var task in changes.TasksUpdated)
        {
            if (_tasks.TryGetValue(task.Id, out var stored))
            {
                var updated = stored with
                {
                    Assignee = task.Assignee,
                    CandidateGroups = task.CandidateGroups,
                    CandidateUsers = task.CandidateUsers,
                    Priority = task.Priority,
                    Mark = task.Mark,
                };
                _tasks[task.Id] = updated;
                Listed(stored, updated);
            }
        }

        foreach (var (id, mark) in changes.TaskMarks)
        {
            if (_tasks.TryGetValue(id, out var task))
            {
                var marked = task with { Mark = mark };
                _tasks[id] = marked;
                Listed(task, marked);
            }
        }

        foreach (var (id, status) in changes.TasksClosed)
        {
            if (_tasks.TryGetValue(id, out var task))
            {
                _tasks[id] = task with { Status = status };
                if (task.Status == TaskStatus.Open)
                {
                    _lists.Remove(task);
                }

                // An instance with no open task keeps no entry: a finished instance would hold an empty one for ever.
                ref var open = ref CollectionsMarshal.GetValueRefOrNullRef(_openTasksByInstance, task.InstanceId);
                if (!Unsafe.IsNullRef(ref open) && open.Remove(id) && open.Count == 0)
                {
                    _openTasksByInstance.Remove(task.InstanceId);
                }
            }
        }
    }

    // An open task's entries in the ordered lists follow its change (a closed task has none).
    private void Listed(UserTaskRecord before, UserTaskRecord after)
    {
        if (before.Status == TaskStatus.Open)
        {
            _lists.Change(before, after);
        }
    }
}
