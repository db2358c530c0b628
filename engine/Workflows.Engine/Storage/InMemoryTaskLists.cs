namespace Workflows.Engine.Storage;

/// <summary>
/// The in-memory store's ordered lists of open tasks, the indexes the databases keep: per queue and claimed or not (the
/// queue index, <c>wf_task_queues</c>), per branch, per customer, and every open task, each in the order of a
/// <see cref="TaskSort"/>. A page walks the lists its query names from the cursor on and stops when it is full, so it
/// costs O(log n + page) for the filters the lists are kept by, as on a database.
/// </summary>
/// <remarks>
/// An order's lists are made the first time a page asks for that order, and kept from then on with every task written:
/// an engine whose tasks are read only by instance (a process driven by its caller, a test) pays nothing for lists
/// nobody reads. Filters no list is kept by (assignee, clock state, business key, due date, variables) are checked on
/// the tasks as the walk meets them, as a database checks them on the rows its index walk reads.
/// Not thread-safe: the store reads and writes them under its lock.
/// </remarks>
internal sealed class InMemoryTaskLists
{
    private readonly Order?[] _orders = new Order?[Enum.GetValues<TaskSort>().Length];

    /// <summary>
    /// The work the pages have done, for tests that count it rather than time it: keys compared while placing a walk at
    /// its cursor, and keys read by the walks.
    /// </summary>
    public long Steps { get; private set; }

    /// <summary>An open task was written.</summary>
    public void Add(UserTaskRecord task)
    {
        foreach (var order in _orders)
        {
            order?.Add(task);
        }
    }

    /// <summary>An open task is closed (or its entries are about to be written anew).</summary>
    public void Remove(UserTaskRecord task)
    {
        foreach (var order in _orders)
        {
            order?.Remove(task);
        }
    }

    /// <summary>An open task changed: its entries move when what they are kept by or sorted on changed.</summary>
    public void Change(UserTaskRecord before, UserTaskRecord after)
    {
        if ((before.Assignee is null) == (after.Assignee is null) && before.Branch == after.Branch && before.CustomerId == after.CustomerId
            && TaskSortKey.Of(before) == TaskSortKey.Of(after) && before.QueueKeys.SequenceEqual(after.QueueKeys))
        {
            return;
        }

        Remove(before);
        Add(after);
    }

    /// <summary>
    /// The first <paramref name="limit"/> open tasks of the query after <paramref name="after"/>, in its order, each once.
    /// </summary>
    /// <param name="query">The query.</param>
    /// <param name="after">The cursor: the sort key of the last task of the previous page.</param>
    /// <param name="limit">The most tasks to return.</param>
    /// <param name="openTasks">Every open task, read once when the query's order has no lists yet.</param>
    /// <param name="task">The task with an id the lists hold.</param>
    /// <param name="matches">The query's filters no list is kept by.</param>
    public List<UserTaskRecord> Page(TaskQuery query, TaskSortKey? after, int limit, IEnumerable<UserTaskRecord> openTasks, Func<Guid, UserTaskRecord> task, Func<UserTaskRecord, bool> matches)
    {
        var order = _orders[(int)query.Sort];
        if (order is null)
        {
            order = new Order(query.Sort);
            foreach (var open in openTasks)
            {
                order.Add(open);
            }

            _orders[(int)query.Sort] = order;
        }

        var steps = 0L;
        var readers = new List<OrderedTaskKeys.Reader>();
        foreach (var list in order.ListsOf(query))
        {
            readers.Add(list.ReadAfter(after, ref steps));
        }

        var page = new List<UserTaskRecord>(Math.Min(limit, 64));
        Guid? last = null;
        while (page.Count < limit)
        {
            // The least key at the head of the walks: a few walks (an agent's queues, claimed or not), so a scan of them.
            var least = -1;
            TaskSortKey leastKey = default;
            for (var i = 0; i < readers.Count; i++)
            {
                if (readers[i].TryPeek(out var key) && (least < 0 || TaskSortKey.Compare(key, leastKey, query.Sort) < 0))
                {
                    (least, leastKey) = (i, key);
                }
            }

            if (least < 0)
            {
                break;
            }

            var reader = readers[least];
            reader.Advance();
            readers[least] = reader;
            steps++;
            // A task offered in two of the queues has the same key in both walks, so its second entry comes right after its first.
            if (leastKey.Id != last)
            {
                last = leastKey.Id;
                var candidate = task(leastKey.Id);
                if (matches(candidate))
                {
                    page.Add(candidate);
                }
            }
        }

        Steps += steps;
        return page;
    }

