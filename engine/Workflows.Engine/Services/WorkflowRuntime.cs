using Workflows.Engine.Feel;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Services;

/// <summary>Commands on running instances: start, publish messages, broadcast signals, cancel, set variables, retry incidents.</summary>
/// <remarks>
/// Each call is one command: it loads the instances it touches, runs their tokens until each waits or ends,
/// and commits every effect in one store transaction guarded by the instances' row versions. A lost race
/// retries the whole command (up to <see cref="WorkflowEngineOptions.MaxCommandAttempts"/> times), then fails
/// with <see cref="WorkflowConflictException"/>; a failed command changes nothing. Variables are refused over
/// <see cref="WorkflowEngineOptions.MaxVariablesBytes"/> with <see cref="WorkflowInputException"/>.
/// </remarks>
public sealed class WorkflowRuntime
{
    private readonly CommandRunner _runner;

    // Starts with an idempotency key under way on this node, by scope and key: a second one is refused while the first runs.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Scope, string Key), byte> _startsUnderWay = new();

    internal WorkflowRuntime(CommandRunner runner) => _runner = runner;

    private IWorkflowStore Store => _runner.Store;

    /// <summary>Starts an instance at the process's none start event and runs it until it waits or ends.</summary>
    /// <returns>The new instance's id (with <see cref="StartInstance.Idempotency"/>: the one its key started, maybe before).</returns>
    /// <exception cref="WorkflowNotFoundException">The process (or the version asked or pinned by the branch) is not deployed, or the branch does not exist.</exception>
    /// <exception cref="WorkflowConflictException">The process has no none start event.</exception>
    /// <exception cref="BusinessKeyInUseException"><see cref="StartInstance.UniqueBusinessKey"/> is set and an active instance of the process has the key.</exception>
    public Task<Guid> StartAsync(StartInstance command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Idempotency is not null)
        {
            return StartOnceIdAsync(command, cancellationToken);
        }

