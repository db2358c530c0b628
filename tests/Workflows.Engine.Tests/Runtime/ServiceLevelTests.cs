using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

public sealed class ServiceLevelTests
{
    // A complaint promised in 8 hours; the front office registers it (1 hour budget), the customer may
    // be asked for documents (10 hours, owned by no department), the back office decides (1 hour budget).
    private static readonly string s_complaint = Process("complaint", $"""
        <bpmn:startEvent id="s"/>
        <bpmn:userTask id="register" name="Register">
          <bpmn:extensionElements><wf:userTask candidateGroups="front-office"/><wf:commitment level="2" department="Front office" budget="PT1H"/></bpmn:extensionElements>
        </bpmn:userTask>
        <bpmn:exclusiveGateway id="documentsNeeded" default="noDocuments"/>
        <bpmn:intermediateCatchEvent id="documents"><bpmn:timerEventDefinition><bpmn:timeDuration>PT10H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
        <bpmn:exclusiveGateway id="merge"/>
        <bpmn:userTask id="decide" name="Decide">
          <bpmn:extensionElements><wf:userTask candidateGroups="back-office"/><wf:commitment level="2" department="Back office" budget="PT1H"/></bpmn:extensionElements>
        </bpmn:userTask>
        <bpmn:endEvent id="e"/>
        {Chain("s", "register", "documentsNeeded")}
        {Flow("documentsNeeded", "documents", "=needsDocuments")}{Chain("documents", "merge")}
        {Flow("documentsNeeded", "merge", id: "noDocuments")}
        {Chain("merge", "decide", "e")}
        """, extensions: """<bpmn:extensionElements><wf:commitment level="1" name="Complaint answered in 8 hours" target="PT8H"/></bpmn:extensionElements>""");

    private static async Task RunAsync(ProcessTestHarness h, string branch, bool needsDocuments, TimeSpan decideAfter)
    {
        var instance = await h.StartAsync("complaint", Vars(("branch", branch), ("needsDocuments", needsDocuments)), businessKey: $"{branch}-{needsDocuments}-{decideAfter.TotalMinutes}");
        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(30));
        await instance.CompleteUserTaskAsync("register");
        if (needsDocuments)
        {
            await h.AdvanceTimeAsync(TimeSpan.FromHours(10));
        }

