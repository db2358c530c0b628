using Workflows.Engine.Sql;

namespace Workflows.Host.Features;

/// <summary>
/// The store the host runs on, section <c>Workflows:Store</c>: a SQL database (<see cref="Sql"/>), or with
/// <c>Provider</c> <c>InMemory</c> the engine's own memory, which keeps nothing when the process ends: for trying the
/// product and for measuring what a request costs without a database, never for work that must be kept.
/// </summary>
internal sealed class HostStore
{
    /// <summary>The provider's value that keeps the engine's state in memory.</summary>
    public const string InMemoryProvider = "InMemory";

    private HostStore(SqlStoreOptions? sql) => Sql = sql;

    /// <summary>The SQL database's settings; null when the store is in memory.</summary>
    public SqlStoreOptions? Sql { get; }

    /// <summary>Whether the engine's state lives in this process's memory only.</summary>
    public bool InMemory => Sql is null;

    /// <summary>Whether several nodes may share the store, each with a clock of its own (PostgreSQL, SQL Server).</summary>
    public bool Shared => Sql is { Provider: not SqlProvider.Sqlite };

    /// <summary>What the store is, for messages: the provider's name.</summary>
    public string Name => Sql?.Provider.ToString() ?? InMemoryProvider;

    /// <summary>Whether <c>Workflows:Store:Provider</c> says <c>InMemory</c> (read before the rest of the settings are checked).</summary>
    public static bool IsInMemory(IConfiguration configuration) =>
        string.Equals(configuration["Workflows:Store:Provider"]?.Trim(), InMemoryProvider, StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads <c>Workflows:Store</c>; a SQL store's settings are checked, naming a wrong one.</summary>
    /// <exception cref="ArgumentException">A wrong SQL setting, or a SQL setting given with the in-memory store (it would be ignored).</exception>
    public static HostStore Read(IConfiguration configuration)
    {
        var section = configuration.GetSection("Workflows:Store");
        if (IsInMemory(configuration))
        {
            // A connection string beside it says someone expected a database: refused rather than silently unused.
            var ignored = section.GetChildren().Where(c => !string.IsNullOrEmpty(c.Value) && !string.Equals(c.Key, "Provider", StringComparison.OrdinalIgnoreCase))
                .Select(c => c.Key).Order(StringComparer.Ordinal).ToList();
            return ignored.Count == 0
                ? new HostStore(null)
                : throw new ArgumentException($"Workflows:Store:Provider is {InMemoryProvider}, which keeps nothing in a database: remove {string.Join(", ", ignored.Select(k => "Workflows:Store:" + k))}, or choose Sqlite, PostgreSql or SqlServer");
        }

        var store = new SqlStoreOptions { ConfigurationSection = "Workflows:Store" };
        section.Bind(store);
        store.Validate();
        return new HostStore(store);
    }
}
