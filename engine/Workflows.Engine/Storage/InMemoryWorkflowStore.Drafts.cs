namespace Workflows.Engine.Storage;

// Analysts' drafts, by id; each read and write checks the owner.
internal sealed partial class InMemoryWorkflowStore
{
    private readonly Dictionary<Guid, DraftRecord> _drafts = [];

    public ValueTask<IReadOnlyList<DraftRecord>> GetDraftsAsync(string owner, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<DraftRecord> drafts = _drafts.Values.Where(d => d.Owner == owner)
                .OrderByDescending(d => d.SavedAt).ThenByDescending(d => d.Id).Select(d => d with { Xml = "" }).ToList();
            return new(drafts);
        }
    }

    public ValueTask<DraftRecord?> GetDraftAsync(string owner, Guid id, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_drafts.TryGetValue(id, out var draft) && draft.Owner == owner ? draft : null);
        }
    }

    public ValueTask<bool> InsertDraftAsync(DraftRecord draft, int maxPerOwner, CancellationToken ct)
    {
        lock (_gate)
        {
            if (_drafts.Values.Count(d => d.Owner == draft.Owner) >= maxPerOwner)
            {
                return new(false);
            }

            _drafts.Add(draft.Id, draft);
            return new(true);
        }
    }

    public ValueTask<bool> SaveDraftXmlAsync(DraftRecord draft, long expectedRevision, CancellationToken ct)
    {
        lock (_gate)
        {
            if (!_drafts.TryGetValue(draft.Id, out var stored) || stored.Owner != draft.Owner || stored.Revision != expectedRevision)
            {
                return new(false);
            }

            _drafts[draft.Id] = stored with { ProcessId = draft.ProcessId, Xml = draft.Xml, Bytes = draft.Bytes, Revision = expectedRevision + 1, SavedAt = draft.SavedAt };
            return new(true);
        }
    }

    public ValueTask<bool> RenameDraftAsync(string owner, Guid id, string name, CancellationToken ct)
    {
        lock (_gate)
        {
            if (!_drafts.TryGetValue(id, out var stored) || stored.Owner != owner)
            {
                return new(false);
            }

            _drafts[id] = stored with { Name = name };
            return new(true);
        }
    }

    public ValueTask<bool> DeleteDraftAsync(string owner, Guid id, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_drafts.TryGetValue(id, out var stored) && stored.Owner == owner && _drafts.Remove(id));
        }
    }
}
