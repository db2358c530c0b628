using Dapper;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql;

// Batch operations: batches, their items and the items' leases; an item's result commits with its operation.
internal sealed partial class SqlWorkflowStore
{
    public ValueTask<IReadOnlyList<Guid>> SelectBatchInstancesAsync(BatchSelection selection, IReadOnlyList<VariableCondition> variables, Guid? after, int max, CancellationToken ct)
    {
        var parameters = new DynamicParameters(new
        {
            Status = (int)(selection.Status ?? ProcessInstanceStatus.Active), selection.ProcessId, selection.Version, selection.Branch,
            Ids = selection.InstanceIds?.ToArray(), After = after, Max = max,
        });
        var where = new List<string> { "i.status = @Status" };
        if (selection.ProcessId is not null)
        {
            where.Add("i.process_id = @ProcessId");
        }

        if (selection.Version is not null)
        {
            where.Add("i.version = @Version");
        }

        if (selection.Branch is not null)
        {
            where.Add("i.branch = @Branch");
        }

        if (selection.InstanceIds is not null)
        {
            where.Add(selection.InstanceIds.Count == 0 ? "1 = 0" : _dialect.InList("i.id", "@Ids"));
        }

        if (selection.HasIncident is { } has)
        {
            where.Add((has ? "" : "NOT ") + "EXISTS (SELECT 1 FROM wf_incidents x WHERE x.instance_id = i.id AND x.resolved_at IS NULL)");
        }

        // The same conditions on the variable index as instance searches, so a batch picks what the search listed.
        where.AddRange(VariableConditions("i.id", variables, parameters));
        if (after is not null)
        {
            where.Add("i.id > @After");
        }

        var sql = _dialect.Top($"i.id FROM wf_instances i WHERE {string.Join(" AND ", where)} ORDER BY i.id", "@Max");
        return ListAsync<Guid, Guid>(sql, parameters, g => g, ct);
    }

