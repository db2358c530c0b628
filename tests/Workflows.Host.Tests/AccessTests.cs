using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Workflows.Host.Tests;

/// <summary>
/// Authorization checked against the instance a command touches: messages reach only the caller's branch, a staff
/// token must name its branch, customers give only the input the journey declares, and nobody sets system variables.
/// </summary>
[NonParallelizable]
public sealed class AccessTests
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

    private HttpClient LyonAgent() => _host.WithToken(("sub", "luc"), ("role", "agent"), ("branch", "lyon-01"), ("queue", "front-desk"));

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var problem = await response.JsonAsync(status);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        return problem;
    }

    [Test]
    public async Task An_agent_of_another_branch_moves_no_instance_by_message_and_may_not_buffer_one_while_the_own_branch_agent_does()
    {
        var ann = await _host.As("ann");
        var id = await ann.StartAsync(HardeningProcess.Id, businessKey: "H-MSG-1");
        var lyon = LyonAgent();

        using var foreign = await lyon.PostAsJsonAsync("/api/messages", new { name = "HardeningReply", correlationKey = "H-MSG-1", variables = new { note = "moved" } });
        using var buffered = await lyon.PostAsJsonAsync("/api/messages", new { name = "HardeningReply", correlationKey = "H-MSG-1", timeToLive = "PT1H" });
        var stillWaiting = await ann.GetJsonAsync($"/api/instances/{id}");
        using var sneaky = await ann.PostAsJsonAsync("/api/messages", new { name = "HardeningReply", correlationKey = "H-MSG-1", variables = new { branch = "lyon-01", caseId = "X" } });
        var own = await ann.PostJsonAsync("/api/messages", new { name = "HardeningReply", correlationKey = "H-MSG-1", variables = new { note = "replied" } });
        var moved = await (await _host.As("sofia")).GetJsonAsync($"/api/instances/{id}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(foreign.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "nothing of lyon-01 waits for it");
            Assert.That((await ProblemAsync(buffered, HttpStatusCode.Forbidden)).GetProperty("detail").GetString(), Does.Contain("timeToLive"));
            Assert.That(stillWaiting.GetProperty("activeElements").EnumerateArray().Select(a => a.GetProperty("elementId").GetString()), Is.EqualTo(new[] { "reply" }));
            Assert.That((await ProblemAsync(sneaky, HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), Does.Contain("variables.branch").And.Contain("variables.caseId"));
            Assert.That(own.GetProperty("correlatedInstances").GetInt32(), Is.EqualTo(1));
            Assert.That(moved.GetProperty("variables").GetProperty("note").GetString(), Is.EqualTo("replied"));
            Assert.That(moved.GetProperty("branch").GetString(), Is.EqualTo("paris-01"));
        }
    }

    [Test]
    public async Task A_staff_token_without_a_branch_claim_is_refused_and_never_read_as_every_branch()
    {
        var noBranch = _host.WithToken(("sub", "nobody"), ("role", "agent"), ("queue", "front-desk"));
        var supervisor = _host.WithToken(("sub", "nobody"), ("role", "supervisor"));
        var analyst = _host.WithToken(("sub", "ana"), ("role", "analyst"));

        using var tasks = await noBranch.GetAsync(new Uri("/api/tasks", UriKind.Relative));
        using var instances = await supervisor.GetAsync(new Uri("/api/instances", UriKind.Relative));
        using var library = await analyst.GetAsync(new Uri("/api/definitions", UriKind.Relative));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(tasks.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(instances.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(library.StatusCode, Is.EqualTo(HttpStatusCode.OK), "an analyst works for the library, not a branch");
        }
    }

    [Test]
    public async Task Task_and_instance_commands_of_an_agent_of_another_branch_are_refused_on_the_instance_they_touch()
    {
        var ann = await _host.As("ann");
        var id = await ann.StartAsync(HardeningProcess.Id, businessKey: "H-BRANCH-1");
        await ann.PostJsonAsync("/api/messages", new { name = "HardeningReply", correlationKey = "H-BRANCH-1" });
        var task = await ann.TaskAsync(id, "rate");
        var lyon = LyonAgent();

        using var claim = await lyon.PostAsync(new Uri($"/api/tasks/{task}/claim", UriKind.Relative), null);
        using var complete = await lyon.PostAsJsonAsync($"/api/tasks/{task}/complete", new { variables = new { score = 5 } });
        using var cancel = await lyon.PostAsync(new Uri($"/api/instances/{id}/cancel", UriKind.Relative), null);
        using var start = await lyon.PostAsJsonAsync("/api/instances", new { journey = HardeningProcess.Id, branch = "paris-01" });
        var after = await ann.GetJsonAsync($"/api/instances/{id}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await ProblemAsync(claim, HttpStatusCode.NotFound)).GetProperty("detail").GetString(), Is.EqualTo($"user task {task} does not exist"), "as if it did not exist");
            Assert.That(complete.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That((await ProblemAsync(cancel, HttpStatusCode.NotFound)).GetProperty("detail").GetString(), Is.EqualTo($"process instance {id} does not exist"));
            Assert.That((await ProblemAsync(start, HttpStatusCode.Forbidden)).GetProperty("detail").GetString(), Is.EqualTo("starting a journey of branch 'paris-01': luc works for branch 'lyon-01' only"),
                "a branch the caller named is named back, with the caller's own");
            Assert.That(after.GetProperty("status").GetString(), Is.EqualTo("active"));
            Assert.That(after.GetProperty("tasks")[0].GetProperty("assignee").ValueKind, Is.EqualTo(JsonValueKind.Null));
        }
    }

    [Test]
    public async Task A_customer_gives_only_the_input_the_start_event_declares_and_the_case_is_hers_with_the_engine_s_case_id()
    {
        var carla = await _host.As("carla");
        var ann = await _host.As("ann");

        var raised = await carla.PostJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", variables = new { summary = "charged twice" } }, HttpStatusCode.Created);
        using var authority = await carla.PostAsJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", variables = new { summary = "refund", branchSettings = new { frontDeskAuthority = 10000 } } });
        using var caseId = await carla.PostAsJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", variables = new { caseId = "C-OTHER" } });
        using var other = await carla.PostAsJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", variables = new { customerId = "cust-2", priority = 99 } });
        using var tooLong = await carla.PostAsJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", variables = new { summary = new string('x', 2001) } });
        using var undeclared = await carla.PostAsJsonAsync("/api/instances", new { journey = HardeningProcess.RegexId, branch = "paris-01", variables = new { text = "a" } });
        // A supervisor reads every variable; an agent only the case data the journey declares (below).
        var instance = await (await _host.As("sofia")).GetJsonAsync($"/api/instances/{raised.GetProperty("id").GetString()}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(instance.GetProperty("variables").GetProperty("customerId").GetString(), Is.EqualTo("cust-1001"));
            Assert.That(instance.GetProperty("variables").GetProperty("caseId").GetString(), Is.EqualTo(raised.GetProperty("businessKey").GetString()));
            Assert.That(instance.GetProperty("variables").GetProperty("summary").GetString(), Is.EqualTo("charged twice"));
            Assert.That((await ProblemAsync(authority, HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), Does.Contain("variables.branchSettings"));
            Assert.That((await ProblemAsync(caseId, HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), Does.Contain("variables.caseId"));
            Assert.That((await ProblemAsync(other, HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), Does.Contain("variables.customerId, variables.priority"));
            Assert.That((await ProblemAsync(tooLong, (HttpStatusCode)422)).GetProperty("errors").GetProperty("summary").GetString(), Does.Contain("at most 2,000 characters"));
            Assert.That((await ProblemAsync(undeclared, HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), Does.Contain("variables.text").And.Contain("its fields: none"));
        }
    }

    [Test]
    public async Task An_agent_reads_of_an_instance_only_the_case_data_its_journey_declares_while_a_supervisor_reads_every_variable()
    {
        var id = "case-data-" + Guid.NewGuid().ToString("N")[..8];
        using var journey = new StringContent($"""
            <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:wf="urn:workflows:bpmn:1.0" id="d" targetNamespace="t">
              <bpmn:process id="{id}" isExecutable="true">
                <bpmn:extensionElements><wf:journey branch="=branch"/><wf:caseData><wf:show variable="summary" label="What the customer wrote"/></wf:caseData></bpmn:extensionElements>
                <bpmn:startEvent id="s"/>
                <bpmn:userTask id="review" name="Review"><bpmn:extensionElements><zeebe:assignmentDefinition candidateGroups="front-desk"/></bpmn:extensionElements></bpmn:userTask>
                <bpmn:endEvent id="e"/>
                <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review"/><bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="e"/>
              </bpmn:process>
            </bpmn:definitions>
            """, System.Text.Encoding.UTF8, "application/xml");
        using var deployed = await (await _host.As("alice")).PostAsync(new Uri("/api/definitions", UriKind.Relative), journey);
        Assert.That(deployed.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        var ann = await _host.As("ann");
        var instance = await ann.StartAsync(id, new { summary = "billed twice", secret = "p-secret-4", score = 412 });

        var asAgent = await ann.GetJsonAsync($"/api/instances/{instance}");
        var asLyonAgent = await LyonAgent().GetAsync(new Uri($"/api/instances/{instance}", UriKind.Relative));
        var asSupervisor = await (await _host.As("sofia")).GetJsonAsync($"/api/instances/{instance}");
        var task = await ann.TaskAsync(instance, "review");
        var taskCase = await ann.GetJsonAsync($"/api/tasks/{task}/case");
        var listed = await ann.GetJsonAsync($"/api/instances?journey={id}&branch=paris-01");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(asAgent.GetProperty("variables").EnumerateObject().Select(v => v.Name), Is.EqualTo(new[] { "summary" }), "only the declared case data");
            Assert.That(asAgent.GetRawText(), Does.Not.Contain("p-secret-4").And.Not.Contain("412"));
            Assert.That(asAgent.GetProperty("tasks").GetArrayLength(), Is.EqualTo(1), "the rest of the view stays");
            Assert.That(asLyonAgent.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "another branch's instance is as an unknown one");
            Assert.That(asSupervisor.GetProperty("variables").GetProperty("secret").GetString(), Is.EqualTo("p-secret-4"));
            Assert.That(taskCase.GetRawText(), Does.Not.Contain("p-secret-4"));
            Assert.That(listed.GetRawText(), Does.Not.Contain("p-secret-4"), "lists carry no variables");
        }
    }

    [Test]
    public async Task No_agent_sets_a_system_variable_at_a_start_or_a_completion()
    {
        var ann = await _host.As("ann");
        using var start = await ann.PostAsJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", variables = new { customerId = "c-sys", branchSettings = new { frontDeskAuthority = 10000 }, calendar = "none" } });
        var register = await ann.TaskAsync(await ann.StartAsync("complaint", new { customerId = "c-sys" }), "register");
        using var complete = await ann.PostAsJsonAsync($"/api/tasks/{register}/complete", new { variables = new { category = "billing", amount = 20, summary = "x", branch = "lyon-01" } });

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await ProblemAsync(start, HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), Does.Contain("variables.branchSettings, variables.calendar"));
            Assert.That((await ProblemAsync(complete, HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), Does.Contain("variables.branch"));
        }
    }
}
