using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Workflows.Host.Tests;

/// <summary>
/// Job answers bound to the worker holding the live lease, and the controllable clock across a reset and a restart,
/// through HTTP on SQLite and on PostgreSQL; with the quick start's demo worker (walt) and central admin (cleo).
/// </summary>
public abstract class LeaseHolderAndClockTests
{
    private readonly string _jobType = "lease-check-" + Guid.NewGuid().ToString("N")[..8];

    private protected TestHost Host { get; set; } = null!;

    /// <summary>The settings the host runs with; a restart starts a second host on the same database with them.</summary>
    private protected Dictionary<string, string> Settings { get; } = new()
    {
        ["Workflows__Auth__DemoUsers"] = "true",
        ["Workflows__Clock__Controllable"] = "true",
        // Long polls and the worker read the store every 200 ms: a lease that ran out is seen soon.
        ["Workflows__Engine__Worker__PollInterval"] = "00:00:00.200",
    };

    private HttpClient OtherWorker() => Host.WithToken(("sub", "w-paris-2"), ("role", "worker"), ("branch", "paris-01"));

    private string Journey => $"""
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:wf="urn:workflows:bpmn:1.0" id="d" targetNamespace="t">
          <bpmn:process id="{_jobType}" isExecutable="true"><bpmn:extensionElements><wf:journey branch="=branch"/></bpmn:extensionElements>
            <bpmn:startEvent id="s"/><bpmn:serviceTask id="t"><bpmn:extensionElements><zeebe:taskDefinition type="{_jobType}"/></bpmn:extensionElements></bpmn:serviceTask><bpmn:endEvent id="e"/>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
          </bpmn:process>
        </bpmn:definitions>
        """;

    private async Task DeployAsync()
    {
        using var content = new StringContent(Journey, System.Text.Encoding.UTF8, "application/xml");
        using var deployed = await (await Host.As("alice")).PostAsync(new Uri("/api/definitions", UriKind.Relative), content);
        Assert.That(deployed.StatusCode, Is.EqualTo(HttpStatusCode.Created).Or.EqualTo(HttpStatusCode.OK), "deployed, or unchanged since another test did");
    }

    private async Task<string> ActivateAsync(HttpClient worker, string instance, object timeout)
    {
        var jobs = (await worker.PostJsonAsync("/api/jobs/activation", new { type = _jobType, maxJobsToActivate = 10, timeout, requestTimeout = "PT10S" })).GetProperty("jobs");
        return jobs.EnumerateArray().Single(j => j.GetProperty("instanceId").GetString() == instance).GetProperty("id").GetString()!;
    }

    private static async Task<string> DetailAsync(HttpResponseMessage response, HttpStatusCode status) =>
        (await response.JsonAsync(status)).GetProperty("detail").GetString()!;

