using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Workflows.Engine.MassTransit.Tests;

namespace Workflows.Host.Tests;

/// <summary>
/// Issue 15's acceptance, through HTTP with a plain <see cref="HttpClient"/>: a journey whose service task an external
/// worker written here serves (activate and complete; fail then retry; a BPMN error caught by a boundary event), and the
/// complaint's back-office escalation after 2 business days rehearsed by advancing the engine's clock through the API.
/// Run on SQLite with the in-memory bus, and on PostgreSQL with RabbitMQ.
/// </summary>
public abstract class WorkerAndClockTests
{
    private readonly string _jobType = "credit-check-" + Guid.NewGuid().ToString("N")[..8];

    private protected TestHost Host { get; set; } = null!;

    /// <summary>A central branch admin: the one who may move the clock.</summary>
    private protected HttpClient ClockAdmin => Host.WithToken(("sub", "clock-admin"), ("role", "branch-admin"), ("branch", "*"));

    /// <summary>The external worker's credentials: role worker, for branch paris-01.</summary>
    private protected HttpClient Worker() => Host.WithToken(("sub", "credit-bot"), ("role", "worker"), ("branch", "paris-01"));

    protected static Dictionary<string, string> ClockSettings(bool sharedDatabase) => new()
    {
        ["Workflows__Auth__DemoUsers"] = "true",
        ["Workflows__Clock__Controllable"] = "true",
        ["Workflows__Clock__AllowWithSharedDatabase"] = sharedDatabase ? "true" : "false",
    };

    private string Journey => $"""
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:wf="urn:workflows:bpmn:1.0" id="d" targetNamespace="t">
          <bpmn:error id="rejected" name="Rejected" errorCode="CREDIT_REJECTED"/>
          <bpmn:process id="{_jobType}" name="Credit check" isExecutable="true">
            <bpmn:extensionElements><wf:journey branch="=branch"/></bpmn:extensionElements>
            <bpmn:startEvent id="start"/>
            <bpmn:serviceTask id="check" name="Check credit"><bpmn:extensionElements><zeebe:taskDefinition type="{_jobType}" retries="3"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:boundaryEvent id="refused" attachedToRef="check"><bpmn:errorEventDefinition errorRef="rejected"/></bpmn:boundaryEvent>
            <bpmn:endEvent id="approved"/>
            <bpmn:endEvent id="declined"/>
            <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check"/>
            <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="approved"/>
            <bpmn:sequenceFlow id="f3" sourceRef="refused" targetRef="declined"/>
          </bpmn:process>
        </bpmn:definitions>
        """;

