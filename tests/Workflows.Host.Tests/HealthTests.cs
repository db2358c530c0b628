using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using NUnit.Framework;

namespace Workflows.Host.Tests;

[NonParallelizable]
public sealed class HealthTests
{
    private string _directory = "";

    [SetUp]
    public void UseATemporaryDatabase()
    {
        _directory = Directory.CreateTempSubdirectory("workflows-host-").FullName;
        Environment.SetEnvironmentVariable("Workflows__Store__Provider", "Sqlite");
        Environment.SetEnvironmentVariable("Workflows__Store__ConnectionString", $"Data Source={Path.Combine(_directory, "host.db")}");
    }

    [TearDown]
    public void RemoveTheDatabase()
    {
        Environment.SetEnvironmentVariable("Workflows__Store__Provider", null);
        Environment.SetEnvironmentVariable("Workflows__Store__ConnectionString", null);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Test]
    public async Task The_host_answers_live_and_ready_once_started_on_its_SQLite_file()
    {
        await using var factory = new WebApplicationFactory<Program>();
        using var client = factory.CreateClient();

        using var live = await client.GetAsync(new Uri("/health/live", UriKind.Relative));
        using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await ready.Content.ReadAsStringAsync(), Is.EqualTo("Healthy"));
            Assert.That(File.Exists(Path.Combine(_directory, "host.db")), Is.True, "the schema was migrated into the configured file");
        }
    }

    [Test]
    public void A_wrong_store_setting_fails_the_start_and_names_it()
    {
        Environment.SetEnvironmentVariable("Workflows__Store__Provider", "PostgreSql");
        Environment.SetEnvironmentVariable("Workflows__Store__ConnectionString", "Nonsense=1");
        using var factory = new WebApplicationFactory<Program>();

        Assert.That(() => factory.CreateClient(), Throws.InstanceOf<ArgumentException>().With.Message.Contains("SqlStoreOptions.ConnectionString"));
    }

    [Test]
    public void A_bus_setting_out_of_range_fails_the_start_naming_it()
    {
        Environment.SetEnvironmentVariable("Workflows__Bus__Transport", "RabbitMq");
        Environment.SetEnvironmentVariable("Workflows__Bus__RabbitMq__Port", "70000");
        try
        {
            using var factory = new WebApplicationFactory<Program>();
            var error = Assert.Throws<ArgumentException>(() => factory.CreateClient());
            Assert.That(error!.Message, Does.Contain("bus option RabbitMq:Port = '70000' must be from 1 to 65535"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("Workflows__Bus__Transport", null);
            Environment.SetEnvironmentVariable("Workflows__Bus__RabbitMq__Port", null);
        }
    }
}
