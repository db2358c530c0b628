using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Services;

/// <summary>
/// The worker's part of batch operations: leases a chunk of pending items of running batches and does each item's
/// operation in a command of its own that also writes the item's result, so the result and the effect commit together.
/// </summary>
internal sealed class BatchRunner(CommandRunner runner)
{
    private IWorkflowStore Store => runner.Store;

    /// <returns>How many items were taken.</returns>
    public async Task<int> RunDueAsync(int max, CancellationToken ct)
    {
        if (!await Store.AnyRunningBatchAsync(ct).ConfigureAwait(false))
        {
            return 0;
        }

        var now = runner.LeaseTime.GetUtcNow(); // a lease: real elapsed time, whatever a controllable clock shows
        var options = runner.Options;
        var items = await Store.ClaimBatchItemsAsync(now, max, options.NodeId, now + options.Worker.LeaseDuration, ct).ConfigureAwait(false);
        var touched = new HashSet<Guid>();
        var plans = new Dictionary<Guid, MigrationRun>();
        foreach (var item in items)
        {
            // Read for every item: a pause takes effect before the next instance, not after the chunk.
            var batch = await Store.GetBatchAsync(item.BatchId, ct).ConfigureAwait(false);
            if (batch is not { State: BatchState.Running })
            {
                continue; // its lease runs out; resumed, the batch takes it again
            }

            touched.Add(batch.Id);
            await RunItemAsync(batch, item, plans, ct).ConfigureAwait(false);
        }

        foreach (var batchId in touched)
        {
            if ((await Store.CountBatchItemsAsync(batchId, ct).ConfigureAwait(false)).Pending == 0)
            {
                await Store.SetBatchStateAsync(batchId, BatchState.Running, BatchState.Completed, runner.Time.GetUtcNow(), null, ct).ConfigureAwait(false);
            }
        }

        return items.Count;
    }

    private async Task RunItemAsync(BatchRecord batch, BatchItemRecord item, Dictionary<Guid, MigrationRun> plans, CancellationToken ct)
    {
        try
        {
            await runner.ExecuteAsync(async execution =>
            {
                // Another node whose lease ran out may have done it meanwhile: its result is the one kept.
                if (await Store.GetBatchItemAsync(item.Id, ct).ConfigureAwait(false) is not { Status: BatchItemStatus.Pending })
                {
                    return false;
                }

                execution.Actor = batch.Actor;
                string? skipped;
                try
                {
                    var instance = await execution.LoadAsync(item.InstanceId).ConfigureAwait(false);
                    skipped = await OperateAsync(execution, instance, batch, plans, ct).ConfigureAwait(false);
                    if (skipped is null)
                    {
                        execution.History(instance, HistoryKind.BatchOperation, null, null, $"{batch.Kind} by batch {batch.Id} | {batch.Reason}");
                    }
                }
                catch (InstanceStateUnreadableException unreadable) when (batch.Kind == BatchKind.Cancel)
                {
                    // An operator's batch ends a broken instance as their own cancel does: by its rows.
                    skipped = await UnreadableInstances.TryCancelByRowsAsync(execution, unreadable, $"{batch.Reason} | cancel by batch {batch.Id}", ct).ConfigureAwait(false);
                    skipped = skipped is null ? null : "the instance " + skipped;
                }

                execution.Changes.PartToFill<BatchChanges>().Results.Add(new BatchItemResult(item.Id, skipped is null ? BatchItemStatus.Done : BatchItemStatus.Skipped, skipped, execution.Now));
                return true;
            }, ct, name: "RunBatchItem").ConfigureAwait(false);
        }
        catch (WorkflowException e)
        {
            // Refused or failed: nothing of the operation was kept; the result says why, unless another node wrote one first.
            await CommandRunner.IgnoreIfGoneAsync(runner.ExecuteAsync(async execution =>
            {
                if (await Store.GetBatchItemAsync(item.Id, ct).ConfigureAwait(false) is { Status: BatchItemStatus.Pending })
                {
                    execution.Changes.PartToFill<BatchChanges>().Results.Add(new BatchItemResult(item.Id, BatchItemStatus.Failed, e.Message, execution.Now));
                }

                return true;
            }, ct, runTokens: false, name: "FailBatchItem")).ConfigureAwait(false);
        }
    }

    /// <returns>Null when done; why it was skipped otherwise.</returns>
    private async ValueTask<string?> OperateAsync(Execution execution, LoadedInstance instance, BatchRecord batch, Dictionary<Guid, MigrationRun> plans, CancellationToken ct)
    {
        var state = instance.State;
        if (state.Status != ProcessInstanceStatus.Active)
        {
            return $"the instance is {state.Status.ToString().ToLowerInvariant()}";
        }

        switch (batch.Kind)
        {
            case BatchKind.Cancel:
                if (state.ParentInstanceId is { } parent)
                {
                    return $"instance {parent} called it; cancel that one";
                }

                await execution.TerminateInstanceAsync(instance, ProcessInstanceStatus.Cancelled).ConfigureAwait(false);
                return null;

            case BatchKind.ResolveIncidents:
                var incidents = await Store.GetOpenIncidentsAsync(state.Id, ct).ConfigureAwait(false);
                var retried = 0;
                foreach (var incident in incidents)
                {
                    if (state.Elements.TryGetValue(incident.ElementKey, out var element) && element.IncidentId == incident.Id)
                    {
                        await execution.RetryIncidentAsync(instance, element).ConfigureAwait(false);
                        retried++;
                    }
                }

                return retried == 0 ? "the instance has no open incident" : null;

            case BatchKind.Migrate:
                // The plan is checked once per batch and chunk, and each branch's pin read once: not once per instance.
                if (!plans.TryGetValue(batch.Id, out var migration))
                {
                    var operations = new WorkflowOperations(runner);
                    var (target, map) = await operations.CheckPlanAsync(WorkflowOperations.ReadMigration(batch.OperationJson!), null, ct).ConfigureAwait(false);
                    plans[batch.Id] = migration = new MigrationRun(operations, target, map, new Dictionary<string, int?>(StringComparer.Ordinal));
                }

                return await migration.Operations.MigrateLoadedAsync(execution, instance, migration.Target, migration.Map, batch.Reason, migration.Pins, ct).ConfigureAwait(false);

            default:
                var stored = WorkflowOperations.ReadModification(batch.OperationJson!);
                var values = stored.VariablesJson is null ? null : VariableScopes.FromJson(stored.VariablesJson);
                var command = new ModifyInstance(state.Id, batch.Reason)
                {
                    Actor = batch.Actor,
                    Variables = values is null ? [] : [new ScopeVariables(null, VariableScopes.ToDictionary(values))],
                    Activate = stored.Activate.Select(id => new ActivateElement(id)).ToList(),
                    Terminate = stored.Terminate.Select(id => new TerminateElement(null, id)).ToList(),
                };
                await new Modifications(execution).ApplyAsync(instance, command, values is null ? [] : [values]).ConfigureAwait(false);
                return null;
        }
    }
}

/// <summary>A migrate batch's plan as checked for one chunk, with the pins of the branches read so far.</summary>
internal sealed record MigrationRun(WorkflowOperations Operations, ProcessDefinition Target, Dictionary<string, string> Map, Dictionary<string, int?> Pins);
