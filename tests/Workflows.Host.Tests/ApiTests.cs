using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Workflows.Host.Tests;

/// <summary>The API's behaviour beyond roles: whose resources, bad input, limits, the customer's view, the library.</summary>
[NonParallelizable]
public sealed class ApiTests
{
    private TestHost _host = null!;

    [OneTimeSetUp]
    public void StartTheHost() => _host = TestHost.Start(new Dictionary<string, string>
    {
        ["Workflows__Limits__MaxBpmnBytes"] = "200000",
        ["Workflows__Limits__MaxRequestBytes"] = "300000",
        ["Workflows__Limits__MaxVariablesBytes"] = "2000",
    });

    [OneTimeTearDown]
    public async Task StopTheHost() => await _host.DisposeAsync();

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var problem = await response.JsonAsync(status);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        return problem;
    }

    [Test]
    public async Task The_journey_library_is_deployed_and_both_demo_branches_pin_its_standard_versions()
    {
        var analyst = await _host.As("alice");

        var definitions = await analyst.GetJsonAsync("/api/definitions");
        var branches = await analyst.GetJsonAsync("/api/branches");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(definitions.EnumerateArray().Select(d => d.GetProperty("processId").GetString()), Is.SupersetOf(new[]
                { "complaint", "complaint-investigation", "onboarding", "account-activation", "return-request", "return-inspection", "claim", "claim-assessment", "moving-house", "address-change" }));
            Assert.That(definitions.EnumerateArray().Where(d => d.GetProperty("version").GetInt32() == 1).All(d => d.GetProperty("deployedBy").GetString() == "journey-library"), Is.True);
            Assert.That(branches.EnumerateArray().Select(b => b.GetProperty("id").GetString()), Is.EqualTo(new[] { "lyon-01", "paris-01" }));
            Assert.That(branches[0].GetProperty("pins").GetProperty("claim").GetInt32(), Is.EqualTo(1));
            Assert.That(branches[1].GetProperty("calendar").GetString(), Is.EqualTo("group/country:FR/branch:paris-01"));
        }
    }

    [Test]
    public async Task An_analyst_deploys_a_new_version_compares_it_and_a_branch_admin_pins_it_while_other_branches_stay()
    {
        var analyst = await _host.As("alice");
        var admin = await _host.As("bruno");
        var v1 = await analyst.GetJsonAsync("/api/definitions/complaint");
        var xml = await (await analyst.GetAsync(new Uri("/api/definitions/complaint/versions/1/xml", UriKind.Relative))).Content.ReadAsStringAsync();
        var changed = xml.Replace("<wf:field id=\"summary\" label=\"What happened\" type=\"string\" required=\"true\"", "<wf:field id=\"summary\" label=\"In your words\" type=\"string\" required=\"true\"", StringComparison.Ordinal).Replace("""<wf:sla target="2 working hours" warnings="50%,75%" calendar="=calendar">""", """<wf:sla target="1 working hours" warnings="50%,75%" calendar="=calendar">""", StringComparison.Ordinal);
        Assert.That(changed, Is.Not.EqualTo(xml));

        using var deploy = await analyst.PostAsync(new Uri("/api/definitions", UriKind.Relative), new StringContent(changed, System.Text.Encoding.UTF8, "application/xml"));
        var deployed = await deploy.JsonAsync(HttpStatusCode.Created);
        var version = deployed.GetProperty("processes").EnumerateArray().Single(p => p.GetProperty("processId").GetString() == "complaint").GetProperty("version").GetInt32();
        var comparison = await analyst.GetJsonAsync($"/api/definitions/complaint/compare?from=1&to={version}");
        await (await _host.As("ines")).ApproveAsync("complaint", version);
        var pinned = await (await admin.PutAsJsonAsync(new Uri("/api/branches/paris-01/pins/complaint", UriKind.Relative), new { version })).JsonAsync(HttpStatusCode.OK);
        using var foreign = await admin.PutAsJsonAsync(new Uri("/api/branches/lyon-01/pins/complaint", UriKind.Relative), new { version });
        var paris = await (await _host.As("ann")).StartAsync("complaint", new { customerId = "c-pin" });
        var lyon = await (await _host.As("omar")).StartAsync("complaint", new { customerId = "c-pin" }, branch: "lyon-01");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(v1.GetArrayLength(), Is.EqualTo(1));
            Assert.That(comparison.GetProperty("changed").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "register" }));
            Assert.That(comparison.GetProperty("added").GetArrayLength() + comparison.GetProperty("removed").GetArrayLength(), Is.Zero);
            Assert.That(pinned.GetProperty("pins").GetProperty("complaint").GetInt32(), Is.EqualTo(version));
            Assert.That(foreign.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "bruno administers paris-01 only");
            Assert.That((await (await _host.As("sofia")).GetJsonAsync($"/api/instances/{paris}")).GetProperty("version").GetInt32(), Is.EqualTo(version));
            Assert.That((await (await _host.As("omar")).GetJsonAsync($"/api/instances/{lyon}")).GetProperty("version").GetInt32(), Is.EqualTo(1), "lyon-01 still runs its pinned standard version");
        }
    }

    [Test]
    public async Task A_malformed_document_and_an_XXE_document_are_refused_with_their_findings_and_nothing_is_deployed()
    {
        var analyst = await _host.As("alice");
        const string xxe = """<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&e;</bpmn:definitions>""";

        using var broken = await analyst.PostAsync(new Uri("/api/definitions", UriKind.Relative), new StringContent("<bpmn:definitions", System.Text.Encoding.UTF8, "application/xml"));
        using var hostile = await analyst.PostAsync(new Uri("/api/definitions", UriKind.Relative), new StringContent(xxe, System.Text.Encoding.UTF8, "application/xml"));
        var brokenProblem = await ProblemAsync(broken, HttpStatusCode.UnprocessableEntity);
        var hostileProblem = await ProblemAsync(hostile, HttpStatusCode.UnprocessableEntity);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(brokenProblem.GetProperty("findings")[0].GetProperty("line").GetInt32(), Is.EqualTo(1));
            Assert.That(hostileProblem.GetProperty("findings")[0].GetProperty("message").GetString(), Does.Contain("DTD").IgnoreCase);
            Assert.That((await analyst.GetJsonAsync("/api/definitions")).EnumerateArray().All(d => d.GetProperty("deployedBy").GetString() != "alice" || d.GetProperty("processId").GetString() == "complaint"), Is.True);
        }
    }

    [Test]
    public async Task A_document_above_the_BPMN_limit_and_a_request_above_the_request_limit_are_413_naming_the_limit()
    {
        var analyst = await _host.As("alice");
        var big = "<bpmn:definitions xmlns:bpmn=\"http://www.omg.org/spec/BPMN/20100524/MODEL\"><!--" + new string('x', 250_000) + "--></bpmn:definitions>";

        using var bpmn = await analyst.PostAsync(new Uri("/api/definitions", UriKind.Relative), new StringContent(big, System.Text.Encoding.UTF8, "application/xml"));
        using var request = await analyst.PostAsync(new Uri("/api/definitions/validate", UriKind.Relative), new StringContent(big + new string(' ', 100_000), System.Text.Encoding.UTF8, "application/xml"));
        var bpmnProblem = await ProblemAsync(bpmn, HttpStatusCode.RequestEntityTooLarge);
        var requestProblem = await ProblemAsync(request, HttpStatusCode.RequestEntityTooLarge);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(bpmnProblem.GetProperty("detail").GetString(), Does.Contain("Workflows:Limits:MaxBpmnBytes"));
            Assert.That(requestProblem.GetProperty("detail").GetString(), Does.Contain("Workflows:Limits:MaxRequestBytes"));
        }
    }

    [Test]
    public async Task Variables_above_their_limit_a_page_above_its_limit_and_malformed_JSON_are_refused_with_the_reason()
    {
        var agent = await _host.As("ann");

        using var variables = await agent.PostAsJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", variables = new { note = new string('x', 5000) } });
        using var page = await agent.GetAsync(new Uri("/api/tasks?pageSize=1000", UriKind.Relative));
        using var json = await agent.PostAsync(new Uri("/api/instances", UriKind.Relative), new StringContent("{\"journey\": ", System.Text.Encoding.UTF8, "application/json"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await ProblemAsync(variables, HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), Does.Contain("the limit is 2,000 (Workflows:Limits:MaxVariablesBytes)"));
            Assert.That((await ProblemAsync(page, HttpStatusCode.RequestEntityTooLarge)).GetProperty("detail").GetString(), Does.Contain("above the limit of 200 (Workflows:Limits:MaxPageSize)"));
            Assert.That((await ProblemAsync(json, HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), Does.Contain("at line 1, character 13 (in journey)").And.Not.Contain("StartRequest"), "the position, in the API's words");
        }
    }

    [Test]
    public async Task An_agent_completes_with_a_form_error_corrected_and_a_second_completion_is_a_conflict()
    {
        var agent = await _host.As("ann");
        var instance = await agent.StartAsync("complaint", new { customerId = "c-form" });
        var task = await agent.TaskAsync(instance, "register");

        using var wrong = await agent.PostAsJsonAsync($"/api/tasks/{task}/complete", new { variables = new { category = "weather", amount = "a lot" } });
        var wrongProblem = await ProblemAsync(wrong, HttpStatusCode.UnprocessableEntity);
        using var right = await agent.PostAsJsonAsync($"/api/tasks/{task}/complete", new { variables = new { category = "billing", amount = 40, summary = "charged twice" } });
        using var again = await agent.PostAsJsonAsync($"/api/tasks/{task}/complete", new { variables = new { category = "billing", amount = 40, summary = "charged twice" } });
        using var unknown = await agent.PostAsJsonAsync($"/api/tasks/{Guid.NewGuid()}/complete", new { });

        using (Assert.EnterMultipleScope())
        {
            var errors = wrongProblem.GetProperty("errors");
            Assert.That(errors.EnumerateObject().Select(p => p.Name), Is.EquivalentTo(new[] { "category", "amount", "summary" }));
            Assert.That(right.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That((await ProblemAsync(again, HttpStatusCode.Conflict)).GetProperty("detail").GetString(), Does.Contain("already completed"));
            Assert.That((await ProblemAsync(unknown, HttpStatusCode.NotFound)).GetProperty("detail").GetString(), Does.Contain("does not exist"));
        }
    }

    [Test]
    public async Task Agents_see_only_their_branch_and_queues_and_customers_only_their_own_cases()
    {
        var ann = await _host.As("ann");
        var omar = await _host.As("omar");
        var lyon = await omar.StartAsync("complaint", new { customerId = "c-lyon" }, branch: "lyon-01");
        var paris = await ann.StartAsync("complaint", new { customerId = "someone-else" });

        using var foreignInstance = await ann.GetAsync(new Uri($"/api/instances/{lyon}", UriKind.Relative));
        using var foreignStart = await ann.PostAsJsonAsync("/api/instances", new { journey = "complaint", branch = "lyon-01" });
        using var foreignQueue = await ann.GetAsync(new Uri("/api/tasks?queue=warehouse", UriKind.Relative));
        using var notMine = await (await _host.As("carla")).GetAsync(new Uri($"/api/instances/{paris}", UriKind.Relative));
        var annTasks = await ann.GetJsonAsync("/api/tasks?pageSize=200");
        var sofiaLists = await (await _host.As("sofia")).GetJsonAsync("/api/instances?max=200");

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await ProblemAsync(foreignInstance, HttpStatusCode.NotFound)).GetProperty("detail").GetString(), Is.EqualTo($"process instance {lyon} does not exist"), "as if it did not exist");
            Assert.That(foreignStart.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That((await ProblemAsync(foreignQueue, HttpStatusCode.Forbidden)).GetProperty("detail").GetString(), Does.Contain("warehouse"));
            Assert.That(notMine.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "a customer learns nothing of other people's cases");
            Assert.That(annTasks.GetProperty("tasks").EnumerateArray().All(t => t.GetProperty("branch").GetString() == "paris-01"), Is.True);
            Assert.That(sofiaLists.EnumerateArray().Select(i => i.GetProperty("id").GetString()), Does.Contain(paris).And.No.Contain(lyon));
        }
    }

    [Test]
    public async Task A_customer_raises_a_complaint_and_follows_it_without_seeing_queues_agents_or_variables()
    {
        var carla = await _host.As("carla");
        var ann = await _host.As("ann");
        var raised = await carla.PostJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", variables = new { summary = "charged twice" } }, HttpStatusCode.Created);
        var id = raised.GetProperty("id").GetString()!;
        var register = await ann.TaskAsync(id, "register");
        await ann.PostJsonAsync($"/api/tasks/{register}/claim", null);
        await ann.PostAsJsonAsync($"/api/tasks/{register}/complete", new { variables = new { category = "billing", amount = 30, summary = "charged twice" } });

        using var view = await carla.GetAsync(new Uri($"/api/instances/{id}", UriKind.Relative));
        var text = await view.Content.ReadAsStringAsync();
        var json = JsonDocument.Parse(text).RootElement;
        var mine = await carla.GetJsonAsync("/api/instances");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(view.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(json.GetProperty("journey").GetString(), Is.EqualTo("Complaint"));
            Assert.That(json.GetProperty("status").GetString(), Is.EqualTo("in progress"));
            Assert.That(json.GetProperty("promise").GetString(), Is.EqualTo("Complaint answered within 48 business hours"));
            Assert.That(json.GetProperty("promisedBy").ValueKind, Is.EqualTo(JsonValueKind.String));
            Assert.That(json.GetProperty("stepsDone").EnumerateArray().Select(s => s.GetProperty("name").GetString()), Does.Contain("Understanding your complaint"));
            Assert.That(json.GetProperty("inProgress").EnumerateArray().Select(s => s.GetString()), Is.EqualTo(new[] { "Putting it right" }));
            Assert.That(text, Does.Not.Contain("Register and classify").And.Not.Contain("Resolve at the front desk"), "never an internal step name");
            Assert.That(text, Does.Not.Contain("front-desk").And.Not.Contain("ann").And.Not.Contain("amount").And.Not.Contain("paris-01"));
            Assert.That(mine.EnumerateArray().Select(c => c.GetProperty("id").GetString()), Does.Contain(id), "raised for carla, from her token");
        }
    }

    [Test]
    public async Task A_supervisor_reads_the_branch_report_and_its_incidents_an_operator_retries_one_and_the_supervisor_is_refused_the_retry_and_another_branch()
    {
        var ann = await _host.As("ann");
        var sofia = await _host.As("sofia");
        var otto = await _host.As("otto");
        var reported = await ann.StartAsync("complaint", new { customerId = "c-report" }, businessKey: "C-REPORT");
        // Without a customer id the history lookup cannot run: the step stops with an incident.
        var failing = await ann.StartAsync("complaint", new { }, businessKey: "C-INCIDENT");

        var report = await sofia.GetJsonAsync("/api/service-levels/report?max=200");
        var incident = (await sofia.GetJsonAsync("/api/incidents?max=200")).EnumerateArray().Single(i => i.GetProperty("instanceId").GetString() == failing);
        // Supervisors read the operations page; retrying is an operator's command.
        using var refused = await sofia.PostAsync(new Uri($"/api/incidents/{incident.GetProperty("id").GetString()}/retry", UriKind.Relative), null);
        using var retry = await otto.PostAsync(new Uri($"/api/incidents/{incident.GetProperty("id").GetString()}/retry", UriKind.Relative), null);
        var again = (await sofia.GetJsonAsync("/api/incidents?max=200")).EnumerateArray().Where(i => i.GetProperty("instanceId").GetString() == failing).ToList();
        using var otherBranch = await sofia.GetAsync(new Uri("/api/service-levels/report?branch=lyon-01", UriKind.Relative));

        using (Assert.EnterMultipleScope())
        {
            var row = report.EnumerateArray().Single(r => r.GetProperty("instanceId").GetString() == reported);
            Assert.That(row.GetProperty("commitment").GetProperty("label").GetString(), Is.EqualTo("Complaint answered within 48 business hours"));
            Assert.That(row.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("elementId").GetString()), Does.Contain("register"));
            Assert.That(report.EnumerateArray().All(r => r.GetProperty("branch").GetString() == "paris-01"), Is.True);
            Assert.That(incident.GetProperty("elementId").GetString(), Is.EqualTo("check_history"));
            Assert.That(incident.GetProperty("message").GetString(), Does.Contain("customerId"));
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(retry.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(again.Select(i => i.GetProperty("id").GetString()).ToList(), Has.Count.EqualTo(1).And.No.Contain(incident.GetProperty("id").GetString()),
                "the retry ran the step again, which failed again for the same cause: a new incident, the old one resolved");
            Assert.That(otherBranch.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        }
    }

    [Test]
    public async Task A_claim_is_assessed_by_the_external_assessor_over_the_bus_and_reaches_the_right_approver()
    {
        var ann = await _host.As("ann");
        var omar = await _host.As("omar");
        var claim = await ann.StartAsync("claim", new { customerId = "c-claim" }, businessKey: "K-API-1");
        var notice = await ann.TaskAsync(claim, "first_notice");
        await ann.PostJsonAsync($"/api/tasks/{notice}/complete",
            new { variables = new { policyNumber = "POL-7", lossDate = "2026-11-20", claimedAmount = 5000, description = "storm damage" } }, HttpStatusCode.NoContent);

        JsonElement review = default;
        for (var attempt = 0; attempt < 150 && review.ValueKind == JsonValueKind.Undefined; attempt++)
        {
            await Task.Delay(100);
            review = (await omar.GetJsonAsync("/api/tasks?queue=claims-assessment&businessKey=K-API-1")).GetProperty("tasks").EnumerateArray().FirstOrDefault();
        }

        Assert.That(review.ValueKind, Is.EqualTo(JsonValueKind.Object), "the assessor's worker answered the job over the bus");
        var assessment = await _host.WithToken(("sub", "central-supervisor"), ("role", "supervisor"), ("branch", "*")).GetJsonAsync($"/api/instances/{review.GetProperty("instanceId").GetString()}");
        await omar.PostJsonAsync($"/api/tasks/{review.GetProperty("id").GetString()}/complete", new { variables = new { assessedAmount = 4500 } }, HttpStatusCode.NoContent);

        JsonElement approval = default;
        for (var attempt = 0; attempt < 150 && approval.ValueKind == JsonValueKind.Undefined; attempt++)
        {
            await Task.Delay(100);
            approval = (await omar.GetJsonAsync("/api/tasks?queue=claims-leads&businessKey=K-API-1")).GetProperty("tasks").EnumerateArray().FirstOrDefault();
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(assessment.GetProperty("variables").GetProperty("assessorEstimate").GetDecimal(), Is.EqualTo(4500m), "90 % of the amount claimed");
            Assert.That(approval.ValueKind, Is.EqualTo(JsonValueKind.Object), "4,500 needs a team lead");
        }
    }

    [Test]
    public async Task The_OpenAPI_document_describes_the_API_and_metrics_are_scraped_in_Prometheus_format()
    {
        using var client = _host.Anonymous();
        await (await _host.As("ann")).StartAsync("complaint", new { customerId = "c-metrics" });

        var openApi = await client.GetJsonAsync("/openapi/v1.json");
        var metrics = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(openApi.GetProperty("paths").EnumerateObject().Select(p => p.Name), Is.SupersetOf(new[] { "/api/tasks", "/api/instances", "/api/definitions", "/api/branches/{branchId}/calendar" }));
            Assert.That(metrics, Does.Contain("workflows_commands"));
            // The runtime's meter: what the requests allocated and what the collector cost, read by operators and the load driver.
            Assert.That(metrics, Does.Contain("dotnet_gc_heap_total_allocated_bytes_total"));
            Assert.That(openApi.GetProperty("paths").GetProperty("/api/definitions").GetProperty("post").GetProperty("requestBody").GetProperty("content").TryGetProperty("application/xml", out _), Is.True);
        }
    }

    [Test]
    public async Task A_branch_admin_sets_the_branch_calendar_and_a_wrong_interval_is_refused_naming_the_day()
    {
        var admin = await _host.As("bruno");

        var set = await (await admin.PutAsJsonAsync(new Uri("/api/branches/paris-01/calendar", UriKind.Relative),
            new { week = new { saturday = new[] { "09:00-13:00" } }, holidays = new[] { "2026-12-24" } })).JsonAsync(HttpStatusCode.OK);
        using var wrong = await admin.PutAsJsonAsync(new Uri("/api/branches/paris-01/calendar", UriKind.Relative), new { week = new { funday = new[] { "09:00-13:00" } } });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(set.GetProperty("calendar").GetString(), Is.EqualTo("group/country:FR/branch:paris-01"));
            Assert.That((await ProblemAsync(wrong, HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), Does.Contain("'funday'"));
        }
    }
}
