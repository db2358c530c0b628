using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Runtime;

/// <summary>
/// Message start events as Camunda 8 runs them: a message with a correlation key starts a process only while no
/// instance of it that a message with that key started is active; the message then waits in the buffer (when it has a
/// time-to-live) and the command that ends the active instance starts the next one from the oldest buffered message.
/// A message with an empty key always starts an instance.
/// </summary>
/// <remarks>
/// The active instance holds a lock row per process and key (<see cref="MessageStartLockRecord"/>), taken in the
/// command that starts it and released in the one that ends it, so two commands racing to start one collide on its
/// key. A message kept waiting raises the lock's revision, and the release is guarded by the revision it read before
/// it looked in the buffer: an ending that missed a message buffered meanwhile conflicts and looks again.
/// </remarks>
internal sealed class MessageStarts(Execution execution, CancellationToken ct)
{
    // The locks this command read or changed, as it left them; made on the first, as most commands touch none.
    private Dictionary<(string ProcessId, string Key), Held>? _locks;

    private ChangeSet Changes => execution.Unit.Changes;

    /// <summary>
    /// Starts <paramref name="definition"/> at <paramref name="start"/> for a published message, unless an instance that a
    /// message with the same non-empty key started is still active; then the message goes no further for this process
    /// (when <paramref name="buffered"/>, it waits for that instance to end).
    /// </summary>
    /// <returns>The started instance, or null when the active one kept the message out.</returns>
    public async ValueTask<LoadedInstance?> TryStartAsync(ProcessDefinition definition, FlowNode start, string correlationKey, FeelContext variables, bool buffered, Branch? branch)
    {
        Held? held = null;
        if (correlationKey.Length > 0)
        {
            held = await HeldAsync(definition.Process.Id, correlationKey).ConfigureAwait(false);
            if (held.Holder is { } holder)
            {
                if (buffered)
                {
                    Touch(held, holder);
                }

                return null;
            }
        }

        var instance = execution.Unit.CreateInstance(definition, correlationKey, Pins.Initial(branch, definition.Process, variables));
        if (held is not null)
        {
            Take(held, instance.Id);
        }

        await execution.StartAtAsync(instance, start, variables).ConfigureAwait(false);
        return instance;
    }

    /// <summary>
    /// A start that keeps its business key unique takes the key's lock: refused while an instance of the process holds
    /// it, or while any active top-level instance has the key (one started before locks were kept, without asking for
    /// uniqueness, or of another process, such as the other office's journey started by a message with the key).
    /// </summary>
    /// <exception cref="BusinessKeyInUseException">An active instance of the process has the key.</exception>
    public async ValueTask TakeBusinessKeyAsync(string processId, string businessKey, Guid instanceId)
    {
        var held = await HeldAsync(processId, businessKey).ConfigureAwait(false);
        if (held.Holder is { } holder)
        {
            throw new BusinessKeyInUseException(processId, businessKey, holder);
        }

        // Any process: the key correlates the answers of the other office's journey it started (a back-office
        // investigation started by message with this key), and a new case with the key would take them.
        var active = await execution.Engine.Store.FindInstancesAsync(
            new InstanceFilter(null, businessKey, 4) { Status = ProcessInstanceStatus.Active }, ct).ConfigureAwait(false);
        foreach (var other in active)
        {
            if (other.ParentInstanceId is null && other.Id != instanceId)
            {
                throw new BusinessKeyInUseException(other.ProcessId, businessKey, other.Id);
            }
        }

        Take(held, instanceId);
    }

    /// <summary>
    /// An instance ended (completed, terminated or cancelled): when it holds its process and key, it lets go; when a
    /// message can start the process, the oldest unexpired buffered message with that key that the process did not
    /// take yet starts the next instance, of the version the message's branch runs, in this same command.
    /// </summary>
    public async ValueTask InstanceEndedAsync(LoadedInstance instance)
    {
        var state = instance.State;
        if (state.ParentInstanceId is not null || string.IsNullOrEmpty(state.BusinessKey))
        {
            return;
        }

        if (!StartsByMessage(instance.Definition))
        {
            // No message waits for this key: the lock a unique start took (if it took one) goes without reading it first.
            if (_locks is not null && _locks.TryGetValue((state.ProcessId, state.BusinessKey), out var own) && own.Holder == state.Id)
            {
                Release(own, state.Id);
            }
            else
            {
                Changes.StartLocksFreed.Add(new MessageStartLockRecord(state.ProcessId, state.BusinessKey, state.Id, 0));
            }

            return;
        }

        // The lock (and its revision) is read before the buffer, so a message buffered after this read conflicts the commit.
        var held = await HeldAsync(state.ProcessId, state.BusinessKey).ConfigureAwait(false);
        if (held.Holder != state.Id)
        {
            return; // started otherwise, or before locks were kept
        }

        Release(held, state.Id);
        await StartNextAsync(held).ConfigureAwait(false);
    }

