using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Decisions;

/// <summary>
/// What a decision sees and which version it is: documents deployed together version together, so the `deployment`
/// binding finds the decision deployed with its process (review18 F13); an evaluation for a branch sees the branch's
/// parameters as its cases do (F14).
/// </summary>
public sealed class DecisionContextTests
{
    private const string Ns = "https://www.omg.org/spec/DMN/20191111/MODEL/";

    // The front desk settles up to a limit: a number, or an expression such as branchSettings.limit.
    private static string Desk(string limit) => $$"""
        <definitions xmlns="{{Ns}}" id="desk-definitions" name="Desk" namespace="urn:test">
          <decision id="desk" name="Front desk">
            <decisionTable id="t" hitPolicy="FIRST">
              <input id="i" label="Amount"><inputExpression typeRef="number"><text>amount</text></inputExpression></input>
              <output id="o" name="route" typeRef="string"/>
              <rule id="front"><inputEntry><text>&lt;= {{limit}}</text></inputEntry><outputEntry><text>"front desk"</text></outputEntry></rule>
              <rule id="back"><inputEntry><text>-</text></inputEntry><outputEntry><text>"back office"</text></outputEntry></rule>
            </decisionTable>
          </decision>
        </definitions>
        """;

    private static string Complaint(string binding = "latest", string name = "Complaint", string processId = "complaint", string decision = "desk") => Process(processId, $"""
        <bpmn:startEvent id="s"/>
        <bpmn:businessRuleTask id="decide" name="{name}"><bpmn:extensionElements><zeebe:calledDecision decisionId="{decision}" resultVariable="route" bindingType="{binding}"/></bpmn:extensionElements></bpmn:businessRuleTask>
        {UserTask("answer")}
        {Chain("s", "decide", "answer")}
        """, extensions: """
        <bpmn:extensionElements><wf:journey branch="=branch"/>
          <wf:parameter name="limit" type="number" min="0" max="5000" default="100"/>
        </bpmn:extensionElements>
        """);

    [Test]
    public async Task A_process_deployed_again_with_its_changed_decision_becomes_a_new_version_bound_to_that_decision()
    {
        var h = new ProcessTestHarness();
        var first = await h.Engine.Deployments.DeployAsync([Complaint("deployment"), Desk("100")], "alice");
        var fixedDmn = await h.Engine.Deployments.DeployAsync([Complaint("deployment"), Desk("1000")], "alice");
        var same = await h.Engine.Deployments.DeployAsync([Complaint("deployment"), Desk("1000")], "alice");
        var renamed = await h.Engine.Deployments.DeployAsync([Complaint("deployment", name: "Route the complaint"), Desk("1000")], "alice");
        var alone = await h.Engine.Deployments.DeployAsync([Desk("2000")], "alice");
        var started = await h.StartAsync("complaint", Vars(("amount", 1500m)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((first.Processes[0].Version, first.Decisions[0].Version), Is.EqualTo((1, 1)));
            Assert.That((fixedDmn.Processes[0].Version, fixedDmn.Processes[0].IsNew, fixedDmn.Decisions[0].Version), Is.EqualTo((2, true, 2)),
                "the unchanged process becomes version 2 with the changed decision, as Camunda 8 versions resources deployed together");
            Assert.That((same.Processes[0].IsNew, same.Decisions[0].IsNew), Is.EqualTo((false, false)), "nothing changed: nothing new");
            Assert.That((renamed.Processes[0].Version, renamed.Decisions[0].Version, renamed.Decisions[0].IsNew), Is.EqualTo((3, 3, true)),
                "the unchanged decision is deployed again with the changed process");
            Assert.That(alone.Decisions[0].Version, Is.EqualTo(4), "a document alone versions as before");
            Assert.That(await started.VariableAsync("route"), Is.EqualTo("back office"), "process version 3 evaluates decision version 3 (limit 1,000), deployed with it, not the latest (2,000)");
            Assert.That((await started.HistoryAsync()).Single(e => e.Kind == "decision-evaluated").Detail, Does.Contain("\"version\":3"));
        }
    }

    [Test]
    public async Task A_decision_evaluated_for_a_branch_sees_the_branchs_parameters_as_its_cases_do()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Desk("branchSettings.limit"));
        await h.ApproveDecisionAsync("desk", 1); // a branch runs approved decision versions only (review10-18 F1)
        await h.DeployAsync(Complaint());
        await h.Engine.Branches.SaveAsync(new Branch("paris-01", "Paris"));
        await h.Engine.Branches.SaveAsync(new Branch("lyon-01", "Lyon"));
        await h.Engine.Branches.SetParametersAsync("paris-01", "complaint", new Dictionary<string, object?> { ["limit"] = 150m });

