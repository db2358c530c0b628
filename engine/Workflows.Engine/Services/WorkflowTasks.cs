using System.Collections.Concurrent;
using System.Diagnostics;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Services;

/// <summary>User tasks: agents' queues and the commands on a task (claim, complete, delegate, move, comment).</summary>
/// <remarks>
/// Every change to a task goes through its instance, so the instance's row version picks one winner when two
/// agents act on the same task at once; the loser gets <see cref="WorkflowConflictException"/>. A task that is
/// no longer open refuses every change the same way. The <c>user</c> of a command is recorded in the history;
/// this service does not check who may act on which task: the host authorizes before it calls.
/// </remarks>
public sealed class WorkflowTasks
{
    private readonly CommandRunner _runner;

    // The tasks this engine's agents are claiming at this moment (each is in here while its claim runs).
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> _picking = new();

    // The tasks this engine's agents claimed lately, with when (Stopwatch ticks): a candidate page read before such a
    // claim committed still shows its task free. Forgotten after s_claimMemory; _forgetAt is when next to look.
    private readonly ConcurrentDictionary<Guid, long> _claimed = new();
    private long _forgetAt;

    internal WorkflowTasks(CommandRunner runner) => _runner = runner;

    private IWorkflowStore Store => _runner.Store;

    /// <summary>One user task, open or closed.</summary>
    /// <exception cref="WorkflowNotFoundException">No such task.</exception>
    public async Task<UserTaskInfo> GetAsync(Guid taskId, CancellationToken cancellationToken = default)
    {
        var task = await Store.GetUserTaskAsync(taskId, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"user task {taskId} does not exist");
        return InfoMapper.ToInfo(task);
    }

    /// <summary>The open user tasks of an instance.</summary>
    public async Task<IReadOnlyList<UserTaskInfo>> GetOpenAsync(Guid instanceId, CancellationToken cancellationToken = default)
    {
        var tasks = await Store.GetOpenUserTasksAsync(instanceId, cancellationToken).ConfigureAwait(false);
        return InfoMapper.Readable(tasks, _runner.Core.Log);
    }

    /// <summary>A page of open tasks: an agent's queues, a supervisor's branch, a customer's requests.</summary>
    /// <exception cref="WorkflowInputException">The page size is out of range, or the cursor is not one of this order.</exception>
    public async Task<TaskPage> QueryAsync(TaskQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.PageSize is < 1 or > 500)
        {
            throw new WorkflowInputException($"the page size must be from 1 to 500, not {query.PageSize}");
        }

