using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Workflows.Host.Tests;

/// <summary>
/// A node that was running when a newer build migrated the database under it: it reports not ready, naming the two
/// schema versions, and refuses every command with a 503 problem of its own (what happened, restart with the newer
/// build, nothing changed) instead of writing with its old code; until it is restarted, it stays so.
/// </summary>
[OnEveryBackend]
[NonParallelizable]
public sealed class SchemaOutgrownApiTests(Backend backend) : HostFixture(backend)
{
    private static object Complaint(string summary) => new { journey = "complaint", branch = "paris-01", variables = new { customerId = "c-1", summary } };

    // What a build one migration ahead does to the database: a script of its own, then its version row.
    private async Task<int> MigrateAsNewerBuildAsync()
    {
        var newer = (int)await Host.Backend.CountAsync("SELECT MAX(version) FROM wf_schema_version") + 1;
        await using var connection = await Host.Backend.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"CREATE TABLE wf_newer_build_rows (id INTEGER NOT NULL); INSERT INTO wf_schema_version (version, description, applied_at) VALUES ({newer}, 'newer_build', 0)";
        await command.ExecuteNonQueryAsync();
        return newer;
    }

    [Test]
    public async Task A_node_whose_database_a_newer_build_migrated_reports_not_ready_and_answers_commands_with_a_503_saying_to_restart_it()
    {
        var ann = await As("ann");
        using var client = Host.Anonymous();
        (await ann.PostAsJsonAsync("/api/instances", Complaint("before the migration"))).EnsureSuccessStatusCode();
        var before = await Host.Backend.CountAsync("SELECT COUNT(*) FROM wf_instances");

        var newer = await MigrateAsNewerBuildAsync();
        using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        var readiness = await ready.JsonAsync(HttpStatusCode.ServiceUnavailable);
        using var refused = await ann.PostAsJsonAsync("/api/instances", Complaint("after the migration"));
        var problem = await refused.JsonAsync(HttpStatusCode.ServiceUnavailable);
        using var stillRefused = await ann.PostAsJsonAsync("/api/instances", Complaint("after the migration, again"));
        using var stillNotReady = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(readiness.GetProperty("status").GetString(), Is.EqualTo("Unhealthy"));
            Assert.That(readiness.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "engine").GetProperty("description").GetString(), Does.Contain($"schema version {newer}").And.Contain("restarted with the newer build"));
            Assert.That(refused.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(problem.GetProperty("title").GetString(), Is.EqualTo("This node is older than the database"));
            Assert.That(problem.GetProperty("detail").GetString(), Does.Contain($"schema version {newer}").And.Contain("restarted with the newer build").And.Contain("Nothing was changed"));
            Assert.That(problem.GetProperty("databaseSchemaVersion").GetInt32(), Is.EqualTo(newer));
            Assert.That(problem.GetProperty("nodeSchemaVersion").GetInt32(), Is.EqualTo(newer - 1));
            Assert.That(refused.Headers.RetryAfter, Is.Not.Null, "another node (of the newer build) may take it");
            Assert.That(stillRefused.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), "refused until the node is restarted");
            Assert.That(stillNotReady.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(await Host.Backend.CountAsync("SELECT COUNT(*) FROM wf_instances"), Is.EqualTo(before), "nothing was written with the old code");
        }
    }
}

/// <summary>Review 18 F6: an outgrown node logged every refused request (2,557 lines in 15 s from 8 clients); it logs the fault once.</summary>
public sealed class SchemaOutgrownLogTests
{
    [Test]
    public async Task An_outgrown_node_logs_its_refusal_once_not_at_every_request()
    {
        var log = new RefusalLog();
        await using var host = TestHost.Start(services: s => s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(log));
        var ann = await host.As("ann");
        (await ann.PostAsJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", variables = new { customerId = "c-1", summary = "before" } })).EnsureSuccessStatusCode();
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(host.Directory, "host.db")};Pooling=False;Default Timeout=30"))
        {
            await connection.OpenAsync();
            await using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO wf_schema_version (version, description, applied_at) SELECT MAX(version) + 1, 'newer_build', 0 FROM wf_schema_version";
            await insert.ExecuteNonQueryAsync();
        }

        using var client = host.Anonymous();
        using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative)); // the probe reads the version now
        var codes = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var refused = await ann.PostAsJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", variables = new { customerId = "c-1", summary = $"after {i}" } });
            codes.Add(refused.StatusCode);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(codes, Is.All.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(log.Refusals.Count(r => r.Contains("older", StringComparison.Ordinal) || r.Contains("newer build", StringComparison.Ordinal)), Is.EqualTo(1), string.Join(" | ", log.Refusals));
        }
    }

    /// <summary>The host's 503 log lines (event 121).</summary>
    private sealed class RefusalLog : Microsoft.Extensions.Logging.ILoggerProvider, Microsoft.Extensions.Logging.ILogger
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Refusals { get; } = new();

        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == 121)
            {
                Refusals.Enqueue(formatter(state, exception));
            }
        }

        public void Dispose()
        {
        }
    }
}
