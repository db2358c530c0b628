using Dapper;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql;

// The jobs, timers and SLA clocks of an instance that cannot run, held under a lease with no end (the claims skip a live
// lease); the instances it called, found by their rows.
internal sealed partial class SqlWorkflowStore
{
    private static readonly string[] s_parkedTables = ["wf_jobs", "wf_timers", "wf_sla_clocks"];

    public async ValueTask ParkInstanceWorkAsync(Guid instanceId, string holder, CancellationToken ct) =>
        await LeaseWorkOfAsync(instanceId, "lease_owner = @holder, lease_until = @until", "", holder, ct).ConfigureAwait(false);

    public async ValueTask UnparkInstanceWorkAsync(Guid instanceId, string holder, CancellationToken ct) =>
        await LeaseWorkOfAsync(instanceId, "lease_owner = NULL, lease_until = NULL", " AND lease_owner = @holder", holder, ct).ConfigureAwait(false);

    // A partial index holds called instances only (migration 0027): an operator's cancel of an unreadable caller reads it.
    public ValueTask<IReadOnlyList<InstanceRecord>> GetActiveCalledInstancesAsync(Guid parentId, CancellationToken ct) =>
        ListAsync<InstanceRow, InstanceRecord>(
            "SELECT * FROM wf_instances WHERE parent_instance_id = @parentId AND status = @active ORDER BY started_at, id",
            new { parentId, active = (int)ProcessInstanceStatus.Active }, r => r.ToRecord(), ct);

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
