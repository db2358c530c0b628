using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Workflows.Host.Tests;

/// <summary>
/// Issue 15's acceptance, through HTTP with a plain <see cref="HttpClient"/>: a journey whose service task an external
/// worker written here serves (activate and complete; fail then retry; a BPMN error caught by a boundary event), and the
/// complaint's back-office escalation after 2 business days rehearsed by advancing the engine's clock through the API.
/// Run on SQLite with the in-memory bus, and on PostgreSQL with RabbitMQ, where the controllable clock is allowed for this
/// one-node test environment by <c>Workflows:Clock:AllowWithSharedDatabase</c> (and refused without it).
/// </summary>
[OnEveryBackend]
[NonParallelizable]
public sealed class WorkerAndClockTests(Backend backend) : HostFixture(backend)
{
    private readonly string _jobType = "credit-check-" + Guid.NewGuid().ToString("N")[..8];

    private protected override IReadOnlyDictionary<string, string> Settings => ClockSettings(allowWithSharedDatabase: Backend != Backend.Sqlite);

    private static Dictionary<string, string> ClockSettings(bool allowWithSharedDatabase) => new()
    {
        ["Workflows__Auth__DemoUsers"] = "true",
        ["Workflows__Clock__Controllable"] = "true",
        ["Workflows__Clock__AllowWithSharedDatabase"] = allowWithSharedDatabase ? "true" : "false",
    };

    [Test]
    public async Task An_external_worker_over_HTTP_completes_one_job_fails_then_retries_another_and_throws_an_error_a_boundary_catches()
    {
        var ann = await As("ann");
        var worker = Worker(name: "credit-bot");
        var deployed = await DeployAsync(TestJourneys.ServiceTask(_jobType, _jobType));
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
        var ann = await As("ann");
        var omar = await As("omar");
        var carla = await As("carla");
        // To a Friday at 16:00 UTC (the default office week: Monday to Friday, 09:00–17:00 UTC): two business days of
        // 8 working hours from there end on Tuesday at 16:00, across the weekend.
        var start = await ClockNowAsync();
        var friday = start.UtcDateTime.Date.AddDays(((int)DayOfWeek.Friday - (int)start.DayOfWeek + 7) % 7).AddHours(16);
        await AdvanceAsync((friday <= start.UtcDateTime ? friday.AddDays(7) : friday) - start.UtcDateTime);

        var raised = await carla.PostJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", variables = new { summary = "billed twice" } }, HttpStatusCode.Created);
        var caseKey = raised.GetProperty("businessKey").GetString()!;
        var register = await ann.TaskAsync(raised.GetProperty("id").GetString()!, "register");
        await ann.PostJsonAsync($"/api/tasks/{register}/complete", new { variables = new { category = "billing", amount = 400, summary = "billed twice" } }, HttpStatusCode.NoContent);
        var investigate = await Api.EventuallyAsync(async () =>
            (await omar.GetJsonAsync($"/api/tasks?queue=back-office-complaints&businessKey={caseKey}")).GetProperty("tasks").EnumerateArray().FirstOrDefault(),
            "the handoff reached the back office");
        var taskId = investigate.GetProperty("id").GetString()!;
        var backOffice = investigate.GetProperty("instanceId").GetString()!;
        async Task<JsonElement> SlaAsync() => (await omar.GetJsonAsync($"/api/instances/{backOffice}/clocks")).EnumerateArray()
            .Single(c => c.GetProperty("elementId").GetString() == "investigate" && c.GetProperty("kind").GetString() == "sla");
        var sla = await SlaAsync();
        var started = sla.GetProperty("startedAt").GetDateTimeOffset();
        var target = sla.GetProperty("targetAt").GetDateTimeOffset();

        // A minute short of two business days: the 75% escalation has come, the breach has not.
        await AdvanceAsync(target - await ClockNowAsync() - TimeSpan.FromMinutes(1));
        var warned = await Api.EventuallyAsync(async () =>
            await omar.GetJsonAsync($"/api/tasks/{taskId}") is var task && task.GetProperty("priority").GetInt32() == 70 ? task : default,
            "three quarters of the time escalated the task");
        var slaBefore = await SlaAsync();

        var moved = await AdvanceAsync(TimeSpan.FromMinutes(2));
        var escalated = await Api.EventuallyAsync(async () =>
            await omar.GetJsonAsync($"/api/tasks/{taskId}") is var task && task.GetProperty("priority").GetInt32() == 90 ? task : default,
            "the breach escalated the task");
        var slaAfter = await SlaAsync();
        using var backwards = await CentralAdmin().PostAsJsonAsync("/api/clock", new { pin = start });
        using var tooFar = await CentralAdmin().PostAsJsonAsync("/api/clock", new { pin = new DateTimeOffset(9999, 1, 1, 0, 0, 0, TimeSpan.Zero) });
        var reset = await (await CentralAdmin().DeleteAsync(new Uri("/api/clock", UriKind.Relative))).JsonAsync(HttpStatusCode.OK);
        using (Assert.EnterMultipleScope())
        {
            Assert.That((started.DayOfWeek, started.Hour), Is.EqualTo((DayOfWeek.Friday, 16)), "the back office took the case on the Friday the clock was moved to");
            Assert.That(target - started, Is.EqualTo(TimeSpan.FromDays(4)).Within(TimeSpan.FromSeconds(1)), "two business days from Friday 16:00 is Tuesday 16:00");
            Assert.That(Groups(warned), Does.Not.Contain("back-office-leads"));
            Assert.That(slaBefore.GetProperty("state").GetString(), Is.Not.EqualTo("breached"));
            Assert.That(moved.GetProperty("pinned").GetBoolean(), Is.False);
            Assert.That(moved.GetProperty("now").GetDateTimeOffset(), Is.GreaterThan(target));
            Assert.That(Groups(escalated), Does.Contain("back-office-leads"));
            Assert.That(slaAfter.GetProperty("state").GetString(), Is.EqualTo("breached"));
            Assert.That(backwards.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "the clock only moves forward");
            Assert.That(tooFar.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "nor to the end of the calendar");
            Assert.That(reset.GetProperty("offset").GetString(), Is.EqualTo("PT0S"));
        }
    }

