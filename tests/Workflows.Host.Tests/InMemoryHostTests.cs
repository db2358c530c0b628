using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;

namespace Workflows.Host.Tests;

/// <summary>
/// <c>Workflows:Store:Provider = InMemory</c>: the host runs on the engine's memory (for trying and measuring), serves
/// the same API, keeps no file, says so in readiness and its start-up line, and refuses to start without a signing key,
/// with a database setting it would ignore, or in the Production environment unless acknowledged (review12 F3, F4).
/// </summary>
[NonParallelizable]
public sealed class InMemoryHostTests
{
    private static Dictionary<string, string> InMemory(Dictionary<string, string>? more = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["Workflows__Store__Provider"] = "InMemory",
            ["Workflows__Store__ConnectionString"] = "", // the test host's SQLite file, taken away
            ["Workflows__Auth__SigningKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
            ["Workflows__Auth__DemoUsers"] = "true",
        };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }

        return settings;
    }

    [Test]
    public async Task A_host_on_the_in_memory_store_starts_a_complaint_reads_it_back_and_writes_no_database_file()
    {
        await using var host = TestHost.Start(InMemory());
        var ann = await host.As("ann");

        var started = await ann.PostJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", variables = new { customerId = "mem-1", summary = "charged twice" } }, HttpStatusCode.Created);
        var id = started.GetProperty("id").GetString();
        using var instance = await ann.GetAsync(new Uri($"/api/instances/{id}", UriKind.Relative));
        using var again = await ann.PostAsJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", businessKey = started.GetProperty("businessKey").GetString(), variables = new { customerId = "mem-2" } });
        using var ready = await host.Anonymous().GetAsync(new Uri("/health/ready", UriKind.Relative));
        var engine = (await ready.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("checks")[0];

        using (Assert.EnterMultipleScope())
        {
            Assert.That(instance.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the instance is read back");
            Assert.That(await again.ProblemAsync(HttpStatusCode.Conflict), Does.Contain("is the key of an active case"), "a key stays unique among active cases, looked up by its index");
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK), "ready: it takes work");
            Assert.That(engine.GetProperty("status").GetString(), Is.EqualTo("Degraded"), "but not as a store that keeps it");
            Assert.That(engine.GetProperty("description").GetString(), Does.Contain("in this process's memory").And.Contain("lost when the process ends").And.Not.Contain("takes writes"));
            Assert.That(Directory.GetFiles(host.Directory, "*", SearchOption.AllDirectories), Is.Empty, "no database, no key file");
        }
    }

    [Test]
    public async Task The_in_memory_store_in_the_production_environment_is_refused_unless_acknowledged()
    {
        // One at a time: a test host's settings are the process's environment variables, read as it builds.
        await using (var refused = TestHost.Start(InMemory()))
        {
            Assert.That(() => InProduction(refused).CreateClient(), Throws.InstanceOf<ArgumentException>()
                .With.Message.Contains("Workflows:Store:Provider is InMemory in the Production environment")
                .And.Message.Contains("Workflows:Store:AllowInMemoryInProduction=true"));
        }

        await using var acknowledged = TestHost.Start(InMemory(new() { ["Workflows__Store__AllowInMemoryInProduction"] = "true" }));
        using var ready = await InProduction(acknowledged).CreateClient().GetAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.That(await ready.Content.ReadAsStringAsync(), Does.Contain("\"Degraded\""), "acknowledged, it runs, and says what it is");
    }

    [TestCase("In-Memory")]
    [TestCase("Memory")]
    [TestCase("1")]
    [TestCase("Sqlite,PostgreSql")]
    public async Task A_provider_that_is_none_of_the_four_fails_the_start_naming_them_all(string provider)
    {
        await using var host = TestHost.Start(InMemory(new() { ["Workflows__Store__Provider"] = provider }));

        Assert.That(() => host.Factory.CreateClient(), Throws.InstanceOf<ArgumentException>()
            .With.Message.EqualTo($"Workflows:Store:Provider '{provider}' is none of Sqlite, PostgreSql, SqlServer, InMemory"));
    }

    [Test]
    public async Task A_connection_string_put_in_the_provider_setting_is_not_quoted_with_its_password()
    {
        const string Misplaced = "Host=db;Username=wf;Password=s3cret";
        await using var host = TestHost.Start(InMemory(new() { ["Workflows__Store__Provider"] = Misplaced }));

        Assert.That(() => host.Factory.CreateClient(), Throws.InstanceOf<ArgumentException>()
            .With.Message.EqualTo($"Workflows:Store:Provider (a value of {Misplaced.Length} characters, not shown: it is not a provider's name) is none of Sqlite, PostgreSql, SqlServer, InMemory")
            .And.Message.Not.Contains("s3cret"));
    }

    [Test]
    public async Task The_in_memory_store_with_a_nested_store_setting_fails_the_start_rather_than_ignore_it()
    {
        await using var host = TestHost.Start(InMemory(new() { ["Workflows__Store__Pool__Max"] = "5" }));

        Assert.That(() => host.Factory.CreateClient(), Throws.InstanceOf<ArgumentException>()
            .With.Message.Contains("remove Workflows:Store:Pool"));
    }

    [Test]
    public async Task The_host_process_started_on_a_misspelt_provider_stops_with_one_line_and_exit_code_2()
    {
        var (code, output) = await RunHostProcessAsync(("Workflows__Store__Provider", "In-Memory"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.EqualTo(2), output);
            Assert.That(output.Trim(), Is.EqualTo("Workflows cannot start: Workflows:Store:Provider 'In-Memory' is none of Sqlite, PostgreSql, SqlServer, InMemory"));
        }
    }

    [Test]
    public async Task The_host_process_on_the_in_memory_store_in_production_stops_unless_acknowledged_then_says_so_as_it_starts()
    {
        var (code, output) = await RunHostProcessAsync(("Workflows__Store__Provider", "InMemory"));
        var (acknowledgedCode, acknowledged) = await RunHostProcessAsync(("Workflows__Store__Provider", "InMemory"), ("Workflows__Store__AllowInMemoryInProduction", "true"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.EqualTo(2), output);
            Assert.That(output, Does.StartWith("Workflows cannot start: Workflows:Store:Provider is InMemory in the Production environment").And.Not.Contain("   at "));
            Assert.That(acknowledgedCode, Is.EqualTo(-1), "acknowledged, it ran until stopped");
            Assert.That(acknowledged, Does.Match(@"Workflows is running at http://127\.0\.0\.1:\d+ on the in-memory store \(Workflows:Store:Provider = InMemory\): every instance, task and deployment is lost when this process ends"));
        }
    }

    // The test's host on the Production environment (the factory's own is Development), as a deployment runs it.
    private static Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> InProduction(TestHost host) =>
        host.Factory.WithWebHostBuilder(web => web.UseEnvironment("Production"));

    /// <summary>
    /// Runs the built host (Release) as its own process, in the Production environment, with a signing key and
    /// <paramref name="settings"/>: its exit code and output once it exits, or -1 and its output once it said it is
    /// running (then it is stopped).
    /// </summary>
    private static async Task<(int Code, string Output)> RunHostProcessAsync(params (string Name, string Value)[] settings)
    {
        var root = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Workflows.sln")))
        {
            root = root.Parent;
        }

        var directory = Directory.CreateTempSubdirectory("workflows-inmemory-").FullName;
        var start = new System.Diagnostics.ProcessStartInfo("dotnet", [Path.Combine(root!.FullName, "host", "bin", "Release", "net10.0", "Workflows.Host.dll")])
        {
            WorkingDirectory = directory, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Workflows__Auth__SigningKey"] = Convert.ToBase64String(new byte[32]);
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["DOTNET_DbgEnableMiniDump"] = "0";
        foreach (var (name, value) in settings)
        {
            start.Environment[name] = value;
        }

        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var running = new SemaphoreSlim(0);
        using var process = new System.Diagnostics.Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Seen(e.Data);
        process.ErrorDataReceived += (_, e) => Seen(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var exited = process.WaitForExitAsync();
            var said = running.WaitAsync(TimeSpan.FromSeconds(90));
            if (await Task.WhenAny(exited, said) == exited)
            {
                process.WaitForExit(); // the last lines read
                return (process.ExitCode, string.Join(Environment.NewLine, output));
            }

            return (-1, string.Join(Environment.NewLine, output));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            Directory.Delete(directory, recursive: true);
        }

        void Seen(string? line)
        {
            if (line is null)
            {
                return;
            }

            output.Enqueue(line);
            if (line.Contains("Workflows is running at", StringComparison.Ordinal))
            {
                running.Release();
            }
        }
    }

    [Test]
    public async Task The_in_memory_store_without_a_signing_key_fails_the_start_naming_the_setting()
    {
        var settings = InMemory();
        settings["Workflows__Auth__SigningKey"] = "";
        await using var host = TestHost.Start(settings);

        Assert.That(() => host.Factory.CreateClient(), Throws.InstanceOf<ArgumentException>()
            .With.Message.Contains("Workflows:Auth:SigningKey (Workflows__Auth__SigningKey) is required with the InMemory store"));
    }

    [Test]
    public async Task The_in_memory_store_with_a_connection_string_fails_the_start_rather_than_ignore_it()
    {
        await using var host = TestHost.Start(InMemory(new() { ["Workflows__Store__ConnectionString"] = "Data Source=kept.db" }));

        Assert.That(() => host.Factory.CreateClient(), Throws.InstanceOf<ArgumentException>()
            .With.Message.Contains("remove Workflows:Store:ConnectionString"));
    }
}
