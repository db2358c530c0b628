using Dapper;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql;

// Analysts' drafts (migration 0022): every statement names the owner, so another analyst's id finds nothing.
internal sealed partial class SqlWorkflowStore
{
    private const string DraftColumns = "id, owner, name, process_id, bytes, revision, created_at, saved_at";

    public async ValueTask<IReadOnlyList<DraftRecord>> GetDraftsAsync(string owner, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        var rows = await connection.QueryAsync<DraftRow>(new CommandDefinition(
            $"SELECT {DraftColumns}, '' AS xml FROM wf_drafts WHERE owner = @owner ORDER BY saved_at DESC, id DESC", new { owner }, cancellationToken: ct)).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async ValueTask<DraftRecord?> GetDraftAsync(string owner, Guid id, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        var row = await connection.QueryFirstOrDefaultAsync<DraftRow>(new CommandDefinition(
            $"SELECT {DraftColumns}, xml FROM wf_drafts WHERE id = @id AND owner = @owner", new { id = id.ToString("D"), owner }, cancellationToken: ct)).ConfigureAwait(false);
        return row?.ToRecord();
    }

    public async ValueTask<bool> InsertDraftAsync(DraftRecord draft, int maxPerOwner, CancellationToken ct) =>
        await WritingAsync(async () =>
        {
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
            await using var transaction = await _dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            // Counted in the write's transaction: on SQLite the one writer makes the limit exact; on a server two
            // analysts' sessions of the same owner could each pass at the limit, one draft over it at most per session.
            var count = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM wf_drafts WHERE owner = @owner", new { owner = draft.Owner }, transaction, cancellationToken: ct)).ConfigureAwait(false);
            if (count >= maxPerOwner)
            {
                return false;
            }

            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO wf_drafts (id, owner, name, process_id, xml, bytes, revision, created_at, saved_at) VALUES (@id, @Owner, @Name, @ProcessId, @Xml, @Bytes, @Revision, @created, @saved)",
                new { id = draft.Id.ToString("D"), draft.Owner, draft.Name, draft.ProcessId, draft.Xml, draft.Bytes, draft.Revision, created = draft.CreatedAt.UtcTicks, saved = draft.SavedAt.UtcTicks },
                transaction, cancellationToken: ct)).ConfigureAwait(false);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return true;
        }, ct).ConfigureAwait(false);

    public async ValueTask<bool> SaveDraftXmlAsync(DraftRecord draft, long expectedRevision, CancellationToken ct) =>
        await WriteOneAsync(
            "UPDATE wf_drafts SET xml = @Xml, process_id = @ProcessId, bytes = @Bytes, revision = @next, saved_at = @saved WHERE id = @id AND owner = @Owner AND revision = @expectedRevision",
            new { id = draft.Id.ToString("D"), draft.Owner, draft.Xml, draft.ProcessId, draft.Bytes, next = expectedRevision + 1, saved = draft.SavedAt.UtcTicks, expectedRevision }, ct).ConfigureAwait(false);

    public async ValueTask<bool> RenameDraftAsync(string owner, Guid id, string name, CancellationToken ct) =>
        await WriteOneAsync("UPDATE wf_drafts SET name = @name WHERE id = @id AND owner = @owner", new { id = id.ToString("D"), owner, name }, ct).ConfigureAwait(false);

    public async ValueTask<bool> DeleteDraftAsync(string owner, Guid id, CancellationToken ct) =>
        await WriteOneAsync("DELETE FROM wf_drafts WHERE id = @id AND owner = @owner", new { id = id.ToString("D"), owner }, ct).ConfigureAwait(false);

    // One statement in its own transaction: true when it touched the row.
    private Task<bool> WriteOneAsync(string sql, object parameters, CancellationToken ct) =>
        WritingAsync(async () =>
        {
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
            await using var transaction = await _dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            var changed = await connection.ExecuteAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: ct)).ConfigureAwait(false);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return changed == 1;
        }, ct);

    // Filled by Dapper by column name (snake_case to PascalCase), with the drivers' integer widths converted.
#pragma warning disable CA1812 // instantiated by Dapper
    private sealed class DraftRow
    {
        public string Id { get; set; } = "";

        public string Owner { get; set; } = "";

        public string Name { get; set; } = "";

        public string? ProcessId { get; set; }

        public string Xml { get; set; } = "";

        public int Bytes { get; set; }

        public long Revision { get; set; }

        public long CreatedAt { get; set; }

        public long SavedAt { get; set; }

        public DraftRecord ToRecord() => new(Guid.Parse(Id), Owner, Name, ProcessId, Xml, Bytes, Revision,
            new DateTimeOffset(CreatedAt, TimeSpan.Zero), new DateTimeOffset(SavedAt, TimeSpan.Zero));
    }
#pragma warning restore CA1812
}
