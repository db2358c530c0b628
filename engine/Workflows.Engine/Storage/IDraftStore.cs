namespace Workflows.Engine.Storage;

/// <summary>
/// Analysts' drafts of BPMN documents: one row each, kept by the analyst who saved it, outside any instance command
/// (a draft is no deployment: the engine runs nothing from it). Every read and write names the owner, so a draft is
/// found only by its own analyst.
/// </summary>
internal interface IDraftStore
{
    /// <summary>The owner's drafts without their XML, the latest saved first.</summary>
    ValueTask<IReadOnlyList<DraftRecord>> GetDraftsAsync(string owner, CancellationToken ct);

    /// <summary>The owner's draft with its XML, or null when the owner has no draft of that id.</summary>
    ValueTask<DraftRecord?> GetDraftAsync(string owner, Guid id, CancellationToken ct);

    /// <summary>Adds a draft unless its owner has <paramref name="maxPerOwner"/> already: false then, nothing written.</summary>
    ValueTask<bool> InsertDraftAsync(DraftRecord draft, int maxPerOwner, CancellationToken ct);

    /// <summary>
    /// Replaces the XML (and process id, size, save time) of the owner's draft when it is still at
    /// <paramref name="expectedRevision"/>, moving it to the next revision: false when it is not (saved elsewhere, or gone).
    /// </summary>
    ValueTask<bool> SaveDraftXmlAsync(DraftRecord draft, long expectedRevision, CancellationToken ct);

    /// <summary>Renames the owner's draft (its XML and revision untouched): false when the owner has no draft of that id.</summary>
    ValueTask<bool> RenameDraftAsync(string owner, Guid id, string name, CancellationToken ct);

    /// <summary>Deletes the owner's draft: false when the owner has no draft of that id.</summary>
    ValueTask<bool> DeleteDraftAsync(string owner, Guid id, CancellationToken ct);
}

/// <summary>A stored draft; <see cref="Xml"/> is empty in lists.</summary>
internal sealed record DraftRecord(Guid Id, string Owner, string Name, string? ProcessId, string Xml, int Bytes, long Revision, DateTimeOffset CreatedAt, DateTimeOffset SavedAt);
