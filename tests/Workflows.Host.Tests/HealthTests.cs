using System.Net;

namespace Workflows.Host.Tests;

[NonParallelizable]
public sealed class HealthTests
{
    [Test]
    public async Task The_host_answers_live_and_ready_once_started_on_its_SQLite_file()
    {
        await using var host = TestHost.Start();
        using var client = host.Anonymous();

        using var live = await client.GetAsync(new Uri("/health/live", UriKind.Relative));
        var ready = await (await client.GetAsync(new Uri("/health/ready", UriKind.Relative))).JsonAsync(HttpStatusCode.OK);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(ready.GetProperty("status").GetString(), Is.EqualTo("Healthy"));
            Assert.That(ready.GetProperty("checks")[0].GetProperty("name").GetString(), Is.EqualTo("engine"));
            Assert.That(File.Exists(Path.Combine(host.Directory, "host.db")), Is.True, "the schema was migrated into the configured file");
            Assert.That(File.Exists(Path.Combine(host.Directory, "signing-key.dev")), Is.True, "a development signing key was generated beside it");
        }
    }

    [Test]
    public async Task A_wrong_store_setting_fails_the_start_and_names_it()
    {
        await using var host = TestHost.Start(new Dictionary<string, string>
        {
            ["Workflows__Store__Provider"] = "PostgreSql",
            ["Workflows__Store__ConnectionString"] = "Nonsense=1",
            ["Workflows__Auth__SigningKey"] = Convert.ToBase64String(new byte[32]),
        });

        Assert.That(() => host.Factory.CreateClient(), Throws.InstanceOf<ArgumentException>().With.Message.Contains("Workflows:Store:ConnectionString"));
    }

    [Test]
    public async Task A_shared_database_without_a_signing_key_fails_the_start_and_says_which_setting_is_missing()
    {
        await using var host = TestHost.Start(new Dictionary<string, string>
        {
            ["Workflows__Store__Provider"] = "PostgreSql",
            ["Workflows__Store__ConnectionString"] = "Host=127.0.0.1;Database=none",
        });

        Assert.That(() => host.Factory.CreateClient(), Throws.InstanceOf<ArgumentException>().With.Message.Contains("Workflows:Auth:SigningKey (Workflows__Auth__SigningKey) is required"));
    }

    [Test]
    public async Task A_bus_setting_out_of_range_fails_the_start_naming_it()
    {
        await using var host = TestHost.Start(new Dictionary<string, string>
        {
            ["Workflows__Bus__Transport"] = "RabbitMq",
            ["Workflows__Bus__RabbitMq__Port"] = "70000",
        });

        var error = Assert.Throws<ArgumentException>(() => host.Factory.CreateClient());
        Assert.That(error!.Message, Does.Contain("bus option RabbitMq:Port = '70000' must be from 1 to 65535"));
    }

    [Test]
    public async Task A_limit_that_is_not_positive_fails_the_start_naming_it()
    {
        await using var host = TestHost.Start(new Dictionary<string, string> { ["Workflows__Limits__MaxPageSize"] = "0" });

        var error = Assert.Throws<ArgumentException>(() => host.Factory.CreateClient());
        Assert.That(error!.Message, Does.Contain("Workflows:Limits:MaxPageSize = 0 must be positive"));
    }
}