    [Test]
    public async Task A_controllable_clock_starts_on_SQLite_alone_but_on_a_shared_database_only_when_the_second_setting_allows_it()
    {
        var settings = new Dictionary<string, string>(Backend == Backend.Sqlite ? [] : Host.Backend.Settings);
        foreach (var (key, value) in ClockSettings(allowWithSharedDatabase: false))
        {
            settings[key] = value;
        }

        await using var host = TestHost.Start(settings);
        if (Backend == Backend.Sqlite)
        {
            var clock = await (await host.As("sofia")).GetJsonAsync("/api/clock");
            Assert.That(clock.GetProperty("controllable").GetBoolean(), Is.True, "one process, one clock");
        }
        else
        {
            var refusal = Assert.Catch(() => host.Factory.CreateClient());
            Assert.That(refusal?.Message, Does.Contain("Workflows:Clock:Controllable").And.Contain("Workflows:Clock:AllowWithSharedDatabase"));
        }
    }

    private async Task<DateTimeOffset> ClockNowAsync() => (await CentralAdmin().GetJsonAsync("/api/clock")).GetProperty("now").GetDateTimeOffset();

    private Task<JsonElement> AdvanceAsync(TimeSpan by) => CentralAdmin().PostJsonAsync("/api/clock", new { advance = System.Xml.XmlConvert.ToString(by) });

    private static IEnumerable<string?> Groups(JsonElement task) => task.GetProperty("candidateGroups").EnumerateArray().Select(g => g.GetString());

    private async Task<JsonElement> ActivateOneAsync(HttpClient worker, string instanceId, string? name = null)
    {
        var jobs = await worker.PostJsonAsync("/api/jobs/activation", new { type = _jobType, maxJobsToActivate = 1, requestTimeout = "PT10S", worker = name });
        Assert.That(jobs.GetProperty("jobs").GetArrayLength(), Is.EqualTo(1), "a job was activated");
        Assert.That(jobs.GetProperty("jobs")[0].GetProperty("instanceId").GetString(), Is.EqualTo(instanceId));
        return jobs.GetProperty("jobs")[0];
    }
}
