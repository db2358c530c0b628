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

    /// <summary>The most change sets one transaction has written, for tests that prove commands share a group.</summary>
    internal int LargestGroup { get; private set; }

    /// <summary>The groups committed and the change sets they held, for the benches to say how large groups are (issue 19).</summary>
    internal (long Groups, long ChangeSets) GroupsCommitted => (Interlocked.Read(ref _groupsCommitted), Interlocked.Read(ref _changeSetsGrouped));

    /// <summary>How many groups the commit queue has written at once, at most.</summary>
    internal int MostFlushers => _group?.MostFlushers ?? 0;

    /// <summary>How many change sets wait in the commit queue for a flusher, for tests that hold a group until others have arrived.</summary>
    internal int CommitsWaiting => _group?.Waiting ?? 0;

    /// <summary>How many savepoints groups have taken before a change set (SQLite), for tests that prove which take one.</summary>
    internal int SavepointsTaken { get; private set; }

    private long _groupsCommitted;
    private long _changeSetsGrouped;

    public async ValueTask CommitAsync(ChangeSet changes, CancellationToken ct)
    {
        if (BeforeCommit is { } beforeCommit)
        {
            await beforeCommit(changes).ConfigureAwait(false);
        }

        // Encoded here, on the caller's thread: the flusher that writes the group is SQLite's one writer (HistoryEvents.Rows).
        var history = HistoryEvents.Rows(changes.History, utf8: _sessions is not null);
        if (_group is { } group)
        {
            await group.CommitAsync(changes, history, ct).ConfigureAwait(false);
            return;
        }

        await WritingAsync(() => CommitAloneAsync(changes, history, ct), ct).ConfigureAwait(false);
    }

    private async Task<bool> CommitAloneAsync(ChangeSet changes, IReadOnlyList<object> history, CancellationToken ct)
    {
        var (connection, session) = await OpenForCommitAsync(ct).ConfigureAwait(false);
        var failed = true;
        try
        {
            await using var transaction = await BeginCommitAsync(connection, session, ct).ConfigureAwait(false);
            await using var batch = PostgresCommitBatch.For(connection, transaction);
            await WriteChangeSetAsync(new SqlCommit(_dialect, connection, transaction, session, batch, FailureInjection, ct), changes, history).ConfigureAwait(false);
            if (batch is not null)
            {
                await batch.ExecuteAloneAsync(ct).ConfigureAwait(false);
                await batch.CommitAsync(OpenAsync, ct).ConfigureAwait(false);
            }
            else
            {
                await transaction.CommitAsync(ct).ConfigureAwait(false);
            }

            failed = false;
            return true;
        }
        catch (Exception e) when (_dialect.IsUniqueViolation(e))
        {
            throw CommitGuards.RowExists(e.Message);
        }
        finally
        {
            await CloseAfterCommitAsync(connection, session, failed).ConfigureAwait(false);
        }
    }

    // On SQLite a commit writes through a session, whose statements stay prepared from one commit to the next.
    private async Task<(DbConnection Connection, SqliteSession? Session)> OpenForCommitAsync(CancellationToken ct)
    {
        if (_sessions is { } sessions)
        {
            var session = await sessions.RentAsync(ct).ConfigureAwait(false);
            return (session.Connection, session);
        }

        return (await OpenAsync(ct).ConfigureAwait(false), null);
    }

    // A session's transaction keeps its BEGIN and COMMIT prepared with its other statements.
    private Task<DbTransaction> BeginCommitAsync(DbConnection connection, SqliteSession? session, CancellationToken ct) =>
        session is not null ? Task.FromResult(session.BeginWrite()) : _dialect.BeginWriteAsync(connection, ct);

    private async Task CloseAfterCommitAsync(DbConnection connection, SqliteSession? session, bool failed)
    {
        if (session is null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            _sessions!.Return(session, failed);
        }
    }

    /// <summary>
    /// Writes a group of change sets in one transaction and releases each caller once the group is durable. A change
    /// set whose guard fails (or that fails otherwise) is left out and its caller told why; the others still commit:
    /// on SQLite it is rolled back to a savepoint taken before it (in process), elsewhere the group is written again
    /// without it (a savepoint costs a round trip there, and guards fail rarely). On SQLite a change set no guard can
    /// refuse (<see cref="ChangeSet.OnlyAdds"/>: a start) takes no savepoint and, should it fail, is left out as elsewhere.
    /// </summary>
    /// <remarks>
    /// A change set later in the group sees the earlier ones' rows, as if they had committed before it: two commands on
    /// one instance in one group are written in the order they came, and the second's row-version guard fails as it
    /// would have alone. A fault of the store itself (read-only, full, away) or of the commit fails the whole group:
    /// nothing was written, and nobody is released as durable.
    /// </remarks>
    internal async Task FlushGroupAsync(List<PendingCommit> group)
    {
        // SQLite's one writer, counted for benchmarks (WriterMeter): the group grows while it is written (TakeArrived).
        var metered = _sessions is not null ? WriterMeter.Start() : default;
        try
        {
            await FlushGroupUnmeteredAsync(group).ConfigureAwait(false);
        }
        finally
        {
            if (_sessions is not null)
            {
                WriterMeter.Stop(metered, group.Count);
            }
        }
    }

    private async Task FlushGroupUnmeteredAsync(List<PendingCommit> group)
    {
        var remaining = group;
        while (remaining.Count > 0)
        {
            Exception?[] outcomes;
            try
            {
                outcomes = await WritingAsync(() => WriteGroupAsync(remaining), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // A change set that joined a rewrite (TakeArrived) is in no list the queue knows: it is told here.
                foreach (var pending in remaining)
                {
                    pending.Failed(e);
                }

                throw;
            }

            List<PendingCommit>? retry = null;
            for (var i = 0; i < remaining.Count; i++)
            {
                switch (outcomes[i])
                {
                    case null:
                        remaining[i].Durable();
                        break;
                    case GroupAborted:
                        (retry ??= []).Add(remaining[i]);
                        break;
                    case { } failure:
                        remaining[i].Failed(failure);
                        break;
                }
            }

            remaining = retry ?? [];
        }
    }

    // Each change set's outcome: null when committed, its failure, or GroupAborted when it must be written again.
    private async Task<Exception?[]> WriteGroupAsync(List<PendingCommit> group)
    {
        var (connection, session) = await OpenForCommitAsync(CancellationToken.None).ConfigureAwait(false);
        var failed = true;
        try
        {
            var outcomes = await WriteGroupAsync(group, connection, session).ConfigureAwait(false);
            failed = false;
            return outcomes;
        }
        finally
        {
            await CloseAfterCommitAsync(connection, session, failed).ConfigureAwait(false);
        }
    }

    private async Task<Exception?[]> WriteGroupAsync(List<PendingCommit> group, DbConnection connection, SqliteSession? session)
    {
        var outcomes = new Exception?[group.Count];
        await using var transaction = await BeginCommitAsync(connection, session, CancellationToken.None).ConfigureAwait(false);
        await using var batch = PostgresCommitBatch.For(connection, transaction);
        var sqlite = _dialect.Provider == SqlProvider.Sqlite;
        var w = new SqlCommit(_dialect, connection, transaction, session, batch, FailureInjection, CancellationToken.None);
        var written = 0;
        for (var i = 0; i < group.Count; i++)
        {
            var pending = group[i];
            if (pending.Ct.IsCancellationRequested)
            {
                outcomes[i] = new OperationCanceledException(pending.Ct);
                continue;
            }

            batch?.Owner = i;

            // A savepoint copies each page the change set then changes first into SQLite's statement journal, and costs two
            // statements: taken only where a guard may refuse the change set. One that only adds rows of its own fails
            // only by accident (a bug, a constraint), and is then left out as elsewhere: the group is written again without it.
            // Nor does the first change set written need one: nothing is written before it that a rollback to it would keep,
            // so when it fails the transaction is dropped and the others are written again without it, as elsewhere.
            var savepoints = sqlite && written > 0 && !pending.Changes.OnlyAdds;
            if (savepoints)
            {
                await w.SavepointAsync("SAVEPOINT wf_command").ConfigureAwait(false);
                SavepointsTaken++;
            }

            try
            {
                await WriteChangeSetAsync(w, pending.Changes, pending.History).ConfigureAwait(false);
                if (savepoints)
                {
                    await w.SavepointAsync("RELEASE SAVEPOINT wf_command").ConfigureAwait(false);
                }

                written++;
            }
            catch (Exception e) when (!SqlStoreFaults.IsUnavailable(e))
            {
                outcomes[i] = Outcome(e);
                if (!savepoints || !await TryRollBackToAsync(transaction).ConfigureAwait(false))
                {
                    return WithoutOthers(outcomes, i);
                }
            }

            // SQLite's one writer: what reached the queue while this group was written joins it rather than wait for its
            // flush and then pay a transaction and a flush of its own (CommitQueue).
            if (sqlite && i == group.Count - 1 && _group is { } queue && queue.TakeArrived(group))
            {
                Array.Resize(ref outcomes, group.Count);
            }
        }

        if (batch is not null)
        {
            try
            {
                await batch.ExecuteAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (CommitBatchException e)
            {
                outcomes[e.Owner] = Outcome(e.InnerException!);
                return WithoutOthers(outcomes, e.Owner);
            }
        }

        if (written > 0)
        {
            // On PostgreSQL a COMMIT whose connection is lost is asked after: every caller of the group learns what became of it.
            var committing = sqlite ? WriterMeter.Start() : default;
            await (batch is not null ? batch.CommitAsync(OpenAsync, CancellationToken.None) : transaction.CommitAsync(CancellationToken.None)).ConfigureAwait(false);
            if (sqlite)
            {
                WriterMeter.StopCommit(committing);
            }

            LargestGroup = Math.Max(LargestGroup, written);
            Interlocked.Increment(ref _groupsCommitted);
            Interlocked.Add(ref _changeSetsGrouped, written);
        }

        return outcomes;
    }

    private Exception Outcome(Exception e) =>
        _dialect.IsUniqueViolation(e) ? CommitGuards.RowExists(e.Message) : _dialect.IsConflict(e) ? new ConcurrencyConflictException(e.Message) : e;

    // The transaction cannot go on past the change set that failed: the ones before it and after it are written again without it.
    private static Exception?[] WithoutOthers(Exception?[] outcomes, int failed)
    {
        for (var j = 0; j < outcomes.Length; j++)
        {
            if (j != failed && outcomes[j] is null)
            {
                outcomes[j] = GroupAborted.Instance;
            }
        }

        return outcomes;
    }

    private static async Task<bool> TryRollBackToAsync(DbTransaction transaction)
    {
        try
        {
            await transaction.RollbackAsync("wf_command").ConfigureAwait(false);
            await transaction.ReleaseAsync("wf_command").ConfigureAwait(false);
            return true;
        }
        catch (DbException)
        {
            // SQLite rolls a whole transaction back on some errors (a full disk, an I/O error): the savepoint went with it.
            return false;
        }
    }

    private static async Task WriteChangeSetAsync(SqlCommit w, ChangeSet changes, IReadOnlyList<object> history)
    {
        // Every command writes its tables in this order, so two commands never wait on each other in a cycle; the
        // guarded writes (row versions, the fired timer) come first, so a loser stops early.
        // A concern with nothing to write is not called: most commands change an instance, its history and one or two
        // kinds of rows, and reading the rarely changed lists would make them (ChangeSet.HasRareChanges).
        await WriteInstancesAsync(w, changes).ConfigureAwait(false);
        var rare = changes.HasRareChanges;
        if (rare)
        {
            await WriteDefinitionsAsync(w, changes).ConfigureAwait(false);
        }

        if (changes.HasTaskChanges)
        {
            await WriteTasksAsync(w, changes).ConfigureAwait(false);
        }

        await WriteServiceLevelsAsync(w, changes).ConfigureAwait(false);
        if (changes.HasScheduleChanges)
        {
            await WriteSchedulesAsync(w, changes).ConfigureAwait(false);
        }

        if (rare)
        {
            await WriteMessagesAsync(w, changes).ConfigureAwait(false);
            await WriteMigrationsAsync(w, changes).ConfigureAwait(false);
            await WriteIdempotencyKeysAsync(w, changes).ConfigureAwait(false);
        }

        await WriteIncidentsAndHistoryAsync(w, changes, history).ConfigureAwait(false);
        await WriteBatchItemsAsync(w, changes).ConfigureAwait(false);
        await WriteSearchIndexAsync(w, changes).ConfigureAwait(false);
        await WriteRolloutsAsync(w, changes).ConfigureAwait(false);
        await WriteDecisionsAsync(w, changes).ConfigureAwait(false);
    }

    /// <summary>Says that a change set was not written because another in its group failed: it is written again.</summary>
    private sealed class GroupAborted : Exception
    {
        public static readonly GroupAborted Instance = new();

        private GroupAborted()
            : base("the group was written again without a change set that failed")
        {
        }
    }

    /// <summary>The writes of one commit: its connection and transaction, and the failure injection between them.</summary>
    /// <remarks>
    /// On PostgreSQL the writes are gathered into one batch (<see cref="PostgresCommitBatch"/>), run when the commit
    /// (or the group) has written everything: a guarded write says what it must affect (<see cref="CommitGuard"/>)
    /// rather than reading the count, which is known only then.
    /// </remarks>
    private sealed class SqlCommit(SqlDialect dialect, DbConnection connection, DbTransaction transaction, SqliteSession? session, PostgresCommitBatch? batch, Func<string, Task>? failureInjection, CancellationToken ct)
    {
        public SqlDialect Dialect => dialect;

        /// <summary>
        /// Whether the database rewrites an index whenever an UPDATE names one of its columns, changed or not (SQLite):
        /// the commit then names an indexed column only where its value may have changed, in a statement of its own
        /// guarded by the change. PostgreSQL compares the values (a HOT update touches no index), so one statement does.
        /// </summary>
        public bool IndexesByColumn => dialect.Provider == SqlProvider.Sqlite;

        /// <summary>Runs one statement (on PostgreSQL: adds it to the commit's batch); with a guard, fails unless it affects the rows expected.</summary>
        public async Task ExecAsync(string step, string sql, object? parameters, CommitGuard? guard = null)
        {
            if (failureInjection is not null)
            {
                await failureInjection(step).ConfigureAwait(false);
            }

            if (batch is not null)
            {
                batch.Add(sql, parameters, guard);
                return;
            }

            var affected = session is not null
                ? session.Execute(sql, parameters, transaction)
                : await connection.ExecuteAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: ct)).ConfigureAwait(false);
            guard?.Check(affected);
        }

        /// <summary>Takes or releases the savepoint a change set of a group is written after (SQLite: see <see cref="FlushGroupAsync"/>).</summary>
        public Task SavepointAsync(string sql) => session is not null
            ? Task.FromResult(session.Execute(sql, null, transaction))
            : connection.ExecuteAsync(new CommandDefinition(sql, null, transaction, cancellationToken: ct));

        /// <summary>
        /// One statement per row, skipped when there is nothing to write; the dialect sends them its own
        /// cheapest way (PostgreSQL: into the commit's batch). With a guard, fails unless they affect the rows expected.
        /// </summary>
        public async Task RowsAsync<T>(string step, string sql, IReadOnlyCollection<T> rows, Func<T, object> parameters, CommitGuard? guard = null)
        {
            if (rows.Count == 0)
            {
                guard?.Check(0);
                return;
            }

            if (failureInjection is not null)
            {
                await failureInjection(step).ConfigureAwait(false);
            }

            var values = new List<object>(rows.Count);
            foreach (var row in rows)
            {
                values.Add(parameters(row));
            }

            if (batch is not null)
            {
                batch.AddRows(sql, values, guard);
                return;
            }

            var affected = session is not null
                ? session.ExecuteRows(sql, values, transaction)
                : await dialect.ExecuteRowsAsync(connection, transaction, sql, values, ct).ConfigureAwait(false);
            guard?.Check(affected);
        }

        /// <summary>Deletes rows by id, one statement per chunk of ids, under every driver's parameter limit.</summary>
        public async Task DeleteAsync(string step, string table, IReadOnlyCollection<Guid> ids)
        {
            foreach (var chunk in ids.Chunk(500))
            {
                await ExecAsync(step, $"DELETE FROM {table} WHERE {In("id", chunk.Length)}", Ids(chunk)).ConfigureAwait(false);
            }
        }

        /// <summary>
        /// "column IN @ids", or "column = @id" for one id (the usual case: one task closed, one job done), a statement
        /// whose text does not depend on the list and so stays prepared (<see cref="SqliteSessions"/>).
        /// </summary>
        public string In(string column, int count) => count == 1 ? column + " = @id" : dialect.InList(column, "@ids");

        /// <summary>The parameters of <see cref="In"/>.</summary>
        public static object Ids(Guid[] chunk) => chunk.Length == 1 ? new { id = chunk[0] } : (object)new { ids = chunk };
    }
}
