using Workflows.Engine.Feel;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Storage;

/// <summary>A store that keeps its instances' state bytes as committed, and so can hand a command the state it committed, parsed.</summary>
internal interface IKeepsParsedStates
{
    InMemoryParsedStates ParsedStates { get; }
}

/// <summary>
/// The states of the instances commands are working on, as the last command committed them, parsed: the in-memory store
/// keeps the very byte array a commit wrote, so the next command on the instance can take the state that array was
/// serialized from rather than parse it again (the largest share of a task completion's CPU in memory).
/// </summary>
/// <remarks>
/// A state is handed out once: <see cref="Take"/> removes it, so no two commands ever share one, and a command that fails
/// after taking it (a conflict, a step that throws) leaves nothing behind; the next command parses the bytes. It is kept
/// by the byte array's identity: a newer commit's bytes are another array, so a state taken is always the one the row holds.
/// Only a state whose values read back as they are (FEEL's JSON values: no date, duration or function, which the JSON keeps
/// as text) is kept, so a command sees what it would have parsed. Bounded: one slot per hash of the instance id, overwritten;
/// an ended instance's state is not kept.
/// </remarks>
internal sealed class InMemoryParsedStates
{
    private const int Slots = 256; // a power of two: the slot is the id's hash masked

    private readonly Lock _gate = new();
    private readonly byte[]?[] _bytes = new byte[Slots][];
    private readonly InstanceState?[] _states = new InstanceState?[Slots];

    /// <summary>Keeps <paramref name="state"/> as serialized into <paramref name="bytes"/>, the array the store now holds for the instance.</summary>
    public void Keep(byte[] bytes, InstanceState state)
    {
        var slot = Slot(state.Id);
        var keep = state.Status == ProcessInstanceStatus.Active && ReadsBackAsItIs(state);
        lock (_gate)
        {
            if (keep)
            {
                (_bytes[slot], _states[slot]) = (bytes, state);
            }
            else if (_states[slot]?.Id == state.Id)
            {
                (_bytes[slot], _states[slot]) = (null, null);
            }
        }
    }

    /// <summary>The state the row's bytes were serialized from, taken (no other caller gets it); null when it is not kept.</summary>
    public InstanceState? Take(InstanceRecord record)
    {
        var slot = Slot(record.Id);
        InstanceState? state;
        lock (_gate)
        {
            if (!ReferenceEquals(_bytes[slot], record.State) || _states[slot] is not { } kept || kept.Id != record.Id)
            {
                return null;
            }

            state = kept;
            (_bytes[slot], _states[slot]) = (null, null);
        }

        if (state.ProcessId != record.ProcessId || state.DefinitionId != record.DefinitionId || state.Version != record.Version
            || state.BusinessKey != record.BusinessKey || state.Status != record.Status || state.StartedAt != record.StartedAt
            || state.EndedAt != record.EndedAt || state.ParentInstanceId != record.ParentInstanceId)
        {
            return null; // the row says otherwise than the state committed with it: read from the row, as any store would
        }

#if DEBUG
        // The tests' builds check that nothing changed the state after its commit (a command's later work, another command).
        if (!InstanceStateSerializer.Serialize(state).AsSpan().SequenceEqual(record.State))
        {
            throw new InvalidOperationException($"instance {record.Id}: the state kept parsed differs from the bytes committed with it");
        }
#endif
        state.RowVersion = record.RowVersion;
        return state;
    }

    private static int Slot(Guid id) => id.GetHashCode() & (Slots - 1);

    // Whether parsing the state's bytes gives it back: the process scope's variables are the instance's (the reader makes them
    // so), every value is one JSON holds as it is, no list or context is held in two places (a mapping `=votes` holds the
    // very list a multi-instance body fills in place: parsed, they are two lists), and nothing is set that the JSON leaves out.
    private static bool ReadsBackAsItIs(InstanceState state)
    {
        var held = new Held();
        if (!held.Values(state.Variables))
        {
            return false;
        }

        foreach (var element in state.Elements.Values)
        {
            if (element.Key == InstanceState.RootKey ? !ReferenceEquals(element.Variables, state.Variables) : element.Variables is { } variables && !held.Values(variables))
            {
                return false;
            }

            if (element.Collection is { } collection && (!element.IsMultiInstanceBody || !held.Value(collection)))
            {
                return false;
            }
        }

        if (state.Compensations is { } compensations)
        {
            foreach (var compensation in compensations)
            {
                if (compensation.Variables is { } variables && !held.Values(variables))
                {
                    return false;
                }
            }
        }

        return true;
    }

    // The lists and contexts met so far, by identity: the first kept alone, a set made at the second (most states hold one).
    private struct Held
    {
        private object? _first;
        private HashSet<object>? _seen;

        public bool Values(FeelContext context)
        {
            if (!FirstTime(context))
            {
                return false;
            }

            foreach (var (key, value) in context)
            {
                if (!Text(key) || !Value(value))
                {
                    return false;
                }
            }

            return true;
        }

        public bool Value(object? value)
        {
            switch (value)
            {
                case null or bool or decimal:
                    return true;
                case string text:
                    return Text(text);
                case List<object?> list:
                    if (!FirstTime(list))
                    {
                        return false;
                    }

                    foreach (var item in list)
                    {
                        if (!Value(item))
                        {
                            return false;
                        }
                    }

                    return true;
                case FeelContext context:
                    return Values(context);
                default:
                    return false; // written as its FEEL text, read back as a string
            }
        }

        private bool FirstTime(object listOrContext)
        {
            if (_first is null)
            {
                _first = listOrContext;
                return true;
            }

            return !ReferenceEquals(_first, listOrContext) && (_seen ??= new HashSet<object>(ReferenceEqualityComparer.Instance) { _first }).Add(listOrContext);
        }
    }

    // A surrogate (even a paired one) is left to the parse: the writer mends an unpaired one, and this check stays a plain scan.
    private static bool Text(string text) => !text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF');
}
