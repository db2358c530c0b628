using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Runtime;

/// <summary>
/// One command: loads the instances it touches, runs their tokens until every token waits or ends,
/// and collects all effects in a <see cref="ChangeSet"/> for the store to commit in one transaction.
/// Nothing here is written anywhere until <see cref="CommitAsync"/>.
/// </summary>
/// <remarks>
/// The command's parts, each owning its own state: the <see cref="Unit"/> of work (load, change set,
/// commit), the <see cref="Tokens"/> loop (joins, scopes), the <see cref="Elements"/> lifecycle,
/// <see cref="Waits"/>, <see cref="Incidents"/>, <see cref="MultiInstances"/>, thrown and caught events,
/// and the element lifecycle <see cref="Listeners"/> that modules add (<see cref="Modules.EngineModules"/>).
/// What an element kind does lives in its behaviour (<see cref="Behaviours.ElementBehaviours"/>).
/// The members below are the surface the engine's services use.
/// </remarks>
internal sealed class Execution
{
    // The parts most commands never use are made on first use: every command allocates its parts anew.
    private Incidents? _incidents;
    private MultiInstances? _multiInstances;
    private Jobs? _jobs;
    private Messaging? _messaging;
    private MessageStarts? _messageStarts;
    private ThrownEvents? _thrownEvents;
    private Compensations? _compensations;
    private ConditionalEvents? _conditions;
    private Pins? _pins;
    private StartSubscriptions? _startSubscriptions;

    public Execution(EngineCore engine, CancellationToken ct, IReadOnlyList<BudgetBreach>? parked = null, InFlightWork.Scope? inFlight = null)
    {
        ct = inFlight?.Token ?? ct;
        Engine = engine;
        CancellationToken = ct;
        InFlight = inFlight;
        Budget = new ElementBudget(this, parked ?? []);
        Expressions = new Expressions(engine.Time, engine.Options, ct);
        Unit = new UnitOfWork(engine, this, ct);
        Tokens = new TokenLoop(this, ct);
        Elements = new ElementLifecycle(this);
        Flows = new FlowSelection(this);
        Waits = new WaitPoints(this, ct);
        Listeners = ModuleListeners(engine.Modules);
    }

    public EngineCore Engine { get; }

    /// <summary>Stops the run: cancelled by the caller, or when an instance the command touches ended meanwhile.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The command's registration as work in flight for the instances it loads; null outside a command.</summary>
    public InFlightWork.Scope? InFlight { get; }

    public UnitOfWork Unit { get; }

    public TokenLoop Tokens { get; }

    public ElementLifecycle Elements { get; }

    public FlowSelection Flows { get; }

    public WaitPoints Waits { get; }

    public Incidents Incidents => _incidents ??= new Incidents(this);

    public MultiInstances MultiInstances => _multiInstances ??= new MultiInstances(this);

    public Jobs Jobs => _jobs ??= new Jobs(this, CancellationToken);

    public Messaging Messaging => _messaging ??= new Messaging(this, CancellationToken);

    /// <summary>Message start events: one active instance per process and correlation key, the next one started from the buffer.</summary>
    public MessageStarts MessageStarts => _messageStarts ??= new MessageStarts(this, CancellationToken);

    public ThrownEvents ThrownEvents => _thrownEvents ??= new ThrownEvents(this);

    /// <summary>Which version a start runs: the one every start kind goes through (<see cref="Runtime.Pins"/>).</summary>
    public Pins Pins => _pins ??= new Pins(Engine.Store, CancellationToken);

    /// <summary>The start events (timer, message, signal) of the versions someone runs: the latest and the pinned ones.</summary>
    public StartSubscriptions StartSubscriptions => _startSubscriptions ??= new StartSubscriptions(this);

    public Compensations Compensations => _compensations ??= new Compensations(this);

    public ConditionalEvents Conditions => _conditions ??= new ConditionalEvents(this);

    /// <summary>
    /// Whether conditional events have work before the next step: a wait opened, or a variable of <paramref name="instance"/>
    /// (of any instance the command loaded, when null) changed since they last looked. Asked between every two steps, so it
    /// makes no <see cref="Conditions"/> for a command that has none.
    /// </summary>
    public bool HasConditionWork(LoadedInstance? instance = null) =>
        _conditions?.HasOpened == true || (instance is null ? ConditionalEvents.AnyVariableChanged(Unit) : instance.VariableChanges is not null);

    public Expressions Expressions { get; }

    /// <summary>The run's budgets: elements entered without waiting, the size of variables scripts and handlers write.</summary>
    public ElementBudget Budget { get; }

    /// <summary>Called as elements activate, complete and leave, and before the commit: the modules' listeners for this command.</summary>
    public IElementLifecycleListener[] Listeners { get; }

    private IElementLifecycleListener[] ModuleListeners(Modules.IEngineModule[] modules)
    {
        if (modules.Length == 1)
        {
            return modules[0].CreateListeners(this); // the usual case: no copy
        }

        if (modules.Length == 2)
        {
            // Every command makes these (the engine has two modules): joined into one array of the exact size.
            var first = modules[0].CreateListeners(this);
            var second = modules[1].CreateListeners(this);
            var both = new IElementLifecycleListener[first.Length + second.Length];
            first.CopyTo(both, 0);
            second.CopyTo(both, first.Length);
            return both;
        }

        var listeners = new List<IElementLifecycleListener>();
        foreach (var module in modules)
        {
            listeners.AddRange(module.CreateListeners(this));
        }

        return [.. listeners];
    }

