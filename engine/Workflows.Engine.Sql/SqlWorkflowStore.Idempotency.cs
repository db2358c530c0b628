using Dapper;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql;

// The idempotency keys of starts: written in the start's own transaction with its instance (migration 0036).
internal sealed partial class SqlWorkflowStore
{
    public ValueTask<IdempotencyKeyRecord?> GetIdempotencyKeyAsync(string scope, string key, CancellationToken ct) =>
        SingleAsync<IdempotencyKeyRow, IdempotencyKeyRecord>(
            "SELECT * FROM wf_idempotency_keys WHERE scope = @scope AND idempotency_key = @key",
            new { scope, key }, r => r.ToRecord(), ct);

    // A batch a transaction, the oldest first through ix_wf_idempotency_keys_time: a day of keyed starts is millions of rows
    // at a busy node, and SQLite's one writer (which every group commit waits for) is never held long by their purge.
    public async Task<int> DeleteIdempotencyKeysAsync(DateTimeOffset createdBefore, int batchSize, CancellationToken ct)
    {
        var total = 0;
        while (true)
        {
            var deleted = await WritingAsync(async () =>
            {
                await using var connection = await OpenAsync(ct).ConfigureAwait(false);
                var times = (await connection.QueryAsync<long>(new CommandDefinition(
                    _dialect.Top("created_at FROM wf_idempotency_keys WHERE created_at < @cutoff ORDER BY created_at", "@batchSize"),
                    new { cutoff = createdBefore.UtcTicks, batchSize }, cancellationToken: ct)).ConfigureAwait(false)).ToList();
                // Up to the batch's newest time: keys stored in the same tick as it go with it (a batch may be a little larger).
                return times.Count == 0 ? 0 : await connection.ExecuteAsync(new CommandDefinition(
                    "DELETE FROM wf_idempotency_keys WHERE created_at <= @upTo", new { upTo = times[^1] }, cancellationToken: ct)).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
            if (deleted == 0)
            {
                return total;
            }

            total += deleted;
        }
    }

    // Unguarded inserts: a key another start stored first breaks the unique key, and the command runs again and finds it.
    private static Task WriteIdempotencyKeysAsync(SqlCommit w, ChangeSet changes) =>
        w.RowsAsync("idempotency-keys", """
            INSERT INTO wf_idempotency_keys (scope, idempotency_key, fingerprint, instance_id, business_key, created_at)
            VALUES (@Scope, @Key, @Fingerprint, @InstanceId, @BusinessKey, @CreatedAt)
            """, changes.IdempotencyKeys, k => new { k.Scope, k.Key, k.Fingerprint, k.InstanceId, k.BusinessKey, CreatedAt = k.CreatedAt.UtcTicks });
}

internal sealed class IdempotencyKeyRow
{
    public string Scope { get; set; } = "";

    public string IdempotencyKey { get; set; } = "";

    public string Fingerprint { get; set; } = "";

    public Guid InstanceId { get; set; }

    public string? BusinessKey { get; set; }

    public long CreatedAt { get; set; }

    public IdempotencyKeyRecord ToRecord() => new(Scope, IdempotencyKey, Fingerprint, InstanceId, BusinessKey, SqlWorkflowStore.Time(CreatedAt));
}
