using Workflows.Engine.Decisions;
using Workflows.Engine.Feel;
using Workflows.Engine.Testing;
using Workflows.Engine.Validation;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Decisions;

/// <summary>
/// A DMN document of many decisions is stored once and each decision's version refers to it (review18 F19), up to a
/// number of decisions a setting bounds; a regular expression that runs out of time in a decision is a budget like the
/// others: an incident on the business rule task, never a refused command (F10).
/// </summary>
public sealed class DecisionDocumentTests
{
    private const string Ns = "https://www.omg.org/spec/DMN/20191111/MODEL/";

    internal static string Many(int count, string padding = "") =>
        $"""<definitions xmlns="{Ns}" id="many" name="many" namespace="urn:many">"""
        + string.Concat(Enumerable.Range(0, count).Select(i => $"""<decision id="m{i}" name="m{i}"><literalExpression><text>{i}</text></literalExpression></decision>"""))
        + padding + "</definitions>";

    [Test]
    public async Task A_document_of_a_thousand_decisions_deploys_once_and_each_version_reads_the_whole_document()
    {
        var h = new ProcessTestHarness();
        var dmn = Many(1000, $"<!--{new string(' ', 40_000)}-->");

        var deployed = await h.Engine.Deployments.DeployAsync([dmn]);
        var again = await h.Engine.Deployments.DeployAsync([dmn]);
        var last = await h.Engine.Decisions.EvaluateAsync(new EvaluateDecision("m999"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(deployed.Decisions, Has.Count.EqualTo(1000));
            Assert.That(deployed.Decisions.All(d => d.IsNew && d.Version == 1), Is.True);
            Assert.That(again.Decisions.All(d => !d.IsNew && d.Version == 1), Is.True, "the same document again: no new version");
            Assert.That(await h.Engine.Decisions.GetXmlAsync("m500", 1), Is.EqualTo(dmn));
            Assert.That(last.Value, Is.EqualTo(999m));
        }
    }

    [Test]
    public void A_document_with_more_decisions_than_the_setting_allows_is_refused_naming_the_setting()
    {
        var h = new ProcessTestHarness(configure: o => o.Parser = new BpmnParserOptions { MaxDecisionsPerDocument = 3 });

        var refused = Assert.ThrowsAsync<DeploymentRejectedException>(() => h.Engine.Deployments.DeployAsync([Many(4)]));

        Assert.That(refused!.Report.Errors.Single().Code, Is.EqualTo("DMN_TOO_MANY_DECISIONS"));
        Assert.That(refused.Report.Errors.Single().Message, Does.Contain("has 4 decisions, more than the 3 one document may deploy")
            .And.Contain("WorkflowEngineOptions.Parser.MaxDecisionsPerDocument"));
    }

    [Test]
    public async Task A_redrawn_document_keeps_the_versions_and_they_read_the_new_drawing()
    {
        var h = new ProcessTestHarness();
        var first = Many(3);
        var redrawn = first.Replace("<decision id=\"m1\"", "\n  <decision id=\"m1\"", StringComparison.Ordinal);
        await h.Engine.Deployments.DeployAsync([first]);

        var again = await h.Engine.Deployments.DeployAsync([redrawn]);
        var changed = await h.Engine.Deployments.DeployAsync([redrawn.Replace("<text>2</text>", "<text>20</text>", StringComparison.Ordinal)]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(again.Decisions.Select(d => (d.Version, d.IsNew, d.DiagramReplaced)), Is.EqualTo(Enumerable.Repeat((1, false, true), 3)));
            Assert.That(await h.Engine.Decisions.GetXmlAsync("m0", 1), Is.EqualTo(redrawn));
            Assert.That(changed.Decisions.Select(d => d.Version), Is.EqualTo(new[] { 2, 2, 2 }), "a changed document is a new version of each of its decisions");
            Assert.That((await h.Engine.Decisions.EvaluateAsync(new EvaluateDecision("m2"))).Value, Is.EqualTo(20m));
        }
    }

    private static readonly string s_regex = $$"""
        <definitions xmlns="{{Ns}}" id="regex" name="regex" namespace="urn:regex">
          <decision id="regex-route" name="Regex route">
            <decisionTable id="t" hitPolicy="FIRST">
              <input id="i" label="Reference"><inputExpression typeRef="string"><text>reference</text></inputExpression></input>
              <output id="o" name="route" typeRef="string"/>
              <rule id="letters"><inputEntry><text>matches(?, "^(a+)+$")</text></inputEntry><outputEntry><text>"letters"</text></outputEntry></rule>
              <rule id="other"><inputEntry><text>-</text></inputEntry><outputEntry><text>"other"</text></outputEntry></rule>
            </decisionTable>
          </decision>
        </definitions>
        """;

    private static readonly string s_hostile = new string('a', 40) + "!";

    [Test]
    public void A_regular_expression_that_runs_out_of_time_in_a_decision_is_the_regex_budget()
    {
        var model = DecisionModel.Read(s_regex).Model!;

        var exceeded = Assert.Throws<FeelLimitExceededException>(() => model.Evaluate("regex-route", new Dictionary<string, object?> { ["reference"] = s_hostile }));

        Assert.That(exceeded!.Setting, Is.EqualTo(nameof(FeelLimits.RegexTimeout)));
    }

    [Test]
    public async Task A_regular_expression_time_out_after_a_user_task_is_an_incident_on_the_business_rule_task_and_the_completion_commits()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_regex);
        await h.DeployAsync(Process("after", $"""
            <bpmn:startEvent id="s"/>
            {UserTask("first")}
            <bpmn:businessRuleTask id="rule"><bpmn:extensionElements><zeebe:calledDecision decisionId="regex-route" resultVariable="route"/></bpmn:extensionElements></bpmn:businessRuleTask>
            {UserTask("next")}
            {Chain("s", "first", "rule", "next")}
            """));
        var instance = await h.StartAsync("after", Vars(("reference", s_hostile)));

        await instance.CompleteUserTaskAsync("first");
        var incident = (await instance.IncidentsAsync()).Single();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "rule" }));
            Assert.That(incident.ElementId, Is.EqualTo("rule"));
            Assert.That(incident.Message, Does.Contain("decision 'regex-route' version 1 failed").And.Contain("FeelLimits.RegexTimeout"));
        }
    }
}
