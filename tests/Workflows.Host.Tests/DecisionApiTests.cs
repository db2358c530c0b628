using System.Net;
using System.Net.Http.Json;
using System.Text;

namespace Workflows.Host.Tests;

/// <summary>
/// Decisions through HTTP: a BPMN and a DMN file deployed as one deployment, versions with their stage, a branch's pin
/// choosing the version its agents' evaluations and business rule tasks use, and what other callers try refused; the
/// standard that approval alone does not move and a rollback returns to (review18 F12), and an evaluation for a branch
/// that reads the branch's parameters, never a caller's own (F14).
/// </summary>
[NonParallelizable]
public sealed class DecisionApiTests
{
    private TestHost _host = null!;

    [OneTimeSetUp]
    public void StartTheHost() => _host = TestHost.Start();

    [OneTimeTearDown]
    public async Task StopTheHost() => await _host.DisposeAsync();

    /// <summary>A one-table decision <paramref name="id"/>: "agent" up to <paramref name="limit"/>, "manager" above (also DecisionGovernanceApiTests').</summary>
    internal static string Dmn(string id, int limit) => $$"""
        <definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="Levels" namespace="urn:api">
          <decision id="{{id}}" name="Approval level"><decisionTable hitPolicy="UNIQUE">
            <input label="Amount"><inputExpression typeRef="number"><text>amount</text></inputExpression></input><output name="level" typeRef="string"/>
            <rule id="small"><inputEntry><text>&lt;= {{limit}}</text></inputEntry><outputEntry><text>"agent"</text></outputEntry></rule>
            <rule id="large"><inputEntry><text>&gt; {{limit}}</text></inputEntry><outputEntry><text>"manager"</text></outputEntry></rule>
          </decisionTable></decision>
        </definitions>
        """;

    private static string Bpmn(string processId, string decisionId) => $"""
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:wf="urn:workflows:bpmn:1.0" id="b" targetNamespace="t">
          <bpmn:process id="{processId}" isExecutable="true"><bpmn:extensionElements><wf:journey branch="=branch"/></bpmn:extensionElements>
            <bpmn:startEvent id="s"/>
            <bpmn:businessRuleTask id="decide"><bpmn:extensionElements><zeebe:calledDecision decisionId="{decisionId}" resultVariable="level" bindingType="latest"/></bpmn:extensionElements></bpmn:businessRuleTask>
            <bpmn:userTask id="review"/>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="decide"/><bpmn:sequenceFlow id="f2" sourceRef="decide" targetRef="review"/>
          </bpmn:process>
        </bpmn:definitions>
        """;