    [Test]
    public async Task An_external_worker_over_HTTP_completes_one_job_fails_then_retries_another_and_throws_an_error_a_boundary_catches()
    {
        var alice = await Host.As("alice");
        var ann = await Host.As("ann");
        var worker = Worker();
        using var deploy = new StringContent(Journey, System.Text.Encoding.UTF8, "application/xml");
        var deployed = await (await alice.PostAsync(new Uri("/api/definitions", UriKind.Relative), deploy)).JsonAsync(HttpStatusCode.Created);
        var first = await ann.StartAsync(_jobType);
        var unserved = (await ann.GetJsonAsync($"/api/instances/{first}")).GetProperty("jobs")[0];

        var one = await ActivateOneAsync(worker, first, "credit-bot-1");
        await worker.PostJsonAsync($"/api/jobs/{one.GetProperty("id").GetString()}/completion", new { variables = new { score = 720 } }, HttpStatusCode.NoContent);

        // A long poll waiting before the job exists is woken by it.
        var polled = Stopwatch.StartNew();
        var poll = worker.PostAsJsonAsync("/api/jobs/activation", new { type = _jobType, maxJobsToActivate = 5, timeout = 60_000, requestTimeout = 20_000 });
        var second = await ann.StartAsync(_jobType);
        var woken = (await (await poll).JsonAsync(HttpStatusCode.OK)).GetProperty("jobs");
        polled.Stop();
        await worker.PostJsonAsync($"/api/jobs/{woken[0].GetProperty("id").GetString()}/failure", new { retries = 2, retryBackOff = 0, errorMessage = "bureau timed out" }, HttpStatusCode.NoContent);
        var retried = (await ann.GetJsonAsync($"/api/instances/{second}")).GetProperty("jobs")[0];
        var again = (await ActivateOneAsync(worker, second)).GetProperty("id").GetString();
        await worker.PostJsonAsync($"/api/jobs/{again}/completion", new { variables = new { score = 650 } }, HttpStatusCode.NoContent);

        var third = await ann.StartAsync(_jobType);
        var refused = (await ActivateOneAsync(worker, third)).GetProperty("id").GetString();
        using var extended = await worker.PatchAsJsonAsync($"/api/jobs/{refused}", new { timeout = "PT2M" });
        await worker.PostJsonAsync($"/api/jobs/{refused}/error", new { errorCode = "CREDIT_REJECTED", errorMessage = "too many open loans", variables = new { reason = "open loans" } }, HttpStatusCode.NoContent);

        var sofia = await Host.As("sofia"); // a supervisor reads every variable; an agent only the journey's case data
        var done = await Task.WhenAll(new[] { first, second, third }.Select(id => sofia.GetJsonAsync($"/api/instances/{id}")));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(deployed.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("code").GetString()), Does.Contain("JOB_TYPE_UNSERVED"));
            Assert.That(unserved.GetProperty("hasWorker").GetBoolean(), Is.False, "no worker asked for the type yet");
            Assert.That(one.GetProperty("worker").GetString(), Is.EqualTo("credit-bot-1"));
            Assert.That(one.GetProperty("retries").GetInt32(), Is.EqualTo(3));
            Assert.That(woken.EnumerateArray().Select(j => j.GetProperty("instanceId").GetString()), Is.EqualTo(new[] { second }));
            Assert.That(polled.Elapsed, Is.LessThan(TimeSpan.FromSeconds(15)), "answered by the job, not by the request timeout");
            Assert.That(retried.GetProperty("retries").GetInt32(), Is.EqualTo(2));
            Assert.That(retried.GetProperty("hasWorker").GetBoolean(), Is.True);
            Assert.That(extended.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(done.Select(d => d.GetProperty("status").GetString()), Is.All.EqualTo("completed"));
            Assert.That(done[0].GetProperty("variables").GetProperty("score").GetDecimal(), Is.EqualTo(720m));
            Assert.That(done[1].GetProperty("variables").GetProperty("score").GetDecimal(), Is.EqualTo(650m));
            Assert.That(done[1].GetProperty("history").EnumerateArray().Select(h => h.GetProperty("kind").GetString()), Does.Contain("job-failed"));
            Assert.That(done[2].GetProperty("variables").GetProperty("reason").GetString(), Is.EqualTo("open loans"));
            Assert.That(done[2].GetProperty("history").EnumerateArray().Select(h => h.GetProperty("elementId").GetString()), Does.Contain("declined").And.Not.Contain("approved"));
        }
    }

    [Test]
    public async Task The_complaints_back_office_escalation_after_two_business_days_is_rehearsed_by_advancing_the_clock()
    {
        var ann = await Host.As("ann");
        var omar = await Host.As("omar");
        var carla = await Host.As("carla");
        var raised = await carla.PostJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", variables = new { summary = "billed twice" } }, HttpStatusCode.Created);
        var caseKey = raised.GetProperty("businessKey").GetString()!;
        var register = await ann.TaskAsync(raised.GetProperty("id").GetString()!, "register");
        await ann.PostJsonAsync($"/api/tasks/{register}/complete", new { variables = new { category = "billing", amount = 400, summary = "billed twice" } }, HttpStatusCode.NoContent);
        var investigate = await EventuallyAsync(async () =>
            (await omar.GetJsonAsync($"/api/tasks?queue=back-office-complaints&businessKey={caseKey}")).GetProperty("tasks").EnumerateArray().FirstOrDefault(),
            "the handoff reached the back office");
        var taskId = investigate.GetProperty("id").GetString()!;
        var backOffice = investigate.GetProperty("instanceId").GetString()!;
        var before = await omar.GetJsonAsync($"/api/clock");
        var sla = (await omar.GetJsonAsync($"/api/instances/{backOffice}/clocks")).EnumerateArray().Single(c => c.GetProperty("elementId").GetString() == "investigate" && c.GetProperty("kind").GetString() == "sla");
        var target = sla.GetProperty("targetAt").GetDateTimeOffset();

        var toBreach = target - before.GetProperty("now").GetDateTimeOffset() + TimeSpan.FromMinutes(1);
        var moved = await ClockAdmin.PostJsonAsync("/api/clock", new { advance = System.Xml.XmlConvert.ToString(toBreach) });
        var escalated = await EventuallyAsync(async () =>
            await omar.GetJsonAsync($"/api/tasks/{taskId}") is var task && task.GetProperty("priority").GetInt32() == 90 ? task : default,
            "the breach escalated the task");
        var clockAfter = (await omar.GetJsonAsync($"/api/instances/{backOffice}/clocks")).EnumerateArray().Single(c => c.GetProperty("elementId").GetString() == "investigate" && c.GetProperty("kind").GetString() == "sla");
        using var backwards = await ClockAdmin.PostAsJsonAsync("/api/clock", new { pin = before.GetProperty("now").GetDateTimeOffset() });
        using var tooFar = await ClockAdmin.PostAsJsonAsync("/api/clock", new { pin = new DateTimeOffset(9999, 1, 1, 0, 0, 0, TimeSpan.Zero) });
        var reset = await (await ClockAdmin.DeleteAsync(new Uri("/api/clock", UriKind.Relative))).JsonAsync(HttpStatusCode.OK);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(target - before.GetProperty("now").GetDateTimeOffset(), Is.GreaterThanOrEqualTo(TimeSpan.FromHours(16)), "16 working hours: two business days");
            Assert.That(moved.GetProperty("pinned").GetBoolean(), Is.False);
            Assert.That(moved.GetProperty("now").GetDateTimeOffset(), Is.GreaterThan(target));
            Assert.That(escalated.GetProperty("candidateGroups").EnumerateArray().Select(g => g.GetString()), Does.Contain("back-office-leads"));
            Assert.That(clockAfter.GetProperty("state").GetString(), Is.EqualTo("breached"));
            Assert.That(backwards.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "the clock only moves forward");
            Assert.That(tooFar.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "nor to the end of the calendar");
            Assert.That(reset.GetProperty("offset").GetString(), Is.EqualTo("PT0S"));
        }
    }

    private async Task<JsonElement> ActivateOneAsync(HttpClient worker, string instanceId, string? name = null)
    {
        var jobs = await worker.PostJsonAsync("/api/jobs/activation", new { type = _jobType, maxJobsToActivate = 1, requestTimeout = "PT10S", worker = name });
        Assert.That(jobs.GetProperty("jobs").GetArrayLength(), Is.EqualTo(1), "a job was activated");
        Assert.That(jobs.GetProperty("jobs")[0].GetProperty("instanceId").GetString(), Is.EqualTo(instanceId));
        return jobs.GetProperty("jobs")[0];
    }

    internal static async Task<JsonElement> EventuallyAsync(Func<Task<JsonElement>> probe, string what)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (await probe() is { ValueKind: not JsonValueKind.Undefined } found)
            {
                return found;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"not within 60 s: {what}");
        return default;
    }
}

