using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

// Deployed decisions and their approvals (wf_decision_definitions, wf_decision_approvals), decision pins in the branch.
public abstract partial class StoreSuite
{
    private static string Levels(string id, int limit, string? tag = null) => $$"""
        <definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="levels" name="Levels" namespace="urn:test">
          <decision id="{{id}}" name="Approval level">
            {{(tag is null ? "" : $"""<extensionElements><zeebe:versionTag value="{tag}"/></extensionElements>""")}}
            <decisionTable id="t" hitPolicy="UNIQUE">
              <input id="i" label="Amount"><inputExpression typeRef="number"><text>amount</text></inputExpression></input>
              <output id="o" name="level" typeRef="string"/>
              <rule id="small"><inputEntry><text>&lt;= {{limit}}</text></inputEntry><outputEntry><text>"agent"</text></outputEntry></rule>
              <rule id="large"><inputEntry><text>&gt; {{limit}}</text></inputEntry><outputEntry><text>"manager"</text></outputEntry></rule>
            </decisionTable>
          </decision>
        </definitions>
        """;

    [Test]
    public async Task A_decision_deployed_approved_and_pinned_on_one_node_is_evaluated_by_a_business_rule_task_on_another()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (process, branch) = ("ruled-" + suffix, "ruled-branch-" + suffix);
        var dmn1 = Levels($"level-{suffix}", 1000, tag: "first");
        var dmn2 = Levels($"level-{suffix}", 2000);
        var bpmn = Process(process, $"""
            <bpmn:startEvent id="s"/>
            <bpmn:businessRuleTask id="decide"><bpmn:extensionElements><zeebe:calledDecision decisionId="level-{suffix}" resultVariable="level"/></bpmn:extensionElements></bpmn:businessRuleTask>
            {UserTask("review")}{Chain("s", "decide", "review")}
            """, extensions: """<bpmn:extensionElements><wf:journey branch="=branch"/></bpmn:extensionElements>""");
        var a = await HarnessAsync();
        var first = await a.Engine.Deployments.DeployAsync([dmn1, bpmn]);
        await a.DeployAsync(dmn2);
        await a.Engine.Branches.SaveAsync(new Branch(branch, "Ruled"));
        await a.Engine.Decisions.ApproveAsync($"level-{suffix}", 1, "alice", "reviewed");
        await a.Engine.Decisions.PinAsync(branch, $"level-{suffix}", 1);

        var b = await HarnessAsync();
        var again = await b.DeployAsync(dmn2);
        var twice = Assert.ThrowsAsync<WorkflowConflictException>(() => b.Engine.Decisions.ApproveAsync($"level-{suffix}", 1, "bob", "again"));
        var pinned = await b.StartAsync(process, Vars(("amount", 1500), ("branch", branch)));
        var latest = await b.StartAsync(process, Vars(("amount", 1500)));
        var versions = await b.Engine.Decisions.GetVersionsAsync($"level-{suffix}");
        var history = await pinned.HistoryAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Decisions.Single().Version, Is.EqualTo(1));
            Assert.That((again.Decisions.Single().Version, again.Decisions.Single().IsNew), Is.EqualTo((2, false)));
            Assert.That(twice!.Message, Does.Contain("was approved by alice"));
            Assert.That(await pinned.VariableAsync("level"), Is.EqualTo("manager"));
            Assert.That(await latest.VariableAsync("level"), Is.EqualTo("manager"), "an instance of no branch evaluates the standard, version 1, not version 2 that nobody approved");
            Assert.That(versions.Select(v => (v.Version, v.VersionTag, v.Stage, v.PinnedBy.Count)),
                Is.EqualTo(new[] { (1, (string?)"first", VersionStage.Approved, 1), (2, (string?)null, VersionStage.Deployed, 0) }));
            Assert.That((await b.Engine.Decisions.GetXmlAsync($"level-{suffix}", 1)), Does.Contain("&lt;= 1000"));
            Assert.That(history.Single(e => e.Kind == "decision-evaluated").Detail, Does.Contain("\"version\":1"));
        }

        await b.Engine.Runtime.CancelAsync(pinned.Id);
        await b.Engine.Runtime.CancelAsync(latest.Id);
    }

    [Test]
    public async Task Evaluations_recorded_on_one_node_are_listed_on_another_newest_first_by_branch_and_page()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (decision, branch) = ($"level-{suffix}", "eval-branch-" + suffix);
        var a = await HarnessAsync();
        await a.DeployAsync(Levels(decision, 1000));
        await a.ApproveDecisionAsync(decision, 1); // a branch runs only approved decision versions
        await a.Engine.Branches.SaveAsync(new Branch(branch, "Evaluating"));
        await a.Engine.Decisions.EvaluateAsync(new EvaluateDecision(decision) { Branch = branch, Variables = Vars(("amount", 1500)), Actor = "pat" });
        a.Clock.Advance(TimeSpan.FromSeconds(1));
        await a.Engine.Decisions.EvaluateAsync(new EvaluateDecision(decision) { Variables = Vars(("amount", 500)), Actor = "alice" });
        await a.Engine.Decisions.EvaluateAsync(new EvaluateDecision(decision) { Variables = Vars(("amount", 500)) });

        var b = await HarnessAsync();
        var all = await b.Engine.Decisions.GetEvaluationsAsync(decision);
        var ofBranch = await b.Engine.Decisions.GetEvaluationsAsync(decision, branch);
        var next = await b.Engine.Decisions.GetEvaluationsAsync(decision, after: all[0].Id, max: 1);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(all.Select(e => (e.Actor, e.Branch)), Is.EqualTo(new[] { ("alice", (string?)null), ("pat", branch) }), "newest first; an evaluation nobody asked for is not recorded");
            Assert.That(ofBranch.Single().Detail, Does.Contain("\"ruleId\":\"large\"").And.Contain("\"manager\""));
            Assert.That(ofBranch.Single().EvaluatedAt, Is.EqualTo(all[1].EvaluatedAt));
            Assert.That(next.Select(e => e.Actor), Is.EqualTo(new[] { "pat" }));
        }
    }

    [Test]
    public async Task Evaluation_retention_deletes_only_the_evaluations_made_long_enough_ago_in_batches()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var decision = $"kept-{suffix}";
        var h = await HarnessAsync(o => o.Worker.HistoryDeleteBatchSize = 2);
        await h.DeployAsync(Levels(decision, 1000));
        for (var i = 0; i < 5; i++)
        {
            await h.Engine.Decisions.EvaluateAsync(new EvaluateDecision(decision) { Variables = Vars(("amount", i)), Actor = "old" });
        }

        await h.AdvanceTimeAsync(TimeSpan.FromDays(40));
        await h.Engine.Decisions.EvaluateAsync(new EvaluateDecision(decision) { Variables = Vars(("amount", 1500)), Actor = "recent" });

        var deleted = await h.Engine.Worker.DeleteDecisionEvaluationsAsync(TimeSpan.FromDays(30));
        var left = await h.Engine.Decisions.GetEvaluationsAsync(decision);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(deleted, Is.GreaterThanOrEqualTo(5), "the five old ones, in batches of two (other tests' old ones may go too)");
            Assert.That(left.Select(e => e.Actor), Is.EqualTo(new[] { "recent" }));
        }
    }
}
