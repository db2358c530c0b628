using System.Net;
using System.Net.Http.Json;

namespace Workflows.Host.Tests;

/// <summary>
/// <c>Workflows:Store:Provider = InMemory</c>: the host runs on the engine's memory (for trying and measuring), serves
/// the same API, keeps no file, and refuses to start without a signing key or with a database setting it would ignore.
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

        using (Assert.EnterMultipleScope())
        {
            Assert.That(instance.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the instance is read back");
            Assert.That(await again.ProblemAsync(HttpStatusCode.Conflict), Does.Contain("is the key of an active case"), "a key stays unique among active cases, looked up by its index");
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK), "ready: memory takes the probe's write");
            Assert.That(Directory.GetFiles(host.Directory, "*", SearchOption.AllDirectories), Is.Empty, "no database, no key file");
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
