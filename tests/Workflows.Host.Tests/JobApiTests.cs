using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;

namespace Workflows.Host.Tests;

/// <summary>
/// The job API as an attacker or a careless worker meets it: another branch's jobs, out-of-bounds requests, too many
/// long polls, a client that goes away; and the controllable clock off, or refused with a shared database.
/// </summary>
[NonParallelizable]
public sealed class JobApiTests() : HostFixture(Backend.Sqlite)
{
    private const string JobType = "api-check";

    private protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Workflows__Jobs__MaxLongPollsPerCaller"] = "1",
        ["Workflows__Jobs__MaxJobsToActivate"] = "10",
    };

    [OneTimeSetUp]
    public async Task DeployTheJourney() => await DeployAsync(TestJourneys.ServiceTask(JobType, JobType));

    [Test]
    public async Task A_worker_of_another_branch_takes_none_of_the_branchs_jobs_and_may_not_answer_one()
    {
        var instance = await (await As("ann")).StartAsync(JobType);
        var lyon = Worker("lyon-01");
        var paris = Worker("paris-01");
        var taken = await lyon.PostJsonAsync("/api/jobs/activation", new { type = JobType, maxJobsToActivate = 10 });
        var ours = (await paris.PostJsonAsync("/api/jobs/activation", new { type = JobType, maxJobsToActivate = 10 })).GetProperty("jobs").EnumerateArray()
            .Single(j => j.GetProperty("instanceId").GetString() == instance).GetProperty("id").GetString();
        using var complete = await lyon.PostAsJsonAsync($"/api/jobs/{ours}/completion", new { });
        using var fail = await lyon.PostAsJsonAsync($"/api/jobs/{ours}/failure", new { retries = 0 });
        using var extend = await lyon.PatchAsJsonAsync($"/api/jobs/{ours}", new { timeout = 1000 });
        var state = await (await As("ann")).GetJsonAsync($"/api/instances/{instance}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(taken.GetProperty("jobs").GetArrayLength(), Is.Zero);
            Assert.That(complete.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "another branch's job is as an unknown one");
            Assert.That(fail.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(extend.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(state.GetProperty("status").GetString(), Is.EqualTo("active"));
            Assert.That(state.GetProperty("jobs")[0].GetProperty("retries").GetInt32(), Is.EqualTo(3), "the failure was refused, nothing changed");
        }
    }

    [TestCase("""{"type":"api-check","maxJobsToActivate":11}""", "maxJobsToActivate")]
    [TestCase("""{"type":"api-check","maxJobsToActivate":0}""", "maxJobsToActivate")]
    [TestCase("""{"type":"api-check","requestTimeout":"PT2M"}""", "requestTimeout")]
    [TestCase("""{"type":"api-check","requestTimeout":-5}""", "requestTimeout")]
    [TestCase("""{"type":"api-check","timeout":"banana"}""", "timeout")]
    [TestCase("""{"type":"api-check","timeout":"P2D"}""", "timeout")]
    [TestCase("""{"type":""}""", "type")]
    [TestCase("""{"maxJobsToActivate":1}""", "type")]
    [TestCase("""{"type":"api-check","worker":"bot\u200b"}""", "worker")]
    [TestCase("""{"type":"api-check","fetchVariable":[""]}""", "fetchVariable")]
    public async Task An_activation_out_of_bounds_is_refused_naming_the_field(string body, string field)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await Worker("paris-01").PostAsync(new Uri("/api/jobs/activation", UriKind.Relative), content);
        Assert.That(await response.ProblemAsync(HttpStatusCode.BadRequest), Does.Contain(field));
    }

    [Test]
    public async Task Answers_to_an_unknown_job_are_404_and_a_worker_sets_no_system_variable()
    {
        var paris = Worker("paris-01");
        var instance = await (await As("ann")).StartAsync(JobType);
        var job = (await paris.PostJsonAsync("/api/jobs/activation", new { type = JobType, maxJobsToActivate = 10 })).GetProperty("jobs").EnumerateArray()
            .Single(j => j.GetProperty("instanceId").GetString() == instance).GetProperty("id").GetString();
        using var unknown = await paris.PostAsJsonAsync($"/api/jobs/{Guid.NewGuid()}/completion", new { });
        using var system = await paris.PostAsJsonAsync($"/api/jobs/{job}/completion", new { variables = new { caseId = "W-1" } });
        using var customer = await paris.PostAsJsonAsync($"/api/jobs/{job}/error", new { errorCode = "X", variables = new { customerId = "cust-2" } });
        await paris.PostJsonAsync($"/api/jobs/{job}/completion", null, HttpStatusCode.NoContent);
        using var twice = await paris.PostAsJsonAsync($"/api/jobs/{job}/completion", new { });
        using (Assert.EnterMultipleScope())
        {
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(system.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(customer.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(twice.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "completed once: the second answer changes nothing");
        }
    }

    [Test]
    public async Task A_caller_holds_a_bounded_number_of_long_polls_and_one_whose_client_went_away_frees_its_place()
    {
        var worker = Worker("paris-01", "poller");
        var (first, gone, refused) = await HoldOnePollAsync(worker);
        await gone.CancelAsync();
        Assert.That(async () => await first, Throws.InstanceOf<OperationCanceledException>());
        gone.Dispose();

        var waited = Stopwatch.StartNew();
        var afterwards = await EventuallyAcceptedAsync(worker);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That((await refused.JsonAsync()).GetProperty("detail").GetString(), Does.Contain("Workflows:Jobs:MaxLongPollsPerCaller"));
            Assert.That(afterwards.GetProperty("jobs").GetArrayLength(), Is.Zero, "the request time-out ran out with no job");
            Assert.That(waited.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), "the place was freed when the client went away, not when its poll would have ended");
        }

        refused.Dispose();
    }

    [Test]
    public async Task The_clock_cannot_be_moved_when_it_is_not_controllable_nor_by_a_branch_admin_of_one_branch()
    {
        var central = CentralAdmin();
        using var off = await central.PostAsJsonAsync("/api/clock", new { advance = "P1D" });
        using var local = await (await As("bruno")).PostAsJsonAsync("/api/clock", new { advance = "P1D" });
        var clock = await central.GetAsync(new Uri("/api/clock", UriKind.Relative));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(off.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That((await off.JsonAsync()).GetProperty("detail").GetString(), Does.Contain("Workflows:Clock:Controllable"));
            Assert.That(local.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That((await clock.JsonAsync(HttpStatusCode.OK)).GetProperty("controllable").GetBoolean(), Is.False);
        }
    }

    [TestCase("PostgreSql", "Host=127.0.0.1;Port=1;Database=none;Username=none;Password=none")]
    [TestCase("SqlServer", "Server=127.0.0.1,1;Database=none;User Id=none;Password=none;TrustServerCertificate=true")]
    public async Task A_controllable_clock_with_a_shared_database_stops_the_start_naming_both_settings(string provider, string connectionString)
    {
        // No database answers: the start is refused before any is asked (WorkerAndClockTests has the real PostgreSQL).
        await using var host = TestHost.Start(new Dictionary<string, string>
        {
            ["Workflows__Store__Provider"] = provider,
            ["Workflows__Store__ConnectionString"] = connectionString,
            ["Workflows__Auth__SigningKey"] = Convert.ToBase64String(new byte[32]),
            ["Workflows__Clock__Controllable"] = "true",
        });
        var error = Assert.Catch(() => host.Factory.CreateClient());
        Assert.That(error?.Message, Does.Contain("Workflows:Clock:Controllable").And.Contain("Workflows:Clock:AllowWithSharedDatabase"));
    }

    // A long poll under way (it holds the caller's one place: a second is refused); a probe may take the place first
    // on a busy machine, so this tries again until the order is the one wanted.
    private static async Task<(Task<HttpResponseMessage> Poll, CancellationTokenSource Gone, HttpResponseMessage Refused)> HoldOnePollAsync(HttpClient worker)
    {
        for (var attempt = 1; ; attempt++)
        {
            var gone = new CancellationTokenSource();
            var poll = worker.PostAsJsonAsync("/api/jobs/activation", new { type = "nothing-comes", requestTimeout = "PT50S" }, gone.Token);
            await Task.WhenAny(poll, Task.Delay(500));
            var probe = await worker.PostAsJsonAsync("/api/jobs/activation", new { type = "nothing-comes", requestTimeout = 200 });
            if (probe.StatusCode == HttpStatusCode.TooManyRequests && !poll.IsCompleted)
            {
                return (poll, gone, probe);
            }

            probe.Dispose();
            await gone.CancelAsync();
            try
            {
                (await poll).Dispose();
            }
            catch (OperationCanceledException)
            {
            }

            gone.Dispose();
            Assert.That(attempt, Is.LessThan(10), "a long poll held the caller's place");
        }
    }

    private static async Task<System.Text.Json.JsonElement> EventuallyAcceptedAsync(HttpClient worker)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(40))
        {
            using var response = await worker.PostAsJsonAsync("/api/jobs/activation", new { type = "nothing-comes", requestTimeout = 300 });
            if (response.StatusCode != HttpStatusCode.TooManyRequests)
            {
                return await response.JsonAsync(HttpStatusCode.OK);
            }
        }

        Assert.Fail("the long poll's place was never freed");
        return default;
    }
}