    /// <summary>The lists of one order.</summary>
    private sealed class Order(TaskSort sort)
    {
        private readonly Dictionary<(string Queue, bool Claimed), OrderedTaskKeys> _byQueue = [];
        private readonly Dictionary<string, OrderedTaskKeys> _byBranch = new(StringComparer.Ordinal);
        private readonly Dictionary<string, OrderedTaskKeys> _byCustomer = new(StringComparer.Ordinal);
        private readonly OrderedTaskKeys _all = new(sort);

        public void Add(UserTaskRecord task)
        {
            var key = TaskSortKey.Of(task);
            _all.Add(key);
            if (task.Branch is { } branch)
            {
                List(_byBranch, branch).Add(key);
            }

            if (task.CustomerId is { } customer)
            {
                List(_byCustomer, customer).Add(key);
            }

            var claimed = task.Assignee is not null;
            foreach (var queue in Queues(task))
            {
                List(_byQueue, (queue, claimed)).Add(key);
            }
        }

        public void Remove(UserTaskRecord task)
        {
            var key = TaskSortKey.Of(task);
            _all.Remove(key);
            if (task.Branch is { } branch)
            {
                Remove(_byBranch, branch, key);
            }

            if (task.CustomerId is { } customer)
            {
                Remove(_byCustomer, customer, key);
            }

            var claimed = task.Assignee is not null;
            foreach (var queue in Queues(task))
            {
                Remove(_byQueue, (queue, claimed), key);
            }
        }

        /// <summary>
        /// The lists a query walks, as the SQL store chooses its index: each of its queues, claimed or not as the query
        /// asks; without a queue the customer's tasks, the branch's, or every open task.
        /// </summary>
        public IEnumerable<OrderedTaskKeys> ListsOf(TaskQuery query)
        {
            var queues = TaskFilter.QueueKeys(query);
            if (queues.Count == 0)
            {
                var list = query.CustomerId is { } customer ? _byCustomer.GetValueOrDefault(customer)
                    : query.Branch is { } branch ? _byBranch.GetValueOrDefault(branch)
                    : _all;
                return list is null ? [] : [list];
            }

            bool[] claimed = query.Unassigned switch
            {
                true => [false],
                false => [true],
                null => query.Assignee is not null ? [true] : [false, true],
            };
            var lists = new List<OrderedTaskKeys>();
            foreach (var queue in queues)
            {
                foreach (var c in claimed)
                {
                    if (_byQueue.TryGetValue((queue, c), out var list))
                    {
                        lists.Add(list);
                    }
                }
            }

            return lists;
        }

        // A task's queue keys, each once (a group named twice is one queue entry).
        private static IEnumerable<string> Queues(UserTaskRecord task) => task.QueueKeys.Distinct(StringComparer.Ordinal);

        private OrderedTaskKeys List<TKey>(Dictionary<TKey, OrderedTaskKeys> lists, TKey key)
            where TKey : notnull
        {
            if (!lists.TryGetValue(key, out var list))
            {
                lists[key] = list = new OrderedTaskKeys(sort);
            }

            return list;
        }

        // An emptied list is dropped: a queue, branch or customer with no open task keeps nothing.
        private static void Remove<TKey>(Dictionary<TKey, OrderedTaskKeys> lists, TKey key, TaskSortKey entry)
            where TKey : notnull
        {
            if (lists.TryGetValue(key, out var list) && list.Remove(entry) && list.Count == 0)
            {
                lists.Remove(key);
            }
        }
    }
}
