using System.Text.Json;
using Workflows.Engine.Validation;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Decisions;

public sealed class BusinessRuleTaskTests
{
    private const string Ns = "https://www.omg.org/spec/DMN/20191111/MODEL/";

    // The approval level by amount; the limit tells versions apart, the tag and the diagram are optional.
    internal static string Level(int limit, string? tag = null, string diagram = "") => $$"""
        <definitions xmlns="{{Ns}}" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:dmndi="https://www.omg.org/spec/DMN/20191111/DMNDI/"
                     xmlns:dc="http://www.omg.org/spec/DMN/20180521/DC/" id="levels" name="Levels" namespace="urn:test">
          <decision id="level" name="Approval level">
            {{(tag is null ? "" : $"""<extensionElements><zeebe:versionTag value="{tag}"/></extensionElements>""")}}
            <decisionTable id="t" hitPolicy="UNIQUE">
              <input id="i" label="Amount"><inputExpression typeRef="number"><text>amount</text></inputExpression></input>
              <output id="o" name="level" typeRef="string"/>
              <rule id="small"><inputEntry><text>&lt;= {{limit}}</text></inputEntry><outputEntry><text>"agent"</text></outputEntry></rule>
              <rule id="large"><inputEntry><text>&gt; {{limit}}</text></inputEntry><outputEntry><text>"manager"</text></outputEntry></rule>
            </decisionTable>
          </decision>
          {{diagram}}
        </definitions>
        """;

    private static string Claim(string calledDecision = """<zeebe:calledDecision decisionId="level" resultVariable="level"/>""") => Process("claim", $"""
        <bpmn:startEvent id="s"/>
        <bpmn:businessRuleTask id="decide"><bpmn:extensionElements>{calledDecision}</bpmn:extensionElements></bpmn:businessRuleTask>
        {UserTask("review")}
        {Chain("s", "decide", "review")}
        """, extensions: """<bpmn:extensionElements><wf:journey branch="=branch"/></bpmn:extensionElements>""");