        var paris = await h.Engine.Decisions.EvaluateAsync(new EvaluateDecision("desk") { Branch = "paris-01", Variables = Vars(("amount", 120m)) });
        var lyon = await h.Engine.Decisions.EvaluateAsync(new EvaluateDecision("desk") { Branch = "lyon-01", Variables = Vars(("amount", 120m)) });
        var caseId = await h.Engine.Runtime.StartAsync(new StartInstance("complaint") { Branch = "paris-01", Variables = Vars(("amount", 120m)) });
        var noBranch = await h.Engine.Decisions.EvaluateAsync(new EvaluateDecision("desk") { Variables = Vars(("amount", 120m)) });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(paris.Value, Is.EqualTo("front desk"), "Paris's limit is 150");
            Assert.That(paris.Journeys, Is.EqualTo(new[] { "complaint" }));
            Assert.That(await h.Instance(caseId).VariableAsync("route"), Is.EqualTo("front desk"), "as a Paris case of 120 decides");
            Assert.That(lyon.Value, Is.EqualTo("back office"), "Lyon reads the standard limit, 100");
            Assert.That(noBranch.Value, Is.EqualTo("back office"), "no branch: no branchSettings, the comparison is null and the rule does not match");
            Assert.That(noBranch.Journeys, Is.Empty);
        }
    }

    [Test]
    public async Task Journeys_calling_a_decision_with_different_parameters_need_one_named_and_a_journey_that_does_not_call_it_is_refused()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Desk("branchSettings.limit"));
        await h.ApproveDecisionAsync("desk", 1);
        await h.DeployAsync(Complaint());
        await h.DeployAsync(Complaint(processId: "claim"));
        await h.DeployAsync(Complaint(processId: "other", decision: "something-else"));
        await h.Engine.Branches.SaveAsync(new Branch("paris-01", "Paris"));
        var agreeing = await h.Engine.Decisions.EvaluateAsync(new EvaluateDecision("desk") { Branch = "paris-01", Variables = Vars(("amount", 120m)) });
        await h.Engine.Branches.SetParametersAsync("paris-01", "complaint", new Dictionary<string, object?> { ["limit"] = 150m });

        var ambiguous = Assert.ThrowsAsync<WorkflowInputException>(() => h.Engine.Decisions.EvaluateAsync(new EvaluateDecision("desk") { Branch = "paris-01", Variables = Vars(("amount", 120m)) }));
        var named = await h.Engine.Decisions.EvaluateAsync(new EvaluateDecision("desk") { Branch = "paris-01", Journey = "complaint", Variables = Vars(("amount", 120m)) });
        var notCalling = Assert.ThrowsAsync<WorkflowInputException>(() => h.Engine.Decisions.EvaluateAsync(new EvaluateDecision("desk") { Branch = "paris-01", Journey = "other", Variables = Vars(("amount", 120m)) }));
        var unknown = Assert.ThrowsAsync<WorkflowNotFoundException>(() => h.Engine.Decisions.EvaluateAsync(new EvaluateDecision("desk") { Branch = "paris-01", Journey = "nowhere", Variables = Vars(("amount", 120m)) }));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(agreeing.Value, Is.EqualTo("back office"), "both read the standard 100");
            Assert.That(agreeing.Journeys, Is.EqualTo(new[] { "claim", "complaint" }));
            Assert.That(ambiguous!.Message, Is.EqualTo("decision 'desk' is called by journeys 'claim', 'complaint', whose cases in branch 'paris-01' read different parameters (branchSettings): name the journey (journey) whose cases to evaluate as"));
            Assert.That(named.Value, Is.EqualTo("front desk"));
            Assert.That(named.Journeys, Is.EqualTo(new[] { "complaint" }));
            Assert.That(notCalling!.Message, Does.StartWith("journey 'other' version 1, which branch 'paris-01' runs, calls no decision 'desk'"));
            Assert.That(unknown!.Message, Does.Contain("process 'nowhere' is not deployed"));
        }
    }
}
