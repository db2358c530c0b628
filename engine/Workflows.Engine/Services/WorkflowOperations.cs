using System.Text.Json;
using Workflows.Engine.Runtime;
using Workflows.Engine.Search;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Services;

/// <summary>Repairs: modify one instance (variables, activations, terminations), or cancel, retry or modify many in a background batch.</summary>
/// <remarks>
/// A modification is one command on the engine's command path: checked whole before anything changes, committed in
/// one transaction, written to the instance's history with the actor and the reason. A batch resolves its selection
/// into one item per instance when it is created; the background worker (<see cref="WorkflowWorker"/>) leases pending
/// items in chunks (<see cref="WorkflowWorkerOptions.BatchChunkSize"/>) and commits each item's result in the same
/// transaction as its operation, so a node that dies mid-chunk leaves nothing done twice: another node (or the same
/// one restarted) takes the rest once the lease ran out.
/// </remarks>
public sealed partial class WorkflowOperations
{
    /// <summary>The longest reason kept, in characters.</summary>
    public const int MaxReasonLength = 1000;

    /// <summary>The most instance ids a selection may list.</summary>
    public const int MaxSelectedIds = 1000;

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    private readonly CommandRunner _runner;

    internal WorkflowOperations(CommandRunner runner) => _runner = runner;

    private IWorkflowStore Store => _runner.Store;

