using System.Net;
using System.Net.Http.Json;
using System.Text;

namespace Workflows.Host.Tests;

/// <summary>
/// Review10-18 through HTTP: a decision nobody approved is refused to a branch by name (F1); what a branch is told its
/// tasks decide with follows each task's binding (F2); DMN ids too long or no XML ids, and a DTD, are DMN findings (F3,
/// F4, F11); an evaluation's request is bounded and read as strictly as the pin's (F10).
/// </summary>
[NonParallelizable]
public sealed class DecisionGovernanceApiTests
{
    private TestHost _host = null!;

    [OneTimeSetUp]
    public void StartTheHost() => _host = TestHost.Start();

    [OneTimeTearDown]
    public async Task StopTheHost() => await _host.DisposeAsync();

    private static string Dmn(string id, int limit) => DecisionApiTests.Dmn(id, limit);

    private static string Bpmn(string processId, string decisionId, string binding) => $"""
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:wf="urn:workflows:bpmn:1.0" id="b" targetNamespace="t">
          <bpmn:process id="{processId}" isExecutable="true"><bpmn:extensionElements><wf:journey branch="=branch"/></bpmn:extensionElements>
            <bpmn:startEvent id="s"/>
            <bpmn:businessRuleTask id="decide" name="Level"><bpmn:extensionElements><zeebe:calledDecision decisionId="{decisionId}" resultVariable="level" bindingType="{binding}"/></bpmn:extensionElements></bpmn:businessRuleTask>
            <bpmn:userTask id="review"/>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="decide"/><bpmn:sequenceFlow id="f2" sourceRef="decide" targetRef="review"/>
          </bpmn:process>
        </bpmn:definitions>
        """;

    private static StringContent Xml(string xml) => new(xml, Encoding.UTF8, "application/xml");