    [Test]
    public async Task A_business_rule_task_writes_the_decisions_value_and_records_its_inputs_matched_rule_and_output()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Level(1000));
        await h.DeployAsync(Claim());

        var instance = await h.StartAsync("claim", Vars(("amount", 1500)));
        var evaluated = (await instance.HistoryAsync()).Single(e => e.Kind == "decision-evaluated");
        using var detail = JsonDocument.Parse(evaluated.Detail!);
        var table = detail.RootElement.GetProperty("decisions")[0];

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.VariableAsync("level"), Is.EqualTo("manager"));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "review" }));
            Assert.That(evaluated.ElementId, Is.EqualTo("decide"));
            Assert.That(detail.RootElement.GetProperty("decisionId").GetString(), Is.EqualTo("level"));
            Assert.That(detail.RootElement.GetProperty("version").GetInt32(), Is.EqualTo(1));
            Assert.That(table.GetProperty("inputs")[0].GetProperty("label").GetString(), Is.EqualTo("Amount"));
            Assert.That(table.GetProperty("inputs")[0].GetProperty("value").GetDecimal(), Is.EqualTo(1500m));
            Assert.That(table.GetProperty("matchedRules")[0].GetProperty("ruleId").GetString(), Is.EqualTo("large"));
            Assert.That(table.GetProperty("output").GetString(), Is.EqualTo("manager"));
        }
    }

    [Test]
    public async Task A_decision_redeployed_with_another_diagram_keeps_its_version_and_a_changed_one_adds_a_version()
    {
        var h = new ProcessTestHarness();
        var first = await h.DeployAsync(Level(1000));
        var redrawn = await h.DeployAsync(Level(1000, diagram: """<dmndi:DMNDI><dmndi:DMNDiagram id="d"><dmndi:DMNShape id="s" dmnElementRef="level"><dc:Bounds height="80" width="180" x="100" y="100"/></dmndi:DMNShape></dmndi:DMNDiagram></dmndi:DMNDI>"""));
        var changed = await h.DeployAsync(Level(2000, tag: "2026-12"));
        var ensured = await h.Engine.Deployments.EnsureDeployedAsync(Level(1000));
        var versions = await h.Engine.Decisions.GetVersionsAsync("level");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Decisions.Select(d => (d.DecisionId, d.Version, d.IsNew)), Is.EqualTo(new[] { ("level", 1, true) }));
            Assert.That(first.Processes, Is.Empty);
            Assert.That((redrawn.Decisions[0].Version, redrawn.Decisions[0].IsNew, redrawn.Decisions[0].DiagramReplaced), Is.EqualTo((1, false, true)));
            Assert.That((changed.Decisions[0].Version, changed.Decisions[0].VersionTag), Is.EqualTo((2, (string?)"2026-12")));
            Assert.That((ensured.Decisions[0].Version, ensured.Decisions[0].IsNew), Is.EqualTo((1, false)), "the library's document some version has is not deployed again");
            Assert.That(versions.Select(v => (v.Version, v.Name, v.Stage)), Is.EqualTo(new[] { (1, "Approval level", VersionStage.Deployed), (2, "Approval level", VersionStage.Deployed) }));
            Assert.That(await h.Engine.Decisions.GetXmlAsync("level", 1), Does.Contain("DMNShape"));
        }
    }

    [Test]
    public async Task A_decision_saved_by_dmn_js_keeps_its_version_where_its_defaults_are_left_out()
    {
        // dmn-js (the decisions page) writes no hitPolicy for UNIQUE, its default, and adds a diagram.
        var h = new ProcessTestHarness();
        await h.DeployAsync(Level(1000));
        var saved = await h.DeployAsync(Level(1000).Replace(" hitPolicy=\"UNIQUE\"", "", StringComparison.Ordinal));
        var first = await h.DeployAsync(Level(1000).Replace("hitPolicy=\"UNIQUE\"", "hitPolicy=\"FIRST\"", StringComparison.Ordinal));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((saved.Decisions[0].Version, saved.Decisions[0].IsNew), Is.EqualTo((1, false)));
            Assert.That((first.Decisions[0].Version, first.Decisions[0].IsNew), Is.EqualTo((2, true)), "another hit policy is another model");
        }
    }

    [Test]
    public async Task A_branch_pinned_to_an_older_decision_version_takes_the_other_path_and_its_evaluations_follow_the_pin()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Level(1000));
        await h.DeployAsync(Level(2000));
        await h.DeployAsync(Claim());
        await h.Engine.Branches.SaveAsync(new Branch("paris-01", "Paris"));
        await h.Engine.Branches.SaveAsync(new Branch("lyon-01", "Lyon"));
        var approved = await h.Engine.Decisions.ApproveAsync("level", 1, "alice", "the old limit stays in Paris");
        await h.Engine.Decisions.PinAsync("paris-01", "level", 1);
        await h.Engine.Decisions.ApproveAsync("level", 2, "bob", "the new limit is the standard");

        // Approval alone moves no branch: a rollout does, and once completed its version is the standard.
        var rollout = await h.Engine.Rollouts.PlanAsync(new PlanRollout("level", 2, [new RolloutWave("Lyon", ["lyon-01"])], "cora", "the new limit") { Subject = RolloutSubject.Decision });
        await h.Engine.Rollouts.AdvanceAsync(rollout.Id, "cora", "Lyon first and last");

        var paris = await h.StartAsync("claim", Vars(("amount", 1500), ("branch", "paris-01")));
        var lyon = await h.StartAsync("claim", Vars(("amount", 1500), ("branch", "lyon-01")));
        var evaluated = await h.Engine.Decisions.EvaluateAsync(new EvaluateDecision("level") { Branch = "paris-01", Variables = Vars(("amount", 1500)) });
        var latest = await h.Engine.Decisions.EvaluateAsync(new EvaluateDecision("level") { Variables = Vars(("amount", 1500)) });
        var versions = await h.Engine.Decisions.GetVersionsAsync("level");
        var unknown = Assert.ThrowsAsync<WorkflowNotFoundException>(() => h.Engine.Decisions.PinAsync("paris-01", "level", 7));
        var twice = Assert.ThrowsAsync<WorkflowConflictException>(() => h.Engine.Decisions.ApproveAsync("level", 1, "bob", "again"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await paris.VariableAsync("level"), Is.EqualTo("manager"), "version 1 sends 1,500 to a manager");
            Assert.That(await lyon.VariableAsync("level"), Is.EqualTo("agent"), "version 2 lets an agent settle 1,500");
            Assert.That((evaluated.Version, evaluated.Value), Is.EqualTo((1, (object?)"manager")));
            Assert.That((latest.Version, latest.Value), Is.EqualTo((2, (object?)"agent")));
            Assert.That(evaluated.Decisions[0].MatchedRules.Select(r => r.RuleId), Is.EqualTo(new[] { "large" }));
            Assert.That(approved.Stage, Is.EqualTo(VersionStage.Approved));
            Assert.That(versions.Select(v => (v.Version, v.Stage, v.PinnedBy.Count, v.Standard)), Is.EqualTo(new[] { (1, VersionStage.Approved, 1, false), (2, VersionStage.RolledOut, 1, true) }));
            Assert.That(unknown!.Message, Does.Contain("decision 'level' version 7 is not deployed"));
            Assert.That(twice!.Message, Does.Contain("was approved by alice"));
        }
    }

    [Test]
    public async Task The_version_tag_and_deployment_bindings_choose_the_tagged_version_and_the_one_deployed_with_the_process()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Level(1000, tag: "spring"));
        var together = await h.Engine.Deployments.DeployAsync([Level(2000), Claim("""<zeebe:calledDecision decisionId="level" resultVariable="level" bindingType="deployment"/>""")]);
        await h.DeployAsync(Level(3000));
        await h.DeployAsync(Process("tagged", $"""
            <bpmn:startEvent id="s"/>
            <bpmn:businessRuleTask id="decide"><bpmn:extensionElements><zeebe:calledDecision decisionId="level" resultVariable="level" bindingType="versionTag" versionTag="spring"/></bpmn:extensionElements></bpmn:businessRuleTask>
            {UserTask("review")}{Chain("s", "decide", "review")}
            """));

        var byDeployment = await h.StartAsync("claim", Vars(("amount", 2500)));
        var byTag = await h.StartAsync("tagged", Vars(("amount", 1500)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(together.Processes.Single().ProcessId, Is.EqualTo("claim"));
            Assert.That(together.Decisions.Single().Version, Is.EqualTo(2));
            Assert.That(await byDeployment.VariableAsync("level"), Is.EqualTo("manager"), "version 2 (limit 2,000), not the latest (3,000)");
            Assert.That(await byTag.VariableAsync("level"), Is.EqualTo("manager"), "version 1, tagged spring (limit 1,000)");
        }
    }

    [Test]
    public async Task A_missing_or_failing_decision_is_an_incident_naming_it_and_its_cause_resolved_by_a_retry_after_a_fix()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Claim());
        var instance = await h.StartAsync("claim", Vars(("amount", 1000)));
        var missing = (await instance.IncidentsAsync()).Single();

        // Both rules match 1,000 in a UNIQUE table: the decision fails.
        await h.DeployAsync(Level(1000).Replace("&gt; 1000", "&gt;= 1000", StringComparison.Ordinal));
        await instance.ResolveIncidentAsync("decide");
        var failing = (await instance.IncidentsAsync()).Single();

        await h.DeployAsync(Level(1000));
        await instance.ResolveIncidentAsync("decide");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(missing.ElementId, Is.EqualTo("decide"));
            Assert.That(missing.Message, Does.Contain("decision 'level' is not deployed"));
            Assert.That(failing.Message, Does.Contain("decision 'level' version 1 failed"));
            Assert.That(failing.Message, Does.Contain("UNIQUE").IgnoreCase.Or.Contains("more than one").IgnoreCase);
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
            Assert.That(await instance.VariableAsync("level"), Is.EqualTo("agent"));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "review" }));
        }
    }

    [Test]
    public async Task A_business_rule_task_with_a_task_definition_stays_a_job_and_one_with_neither_is_refused()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Claim("""<zeebe:taskDefinition type="rules"/>"""));
        var instance = await h.StartAsync("claim");
        var refused = Assert.ThrowsAsync<DeploymentRejectedException>(() => h.DeployAsync(Process("bare", """<bpmn:startEvent id="s"/><bpmn:businessRuleTask id="decide"/>""" + Chain("s", "decide"))));
        var noResult = Assert.ThrowsAsync<DeploymentRejectedException>(() => h.DeployAsync(Claim("""<zeebe:calledDecision decisionId="level"/>""")));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await instance.JobsAsync()).Select(j => j.Type), Is.EqualTo(new[] { "rules" }));
            Assert.That(refused!.Report.Findings.Select(f => f.Code), Does.Contain("TASK_TYPE_MISSING"));
            Assert.That(noResult!.Report.Findings.Select(f => f.Code), Does.Contain("CALLED_DECISION_INVALID"));
        }
    }

    [Test]
    public async Task A_deployment_with_a_broken_dmn_document_deploys_nothing_of_its_bpmn_either()
    {
        var h = new ProcessTestHarness();
        var rejected = Assert.ThrowsAsync<DeploymentRejectedException>(() => h.Engine.Deployments.DeployAsync([Claim(), Level(1000).Replace("&lt;= 1000", "&lt;= (", StringComparison.Ordinal)]));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(rejected!.Report.Findings.Select(f => f.Code), Does.Contain("DMN_FEEL_SYNTAX"));
            Assert.That(await h.Engine.Deployments.GetDefinitionsAsync("claim"), Is.Empty);
            Assert.That(await h.Engine.Decisions.GetVersionsAsync(), Is.Empty);
        }
    }
}
