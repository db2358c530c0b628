using Workflows.Engine.Feel;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Runtime;

/// <summary>
/// The command's unit of work: the instances it loaded or created, the effects it collected in its
/// <see cref="ChangeSet"/>, and the one commit that writes them.
/// </summary>
internal sealed class UnitOfWork
{
    private readonly EngineCore _engine;
    private readonly Execution _execution;
    private readonly CancellationToken _ct;
    private LoadedInstances _instances; // a mutable struct: never copied
    private Dictionary<Guid, UserTaskRecord>? _preloadedTasks; // only a command that preloads has them
    private int _createdRoots;
    private List<ProcessInstanceStatus>? _endedInstances;

    public UnitOfWork(EngineCore engine, Execution execution, CancellationToken ct)
    {
        _engine = engine;
        _execution = execution;
        _ct = ct;
        Now = engine.Time.GetUtcNow();
    }

    public ChangeSet Changes { get; } = new();

    public DateTimeOffset Now { get; }

    public string? Actor { get; set; }

    /// <summary>
    /// The stamp decision choices are kept by, read with the command's task (<see cref="TaskWithInstance.DecisionChoiceStamp"/>);
    /// null when the command read none. The first read is kept: the command's business rule tasks then decide on the rows
    /// as they stood no later than its first read, which its commit does not guard either way.
    /// </summary>
    public long? DecisionChoiceStamp { get; set; }

    /// <summary>The end states of the instances this command ended, for metrics after the commit.</summary>
    /// <remarks>Made on first use: most commands end no instance.</remarks>
    public List<ProcessInstanceStatus> EndedInstances => _endedInstances ??= [];

    /// <summary>The <see cref="EndedInstances"/>, null when the command ended none (read without making the list).</summary>
    public List<ProcessInstanceStatus>? EndedInstancesIfAny => _endedInstances;

    /// <summary>Every instance this command loaded or created.</summary>
    /// <remarks>A struct whose enumerator is a struct: the token loop walks it between steps.</remarks>
    public LoadedInstanceSet Instances => _instances.All;

    // ---------------------------------------------------------------- loading

    public async ValueTask<LoadedInstance> LoadAsync(Guid instanceId)
    {
        if (_instances.TryGetValue(instanceId, out var loaded))
        {
            return loaded;
        }

        // Modules read their rows after the instance, so that its row version covers what they say: the open clocks in
        // the same round trip where the store can.
        var (record, openClocks) = await _engine.Store.GetInstanceWithClocksAsync(instanceId, ModulesReadOpenClocks, _ct).ConfigureAwait(false);
        return await AdoptReadAsync(instanceId, record, openClocks).ConfigureAwait(false);
    }

