using Dapper;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql;

// The controllable clock of a test environment (wf_controlled_clock, one row), and leases stamped in moved time
// pulled back when it is put back.
internal sealed partial class SqlWorkflowStore
{
    private static readonly string[] s_leasedTables = ["wf_jobs", "wf_timers", "wf_sla_clocks", "wf_batch_items", "wf_leases"];

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

    public async ValueTask<int> ShiftLeasesBackAsync(DateTimeOffset after, TimeSpan by, CancellationToken ct) =>
        await WritingAsync(async () =>
        {
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
            await using var transaction = await _dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            var moved = 0;
            foreach (var table in s_leasedTables)
            {
                moved += await connection.ExecuteAsync(new CommandDefinition(
                    $"UPDATE {table} SET lease_until = lease_until - @by WHERE lease_until > @after",
                    new { after = after.UtcTicks, by = by.Ticks }, transaction, cancellationToken: ct)).ConfigureAwait(false);
            }

            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return moved;
        }, ct).ConfigureAwait(false);
}
