using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Workflows.Host.Tests;

/// <summary>
/// Every endpoint × every role: without a token 401, with a role the endpoint does not serve 403, with one it serves
/// 2xx. Each request is built fresh for each caller, so a task completed by one call is never the next call's task.
/// </summary>
[NonParallelizable]
public sealed class AuthorizationMatrixTests
{
    private const string Analyst = "alice", BranchAdmin = "bruno", Agent = "ann", Supervisor = "sofia", Customer = "carla";

    // An operator of the demo branch by a token of its own (no demo user is needed for the role).
    private const string Operator = "operator:olga";
    private static readonly string[] Everyone = [Analyst, BranchAdmin, Agent, Supervisor, Customer, Operator];
    private static readonly string[] Staff = [Analyst, BranchAdmin, Agent, Supervisor, Operator];

    // A program, not a person: a token with role worker for paris-01, made here (no demo user signs in as one).
    private const string Worker = "worker";
    private static readonly string[] Callers = [.. Everyone, Worker];
    private const string JobType = "matrix-job";
    private HttpClient? _worker;

    private TestHost _host = null!;

    [OneTimeSetUp]
    public async Task StartTheHost()
    {
        _host = TestHost.Start(new Dictionary<string, string>
        {
            // The event stream ends after a second, so that its row reads a whole answer like the others.
            ["Workflows__Inbox__EventStreamLifetime"] = "00:00:01",
            ["Workflows__Inbox__EventPollInterval"] = "00:00:00.200",
        });
        using var journey = new StringContent($"""
            <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:wf="urn:workflows:bpmn:1.0" id="d" targetNamespace="t">
              <bpmn:process id="{JobType}" isExecutable="true"><bpmn:extensionElements><wf:journey branch="=branch"/></bpmn:extensionElements>
                <bpmn:startEvent id="s"/><bpmn:serviceTask id="t"><bpmn:extensionElements><zeebe:taskDefinition type="{JobType}"/></bpmn:extensionElements></bpmn:serviceTask><bpmn:endEvent id="e"/>
                <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
              </bpmn:process>
            </bpmn:definitions>
            """, System.Text.Encoding.UTF8, "application/xml");
        using var deployed = await (await _host.As(Analyst)).PostAsync(new Uri("/api/definitions", UriKind.Relative), journey);
        Assert.That(deployed.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        await (await _host.As(Analyst)).DeployAsync(ParkedMessages.Sender);
    }

    private HttpClient WorkerClient() => _worker ??= _host.WithToken(("sub", "matrix-bot"), ("role", Worker), ("branch", "paris-01"));

    /// <summary>A job of a fresh instance, activated by the worker.</summary>
    private async Task<string> JobAsync()
    {
        var instance = await (await _host.As(Agent)).StartAsync(JobType);
        var jobs = await WorkerClient().PostJsonAsync("/api/jobs/activation", new { type = JobType, maxJobsToActivate = 100 });
        return jobs.GetProperty("jobs").EnumerateArray().Single(j => j.GetProperty("instanceId").GetString() == instance).GetProperty("id").GetString()!;
    }

    [OneTimeTearDown]
    public async Task StopTheHost() => await _host.DisposeAsync();

    public sealed record Scenario(string Endpoint, string[] Allowed, Func<AuthorizationMatrixTests, Task<HttpRequestMessage>> Request)
    {
        public override string ToString() => Endpoint;
    }

    private static HttpRequestMessage Get(string url) => new(HttpMethod.Get, url);

    private static HttpRequestMessage Send(HttpMethod method, string url, object? body = null) =>
        new(method, url) { Content = body is null ? null : JsonContent.Create(body) };

    private static HttpRequestMessage Xml(string url, string xml) => new(HttpMethod.Post, url) { Content = new StringContent(xml, System.Text.Encoding.UTF8, "application/xml") };

    private static string Bpmn(string processId) => $"""
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
          <bpmn:process id="{processId}" isExecutable="true"><bpmn:startEvent id="s"/><bpmn:endEvent id="e"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e"/></bpmn:process>
        </bpmn:definitions>
        """;

    private async Task<HttpClient> ClientAsync(string user) =>
        user == Operator ? _operator ??= _host.WithToken(("sub", "olga"), ("role", "operator"), ("branch", "paris-01")) : await _host.As(user);

    private HttpClient? _operator;

    // A batch of the demo branch, created paused: pausing and resuming it answer the same whoever asked first.
    private async Task<string> BatchAsync()
    {
        using var response = await (await ClientAsync(Operator)).PostAsJsonAsync("/api/batches",
            new { kind = "cancel", selection = new { instanceIds = new[] { await ComplaintAsync() } }, reason = "matrix", paused = true });
        return (await response.JsonAsync(HttpStatusCode.Created)).GetProperty("id").GetString()!;
    }

    // A migration of the demo branch, created paused, so that nothing of it runs while the matrix reads it.
    private async Task<string> MigrationAsync()
    {
        using var response = await (await ClientAsync(Operator)).PostAsJsonAsync("/api/migrations",
            new { journey = "complaint", targetVersion = 1, selection = new { instanceIds = new[] { await ComplaintAsync() } }, reason = "matrix", paused = true });
        return (await response.JsonAsync(HttpStatusCode.Created)).GetProperty("id").GetString()!;
    }

    // A process of its own, deployed by another analyst (four eyes: the matrix's analyst may then approve it), so that
    // approving its version 1 answers the same whoever asks first.
    private async Task<string> FreshProcessAsync()
    {
        var process = "matrix-" + Guid.NewGuid().ToString("N")[..8];
        using var deployed = await _host.WithToken(("sub", "dana"), ("role", "analyst")).SendAsync(Xml("/api/definitions", Bpmn(process)));
        Assert.That(deployed.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        return process;
    }

    // A planned rollout of a fresh approved process, planned by a central branch admin (a token of its own).
    private async Task<string> RolloutAsync()
    {
        var process = await FreshProcessAsync();
        await (await ClientAsync(Analyst)).PostJsonAsync($"/api/definitions/{process}/versions/1/approval", new { reason = "matrix" });
        var central = _central ??= _host.WithToken(("sub", "cora"), ("role", "branch-admin"), ("branch", "*"));
        var plan = await central.PostJsonAsync("/api/rollouts", new { journey = process, version = 1, waves = new[] { new { name = "pilot", branches = new[] { "paris-01" } } }, reason = "matrix" }, HttpStatusCode.Created);
        return plan.GetProperty("id").GetString()!;
    }

    private HttpClient? _central;

    private static string Dmn(string decisionId) => $$"""
        <definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="Matrix" namespace="urn:matrix">
          <decision id="{{decisionId}}" name="Level"><decisionTable hitPolicy="FIRST">
            <input label="Amount"><inputExpression typeRef="number"><text>amount</text></inputExpression></input><output name="level" typeRef="string"/>
            <rule id="r"><inputEntry><text>-</text></inputEntry><outputEntry><text>"agent"</text></outputEntry></rule>
          </decisionTable></decision>
        </definitions>
        """;

    // A decision of its own, deployed by the analyst, so that approving its version 1 answers the same whoever asks first.
    private async Task<string> FreshDecisionAsync()
    {
        var decision = "matrix-" + Guid.NewGuid().ToString("N")[..8];
        using var deployed = await _host.WithToken(("sub", "dana"), ("role", "analyst")).SendAsync(Xml("/api/decisions", Dmn(decision)));
        Assert.That(deployed.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        return decision;
    }

    private string? _decision;

    // A decision approved by an analyst other than the one who deployed it, so a branch may pin it.
    private async Task<string> DecisionAsync()
    {
        if (_decision is null)
        {
            var decision = await FreshDecisionAsync();
            await (await ClientAsync(Analyst)).PostJsonAsync($"/api/decisions/{decision}/versions/1/approval", new { reason = "matrix" });
            _decision = decision;
        }

        return _decision;
    }

    // A draft of the analyst's own (drafts answer only their analyst): a fresh one per request, as a delete takes it.
    private async Task<string> FreshDraftAsync()
    {
        var draft = await (await ClientAsync(Analyst)).PostJsonAsync("/api/drafts", new { name = "matrix", xml = Bpmn("matrix-draft") }, HttpStatusCode.Created);
        return draft.GetProperty("id").GetString()!;
    }

    private async Task<string> ComplaintAsync(object? variables = null) =>
        await (await _host.As(Agent)).StartAsync("complaint", variables ?? new { customerId = "cust-1001" });

    private async Task<string> RegisterTaskAsync(bool claimed = false)
    {
        var agent = await _host.As(Agent);
        var task = await agent.TaskAsync(await ComplaintAsync(), "register");
        if (claimed)
        {
            await agent.PostJsonAsync($"/api/tasks/{task}/claim", null);
        }

        return task;
    }

    // The library complaint of the demo customer at its satisfaction survey, a question the customer answers in the tracker.
    private async Task<string> SurveyAnswerPathAsync()
    {
        var instance = await ComplaintAsync();
        return $"/api/instances/{instance}/answers/{await ComplaintSurvey.ReachAsync(_host, instance)}";
    }

    private async Task<string> IncidentAsync()
    {
        // Without a customer id the history lookup cannot run: the step stops with an incident.
        var instance = await ComplaintAsync(new { });
        var incidents = await (await _host.As(Supervisor)).GetJsonAsync("/api/incidents?max=200");
        return incidents.EnumerateArray().First(i => i.GetProperty("instanceId").GetString() == instance).GetProperty("id").GetString()!;
    }

    private Task<string> ParkedMessageAsync() => ParkedMessages.ParkAsync(_host);

    private static readonly Scenario[] Scenarios =
    [
        new("Deploy", [Analyst], _ => Task.FromResult(Xml("/api/definitions", Bpmn("matrix-" + Guid.NewGuid().ToString("N")[..8])))),
        new("Validate", [Analyst], _ => Task.FromResult(Xml("/api/definitions/validate", Bpmn("matrix-validate")))),
        new("ListDefinitions", Staff, _ => Task.FromResult(Get("/api/definitions"))),
        new("ListElementTemplates", Staff, _ => Task.FromResult(Get("/api/element-templates"))),
        new("ListVersions", Staff, _ => Task.FromResult(Get("/api/definitions/complaint"))),
        new("GetXml", Staff, _ => Task.FromResult(Get("/api/definitions/complaint/versions/1/xml"))),
        new("Compare", Staff, _ => Task.FromResult(Get("/api/definitions/complaint/compare?from=1&to=1"))),
        new("CompareDraft", [Analyst], _ => Task.FromResult(Xml("/api/definitions/complaint/compare?from=1", Bpmn("complaint")))),
        new("ListDrafts", [Analyst], _ => Task.FromResult(Get("/api/drafts"))),
        new("CreateDraft", [Analyst], _ => Task.FromResult(Send(HttpMethod.Post, "/api/drafts", new { name = "matrix", xml = Bpmn("matrix-draft") }))),
        new("GetDraft", [Analyst], async t => Get($"/api/drafts/{await t.FreshDraftAsync()}")),
        new("SaveDraft", [Analyst], async t => Send(HttpMethod.Put, $"/api/drafts/{await t.FreshDraftAsync()}", new { xml = Bpmn("matrix-draft"), revision = 1 })),
        new("RenameDraft", [Analyst], async t => Send(HttpMethod.Patch, $"/api/drafts/{await t.FreshDraftAsync()}", new { name = "renamed" })),
        new("DeleteDraft", [Analyst], async t => Send(HttpMethod.Delete, $"/api/drafts/{await t.FreshDraftAsync()}")),
        new("ListBranches", Everyone, _ => Task.FromResult(Get("/api/branches"))),
        new("Me", Callers, _ => Task.FromResult(Get("/api/auth/me"))),
        new("Session", Callers, _ => Task.FromResult(Get("/api/auth/session"))),
        new("Renew", Callers, _ => Task.FromResult(Send(HttpMethod.Post, "/api/auth/renew", new { }))),
        new("GetBranch", Staff, _ => Task.FromResult(Get("/api/branches/paris-01"))),
        new("PinVersion", [BranchAdmin], _ => Task.FromResult(Send(HttpMethod.Put, "/api/branches/paris-01/pins/complaint", new { version = 1 }))),
        new("UnpinVersion", [BranchAdmin], _ => Task.FromResult(Send(HttpMethod.Delete, "/api/branches/paris-01/pins/onboarding"))),
        // Rollouts: an analyst approves; only a central branch admin (branch *) plans and steps them: the demo's is of paris-01, so none here.
        new("GetVersionLifecycle", [Analyst, BranchAdmin, Supervisor], _ => Task.FromResult(Get("/api/definitions/complaint/lifecycle"))),
        new("ApproveVersion", [Analyst], async t => Send(HttpMethod.Post, $"/api/definitions/{await t.FreshProcessAsync()}/versions/1/approval", new { reason = "matrix" })),
        new("ListRollouts", [Analyst, BranchAdmin, Supervisor], _ => Task.FromResult(Get("/api/rollouts"))),
        new("PlanRollout", [], _ => Task.FromResult(Send(HttpMethod.Post, "/api/rollouts", new { journey = "complaint", version = 1, waves = new[] { new { name = "pilot", branches = new[] { "paris-01" } } }, reason = "matrix" }))),
        new("GetRollout", [Analyst, BranchAdmin, Supervisor], async t => Get($"/api/rollouts/{await t.RolloutAsync()}")),
        new("GetRolloutFigures", [Analyst, BranchAdmin, Supervisor], async t => Get($"/api/rollouts/{await t.RolloutAsync()}/figures")),
        new("AdvanceRollout", [], _ => Task.FromResult(Send(HttpMethod.Post, $"/api/rollouts/{Guid.NewGuid()}/advance", new { reason = "matrix", wave = "pilot" }))),
        new("RollBackRollout", [], _ => Task.FromResult(Send(HttpMethod.Post, $"/api/rollouts/{Guid.NewGuid()}/rollback", new { reason = "matrix" }))),
        new("DeployDecisions", [Analyst], _ => Task.FromResult(Xml("/api/decisions", Dmn("matrix-" + Guid.NewGuid().ToString("N")[..8])))),
        new("ListDecisions", Staff, _ => Task.FromResult(Get("/api/decisions"))),
        new("ListDecisionVersions", Staff, async t => Get($"/api/decisions/{await t.DecisionAsync()}")),
        new("GetDecisionXml", Staff, async t => Get($"/api/decisions/{await t.DecisionAsync()}/xml?version=1")),
        new("ApproveDecision", [Analyst], async t => Send(HttpMethod.Post, $"/api/decisions/{await t.FreshDecisionAsync()}/versions/1/approval", new { reason = "matrix" })),
        new("EvaluateDecision", Staff, async t => Send(HttpMethod.Post, $"/api/decisions/{await t.DecisionAsync()}/evaluate", new { variables = new { amount = 10 } })),
        new("CompareDecisionVersions", Staff, async t => Get($"/api/decisions/{await t.DecisionAsync()}/compare?from=1&to=1")),
        new("ListDecisionEvaluations", [Analyst, BranchAdmin, Supervisor, Operator], async t => Get($"/api/decisions/{await t.DecisionAsync()}/evaluations")),
        new("PinDecision", [BranchAdmin], async t => Send(HttpMethod.Put, $"/api/branches/paris-01/decision-pins/{await t.DecisionAsync()}", new { version = 1 })),
        new("ListDecisionPins", [Analyst, BranchAdmin, Supervisor, Operator], _ => Task.FromResult(Get("/api/branches/paris-01/decision-pins"))),
        new("ListDecisionCallers", [Analyst, BranchAdmin, Supervisor, Operator], _ => Task.FromResult(Get("/api/branches/paris-01/decision-callers"))),
        new("UnpinDecision", [BranchAdmin], async t => Send(HttpMethod.Delete, $"/api/branches/paris-01/decision-pins/{await t.DecisionAsync()}")),
        new("GetBranchParameters", [BranchAdmin, Supervisor], _ => Task.FromResult(Get("/api/branches/paris-01/parameters/complaint"))),
        new("SetBranchParameters", [BranchAdmin], _ => Task.FromResult(Send(HttpMethod.Put, "/api/branches/paris-01/parameters/complaint", new { values = new { frontDeskAuthority = 150 } }))),
        new("GetDrift", [Analyst, BranchAdmin, Supervisor], _ => Task.FromResult(Get("/api/drift?journey=complaint"))),
        new("SetCalendar", [BranchAdmin], _ => Task.FromResult(Send(HttpMethod.Put, "/api/branches/paris-01/calendar", new { week = new { saturday = new[] { "09:00-12:00" } } }))),
        new("GetBranchCalendar", [BranchAdmin, Supervisor], _ => Task.FromResult(Get("/api/branches/paris-01/calendar"))),
        new("StartJourney", [Agent, Customer], _ => Task.FromResult(Send(HttpMethod.Post, "/api/instances", new { journey = "complaint", branch = "paris-01", variables = new { summary = "double charge" } }))),
        new("ListInstances", [Agent, Supervisor, Customer], _ => Task.FromResult(Get("/api/instances"))),
        new("GetInstance", [Agent, Supervisor, Customer], async t => Get($"/api/instances/{await t.ComplaintAsync()}")),
        new("CancelInstance", [Agent, Supervisor], async t => Send(HttpMethod.Post, $"/api/instances/{await t.ComplaintAsync()}/cancel")),
        new("AnswerQuestion", [Customer], async t => Send(HttpMethod.Post, await t.SurveyAnswerPathAsync(), new { variables = new { score = 5 } })),
        new("GetClocks", [Agent, Supervisor], async t => Get($"/api/instances/{await t.ComplaintAsync()}/clocks")),
        new("CorrelateMessage", [Agent], _ => Task.FromResult(Send(HttpMethod.Post, "/api/messages", new { name = "CustomerReplied", correlationKey = "k-" + Guid.NewGuid(), mustCorrelate = false }))),
        new("QueryTasks", [Agent, Supervisor], _ => Task.FromResult(Get("/api/tasks"))),
        new("NextTask", [Agent], _ => Task.FromResult(Send(HttpMethod.Post, "/api/tasks/next", new { }))),
        new("GetTask", [Agent, Supervisor], async t => Get($"/api/tasks/{await t.RegisterTaskAsync()}")),
        new("ClaimTask", [Agent], async t => Send(HttpMethod.Post, $"/api/tasks/{await t.RegisterTaskAsync()}/claim")),
        new("UnclaimTask", [Agent], async t => Send(HttpMethod.Post, $"/api/tasks/{await t.RegisterTaskAsync(claimed: true)}/unclaim")),
        new("DelegateTask", [Agent], async t => Send(HttpMethod.Post, $"/api/tasks/{await t.RegisterTaskAsync(claimed: true)}/delegate", new { to = "omar" })),
        new("CommentTask", [Agent], async t => Send(HttpMethod.Post, $"/api/tasks/{await t.RegisterTaskAsync()}/comment", new { text = "customer called back" })),
        new("CompleteTask", [Agent], async t => Send(HttpMethod.Post, $"/api/tasks/{await t.RegisterTaskAsync()}/complete",
            new { variables = new { category = "billing", amount = 20, summary = "double charge" } })),
        new("GetTaskCase", [Agent, Supervisor], async t => Get($"/api/tasks/{await t.RegisterTaskAsync()}/case")),
        new("TaskDelegates", [Agent], async t => Get($"/api/tasks/{await t.RegisterTaskAsync()}/delegates")),
        new("TaskEvents", [Agent, Supervisor], _ => Task.FromResult(Get("/api/tasks/events"))),
        new("GetJourney", [Agent, Supervisor], async t => Get($"/api/instances/{await t.ComplaintAsync()}/journey")),
        new("ServiceReport", [Supervisor], _ => Task.FromResult(Get("/api/service-levels/report"))),
        new("Breaches", [Supervisor], _ => Task.FromResult(Get("/api/service-levels/breaches"))),
        new("ListIncidents", [Supervisor, Operator], _ => Task.FromResult(Get("/api/incidents"))),
        new("RetryIncident", [Operator], async t => Send(HttpMethod.Post, $"/api/incidents/{await t.IncidentAsync()}/retry")),
        new("ListParkedMessages", [Supervisor, Operator], _ => Task.FromResult(Get("/api/parked-messages"))),
        new("SendParkedMessageAgain", [Operator], async t => Send(HttpMethod.Post, $"/api/parked-messages/{await t.ParkedMessageAsync()}/send-again")),
        new("ModifyInstance", [Operator], async t => Send(HttpMethod.Post, $"/api/instances/{await t.ComplaintAsync()}/modification",
            new { reason = "matrix", variables = new[] { new { values = new { note = "checked" } } } })),
        new("CreateBatch", [Operator], _ => Task.FromResult(Send(HttpMethod.Post, "/api/batches",
            new { kind = "cancel", selection = new { journey = "complaint", variables = new[] { new { name = "amount", comparison = "gte", value = 1e9 } } }, reason = "matrix" }))),
        new("ListBatches", [Operator, Supervisor], _ => Task.FromResult(Get("/api/batches"))),
        new("GetBatch", [Operator, Supervisor], async t => Get($"/api/batches/{await t.BatchAsync()}")),
        new("PauseBatch", [Operator], async t => Send(HttpMethod.Post, $"/api/batches/{await t.BatchAsync()}/pause")),
        new("ResumeBatch", [Operator], async t => Send(HttpMethod.Post, $"/api/batches/{await t.BatchAsync()}/resume")),
        new("BatchResults", [Operator, Supervisor], async t => Get($"/api/batches/{await t.BatchAsync()}/results")),
        new("DryRunMigration", [Operator, BranchAdmin], _ => Task.FromResult(Send(HttpMethod.Post, "/api/migrations/dry-run", new { journey = "complaint", targetVersion = 1 }))),
        new("RunMigration", [Operator, BranchAdmin], async t => Send(HttpMethod.Post, "/api/migrations",
            new { journey = "complaint", targetVersion = 1, selection = new { instanceIds = new[] { await t.ComplaintAsync() } }, reason = "matrix", paused = true })),
        new("GetMigration", [Operator, BranchAdmin, Supervisor], async t => Get($"/api/migrations/{await t.MigrationAsync()}")),
        new("MigrationResults", [Operator, BranchAdmin, Supervisor], async t => Get($"/api/migrations/{await t.MigrationAsync()}/results")),
        new("ActivateJobs", [Worker], _ => Task.FromResult(Send(HttpMethod.Post, "/api/jobs/activation", new { type = "matrix-nothing" }))),
        new("CompleteJob", [Worker], async t => Send(HttpMethod.Post, $"/api/jobs/{await t.JobAsync()}/completion", new { variables = new { done = true } })),
        new("FailJob", [Worker], async t => Send(HttpMethod.Post, $"/api/jobs/{await t.JobAsync()}/failure", new { retries = 1, errorMessage = "down" })),
        new("ThrowJobError", [Worker], async t => Send(HttpMethod.Post, $"/api/jobs/{await t.JobAsync()}/error", new { errorCode = "NOPE" })),
        new("UpdateJobTimeout", [Worker], async t => Send(HttpMethod.Patch, $"/api/jobs/{await t.JobAsync()}", new { timeout = 60_000 })),
        new("GetClock", [.. Staff, Worker], _ => Task.FromResult(Get("/api/clock"))),
        // A branch admin of one branch may not move the clock (it moves every branch's deadlines): a central one may.
        new("MoveClock", [], _ => Task.FromResult(Send(HttpMethod.Post, "/api/clock", new { advance = "PT1M" }))),
        new("ResetClock", [], _ => Task.FromResult(Send(HttpMethod.Delete, "/api/clock"))),
        new("SearchInstances", [Supervisor, Operator], _ => Task.FromResult(Get("/api/instances/search?journey=complaint&state=active&var.amount.gte=0"))),
        new("SearchableVariables", [Supervisor, Operator], _ => Task.FromResult(Get("/api/instances/searchable-variables?journey=complaint"))),
        new("InspectInstance", [Supervisor, Operator], async t => Get($"/api/instances/{await t.ComplaintAsync()}/inspection")),
        new("CancelInstanceWithReason", [Operator], async t => Send(HttpMethod.Post, $"/api/instances/{await t.ComplaintAsync()}/cancellation", new { reason = "matrix" })),
    ];

    private static IEnumerable<TestCaseData> Cases() =>
        Scenarios.SelectMany(s => Callers.Select(user => new TestCaseData(s, user).SetArgDisplayNames(s.Endpoint, user))
            .Append(new TestCaseData(s, null).SetArgDisplayNames(s.Endpoint, "anonymous")));

    [TestCaseSource(nameof(Cases))]
    public async Task Each_endpoint_answers_each_role_as_its_policy_says(Scenario scenario, string? user)
    {
        using var request = await scenario.Request(this);
        var client = user switch
        {
            null => _host.Anonymous(),
            Worker => WorkerClient(),
            _ => await ClientAsync(user),
        };
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        if (user is null)
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), body);
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        }
        else if (scenario.Allowed.Contains(user))
        {
            Assert.That((int)response.StatusCode, Is.InRange(200, 299), body);
        }
        else
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), body);
        }
    }

    private static readonly (string Path, string[] Owners)[] Pages =
        [("/designer", [Analyst]), ("/inbox", [Agent]), ("/board", [Supervisor]), ("/tracker", [Customer]), ("/operate", [Operator, Supervisor]), ("/branch", [BranchAdmin]), ("/decisions", [Analyst]), ("/account", Everyone)];

    private static IEnumerable<TestCaseData> PageCases() =>
        Pages.SelectMany(p => Everyone.Append(null).Select(user => new TestCaseData(p.Path, p.Owners, user).SetArgDisplayNames(p.Path, user ?? "anonymous")));

    [TestCaseSource(nameof(PageCases))]
    public async Task Each_page_opens_for_its_role_sends_strangers_to_the_sign_in_and_refuses_other_roles(string path, string[] owners, string? user)
    {
        var client = user is null ? _host.Factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false }) : await ClientAsync(user);
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();

        if (user is null)
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
            Assert.That(response.Headers.Location?.ToString(), Is.EqualTo("/signin?returnUrl=" + Uri.EscapeDataString(path)));
        }
        else if (owners.Contains(user))
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(body, Does.StartWith("<!doctype html>"));
        }
        else
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(body, Does.Contain("This page is for the"));
        }
    }

    [Test]
    public void Every_endpoint_of_the_host_is_in_the_matrix_or_explicitly_open()
    {
        var open = new[] { "/health/live", "/health/ready", "/metrics", "/openapi/{documentName}.json", "/api/auth/sign-in", "/api/auth/sign-out", "/api/auth/antiforgery", "/signin", "/",
            // The API reference (Scalar) and its scripts: they read the OpenAPI document, which is open too.
            "/api-reference/{documentName?}", "/api-reference/scalar.js", "/api-reference/scalar.aspnetcore.js", "/api-reference/favicon.svg" };
        var pages = Pages.Select(p => p.Path).ToList();
        var endpoints = _host.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();

        using (Assert.EnterMultipleScope())
        {
            foreach (var endpoint in endpoints)
            {
                var route = endpoint.RoutePattern.RawText!;
                var anonymous = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
                if (open.Contains(route))
                {
                    Assert.That(anonymous, Is.True, $"{route} is open on purpose");
                    continue;
                }

                if (pages.Contains(route))
                {
                    Assert.That(endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>(), Is.Not.Empty, $"the page {route} has no authorization decision");
                    continue;
                }

                var name = endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName;
                Assert.That(Scenarios.Select(s => s.Endpoint), Does.Contain(name), $"{route} ({name}) has no row in the matrix");
                Assert.That(anonymous, Is.False, $"{route} must not be open");
                Assert.That(endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>(), Is.Not.Empty, $"{route} has no authorization decision of its own");
            }

            Assert.That(endpoints.Count, Is.EqualTo(Scenarios.Length + open.Length + pages.Count), "one row per endpoint, one endpoint per row");
        }
    }
}