        var given = Checked(command);
        return _runner.ExecuteAsync(async execution => (await StartInAsync(execution, command, given, cancellationToken).ConfigureAwait(false)).Id, cancellationToken);
    }

    /// <summary>
    /// <see cref="StartAsync"/>, saying also the business key and whether the start's idempotency key had started the
    /// instance before (then nothing was started now).
    /// </summary>
    /// <remarks>
    /// With <see cref="StartInstance.Idempotency"/> the key is looked for in its scope first: stored with the same request,
    /// the instance it started is answered (<see cref="StartedInstance.Repeated"/>); with another request, the start is
    /// refused. Otherwise the key is written in the start's own commit; two starts with one key racing on two nodes
    /// collide on it, and the loser answers the winner's instance. On one node a second start with a key whose first start
    /// is still under way is refused at once, as the IETF draft asks (409).
    /// </remarks>
    /// <exception cref="IdempotencyKeyReusedException">The key was given before with another request.</exception>
    /// <exception cref="IdempotencyKeyBusyException">A start with the key is still under way on this node.</exception>
    /// <exception cref="WorkflowInputException">The key is empty, longer than 255 characters or holds a control character.</exception>
    public async Task<StartedInstance> StartOnceAsync(StartInstance command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Idempotency is not { } idempotency)
        {
            var id = await StartAsync(command, cancellationToken).ConfigureAwait(false);
            return new StartedInstance(id, command.BusinessKey, false);
        }

        if (StartIdempotency.Problem(idempotency.Key) is { } problem)
        {
            throw new WorkflowInputException($"the idempotency key {problem}");
        }

        StorableText.Check(idempotency.Scope, "the idempotency key's scope");
        if (idempotency.Scope.Length > StartIdempotency.MaxScopeLength)
        {
            throw new WorkflowInputException($"the idempotency key's scope has {idempotency.Scope.Length:N0} characters; the limit is {StartIdempotency.MaxScopeLength}");
        }

        var given = Checked(command);
        var (scope, key) = (idempotency.Scope, idempotency.Key);
        var fingerprint = idempotency.Fingerprint ?? StartFingerprint.Of(command, given);
        if (!_startsUnderWay.TryAdd((scope, key), 0))
        {
            throw new IdempotencyKeyBusyException(key);
        }

        try
        {
            return await _runner.ExecuteAsync(async execution =>
            {
                // Read on every attempt: a start that lost the race for the key answers the winner's instance.
                if (await Store.GetIdempotencyKeyAsync(scope, key, cancellationToken).ConfigureAwait(false) is { } stored)
                {
                    return Answered(stored, fingerprint);
                }

                var instance = await StartInAsync(execution, command, given, cancellationToken).ConfigureAwait(false);
                // Kept by real time (a controllable clock moved on does not purge the keys a client may still retry with).
                execution.Changes.IdempotencyKeys.Add(new IdempotencyKeyRecord(scope, key, fingerprint, instance.Id, command.BusinessKey, _runner.LeaseTime.GetUtcNow()));
                return new StartedInstance(instance.Id, command.BusinessKey, false);
            }, cancellationToken, name: nameof(StartAsync)).ConfigureAwait(false);
        }
        catch (BusinessKeyInUseException)
        {
            // Another node's start with this key committed between this attempt's read of the key and its take of the
            // business key: the key names the instance that holds the business key, and the retry is answered with it.
            if (await Store.GetIdempotencyKeyAsync(scope, key, cancellationToken).ConfigureAwait(false) is { } raced)
            {
                return Answered(raced, fingerprint);
            }

            throw;
        }
        finally
        {
            _startsUnderWay.TryRemove((scope, key), out _);
        }
    }

    /// <summary>
    /// The instance a start with this idempotency key (in its scope, with this fingerprint) started before, or null when
    /// the key is not stored: what a caller answers a retry with before it checks anything the first start was checked
    /// against (a branch's pin or form changed since must not refuse the retry of a start that was made).
    /// </summary>
    /// <exception cref="IdempotencyKeyReusedException">The key was stored with another request.</exception>
    /// <exception cref="ArgumentException"><see cref="StartIdempotency.Fingerprint"/> is not given: the request cannot be compared.</exception>
    public async Task<StartedInstance?> FindStartedAsync(StartIdempotency idempotency, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(idempotency);
        var fingerprint = idempotency.Fingerprint ?? throw new ArgumentException("give the request's fingerprint to compare it with the stored one", nameof(idempotency));
        return StartIdempotency.Problem(idempotency.Key) is null
            && await Store.GetIdempotencyKeyAsync(idempotency.Scope, idempotency.Key, cancellationToken).ConfigureAwait(false) is { } stored
            ? Answered(stored, fingerprint)
            : null;
    }

    // A stored key's answer: its instance for the same request, a refusal for another.
    private static StartedInstance Answered(IdempotencyKeyRecord stored, string fingerprint) =>
        stored.Fingerprint == fingerprint
            ? new StartedInstance(stored.InstanceId, stored.BusinessKey, true)
            : throw new IdempotencyKeyReusedException(stored.Key, stored.InstanceId);

    private async Task<Guid> StartOnceIdAsync(StartInstance command, CancellationToken cancellationToken) =>
        (await StartOnceAsync(command, cancellationToken).ConfigureAwait(false)).Id;

    private FeelContext Checked(StartInstance command)
    {
        StorableText.Check(command.BusinessKey, "businessKey");
        StorableText.Check(command.Branch, "branch");
        return _runner.Variables(command.Variables);
    }

    private async ValueTask<LoadedInstance> StartInAsync(Execution execution, StartInstance command, FeelContext given, CancellationToken cancellationToken)
    {
        var (branch, resolved) = command.Branch is null
            ? (null, await execution.Pins.ResolveAsync(command.ProcessId, null, command.Version).ConfigureAwait(false))
            : await execution.Pins.ResolveStartAsync(command.ProcessId, command.Branch, command.Version).ConfigureAwait(false);
        if (command.Branch is not null && branch is null)
        {
            throw new WorkflowNotFoundException($"branch '{command.Branch}' does not exist");
        }

        var record = resolved ?? throw WorkflowBranches.NotDeployed(command.ProcessId, command.Version ?? Pins.PinOf(branch, command.ProcessId));
        var definition = await _runner.Core.Definitions.GetAsync(record.Id, cancellationToken).ConfigureAwait(false);
        var variables = Pins.Apply(branch, definition.Process, given.Copy());
        var start = definition.Process.Root.NoneStart
            ?? throw new WorkflowConflictException($"process '{command.ProcessId}' has no none start event; it starts by message, timer or signal");
        var instance = execution.CreateInstance(definition, command.BusinessKey, variables);
        if (command.UniqueBusinessKey && !string.IsNullOrEmpty(command.BusinessKey))
        {
            await execution.MessageStarts.TakeBusinessKeyAsync(definition.Process.Id, command.BusinessKey, instance.Id).ConfigureAwait(false);
        }

        await execution.StartAtAsync(instance, start, null, refuseWhenScopeFails: true).ConfigureAwait(false);
        return instance;
    }

    /// <summary>Correlates a message to waiting instances and message start events, buffering it when it has a time-to-live.</summary>
    /// <remarks>A message with a <see cref="PublishMessage.MessageId"/> seen before changes nothing and says so (<see cref="CorrelationResult.Duplicate"/>).</remarks>
    /// <exception cref="WorkflowNotFoundException"><see cref="PublishMessage.MustCorrelate"/> is set and nothing takes the message.</exception>
    public Task<CorrelationResult> CorrelateMessageAsync(PublishMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        StorableText.Check(message.Name, "the message's name");
        StorableText.Check(message.CorrelationKey, "the message's correlation key");
        StorableText.Check(message.MessageId, "the message's id");
        StorableText.Check(message.OnlyBranch, "the message's branch");
        if (message.OnlyBranch is not null && message.TimeToLive > TimeSpan.Zero)
        {
            // A buffered message keeps no branch: any branch's catch opened later could take it.
            throw new WorkflowInputException($"message '{message.Name}' is limited to branch '{message.OnlyBranch}' and so cannot be buffered: its time-to-live must be zero");
        }

        var values = _runner.Variables(message.Variables);
        if (message.Handoff is { } handoff)
        {
            var fields = new Dictionary<string, object?>
            {
                ["sourceInstanceId"] = handoff.SourceInstanceId?.ToString(),
                ["sourceProcessId"] = handoff.SourceProcessId,
                ["businessKey"] = handoff.BusinessKey,
                ["branch"] = handoff.Branch,
                ["tenant"] = handoff.Tenant,
            };
            foreach (var module in _runner.Core.Modules)
            {
                module.OnHandoffReceived(handoff, fields); // e.g. the promise's due moment
            }

            values["handoff"] = FeelConvert.FromClr(fields);
        }

        // Concurrent messages for one key all go for the instance that waited first: every one but one loses the race
        // and runs again, so a publish gets more attempts than other commands before it gives up.
        return PublishAsync(message, values, cancellationToken);
    }

    private async Task<CorrelationResult> PublishAsync(PublishMessage message, FeelContext values, CancellationToken cancellationToken)
    {
        // A committed publish reports the unreadable instances it passed over itself (CommandRunner); one refused for
        // finding no instance reports them here, so the instance gets its incident either way.
        IReadOnlyList<InstanceStateUnreadableException> passedOver = [];
        try
        {
            return await _runner.ExecuteAsync(async execution =>
            {
                try
                {
                    return await CorrelateAsync(execution, message, values, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    passedOver = execution.Unit.Unreadable;
                }
            }, cancellationToken, attempts: _runner.Options.MaxCommandAttempts * CommandRunner.PublishAttemptsFactor).ConfigureAwait(false);
        }
        catch (WorkflowNotFoundException) when (passedOver.Count > 0)
        {
            foreach (var unreadable in passedOver)
            {
                await UnreadableInstances.ReportAsync(_runner, unreadable, cancellationToken).ConfigureAwait(false);
            }

            throw;
        }
    }

    // A subscription no element of its instance waits for: closed meanwhile (its row gone when read again), or a row the
    // state does not back, which no message could ever meet: that instance's state problem (its incident after the commit),
    // and the message goes on to the next subscriber (review13 F3).
    private async ValueTask PassOverStrandedAsync(Execution execution, LoadedInstance instance, MessageSubscriptionRecord subscription, ElementInstance? owner,
        PublishMessage message, CancellationToken ct)
    {
        if (instance.State.Status != ProcessInstanceStatus.Active || execution.Changes.MessageSubscriptionsRemoved.Contains(subscription.Id))
        {
            return; // ended or left in this very command (a caller's interrupting event ended it): its row goes in the commit
        }

        var again = await Store.FindMessageSubscriptionsAsync(message.Name, message.CorrelationKey, ct).ConfigureAwait(false);
        if (again.Any(s => s.Id == subscription.Id))
        {
            execution.Unit.Unreadable.Add(CommandRunner.Stranded(instance, $"message subscription ('{subscription.MessageName}', key '{subscription.CorrelationKey}')",
                subscription.Id, subscription.ElementKey, owner, null));
        }
    }

    private async ValueTask<CorrelationResult> CorrelateAsync(Execution execution, PublishMessage message, FeelContext values, CancellationToken cancellationToken)
    {
        // A branch the sender names must exist, whether or not a process starts on the message now: a buffered message
        // keeps its branch, and a process deployed later would start on it for a branch nobody set up (Camunda 8 refuses
        // a message for a tenant it does not know in the same way).
        var branch = message.Branch is null ? null : await BranchOfAsync(execution, message).ConfigureAwait(false);

        // The inbox row commits with the message's effects: a second delivery finds it and changes nothing,
        // and two deliveries racing on two nodes collide on its key, so the loser retries and finds it.
        if (message.MessageId is { } messageId)
        {
            if (await Store.IsInInboxAsync(messageId, cancellationToken).ConfigureAwait(false))
            {
                return new CorrelationResult(0, 0, Buffered: false, Duplicate: true);
            }

            execution.Changes.Inbox.Add((messageId, execution.Now));
        }

        var correlated = new List<(Guid Instance, string Process)>();
        var buffered = message.TimeToLive > TimeSpan.Zero;

        // One message, at most one subscription per process (Camunda 8): the oldest waiting instance of
        // a process takes it, the others of that process wait for the next message; a process that took
        // it is not started by it either.
        var correlatedProcesses = new HashSet<string>(StringComparer.Ordinal);
        var subscriptions = await Store.FindMessageSubscriptionsAsync(message.Name, message.CorrelationKey, cancellationToken).ConfigureAwait(false);
        foreach (var subscription in subscriptions.OrderBy(s => s.CreatedAt))
        {
            if (await execution.Unit.TryLoadAsync(subscription.InstanceId!.Value).ConfigureAwait(false) is not { } instance)
            {
                // Its state cannot be read: it gets its incident, and the message goes to the next waiting instance
                // of that process, or to another process, or stays buffered, as if that instance did not wait.
                continue;
            }

            if (correlatedProcesses.Contains(instance.State.ProcessId))
            {
                continue;
            }

            if (message.OnlyBranch is { } only && !string.Equals(instance.Parties.Branch, only, StringComparison.Ordinal))
            {
                continue; // another branch's instance: not the caller's to move
            }

            if (!instance.State.Elements.TryGetValue(subscription.ElementKey, out var owner) || owner.Waits?.Find(w => w.Id == subscription.Id) is not { } wait || wait.Id != subscription.Id)
            {
                await PassOverStrandedAsync(execution, instance, subscription, owner, message, cancellationToken).ConfigureAwait(false);
                continue;
            }

            execution.History(instance, HistoryKind.MessageCorrelated, subscription.ElementId, owner.Key, message.Name);
            await execution.TriggerWaitAsync(instance, owner, wait, values.Copy()).ConfigureAwait(false);
            correlated.Add((instance.Id, instance.State.ProcessId));
            correlatedProcesses.Add(instance.State.ProcessId);
        }

        // A process whose instance started by a message with this key is still active is not started again: the
        // message waits in the buffer for that instance to end (Camunda 8), or goes no further for that process.
        // Several versions of a process may listen (the latest, and those branches pinned): the one the message's
        // branch runs starts, and none when that version does not start on this message.
        var started = 0;
        var keptOut = new List<string>();
        var starts = message.OnlyBranch is null ? await Store.FindMessageStartsAsync(message.Name, cancellationToken).ConfigureAwait(false) : [];
        if (message.Branch is null && starts.Count > 0)
        {
            branch = await BranchOfAsync(execution, message).ConfigureAwait(false);
        }

        var byProcess = new Dictionary<string, List<MessageSubscriptionRecord>>(StringComparer.Ordinal);
        foreach (var start in starts)
        {
            var processId = (await _runner.Core.Definitions.GetAsync(start.DefinitionId, cancellationToken).ConfigureAwait(false)).Process.Id;
            if (!byProcess.TryGetValue(processId, out var listening))
            {
                byProcess[processId] = listening = [];
            }

            listening.Add(start);
        }

        foreach (var (processId, listening) in byProcess.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var runs = await execution.Pins.ResolveAsync(processId, branch).ConfigureAwait(false);
            if (runs is null || listening.Find(s => s.DefinitionId == runs.Id) is not { } start || !correlatedProcesses.Add(processId))
            {
                continue;
            }

            var definition = await _runner.Core.Definitions.GetAsync(start.DefinitionId, cancellationToken).ConfigureAwait(false);
            var instance = await execution.MessageStarts.TryStartAsync(definition, definition.Node(start.ElementId), message.CorrelationKey, values.Copy(), buffered, branch).ConfigureAwait(false);
            if (instance is null)
            {
                keptOut.Add(processId);
                continue;
            }

            correlated.Add((instance.Id, processId));
            started++;
        }

        if (buffered)
        {
            var record = new BufferedMessageRecord(RowIds.NewId(execution.Now), message.MessageId, message.Name, message.CorrelationKey,
                FeelConvert.ToJson(values), execution.Now, execution.Now + message.TimeToLive) { Branch = message.Branch ?? message.Handoff?.Branch };
            execution.Changes.MessagesBuffered.Add(record);
            execution.Changes.MessageCorrelations.AddRange(correlated.Select(c => new MessageCorrelation(record.Id, c.Instance, c.Process)));
        }

        if (message.MustCorrelate && correlated.Count == 0 && !buffered)
        {
            var active = keptOut.Count == 0 ? "" : $" (an instance of {string.Join(", ", keptOut.Select(p => $"'{p}'"))} that a message with this key started is still active)";
            if (execution.Unit.Unreadable.Count > 0)
            {
                active += $" (instance {string.Join(", ", execution.Unit.Unreadable.Select(u => u.InstanceId))} waits for it but its stored state cannot be read: see its incident)";
            }

            if (message.OnlyBranch is { } only)
            {
                // "No process starts on it" would be wrong when one does: the rule that kept it from starting is named.
                var startable = await Store.FindMessageStartsAsync(message.Name, cancellationToken).ConfigureAwait(false);
                var startsOn = startable.Count == 0 ? "" : startable.Count == 1 ? " (a process starts on this message, " : $" ({startable.Count} process versions start on this message, ";
                throw new WorkflowNotFoundException($"no instance of branch '{only}' waits for message '{message.Name}' with correlation key '{message.CorrelationKey}'{active}; "
                    + $"a message limited to one branch (as a branch's staff send it) moves only that branch's waiting instances and starts no process{(startsOn.Length == 0 ? "" : startsOn + "but such a start comes only from a handoff or a caller for every branch)")}");
            }

            throw new WorkflowNotFoundException($"no instance waits for message '{message.Name}' with correlation key '{message.CorrelationKey}', no process starts on it{active}, and it has no time-to-live to wait for one");
        }

        return new CorrelationResult(correlated.Count - started, started, buffered, Duplicate: false);
    }

    // The branch a process the message starts runs for: the one the sender named, else the handoff's (the sending
    // instance's branch travels with it). A handoff from a branch the engine does not know starts the latest version.
    private static async ValueTask<Branch?> BranchOfAsync(Execution execution, PublishMessage message)
    {
        if (message.Branch is { } named)
        {
            return await execution.Pins.FindAsync(named).ConfigureAwait(false)
                ?? throw new WorkflowNotFoundException($"branch '{named}' does not exist");
        }

        return await execution.Pins.FindAsync(message.Handoff?.Branch).ConfigureAwait(false);
    }

    /// <summary>Broadcasts a signal to every waiting signal catch event and signal start event.</summary>
    /// <returns>How many waits or starts it triggered.</returns>
    public Task<int> BroadcastSignalAsync(string signalName, IReadOnlyDictionary<string, object?>? variables = null, CancellationToken cancellationToken = default)
    {
        var values = _runner.Variables(variables);
        return _runner.ExecuteAsync(async execution => await execution.BroadcastSignalAsync(signalName, values).ConfigureAwait(false), cancellationToken);
    }

    /// <summary>Cancels a running instance and everything it waits for, called instances included.</summary>
    /// <exception cref="WorkflowConflictException">The instance has ended already, or another instance called it (cancel that one).</exception>
    public Task CancelAsync(Guid instanceId, CancellationToken cancellationToken = default) => CancelAsync(instanceId, null, cancellationToken);

    /// <summary>Cancels a running instance and everything it waits for, called instances included, with <paramref name="actor"/> in its history.</summary>
    /// <param name="instanceId">The instance.</param>
    /// <param name="actor">Who cancels (a user's name): the history's rows of the cancellation name them.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="WorkflowConflictException">The instance has ended already, or another instance called it (cancel that one).</exception>
    public Task CancelAsync(Guid instanceId, string? actor, CancellationToken cancellationToken = default) =>
        _runner.ExecuteAsync(async execution =>
        {
            execution.Actor = actor;
            LoadedInstance instance;
            try
            {
                instance = await execution.LoadAsync(instanceId).ConfigureAwait(false);
            }
            catch (InstanceStateUnreadableException unreadable)
            {
                // An operator can still end it: by its rows, since its state cannot be run.
                await UnreadableInstances.CancelByRowsAsync(execution, unreadable, cancellationToken).ConfigureAwait(false);
                return true;
            }

            if (instance.State.Status != ProcessInstanceStatus.Active)
            {
                throw new WorkflowConflictException($"process instance {instanceId} is already {instance.State.Status.ToString().ToLowerInvariant()}");
            }

            if (instance.State.ParentInstanceId is { } parent && await CallerActiveAsync(parent, cancellationToken).ConfigureAwait(false))
            {
                throw new WorkflowConflictException($"process instance {instanceId} was called by {parent}; cancel the calling instance");
            }

            await execution.TerminateInstanceAsync(instance, ProcessInstanceStatus.Cancelled).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    // A called instance is cancelled through its caller, unless the caller has ended without it (a caller's row
    // changed by hand, say: a cancel by rows ends the instances it called).
    private async ValueTask<bool> CallerActiveAsync(Guid parent, CancellationToken ct) =>
        (await Store.GetInstanceAsync(parent, ct).ConfigureAwait(false))?.Status == ProcessInstanceStatus.Active;

    /// <summary>Sets variables on an instance's process scope (to fix the cause of an incident, say).</summary>
    public Task SetVariablesAsync(Guid instanceId, IReadOnlyDictionary<string, object?> variables, CancellationToken cancellationToken = default) =>
        SetVariablesAsync(instanceId, variables, null, cancellationToken);

    /// <summary>Sets variables on an instance's process scope, with <paramref name="actor"/> in its history.</summary>
    /// <param name="instanceId">The instance.</param>
    /// <param name="variables">The values to set.</param>
    /// <param name="actor">Who sets them (a user's name), for the history.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task SetVariablesAsync(Guid instanceId, IReadOnlyDictionary<string, object?> variables, string? actor, CancellationToken cancellationToken = default)
    {
        var values = _runner.Variables(variables);
        return _runner.ExecuteAsync(async execution =>
        {
            execution.Actor = actor;
            var instance = await execution.LoadAsync(instanceId).ConfigureAwait(false);
            foreach (var (k, v) in values)
            {
                VariableScopes.SetProcessVariable(instance, k, v);
            }

            execution.History(instance, HistoryKind.VariablesSet, null, null, string.Join(", ", values.Keys));
            return true;
        }, cancellationToken);
    }

    /// <summary>Retries the step an incident stopped (after the cause was fixed, e.g. a variable set or a handler repaired).</summary>
    /// <exception cref="WorkflowNotFoundException">No such incident.</exception>
    /// <exception cref="WorkflowConflictException">The incident is resolved already.</exception>
    public Task ResolveIncidentAsync(Guid incidentId, CancellationToken cancellationToken = default) => ResolveIncidentAsync(incidentId, null, cancellationToken);

    /// <summary>Retries the step an incident stopped, with <paramref name="actor"/> on the history's <c>incident-resolved</c> row.</summary>
    /// <param name="incidentId">The incident.</param>
    /// <param name="actor">Who retries (a user's name), for the history.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="WorkflowNotFoundException">No such incident.</exception>
    /// <exception cref="WorkflowConflictException">The incident is resolved already.</exception>
    public Task ResolveIncidentAsync(Guid incidentId, string? actor, CancellationToken cancellationToken = default) =>
        _runner.ExecuteAsync(async execution =>
        {
            execution.Actor = actor;
            var incident = await Store.GetIncidentAsync(incidentId, cancellationToken).ConfigureAwait(false)
                ?? throw new WorkflowNotFoundException($"incident {incidentId} does not exist");
            if (incident.ResolvedAt is not null)
            {
                throw new WorkflowConflictException($"incident {incidentId} is already resolved");
            }

            var instance = await execution.LoadAsync(incident.InstanceId).ConfigureAwait(false);
            if (incident.ElementKey == UnreadableInstances.StateIncidentKey)
            {
                // The state was unreadable and reads now (repaired): its parked jobs and timers are given back (before
                // the incident closes, so that a crash between leaves an open incident, never work parked without one)
                // and the incident closes.
                await UnreadableInstances.ReleaseAsync(_runner, instance.Id, cancellationToken).ConfigureAwait(false);
                execution.Changes.IncidentsResolved.Add((incident.Id, execution.Now));
                execution.History(instance, HistoryKind.IncidentResolved, incident.ElementId, incident.ElementKey);

                // A message published while the state could not be read passed the instance over and was buffered: its
                // catches take it now, as they would have on opening.
                var waits = await Store.GetWaitsAsync(instance.Id, cancellationToken).ConfigureAwait(false);
                await execution.Waits.TakeBufferedAsync(instance, waits.Messages).ConfigureAwait(false);
                return true;
            }

            var element = CommandRunner.Owner(instance, incident.ElementKey, static e => e.IncidentId, "incident", incidentId);
            await execution.RetryIncidentAsync(instance, element).ConfigureAwait(false);
            return true;
        }, cancellationToken);
}
