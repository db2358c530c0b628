namespace Workflows.Engine.Storage;

// The idempotency keys of starts, written under the commit's lock with their instance.
internal sealed partial class InMemoryWorkflowStore
{
    private readonly Dictionary<(string Scope, string Key), IdempotencyKeyRecord> _idempotencyKeys = [];

    public ValueTask<IdempotencyKeyRecord?> GetIdempotencyKeyAsync(string scope, string key, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_idempotencyKeys.GetValueOrDefault((scope, key)));
        }
    }

    public Task<int> DeleteIdempotencyKeysAsync(DateTimeOffset createdBefore, int batchSize, CancellationToken ct)
    {
        lock (_gate)
        {
            var old = _idempotencyKeys.Where(k => k.Value.CreatedAt < createdBefore).Select(k => k.Key).ToList();
            foreach (var key in old)
            {
                _idempotencyKeys.Remove(key);
            }

            return Task.FromResult(old.Count);
        }
    }

    IdempotencyKeyRecord? IGuardedRows.IdempotencyKey(string scope, string key) => _idempotencyKeys.GetValueOrDefault((scope, key));

    // Called under the commit's lock, after every guard held.
    private void ApplyIdempotencyKeys(ChangeSet changes)
    {
        foreach (var key in changes.IdempotencyKeys)
        {
            _idempotencyKeys.Add((key.Scope, key.Key), key);
        }
    }
}
