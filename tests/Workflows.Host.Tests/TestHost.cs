using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Workflows.Host.Tests;

/// <summary>
/// The host on a SQLite file of its own (or the store and bus the settings name), with its demo users signed in.
/// Settings go through environment variables, which the host reads as it builds: fixtures using it do not run in parallel.
/// </summary>
internal sealed class TestHost : IAsyncDisposable
{
    private readonly Dictionary<string, string?> _previous = [];
    private readonly Dictionary<string, HttpClient> _clients = [];

    private TestHost(string directory, WebApplicationFactory<Program> factory)
    {
        Directory = directory;
        Factory = factory;
    }

    public string Directory { get; }

    public WebApplicationFactory<Program> Factory { get; }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Starts the host; with <paramref name="time"/>, on that clock instead of the system's; with <paramref name="kestrel"/>,
    /// listening on a free port of 127.0.0.1 (for a browser) instead of in memory; with <paramref name="services"/>, with
    /// those services added (a logger provider that records, say).
    /// </summary>
    public static TestHost Start(IReadOnlyDictionary<string, string>? settings = null, TimeProvider? time = null, bool kestrel = false, Action<IServiceCollection>? services = null)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("workflows-host-").FullName;
        var all = new Dictionary<string, string>
        {
            ["Workflows__Store__Provider"] = "Sqlite",
            ["Workflows__Store__ConnectionString"] = $"Data Source={Path.Combine(directory, "host.db")}",
        };
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

        var host = new TestHost(directory, factory);
        foreach (var (key, value) in all)
        {
            host._previous[key] = Environment.GetEnvironmentVariable(key);
            Environment.SetEnvironmentVariable(key, value);
        }

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
    public HttpClient WithToken(params (string Type, string Value)[] claims) =>
        WithTokenOf(claims.Any(c => c.Type == "jti") ? claims : [.. claims, ("jti", Guid.NewGuid().ToString("N"))]);

    /// <summary>A client with a token of exactly these claims (no token id added).</summary>
    public HttpClient WithTokenOf(params (string Type, string Value)[] claims)
    {
        _ = Factory.Services; // the key file is written as the host builds
        var key = new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(Convert.FromBase64String(File.ReadAllText(Path.Combine(Directory, "signing-key.dev")).Trim()));
        var now = DateTime.UtcNow;
        var token = new System.IdentityModel.Tokens.Jwt.JwtSecurityToken("workflows", "workflows", claims.Select(c => new System.Security.Claims.Claim(c.Type, c.Value)), now, now.AddMinutes(5),
            new Microsoft.IdentityModel.Tokens.SigningCredentials(key, Microsoft.IdentityModel.Tokens.SecurityAlgorithms.HmacSha256));
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", new System.IdentityModel.Tokens.Jwt.JwtSecurityTokenHandler().WriteToken(token));
        _clients["token:" + Guid.NewGuid()] = client;
        return client;
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
        System.IO.Directory.Delete(Directory, recursive: true);
    }
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