    /// <summary>A module's listener of this command, for the module's own commands to reach its state.</summary>
    public T? Listener<T>()
        where T : class, IElementLifecycleListener
    {
        foreach (var listener in Listeners)
        {
            if (listener is T found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>
    /// Runs a command (its own steps, then its tokens) within the element budget; the entry point of every
    /// command path. A breach parks the instance with an incident instead of running for ever.
    /// </summary>
    public static ValueTask<(Execution Execution, T Result)> RunCommandAsync<T>(EngineCore engine, Func<Execution, ValueTask<T>> command, bool runTokens, CancellationToken ct) =>
        ElementBudget.RunCommandAsync(engine, command, runTokens, ct);

    // ---------------------------------------------------------------- the unit of work

    public ChangeSet Changes => Unit.Changes;

    public DateTimeOffset Now => Unit.Now;

    public string? Actor
    {
        get => Unit.Actor;
        set => Unit.Actor = value;
    }

    /// <summary>The end states of the instances this command ended, for metrics after the commit.</summary>
    public List<ProcessInstanceStatus> EndedInstances => Unit.EndedInstances;

    public ValueTask<LoadedInstance> LoadAsync(Guid instanceId) => Unit.LoadAsync(instanceId);

    /// <summary>Loads several instances (with their open clocks and tasks) in three reads, for a command that touches many.</summary>
    public ValueTask PreloadAsync(IReadOnlyCollection<Guid> instanceIds) => Unit.PreloadAsync(instanceIds);

    public ValueTask CommitAsync() => Unit.CommitAsync();

    public LoadedInstance CreateInstance(ProcessDefinition definition, string? businessKey, FeelContext variables, Guid? parentInstanceId = null, long? parentElementKey = null) =>
        Unit.CreateInstance(definition, businessKey, variables, parentInstanceId, parentElementKey);

    public void History(LoadedInstance instance, HistoryKind kind, string? elementId, long? elementKey, string? detail = null) =>
        Unit.History(instance, kind, elementId, elementKey, detail);

    // ---------------------------------------------------------------- tokens

    /// <summary>Runs queued work until every token waits or ends, then settles joins and scopes.</summary>
    public ValueTask RunAsync() => Tokens.RunAsync();

    public void EnqueueActivate(LoadedInstance instance, long parentKey, FlowNode node, FeelContext? variables = null) =>
        Tokens.EnqueueActivate(instance, parentKey, node, variables);

    public void EnqueueComplete(LoadedInstance instance, long key, FeelContext? variables = null) =>
        Tokens.EnqueueComplete(instance, key, variables);

    /// <summary>
    /// Starts the process scope at <paramref name="startNode"/>, opening its event sub-process subscriptions first; a scope
    /// that cannot open holds the start with an incident on the process scope, or refuses it when <paramref name="refuseWhenScopeFails"/>.
    /// </summary>
    public ValueTask StartAtAsync(LoadedInstance instance, FlowNode startNode, FeelContext? triggerVariables, bool refuseWhenScopeFails = false) =>
        Behaviours.Containers.ProcessBehaviour.StartAsync(this, instance, startNode, triggerVariables, refuseWhenScopeFails);

    /// <summary>Ends an element instance and everything inside it: child tokens, tasks, jobs, waits, called instances.</summary>
    public ValueTask TerminateAsync(LoadedInstance instance, ElementInstance element, HistoryKind? historyKind = null) =>
        Elements.TerminateAsync(instance, element, historyKind);

    /// <summary>Ends a whole instance without handing anything back to a caller.</summary>
    public ValueTask TerminateInstanceAsync(LoadedInstance instance, ProcessInstanceStatus status) =>
        Elements.TerminateInstanceAsync(instance, status);

    // ---------------------------------------------------------------- waits, events, incidents

    /// <summary>A timer fired, a message or signal arrived for a wait owned by <paramref name="owner"/>.</summary>
    public ValueTask TriggerWaitAsync(LoadedInstance instance, ElementInstance owner, WaitRef wait, FeelContext? variables, TimerRecord? firedTimer = null) =>
        Waits.TriggerWaitAsync(instance, owner, wait, variables, firedTimer);

    /// <summary>Delivers a signal to every open subscription, those opened by this very command included.</summary>
    public ValueTask<int> BroadcastSignalAsync(string name, FeelContext? variables) => Messaging.BroadcastSignalAsync(name, variables);

    /// <summary>Throws a BPMN error from <paramref name="thrower"/>; an uncaught error becomes an incident on the thrower.</summary>
    public ValueTask ThrowErrorAsync(LoadedInstance instance, ElementInstance thrower, string code, string message, FeelContext? variables = null) =>
        ThrownEvents.ThrowErrorAsync(instance, thrower, code, message, variables);

    public void RaiseJobIncident(LoadedInstance instance, ElementInstance element, string message) =>
        Incidents.RaiseJobIncident(instance, element, message);

    /// <summary>Retries the step an incident stopped: the activation or the completion of its element.</summary>
    public ValueTask RetryIncidentAsync(LoadedInstance instance, ElementInstance element) => Incidents.RetryAsync(instance, element);

    // ---------------------------------------------------------------- variables at the edges

    internal static IReadOnlyDictionary<string, object?> ToDictionary(FeelContext context) => VariableScopes.ToDictionary(context);

    internal static FeelContext? ToContext(IReadOnlyDictionary<string, object?>? variables) => VariableScopes.ToContext(variables);

    internal static FeelContext VariablesFromJson(string json) => VariableScopes.FromJson(json);
}
