using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql;

// Version approvals, rollout plans and each process's active-rollout lock (migration 0015).
internal sealed partial class SqlWorkflowStore
{
    // Read by every business rule task (which decision version its branch's rollout stands at): through a session on
    // SQLite, its statement kept prepared.
    public async ValueTask<IReadOnlyList<(string Json, long Revision)>> GetRolloutsAsync(string? processId, int max, CancellationToken ct) =>
        await RowsAsync<(string, long)>(RolloutsSql(processId is null), new { processId, max }, ct).ConfigureAwait(false);

    private string RolloutsSql(bool all) =>
        _dialect.Top($"definition, revision FROM wf_rollouts{(all ? "" : " WHERE process_id = @processId")} ORDER BY created_at DESC, id DESC", "@max");

    public async ValueTask<(string Json, long Revision)?> GetRolloutAsync(Guid id, CancellationToken ct)
    {
        var rows = await RowsAsync<(string, long)>("SELECT definition, revision FROM wf_rollouts WHERE id = @id", new { id = id.ToString("D") }, ct).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    public async ValueTask<Guid?> GetActiveRolloutAsync(string processId, CancellationToken ct)
    {
        var ids = await RowsAsync<string>("SELECT rollout_id FROM wf_rollout_locks WHERE process_id = @processId", new { processId }, ct).ConfigureAwait(false);
        return ids.Count == 0 || ids[0] is not { } id ? null : Guid.Parse(id);
    }

    private const string AllApprovalsSql = "SELECT process_id, version, approved_by, approved_at, reason FROM wf_version_approvals ORDER BY process_id, version";
    private const string ProcessApprovalsSql = "SELECT process_id, version, approved_by, approved_at, reason FROM wf_version_approvals WHERE process_id = @processId ORDER BY process_id, version";

    public async ValueTask<IReadOnlyList<VersionApprovalRecord>> GetApprovalsAsync(string? processId, CancellationToken ct) =>
        Approvals(await RowsAsync<(string ProcessId, int Version, string ApprovedBy, long ApprovedAt, string Reason)>(
            processId is null ? AllApprovalsSql : ProcessApprovalsSql, new { processId }, ct).ConfigureAwait(false));

    private static async Task WriteRolloutsAsync(SqlCommit w, ChangeSet changes)
    {
        if (changes.Part<RolloutChanges>() is not { } rollouts)
        {
            return;
        }

        foreach (var a in rollouts.Approvals)
        {
            // A second approval of the version collides on the key: the loser retries and finds it approved.
            await w.ExecAsync("approvals", "INSERT INTO wf_version_approvals (process_id, version, approved_by, approved_at, reason) VALUES (@ProcessId, @Version, @ApprovedBy, @at, @Reason)",
                new { a.ProcessId, a.Version, a.ApprovedBy, at = a.ApprovedAt.UtcTicks, a.Reason }).ConfigureAwait(false);
        }

        foreach (var r in rollouts.Rollouts)
        {
            var id = r.Id.ToString("D");
            if (r.ExpectedRevision is not { } expected)
            {
                await w.ExecAsync("rollouts", "INSERT INTO wf_rollouts (id, process_id, definition, revision, created_at) VALUES (@id, @ProcessId, @Json, @Revision, @at)",
                    new { id, r.ProcessId, r.Json, r.Revision, at = r.CreatedAt.UtcTicks }).ConfigureAwait(false);
            }
            else
            {
                await w.ExecAsync("rollouts", "UPDATE wf_rollouts SET definition = @Json, revision = @Revision WHERE id = @id AND revision = @expected",
                    new { id, r.Json, r.Revision, expected },
                    new CommitGuard(1, () => new ConcurrencyConflictException($"rollout {r.Id} changed since it was read (expected revision {expected})"))).ConfigureAwait(false);
            }
        }

        foreach (var processId in rollouts.LocksReleased)
        {
            await w.ExecAsync("rollouts", "DELETE FROM wf_rollout_locks WHERE process_id = @processId", new { processId }).ConfigureAwait(false);
        }

        foreach (var (processId, rolloutId) in rollouts.LocksTaken)
        {
            await w.ExecAsync("rollouts", "INSERT INTO wf_rollout_locks (process_id, rollout_id) VALUES (@processId, @rolloutId)",
                new { processId, rolloutId = rolloutId.ToString("D") }).ConfigureAwait(false);
        }
    }
}
