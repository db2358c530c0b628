namespace Workflows.Engine.Sql;

/// <summary>
/// Copies a SQLite file's write-ahead log back into the database off the writer's path: a passive checkpoint on a
/// connection of its own, after every <see cref="WritesPerCheckpoint"/> write transactions.
/// </summary>
/// <remarks>
/// Left to SQLite, the commit that takes the log past <c>wal_autocheckpoint</c> pages copies every page the log holds
/// into the file and flushes it, inside the one writer every other command waits for (the p99 of a loaded store, issue
/// 19). A passive checkpoint never blocks the writer nor a reader: it copies what no reader still needs while commits go
/// on, so the writer's own checkpoint, which still runs when the log reaches its limit (a reader kept it from being
/// copied, or this one fell behind), finds little left to copy. One runs at a time per file; a failed one is left to
/// the next (the log is only longer meanwhile).
/// </remarks>
internal sealed class SqliteCheckpointer(SqliteSessions sessions)
{
    /// <summary>Write transactions between two checkpoints: a few hundred pages of log each, a flush of the file a few dozen times a second at most.</summary>
    public const int WritesPerCheckpoint = 64;

    private int _writes;
    private int _running;
    private long _checkpoints;

    /// <summary>How many checkpoints ran, for tests.</summary>
    public long Checkpoints => Interlocked.Read(ref _checkpoints);

    /// <summary>A write transaction ended (committed or not): starts a checkpoint when enough piled up and none is running.</summary>
    public void Wrote()
    {
        if (Interlocked.Increment(ref _writes) >= WritesPerCheckpoint && Interlocked.CompareExchange(ref _running, 1, 0) == 0)
        {
            Volatile.Write(ref _writes, 0);
            _ = Task.Run(CheckpointAsync, CancellationToken.None);
        }
    }

    private async Task CheckpointAsync()
    {
        try
        {
            var session = await sessions.RentAsync(CancellationToken.None).ConfigureAwait(false);
            var failed = true;
            try
            {
                using (var command = session.Connection.CreateCommand())
                {
                    command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
                    command.ExecuteNonQuery();
                }

                failed = false;
                Interlocked.Increment(ref _checkpoints);
            }
            finally
            {
                sessions.Return(session, failed);
            }
        }
#pragma warning disable CA1031 // a checkpoint that failed (a locked or vanished file) is the next one's to do
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }
}
