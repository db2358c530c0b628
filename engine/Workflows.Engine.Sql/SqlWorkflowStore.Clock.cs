using Dapper;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql;

// The controllable clock of a test environment (wf_controlled_clock, one row), and the leases freed
// when a restart without it drops the move.
internal sealed partial class SqlWorkflowStore
{
    // Each leased table with what frees a lease in it (a named lease's end is never null: 0 is "free").
    private static readonly (string Table, string Free)[] s_leasedTables =
    [
        ("wf_jobs", "lease_owner = NULL, lease_until = NULL"), ("wf_timers", "lease_owner = NULL, lease_until = NULL"),
        ("wf_sla_clocks", "lease_owner = NULL, lease_until = NULL"), ("wf_batch_items", "lease_owner = NULL, lease_until = NULL"),
        ("wf_leases", "owner = NULL, lease_until = 0"),
    ];

    public async ValueTask<ControlledClockRecord?> GetControlledClockAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        var rows = await connection.QueryAsync<(long OffsetTicks, long? PinnedAt)>(new CommandDefinition(
            "SELECT offset_ticks, pinned_at FROM wf_controlled_clock WHERE id = 1", cancellationToken: ct)).ConfigureAwait(false);
        return rows.Select(r => new ControlledClockRecord(TimeSpan.FromTicks(r.OffsetTicks), r.PinnedAt is { } at ? Time(at) : null)).FirstOrDefault();
    }

    public async ValueTask SaveControlledClockAsync(ControlledClockRecord clock, CancellationToken ct) =>
        await WritingAsync(async () =>
        {
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
            var parameters = new { offset = clock.Offset.Ticks, pinned = clock.PinnedAt?.UtcTicks };
            if (await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE wf_controlled_clock SET offset_ticks = @offset, pinned_at = @pinned WHERE id = 1", parameters, cancellationToken: ct)).ConfigureAwait(false) == 1)
            {
                return true;
            }

            try
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO wf_controlled_clock (id, offset_ticks, pinned_at) VALUES (1, @offset, @pinned)", parameters, cancellationToken: ct)).ConfigureAwait(false);
            }
            catch (Exception e) when (_dialect.IsUniqueViolation(e))
            {
                // saved a moment ago by another call: this move is the later one
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE wf_controlled_clock SET offset_ticks = @offset, pinned_at = @pinned WHERE id = 1", parameters, cancellationToken: ct)).ConfigureAwait(false);
            }

            return true;
        }, ct).ConfigureAwait(false);

    public async ValueTask<int> ReleaseLeasesAsync(DateTimeOffset after, CancellationToken ct) =>
        await WritingAsync(async () =>
        {
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
            await using var transaction = await _dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            var freed = 0;
            foreach (var (table, free) in s_leasedTables)
            {
                freed += await connection.ExecuteAsync(new CommandDefinition(
                    $"UPDATE {table} SET {free} WHERE lease_until > @after",
                    new { after = after.UtcTicks }, transaction, cancellationToken: ct)).ConfigureAwait(false);
            }

            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return freed;
        }, ct).ConfigureAwait(false);
}