    [Test]
    public async Task A_job_is_answered_and_its_lease_extended_only_by_the_worker_holding_its_live_lease_who_is_recorded_in_the_history()
    {
        await DeployAsync();
        var ann = await Host.As("ann");
        var sofia = await Host.As("sofia");
        var walt = await Host.As("walt");
        var other = OtherWorker();
        var instance = await ann.StartAsync(_jobType);

        var job = await ActivateAsync(walt, instance, "PT1S");
        // walt's one-second lease runs out (in real time: leases never follow the controllable clock), and the other
        // worker, long polling, takes the job.
        var taken = await ActivateAsync(other, instance, "PT5M");
        using var lateExtend = await walt.PatchAsJsonAsync($"/api/jobs/{job}", new { timeout = "PT10M" });
        using var lateComplete = await walt.PostAsJsonAsync($"/api/jobs/{job}/completion", new { variables = new { by = "walt" } });
        using var lateFail = await walt.PostAsJsonAsync($"/api/jobs/{job}/failure", new { retries = 0 });
        using var lateError = await walt.PostAsJsonAsync($"/api/jobs/{job}/error", new { errorCode = "X" });
        await other.PostJsonAsync($"/api/jobs/{taken}/completion", new { variables = new { by = "other" } }, HttpStatusCode.NoContent);
        var done = await sofia.GetJsonAsync($"/api/instances/{instance}");

        var second = await ann.StartAsync(_jobType);
        var never = (await sofia.GetJsonAsync($"/api/instances/{second}")).GetProperty("jobs")[0].GetProperty("id").GetString();
        using var unleased = await other.PostAsJsonAsync($"/api/jobs/{never}/completion", new { });
        using var unleasedExtend = await other.PatchAsJsonAsync($"/api/jobs/{never}", new { timeout = "PT1M" });
        var mine = await ActivateAsync(walt, second, "PT5M");
        using var notMine = await other.PostAsJsonAsync($"/api/jobs/{mine}/completion", new { });
        using var notMineExtend = await other.PatchAsJsonAsync($"/api/jobs/{mine}", new { timeout = "PT1M" });
        await walt.PostJsonAsync($"/api/jobs/{mine}/failure", new { retries = 0, errorMessage = "bureau down" }, HttpStatusCode.NoContent);
        var failed = await sofia.GetJsonAsync($"/api/instances/{second}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(taken, Is.EqualTo(job), "the same job, leased anew");
            Assert.That(await DetailAsync(lateExtend, HttpStatusCode.Conflict), Does.Contain("leased to another worker"));
            Assert.That(await DetailAsync(lateComplete, HttpStatusCode.Conflict), Does.Contain("leased to another worker"));
            Assert.That(lateFail.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(lateError.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(done.GetProperty("status").GetString(), Is.EqualTo("completed"));
            Assert.That(done.GetProperty("variables").GetProperty("by").GetString(), Is.EqualTo("other"), "the holder's answer counted, once");
            Assert.That(done.GetProperty("history").EnumerateArray().Single(h => h.GetProperty("kind").GetString() == "job-completed").GetProperty("actor").GetString(), Is.EqualTo("w-paris-2"));
            Assert.That(await DetailAsync(unleased, HttpStatusCode.Conflict), Does.Contain("not leased"));
            Assert.That(unleasedExtend.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(await DetailAsync(notMine, HttpStatusCode.Conflict), Does.Contain("leased to another worker"));
            Assert.That(notMineExtend.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(failed.GetProperty("history").EnumerateArray().Single(h => h.GetProperty("kind").GetString() == "job-failed").GetProperty("actor").GetString(), Is.EqualTo("walt"));
        }
    }

    [Test]
    public async Task A_job_leased_while_the_clock_is_pinned_comes_free_after_its_time_out_in_real_time_even_across_a_restart()
    {
        await DeployAsync();
        var ann = await Host.As("ann");
        var cleo = await Host.As("cleo");
        var instance = await ann.StartAsync(_jobType);
        var pinnedAt = DateTimeOffset.UtcNow.AddDays(1);
        await cleo.PostJsonAsync("/api/clock", new { pin = pinnedAt });
        var job = await ActivateAsync(await Host.As("walt"), instance, "PT3S");

        // walt's host goes away with the job leased and the clock pinned; the clock never moves again in this test.
        await RestartAsync();
        var after = await (await Host.As("cleo")).GetJsonAsync("/api/clock");
        var waited = Stopwatch.StartNew();
        var taken = await ActivateAsync(OtherWorker(), instance, "PT1M");
        waited.Stop();
        var still = await (await Host.As("cleo")).GetJsonAsync("/api/clock");
        await (await Host.As("cleo")).DeleteAsync(new Uri("/api/clock", UriKind.Relative));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(after.GetProperty("pinned").GetBoolean(), Is.True, "the restart kept the pin");
            Assert.That(still.GetProperty("now").GetDateTimeOffset(), Is.EqualTo(after.GetProperty("now").GetDateTimeOffset()), "the clock stood still throughout");
            Assert.That(taken, Is.EqualTo(job), "the job came free once its 3 s were up, though the pinned clock never moved");
            Assert.That(waited.Elapsed, Is.LessThan(TimeSpan.FromSeconds(9)));
        }
    }

    [Test]
    public async Task A_restarted_host_keeps_the_clock_where_it_was_moved_and_the_demo_worker_and_central_admin_sign_in()
    {
        var cleo = await Host.As("cleo");
        var moved = await cleo.PostJsonAsync("/api/clock", new { advance = "P2D" });
        using var byBranchAdmin = await (await Host.As("bruno")).PostAsJsonAsync("/api/clock", new { advance = "P1D" });
        await RestartAsync();
        var after = await (await Host.As("cleo")).GetJsonAsync("/api/clock");
        var walt = await Host.As("walt");
        var polled = await walt.PostJsonAsync("/api/jobs/activation", new { type = "nothing-" + _jobType });
        var reset = await (await (await Host.As("cleo")).DeleteAsync(new Uri("/api/clock", UriKind.Relative))).JsonAsync(HttpStatusCode.OK);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(moved.GetProperty("offset").GetString(), Does.StartWith("P2D"));
            Assert.That(byBranchAdmin.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "bruno is paris-01's admin, not a central one");
            Assert.That(after.GetProperty("offset").GetString(), Is.EqualTo(moved.GetProperty("offset").GetString()), "the restart kept the offset");
            Assert.That(after.GetProperty("now").GetDateTimeOffset(), Is.GreaterThan(DateTimeOffset.UtcNow.AddDays(2).AddMinutes(-5)));
            Assert.That(polled.GetProperty("jobs").GetArrayLength(), Is.Zero, "walt, the demo worker, may activate jobs");
            Assert.That(reset.GetProperty("offset").GetString(), Is.EqualTo("PT0S"));
        }
    }

    [Test]
    public async Task A_host_restarted_without_the_controllable_clock_runs_on_its_own_time_drops_the_kept_move_with_a_warning_and_frees_the_leases()
    {
        await DeployAsync();
        var instance = await (await Host.As("ann")).StartAsync(_jobType);
        await (await Host.As("cleo")).PostJsonAsync("/api/clock", new { advance = "P2D" });
        var job = await ActivateAsync(await Host.As("walt"), instance, "PT10M");

        var log = new RecordingLoggerProvider(5); // the engine's "kept move dropped"
        await RestartAsync(controllable: false, log);
        var production = await (await Host.As("cleo")).GetJsonAsync("/api/clock");
        var taken = await ActivateAsync(OtherWorker(), instance, "PT1M");
        await RestartAsync();
        var backOn = await (await Host.As("cleo")).GetJsonAsync("/api/clock");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(production.GetProperty("controllable").GetBoolean(), Is.False);
            Assert.That(production.GetProperty("now").GetDateTimeOffset(), Is.EqualTo(DateTimeOffset.UtcNow).Within(TimeSpan.FromMinutes(1)), "the host's own time");
            Assert.That(log.Entries.Select(e => $"{e.Level}: {e.Message}"), Has.Some.StartsWith("Warning: ").And.Contains("P2D ahead of the host's time").And.Contains("dropped"), "the dropped move is named");
            Assert.That(taken, Is.EqualTo(job), "walt's lease, taken before the restart, was freed");
            Assert.That(backOn.GetProperty("offset").GetString(), Is.EqualTo("PT0S"), "the move is gone for good: turning the clock on again starts from the host's time");
        }
    }

    /// <summary>
    /// Stops the host and starts another on the same database (the clock's move was written before its answer): with the
    /// controllable clock on unless told, and a logger provider when given.
    /// </summary>
    private protected abstract Task RestartAsync(bool controllable = true, ILoggerProvider? log = null);

    private protected Dictionary<string, string> SettingsWith(bool controllable) =>
        new(Settings) { ["Workflows__Clock__Controllable"] = controllable ? "true" : "false" };

    private protected static Action<IServiceCollection>? Logging(ILoggerProvider? log) =>
        log is null ? null : services => services.AddSingleton(log);
}

/// <summary>On the embedded default: SQLite and the in-memory bus.</summary>
[NonParallelizable]
public sealed class LeaseHolderAndClockOnSqliteTests : LeaseHolderAndClockTests
{
    private string _directory = "";