    /// <summary>Whether a module wants the instance's open clocks read with it, where a store read can (<see cref="AdoptReadAsync"/>).</summary>
    public bool ModulesReadOpenClocks
    {
        get
        {
            foreach (var module in _engine.Modules)
            {
                if (module.ReadsOpenClocks)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// The instance of <paramref name="instanceId"/> from its row as read (with a task's, in one statement, or alone), as
    /// <see cref="LoadAsync"/> loads it; its open clocks, read after it (null when the store left them unread), go to the
    /// modules that asked for them, and the others read their rows now. An instance this command loaded already is kept:
    /// the row read with it is later, and decides nothing. With <paramref name="clocksUnused"/> (a command that runs no token
    /// and changes no clock) no module reads them: those that would are handed none; and the process variables are checked
    /// but kept as stored, read only if something asks for them (<see cref="StoredVariables"/>).
    /// </summary>
    /// <exception cref="WorkflowNotFoundException">The row was not there.</exception>
    public async ValueTask<LoadedInstance> AdoptReadAsync(Guid instanceId, InstanceRecord? record, IReadOnlyList<ServiceLevels.SlaClockRecord>? openClocks, bool clocksUnused = false)
    {
        if (_instances.TryGetValue(instanceId, out var loaded))
        {
            return loaded;
        }

        if (record is null)
        {
            throw new WorkflowNotFoundException($"process instance {instanceId} does not exist");
        }

        // A command that runs no token reads no variable either: they are kept as stored (StoredVariables), unread.
        var adopted = Adopt(record, await DefinitionOfAsync(record).ConfigureAwait(false), variablesUnread: clocksUnused);
        foreach (var module in _engine.Modules)
        {
            if (clocksUnused || (openClocks is not null && module.ReadsOpenClocks))
            {
                await module.OnLoadedAsync(adopted, clocksUnused ? [] : openClocks!, _ct).ConfigureAwait(false);
            }
            else
            {
                await module.OnLoadedAsync(adopted, _ct).ConfigureAwait(false);
            }
        }

        return adopted;
    }

    /// <summary>The instances this command passed over because their stored state cannot be read (see <see cref="TryLoadAsync"/>).</summary>
    public List<InstanceStateUnreadableException> Unreadable { get; } = [];

    /// <summary>
    /// The instance, or null when its stored state cannot be read: for a command that goes over many instances (a
    /// message's subscribers, a signal's), one unreadable instance is passed over, kept in <see cref="Unreadable"/> for
    /// its incident, and the command goes on with the others.
    /// </summary>
    public async ValueTask<LoadedInstance?> TryLoadAsync(Guid instanceId)
    {
        try
        {
            return await LoadAsync(instanceId).ConfigureAwait(false);
        }
        catch (InstanceStateUnreadableException unreadable)
        {
            Unreadable.Add(unreadable);
            return null;
        }
    }

    /// <summary>
    /// An instance whose stored state cannot be read, as far as its row tells (process, version, business key, status, no
    /// element): only an operator's cancel by its rows (<see cref="Services.UnreadableInstances"/>) takes one. Its stored
    /// state is written back as it was; the modules read their rows for it as for any instance.
    /// </summary>
    public async ValueTask<LoadedInstance> AdoptUnreadableAsync(InstanceRecord record)
    {
        var definition = await DefinitionOrStandInAsync(record).ConfigureAwait(false);
        var state = InstanceStateSerializer.FromRow(record);
        state.NextKey = InstanceState.RootKey + 1;
        state.Variables = new FeelContext();
        var loaded = new LoadedInstance(state, definition, record.RowVersion)
        {
            Parties = (record.Branch, record.CustomerId),
            StoredState = record.State,
            StoredIndexedColumns = (record.EndedAt, record.Branch, record.CustomerId),
        };
        loaded.BudgetRoot = loaded;
        loaded.WasActive = record.Status == ProcessInstanceStatus.Active;
        _execution.InFlight?.Add(record.Id);
        _instances.Put(record.Id, loaded);
        foreach (var module in _engine.Modules)
        {
            await module.OnLoadedAsync(loaded, _ct).ConfigureAwait(false);
        }

        return loaded;
    }

    // An instance whose version no longer reads cannot be run either: it is met as unreadable (its incident raised, its
    // work parked), so that a worker's round goes on with the others.
    private async ValueTask<ProcessDefinition> DefinitionOfAsync(InstanceRecord record)
    {
        try
        {
            return await _engine.Definitions.GetAsync(record.DefinitionId, _ct).ConfigureAwait(false);
        }
        catch (DefinitionUnreadableException unreadable)
        {
            throw new InstanceStateUnreadableException(record.Id, unreadable.Message);
        }
        catch (WorkflowNotFoundException)
        {
            // Its row names a version that is gone (deleted or changed outside the engine): refused for this instance
            // alone, so that a message or signal passes over it to the others instead of failing as a whole.
            throw new InstanceStateUnreadableException(record.Id, MissingDefinition(record));
        }
    }

    internal static string MissingDefinition(InstanceRecord record) =>
        $"its definition {record.DefinitionId} (version {record.Version} of process '{record.ProcessId}') does not exist";

    // A cancel by the rows runs nothing of the model: when the version is gone or no longer reads, an empty process of
    // the same id stands in for it (for the row and the modules), so that the instance can still be cancelled.
    private async ValueTask<ProcessDefinition> DefinitionOrStandInAsync(InstanceRecord record)
    {
        try
        {
            return await _engine.Definitions.GetAsync(record.DefinitionId, _ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WorkflowNotFoundException or DefinitionUnreadableException)
        {
            var xml = $"""<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="rows"><bpmn:process id="{System.Security.SecurityElement.Escape(record.ProcessId)}" isExecutable="true"/></bpmn:definitions>""";
            var (document, _) = Model.BpmnParser.Parse(xml);
            var process = document?.Processes.FirstOrDefault() ?? throw new InvalidOperationException($"no stand-in process could be made for '{record.ProcessId}'", e);
            return new ProcessDefinition(new DefinitionRecord(record.DefinitionId, record.ProcessId, record.Version, null, "", xml, Guid.Empty, record.StartedAt, null), document, process);
        }
    }

    private LoadedInstance Adopt(InstanceRecord record, ProcessDefinition definition, bool variablesUnread = false)
    {
        var state = _engine.ParsedStates?.Take(record) ?? InstanceStateReader.Read(record, definition, variablesUnread);
        var loaded = new LoadedInstance(state, definition, record.RowVersion)
        {
            Parties = (record.Branch, record.CustomerId),
            StoredIndexedColumns = (record.EndedAt, record.Branch, record.CustomerId),
            ReadState = record.State,
        };
        loaded.BudgetRoot = loaded;
        loaded.WasActive = record.Status == ProcessInstanceStatus.Active;
        _execution.InFlight?.Add(record.Id);

        _instances.Put(record.Id, loaded);
        return loaded;
    }

    /// <summary>Loads several instances (with their open tasks, and the modules' rows) in a few reads, for a command that touches many.</summary>
    public async ValueTask PreloadAsync(IReadOnlyCollection<Guid> instanceIds)
    {
        var missing = instanceIds.Where(id => !_instances.ContainsKey(id)).Distinct().ToList();
        if (missing.Count == 0)
        {
            return;
        }

        var records = await _engine.Store.GetInstancesAsync(missing, _ct).ConfigureAwait(false);
        foreach (var task in await _engine.Store.GetOpenUserTasksOfInstancesAsync(missing, _ct).ConfigureAwait(false))
        {
            (_preloadedTasks ??= [])[task.Id] = task;
        }

        var adopted = new List<LoadedInstance>(records.Count);
        foreach (var record in records)
        {
            adopted.Add(Adopt(record, await DefinitionOfAsync(record).ConfigureAwait(false)));
        }

        foreach (var module in _engine.Modules)
        {
            await module.OnLoadedAsync(adopted, _ct).ConfigureAwait(false);
        }
    }

    /// <summary>The open tasks of an element instance and of everything inside it, as this command left them.</summary>
    public async ValueTask<List<UserTaskRecord>> OpenTasksUnderAsync(LoadedInstance instance, long key)
    {
        var tasks = new List<UserTaskRecord>();
        foreach (var element in instance.State.Elements.Values)
        {
            if (element.TaskId is { } taskId && ElementTree.IsWithin(instance.State, element, key)
                && (Changes.ChangedTask(taskId) ?? _preloadedTasks?.GetValueOrDefault(taskId) ?? await _engine.Store.GetUserTaskAsync(taskId, _ct).ConfigureAwait(false)) is { Status: Storage.TaskStatus.Open } task)
            {
                tasks.Add(task);
            }
        }

        return tasks;
    }

    // ---------------------------------------------------------------- new instances

    public LoadedInstance CreateInstance(ProcessDefinition definition, string? businessKey, FeelContext variables, Guid? parentInstanceId = null, long? parentElementKey = null)
    {
        var state = new InstanceState
        {
            Id = RowIds.NewId(Now),
            ProcessId = definition.Process.Id,
            DefinitionId = definition.Id,
            Version = definition.Record.Version,
            BusinessKey = businessKey,
            Status = ProcessInstanceStatus.Active,
            StartedAt = Now,
            ParentInstanceId = parentInstanceId,
            ParentElementKey = parentElementKey,
            NextKey = InstanceState.RootKey + 1,
            Variables = variables,
        };
        var root = new ElementInstance { Key = InstanceState.RootKey, ElementId = definition.Process.Id, Variables = state.Variables };
        state.Elements[root.Key] = root;
        var instance = new LoadedInstance(state, definition, 0);
        if (parentInstanceId is { } parentId && _instances.TryGetValue(parentId, out var parent))
        {
            instance.BudgetRoot = parent.BudgetRoot;
        }
        else
        {
            instance.BudgetRoot = instance;
            instance.CreatedOrdinal = _createdRoots++;
        }

        _instances.Put(state.Id, instance);
        History(instance, HistoryKind.InstanceStarted, null, null, businessKey);
        return instance;
    }

    // ---------------------------------------------------------------- history and commit

    public void History(LoadedInstance instance, HistoryKind kind, string? elementId, long? elementKey, string? detail = null) =>
        Changes.History.Add(new HistoryRecord(instance.Id, Now, kind.Value, elementId, elementKey, Actor, StorableText.Diagnostic(detail)));

    public async ValueTask CommitAsync()
    {
        foreach (var listener in _execution.Listeners)
        {
            listener.OnCommitting(Instances);
        }

        foreach (var instance in _instances.All)
        {
            var s = instance.State;
            // Read from the process scope while it lives (its variables may have changed them); an ended instance keeps the last,
            // and one whose state this command left as it was keeps the ones its row holds.
            if (!instance.StateUnchanged && s.Elements.TryGetValue(InstanceState.RootKey, out var root))
            {
                KeepParties(instance, root);
            }

            var parties = instance.Parties;
            var unchanged = instance is { StateUnchanged: true, ReadState: not null };
            var record = new InstanceRecord(
                s.Id, s.ProcessId, s.DefinitionId, s.Version, s.BusinessKey, s.Status, instance.OriginalRowVersion + 1,
                s.StartedAt, s.EndedAt, s.ParentInstanceId, instance.StoredState ?? (unchanged ? KeptState(instance) : InstanceStateSerializer.Serialize(s)))
            {
                Branch = parties.Branch,
                CustomerId = parties.CustomerId,
            };
            Changes.Instances.Add(new InstanceWrite(record, instance.OriginalRowVersion)
            {
                IndexedColumnsChanged = instance.StoredIndexedColumns is not { } stored || stored != (record.EndedAt, record.Branch, record.CustomerId),
                StateUnchanged = unchanged,
            });
        }

        // On the caller's token: an instance ended by another command meanwhile makes this commit a conflict, not a half-written one.
        await _engine.Store.CommitAsync(Changes, _execution.InFlight?.Outer ?? _ct).ConfigureAwait(false);

        foreach (var instance in _instances.All)
        {
            if (instance.WasActive && instance.State.Status != ProcessInstanceStatus.Active)
            {
                _engine.InFlight.Ended(instance.Id); // work still running for it here stops and retries on the ended state
            }
        }

        if (_engine.ParsedStates is { } parsed)
        {
            KeepParsed(parsed);
        }
    }

    // The last use of the states: the next command on an instance takes its state as committed (InMemoryParsedStates).
    private void KeepParsed(InMemoryParsedStates parsed)
    {
        foreach (var write in Changes.Instances)
        {
            if (_instances.TryGetValue(write.Record.Id, out var instance) && instance.StoredState is null)
            {
                parsed.Keep(write.Record.State, instance.State);
            }
        }
    }

    /// <summary>The state as it was read, for a command that changed nothing in it (<see cref="LoadedInstance.StateUnchanged"/>).</summary>
    private static byte[] KeptState(LoadedInstance instance)
    {
#if DEBUG
        // The tests' builds check the command's word: the state it leaves must be the state read. Compared as states (each
        // serialized by this version), not as bytes: the bytes read may be another format's, or spaced otherwise.
        var read = InstanceStateSerializer.Deserialize(new InstanceRecord(instance.Id, instance.State.ProcessId, instance.State.DefinitionId,
            instance.State.Version, instance.State.BusinessKey, instance.State.Status, instance.OriginalRowVersion, instance.State.StartedAt,
            instance.State.EndedAt, instance.State.ParentInstanceId, instance.ReadState!), instance.Definition);
        if (!InstanceStateSerializer.Serialize(read).AsSpan().SequenceEqual(InstanceStateSerializer.Serialize(instance.State)))
        {
            throw new InvalidOperationException($"instance {instance.Id}: a command said it left the state unchanged, but the state differs from the one read");
        }
#endif
        return instance.ReadState!;
    }

    /// <summary>
    /// Reads the instance's branch and customer from its process scope (wf:journey): at each commit while the scope lives,
    /// and as the scope leaves, since an instance that starts and ends in one command has no scope left at its commit.
    /// </summary>
    public void KeepParties(LoadedInstance instance, ElementInstance root) =>
        instance.Parties = (Party(instance, root, instance.Definition.Process.Branch), Party(instance, root, instance.Definition.Process.CustomerId));

    private string? Party(LoadedInstance instance, ElementInstance element, Model.ModelExpression expression) =>
        _execution.Expressions.Party(instance, element, expression);
}
