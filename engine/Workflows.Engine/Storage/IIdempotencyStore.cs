namespace Workflows.Engine.Storage;

/// <summary>
/// The idempotency keys of starts (<see cref="StartIdempotency"/>): written by the start's commit with its instance
/// (<see cref="ChangeSet.IdempotencyKeys"/>), read by a start that comes with a key, deleted once old enough.
/// </summary>
internal interface IIdempotencyStore
{
    /// <summary>The key stored in <paramref name="scope"/>, if any.</summary>
    ValueTask<IdempotencyKeyRecord?> GetIdempotencyKeyAsync(string scope, string key, CancellationToken ct);

    /// <summary>Deletes the keys stored before <paramref name="createdBefore"/>, about <paramref name="batchSize"/> a transaction; returns how many.</summary>
    Task<int> DeleteIdempotencyKeysAsync(DateTimeOffset createdBefore, int batchSize, CancellationToken ct);
}

/// <summary>A start's idempotency key: whose it is, the request it came with, and the instance it started.</summary>
/// <param name="Scope">Whose key it is (<see cref="StartIdempotency.Scope"/>).</param>
/// <param name="Key">The caller's key.</param>
/// <param name="Fingerprint">What identifies the request (<see cref="StartIdempotency.Fingerprint"/>).</param>
/// <param name="InstanceId">The instance the start made.</param>
/// <param name="BusinessKey">Its business key.</param>
/// <param name="CreatedAt">When the start committed it.</param>
internal sealed record IdempotencyKeyRecord(string Scope, string Key, string Fingerprint, Guid InstanceId, string? BusinessKey, DateTimeOffset CreatedAt);