    public async ValueTask InsertBatchAsync(BatchRecord batch, IReadOnlyList<Guid> instanceIds, CancellationToken ct) =>
        await WritingAsync(async () =>
        {
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
            await using var transaction = await _dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO wf_batches (id, kind, state, reason, actor, branch, total, operation_json, created_at, completed_at)
                VALUES (@Id, @Kind, @State, @Reason, @Actor, @Branch, @Total, @OperationJson, @CreatedAt, @CompletedAt)
                """, new
            {
                batch.Id, Kind = (int)batch.Kind, State = (int)batch.State, batch.Reason, batch.Actor, batch.Branch, batch.Total, batch.OperationJson,
                CreatedAt = batch.CreatedAt.UtcTicks, CompletedAt = batch.CompletedAt?.UtcTicks,
            }, transaction, cancellationToken: ct)).ConfigureAwait(false);
            var rows = instanceIds.Select((id, i) => (object)new { Id = Guid.CreateVersion7(batch.CreatedAt), BatchId = batch.Id, Seq = (long)(i + 1), InstanceId = id }).ToList();
            foreach (var chunk in rows.Chunk(500))
            {
                await _dialect.ExecuteRowsAsync(connection, transaction,
                    "INSERT INTO wf_batch_items (id, batch_id, seq, instance_id, status) VALUES (@Id, @BatchId, @Seq, @InstanceId, 0)", chunk, ct).ConfigureAwait(false);
            }

            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return true;
        }, ct).ConfigureAwait(false);

    public ValueTask<BatchRecord?> GetBatchAsync(Guid id, CancellationToken ct) =>
        SingleAsync<BatchRow, BatchRecord>("SELECT * FROM wf_batches WHERE id = @id", new { id }, r => r.ToRecord(), ct);

    public ValueTask<IReadOnlyList<BatchRecord>> ListBatchesAsync(string? branch, int max, CancellationToken ct) =>
        ListAsync<BatchRow, BatchRecord>(_dialect.Top("* FROM wf_batches" + (branch is null ? "" : " WHERE branch = @branch") + " ORDER BY created_at DESC, id DESC", "@max"),
            new { branch, max }, r => r.ToRecord(), ct);

    public async ValueTask<BatchCounts> CountBatchItemsAsync(Guid batchId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        var rows = await connection.QueryAsync<(int Status, long Count)>(new CommandDefinition(
            "SELECT status, COUNT(*) FROM wf_batch_items WHERE batch_id = @batchId GROUP BY status", new { batchId }, cancellationToken: ct)).ConfigureAwait(false);
        var counts = new int[4];
        foreach (var (status, count) in rows)
        {
            counts[status] = (int)count;
        }

        return new BatchCounts(counts[0], counts[1], counts[2], counts[3]);
    }

    public async ValueTask<bool> SetBatchStateAsync(Guid id, BatchState from, BatchState to, DateTimeOffset? completedAt, BatchStepRecord? step, CancellationToken ct) =>
        await WritingAsync(async () =>
        {
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
            await using var transaction = await _dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            var rows = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE wf_batches SET state = @to, completed_at = COALESCE(@completedAt, completed_at) WHERE id = @id AND state = @from",
                new { id, from = (int)from, to = (int)to, completedAt = completedAt?.UtcTicks }, transaction, cancellationToken: ct)).ConfigureAwait(false);
            if (rows == 1 && step is not null)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO wf_batch_steps (id, batch_id, at, action, actor) VALUES (@Id, @BatchId, @At, @Action, @Actor)",
                    new { step.Id, step.BatchId, At = step.At.UtcTicks, step.Action, step.Actor }, transaction, cancellationToken: ct)).ConfigureAwait(false);
            }

            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return rows == 1;
        }, ct).ConfigureAwait(false);

    public ValueTask<IReadOnlyList<BatchStepRecord>> GetBatchStepsAsync(Guid batchId, CancellationToken ct) =>
        ListAsync<BatchStepRow, BatchStepRecord>("SELECT * FROM wf_batch_steps WHERE batch_id = @batchId ORDER BY at, id", new { batchId },
            r => new BatchStepRecord(r.Id, r.BatchId, Time(r.At), r.Action, r.Actor), ct);

    public async ValueTask<bool> AnyRunningBatchAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<int?>(new CommandDefinition(_dialect.Top("1 FROM wf_batches WHERE state = 0", "1"), cancellationToken: ct)).ConfigureAwait(false) is not null;
    }

    public async ValueTask<IReadOnlyList<BatchItemRecord>> ClaimBatchItemsAsync(DateTimeOffset now, int max, string owner, DateTimeOffset leaseUntil, CancellationToken ct) =>
        (await ClaimAsync<BatchItemRow>(_dialect.Claim("wf_batch_items", "*", "status = 0 AND batch_id IN (SELECT id FROM wf_batches WHERE state = 0)", "batch_id, seq"),
            new { LeaseNow = now.UtcTicks, Max = max, Owner = owner, LeaseUntil = leaseUntil.UtcTicks }, ct).ConfigureAwait(false))
            .Select(r => r.ToRecord()).OrderBy(i => i.BatchId).ThenBy(i => i.Seq).ToList();

    public ValueTask<BatchItemRecord?> GetBatchItemAsync(Guid id, CancellationToken ct) =>
        SingleAsync<BatchItemRow, BatchItemRecord>("SELECT * FROM wf_batch_items WHERE id = @id", new { id }, r => r.ToRecord(), ct);

    public ValueTask<IReadOnlyList<BatchItemRecord>> GetBatchItemsAsync(Guid batchId, long afterSeq, int max, CancellationToken ct) =>
        ListAsync<BatchItemRow, BatchItemRecord>(_dialect.Top("* FROM wf_batch_items WHERE batch_id = @batchId AND seq > @afterSeq ORDER BY seq", "@max"),
            new { batchId, afterSeq, max }, r => r.ToRecord(), ct);

    // In the command's transaction: a result lands only on an item still pending, so an item another node did (its lease
    // ran out meanwhile) makes this commit a conflict, and the command's effects roll back with it.
    private static async Task WriteBatchItemsAsync(SqlCommit w, ChangeSet changes)
    {
        if (changes.Part<BatchChanges>() is not { Results.Count: > 0 } part)
        {
            return;
        }

        await w.RowsAsync("batch-items", "UPDATE wf_batch_items SET status = @Status, detail = @Detail, at = @At, lease_owner = NULL, lease_until = NULL WHERE id = @ItemId AND status = 0",
            part.Results, r => new { r.ItemId, Status = (int)r.Status, r.Detail, At = r.At.UtcTicks },
            new CommitGuard(part.Results.Count, () => new ConcurrencyConflictException($"a batch item of {string.Join(", ", part.Results.Select(r => r.ItemId))} was done by another command"))).ConfigureAwait(false);
    }

    private sealed class BatchRow
    {
        public Guid Id { get; set; }

        public int Kind { get; set; }

        public int State { get; set; }

        public string Reason { get; set; } = "";

        public string? Actor { get; set; }

        public string? Branch { get; set; }

        public int Total { get; set; }

        public string? OperationJson { get; set; }

        public long CreatedAt { get; set; }

        public long? CompletedAt { get; set; }

        public BatchRecord ToRecord() => new(Id, (BatchKind)Kind, (BatchState)State, Reason, Actor, Branch, Total, OperationJson, Time(CreatedAt), CompletedAt is { } c ? Time(c) : null);
    }

    private sealed class BatchStepRow
    {
        public Guid Id { get; set; }

        public Guid BatchId { get; set; }

        public long At { get; set; }

        public string Action { get; set; } = "";

        public string? Actor { get; set; }
    }

    private sealed class BatchItemRow
    {
        public Guid Id { get; set; }

        public Guid BatchId { get; set; }

        public long Seq { get; set; }

        public Guid InstanceId { get; set; }

        public int Status { get; set; }

        public string? Detail { get; set; }

        public long? At { get; set; }

        public string? LeaseOwner { get; set; }

        public long? LeaseUntil { get; set; }

        public BatchItemRecord ToRecord() => new(Id, BatchId, Seq, InstanceId, (BatchItemStatus)Status, Detail, At is { } a ? Time(a) : null);
    }
}
