using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Workflows.Host.Tests;

/// <summary>
/// The host in process on a SQLite file of its own, on a <see cref="TestBackend"/> provisioned for it, or on the store and
/// bus the settings name; with its demo users signed in.
/// Settings go through environment variables, which the host reads as it builds: fixtures using it do not run in parallel.
/// </summary>
internal sealed class TestHost : IAsyncDisposable
{
    private readonly Dictionary<string, string?> _previous = [];
    private readonly Dictionary<string, HttpClient> _clients = [];
    private readonly TestBackend? _backend;
    private string? _signingKey; // given in the settings; else the development key the host writes beside its database

    private TestHost(string directory, WebApplicationFactory<Program> factory, TestBackend? backend)
    {
        Directory = directory;
        Factory = factory;
        _backend = backend;
    }

    public string Directory { get; }

    public WebApplicationFactory<Program> Factory { get; }

    /// <summary>The store and bus the host runs on, when it was started on a <see cref="Tests.Backend"/>.</summary>
    public TestBackend Backend => _backend ?? throw new InvalidOperationException("the host was started with settings, not on a backend");

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Starts the host; with <paramref name="time"/>, on that clock instead of the system's; with <paramref name="kestrel"/>,
    /// listening on a free port of 127.0.0.1 (for a browser) instead of in memory; with <paramref name="services"/>, with
    /// those services added (a logger provider that records, say).
    /// </summary>
    public static TestHost Start(IReadOnlyDictionary<string, string>? settings = null, TimeProvider? time = null, bool kestrel = false, Action<IServiceCollection>? services = null)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("workflows-host-").FullName;
        return Launch(directory, null, new Dictionary<string, string>(TestBackend.Sqlite(directory).Settings), settings, time, kestrel, services);
    }

    /// <summary>
    /// Starts the host on a <paramref name="backend"/> provisioned for it (and removed with it), with
    /// <paramref name="settings"/> beyond the store's and the bus's; the rest as <see cref="Start"/>.
    /// </summary>
    public static async Task<TestHost> StartAsync(Backend backend, IReadOnlyDictionary<string, string>? settings = null, TimeProvider? time = null, bool kestrel = false)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("workflows-host-").FullName;
        TestBackend provisioned;
        try
        {
            provisioned = await TestBackend.CreateAsync(backend, directory);
        }
        catch
        {
            System.IO.Directory.Delete(directory, recursive: true);
            throw;
        }

        return Launch(directory, provisioned, new Dictionary<string, string>(provisioned.Settings), settings, time, kestrel, services: null);
    }

    private static TestHost Launch(string directory, TestBackend? backend, Dictionary<string, string> all, IReadOnlyDictionary<string, string>? settings, TimeProvider? time, bool kestrel, Action<IServiceCollection>? services)
    {
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }

        var factory = new WebApplicationFactory<Program>();
        if (time is not null)
        {
            factory = factory.WithWebHostBuilder(web => web.ConfigureTestServices(s => s.AddSingleton(time)));
        }

        if (services is not null)
        {
            factory = factory.WithWebHostBuilder(web => web.ConfigureTestServices(services));
        }

        if (kestrel)
        {
            all["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
            factory.UseKestrel();
        }

        var host = new TestHost(directory, factory, backend);
        foreach (var (key, value) in all)
        {
            host._previous[key] = Environment.GetEnvironmentVariable(key);
            Environment.SetEnvironmentVariable(key, value);
        }

        host._signingKey = all.GetValueOrDefault("Workflows__Auth__SigningKey");
        return host;
    }

    public HttpClient Anonymous() => Factory.CreateClient();

    /// <summary>Where a host started with Kestrel listens.</summary>
    public Uri BaseAddress()
    {
        Factory.StartServer();
        var addresses = Factory.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses;
        return new Uri(addresses.First());
    }

    /// <summary>A client signed in as a demo user (alice analyst, bruno branch admin, ann and omar agents, sofia supervisor, carla customer).</summary>
    public async Task<HttpClient> As(string user)
    {
        if (_clients.TryGetValue(user, out var known))
        {
            return known;
        }

        var client = Factory.CreateClient();
        using var response = await client.PostAsJsonAsync("/api/auth/sign-in", new { username = user, password = "demo" });
        Assert.That(response.IsSuccessStatusCode, Is.True, $"sign-in of {user}: {await response.Content.ReadAsStringAsync()}");
        var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        _clients[user] = client;
        return client;
    }

    /// <summary>
    /// A client with a token of the caller's making, signed with the host's development key: the claims an identity
    /// provider would issue (for a branch no demo user works for, or a token missing a claim).
    /// </summary>
    /// <remarks>The token gets an id (<c>jti</c>) as every issued token has, unless the claims give one.</remarks>
    public HttpClient WithToken(params (string Type, string Value)[] claims) => WithTokenOf(TestTokens.WithId(claims));

    /// <summary>A client with a token of exactly these claims (no token id added).</summary>
    public HttpClient WithTokenOf(params (string Type, string Value)[] claims)
    {
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.Issue(SigningKey(), claims));
        _clients["token:" + Guid.NewGuid()] = client;
        return client;
    }

    /// <summary>A token of these claims (and an id) valid from <paramref name="notBefore"/> to <paramref name="expires"/>, signed with the host's key.</summary>
    public string TokenValid(DateTime notBefore, DateTime expires, params (string Type, string Value)[] claims) =>
        TestTokens.Issue(SigningKey(), TestTokens.WithId(claims), notBefore, expires);

    private string SigningKey()
    {
        _ = Factory.Services; // a development key's file is written as the host builds
        return _signingKey ?? File.ReadAllText(Path.Combine(Directory, "signing-key.dev")).Trim();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }

        await Factory.DisposeAsync();
        foreach (var (key, value) in _previous)
        {
            Environment.SetEnvironmentVariable(key, value);
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }

        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

