using System.Data.Common;
using Dapper;

namespace Workflows.Engine.Sql;

/// <summary>
/// The database was migrated by a newer build while this node ran: the node's code writes rows as the older schema
/// wanted them (say, without a stamp a newer migration relies on), so it takes no command until it is restarted with the
/// newer build. Its readiness check reports the same meanwhile.
/// </summary>
public sealed class SchemaOutgrownException(int databaseVersion, int knownVersion)
    : NodeOutgrownException($"the database was migrated to schema version {databaseVersion} by a newer build while this node ran, and this node knows versions up to {knownVersion}: "
        + "it takes no command until it is restarted with the newer build")
{
    /// <summary>The version the database is at.</summary>
    public int DatabaseVersion { get; } = databaseVersion;

    /// <summary>The newest version this node's build knows.</summary>
    public int KnownVersion { get; } = knownVersion;
}

/// <summary>
/// Reads the database's schema version now and then (before a write, at most once per interval, and at every readiness
/// probe) and, once it is above what this build knows, refuses every write from then on with
/// <see cref="SchemaOutgrownException"/>: a node started before a newer build migrated the database would otherwise keep
/// writing with its old code. The start refuses such a database already (<see cref="SchemaTooNewException"/>); this is
/// the same rule for a node that was running when it happened.
/// </summary>
/// <remarks>
/// One small indexed read per interval and node, off the commands' own statements; the refusal lasts until the process
/// ends, since nothing short of the newer build makes the node's writes right again.
/// </remarks>
internal sealed class SchemaWatch(Func<CancellationToken, Task<DbConnection>> open, Func<TimeSpan> interval, int knownVersion)
{
    private long _nextCheck; // Environment.TickCount64 at which a write checks again; 0 before the first check
    private int _outgrownBy; // the database's version once it is above knownVersion, else 0

    /// <summary>Throws once the database is known to be newer than this build; checks first when a check is due.</summary>
    public async ValueTask ThrowIfOutgrownAsync(CancellationToken ct)
    {
        var next = Volatile.Read(ref _nextCheck);
        var now = Environment.TickCount64;
        // One writer checks when the interval has passed; the writes beside it go on with what is known.
        if (Volatile.Read(ref _outgrownBy) == 0 && now >= next
            && Interlocked.CompareExchange(ref _nextCheck, now + (long)interval().TotalMilliseconds, next) == next)
        {
            await CheckAsync(ct).ConfigureAwait(false);
        }

        ThrowIfOutgrown();
    }

    /// <summary>Reads the database's version now (a readiness probe does, whatever the interval) and throws if it is above this build's.</summary>
    public async ValueTask CheckAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _outgrownBy) == 0)
        {
            int? version;
            try
            {
                await using var connection = await open(ct).ConfigureAwait(false);
                version = await connection.ExecuteScalarAsync<int?>(new CommandDefinition("SELECT MAX(version) FROM wf_schema_version", cancellationToken: ct)).ConfigureAwait(false);
            }
            catch (Exception e) when (SqlStoreFaults.IsUnavailable(e) || e is DbException)
            {
                // A database away or locked fails the write that follows on its own, with its own words; a store used
                // without migrations (some tests) has no version table. Either way this check has nothing to say.
                return;
            }

            if (version > knownVersion)
            {
                Interlocked.CompareExchange(ref _outgrownBy, version.Value, 0);
            }
        }

        ThrowIfOutgrown();
    }

    private void ThrowIfOutgrown()
    {
        if (Volatile.Read(ref _outgrownBy) is > 0 and var version)
        {
            throw new SchemaOutgrownException(version, knownVersion);
        }
    }
}
