using Workflows.Engine.Sql;

namespace Workflows.Host.Features;

/// <summary>
/// The store the host runs on, section <c>Workflows:Store</c>: a SQL database (<see cref="Sql"/>), or with
/// <c>Provider</c> <c>InMemory</c> the engine's own memory, which keeps nothing when the process ends: for trying the
/// product and for measuring what a request costs without a database, never for work that must be kept. In the
/// Production environment it is refused unless <see cref="AllowInMemoryInProduction"/> says so.
/// </summary>
internal sealed class HostStore
{
    /// <summary>The provider's value that keeps the engine's state in memory.</summary>
    public const string InMemoryProvider = "InMemory";

    /// <summary>The setting that lets the in-memory store run in the Production environment: <c>true</c> acknowledges that it loses its work at restart.</summary>
    public const string AllowInMemoryInProduction = "Workflows:Store:AllowInMemoryInProduction";

    private const string ProviderSetting = "Workflows:Store:Provider";

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
        string.Equals(configuration[ProviderSetting]?.Trim(), InMemoryProvider, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Reads <c>Workflows:Store</c>; a SQL store's settings are checked, naming a wrong one. With
    /// <paramref name="environment"/> (a server's start), the in-memory store is refused in Production unless
    /// <see cref="AllowInMemoryInProduction"/> is <c>true</c>.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// A provider that is none of the four, a wrong SQL setting, a store setting given with the in-memory store (it would
    /// be ignored), or the in-memory store in Production without the acknowledgment.
    /// </exception>
    public static HostStore Read(IConfiguration configuration, IHostEnvironment? environment)
    {
        var section = configuration.GetSection("Workflows:Store");
        var provider = configuration[ProviderSetting]?.Trim();
        if (IsInMemory(configuration))
        {
            return InMemoryStore(section, environment);
        }

        // Checked here, before the binder, which would fail with a stack and name SQL providers only (review12 F4).
        if (!string.IsNullOrEmpty(provider) && !Enum.GetNames<SqlProvider>().Contains(provider, StringComparer.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"{ProviderSetting} {Quoted(provider)} is none of {string.Join(", ", Enum.GetNames<SqlProvider>())}, {InMemoryProvider}");
        }

        var store = new SqlStoreOptions { ConfigurationSection = "Workflows:Store" };
        try
        {
            section.Bind(store);
        }
        catch (InvalidOperationException e)
        {
            // The binder's message names the setting and the value it could not convert (a duration, a number).
            throw new ArgumentException(e.Message, e);
        }

        store.Validate();
        return new HostStore(store);
    }

    private static HostStore InMemoryStore(IConfigurationSection section, IHostEnvironment? environment)
    {
        // A connection string (or a pool's size, nested) beside it says someone expected a database: refused rather than
        // silently unused.
        var ignored = section.GetChildren()
            .Where(c => !string.Equals(c.Key, "Provider", StringComparison.OrdinalIgnoreCase) && !string.Equals(c.Path, AllowInMemoryInProduction, StringComparison.OrdinalIgnoreCase))
            .Where(c => c.AsEnumerable().Any(setting => !string.IsNullOrEmpty(setting.Value)))
            .Select(c => c.Path).Order(StringComparer.Ordinal).ToList();
        if (ignored.Count > 0)
        {
            throw new ArgumentException($"{ProviderSetting} is {InMemoryProvider}, which keeps nothing in a database: remove {string.Join(", ", ignored)}, or choose Sqlite, PostgreSql or SqlServer");
        }

        var allowed = section.GetSection("AllowInMemoryInProduction").Value?.Trim();
        if (!string.IsNullOrEmpty(allowed) && !bool.TryParse(allowed, out _))
        {
            throw new ArgumentException($"{AllowInMemoryInProduction} = '{allowed}' must be true or false");
        }

        if (environment?.IsProduction() == true && !string.Equals(allowed, "true", StringComparison.OrdinalIgnoreCase))
        {
            // One leftover variable would have a production node acknowledge work it loses at its next restart, and
            // several nodes behind a balancer each hold a memory of their own.
            throw new ArgumentException(
                $"{ProviderSetting} is {InMemoryProvider} in the Production environment: every instance, task and deployment would be lost when the process ends. " +
                $"Choose Sqlite, PostgreSql or SqlServer, or set {AllowInMemoryInProduction}=true (Workflows__Store__AllowInMemoryInProduction) to run it anyway, for trying and measuring");
        }

        return new HostStore(null);
    }

    // A misspelt provider is quoted so that its writer sees the typo; anything else (a connection string put in the wrong
    // setting, with its password) is not, since the line goes to the container's log (review13 F2).
    private static string Quoted(string value) =>
        value.Length <= 40 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or ' ' or '.' or ',')
            ? $"'{value}'"
            : $"(a value of {value.Length} characters, not shown: it is not a provider's name)";
}
