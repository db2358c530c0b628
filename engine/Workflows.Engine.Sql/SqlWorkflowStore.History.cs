using Dapper;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql;

// An instance's history: the rows written before migration 25 (one per event, wf_history_rows) and after it (one per
// command and instance, wf_history_commands, its events as JSON: HistoryEvents).
internal sealed partial class SqlWorkflowStore
{
    public async ValueTask<IReadOnlyList<HistoryRecord>> GetHistoryAsync(Guid instanceId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        var history = (await connection.QueryAsync<HistoryRow>(new CommandDefinition(
            "SELECT * FROM wf_history_rows WHERE instance_id = @instanceId ORDER BY seq", new { instanceId }, cancellationToken: ct)).ConfigureAwait(false))
            .Select(r => r.ToRecord()).ToList();
        var commands = await connection.QueryAsync<(long At, string Events)>(new CommandDefinition(
            "SELECT at, events FROM wf_history_commands WHERE instance_id = @instanceId ORDER BY seq", new { instanceId }, cancellationToken: ct)).ConfigureAwait(false);
        foreach (var (at, events) in commands)
        {
            history.AddRange(HistoryEvents.Decode(instanceId, at, events));
        }

        return history;
    }

    /// <summary>
    /// Deletes the history of instances that ended before <paramref name="endedBefore"/>, at most
    /// <paramref name="batchSize"/> instances per transaction, so the runtime tables are never blocked for long.
    /// </summary>
    /// <returns>How many history rows were deleted (a row holds one command's events for its instance).</returns>
    public async Task<long> DeleteHistoryAsync(DateTimeOffset endedBefore, int batchSize, CancellationToken ct)
    {
        // Its own transactions, outside WritingAsync: a node older than the database deletes nothing either (SchemaWatch).
        await _schema.ThrowIfOutgrownAsync(ct).ConfigureAwait(false);
        long total = 0;
        while (true)
        {
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
            var ids = (await connection.QueryAsync<Guid>(new CommandDefinition(
                _dialect.Top("i.id FROM wf_instances i WHERE i.ended_at < @cutoff AND (EXISTS (SELECT 1 FROM wf_history_commands h WHERE h.instance_id = i.id) " +
                    "OR EXISTS (SELECT 1 FROM wf_history_rows h WHERE h.instance_id = i.id))", "@batchSize"),
                new { cutoff = endedBefore.UtcTicks, batchSize }, cancellationToken: ct)).ConfigureAwait(false)).ToList();
            if (ids.Count == 0)
            {
                return total;
            }

            await using var transaction = await _dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            foreach (var table in (string[])["wf_history_commands", "wf_history_rows"])
            {
                total += await connection.ExecuteAsync(new CommandDefinition(
                    $"DELETE FROM {table} WHERE {_dialect.InList("instance_id", "@ids")}", new { ids = ids.ToArray() }, transaction, cancellationToken: ct)).ConfigureAwait(false);
            }

            await transaction.CommitAsync(ct).ConfigureAwait(false);
        }
    }

    // The rows come encoded from the command's caller (HistoryEvents.Rows).
    private static Task WriteHistoryAsync(SqlCommit w, IReadOnlyList<object> history) =>
        w.RowsAsync("history", "INSERT INTO wf_history_commands (instance_id, at, events) VALUES (@InstanceId, @At, @Events)",
            history, row => row);
}
