namespace Workflows.Engine.Runtime;

/// <summary>An instance a command has loaded (or created), with what the command changed on it so far.</summary>
internal sealed class LoadedInstance(InstanceState state, ProcessDefinition definition, long originalRowVersion)
{
    public InstanceState State { get; } = state;

    /// <summary>The version it runs on; a migration replaces it within the command.</summary>
    public ProcessDefinition Definition { get; set; } = definition;

    public long OriginalRowVersion { get; } = originalRowVersion;

    public Guid Id => State.Id;

    /// <summary>Set when a terminate end event ended the process scope.</summary>
    public bool TerminatedByEndEvent { get; set; }

    // What modules keep for this instance in this command (see Modules.IEngineModule); null while none does.
    private object[]? _parts;

    /// <summary>The part of type <typeparamref name="T"/> a module keeps for this instance; null when it keeps none.</summary>
    public T? Part<T>()
        where T : class => Modules.ModuleParts.Find<T>(_parts);

    /// <summary>Keeps a module's part for this instance (one of each type).</summary>
    public T AddPart<T>(T part)
        where T : class => Modules.ModuleParts.Add(ref _parts, part);

    /// <summary>
    /// Whose element budget this instance's steps count against in this command: itself, or the instance
    /// that called it in this same command (so that a process calling itself runs out of budget too).
    /// </summary>
    public LoadedInstance BudgetRoot { get; set; } = null!;

    /// <summary>For a budget root this command created: the order of its creation (an id is new in every run); -1 when loaded.</summary>
    public int CreatedOrdinal { get; set; } = -1;

    /// <summary>For a budget root: the elements its tokens entered in this command.</summary>
    public int ElementsPassed { get; set; }

    /// <summary>Whether the instance was active when this command loaded it (an end committed now stops work in flight for it).</summary>
    public bool WasActive { get; set; }

    /// <summary>Variables set since the instance's conditional events last looked (see <see cref="ConditionalEvents"/>); null when none.</summary>
    public List<VariableChange>? VariableChanges { get; set; }

    /// <summary>
    /// The stored state as it was read, for an instance whose state cannot be read (<see cref="UnitOfWork.AdoptUnreadableAsync"/>):
    /// written back unchanged, so that a cancel by its rows keeps what an operator might still want to look at. Null for every other instance.
    /// </summary>
    public byte[]? StoredState { get; init; }

    /// <summary>The stored state as read with the instance's row; null for an instance this command created.</summary>
    public byte[]? ReadState { get; init; }

    /// <summary>
    /// Set by a command that changes rows beside the state and nothing in it (a task's claim changes the task's assignee):
    /// its commit writes the read state back as it was (<see cref="ReadState"/>) rather than serializing the state again,
    /// and a store may write the row version alone. Only a command that runs no tokens may set it.
    /// </summary>
    public bool StateUnchanged { get; set; }

    /// <summary>The end, branch and customer as read with the instance's row; null for an instance this command created.</summary>
    public (DateTimeOffset? EndedAt, string? Branch, string? CustomerId)? StoredIndexedColumns { get; init; }

    /// <summary>The branch and customer as last committed: an ended instance keeps them.</summary>
    public (string? Branch, string? CustomerId) Parties { get; set; }
}
