using Workflows.Engine.Runtime;

namespace Workflows.Engine.Storage;

// Batch operations: batches, their items and the items' leases.
internal sealed partial class InMemoryWorkflowStore
{
    private readonly Dictionary<Guid, BatchRecord> _batches = [];
    private readonly Dictionary<Guid, (BatchItemRecord Item, string? Owner, DateTimeOffset? Until)> _batchItems = [];
    private readonly List<BatchStepRecord> _batchSteps = [];

    public ValueTask<IReadOnlyList<Guid>> SelectBatchInstancesAsync(BatchSelection selection, IReadOnlyList<VariableCondition> variables, Guid? after, int max, CancellationToken ct)
    {
        lock (_gate)
        {
            var status = selection.Status ?? ProcessInstanceStatus.Active;
            IReadOnlyList<Guid> ids = _instances.Values
                .Where(i => i.Status == status
                    && (selection.ProcessId is null || i.ProcessId == selection.ProcessId)
                    && (selection.Version is null || i.Version == selection.Version)
                    && (selection.Branch is null || i.Branch == selection.Branch)
                    && (selection.InstanceIds is null || selection.InstanceIds.Contains(i.Id))
                    && (selection.HasIncident is null || HasOpenIncident(i.Id) == selection.HasIncident)
                    && MatchesVariables(i.Id, variables)
                    && (after is null || i.Id.CompareTo(after.Value) > 0))
                .Select(i => i.Id)
                .Order()
                .Take(max)
                .ToList();
            return new(ids);
        }
    }

    public ValueTask InsertBatchAsync(BatchRecord batch, IReadOnlyList<Guid> instanceIds, CancellationToken ct)
    {
        lock (_gate)
        {
            _batches[batch.Id] = batch;
            for (var i = 0; i < instanceIds.Count; i++)
            {
                var item = new BatchItemRecord(RowIds.NewId(batch.CreatedAt), batch.Id, i + 1, instanceIds[i], BatchItemStatus.Pending, null, null);
                _batchItems[item.Id] = (item, null, null);
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<BatchRecord?> GetBatchAsync(Guid id, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_batches.GetValueOrDefault(id));
        }
    }

    public ValueTask<IReadOnlyList<BatchRecord>> ListBatchesAsync(string? branch, int max, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<BatchRecord> batches = _batches.Values.Where(b => branch is null || b.Branch == branch)
                .OrderByDescending(b => b.CreatedAt).ThenByDescending(b => b.Id).Take(max).ToList();
            return new(batches);
        }
    }

    public ValueTask<BatchCounts> CountBatchItemsAsync(Guid batchId, CancellationToken ct)
    {
        lock (_gate)
        {
            var counts = new int[4];
            foreach (var (item, _, _) in _batchItems.Values)
            {
                if (item.BatchId == batchId)
                {
                    counts[(int)item.Status]++;
                }
            }

            return new(new BatchCounts(counts[0], counts[1], counts[2], counts[3]));
        }
    }

    public ValueTask<bool> SetBatchStateAsync(Guid id, BatchState from, BatchState to, DateTimeOffset? completedAt, BatchStepRecord? step, CancellationToken ct)
    {
        lock (_gate)
        {
            if (!_batches.TryGetValue(id, out var batch) || batch.State != from)
            {
                return new(false);
            }

            _batches[id] = batch with { State = to, CompletedAt = completedAt ?? batch.CompletedAt };
            if (step is not null)
            {
                _batchSteps.Add(step);
            }

            return new(true);
        }
    }

    public ValueTask<IReadOnlyList<BatchStepRecord>> GetBatchStepsAsync(Guid batchId, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_batchSteps.Where(s => s.BatchId == batchId).OrderBy(s => s.At).ToList());
        }
    }

    public ValueTask<bool> AnyRunningBatchAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_batches.Values.Any(b => b.State == BatchState.Running));
        }
    }

    public ValueTask<IReadOnlyList<BatchItemRecord>> ClaimBatchItemsAsync(DateTimeOffset now, int max, string owner, DateTimeOffset leaseUntil, CancellationToken ct)
    {
        lock (_gate)
        {
            var claimed = _batchItems.Values
                .Where(e => e.Item.Status == BatchItemStatus.Pending && (e.Until is null || e.Until < now)
                    && _batches.TryGetValue(e.Item.BatchId, out var b) && b.State == BatchState.Running)
                .OrderBy(e => e.Item.Seq).ThenBy(e => e.Item.Id)
                .Take(max)
                .Select(e => e.Item)
                .ToList();
            foreach (var item in claimed)
            {
                _batchItems[item.Id] = (item, owner, leaseUntil);
            }

            return new((IReadOnlyList<BatchItemRecord>)claimed);
        }
    }

    public ValueTask<BatchItemRecord?> GetBatchItemAsync(Guid id, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_batchItems.TryGetValue(id, out var e) ? e.Item : null);
        }
    }

    public ValueTask<IReadOnlyList<BatchItemRecord>> GetBatchItemsAsync(Guid batchId, long afterSeq, int max, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<BatchItemRecord> items = _batchItems.Values.Select(e => e.Item).Where(i => i.BatchId == batchId && i.Seq > afterSeq)
                .OrderBy(i => i.Seq).Take(max).ToList();
            return new(items);
        }
    }

    // Checked with the other guards, before anything of the commit is applied.
    private void CheckBatchItems(ChangeSet changes)
    {
        foreach (var result in changes.Part<BatchChanges>()?.Results ?? [])
        {
            if (!_batchItems.TryGetValue(result.ItemId, out var e) || e.Item.Status != BatchItemStatus.Pending)
            {
                throw new ConcurrencyConflictException($"batch item {result.ItemId} was done by another command");
            }
        }
    }

    private void ApplyBatchItems(ChangeSet changes)
    {
        foreach (var result in changes.Part<BatchChanges>()?.Results ?? [])
        {
            var (item, _, _) = _batchItems[result.ItemId];
            _batchItems[result.ItemId] = (item with { Status = result.Status, Detail = result.Detail, At = result.At }, null, null);
        }
    }
}
