using Dapper;

namespace Workflows.Engine.Sql;

// The jobs and timers of an instance that cannot run, held under a lease with no end (the claims skip a live lease).
internal sealed partial class SqlWorkflowStore
{
    private static readonly string[] s_parkedTables = ["wf_jobs", "wf_timers"];

    public async ValueTask ParkInstanceWorkAsync(Guid instanceId, string holder, CancellationToken ct) =>
        await LeaseWorkOfAsync(instanceId, "lease_owner = @holder, lease_until = @until", "", holder, ct).ConfigureAwait(false);

    public async ValueTask UnparkInstanceWorkAsync(Guid instanceId, string holder, CancellationToken ct) =>
        await LeaseWorkOfAsync(instanceId, "lease_owner = NULL, lease_until = NULL", " AND lease_owner = @holder", holder, ct).ConfigureAwait(false);

    private Task<int> LeaseWorkOfAsync(Guid instanceId, string set, string filter, string holder, CancellationToken ct) =>
        WritingAsync(async () =>
        {
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
            await using var transaction = await _dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            var changed = 0;
            foreach (var table in s_parkedTables)
            {
                changed += await connection.ExecuteAsync(new CommandDefinition(
                    $"UPDATE {table} SET {set} WHERE instance_id = @instanceId{filter}",
                    new { instanceId, holder, until = DateTimeOffset.MaxValue.UtcTicks }, transaction, cancellationToken: ct)).ConfigureAwait(false);
            }

            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return changed;
        }, ct);
}
