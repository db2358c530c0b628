namespace Workflows.Host.Tests;

/// <summary>
/// A fixture of host tests: the host started once, in process, on the <see cref="Tests.Backend"/> the fixture names (a
/// parameterized fixture names both), with the settings and clock it asks for, and the callers its tests use.
/// </summary>
/// <remarks>
/// The host reads its settings from environment variables as it builds, so fixtures deriving from this one must be
/// <c>[NonParallelizable]</c>.
/// </remarks>
public abstract class HostFixture(Backend backend)
{
    private static readonly Dictionary<string, string> s_noSettings = [];

    /// <summary>The store and bus the host runs on.</summary>
    protected Backend Backend => backend;

    private protected TestHost Host { get; private set; } = null!;

    /// <summary>Settings beyond the store's and the bus's, as environment variables (<c>Workflows__Section__Name</c>).</summary>
    private protected virtual IReadOnlyDictionary<string, string> Settings => s_noSettings;

    /// <summary>The host's clock, when not the system's.</summary>
    private protected virtual TimeProvider? Time => null;

    /// <summary>Whether the host listens on a port of 127.0.0.1 (for a browser) rather than in memory.</summary>
    private protected virtual bool Kestrel => false;

    [OneTimeSetUp]
    public async Task StartTheHost() => Host = await TestHost.StartAsync(backend, Settings, Time, Kestrel);

    [OneTimeTearDown]
    public async Task StopTheHost()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }
    }

    /// <summary>A client signed in as a demo user (alice analyst, bruno branch admin, ann and omar agents, sofia supervisor, otto operator of every branch, carla customer).</summary>
    private protected Task<HttpClient> As(string user) => Host.As(user);

    /// <summary>An operator of <paramref name="branch"/> (olga), by a token of the test's making: no demo user needed.</summary>
    private protected HttpClient Operator(string branch = "paris-01") => Host.WithToken(("sub", "olga"), ("role", "operator"), ("branch", branch));

    /// <summary>A program serving jobs over HTTP for <paramref name="branch"/>, by a token of the test's making.</summary>
    private protected HttpClient Worker(string branch = "paris-01", string name = "bot") => Host.WithToken(("sub", $"{name}-{branch}"), ("role", "worker"), ("branch", branch));

    /// <summary>A branch admin of every branch (<c>*</c>): the one who may move a controllable clock.</summary>
    private protected HttpClient CentralAdmin() => Host.WithToken(("sub", "clock-admin"), ("role", "branch-admin"), ("branch", "*"));

    /// <summary>Deploys a BPMN model as alice (analyst) and returns the deployment with its findings.</summary>
    private protected async Task<System.Text.Json.JsonElement> DeployAsync(string bpmn) => await (await As("alice")).DeployAsync(bpmn);
}

/// <summary>Runs a fixture once on each <see cref="Backend"/>: SQLite with the in-memory bus, and PostgreSQL with RabbitMQ.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class OnEveryBackendAttribute() : TestFixtureSourceAttribute(typeof(OnEveryBackendAttribute), nameof(Backends))
{
    /// <summary>The fixture's one argument, a backend at a time.</summary>
    public static IEnumerable<Backend> Backends => Enum.GetValues<Backend>();
}