    /// <summary>Modifies a running instance: sets variables, activates elements, terminates element instances.</summary>
    /// <exception cref="WorkflowNotFoundException">No such instance.</exception>
    /// <exception cref="WorkflowConflictException">The instance has ended.</exception>
    /// <exception cref="ModificationRefusedException">An instruction does not fit the instance: every reason is listed; nothing changed.</exception>
    /// <exception cref="WorkflowInputException">No reason given, or variables over <see cref="WorkflowEngineOptions.MaxVariablesBytes"/>.</exception>
    public Task<ModificationResult> ModifyAsync(ModifyInstance command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        CheckReason(command.Reason);
        var scopeValues = command.Variables.Select(v => _runner.Variables(v.Values)).ToList();
        foreach (var activation in command.Activate)
        {
            _ = _runner.Variables(activation.Variables);
            foreach (var values in activation.ScopeVariables?.Values ?? [])
            {
                _ = _runner.Variables(values);
            }
        }

        return _runner.ExecuteAsync(async execution =>
        {
            execution.Actor = command.Actor;
            var instance = await execution.LoadAsync(command.InstanceId).ConfigureAwait(false);
            return await new Modifications(execution).ApplyAsync(instance, command, scopeValues.Select(v => v.Copy()).ToList()).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <summary>
    /// Publishes a parked message again (<see cref="OutgoingMessage.ParkedAt"/>): its row is unpublished once more, and the
    /// outbox relay publishes it at its next round, counting its give-ups from zero. Fix what made the engines give it up first.
    /// </summary>
    /// <exception cref="WorkflowNotFoundException">No parked message has that id (it may have been sent again already).</exception>
    public async Task SendParkedMessageAgainAsync(Guid messageId, CancellationToken cancellationToken = default)
    {
        if (!await Store.UnparkOutboxAsync(messageId, cancellationToken).ConfigureAwait(false))
        {
            throw new WorkflowNotFoundException($"no parked message has the id {messageId}");
        }
    }

    /// <summary>Cancels a running instance and everything it waits for, called instances included, writing the actor and the reason to its history.</summary>
    /// <exception cref="WorkflowNotFoundException">No such instance.</exception>
    /// <exception cref="WorkflowConflictException">The instance has ended already, or another instance called it (cancel that one).</exception>
    /// <exception cref="WorkflowInputException">No reason given.</exception>
    public Task CancelAsync(CancelInstance command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        CheckReason(command.Reason);
        return _runner.ExecuteAsync(async execution =>
        {
            execution.Actor = command.Actor;
            LoadedInstance instance;
            try
            {
                instance = await execution.LoadAsync(command.InstanceId).ConfigureAwait(false);
            }
            catch (InstanceStateUnreadableException unreadable)
            {
                // By its rows, since its state cannot be run; the reason goes to the history's cancelled row.
                await UnreadableInstances.CancelByRowsAsync(execution, unreadable, cancellationToken, command.Reason.Trim()).ConfigureAwait(false);
                return true;
            }

            var state = instance.State;
            if (state.Status != ProcessInstanceStatus.Active)
            {
                throw new WorkflowConflictException($"process instance {state.Id} is already {state.Status.ToString().ToLowerInvariant()}");
            }

            if (state.ParentInstanceId is { } parent && (await Store.GetInstanceAsync(parent, cancellationToken).ConfigureAwait(false))?.Status == ProcessInstanceStatus.Active)
            {
                throw new WorkflowConflictException($"process instance {state.Id} was called by {parent}; cancel the calling instance");
            }

            // The modification's row carries the reason (the cancelled row itself has no detail); its detail starts with it.
            execution.History(instance, HistoryKind.InstanceModified, null, null, $"{command.Reason.Trim()} | cancel the instance");
            await execution.TerminateInstanceAsync(instance, ProcessInstanceStatus.Cancelled).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <summary>Creates a batch over the instances the selection picks now; the worker runs it in the background.</summary>
    /// <exception cref="WorkflowInputException">
    /// No reason, no filter, a variable not declared searchable or a value not of its type, a modify batch without
    /// instructions, or more instances than <see cref="WorkflowWorkerOptions.BatchMaxInstances"/>.
    /// </exception>
    public async Task<BatchInfo> CreateBatchAsync(CreateBatch request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        CheckReason(request.Reason);
        var selection = request.Selection ?? throw new WorkflowInputException("selection: say which instances the batch is for");
        if (selection is { ProcessId: null, Version: null, Branch: null, HasIncident: null, InstanceIds: null, Variables.Count: 0 } && request.Kind != BatchKind.Migrate)
        {
            throw new WorkflowInputException("selection: give at least one filter (processId, version, branch, hasIncident, instanceIds or variables)");
        }

        CheckInstanceIds(selection);
        string? operation = null;
        if (request.Kind == BatchKind.Modify)
        {
            var modification = request.Modification ?? throw new WorkflowInputException("modification: a modify batch needs its instructions");
            if (modification.Activate.Count == 0 && modification.Terminate.Count == 0 && modification.Variables is not { Count: > 0 })
            {
                throw new WorkflowInputException("modification: give elements to activate, elements to terminate or variables");
            }

            _ = _runner.Variables(modification.Variables);
            operation = JsonSerializer.Serialize(new StoredModification(modification.Terminate, modification.Activate, modification.Variables is null ? null : VariableScopes.ToJson(VariableScopes.ToContext(modification.Variables)!)), s_json);
        }
        else if (request.Modification is not null)
        {
            throw new WorkflowInputException($"modification: only a modify batch takes instructions, not a {request.Kind} batch");
        }

        if (request.Kind == BatchKind.Migrate)
        {
            var plan = request.Migration ?? throw new WorkflowInputException("migration: a migrate batch needs its plan");
            _ = await CheckPlanAsync(plan, selection.Version, cancellationToken).ConfigureAwait(false);
            selection = MigrationSelection(plan, selection);
            operation = JsonSerializer.Serialize(plan, s_json);
        }
        else if (request.Migration is not null)
        {
            throw new WorkflowInputException($"migration: only a migrate batch takes a plan, not a {request.Kind} batch");
        }

        var conditions = await SearchFilters.ResolveAsync(_runner, selection.ProcessId, selection.Variables ?? [], cancellationToken).ConfigureAwait(false);
        var limit = _runner.Options.Worker.BatchMaxInstances;
        var ids = new List<Guid>();
        Guid? after = null;
        while (true)
        {
            var page = await Store.SelectBatchInstancesAsync(selection, conditions, after, 1000, cancellationToken).ConfigureAwait(false);
            ids.AddRange(page);
            if (ids.Count > limit)
            {
                throw new WorkflowInputException($"the selection picks more than {limit:N0} instances ({_runner.Options.SettingName("Worker:BatchMaxInstances")}); narrow it");
            }

            if (page.Count < 1000)
            {
                break;
            }

            after = page[^1];
        }

        var now = _runner.Time.GetUtcNow();
        var batch = new BatchRecord(RowIds.NewId(now), request.Kind, ids.Count == 0 ? BatchState.Completed : request.Paused ? BatchState.Paused : BatchState.Running, request.Reason.Trim(), request.Actor,
            selection.Branch, ids.Count, operation, now, ids.Count == 0 ? now : null);
        await Store.InsertBatchAsync(batch, ids, cancellationToken).ConfigureAwait(false);
        return await InfoAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A batch with its progress.</summary>
    /// <exception cref="WorkflowNotFoundException">No such batch.</exception>
    public async Task<BatchInfo> GetBatchAsync(Guid batchId, CancellationToken cancellationToken = default) =>
        await InfoAsync(await BatchAsync(batchId, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <summary>Batches, newest first; of one branch only when <paramref name="branch"/> is given.</summary>
    public async Task<IReadOnlyList<BatchInfo>> ListBatchesAsync(string? branch = null, int max = 100, CancellationToken cancellationToken = default)
    {
        var batches = await Store.ListBatchesAsync(branch, max, cancellationToken).ConfigureAwait(false);
        var infos = new List<BatchInfo>(batches.Count);
        foreach (var batch in batches)
        {
            infos.Add(await InfoAsync(batch, cancellationToken).ConfigureAwait(false));
        }

        return infos;
    }

    /// <summary>Pauses a running batch: the chunk in flight finishes, no further chunk starts.</summary>
    /// <exception cref="WorkflowNotFoundException">No such batch.</exception>
    /// <exception cref="WorkflowConflictException">The batch has completed.</exception>
    public Task<BatchInfo> PauseBatchAsync(Guid batchId, CancellationToken cancellationToken = default) =>
        PauseBatchAsync(batchId, null, cancellationToken);

    /// <summary>Pauses a running batch, with <paramref name="actor"/> in its <see cref="BatchInfo.Steps"/>.</summary>
    /// <param name="batchId">The batch.</param>
    /// <param name="actor">Who pauses it (a user's name).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="WorkflowNotFoundException">No such batch.</exception>
    /// <exception cref="WorkflowConflictException">The batch has completed.</exception>
    public Task<BatchInfo> PauseBatchAsync(Guid batchId, string? actor, CancellationToken cancellationToken = default) =>
        MoveAsync(batchId, BatchState.Running, BatchState.Paused, actor, cancellationToken);

    /// <summary>Resumes a paused batch.</summary>
    /// <exception cref="WorkflowNotFoundException">No such batch.</exception>
    /// <exception cref="WorkflowConflictException">The batch has completed.</exception>
    public Task<BatchInfo> ResumeBatchAsync(Guid batchId, CancellationToken cancellationToken = default) =>
        ResumeBatchAsync(batchId, null, cancellationToken);

    /// <summary>Resumes a paused batch, with <paramref name="actor"/> in its <see cref="BatchInfo.Steps"/>.</summary>
    /// <param name="batchId">The batch.</param>
    /// <param name="actor">Who resumes it (a user's name).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="WorkflowNotFoundException">No such batch.</exception>
    /// <exception cref="WorkflowConflictException">The batch has completed.</exception>
    public Task<BatchInfo> ResumeBatchAsync(Guid batchId, string? actor, CancellationToken cancellationToken = default) =>
        MoveAsync(batchId, BatchState.Paused, BatchState.Running, actor, cancellationToken);

    /// <summary>The batch's per-instance results in order, after <paramref name="after"/> (a <see cref="BatchItemInfo.Seq"/>), at most <paramref name="max"/>.</summary>
    /// <exception cref="WorkflowNotFoundException">No such batch.</exception>
    public async Task<IReadOnlyList<BatchItemInfo>> GetBatchResultsAsync(Guid batchId, long after = 0, int max = 100, CancellationToken cancellationToken = default)
    {
        _ = await BatchAsync(batchId, cancellationToken).ConfigureAwait(false);
        var items = await Store.GetBatchItemsAsync(batchId, after, max, cancellationToken).ConfigureAwait(false);
        return items.Select(i => new BatchItemInfo(i.Seq, i.InstanceId, i.Status, i.Detail, i.At)).ToList();
    }

    private async Task<BatchInfo> MoveAsync(Guid batchId, BatchState from, BatchState to, string? actor, CancellationToken cancellationToken)
    {
        var batch = await BatchAsync(batchId, cancellationToken).ConfigureAwait(false);
        var now = _runner.Time.GetUtcNow();
        var step = new BatchStepRecord(RowIds.NewId(now), batchId, now, to == BatchState.Paused ? "paused" : "resumed", actor);
        if (batch.State != to && !await Store.SetBatchStateAsync(batchId, from, to, null, step, cancellationToken).ConfigureAwait(false))
        {
            batch = await BatchAsync(batchId, cancellationToken).ConfigureAwait(false);
            if (batch.State != to)
            {
                throw new WorkflowConflictException($"batch {batchId} is {batch.State.ToString().ToLowerInvariant()}");
            }
        }

        return await GetBatchAsync(batchId, cancellationToken).ConfigureAwait(false);
    }

    private async Task<BatchRecord> BatchAsync(Guid batchId, CancellationToken cancellationToken) =>
        await Store.GetBatchAsync(batchId, cancellationToken).ConfigureAwait(false) ?? throw new WorkflowNotFoundException($"batch {batchId} does not exist");

    private async Task<BatchInfo> InfoAsync(BatchRecord batch, CancellationToken cancellationToken)
    {
        var counts = await Store.CountBatchItemsAsync(batch.Id, cancellationToken).ConfigureAwait(false);
        var steps = await Store.GetBatchStepsAsync(batch.Id, cancellationToken).ConfigureAwait(false);
        return new BatchInfo(batch.Id, batch.Kind, batch.State, batch.Reason, batch.Actor, batch.Branch, batch.Total, counts.Pending, counts.Done, counts.Skipped, counts.Failed,
            batch.CreatedAt, batch.CompletedAt)
        {
            Steps = [new BatchStepInfo(batch.CreatedAt, "created", batch.Actor),
                .. steps.Select(s => new BatchStepInfo(s.At, s.Action, s.Actor))],
        };
    }

    /// <summary>
    /// An empty <see cref="BatchSelection.InstanceIds"/> is refused rather than read: as "no filter" it would widen the
    /// batch to every instance the other filters pick, and as "none" it would start a batch that does nothing, while the
    /// list was most likely built from a search that found nothing.
    /// </summary>
    internal static void CheckInstanceIds(BatchSelection? selection)
    {
        if (selection?.InstanceIds is { Count: 0 })
        {
            throw new WorkflowInputException("selection.instanceIds: the list is empty, so it names no instance; name at least one, or leave instanceIds out to select by the other filters");
        }

        if (selection?.InstanceIds is { Count: > MaxSelectedIds })
        {
            throw new WorkflowInputException($"selection.instanceIds: at most {MaxSelectedIds} ids; select by filters instead");
        }
    }

    private static void CheckReason(string? reason)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw new WorkflowInputException("reason: say why (it is written to each instance's history)");
        }

        if (reason.Length > MaxReasonLength)
        {
            throw new WorkflowInputException($"reason: at most {MaxReasonLength} characters");
        }
    }

    internal static StoredModification ReadModification(string json) =>
        JsonSerializer.Deserialize<StoredModification>(json, s_json) ?? throw new InvalidOperationException("a modify batch without its instructions");

    /// <summary>A modify batch's instructions as stored with it; the variables as the engine's variable JSON.</summary>
    internal sealed record StoredModification(IReadOnlyList<string> Terminate, IReadOnlyList<string> Activate, string? VariablesJson);
}