        var after = query.Cursor is null ? (TaskSortKey?)null : TaskSortKey.FromCursor(query.Cursor, query.Sort);
        query = query with { VariableConditions = await Search.SearchFilters.ResolveAsync(_runner, null, query.Variables, cancellationToken).ConfigureAwait(false) };
        var rows = await Store.QueryTasksAsync(query, after, query.PageSize + 1, cancellationToken).ConfigureAwait(false);
        var page = rows.Take(query.PageSize).ToList();
        var next = rows.Count > query.PageSize ? TaskSortKey.Of(page[^1]).ToCursor(query.Sort) : null;
        return new TaskPage(InfoMapper.Readable(page, _runner.Core.Log), next);
    }

    /// <summary>Completes a user task with the variables the agent entered.</summary>
    /// <exception cref="WorkflowNotFoundException">No such task.</exception>
    /// <exception cref="WorkflowConflictException">The task was already completed or cancelled, or another user holds it.</exception>
    /// <exception cref="TaskFormException">The variables do not fit the task's form; nothing changed.</exception>
    public Task CompleteAsync(Guid taskId, IReadOnlyDictionary<string, object?>? variables = null, string? actor = null, CancellationToken cancellationToken = default)
    {
        var values = _runner.Variables(variables);
        return CompleteTaskAsync(taskId, _ => values, actor, cancellationToken);
    }

    /// <summary>
    /// Completes a user task with the variables <paramref name="answer"/> gives for it, once it has accepted the task as
    /// the command reads it: a caller that must check the task first (who may complete it, which fields its form has)
    /// checks the row the command acts on, without a read of its own.
    /// </summary>
    /// <param name="taskId">The task.</param>
    /// <param name="answer">
    /// Given the task, refuses it by throwing (nothing is written, and the exception is the command's), or returns the
    /// variables to complete it with. It sees the task before the task is found closed or held by another user, so that a
    /// caller who may not see the task learns nothing of its state; it may run again when the command is retried.
    /// </param>
    /// <param name="actor">Who completes the task.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <exception cref="WorkflowNotFoundException">No such task.</exception>
    /// <exception cref="WorkflowConflictException">The task was already completed or cancelled, or another user holds it.</exception>
    /// <exception cref="TaskFormException">The variables do not fit the task's form; nothing changed.</exception>
    public Task CompleteCheckedAsync(Guid taskId, Func<UserTaskInfo, IReadOnlyDictionary<string, object?>?> answer, string? actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return CompleteTaskAsync(taskId, located => _runner.Variables(answer(InfoMapper.ToInfo(located))), actor, cancellationToken);
    }

    private Task CompleteTaskAsync(Guid taskId, Func<UserTaskRecord, Feel.FeelContext> answer, string? actor, CancellationToken cancellationToken) =>
        _runner.ExecuteAsync(async execution =>
        {
            Feel.FeelContext? values = null;
            var (instance, task) = await _runner.LoadOpenTaskAsync(execution, taskId, cancellationToken, accept: located => values = answer(located)).ConfigureAwait(false);
            if (task.Assignee is not null && actor is not null && task.Assignee != actor)
            {
                throw new WorkflowConflictException($"user task {taskId} is claimed by {task.Assignee}, not {actor}");
            }

            values ??= answer(task); // (the load has accepted the row it read first: done by now)
            TaskForm.Validate(task, values);
            execution.Actor = actor;
            if (task.ElementKey == 0)
            {
                // A task the engine opened outside the model (a recovery task): its answers become process variables.
                execution.Changes.TasksClosed.Add((taskId, Storage.TaskStatus.Completed));
                foreach (var (name, value) in values)
                {
                    Runtime.VariableScopes.SetProcessVariable(instance, name, value);
                }

                execution.History(instance, HistoryKind.TaskCompleted, task.ElementId, null, taskId.ToString());
                return true;
            }

            var element = CommandRunner.TaskOwner(instance, task);
            execution.History(instance, HistoryKind.TaskCompleted, task.ElementId, element.Key, taskId.ToString());
            execution.EnqueueComplete(instance, element.Key, values.Copy());
            return true;
        }, cancellationToken, name: "CompleteUserTask");

    /// <summary>Takes an open task for <paramref name="user"/>; taking one's own task again changes nothing.</summary>
    /// <exception cref="WorkflowConflictException">Another user holds the task, or it is no longer open.</exception>
    public Task ClaimAsync(Guid taskId, string user, CancellationToken cancellationToken = default) =>
        UpdateAsync(taskId, user, HistoryKind.TaskClaimed, null, task => task.Assignee is null || task.Assignee == user
            ? task with { Assignee = user }
            : throw new WorkflowConflictException($"user task {taskId} is already claimed by {task.Assignee}"), cancellationToken);

    /// <summary>
    /// An agent's next task: an open task of <paramref name="queues"/> (or offered to the user by name) that
    /// <paramref name="user"/> already holds, the most urgent first; else the best unclaimed one, claimed for the user as
    /// <see cref="ClaimNextAsync"/> does.
    /// </summary>
    /// <remarks>
    /// A task the agent holds comes back first so that none stays stranded: an agent whose completion was cut off after
    /// the claim (its client died) would otherwise keep the task claimed while being handed new ones, and nobody else
    /// would ever be offered it. The store keeps no claim time, so held tasks come back in the queues' own order. It costs
    /// one probe of the index of open tasks' assignees, read with the claim's first page of candidates (one session on
    /// SQLite, one round trip on a server; it usually finds none), and a read of each task held.
    /// </remarks>
    /// <param name="user">Who works the task.</param>
    /// <param name="queues">The agent's queues.</param>
    /// <param name="branch">Only tasks of this branch, when given (an agent of one branch).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The task held or claimed, or null when the agent holds none and the queues are empty.</returns>
    /// <exception cref="WorkflowConflictException">As <see cref="ClaimNextAsync"/>.</exception>
    public async Task<UserTaskInfo?> NextAsync(string user, IReadOnlyList<string> queues, string? branch = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        ArgumentNullException.ThrowIfNull(queues);
        return await ClaimBestAsync(user, queues, branch, handBack: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Claims the best unclaimed task of <paramref name="queues"/> (and of those offered to the user by name)
    /// for <paramref name="user"/>: breached first, then least SLA time left, then priority, then age.
    /// Agents pulling at once each get a different task: each takes the best one no other agent of this engine is
    /// claiming at that moment.
    /// </summary>
    /// <remarks>Tasks the user already holds are not looked at: <see cref="NextAsync"/> hands those back first.</remarks>
    /// <param name="user">Who claims.</param>
    /// <param name="queues">The agent's queues.</param>
    /// <param name="branch">Only tasks of this branch, when given (an agent of one branch).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The claimed task, or null when the queues are empty.</returns>
    /// <exception cref="WorkflowConflictException">So many agents pull at once that no task could be claimed in 100 rounds; try again.</exception>
    public async Task<UserTaskInfo?> ClaimNextAsync(string user, IReadOnlyList<string> queues, string? branch = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        ArgumentNullException.ThrowIfNull(queues);
        return await ClaimBestAsync(user, queues, branch, handBack: false, cancellationToken).ConfigureAwait(false);
    }

    // ClaimNextAsync's claim; with handBack (NextAsync), a task the user holds first, looked for in the first page's read.
    private async Task<UserTaskInfo?> ClaimBestAsync(string user, IReadOnlyList<string> queues, string? branch, bool handBack, CancellationToken cancellationToken)
    {
        var query = new TaskQuery { Queues = queues, CandidateUser = user, Unassigned = true, Sort = TaskSort.SlaTimeLeft, Branch = branch };
        // The tasks this call failed to claim: taken by another agent meanwhile, or of an instance that cannot be run
        // (its stored state unreadable, the task no longer its element's). None is tried again in this call, and the page
        // reaches past them, so a few broken tasks at the head of the queue do not keep every agent from the others.
        var failed = new HashSet<Guid>();
        for (var round = 0; ; round++)
        {
            if (round == 100)
            {
                // Each round loses every candidate only to other agents' claims; so many in a row means a
                // crowd far larger than the queue's head, or tasks that cannot be claimed: say so.
                throw new WorkflowConflictException($"no task of {string.Join(", ", queues)} could be claimed in {round} tries; try again");
            }

            // Past the tasks other agents of this engine are claiming right now, so the page reaches the ones free for this agent.
            var page = 8 + _picking.Count + failed.Count;
            var asked = Stopwatch.GetTimestamp();
            IReadOnlyList<Guid> candidates;
            if (handBack)
            {
                handBack = false;
                var read = await Store.QueryNextTaskIdsAsync(query, page, user, HeldTasksRead, cancellationToken).ConfigureAwait(false);
                if (read.Held.Count > 0 && await HeldAsync(read.Held, query with { Unassigned = false, Assignee = user }, cancellationToken).ConfigureAwait(false) is { } held)
                {
                    return held;
                }

                candidates = read.Page;
            }
            else
            {
                candidates = await Store.QueryTaskIdsAsync(query, page, cancellationToken).ConfigureAwait(false);
            }

            if (PageRead is { } pageRead)
            {
                await pageRead(candidates).ConfigureAwait(false);
            }

            if (candidates.All(failed.Contains) && candidates.Count < page)
            {
                return null; // nothing left in the queue that this call has not failed to claim
            }

            // The best task no other agent of this engine is claiming: agents pulling at once take the head of the queue
            // in SLA order, each a different task, instead of all chasing the best one and all but one losing the race.
            // (An agent of another node may still take the same task first; the instance's row version says who won,
            // and the loser goes on down its page.)
            List<Task>? others = null;
            var tried = false;
            foreach (var candidate in candidates)
            {
                if (failed.Contains(candidate))
                {
                    continue;
                }

                var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (_picking.GetOrAdd(candidate, mine) is var holder && holder != mine)
                {
                    (others ??= []).Add(holder.Task);
                    continue;
                }

                try
                {
                    if (ClaimedSince(candidate, asked))
                    {
                        // Claimed here after the page was read: the page still shows it free, the row no longer does.
                        failed.Add(candidate);
                        continue;
                    }

                    tried = true;
                    if (await TryClaimAsync(candidate, user, query, cancellationToken).ConfigureAwait(false) is { } claimed)
                    {
                        return claimed;
                    }

                    failed.Add(candidate);
                }
                finally
                {
                    _picking.TryRemove(candidate, out _);
                    mine.TrySetResult();
                }
            }

            if (!tried && others is not null)
            {
                // Every task in sight is being claimed by another agent here: wait for one of those claims to end (a claim
                // that fails leaves its task free), then look again; this round did not lose a race.
                await Task.WhenAny(others).WaitAsync(cancellationToken).ConfigureAwait(false);
                round--;
            }
        }
    }

    // How many of the tasks an agent holds are looked at for one it can be handed back: an agent works a few at a time.
    private const int HeldTasksRead = 64;

    // The most urgent open task of the queues asked that the agent holds and can work. The tasks it holds anywhere are few
    // (what it is working on), found by the index of open tasks' assignees; each is read again, since a completion may have
    // closed it. One whose instance cannot be run (its stored state unreadable, the task no longer its element's) is passed
    // over, as the claim of a new task passes over it: handed back, it could be neither completed nor given back, and the
    // agent would get it at every pull while the queue's other tasks wait.
    private async Task<UserTaskInfo?> HeldAsync(IReadOnlyList<Guid> heldIds, TaskQuery held, CancellationToken cancellationToken)
    {
        var tasks = new List<UserTaskRecord>();
        foreach (var id in heldIds)
        {
            if (await Store.GetUserTaskAsync(id, cancellationToken).ConfigureAwait(false) is { Problem: null } task && TaskFilter.Matches(held, task))
            {
                tasks.Add(task);
            }
        }

        tasks.Sort((x, y) => TaskSortKey.Compare(TaskSortKey.Of(x), TaskSortKey.Of(y), held.Sort));
        foreach (var task in tasks)
        {
            if (await WorkableAsync(task, cancellationToken).ConfigureAwait(false))
            {
                return InfoMapper.ToInfo(task);
            }
        }

        return null;
    }

    // Whether the task's instance can be read and still holds the task's element: what a command on the task needs.
    private async Task<bool> WorkableAsync(UserTaskRecord task, CancellationToken cancellationToken)
    {
        if (await Store.GetInstanceAsync(task.InstanceId, cancellationToken).ConfigureAwait(false) is not { } record)
        {
            return false;
        }

        try
        {
            return InstanceStateReader.Read(record, definition: null, variablesUnread: true).Elements.ContainsKey(task.ElementKey);
        }
        catch (InstanceStateUnreadableException)
        {
            return false;
        }
    }

    /// <summary>Gives a claimed task back to its queues.</summary>
    /// <exception cref="WorkflowConflictException">Another user holds the task.</exception>
    public Task UnclaimAsync(Guid taskId, string user, CancellationToken cancellationToken = default) =>
        UpdateAsync(taskId, user, HistoryKind.TaskUnclaimed, null, task => task.Assignee is null || task.Assignee == user
            ? task with { Assignee = null }
            : throw new WorkflowConflictException($"user task {taskId} is claimed by {task.Assignee}, not {user}"), cancellationToken);

    /// <summary>Hands a task from <paramref name="user"/> (who holds it, or nobody does) to <paramref name="delegateTo"/>.</summary>
    /// <exception cref="WorkflowConflictException">Another user holds the task.</exception>
    public Task DelegateAsync(Guid taskId, string user, string delegateTo, CancellationToken cancellationToken = default)
    {
        StorableText.Check(delegateTo, "delegateTo");
        return UpdateAsync(taskId, user, HistoryKind.TaskDelegated, delegateTo, task => task.Assignee is null || task.Assignee == user
            ? task with { Assignee = delegateTo }
            : throw new WorkflowConflictException($"user task {taskId} is claimed by {task.Assignee}, not {user}"), cancellationToken);
    }

    /// <summary>Moves a task to another queue, unassigned.</summary>
    public Task MoveAsync(Guid taskId, string queue, string user, CancellationToken cancellationToken = default)
    {
        StorableText.Check(queue, "queue");
        return UpdateAsync(taskId, user, HistoryKind.TaskMoved, queue, task => task with { CandidateGroups = [queue], Assignee = null }, cancellationToken);
    }

    /// <summary>Adds a comment to a task's history.</summary>
    public Task CommentAsync(Guid taskId, string user, string comment, CancellationToken cancellationToken = default)
    {
        StorableText.Check(comment, "comment");
        return UpdateAsync(taskId, user, HistoryKind.TaskComment, comment, task => task, cancellationToken);
    }

    /// <summary>Called with each candidate page next-task reads, before it claims from it: tests change a task in between.</summary>
    internal Func<IReadOnlyList<Guid>, Task>? PageRead { get; set; }

    private async Task<UserTaskInfo?> TryClaimAsync(Guid taskId, string user, TaskQuery query, CancellationToken cancellationToken)
    {
        // No read of the row first: the page was read just now, and a claim this engine made since is known here
        // (ClaimedSince). Another node's claim meanwhile is found by the command, on the row it reads after the instance,
        // and so is a task moved meanwhile to a queue the agent does not work: the row must still be one the page's
        // query would find (its queues, its branch, unclaimed), or the agent would be handed another queue's task.
        try
        {
            var claimed = await UpdateAsync(taskId, user, HistoryKind.TaskClaimed, "next task", task => task.Assignee is not null
                ? throw new WorkflowConflictException($"user task {task.Id} is already claimed by {task.Assignee}")
                : !TaskFilter.Matches(query, task)
                ? throw new WorkflowConflictException($"user task {task.Id} is no longer one of {string.Join(", ", TaskFilter.QueueKeys(query))}{(query.Branch is { } branch ? $" in branch {branch}" : "")}")
                : task with { Assignee = user }, cancellationToken).ConfigureAwait(false);
            Claimed(taskId);
            return InfoMapper.ToInfo(claimed);
        }
        catch (WorkflowException e) when (e is WorkflowConflictException or WorkflowNotFoundException)
        {
            return null;
        }
    }

    // How long a claim of this engine is remembered: longer than any page read and the claims tried after it take.
    private static readonly long s_claimMemory = Stopwatch.Frequency * 30;

    /// <summary>
    /// Remembers a claim this engine committed, with when (before the task leaves <see cref="_picking"/>, so that an
    /// agent that finds it no longer being claimed finds it here).
    /// </summary>
    private void Claimed(Guid taskId)
    {
        var now = Stopwatch.GetTimestamp();
        _claimed[taskId] = now;
        if (now > Volatile.Read(ref _forgetAt) && Interlocked.Exchange(ref _forgetAt, now + s_claimMemory) < now)
        {
            foreach (var (id, at) in _claimed)
            {
                if (now - at > s_claimMemory)
                {
                    _claimed.TryRemove(new KeyValuePair<Guid, long>(id, at));
                }
            }
        }
    }

    /// <summary>Whether this engine claimed the task since <paramref name="timestamp"/>.</summary>
    private bool ClaimedSince(Guid taskId, long timestamp) => _claimed.TryGetValue(taskId, out var at) && at >= timestamp;

    // One path for every task change: through the instance, so that its row version picks one winner.
    private Task<UserTaskRecord> UpdateAsync(Guid taskId, string user, HistoryKind historyKind, string? detail, Func<UserTaskRecord, UserTaskRecord> change, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        StorableText.Check(user, "user"); // stored as the task's assignee or the history's actor
        return _runner.ExecuteAsync(async execution =>
        {
            var (instance, task) = await _runner.LoadOpenTaskAsync(execution, taskId, cancellationToken, clocks: false).ConfigureAwait(false);
            long? elementKey = task.ElementKey == 0 ? null : CommandRunner.TaskOwner(instance, task).Key;
            var updated = change(task);
            if (!ReferenceEquals(updated, task))
            {
                execution.Changes.UpdateTask(updated, task);
            }

            execution.Actor = user;
            execution.History(instance, historyKind, task.ElementId, elementKey, detail);
            // The task's row and its history change, nothing of the instance's state (and no token runs): its commit moves
            // the row version alone, which still picks one winner among agents, instead of writing the state again.
            instance.StateUnchanged = true;
            return updated;
        }, cancellationToken, runTokens: false, name: "UpdateTask");
    }
}