/// <summary>Tokens as an identity provider would issue them, signed with the key a host was given.</summary>
internal static class TestTokens
{
    /// <summary>A token of exactly <paramref name="claims"/>, valid for half an hour, signed with <paramref name="key"/> (base 64).</summary>
    public static string Issue(string key, IEnumerable<(string Type, string Value)> claims) => Issue(key, claims, DateTime.UtcNow, DateTime.UtcNow.AddMinutes(30));

    /// <summary>A token of exactly <paramref name="claims"/>, valid from <paramref name="notBefore"/> to <paramref name="expires"/>.</summary>
    public static string Issue(string key, IEnumerable<(string Type, string Value)> claims, DateTime notBefore, DateTime expires)
    {
        var signing = new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(Convert.FromBase64String(key));
        var token = new System.IdentityModel.Tokens.Jwt.JwtSecurityToken("workflows", "workflows", claims.Select(c => new System.Security.Claims.Claim(c.Type, c.Value)), notBefore, expires,
            new Microsoft.IdentityModel.Tokens.SigningCredentials(signing, Microsoft.IdentityModel.Tokens.SecurityAlgorithms.HmacSha256));
        return new System.IdentityModel.Tokens.Jwt.JwtSecurityTokenHandler().WriteToken(token);
    }

    /// <summary>The claims with a token id (<c>jti</c>) added, as every issued token has one, unless they give one.</summary>
    public static (string Type, string Value)[] WithId((string Type, string Value)[] claims) =>
        claims.Any(c => c.Type == "jti") ? claims : [.. claims, ("jti", Guid.NewGuid().ToString("N"))];
}

/// <summary>Calls that read as the scenario they take part in.</summary>
internal static class Api
{
    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response, System.Net.HttpStatusCode? expected = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (expected is { } status)
        {
            Assert.That(response.StatusCode, Is.EqualTo(status), text);
        }

        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<JsonElement> PostJsonAsync(this HttpClient client, string url, object? body, System.Net.HttpStatusCode expected = System.Net.HttpStatusCode.OK)
    {
        using var response = await client.PostAsJsonAsync(url, body);
        return await response.JsonAsync(expected);
    }

    public static async Task<JsonElement> GetJsonAsync(this HttpClient client, string url)
    {
        using var response = await client.GetAsync(new Uri(url, UriKind.Relative));
        return await response.JsonAsync(System.Net.HttpStatusCode.OK);
    }

    /// <summary>The <c>detail</c> of the problem a response answers, checking its status.</summary>
    public static async Task<string> ProblemAsync(this HttpResponseMessage response, System.Net.HttpStatusCode expected) =>
        (await response.JsonAsync(expected)).GetProperty("detail").GetString()!;

    /// <summary>Deploys a BPMN model as an analyst and returns the deployment (with its findings).</summary>
    public static async Task<JsonElement> DeployAsync(this HttpClient analyst, string bpmn)
    {
        using var content = new StringContent(bpmn, System.Text.Encoding.UTF8, "application/xml");
        using var response = await analyst.PostAsync(new Uri("/api/definitions", UriKind.Relative), content);
        return await response.JsonAsync(System.Net.HttpStatusCode.Created);
    }

    /// <summary>
    /// Approves a deployed version as a standard so that a branch may pin it or migrate to it (a version only deployed is
    /// refused). <paramref name="approver"/> is an analyst who did not deploy it (four eyes): the demo's <c>ines</c> when
    /// <c>alice</c> deployed.
    /// </summary>
    public static Task<JsonElement> ApproveAsync(this HttpClient approver, string journey, int version, string reason = "reviewed for the test") =>
        approver.PostJsonAsync($"/api/definitions/{Uri.EscapeDataString(journey)}/versions/{version}/approval", new { reason });

    /// <summary>
    /// What <paramref name="probe"/> finds (anything but an undefined element) as soon as it finds it, asking every tenth
    /// of a second; fails naming <paramref name="what"/> when nothing was found within <paramref name="seconds"/>.
    /// </summary>
    public static async Task<JsonElement> EventuallyAsync(Func<Task<JsonElement>> probe, string what, int seconds = 60)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            if (await probe() is { ValueKind: not JsonValueKind.Undefined } found)
            {
                return found;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"not within {seconds} s: {what}");
        return default;
    }

    /// <summary>A batch once it has completed (every item done, skipped or failed).</summary>
    public static Task<JsonElement> CompletedBatchAsync(this HttpClient client, string batchId, int seconds = 60) =>
        EventuallyAsync(async () => await client.GetJsonAsync($"/api/batches/{batchId}") is var batch && batch.GetProperty("state").GetString() == "completed" ? batch : default,
            $"batch {batchId} completed", seconds);

    /// <summary>Starts a journey as an agent and returns the instance id.</summary>
    public static async Task<string> StartAsync(this HttpClient agent, string journey, object? variables = null, string branch = "paris-01", string? businessKey = null)
    {
        var started = await agent.PostJsonAsync("/api/instances", new { journey, branch, businessKey, variables }, System.Net.HttpStatusCode.Created);
        return started.GetProperty("id").GetString()!;
    }

    /// <summary>The open task of an instance at an element.</summary>
    public static async Task<string> TaskAsync(this HttpClient staff, string instanceId, string elementId)
    {
        var instance = await staff.GetJsonAsync($"/api/instances/{instanceId}");
        return instance.GetProperty("tasks").EnumerateArray().Single(t => t.GetProperty("elementId").GetString() == elementId).GetProperty("id").GetString()!;
    }
}
