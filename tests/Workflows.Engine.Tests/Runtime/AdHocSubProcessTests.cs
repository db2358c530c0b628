using Workflows.Engine.Runtime;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>Ad-hoc sub-processes as Camunda 8.8 runs them (expectations from Zeebe's AdHocSubProcessTest).</summary>
public sealed class AdHocSubProcessTests
{
    private static string AdHoc(string attributes = "", string? completion = null, string collection = "=activate", string inner = "") => Process("p", $"""
        <bpmn:startEvent id="start"/>
        <bpmn:adHocSubProcess id="adhoc" {attributes}>
          <bpmn:extensionElements><zeebe:adHoc activeElementsCollection="{collection}"/></bpmn:extensionElements>
          {UserTask("A")}{UserTask("B")}{UserTask("C")}
          {inner}
          {(completion is null ? "" : $"<bpmn:completionCondition xsi:type=\"bpmn:tFormalExpression\">{System.Security.SecurityElement.Escape(completion)}</bpmn:completionCondition>")}
        </bpmn:adHocSubProcess>
        {UserTask("after")}
        {Chain("start", "adhoc", "after")}
        """);

    private static async Task<ProcessInstanceHandle> StartAsync(string xml, params string[] activate)
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(xml);
        return await h.StartAsync("p", Vars(("activate", activate.ToList())));
    }

    [Test]
    public async Task Entering_activates_the_inner_elements_the_collection_names()
    {
        var instance = await StartAsync(AdHoc(), "A", "C");

        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "A", "C", "adhoc" }));
    }

    [Test]
    public async Task Without_a_completion_condition_it_completes_when_its_last_inner_element_completes()
    {
        var instance = await StartAsync(AdHoc(), "A", "C");

        await instance.CompleteUserTaskAsync("A");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "C", "adhoc" }));

        await instance.CompleteUserTaskAsync("C");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
    }

    [Test]
    public async Task An_empty_collection_activates_nothing_and_the_sub_process_stays_active()
    {
        var instance = await StartAsync(AdHoc());

        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "adhoc" }));
    }

    [Test]
    public async Task A_collection_naming_something_else_than_an_inner_element_is_an_incident_and_activates_nothing()
    {
        var instance = await StartAsync(AdHoc(), "A", "after");

        var incidents = await instance.IncidentsAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(incidents.Select(i => i.ElementId), Is.EqualTo(new[] { "adhoc" }));
            Assert.That(incidents[0].Message, Does.Contain("\"after\""));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "adhoc" }));
        }
    }

    [Test]
    public async Task A_true_completion_condition_completes_it_and_cancels_the_remaining_inner_elements_by_default()
    {
        var instance = await StartAsync(AdHoc(completion: "=decided"), "A", "C");

        await instance.CompleteUserTaskAsync("A", Vars(("decided", true)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
            Assert.That((await instance.UserTasksAsync()).Select(t => t.ElementId), Is.EqualTo(new[] { "after" }), "C's task was cancelled");
            Assert.That((await instance.HistoryAsync()).Where(e => e.Kind == "element-terminated").Select(e => e.ElementId), Is.EqualTo(new[] { "C" }));
        }
    }

    [Test]
    public async Task Without_cancelling_remaining_instances_a_true_condition_waits_for_the_inner_elements_still_active()
    {
        var instance = await StartAsync(AdHoc("cancelRemainingInstances=\"false\"", completion: "=decided"), "A", "C");

        await instance.CompleteUserTaskAsync("A", Vars(("decided", true)));
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "C", "adhoc" }));

        await instance.CompleteUserTaskAsync("C");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
    }

    [Test]
    public async Task A_false_completion_condition_keeps_it_active_after_every_inner_element_completed()
    {
        var instance = await StartAsync(AdHoc(completion: "=decided"), "A");

        await instance.CompleteUserTaskAsync("A", Vars(("decided", false)));

        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "adhoc" }));
    }

    [Test]
    public async Task An_inner_element_goes_on_along_its_flows_and_an_element_may_be_activated_twice()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(AdHoc(inner: $"{UserTask("D")}{Flow("B", "D")}"));
        var instance = await h.StartAsync("p", Vars(("activate", new List<object?> { "B", "B" })));
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "B", "B", "adhoc" }));

        var tasks = await instance.UserTasksAsync();
        await h.Engine.Tasks.CompleteAsync(tasks[0].Id, null, null);
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "B", "D", "adhoc" }));
    }

    [Test]
    public async Task A_completion_condition_that_fails_is_an_incident_whose_retry_decides_again()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(AdHoc(completion: "=decided"));
        var instance = await h.StartAsync("p", Vars(("activate", new List<object?> { "A", "C" })));

        await instance.CompleteUserTaskAsync("A");
        var incidents = await instance.IncidentsAsync();
        Assert.That(incidents.Select(i => i.ElementId), Is.EqualTo(new[] { "adhoc" }));

        await h.Engine.Runtime.SetVariablesAsync(instance.Id, Vars(("decided", true)));
        await h.Engine.Runtime.ResolveIncidentAsync(incidents[0].Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
        }
    }

    [Test]
    public async Task A_boundary_timer_on_the_sub_process_interrupts_it_with_its_inner_elements()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:adHocSubProcess id="adhoc">
              <bpmn:extensionElements><zeebe:adHoc activeElementsCollection="=[&quot;A&quot;]"/></bpmn:extensionElements>
              {UserTask("A")}
            </bpmn:adHocSubProcess>
            <bpmn:boundaryEvent id="late" attachedToRef="adhoc"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
            <bpmn:endEvent id="end"/><bpmn:endEvent id="lateEnd"/>
            {Chain("start", "adhoc", "end")}{Chain("late", "lateEnd")}
            """));
        var instance = await h.StartAsync("p");

        await h.AdvanceTimeAsync(TimeSpan.FromHours(2));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
            Assert.That(await instance.UserTasksAsync(), Is.Empty);
        }
    }

    [Test]
    public async Task A_start_event_inside_or_a_sequential_ordering_is_refused_at_deploy()
    {
        var h = new ProcessTestHarness();

        var withStart = await h.Engine.Deployments.ValidateAsync(AdHoc(inner: """<bpmn:startEvent id="innerStart"/>"""));
        var sequential = await h.Engine.Deployments.ValidateAsync(AdHoc("ordering=\"Sequential\""));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(withStart.Findings.Select(f => f.Code), Does.Contain("AD_HOC_START_END"));
            Assert.That(sequential.Findings.Where(f => f.Severity == Workflows.Engine.Validation.FindingSeverity.Error).Select(f => f.Code), Does.Contain("ATTRIBUTE_NOT_EXECUTED"));
        }
    }

    [Test]
    public async Task An_ad_hoc_sub_process_deploys_without_unreachable_or_unexecuted_findings()
    {
        var h = new ProcessTestHarness();

        var report = await h.Engine.Deployments.ValidateAsync(AdHoc(completion: "=decided"));

        Assert.That(report.Findings, Is.Empty);
    }
}
