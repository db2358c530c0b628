using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Workflows.Host.Tests;

/// <summary>Every bad input is a 4xx problem naming the field and the limit, and nothing moves on a refusal.</summary>
[NonParallelizable]
public sealed class InputLimitTests
{
    private TestHost _host = null!;

    [OneTimeSetUp]
    public async Task StartTheHost()
    {
        _host = TestHost.Start();
        await HardeningProcess.DeployAsync(_host);
    }

    [OneTimeTearDown]
    public async Task StopTheHost() => await _host.DisposeAsync();

    private static async Task<string> DetailAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var problem = await response.JsonAsync(status);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        return problem.GetProperty("detail").GetString()!;
    }

    /// <summary>An instance of the hardening process at its form task.</summary>
    private async Task<(string Instance, string Task)> RateTaskAsync(string key)
    {
        var ann = await _host.As("ann");
        var id = await ann.StartAsync(HardeningProcess.Id, businessKey: key);
        await ann.PostJsonAsync("/api/messages", new { name = "HardeningReply", correlationKey = key });
        return (id, await ann.TaskAsync(id, "rate"));
    }

    [Test]
    public async Task A_delegation_without_a_target_and_an_empty_comment_are_400_and_the_task_keeps_its_agent()
    {
        var ann = await _host.As("ann");
        var (_, task) = await RateTaskAsync("H-DELEGATE");
        await ann.PostJsonAsync($"/api/tasks/{task}/claim", null);

        using var noTarget = await ann.PostAsJsonAsync($"/api/tasks/{task}/delegate", new { });
        using var blank = await ann.PostAsJsonAsync($"/api/tasks/{task}/delegate", new { to = " " });
        using var emptyComment = await ann.PostAsJsonAsync($"/api/tasks/{task}/comment", new { text = "" });
        using var longComment = await ann.PostAsJsonAsync($"/api/tasks/{task}/comment", new { text = new string('c', 4001) });
        var after = await ann.GetJsonAsync($"/api/tasks/{task}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await DetailAsync(noTarget, HttpStatusCode.BadRequest), Does.StartWith("to "));
            Assert.That(await DetailAsync(blank, HttpStatusCode.BadRequest), Does.StartWith("to "));
            Assert.That(await DetailAsync(emptyComment, HttpStatusCode.BadRequest), Does.StartWith("text"));
            Assert.That(await DetailAsync(longComment, HttpStatusCode.BadRequest), Does.Contain("4,000").And.Contain("MaxCommentLength"));
            Assert.That(after.GetProperty("assignee").GetString(), Is.EqualTo("ann"));
        }
    }

    [Test]
    public async Task An_agent_comments_only_on_a_task_no_other_agent_claimed()
    {
        var ann = await _host.As("ann");
        var other = _host.WithToken(("sub", "paul"), ("role", "agent"), ("branch", "paris-01"), ("queue", "front-desk"));
        var (_, task) = await RateTaskAsync("H-COMMENT");
        await ann.PostJsonAsync($"/api/tasks/{task}/claim", null);

        using var foreign = await other.PostAsJsonAsync($"/api/tasks/{task}/comment", new { text = "I was here" });
        using var own = await ann.PostAsJsonAsync($"/api/tasks/{task}/comment", new { text = "customer called back" });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await DetailAsync(foreign, HttpStatusCode.Conflict), Does.Contain("claimed by ann"));
            Assert.That(own.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
    }

    [Test]
    public async Task A_completion_with_a_field_the_form_lacks_or_a_value_out_of_its_bounds_is_refused_naming_it_and_nothing_moves()
    {
        var ann = await _host.As("ann");
        var (instance, task) = await RateTaskAsync("H-FORM");

        using var unknown = await ann.PostAsJsonAsync($"/api/tasks/{task}/complete", new { variables = new { score = 4, approved = true } });
        using var negative = await ann.PostAsJsonAsync($"/api/tasks/{task}/complete", new { variables = new { score = 4, amount = -90 } });
        using var seventeen = await ann.PostAsJsonAsync($"/api/tasks/{task}/complete", new { variables = new { score = 17 } });
        var still = await ann.GetJsonAsync($"/api/instances/{instance}");
        using var good = await ann.PostAsJsonAsync($"/api/tasks/{task}/complete", new { variables = new { score = 5, amount = 0 } });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await DetailAsync(unknown, HttpStatusCode.BadRequest), Does.Contain("variables.approved").And.Contain("its fields: score, amount"));
            Assert.That((await negative.JsonAsync((HttpStatusCode)422)).GetProperty("errors").GetProperty("amount").GetString(), Is.EqualTo("Amount must be at least 0"));
            Assert.That((await seventeen.JsonAsync((HttpStatusCode)422)).GetProperty("errors").GetProperty("score").GetString(), Is.EqualTo("Satisfaction (1 to 5) must be from 1 to 5"));
            Assert.That(still.GetProperty("activeElements").EnumerateArray().Select(a => a.GetProperty("elementId").GetString()), Is.EqualTo(new[] { "rate" }));
            Assert.That(good.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }
    }

    [Test]
    public async Task The_library_s_satisfaction_score_and_amounts_carry_their_bounds()
    {
        var ann = await _host.As("ann");
        var register = await ann.TaskAsync(await ann.StartAsync("complaint", new { customerId = "c-bounds" }), "register");

        using var negative = await ann.PostAsJsonAsync($"/api/tasks/{register}/complete", new { variables = new { category = "billing", amount = -90, summary = "refund" } });

        Assert.That((await negative.JsonAsync((HttpStatusCode)422)).GetProperty("errors").GetProperty("amount").GetString(), Is.EqualTo("Amount in dispute must be at least 0"));
    }

    [Test]
    public async Task Numbers_beyond_the_decimal_range_time_to_live_beyond_a_time_span_and_over_long_names_and_keys_are_400_naming_the_limit()
    {
        var ann = await _host.As("ann");
        using var huge = await ann.PostAsync(new Uri("/api/instances", UriKind.Relative),
            new StringContent("""{"journey":"complaint","branch":"paris-01","variables":{"customerId":"c-1","claim":{"amounts":[1, 1e400]}}}""", System.Text.Encoding.UTF8, "application/json"));
        using var ttl = await ann.PostAsJsonAsync("/api/messages", new { name = "HardeningReply", correlationKey = "k", timeToLive = "P99999999999D" });
        using var longTtl = await ann.PostAsJsonAsync("/api/messages", new { name = "HardeningReply", correlationKey = "k", timeToLive = "P400D" });
        using var longName = await ann.PostAsJsonAsync("/api/messages", new { name = new string('n', 100_000), correlationKey = "k" });
        using var longKey = await ann.PostAsJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", businessKey = new string('k', 201), variables = new { customerId = "c-1" } });
        using var longJourney = await ann.PostAsJsonAsync("/api/instances", new { journey = new string('j', 201), branch = "paris-01" });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await DetailAsync(huge, HttpStatusCode.BadRequest), Does.StartWith("variables.claim.amounts[1]: 1e400 is beyond the range of a number"));
            Assert.That(await DetailAsync(ttl, HttpStatusCode.BadRequest), Does.StartWith("timeToLive").And.Contain("MaxMessageTimeToLive"));
            Assert.That(await DetailAsync(longTtl, HttpStatusCode.BadRequest), Does.StartWith("timeToLive").And.Contain("MaxMessageTimeToLive"));
            Assert.That(await DetailAsync(longName, HttpStatusCode.BadRequest), Does.StartWith("name is 100,000 characters long; the limit is 200 (Workflows:Limits:MaxNameLength)"));
            Assert.That(await DetailAsync(longKey, HttpStatusCode.BadRequest), Does.StartWith("businessKey is 201 characters"));
            Assert.That(await DetailAsync(longJourney, HttpStatusCode.BadRequest), Does.StartWith("journey is 201 characters"));
        }
    }

    [Test]
    public async Task A_comment_of_only_invisible_characters_is_refused_as_empty()
    {
        var ann = await _host.As("ann");
        var (_, task) = await RateTaskAsync("H-INVISIBLE");

        using var zeroWidth = await ann.PostAsJsonAsync($"/api/tasks/{task}/comment", new { text = "\u200B\u200D\uFEFF \u2060" });
        using var filler = await ann.PostAsJsonAsync($"/api/tasks/{task}/comment", new { text = "\u3164\uFE0F" });
        using var visible = await ann.PostAsJsonAsync($"/api/tasks/{task}/comment", new { text = "\u200Bok" });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await DetailAsync(zeroWidth, HttpStatusCode.BadRequest), Does.StartWith("text: a comment needs some visible text"));
            Assert.That(await DetailAsync(filler, HttpStatusCode.BadRequest), Does.StartWith("text: a comment needs some visible text"));
            Assert.That(visible.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
    }

    [Test]
    public async Task A_process_or_element_id_over_200_characters_is_refused_at_deploy_with_its_finding()
    {
        var alice = await _host.As("alice");
        static string Model(string process, string element) =>
            "<bpmn:definitions xmlns:bpmn=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" id=\"d\" targetNamespace=\"t\">"
            + $"<bpmn:process id=\"{process}\" isExecutable=\"true\"><bpmn:startEvent id=\"{element}\"/></bpmn:process></bpmn:definitions>";
        async Task<HttpResponseMessage> DeployAsync(string xml) =>
            await alice.PostAsync(new Uri("/api/definitions", UriKind.Relative), new StringContent(xml, System.Text.Encoding.UTF8, "application/xml"));

        using var longProcess = await DeployAsync(Model(new string('p', 100_000), "s"));
        using var longElement = await DeployAsync(Model("short-process", new string('e', 201)));
        using var atLimit = await DeployAsync(Model(new string('q', 200), "s"));

        var findings = (await longProcess.JsonAsync((HttpStatusCode)422)).GetProperty("findings").EnumerateArray().ToList();
        var elementFindings = (await longElement.JsonAsync((HttpStatusCode)422)).GetProperty("findings").EnumerateArray().ToList();
        using (Assert.EnterMultipleScope())
        {
            var tooLong = findings.Single(f => f.GetProperty("code").GetString() == "ID_TOO_LONG");
            Assert.That(tooLong.GetProperty("message").GetString(), Does.Contain("100,000 characters long; the limit is 200"));
            Assert.That(tooLong.GetProperty("elementId").GetString()!, Has.Length.LessThan(50), "the id is not echoed whole");
            Assert.That(longProcess.Headers.Location, Is.Null);
            Assert.That(elementFindings.Select(f => f.GetProperty("code").GetString()), Does.Contain("ID_TOO_LONG"));
            Assert.That(atLimit.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        }
    }

    [Test]
    public async Task A_calendar_with_too_many_holidays_or_too_large_is_refused_naming_the_limit()
    {
        var bruno = await _host.As("bruno");
        var manyDays = Enumerable.Range(0, 100_000).Select(i => new DateOnly(2000, 1, 1).AddDays(i % 3000).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var week = new Dictionary<string, string[]> { ["monday"] = Enumerable.Repeat("09:00-10:00", 5000).ToArray() };

        using var holidays = await bruno.PutAsJsonAsync(new Uri("/api/branches/paris-01/calendar", UriKind.Relative), new { holidays = manyDays });
        using var large = await bruno.PutAsJsonAsync(new Uri("/api/branches/paris-01/calendar", UriKind.Relative), new { week });
        using var fine = await bruno.PutAsJsonAsync(new Uri("/api/branches/paris-01/calendar", UriKind.Relative), new { holidays = manyDays.Take(30).ToArray() });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await DetailAsync(holidays, HttpStatusCode.BadRequest), Is.EqualTo("holidays lists 100,000 days; the limit is 1,000 (Workflows:Limits:MaxCalendarHolidays)"));
            Assert.That(await DetailAsync(large, HttpStatusCode.RequestEntityTooLarge), Does.Contain("the limit is 65,536 (Workflows:Limits:MaxCalendarBytes)"));
            Assert.That(fine.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
    }

    [Test]
    public async Task A_URL_over_its_limit_is_414_with_problem_details_naming_the_limit()
    {
        var ann = await _host.As("ann");

        using var response = await ann.GetAsync(new Uri("/api/instances?businessKey=" + new string('k', 9000), UriKind.Relative));

        Assert.That(await DetailAsync(response, HttpStatusCode.RequestUriTooLong), Does.Contain("the limit is 8,192 (Workflows:Limits:MaxUrlLength)"));
    }

    [Test]
    public async Task A_script_regex_that_runs_past_its_time_out_is_an_incident_or_a_4xx_never_a_500()
    {
        var ann = await _host.As("ann");

        using var started = await ann.PostAsJsonAsync("/api/instances", new { journey = HardeningProcess.RegexId, branch = "paris-01", variables = new { text = new string('a', 40) + "!" } });
        var body = await started.Content.ReadAsStringAsync();

        Assert.That((int)started.StatusCode, Is.EqualTo(201).Or.EqualTo(422), body);
        if (started.StatusCode == HttpStatusCode.Created)
        {
            var instance = await _host.WithToken(("sub", "central-supervisor"), ("role", "supervisor"), ("branch", "*")).GetJsonAsync($"/api/instances/{JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()}");
            Assert.That(instance.GetProperty("incidents").GetArrayLength(), Is.EqualTo(1), "the script stopped with an incident");
            Assert.That(instance.GetProperty("incidents")[0].GetProperty("message").GetString(), Does.Contain("Workflows:Engine:Parser:Feel:RegexTimeout"), "named as the operator sets it");
        }
    }
}