    private async Task<(string Decision, string Process)> DeployTogetherAsync(string binding)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (decision, process) = ("gov-" + suffix, "gov-claim-" + suffix);
        using var form = new MultipartFormDataContent
        {
            { new StringContent(Bpmn(process, decision, binding), Encoding.UTF8, "application/xml"), "files", "claim.bpmn" },
            { new StringContent(Dmn(decision, 1000), Encoding.UTF8, "application/xml"), "files", "levels.dmn" },
        };
        using var deployed = await (await _host.As("alice")).PostAsync(new Uri("/api/definitions", UriKind.Relative), form);
        await deployed.JsonAsync(HttpStatusCode.Created);
        return (decision, process);
    }

    [Test]
    public async Task An_agents_evaluation_of_a_decision_nobody_approved_is_409_naming_it_and_who_deployed_it()
    {
        var (decision, _) = await DeployTogetherAsync("latest");
        using var refused = await (await _host.As("ann")).PostAsJsonAsync($"/api/decisions/{decision}/evaluate", new { variables = new { amount = 1500 } });
        await (await _host.As("ines")).PostJsonAsync($"/api/decisions/{decision}/versions/1/approval", new { reason = "reviewed" });
        var approved = await (await _host.As("ann")).PostJsonAsync($"/api/decisions/{decision}/evaluate", new { variables = new { amount = 1500 } });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await refused.ProblemAsync(HttpStatusCode.Conflict), Does.Contain($"decision '{decision}' has no approved version").And.Contain("branch 'paris-01'").And.Contain("(by alice)"));
            Assert.That(approved.GetProperty("version").GetInt32(), Is.EqualTo(1));
        }
    }

    [Test]
    public async Task The_branchs_decision_callers_and_its_evaluation_name_the_version_a_task_bound_by_deployment_decides_with()
    {
        var (decision, process) = await DeployTogetherAsync("deployment");
        using var second = await (await _host.As("alice")).PostAsync(new Uri("/api/decisions", UriKind.Relative), Xml(Dmn(decision, 2000)));
        await second.JsonAsync(HttpStatusCode.Created);
        var ines = await _host.As("ines");
        await ines.PostJsonAsync($"/api/definitions/{process}/versions/1/approval", new { reason = "reviewed" });
        await ines.PostJsonAsync($"/api/decisions/{decision}/versions/1/approval", new { reason = "reviewed" });
        await ines.PostJsonAsync($"/api/decisions/{decision}/versions/2/approval", new { reason = "reviewed" });
        var bruno = await _host.As("bruno");
        using var pinned = await bruno.PutAsJsonAsync($"/api/branches/paris-01/decision-pins/{decision}", new { version = 2 });
        await pinned.JsonAsync(HttpStatusCode.OK);

        var callers = (await bruno.GetJsonAsync("/api/branches/paris-01/decision-callers")).EnumerateArray().Where(c => c.GetProperty("decisionId").GetString() == decision).ToList();
        var evaluated = await (await _host.As("ann")).PostJsonAsync($"/api/decisions/{decision}/evaluate", new { variables = new { amount = 1500 } });
        var asJourney = await (await _host.As("ann")).PostJsonAsync($"/api/decisions/{decision}/evaluate", new { variables = new { amount = 1500 }, branch = "paris-01", journey = process });
        using var otherBranch = await (await _host.As("bruno")).GetAsync(new Uri("/api/branches/lyon-01/decision-callers", UriKind.Relative));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(callers.Select(c => (c.GetProperty("journey").GetString(), c.GetProperty("binding").GetString(), c.GetProperty("version").GetInt32())),
                Is.EqualTo(new[] { (process, "deployment", 1) }));
            Assert.That((evaluated.GetProperty("version").GetInt32(), evaluated.GetProperty("value").GetString()), Is.EqualTo((2, "agent")));
            Assert.That(evaluated.GetProperty("journeys").GetArrayLength(), Is.Zero, "version 2 does not stand for the journey's cases");
            Assert.That(evaluated.GetProperty("callers")[0].GetProperty("version").GetInt32(), Is.EqualTo(1));
            Assert.That((asJourney.GetProperty("version").GetInt32(), asJourney.GetProperty("value").GetString()), Is.EqualTo((1, "manager")), "as the journey's cases decide");
            Assert.That(otherBranch.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        }
    }

    [Test]
    public async Task A_DMN_id_too_long_or_no_XML_id_and_a_DTD_are_422_findings_of_a_DMN_document()
    {
        var alice = await _host.As("alice");
        using var tooLong = await alice.PostAsync(new Uri("/api/decisions", UriKind.Relative), Xml(Dmn(new string('a', 5000), 1)));
        using var slash = await alice.PostAsync(new Uri("/api/decisions", UriKind.Relative), Xml(Dmn("gov/slash", 1)));
        using var dtd = await alice.PostAsync(new Uri("/api/decisions", UriKind.Relative), Xml("<!DOCTYPE d [<!ENTITY x \"y\">]>\n" + Dmn("gov-dtd", 1)));
        var longProblem = await tooLong.JsonAsync(HttpStatusCode.UnprocessableEntity);
        var slashProblem = await slash.JsonAsync(HttpStatusCode.UnprocessableEntity);
        var dtdProblem = await dtd.JsonAsync(HttpStatusCode.UnprocessableEntity);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(longProblem.ToString(), Does.Contain("DMN_ID_TOO_LONG").And.Contain("MaxIdLength"));
            Assert.That(slashProblem.ToString(), Does.Contain("DMN_ID_INVALID").And.Contain("gov/slash"));
            Assert.That(dtdProblem.GetProperty("title").GetString(), Is.EqualTo("The DMN document has errors"));
            Assert.That(dtdProblem.ToString(), Does.Contain("not allowed in DMN documents"));
        }
    }

    [Test]
    public async Task An_evaluation_over_the_variables_limits_or_with_version_as_text_is_400_naming_what()
    {
        var (decision, _) = await DeployTogetherAsync("latest");
        var ann = await _host.As("ann");
        using var big = await ann.PostAsJsonAsync($"/api/decisions/{decision}/evaluate", new { variables = new { amount = 1, big = new string('x', 300_000) } });
        var deep = "1";
        for (var i = 0; i < 200; i++)
        {
            deep = "[" + deep + "]";
        }

        using var nested = await ann.PostAsync(new Uri($"/api/decisions/{decision}/evaluate", UriKind.Relative),
            new StringContent("""{"variables":{"amount":1,"deep":""" + deep + "}}", Encoding.UTF8, "application/json"));
        using var text = await ann.PostAsync(new Uri($"/api/decisions/{decision}/evaluate", UriKind.Relative),
            new StringContent("""{"variables":{"amount":1},"version":"1"}""", Encoding.UTF8, "application/json"));
        using var zero = await ann.PostAsJsonAsync($"/api/decisions/{decision}/evaluate", new { variables = new { amount = 1 }, version = 0 });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await big.ProblemAsync(HttpStatusCode.BadRequest), Does.Contain("Workflows:Limits:MaxVariablesBytes"));
            Assert.That(await nested.ProblemAsync(HttpStatusCode.BadRequest), Does.Contain("deep").And.Contain("MaxVariableDepth"));
            Assert.That(await text.ProblemAsync(HttpStatusCode.BadRequest), Does.Contain("version"));
            Assert.That(await zero.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("version:"));
        }
    }
}
