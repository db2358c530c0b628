using Dapper;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql;

// Message and signal subscriptions, buffered messages, the inbox and the outbox.
internal sealed partial class SqlWorkflowStore
{
    public ValueTask<IReadOnlyList<MessageSubscriptionRecord>> FindMessageSubscriptionsAsync(string name, string correlationKey, CancellationToken ct) =>
        ListAsync<MessageSubscriptionRow, MessageSubscriptionRecord>(
            "SELECT * FROM wf_message_subscriptions WHERE message_name = @name AND correlation_key = @correlationKey AND instance_id IS NOT NULL ORDER BY created_at",
            new { name, correlationKey }, r => r.ToRecord(), ct);

    public ValueTask<IReadOnlyList<MessageSubscriptionRecord>> FindMessageStartsAsync(string name, CancellationToken ct) =>
        ListAsync<MessageSubscriptionRow, MessageSubscriptionRecord>(
            "SELECT * FROM wf_message_subscriptions WHERE message_name = @name AND correlation_key IS NULL AND instance_id IS NULL",
            new { name }, r => r.ToRecord(), ct);

    public ValueTask<IReadOnlyList<SignalSubscriptionRecord>> FindSignalSubscriptionsAsync(string name, CancellationToken ct) =>
        ListAsync<SignalSubscriptionRow, SignalSubscriptionRecord>("SELECT * FROM wf_signal_subscriptions WHERE signal_name = @name", new { name }, r => r.ToRecord(), ct);

    // Once per process: a correlation row names the instance, whose row names the process (instances are never deleted).
    public ValueTask<IReadOnlyList<BufferedMessageRecord>> FindBufferedMessagesAsync(string name, string correlationKey, string processId, DateTimeOffset now, CancellationToken ct) =>
        ListAsync<BufferedMessageRow, BufferedMessageRecord>(
            """
            SELECT * FROM wf_buffered_messages m
            WHERE m.name = @name AND m.correlation_key = @correlationKey AND m.expires_at > @now
              AND NOT EXISTS (SELECT 1 FROM wf_message_correlations c JOIN wf_instances i ON i.id = c.instance_id
                              WHERE c.buffered_message_id = m.id AND i.process_id = @processId)
            ORDER BY m.published_at
            """,
            new { name, correlationKey, processId, now = now.UtcTicks }, r => r.ToRecord(), ct);

    // Read on every start that keeps its business key unique: through a session, whose statement stays prepared (issue 19).
    public ValueTask<MessageStartLockRecord?> GetMessageStartLockAsync(string processId, string correlationKey, CancellationToken ct) =>
        SingleAsync<MessageStartLockRow, MessageStartLockRecord>(
            "SELECT * FROM wf_message_start_locks WHERE process_id = @processId AND correlation_key = @correlationKey",
            new { processId, correlationKey }, r => r.ToRecord(), ct);

    public async ValueTask<bool> IsInInboxAsync(string messageId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<int?>(new CommandDefinition(
            "SELECT 1 FROM wf_inbox WHERE message_id = @messageId", new { messageId }, cancellationToken: ct)).ConfigureAwait(false) is not null;
    }

    public async ValueTask<(int Expired, IReadOnlyList<BufferedMessageRecord> Unclaimed)> ExpireBufferedMessagesAsync(DateTimeOffset now, int max, CancellationToken ct) =>
        await WritingAsync(async () =>
        {
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
            await using var transaction = await _dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            var ids = (await connection.QueryAsync<Guid>(new CommandDefinition(
                _dialect.Top("id FROM wf_buffered_messages WHERE expired_at IS NULL AND expires_at <= @now ORDER BY expires_at", "@max"),
                new { now = now.UtcTicks, max }, transaction, cancellationToken: ct)).ConfigureAwait(false)).ToArray();
            if (ids.Length == 0)
            {
                return (0, (IReadOnlyList<BufferedMessageRecord>)[]);
            }

            var marked = await connection.ExecuteAsync(new CommandDefinition($"""
                UPDATE wf_buffered_messages SET expired_at = @now,
                    unclaimed = CASE WHEN EXISTS (SELECT 1 FROM wf_message_correlations c WHERE c.buffered_message_id = wf_buffered_messages.id) THEN 0 ELSE 1 END
                WHERE expired_at IS NULL AND {_dialect.InList("id", "@ids")}
                """, new { now = now.UtcTicks, ids }, transaction, cancellationToken: ct)).ConfigureAwait(false);
            var unclaimed = (await connection.QueryAsync<BufferedMessageRow>(new CommandDefinition(
                $"SELECT * FROM wf_buffered_messages WHERE unclaimed = 1 AND expired_at = @now AND {_dialect.InList("id", "@ids")}",
                new { now = now.UtcTicks, ids }, transaction, cancellationToken: ct)).ConfigureAwait(false)).Select(r => r.ToRecord()).ToList();
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return (marked, (IReadOnlyList<BufferedMessageRecord>)unclaimed);
        }, ct).ConfigureAwait(false);