    private async ValueTask StartNextAsync(Held held)
    {
        var (processId, key) = (held.ProcessId, held.Key);
        var (_, starts, _) = await execution.Engine.Store.GetStartSubscriptionsAsync(processId, ct).ConfigureAwait(false);
        (BufferedMessageRecord Message, MessageSubscriptionRecord Start)? next = null;
        foreach (var start in starts)
        {
            var oldest = (await execution.Waits.BufferedMessagesAsync(start.MessageName, key, processId).ConfigureAwait(false)).FirstOrDefault();
            if (oldest is not null && (next is null || oldest.PublishedAt < next.Value.Message.PublishedAt))
            {
                next = (oldest, start);
            }
        }

        if (next is not { } found)
        {
            return;
        }

        // The version the message's branch runs now, which may not be the one whose start found the message.
        var branch = await execution.Pins.FindAsync(found.Message.Branch).ConfigureAwait(false);
        var runs = await execution.Pins.ResolveAsync(processId, branch).ConfigureAwait(false);
        var definition = runs is null ? null : await execution.Engine.Definitions.GetAsync(runs.Id, ct).ConfigureAwait(false);
        var startEvent = definition?.Process.StartEvents.FirstOrDefault(s => s.Event is { Type: EventType.Message, Message: { } m } && m.Name.Text == found.Message.Name);
        if (definition is null || startEvent is null)
        {
            return; // that version does not start on this message: it stays buffered until it expires
        }

        var variables = VariableScopes.FromJson(found.Message.VariablesJson);
        var instance = execution.Unit.CreateInstance(definition, key, Pins.Initial(branch, definition.Process, variables));
        Take(held, instance.Id);
        Changes.MessageCorrelations.Add(new MessageCorrelation(found.Message.Id, instance.Id, processId));
        execution.Unit.History(instance, HistoryKind.MessageCorrelated, startEvent.Id, null, $"{found.Message.Name} (buffered)");
        await execution.StartAtAsync(instance, startEvent, variables).ConfigureAwait(false);
    }

    private static bool StartsByMessage(ProcessDefinition definition) =>
        definition.Process.StartEvents.Any(s => s.Event?.Type == EventType.Message);

    private async ValueTask<Held> HeldAsync(string processId, string key)
    {
        _locks ??= [];
        if (!_locks.TryGetValue((processId, key), out var held))
        {
            var stored = await execution.Engine.Store.GetMessageStartLockAsync(processId, key, ct).ConfigureAwait(false);
            held = new Held(processId, key, stored) { Holder = stored?.InstanceId };
            _locks[(processId, key)] = held;
        }

        return held;
    }

    private void Take(Held held, Guid instanceId)
    {
        Changes.StartLocksTaken.Add(new MessageStartLockRecord(held.ProcessId, held.Key, instanceId, 0));
        held.Holder = instanceId;
    }

    private void Release(Held held, Guid instanceId)
    {
        var taken = Changes.StartLocksTaken.FindIndex(l => l.InstanceId == instanceId);
        if (taken >= 0)
        {
            Changes.StartLocksTaken.RemoveAt(taken); // started and ended in this command: the row never existed
        }
        else
        {
            Changes.StartLocksReleased.Add(held.Stored!);
            Changes.StartLocksTouched.Remove(held.Stored!); // this command's own wait goes with it
        }

        held.Holder = null;
    }

    // A lock taken in this command is new: no other command can end its instance before this one commits.
    private void Touch(Held held, Guid holder)
    {
        if (held.Stored is { } stored && stored.InstanceId == holder && !Changes.StartLocksTouched.Contains(stored))
        {
            Changes.StartLocksTouched.Add(stored);
        }
    }

    private sealed class Held(string processId, string key, MessageStartLockRecord? stored)
    {
        public string ProcessId { get; } = processId;

        public string Key { get; } = key;

        /// <summary>The lock as the store had it when this command first read it.</summary>
        public MessageStartLockRecord? Stored { get; } = stored;

        /// <summary>The instance that holds it as this command left it; null when free.</summary>
        public Guid? Holder { get; set; }
    }
}