        await h.AdvanceTimeAsync(decideAfter);
        await instance.CompleteUserTaskAsync("decide");
    }

    [Test]
    public async Task The_watermelon_report_flags_journeys_red_end_to_end_whose_every_step_was_green()
    {
        var h = new ProcessTestHarness();
        var deployed = await h.DeployAsync(s_complaint);
        var from = h.Clock.GetUtcNow();
        await RunAsync(h, "paris", needsDocuments: true, TimeSpan.FromMinutes(30));   // steps green, journey 11 hours: watermelon
        await RunAsync(h, "paris", needsDocuments: false, TimeSpan.FromMinutes(30));  // all green
        await RunAsync(h, "lyon", needsDocuments: true, TimeSpan.FromHours(2));       // the decision was late too: red inside
        var started = await h.StartAsync("complaint", Vars(("branch", "paris"), ("needsDocuments", false)), businessKey: "open");
        await h.AdvanceTimeAsync(TimeSpan.FromHours(7));                                   // registered late, still open, at risk

        var all = await h.Engine.ServiceLevels.GetServiceReportAsync(from, h.Clock.GetUtcNow());
        var paris = await h.Engine.ServiceLevels.GetServiceReportAsync(from, h.Clock.GetUtcNow(), branch: "paris", processId: "complaint");

        var first = all[0];
        using (Assert.EnterMultipleScope())
        {
            Assert.That(deployed.Report.Findings, Is.Empty, "the budgets fit the promise");
            Assert.That(all.Select(r => (r.BusinessKey, r.Commitment.State, r.Watermelon)), Is.EqualTo(new[]
            {
                ("paris-True-30", SlaState.Breached, true),
                ("paris-False-30", SlaState.Met, false),
                ("lyon-True-120", SlaState.Breached, false),
                ("open", SlaState.Warning, false),
            }));
            Assert.That(first.Commitment.Label, Is.EqualTo("Complaint answered in 8 hours"));
            Assert.That(first.Steps.Select(s => (s.ElementId, s.Label, s.State)), Is.EqualTo(new[]
            {
                ("register", "Front office", SlaState.Met),
                ("decide", "Back office", SlaState.Met),
            }));
            Assert.That(first.Commitment.Remaining, Is.EqualTo(TimeSpan.FromHours(-3)));
            Assert.That(all[3].Steps.Single().State, Is.EqualTo(SlaState.Breached), "a running step past its budget reads as breached");
            Assert.That(paris.Select(r => r.BusinessKey), Is.EqualTo(new[] { "paris-True-30", "paris-False-30", "open" }));
            Assert.That(await h.Engine.ServiceLevels.GetServiceReportAsync(from.AddDays(10), from.AddDays(11)), Is.Empty);
            Assert.That(async () => await h.Engine.ServiceLevels.GetServiceReportAsync(from, from), Throws.TypeOf<WorkflowInputException>());
            Assert.That(started.Id, Is.EqualTo(all[3].InstanceId));
        }
    }

    private static readonly string s_survey = Process("care", $"""
        <bpmn:startEvent id="s"/>
        <bpmn:parallelGateway id="fork"/>
        <bpmn:userTask id="survey" name="Survey call">
          <bpmn:extensionElements><wf:userTask candidateGroups="front-office"/><wf:satisfaction score="=score"/></bpmn:extensionElements>
        </bpmn:userTask>
        <bpmn:userTask id="resolve" name="Resolve">
          <bpmn:extensionElements><wf:userTask candidateGroups="back-office" priority="40"/></bpmn:extensionElements>
        </bpmn:userTask>
        <bpmn:parallelGateway id="join"/>
        <bpmn:endEvent id="e"/>
        {Chain("s", "fork", "survey", "join", "e")}{Chain("fork", "resolve", "join")}
        """, extensions: """<bpmn:extensionElements><wf:satisfactionPolicy threshold="3" queue="customer-care" priority="95" variable="csat"/></bpmn:extensionElements>""");

    [Test]
    public async Task A_low_satisfaction_score_raises_the_open_tasks_and_opens_a_recovery_task()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_survey);
        var unhappy = await h.StartAsync("care", Vars(("branch", "paris"), ("customerId", "C-9")));
        var happy = await h.StartAsync("care");

        await unhappy.CompleteUserTaskAsync("survey", Vars(("score", 2m)));
        await happy.CompleteUserTaskAsync("survey", Vars(("score", 5m)));

        var tasks = await unhappy.UserTasksAsync();
        var recovery = tasks.Single(t => t.ElementId == "satisfaction-recovery");
        await h.Engine.Tasks.CompleteAsync(recovery.Id, Vars(("recoveryAction", "voucher")), "cid");

        var history = await unhappy.HistoryAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await unhappy.VariableAsync("csat"), Is.EqualTo(2m));
            Assert.That(history.Single(e => e.Kind == "satisfaction-recorded").Detail, Is.EqualTo("2"));
            Assert.That(tasks.Single(t => t.ElementId == "resolve").Priority, Is.EqualTo(95));
            Assert.That(recovery.CandidateGroups, Is.EqualTo(new[] { "customer-care" }));
            Assert.That(recovery.Priority, Is.EqualTo(95));
            Assert.That(recovery.CustomerId, Is.EqualTo("C-9"));
            Assert.That(await unhappy.VariableAsync("recoveryAction"), Is.EqualTo("voucher"));
            Assert.That(await unhappy.ActiveElementsAsync(), Is.EqualTo(new[] { "resolve" }), "the recovery task moves no token");
            Assert.That(await happy.VariableAsync("csat"), Is.EqualTo(5m));
            Assert.That((await happy.UserTasksAsync()).Select(t => (t.ElementId, t.Priority)), Is.EqualTo(new[] { ("resolve", 40) }));
        }
    }
}
