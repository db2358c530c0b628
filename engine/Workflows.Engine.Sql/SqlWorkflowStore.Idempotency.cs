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

    // One statement through ix_wf_idempotency_keys_time: a day's keys are small rows, deleted once an interval.
    public Task<int> DeleteIdempotencyKeysAsync(DateTimeOffset createdBefore, CancellationToken ct) =>
        WritingAsync(async () =>
        {
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
            return await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM wf_idempotency_keys WHERE created_at < @cutoff", new { cutoff = createdBefore.UtcTicks }, cancellationToken: ct)).ConfigureAwait(false);
        }, ct);

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