    public ValueTask<IReadOnlyList<BufferedMessageRecord>> GetExpiredMessagesAsync(int max, CancellationToken ct) =>
        ListAsync<BufferedMessageRow, BufferedMessageRecord>(
            _dialect.Top("* FROM wf_buffered_messages WHERE unclaimed = 1 ORDER BY expires_at DESC", "@max"), new { max }, r => r.ToRecord(), ct);

    public ValueTask<IReadOnlyList<OutboxRecord>> GetOutboxAsync(Guid? instanceId, CancellationToken ct) =>
        ListAsync<OutboxRow, OutboxRecord>(
            instanceId is null ? "SELECT * FROM wf_outbox ORDER BY seq" : "SELECT * FROM wf_outbox WHERE instance_id = @instanceId ORDER BY seq",
            new { instanceId }, r => r.ToRecord(), ct);

    public ValueTask<IReadOnlyList<OutboxRecord>> GetUnpublishedOutboxAsync(int max, CancellationToken ct) =>
        ListAsync<OutboxRow, OutboxRecord>(UnpublishedOutboxSql, new { max }, r => r.ToRecord(), ct);

    // The outbox's statements a busy outbox must keep on its indexes, named for the plan tests (PostgresOutboxPlanTests).
    // Ordered by both columns of ix_wf_outbox_unpublished (published_at, seq), the same order among unpublished rows: by seq
    // alone PostgreSQL read every unpublished row and sorted them for each batch (IS NULL does not fix the first column for
    // its planner as an equality would), which a backlog (the broker away a while) made quadratic.
    internal string UnpublishedOutboxSql => _dialect.Top("* FROM wf_outbox WHERE published_at IS NULL ORDER BY published_at, seq", "@max");

    // After a cursor, on PostgreSQL a row comparison: the one range of the index it walks in order to the page's end. "Later,
    // or as late with a greater seq" (the same rows) was two ranges to it, every parked row after the cursor read and sorted
    // for each page (3.9 against 0.05 ms at 20,000 parked rows). SQLite walks the index either way; SQL Server has no row values.
    internal string ParkedOutboxSql(bool ofBranch, bool after) =>
        _dialect.Top("* FROM wf_outbox WHERE parked_at IS NOT NULL"
            + (ofBranch ? " AND parked_branch = @branch" : "")
            + (!after ? "" : _dialect.Provider == SqlProvider.PostgreSql ? " AND (parked_at, seq) > (@afterAt, @afterSeq)"
                : " AND (parked_at > @afterAt OR (parked_at = @afterAt AND seq > @afterSeq))")
            + " ORDER BY parked_at, seq", "@max");

    internal string PurgeableOutboxSql => _dialect.Top("seq FROM wf_outbox WHERE published_at < @cutoff AND parked_at IS NULL ORDER BY published_at, seq", "@batchSize");

    internal string PurgeOutboxSql => $"DELETE FROM wf_outbox WHERE parked_at IS NULL AND {_dialect.InList("seq", "@seqs")}";