    [OneTimeSetUp]
    public void StartTheHost()
    {
        _directory = Directory.CreateTempSubdirectory("workflows-restart-").FullName;
        Settings["Workflows__Store__ConnectionString"] = $"Data Source={Path.Combine(_directory, "host.db")}";
        Host = TestHost.Start(Settings);
        CopyKey();
    }

    [OneTimeTearDown]
    public async Task StopTheHost()
    {
        await Host.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private protected override async Task RestartAsync(bool controllable = true, ILoggerProvider? log = null)
    {
        await Host.DisposeAsync();
        Host = TestHost.Start(SettingsWith(controllable), services: Logging(log));
        CopyKey();
    }

    // The development key is generated beside the database; the test's own tokens read it from the host's directory.
    private void CopyKey()
    {
        _ = Host.Factory.Services;
        File.Copy(Path.Combine(_directory, "signing-key.dev"), Path.Combine(Host.Directory, "signing-key.dev"), overwrite: true);
    }
}

/// <summary>On PostgreSQL (the controllable clock allowed for this one-node test environment).</summary>
[NonParallelizable]
public sealed class LeaseHolderAndClockOnPostgreSqlTests : LeaseHolderAndClockTests
{
    private readonly string _database = "wf_lease_" + Guid.NewGuid().ToString("N")[..12];
    private string _server = "";
    private string _key = "";

