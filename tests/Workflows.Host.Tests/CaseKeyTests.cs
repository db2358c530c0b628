using System.Net;
using System.Net.Http.Json;

namespace Workflows.Host.Tests;

/// <summary>
/// The case's business key is its correlation key (<c>caseId</c>), which the back office's answer finds the case by:
/// unique among a journey's active cases, never a customer's choice; and a task is handed on only to an agent the host
/// knows, of a branch that covers the task's.
/// </summary>
[NonParallelizable]
public sealed class CaseKeyTests
{
    private TestHost _host = null!;

    [OneTimeSetUp]
    public async Task StartTheHost()
    {
        _host = TestHost.Start(new Dictionary<string, string>
        {
            ["Workflows__Auth__Users__luc"] = "lyon-01",
            ["Workflows__Auth__Users__paul"] = "paris-01",
        });
        await HardeningProcess.DeployAsync(_host);
    }

    [OneTimeTearDown]
    public async Task StopTheHost() => await _host.DisposeAsync();

    private HttpClient LyonAgent() => _host.WithToken(("sub", "luc"), ("role", "agent"), ("branch", "lyon-01"), ("queue", "front-desk"));

    private static async Task<string> DetailAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var problem = await response.JsonAsync(status);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        return problem.GetProperty("detail").GetString()!;
    }

    [Test]
    public async Task A_business_key_of_an_active_case_is_refused_in_every_branch_and_journey_and_free_again_once_the_case_is_closed()
    {
        var ann = await _host.As("ann");
        var first = await ann.StartAsync("complaint", new { customerId = "cust-2002" }, businessKey: "LY-2");

        using var again = await ann.PostAsJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", businessKey = "LY-2", variables = new { customerId = "cust-1001" } });
        using var otherBranch = await LyonAgent().PostAsJsonAsync("/api/instances", new { journey = "complaint", branch = "lyon-01", businessKey = "LY-2", variables = new { customerId = "cust-1001" } });
        using var otherJourney = await ann.PostAsJsonAsync("/api/instances", new { journey = HardeningProcess.Id, branch = "paris-01", businessKey = "LY-2" });
        using var cancelled = await ann.PostAsync(new Uri($"/api/instances/{first}/cancel", UriKind.Relative), null);
        var reused = await ann.StartAsync("complaint", new { customerId = "cust-1001" }, businessKey: "LY-2");
        var cases = (await ann.GetJsonAsync("/api/instances?journey=complaint&businessKey=LY-2")).EnumerateArray().Where(c => c.GetProperty("status").GetString() == "active");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await DetailAsync(again, HttpStatusCode.Conflict), Does.StartWith("businessKey 'LY-2' is the key of an active case of 'complaint'"));
            var foreign = await DetailAsync(otherBranch, HttpStatusCode.Conflict);
            Assert.That(foreign, Does.Contain("'LY-2'"));
            Assert.That(foreign, Does.Not.Contain(first), "another branch's agent learns nothing of the case it met");
            Assert.That(await DetailAsync(otherJourney, HttpStatusCode.Conflict), Does.Contain("'LY-2'"), "a key is taken in every journey: the one of a case's back-office journey too");
            Assert.That(cancelled.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(reused, Is.Not.EqualTo(first));
            Assert.That(cases.Select(c => c.GetProperty("id").GetString()), Is.EqualTo(new[] { reused }));
        }
    }

    [TestCase("LY-5\u200b")]
    [TestCase("LY-5\n")]
    [TestCase("LY-5\u0000")]
    [TestCase(" LY-5")]
    [TestCase("LY\u00ad-5")]
    public async Task A_business_key_with_an_invisible_or_control_character_or_an_outer_space_is_refused(string key)
    {
        var ann = await _host.As("ann");

        using var response = await ann.PostAsJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", businessKey = key, variables = new { customerId = "cust-1001" } });

        // A NUL is refused by the check every stored text of a body passes, before the key's own rule.
        Assert.That(await DetailAsync(response, HttpStatusCode.BadRequest), key.Contains('\0', StringComparison.Ordinal)
            ? Is.EqualTo(Engine.Runtime.StorableText.NulProblem("businessKey"))
            : Does.StartWith("businessKey: a key holds only visible characters"));
    }

    [Test]
    public async Task A_customer_does_not_choose_the_case_key_and_gets_a_generated_one_that_the_journey_correlates_by()
    {
        var carla = await _host.As("carla");
        var ann = await _host.As("ann");

        using var chosen = await carla.PostAsJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", businessKey = "LY-9", variables = new { summary = "copy" } });
        var raised = await carla.PostJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", variables = new { summary = "charged twice" } }, HttpStatusCode.Created);
        var second = await carla.PostJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", variables = new { summary = "charged again" } }, HttpStatusCode.Created);
        var instance = await _host.WithToken(("sub", "central-supervisor"), ("role", "supervisor"), ("branch", "*")).GetJsonAsync($"/api/instances/{raised.GetProperty("id").GetString()}");
        var key = raised.GetProperty("businessKey").GetString()!;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await DetailAsync(chosen, HttpStatusCode.BadRequest), Does.StartWith("businessKey: a customer's case gets its reference from the engine"));
            Assert.That((await ann.GetJsonAsync("/api/instances?businessKey=LY-9")).GetArrayLength(), Is.Zero, "no case started on the customer's key");
            Assert.That(key, Does.Match("^W-[0-9A-F]{15}$"));
            Assert.That(second.GetProperty("businessKey").GetString(), Is.Not.EqualTo(key));
            Assert.That(instance.GetProperty("variables").GetProperty("caseId").GetString(), Is.EqualTo(key), "the journeys correlate the back office's answer by caseId");
        }
    }

    [Test]
    public async Task A_customer_s_start_input_must_have_the_types_the_start_form_declares()
    {
        var carla = await _host.As("carla");

        using var number = await carla.PostAsJsonAsync("/api/instances", new { journey = HardeningProcess.Id, branch = "paris-01", variables = new { summary = 42 } });
        using var list = await carla.PostAsJsonAsync("/api/instances", new { journey = HardeningProcess.Id, branch = "paris-01", variables = new { summary = new[] { "a" } } });
        using var text = await carla.PostAsJsonAsync("/api/instances", new { journey = HardeningProcess.Id, branch = "paris-01", variables = new { summary = "late" } });

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await number.JsonAsync((HttpStatusCode)422)).GetProperty("errors").GetProperty("summary").GetString(), Is.EqualTo("Summary must be text"));
            Assert.That((await list.JsonAsync((HttpStatusCode)422)).GetProperty("errors").GetProperty("summary").GetString(), Is.EqualTo("Summary must be text"));
            Assert.That(text.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        }
    }

    [Test]
    public async Task A_task_is_delegated_only_to_a_known_agent_of_a_branch_that_covers_it_and_a_refusal_leaves_it_with_its_agent()
    {
        var ann = await _host.As("ann");
        var id = await ann.StartAsync(HardeningProcess.Id, businessKey: "H-DELEGATE-TO");
        await ann.PostJsonAsync("/api/messages", new { name = "HardeningReply", correlationKey = "H-DELEGATE-TO" });
        var task = await ann.TaskAsync(id, "rate");
        await ann.PostJsonAsync($"/api/tasks/{task}/claim", null);

        using var unknown = await ann.PostAsJsonAsync($"/api/tasks/{task}/delegate", new { to = "nobody-at-all" });
        using var supervisor = await ann.PostAsJsonAsync($"/api/tasks/{task}/delegate", new { to = "sofia" });
        using var lyon = await ann.PostAsJsonAsync($"/api/tasks/{task}/delegate", new { to = "luc" });
        var kept = await ann.GetJsonAsync($"/api/tasks/{task}");
        var toPaul = await ann.PostJsonAsync($"/api/tasks/{task}/delegate", new { to = "paul" });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await DetailAsync(unknown, HttpStatusCode.BadRequest), Does.StartWith("to: no user 'nobody-at-all' is known here").And.Contain("Workflows:Auth:Users"));
            Assert.That(await DetailAsync(supervisor, HttpStatusCode.BadRequest), Does.StartWith("to: 'sofia' is no agent"));
            Assert.That(await DetailAsync(lyon, HttpStatusCode.Forbidden), Does.StartWith("to: 'luc' does not work for the task's branch 'paris-01'"));
            Assert.That(kept.GetProperty("assignee").GetString(), Is.EqualTo("ann"));
            Assert.That(toPaul.GetProperty("assignee").GetString(), Is.EqualTo("paul"), "an agent of the task's branch named under Workflows:Auth:Users");
        }
    }
}