    public async ValueTask MarkOutboxPublishedAsync(IReadOnlyCollection<long> seqs, DateTimeOffset at, CancellationToken ct) =>
        await WritingAsync(async () =>
        {
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
            return await connection.ExecuteAsync(new CommandDefinition(
                $"UPDATE wf_outbox SET published_at = @at WHERE {_dialect.InList("seq", "@seqs")}", new { at = at.UtcTicks, seqs = seqs.ToArray() }, cancellationToken: ct)).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);

    // The branch of the message's handoff is kept beside the park (migration 0045), for a branch's list to filter in its
    // query: read from the row's headers here, since a park is rare and a command's insert should not pay for it.
    public async ValueTask ParkOutboxAsync(long seq, string reason, DateTimeOffset at, CancellationToken ct) =>
        await WritingAsync(async () =>
        {
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
            var headers = await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
                "SELECT headers_json FROM wf_outbox WHERE seq = @seq", new { seq }, cancellationToken: ct)).ConfigureAwait(false);
            var branch = headers is null ? null : OutboxHeaders.FromJson(headers).Handoff.Branch;
            return await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE wf_outbox SET published_at = @at, parked_at = @at, parked_reason = @reason, parked_branch = @branch WHERE seq = @seq AND published_at IS NULL",
                new { at = at.UtcTicks, reason, branch, seq }, cancellationToken: ct)).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);

    // Through ix_wf_outbox_parked (parked_at, seq), which holds the parked rows alone: a branch's are filtered among them.
    public ValueTask<IReadOnlyList<OutboxRecord>> GetParkedOutboxAsync(string? branch, ParkedCursor? after, int max, CancellationToken ct) =>
        ListAsync<OutboxRow, OutboxRecord>(
            ParkedOutboxSql(branch is not null, after is not null),
            new { branch, afterAt = after?.ParkedAt.UtcTicks, afterSeq = after?.Seq, max }, r => r.ToRecord(), ct);

    public ValueTask<OutboxRecord?> GetParkedOutboxAsync(Guid messageId, CancellationToken ct) =>
        SingleAsync<OutboxRow, OutboxRecord>("SELECT * FROM wf_outbox WHERE id = @messageId AND parked_at IS NOT NULL", new { messageId }, r => r.ToRecord(), ct);

    // A batch a statement, the oldest first through ix_wf_outbox_unpublished (published_at, seq): the rows of a busy node's
    // retention are many, and SQLite's one writer (which every group commit waits for) is never held long by their purge.
    // A parked row has its published time set too, and stays until an operator sends it again (review 18 F8).
    public async Task<int> DeletePublishedOutboxAsync(DateTimeOffset publishedBefore, int batchSize, int maxBatches, CancellationToken ct)
    {
        var total = 0;
        for (var batches = 0; batches < maxBatches; batches++)
        {
            var deleted = await WritingAsync(async () =>
            {
                await using var connection = await OpenAsync(ct).ConfigureAwait(false);
                var seqs = (await connection.QueryAsync<long>(new CommandDefinition(
                    PurgeableOutboxSql, new { cutoff = publishedBefore.UtcTicks, batchSize }, cancellationToken: ct)).ConfigureAwait(false)).ToArray();
                return seqs.Length == 0 ? 0 : await connection.ExecuteAsync(new CommandDefinition(
                    PurgeOutboxSql, new { seqs }, cancellationToken: ct)).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
            if (deleted == 0)
            {
                return total;
            }

            total += deleted;
        }

        return total;
    }

    public async ValueTask<bool> UnparkOutboxAsync(Guid messageId, CancellationToken ct) =>
        await WritingAsync(async () =>
        {
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
            return await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE wf_outbox SET published_at = NULL, parked_at = NULL, parked_reason = NULL WHERE id = @messageId AND parked_at IS NOT NULL", new { messageId }, cancellationToken: ct)).ConfigureAwait(false) > 0;
        }, ct).ConfigureAwait(false);

    private static async Task WriteMessagesAsync(SqlCommit w, ChangeSet changes)
    {
        await WriteStartLocksAsync(w, changes).ConfigureAwait(false);
        await w.RowsAsync("message-subscriptions", """
            INSERT INTO wf_message_subscriptions (id, instance_id, element_key, element_id, definition_id, message_name, correlation_key, created_at)
            VALUES (@Id, @InstanceId, @ElementKey, @ElementId, @DefinitionId, @MessageName, @CorrelationKey, @CreatedAt)
            """, changes.MessageSubscriptionsCreated, MessageSubscriptionRow.From).ConfigureAwait(false);
        await w.DeleteAsync("message-subscriptions-removed", "wf_message_subscriptions", changes.MessageSubscriptionsRemoved).ConfigureAwait(false);

        await w.RowsAsync("signal-subscriptions", """
            INSERT INTO wf_signal_subscriptions (id, instance_id, element_key, element_id, definition_id, signal_name)
            VALUES (@Id, @InstanceId, @ElementKey, @ElementId, @DefinitionId, @SignalName)
            """, changes.SignalSubscriptionsCreated, s => s).ConfigureAwait(false);
        await w.DeleteAsync("signal-subscriptions-removed", "wf_signal_subscriptions", changes.SignalSubscriptionsRemoved).ConfigureAwait(false);

        await w.RowsAsync("buffered-messages", """
            INSERT INTO wf_buffered_messages (id, message_id, name, correlation_key, variables_json, published_at, expires_at, branch)
            VALUES (@Id, @MessageId, @Name, @CorrelationKey, @VariablesJson, @PublishedAt, @ExpiresAt, @Branch)
            """, changes.MessagesBuffered, BufferedMessageRow.From).ConfigureAwait(false);
        await w.RowsAsync("message-correlations", "INSERT INTO wf_message_correlations (buffered_message_id, instance_id, process_id) VALUES (@BufferedMessageId, @InstanceId, @ProcessId)",
            changes.MessageCorrelations, m => new { m.BufferedMessageId, m.InstanceId, m.ProcessId }).ConfigureAwait(false);
        await w.RowsAsync("outbox", """
            INSERT INTO wf_outbox (id, instance_id, element_id, message_name, correlation_key, variables_json, created_at, kind, headers_json)
            VALUES (@Id, @InstanceId, @ElementId, @MessageName, @CorrelationKey, @VariablesJson, @CreatedAt, @Kind, @HeadersJson)
            """, changes.Outbox, OutboxRow.From).ConfigureAwait(false);
        await w.RowsAsync("inbox", "INSERT INTO wf_inbox (message_id, consumer, received_at) VALUES (@MessageId, @Consumer, @ReceivedAt)",
            changes.Inbox, m => new { m.MessageId, Consumer = "correlate", ReceivedAt = m.ReceivedAt.UtcTicks }).ConfigureAwait(false);
    }

    // Guarded writes, released before taken (an ending instance hands its key to the next one in the same commit).
    private static async Task WriteStartLocksAsync(SqlCommit w, ChangeSet changes)
    {
        foreach (var l in changes.StartLocksReleased)
        {
            await w.ExecAsync("start-lock-released", """
                DELETE FROM wf_message_start_locks
                WHERE process_id = @ProcessId AND correlation_key = @CorrelationKey AND instance_id = @InstanceId AND revision = @Revision
                """, l, new CommitGuard(1, () => CommitGuards.StartLockMoved(l))).ConfigureAwait(false);
        }

        await w.RowsAsync("start-locks-freed", """
            DELETE FROM wf_message_start_locks WHERE process_id = @ProcessId AND correlation_key = @CorrelationKey AND instance_id = @InstanceId
            """, changes.StartLocksFreed, l => l).ConfigureAwait(false);
        await w.RowsAsync("start-locks-taken", """
            INSERT INTO wf_message_start_locks (process_id, correlation_key, instance_id, revision) VALUES (@ProcessId, @CorrelationKey, @InstanceId, 0)
            """, changes.StartLocksTaken, l => l).ConfigureAwait(false);

        foreach (var l in changes.StartLocksTouched)
        {
            await w.ExecAsync("start-lock-touched", """
                UPDATE wf_message_start_locks SET revision = revision + 1
                WHERE process_id = @ProcessId AND correlation_key = @CorrelationKey AND instance_id = @InstanceId
                """, l, new CommitGuard(1, () => CommitGuards.StartLockMoved(l))).ConfigureAwait(false);
        }
    }
}