    [OneTimeSetUp]
    public async Task StartTheHostOnPostgreSql()
    {
        _server = Environment.GetEnvironmentVariable("WORKFLOWS_TEST_POSTGRES")
            ?? throw new InvalidOperationException("WORKFLOWS_TEST_POSTGRES is not set: run ./scripts/test.sh, which provisions PostgreSQL and sets it");
        await using (var connection = new NpgsqlConnection(_server))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {_database}", connection);
            await create.ExecuteNonQueryAsync();
        }

        _key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        Settings["Workflows__Clock__AllowWithSharedDatabase"] = "true";
        Settings["Workflows__Store__Provider"] = "PostgreSql";
        Settings["Workflows__Store__ConnectionString"] = new NpgsqlConnectionStringBuilder(_server) { Database = _database }.ConnectionString;
        Settings["Workflows__Auth__SigningKey"] = _key;
        await StartAsync();
    }

    [OneTimeTearDown]
    public async Task RemoveTheDatabase()
    {
        await Host.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_server);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }

    private protected override async Task RestartAsync(bool controllable = true, ILoggerProvider? log = null)
    {
        await Host.DisposeAsync();
        await StartAsync(controllable, log);
    }

    private async Task StartAsync(bool controllable = true, ILoggerProvider? log = null)
    {
        Host = TestHost.Start(SettingsWith(controllable), services: Logging(log));
        // Where the test's own tokens read the key from, as on the embedded default.
        await File.WriteAllTextAsync(Path.Combine(Host.Directory, "signing-key.dev"), _key);
    }
}

/// <summary>The quick start's demo users, the worker and the central admin among them, exist only with demo users on.</summary>
[NonParallelizable]
public sealed class DemoUserTests
{
    [Test]
    public async Task With_a_configured_key_and_demo_users_not_turned_on_neither_the_demo_worker_nor_the_central_admin_signs_in()
    {
        await using var host = TestHost.Start(new Dictionary<string, string> { ["Workflows__Auth__SigningKey"] = Convert.ToBase64String(new byte[32]) });
        var anonymous = host.Anonymous();
        using var walt = await anonymous.PostAsJsonAsync("/api/auth/sign-in", new { username = "walt", password = "demo" });
        using var cleo = await anonymous.PostAsJsonAsync("/api/auth/sign-in", new { username = "cleo", password = "demo" });
        using (Assert.EnterMultipleScope())
        {
            Assert.That(walt.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(cleo.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        }
    }
}
