using System.Data.Common;
using Dapper;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql;

// The commit: one transaction, each concern writing its part in a fixed order, the guards first.
internal sealed partial class SqlWorkflowStore
{
    /// <summary>Called between the writes of a commit, for tests that prove a failure anywhere leaves nothing behind.</summary>
    internal Func<string, Task>? FailureInjection { get; set; }

    /// <summary>Called before a commit opens its transaction (after the command's reads), for tests that make two commands race.</summary>
    internal Func<ChangeSet, Task>? BeforeCommit { get; set; }

    public async ValueTask CommitAsync(ChangeSet changes, CancellationToken ct)
    {
        if (BeforeCommit is { } beforeCommit)
        {
            await beforeCommit(changes).ConfigureAwait(false);
        }

        await WritingAsync(() => CommitCoreAsync(changes, ct), ct).ConfigureAwait(false);
    }

    private async Task<bool> CommitCoreAsync(ChangeSet changes, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var transaction = await _dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
        try
        {
            var w = new SqlCommit(_dialect, connection, transaction, FailureInjection, ct);

            // Every command writes its tables in this order, so two commands never wait on each other in a
            // cycle; the guarded writes (row versions, the fired timer) come first, so a loser stops early.
            await WriteInstancesAsync(w, changes).ConfigureAwait(false);
            await WriteDefinitionsAsync(w, changes).ConfigureAwait(false);
            await WriteTasksAsync(w, changes).ConfigureAwait(false);
            await WriteServiceLevelsAsync(w, changes).ConfigureAwait(false);
            await WriteSchedulesAsync(w, changes).ConfigureAwait(false);
            await WriteMessagesAsync(w, changes).ConfigureAwait(false);
            await WriteMigrationsAsync(w, changes).ConfigureAwait(false);
            await WriteIncidentsAndHistoryAsync(w, changes).ConfigureAwait(false);
            await WriteBatchItemsAsync(w, changes).ConfigureAwait(false);
            await WriteSearchIndexAsync(w, changes).ConfigureAwait(false);
            await WriteRolloutsAsync(w, changes).ConfigureAwait(false);
            await WriteDecisionsAsync(w, changes).ConfigureAwait(false);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (_dialect.IsUniqueViolation(e))
        {
            throw CommitGuards.RowExists(e.Message);
        }
    }

    /// <summary>The writes of one commit: its connection and transaction, and the failure injection between them.</summary>
    private sealed class SqlCommit(SqlDialect dialect, DbConnection connection, DbTransaction transaction, Func<string, Task>? failureInjection, CancellationToken ct)
    {
        public SqlDialect Dialect => dialect;

        /// <summary>Runs one statement; returns the rows it affected.</summary>
        public async Task<int> ExecAsync(string step, string sql, object? parameters)
        {
            if (failureInjection is not null)
            {
                await failureInjection(step).ConfigureAwait(false);
            }

            return await connection.ExecuteAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: ct)).ConfigureAwait(false);
        }

        /// <summary>
        /// One statement per row, skipped when there is nothing to write; the dialect sends them its own
        /// cheapest way. Returns how many rows the statements affected.
        /// </summary>
        public async Task<int> RowsAsync<T>(string step, string sql, IReadOnlyCollection<T> rows, Func<T, object> parameters)
        {
            if (rows.Count == 0)
            {
                return 0;
            }

            if (failureInjection is not null)
            {
                await failureInjection(step).ConfigureAwait(false);
            }

            return await dialect.ExecuteRowsAsync(connection, transaction, sql, rows.Select(parameters).ToList(), ct).ConfigureAwait(false);
        }

        /// <summary>Deletes rows by id, one statement per chunk of ids, under every driver's parameter limit.</summary>
        public async Task DeleteAsync(string step, string table, IReadOnlyCollection<Guid> ids)
        {
            foreach (var chunk in ids.Chunk(500))
            {
                await ExecAsync(step, $"DELETE FROM {table} WHERE {dialect.InList("id", "@ids")}", new { ids = chunk }).ConfigureAwait(false);
            }
        }
    }
}