/// <summary>On the embedded default: SQLite and the in-memory bus.</summary>
[NonParallelizable]
public sealed class WorkerAndClockOnSqliteTests : WorkerAndClockTests
{
    [OneTimeSetUp]
    public void StartTheHost() => Host = TestHost.Start(ClockSettings(sharedDatabase: false));

    [OneTimeTearDown]
    public async Task StopTheHost() => await Host.DisposeAsync();
}

/// <summary>Beyond one machine: PostgreSQL and RabbitMQ (the controllable clock allowed for this one-node test environment).</summary>
[NonParallelizable]
public sealed class WorkerAndClockOnPostgreSqlTests : WorkerAndClockTests
{
    private readonly string _database = "wf_clock_" + Guid.NewGuid().ToString("N")[..12];
    private string _server = "";
    private RabbitMqTestBroker _broker = null!;

    [OneTimeSetUp]
    public async Task StartTheHostOnPostgreSqlAndRabbitMq()
    {
        _server = Environment.GetEnvironmentVariable("WORKFLOWS_TEST_POSTGRES")
            ?? throw new InvalidOperationException("WORKFLOWS_TEST_POSTGRES is not set: run ./scripts/test.sh, which provisions PostgreSQL and RabbitMQ and sets it");
        _broker = await RabbitMqTestBroker.CreateAsync();
        var broker = _broker.Connection();
        await using (var connection = new NpgsqlConnection(_server))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {_database}", connection);
            await create.ExecuteNonQueryAsync();
        }

        var settings = ClockSettings(sharedDatabase: true);
        settings["Workflows__Store__Provider"] = "PostgreSql";
        settings["Workflows__Store__ConnectionString"] = new NpgsqlConnectionStringBuilder(_server) { Database = _database }.ConnectionString;
        var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        settings["Workflows__Auth__SigningKey"] = key;
        settings["Workflows__Bus__Transport"] = "RabbitMq";
        settings["Workflows__Bus__RabbitMq__Host"] = broker.Host;
        settings["Workflows__Bus__RabbitMq__Port"] = broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Workflows__Bus__RabbitMq__Username"] = broker.Username;
        settings["Workflows__Bus__RabbitMq__Password"] = broker.Password;
        settings["Workflows__Bus__RabbitMq__VirtualHost"] = broker.VirtualHost;
        settings["Workflows__Bus__PollInterval"] = "00:00:00.200";
        Host = TestHost.Start(settings);
        // Where the test's own tokens (the worker's, the clock admin's) read the key from, as on the embedded default.
        await File.WriteAllTextAsync(Path.Combine(Host.Directory, "signing-key.dev"), key);
    }

    [OneTimeTearDown]
    public async Task RemoveTheDatabaseAndVirtualHost()
    {
        await Host.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using (var connection = new NpgsqlConnection(_server))
        {
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }

        await _broker.DisposeAsync();
    }
}