    private static MultipartFormDataContent Files(params (string Name, string Xml)[] files)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, xml) in files)
        {
            form.Add(new StringContent(xml, System.Text.Encoding.UTF8, "application/xml"), "files", name);
        }

        return form;
    }

    [Test]
    public async Task A_branch_pinned_to_a_decision_version_another_analyst_approved_evaluates_it_and_unpinned_branches_and_central_teams_the_standard()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (decision, process) = ("level-" + suffix, "ruled-" + suffix);
        var analyst = await _host.As("alice");
        using var form = Files(("claim.bpmn", Bpmn(process, decision)), ("levels.dmn", Dmn(decision, 1000)));
        using var both = await analyst.PostAsync(new Uri("/api/definitions", UriKind.Relative), form);
        var deployed = await both.JsonAsync(HttpStatusCode.Created);
        using var second = await analyst.PostAsync(new Uri("/api/decisions", UriKind.Relative), new StringContent(Dmn(decision, 2000), System.Text.Encoding.UTF8, "application/xml"));
        await second.JsonAsync(HttpStatusCode.Created);
        var admin = await _host.As("bruno");
        using var unapproved = await admin.PutAsJsonAsync($"/api/branches/paris-01/decision-pins/{decision}", new { version = 1 });
        using var ownApproval = await analyst.PostAsJsonAsync($"/api/decisions/{decision}/versions/1/approval", new { reason = "the old limit for Paris" });
        await (await _host.As("ines")).PostJsonAsync($"/api/decisions/{decision}/versions/1/approval", new { reason = "the old limit for Paris" });
        using var pinned = await admin.PutAsJsonAsync($"/api/branches/paris-01/decision-pins/{decision}", new { version = 1 });
        var agent = await _host.As("ann");
        var paris = await agent.PostJsonAsync($"/api/decisions/{decision}/evaluate", new { variables = new { amount = 1500 } });
        var central = _host.WithToken(("sub", "cora"), ("role", "supervisor"), ("branch", "*"));
        var standard = await central.PostJsonAsync($"/api/decisions/{decision}/evaluate", new { variables = new { amount = 1500 } });
        var lyon = await _host.WithToken(("sub", "leo"), ("role", "agent"), ("branch", "lyon-01")).PostJsonAsync($"/api/decisions/{decision}/evaluate", new { variables = new { amount = 1500 } });
        var versions = await agent.GetJsonAsync($"/api/decisions/{decision}");
        var instance = await agent.StartAsync(process, new { amount = 1500 });
        var inspected = await (await _host.As("sofia")).GetJsonAsync($"/api/instances/{instance}/inspection");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(deployed.GetProperty("processes")[0].GetProperty("processId").GetString(), Is.EqualTo(process));
            Assert.That(deployed.GetProperty("decisions")[0].GetProperty("version").GetInt32(), Is.EqualTo(1));
            Assert.That(both.Headers.Location?.ToString(), Is.EqualTo($"/api/definitions/{process}"));
            Assert.That(second.Headers.Location?.ToString(), Is.EqualTo($"/api/decisions/{decision}"));
            Assert.That(await unapproved.ProblemAsync(HttpStatusCode.Conflict), Does.Contain($"version 1 of decision '{decision}': it is deployed (by alice), not approved"));
            Assert.That(await ownApproval.ProblemAsync(HttpStatusCode.Conflict), Does.Contain("four-eyes rule"));
            Assert.That(pinned.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((paris.GetProperty("version").GetInt32(), paris.GetProperty("value").GetString()), Is.EqualTo((1, "manager")));
            Assert.That(paris.GetProperty("branch").GetString(), Is.EqualTo("paris-01"));
            Assert.That(paris.GetProperty("decisions")[0].GetProperty("matchedRules")[0].GetProperty("ruleId").GetString(), Is.EqualTo("large"));
            Assert.That((standard.GetProperty("version").GetInt32(), standard.GetProperty("value").GetString()), Is.EqualTo((1, "manager")),
                "a central team evaluates the standard, not version 2 that nobody approved (review18 F5)");
            Assert.That(lyon.GetProperty("version").GetInt32(), Is.EqualTo(1), "a branch that pins nothing evaluates the standard, not a version only deployed");
            Assert.That(versions.EnumerateArray().Select(v => v.GetProperty("stage").GetString()), Is.EqualTo(new[] { "approved", "deployed" }).IgnoreCase);
            Assert.That(inspected.GetProperty("scope").ToString(), Does.Contain("manager"));
            Assert.That(inspected.GetProperty("history").EnumerateArray().Any(h => h.GetProperty("kind").GetString() == "decision-evaluated"), Is.True);
        }
    }

    [Test]
    public async Task Another_branchs_pin_an_unknown_decision_a_broken_or_oversized_model_and_a_customer_are_refused_by_name()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var analyst = await _host.As("alice");
        using var ok = await analyst.PostAsync(new Uri("/api/decisions", UriKind.Relative), new StringContent(Dmn("refused-" + suffix, 10), System.Text.Encoding.UTF8, "application/xml"));
        await ok.JsonAsync(HttpStatusCode.Created);
        var agent = await _host.As("ann");

        using var otherBranch = await agent.PostAsJsonAsync($"/api/decisions/refused-{suffix}/evaluate", new { branch = "lyon-01", variables = new { amount = 1 } });
        using var unknown = await agent.PostAsJsonAsync("/api/decisions/nothing-here/evaluate", new { variables = new { } });
        using var otherPin = await (await _host.As("bruno")).PutAsJsonAsync($"/api/branches/lyon-01/decision-pins/refused-{suffix}", new { version = 1 });
        using var unknownVersion = await (await _host.As("bruno")).PutAsJsonAsync($"/api/branches/paris-01/decision-pins/refused-{suffix}", new { version = 9 });
        using var broken = await analyst.PostAsync(new Uri("/api/decisions", UriKind.Relative), new StringContent(Dmn("broken-" + suffix, 10).Replace("&lt;= 10", "&lt;= (", StringComparison.Ordinal), System.Text.Encoding.UTF8, "application/xml"));
        using var huge = await analyst.PostAsync(new Uri("/api/decisions", UriKind.Relative), new StringContent(new string(' ', 3 << 20) + Dmn("huge", 1), System.Text.Encoding.UTF8, "application/xml"));
        using var customer = await (await _host.As("carla")).PostAsJsonAsync($"/api/decisions/refused-{suffix}/evaluate", new { variables = new { amount = 1 } });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await otherBranch.ProblemAsync(HttpStatusCode.Forbidden), Does.Contain("branch 'lyon-01'"));
            Assert.That(await unknown.ProblemAsync(HttpStatusCode.NotFound), Does.Contain("decision 'nothing-here' is not deployed"));
            Assert.That(await otherPin.ProblemAsync(HttpStatusCode.Forbidden), Does.Contain("lyon-01"));
            Assert.That(await unknownVersion.ProblemAsync(HttpStatusCode.NotFound), Does.Contain("version 9 is not deployed"));
            var refused = await broken.JsonAsync(HttpStatusCode.UnprocessableEntity);
            Assert.That(refused.ToString(), Does.Contain("DMN_FEEL_SYNTAX"));
            Assert.That(refused.GetProperty("title").GetString(), Is.EqualTo("The DMN document has errors"), "a refused DMN deploy names a DMN document");
            Assert.That(huge.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
            Assert.That(customer.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        }
    }

    private async Task<(int Version, string? Value)> EvaluateAsAnnAsync(string decision)
    {
        var answer = await (await _host.As("ann")).PostJsonAsync($"/api/decisions/{decision}/evaluate", new { variables = new { amount = 500 } });
        return (answer.GetProperty("version").GetInt32(), answer.GetProperty("value").GetString());
    }

    [Test]
    public async Task Approving_a_decision_version_leaves_unpinned_branches_on_the_standard_and_a_rolled_back_pilot_returns_to_it()
    {
        var decision = "route-" + Guid.NewGuid().ToString("N")[..8];
        var alice = await _host.As("alice");
        foreach (var limit in new[] { 100, 1_000_000 })
        {
            using var deployed = await alice.PostAsync(new Uri("/api/decisions", UriKind.Relative), new StringContent(Dmn(decision, limit), Encoding.UTF8, "application/xml"));
            await deployed.JsonAsync(HttpStatusCode.Created);
        }

        var ines = await _host.As("ines");
        await ines.PostJsonAsync($"/api/decisions/{decision}/versions/1/approval", new { reason = "ok" });
        var beforeApproval = await EvaluateAsAnnAsync(decision);
        await ines.PostJsonAsync($"/api/decisions/{decision}/versions/2/approval", new { reason = "raise the desk limit" });
        var afterApproval = await EvaluateAsAnnAsync(decision);
        var central = _host.WithToken(("sub", "cleo"), ("role", "branch-admin"), ("branch", "*"));
        var rollout = await central.PostJsonAsync("/api/rollouts", new
        {
            decision, version = 2, reason = "pilot",
            waves = new[] { new { name = "pilot", branches = new[] { "paris-01" } }, new { name = "rest", branches = new[] { "lyon-01" } } },
        }, HttpStatusCode.Created);
        var id = rollout.GetProperty("id").GetString();
        var pilot = await central.PostJsonAsync($"/api/rollouts/{id}/advance", new { reason = "go", wave = "pilot" });
        var duringPilot = await EvaluateAsAnnAsync(decision);
        await central.PostJsonAsync($"/api/rollouts/{id}/rollback", new { reason = "complaints went up" });
        var afterRollback = await EvaluateAsAnnAsync(decision);
        var versions = await alice.GetJsonAsync($"/api/decisions/{decision}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(beforeApproval, Is.EqualTo((1, "manager")));
            Assert.That(afterApproval, Is.EqualTo((1, "manager")), "the approval alone puts version 2 live nowhere");
            Assert.That(pilot.GetProperty("waves")[0].GetProperty("ran").GetProperty("paris-01").GetInt32(), Is.EqualTo(1), "what Paris ran before the pilot");
            Assert.That(duringPilot, Is.EqualTo((2, "agent")));
            Assert.That(afterRollback, Is.EqualTo((1, "manager")), "the rollback returns Paris to what it ran");
            Assert.That(versions.EnumerateArray().Select(v => (v.GetProperty("version").GetInt32(), v.GetProperty("standard").GetBoolean())),
                Is.EqualTo(new[] { (1, true), (2, false) }));
        }
    }

    [Test]
    public async Task An_agents_evaluation_of_the_front_desk_authority_reads_its_branchs_parameter_and_a_forged_one_is_refused_by_name()
    {
        const string Decision = "complaint-front-desk-authority";
        var ann = await _host.As("ann");
        var parameters = await (await _host.As("bruno")).GetJsonAsync("/api/branches/paris-01/parameters/complaint");
        var authority = parameters.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "frontDeskAuthority").GetProperty("reads").GetString();
        var evaluated = await ann.PostJsonAsync($"/api/decisions/{Decision}/evaluate", new { variables = new { amount = 100, repeatComplaint = false } });
        using var forged = await ann.PostAsJsonAsync($"/api/decisions/{Decision}/evaluate",
            new { variables = new { amount = 100, repeatComplaint = false, branchSettings = new { frontDeskAuthority = 1_000_000 }, calendar = "x" } });
        using var journeyWithoutBranch = await _host.WithToken(("sub", "cora"), ("role", "supervisor"), ("branch", "*"))
            .PostAsJsonAsync($"/api/decisions/{Decision}/evaluate", new { journey = "complaint", variables = new { amount = 100 } });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(authority, Is.EqualTo("150"), "the quick start's Paris settles up to 150 at the desk");
            Assert.That(evaluated.GetProperty("value").GetString(), Is.EqualTo("front desk"), "as a Paris complaint of 100 is routed");
            Assert.That(evaluated.GetProperty("warnings").GetArrayLength(), Is.Zero);
            Assert.That(evaluated.GetProperty("journeys").EnumerateArray().Select(j => j.GetString()), Is.EqualTo(new[] { "complaint" }));
            Assert.That(await forged.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("variables.branchSettings, variables.calendar: set by the engine alone"));
            Assert.That(await journeyWithoutBranch.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("journey: a journey's parameters are a branch's"));
        }
    }
}
