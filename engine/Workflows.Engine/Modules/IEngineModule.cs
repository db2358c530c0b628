using Workflows.Engine.Runtime;

namespace Workflows.Engine.Modules;

/// <summary>
/// A product module's part of one engine: how it plugs into the generic core, which knows no module by name.
/// Registered once, in <see cref="EngineModules"/>; the model side (parse listeners, checks) is there too.
/// </summary>
/// <remarks>
/// Every member is on a command's path: a module with nothing to do for an instance or a definition
/// returns at once, without allocating.
/// </remarks>
internal interface IEngineModule
{
    /// <summary>Before every command runs: e.g. load, once per node, configuration other nodes saved.</summary>
    Task BeforeCommandAsync(CancellationToken ct);

    /// <summary>
    /// A command loaded an instance. The module reads its own rows for it here, after the instance's row,
    /// so that the row version the commit is guarded by covers what they say; it keeps them as a part
    /// of the instance (<see cref="LoadedInstance.Part{T}"/>).
    /// </summary>
    ValueTask OnLoadedAsync(LoadedInstance instance, CancellationToken ct);

    /// <summary>
    /// Whether the module keeps an instance's open service-level clocks: a store read that can take them with the instance
    /// (a task's command reads its task, instance and clocks in one round trip) then hands them to
    /// <see cref="OnLoadedAsync(LoadedInstance, IReadOnlyList{ServiceLevels.SlaClockRecord}, CancellationToken)"/>.
    /// </summary>
    bool ReadsOpenClocks => false;

    /// <summary>
    /// As <see cref="OnLoadedAsync(LoadedInstance, CancellationToken)"/>, with the instance's open clocks read with it, after its
    /// row (for a module that <see cref="ReadsOpenClocks"/>).
    /// </summary>
    ValueTask OnLoadedAsync(LoadedInstance instance, IReadOnlyList<ServiceLevels.SlaClockRecord> openClocks, CancellationToken ct) => OnLoadedAsync(instance, ct);

    /// <summary>As <see cref="OnLoadedAsync(LoadedInstance, CancellationToken)"/> for several instances, in one read.</summary>
    ValueTask OnLoadedAsync(IReadOnlyList<LoadedInstance> instances, CancellationToken ct);

    /// <summary>The module's element lifecycle listeners for one command (new ones per command: they may keep its state).</summary>
    IElementLifecycleListener[] CreateListeners(Execution execution);

    /// <summary>What a message the instance sends carries across the handoff, with the module's fields filled.</summary>
    Handoff OnHandoff(LoadedInstance instance, Handoff handoff);

    /// <summary>A message with a handoff arrives: the module adds its fields of <paramref name="handoff"/> to the receiver's <c>handoff</c> variable.</summary>
    void OnHandoffReceived(Handoff handoff, Dictionary<string, object?> fields)
    {
    }

    /// <summary>
    /// An instance whose stored state cannot be read is cancelled by its rows (<see cref="Services.UnreadableInstances"/>):
    /// the module ends its own rows of it, knowing nothing of its elements.
    /// </summary>
    void OnCancelledUnread(Execution execution, LoadedInstance instance)
    {
    }

    /// <summary>Work the module's rows make due with time, which the background worker runs; null when none.</summary>
    IDueWorkSource? DueWork { get; }
}

/// <summary>A source of due work for the background worker (<see cref="Services.WorkerLoop"/>), beside timers and jobs.</summary>
internal interface IDueWorkSource
{
    /// <summary>The source's periodic chores, when their interval has passed (e.g. reload what other nodes saved).</summary>
    Task ChoresAsync(CancellationToken ct);

    /// <summary>Claims and runs what is due by now, in batches of the worker's options.</summary>
    /// <returns>How many items ran.</returns>
    Task<int> RunDueAsync(CancellationToken ct);

    /// <summary>When the next item comes due, so an idle worker sleeps until then; null when none.</summary>
    Task<DateTimeOffset?> GetNextDueAsync(CancellationToken ct);
}
