using System.Text.RegularExpressions;
using Dapper;

namespace Workflows.Engine.Sql;

/// <summary>The database's schema is newer than this build: running on it could lose data.</summary>
public sealed class SchemaTooNewException(int databaseVersion, int knownVersion)
    : Exception($"the database is at schema version {databaseVersion}, but this build knows versions up to {knownVersion}: run a newer build of Workflows against it")
{
    /// <summary>The version the database is at.</summary>
    public int DatabaseVersion { get; } = databaseVersion;

    /// <summary>The newest version this build knows.</summary>
    public int KnownVersion { get; } = knownVersion;
}

/// <summary>
/// Applies the versioned scripts under <c>Migrations/</c> (<c>NNNN_description.sql</c>) in order, each
/// once, recorded in <c>wf_schema_version</c>; idempotent, and safe when several nodes start together
/// (they take the same lock).
/// </summary>
internal static partial class SqlMigrator
{
    private static readonly Lazy<IReadOnlyList<(int Version, string Description, string Script)>> s_migrations = new(Load);

    public static int LatestVersion => s_migrations.Value[^1].Version;

    /// <summary>Every version this build knows, in order.</summary>
    public static IReadOnlyList<int> Versions => s_migrations.Value.Select(m => m.Version).ToList();

    /// <summary>Every migration this build knows, in order: a test appends to them to play a newer build.</summary>
    internal static IReadOnlyList<(int Version, string Description, string Script)> Migrations => s_migrations.Value;

    /// <returns>How many migrations were applied.</returns>
    public static Task<int> MigrateAsync(SqlDialect dialect, string connectionString, TimeSpan lockTimeout, CancellationToken ct) =>
        MigrateAsync(dialect, connectionString, lockTimeout, s_migrations.Value, ct);

    /// <summary>Applies <paramref name="migrations"/> (in order) as a build that knows exactly these would.</summary>
    /// <returns>How many migrations were applied.</returns>
    internal static async Task<int> MigrateAsync(SqlDialect dialect, string connectionString, TimeSpan lockTimeout, IReadOnlyList<(int Version, string Description, string Script)> migrations, CancellationToken ct)
    {
        var latest = migrations[^1].Version;
        await using var connection = await OpenAsync(dialect, connectionString, lockTimeout, ct).ConfigureAwait(false);
        await using var transaction = await dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
        await dialect.LockForMigrationAsync(connection, transaction).ConfigureAwait(false);
        await connection.ExecuteAsync(dialect.EnsureSchemaTable, transaction: transaction).ConfigureAwait(false);
        var recorded = (await connection.QueryAsync<int>("SELECT version FROM wf_schema_version", transaction: transaction).ConfigureAwait(false)).ToHashSet();
        var current = recorded.Count == 0 ? 0 : recorded.Max();
        if (current > latest)
        {
            throw new SchemaTooNewException(current, latest);
        }

        // Every version not recorded, not only those above the highest: numbers are reserved per piece of work, so a
        // database may have met a later one (say 7) before an earlier one (6) was merged.
        var applied = 0;
        foreach (var (version, description, script) in migrations.Where(m => !recorded.Contains(m.Version)))
        {
            foreach (var batch in BatchSeparator().Split(Specialise(script, dialect)).Where(b => !string.IsNullOrWhiteSpace(b)))
            {
                await connection.ExecuteAsync(batch, transaction: transaction).ConfigureAwait(false);
            }

            await connection.ExecuteAsync(
                "INSERT INTO wf_schema_version (version, description, applied_at) VALUES (@version, @description, @at)",
                new { version, description, at = DateTimeOffset.UtcNow.UtcTicks },
                transaction).ConfigureAwait(false);
            applied++;
        }

        // A database that reads but takes no write (a read-only file or replica) fails here, not at the first command.
        await connection.ExecuteAsync("UPDATE wf_schema_version SET applied_at = applied_at WHERE version = -1", transaction: transaction).ConfigureAwait(false);
        await transaction.CommitAsync(ct).ConfigureAwait(false);
        return applied;
    }

    /// <summary>The migration's connection, set as the store's are except for what a migration does differently.</summary>
    internal static async Task<System.Data.Common.DbConnection> OpenAsync(SqlDialect dialect, string connectionString, TimeSpan lockTimeout, CancellationToken ct)
    {
        var connection = dialect.CreateConnection(connectionString);
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            if (dialect.Provider == SqlProvider.Sqlite)
            {
                // WAL is a property of the file: set once, outside any transaction.
                await connection.ExecuteAsync("PRAGMA journal_mode = WAL").ConfigureAwait(false);
            }

            await dialect.OnOpenedAsync(connection).ConfigureAwait(false);
            if (dialect.Provider == SqlProvider.Sqlite)
            {
                // The caller's connection is not pooled: these settings apply to the migration alone. A migration's index
                // build sorts every row of its table: under the store's temp_store = MEMORY its spill stayed in RAM too
                // (316 MiB for 1.5M rows, issue 19 round 14's review); in a file, the sorter keeps to the page cache's 64 MiB.
                await connection.ExecuteAsync($"PRAGMA busy_timeout = {(long)lockTimeout.TotalMilliseconds}; PRAGMA temp_store = FILE;").ConfigureAwait(false);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static string Specialise(string script, SqlDialect dialect)
    {
        // What one dialect spells its own way (a rename, a view over JSON) sits in a block for that dialect alone.
        script = OnlyBlock().Replace(script, m => string.Equals(m.Groups["dialect"].Value, dialect.Provider.ToString(), StringComparison.OrdinalIgnoreCase) ? m.Groups["body"].Value : "");
        foreach (var (placeholder, type) in dialect.Types)
        {
            script = script.Replace(placeholder, type, StringComparison.Ordinal);
        }

        // Scripts drop an index as SQL Server spells it (its table named); SQLite and PostgreSQL name the index alone.
        return dialect.Provider == SqlProvider.SqlServer ? script : DropIndexOn().Replace(script, "DROP INDEX $1");
    }

    private static List<(int, string, string)> Load()
    {
        var assembly = typeof(SqlMigrator).Assembly;
        var migrations = new List<(int, string, string)>();
        foreach (var name in assembly.GetManifestResourceNames())
        {
            var match = MigrationName().Match(name);
            if (!match.Success)
            {
                continue;
            }

            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            migrations.Add((int.Parse(match.Groups["v"].Value, System.Globalization.CultureInfo.InvariantCulture), match.Groups["d"].Value, reader.ReadToEnd()));
        }

        return migrations.OrderBy(m => m.Item1).ToList();
    }

    [GeneratedRegex(@"DROP INDEX (\w+) ON \w+")]
    private static partial Regex DropIndexOn();

    [GeneratedRegex(@"^-- only (?<dialect>\w+)\s*$(?<body>.*?)^-- end only\s*$", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex OnlyBlock();

    [GeneratedRegex(@"^-- go\s*$", RegexOptions.Multiline)]
    private static partial Regex BatchSeparator();

    [GeneratedRegex(@"Migrations\.(?<v>\d{4})_(?<d>[a-z0-9_]+)\.sql$")]
    private static partial Regex MigrationName();
}
