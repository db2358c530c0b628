using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace Workflows.Host.Tests;

/// <summary>
/// The built host as a process of its own, as it is deployed, on a free port of 127.0.0.1 and the store and bus a
/// <see cref="TestBackend"/> names: for tests that kill it (SIGKILL, no shutdown code runs) and start it again on the
/// same store. It is given a signing key, so that tokens made by the test stay valid across the restart.
/// </summary>
internal sealed class HostProcess : IDisposable
{
    private static readonly TimeSpan s_startDeadline = TimeSpan.FromMinutes(2);
    private readonly Process _process;
    private readonly string _signingKey;

    private HostProcess(Process process, Uri url, string signingKey)
    {
        _process = process;
        Url = url;
        _signingKey = signingKey;
    }

    /// <summary>Where the host listens, with a trailing slash: clients call relative paths such as <c>api/instances</c>.</summary>
    public Uri Url { get; }

    /// <summary>Starts the host on <paramref name="backend"/>, signing with its key, with <paramref name="settings"/> beyond it.</summary>
    public static HostProcess Start(TestBackend backend, IReadOnlyDictionary<string, string>? settings = null)
    {
        var root = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Workflows.sln")))
        {
            root = root.Parent;
        }

        var hostDirectory = Path.Combine(root!.FullName, "host", "bin", "Release", "net10.0");
        var dll = Path.Combine(hostDirectory, "Workflows.Host.dll");
        Assert.That(File.Exists(dll), Is.True, $"the host is built at {dll}");
        var url = new Uri($"http://127.0.0.1:{FreePort()}/");
        var start = new ProcessStartInfo("dotnet", [dll]) { WorkingDirectory = hostDirectory, UseShellExecute = false };
        foreach (var (key, value) in backend.Settings)
        {
            start.Environment[key] = value;
        }

        start.Environment["Workflows__Auth__SigningKey"] = backend.SigningKey;
        start.Environment["Workflows__Auth__DemoUsers"] = "true";
        start.Environment["Workflows__Auth__SignInPermitsPerMinute"] = "1000";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        start.Environment["ASPNETCORE_URLS"] = url.ToString().TrimEnd('/');
        return new HostProcess(Process.Start(start)!, url, backend.SigningKey);
    }

    /// <summary>A client signed in as a demo user, once the host listens.</summary>
    public async Task<HttpClient> SignInAsync(string user)
    {
        var client = Client();
        var watch = Stopwatch.StartNew();
        while (true)
        {
            Assert.That(_process.HasExited, Is.False, "the host runs");
            try
            {
                using var response = await client.PostAsJsonAsync("api/auth/sign-in", new { username = user, password = "demo" });
                if (response.IsSuccessStatusCode)
                {
                    var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString();
                    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
                    return client;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            Assert.That(watch.Elapsed, Is.LessThan(s_startDeadline), "the host started listening");
            await Task.Delay(200);
        }
    }

    /// <summary>A client with a token of these claims (and an id), signed with the host's key.</summary>
    public HttpClient WithToken(params (string Type, string Value)[] claims)
    {
        var client = Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.Issue(_signingKey, TestTokens.WithId(claims)));
        return client;
    }

    /// <summary>The host's resident memory now, in bytes.</summary>
    public long WorkingSet
    {
        get
        {
            _process.Refresh();
            return _process.WorkingSet64;
        }
    }

    /// <summary>Whether the host process is still running.</summary>
    public bool IsRunning => !_process.HasExited;

    /// <summary>Kills the host with SIGKILL: no shutdown code runs, leases stay taken, open requests fail.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private HttpClient Client() => new() { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(60) };

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
