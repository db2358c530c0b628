using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime.Semantics;

/// <summary>
/// Issue 13, item 10 (conditional events), translated from Camunda 8.9's conditional tests
/// (ConditionalIntermediateCatchEventTest, ConditionalBoundaryEventTriggerTest,
/// ConditionalEventSubprocessStartEventTriggerTest) and Camunda 7's (IntermediateConditionalEventTest,
/// BoundaryConditionalEventTest, EventSubProcessStartConditionalEventTest): a condition is evaluated when its
/// event becomes active and whenever a variable changes in a scope it can see (only those its
/// <c>zeebe:conditionalFilter variableNames</c> lists, when it has one).
/// </summary>
public sealed class ConditionalEventTests
{
    internal static string Condition(string expression, string filter = "") => $"""
        <bpmn:conditionalEventDefinition>{(filter.Length > 0 ? $"""<bpmn:extensionElements><zeebe:conditionalFilter variableEvents="{filter}"/></bpmn:extensionElements>""" : "")}<bpmn:condition xsi:type="bpmn:tFormalExpression">{System.Security.SecurityElement.Escape(expression)}</bpmn:condition></bpmn:conditionalEventDefinition>
        """;

    private static string Catch(string id, string expression, string filter = "") =>
        $"""<bpmn:intermediateCatchEvent id="{id}">{Condition(expression, filter)}</bpmn:intermediateCatchEvent>""";

    private static string Boundary(string id, string attachedTo, string expression, bool interrupting = true) =>
        $"""<bpmn:boundaryEvent id="{id}" attachedToRef="{attachedTo}" cancelActivity="{(interrupting ? "true" : "false")}">{Condition(expression)}</bpmn:boundaryEvent>""";

    private static async Task<ProcessInstanceHandle> StartAsync(string body, IReadOnlyDictionary<string, object?>? variables = null)
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", body));
        return await h.StartAsync("p", variables);
    }

    private static async Task<int> OpenAsync(ProcessInstanceHandle instance, string elementId) =>
        (await instance.UserTasksAsync()).Count(t => t.ElementId == elementId);

    // ---------------------------------------------------------------- intermediate catch

    [Test]
    public async Task A_catch_whose_condition_is_already_true_passes_at_once()
    {
        var instance = await StartAsync($"""
            <bpmn:startEvent id="start"/>{Catch("wait", "=x > y")}{UserTask("after")}
            {Chain("start", "wait", "after")}
            """, Vars(("x", 2), ("y", 1)));

        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
    }

    [Test]
    public async Task A_catch_waits_until_a_variable_change_makes_its_condition_true()
    {
        var instance = await StartAsync($"""
            <bpmn:startEvent id="start"/>{Catch("wait", "=x > 10")}{UserTask("after")}
            {Chain("start", "wait", "after")}
            """);

        var waitingWithoutX = await instance.ActiveElementsAsync();
        await instance.SetVariablesAsync(Vars(("x", 5)));
        var waitingWhileFalse = await instance.ActiveElementsAsync();
        await instance.SetVariablesAsync(Vars(("x", 11)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(waitingWithoutX, Is.EqualTo(new[] { "wait" }), "a variable not set yet makes the condition null, which is false, not an incident");
            Assert.That(waitingWhileFalse, Is.EqualTo(new[] { "wait" }));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
        }
    }

    [Test]
    public async Task A_task_completed_in_a_parallel_branch_releases_the_catch_with_its_variables()
    {
        var instance = await StartAsync($"""
            <bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>
            {UserTask("review")}{Catch("wait", "=approved")}{UserTask("ship")}
            {Chain("start", "fork", "review")}{Chain("fork", "wait", "ship")}
            """);

        await instance.CompleteUserTaskAsync("review", Vars(("approved", true)));

        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "ship" }));
    }

    [Test]
    public async Task Output_mappings_and_script_results_release_a_catch_like_any_variable()
    {
        var instance = await StartAsync($"""
            <bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>
            {UserTask("review", """<bpmn:extensionElements><zeebe:ioMapping><zeebe:output source="=answer = &quot;yes&quot;" target="approved"/></zeebe:ioMapping></bpmn:extensionElements>""")}
            <bpmn:scriptTask id="score"><bpmn:extensionElements><zeebe:script expression="=if approved then 80 else 10" resultVariable="score"/></bpmn:extensionElements></bpmn:scriptTask>
            {Catch("approvedWait", "=approved = true")}{UserTask("afterApproval")}
            {Catch("scoreWait", "=score >= 50")}{UserTask("afterScore")}
            {Chain("start", "fork", "review", "score")}{Chain("fork", "approvedWait", "afterApproval")}{Chain("fork", "scoreWait", "afterScore")}
            """);

        await instance.CompleteUserTaskAsync("review", Vars(("answer", "yes")));

        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "afterApproval", "afterScore" }));
    }

    [Test]
    public async Task A_correlated_message_s_variables_release_a_catch()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>
            <bpmn:receiveTask id="receive" messageRef="m"/>{Catch("wait", "=paid")}{UserTask("ship")}
            {Chain("start", "fork", "receive")}{Chain("fork", "wait", "ship")}
            """, Message("m", "payment", "=orderId")));
        var instance = await h.StartAsync("p", Vars(("orderId", "o-1"), ("paid", false)));

        await h.CorrelateAsync("payment", "o-1", Vars(("paid", true)));

        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "ship" }));
    }

    [Test]
    public async Task The_create_filter_ignores_updates_and_the_update_filter_ignores_creation()
    {
        var onCreate = await StartAsync($"""
            <bpmn:startEvent id="start"/>{Catch("wait", "=x > 10", "create")}{UserTask("after")}{Chain("start", "wait", "after")}
            """, Vars(("x", 1)));
        var onUpdate = await StartAsync($"""
            <bpmn:startEvent id="start"/>{Catch("wait", "=x > 10", "update")}{UserTask("after")}{Chain("start", "wait", "after")}
            """);

        await onCreate.SetVariablesAsync(Vars(("x", 11)));
        await onUpdate.SetVariablesAsync(Vars(("x", 11)));
        var afterFirst = (await onCreate.ActiveElementsAsync(), await onUpdate.ActiveElementsAsync());
        await onCreate.SetVariablesAsync(Vars(("z", 1)));
        await onUpdate.SetVariablesAsync(Vars(("x", 12)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(afterFirst.Item1, Is.EqualTo(new[] { "wait" }), "x was updated: the create filter does not let that through");
            Assert.That(afterFirst.Item2, Is.EqualTo(new[] { "wait" }), "x was created: the update filter does not let that through");
            Assert.That(await onCreate.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }), "z was created: any creation evaluates it (no variableNames)");
            Assert.That(await onUpdate.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
        }
    }

    [Test]
    public async Task A_variable_names_filter_evaluates_the_condition_only_when_a_listed_variable_changes()
    {
        var instance = await StartAsync($"""
            <bpmn:startEvent id="start"/>
            <bpmn:intermediateCatchEvent id="wait"><bpmn:conditionalEventDefinition>
              <bpmn:extensionElements><zeebe:conditionalFilter variableNames="trigger, other" variableEvents="create, update"/></bpmn:extensionElements>
              <bpmn:condition xsi:type="bpmn:tFormalExpression">=x &gt; 5</bpmn:condition>
            </bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>
            {UserTask("after")}{Chain("start", "wait", "after")}
            """, Vars(("x", 0)));

        await instance.SetVariablesAsync(Vars(("x", 6)));
        var afterX = await instance.ActiveElementsAsync();
        await instance.SetVariablesAsync(Vars(("trigger", true)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(afterX, Is.EqualTo(new[] { "wait" }), "Camunda 8.9: variableNames limits evaluation to changes of the variables it lists");
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
        }
    }

    [Test]
    public async Task Without_a_filter_a_condition_that_names_no_variable_is_evaluated_on_any_variable_change()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>{Catch("wait", "=now() > @\"2025-01-08T00:00:00Z\"")}{UserTask("after")}{Chain("start", "wait", "after")}
            """));
        var instance = await h.StartAsync("p");

        await h.AdvanceTimeAsync(TimeSpan.FromDays(3));
        var afterTime = await instance.ActiveElementsAsync();
        await instance.SetVariablesAsync(Vars(("unrelated", 1)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(afterTime, Is.EqualTo(new[] { "wait" }), "time alone changes no variable");
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }), "Camunda 8.9: if omitted, the condition evaluates on any variable change in scope");
        }
    }

    [Test]
    public async Task A_condition_that_is_not_a_boolean_is_an_incident_that_a_retry_evaluates_again()
    {
        var instance = await StartAsync($"""
            <bpmn:startEvent id="start"/>{Catch("wait", "=status")}{UserTask("after")}
            {Chain("start", "wait", "after")}
            """, Vars(("status", "done")));

        var incident = (await instance.IncidentsAsync()).Single();
        await instance.SetVariablesAsync(Vars(("status", true)));
        var stillWaiting = await instance.ActiveElementsAsync();
        await instance.ResolveIncidentAsync("wait");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(incident.ElementId, Is.EqualTo("wait"));
            Assert.That(incident.Message, Does.Contain("\"done\"").And.Contain("not true or false"));
            Assert.That(stillWaiting, Is.EqualTo(new[] { "wait" }), "an element in an incident does not react until it is retried");
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
        }
    }

    [Test]
    public async Task A_condition_over_its_FEEL_budget_is_an_incident_not_a_crash()
    {
        var instance = await StartAsync($"""
            <bpmn:startEvent id="start"/>{Catch("wait", "=count(for i in 1..100000000 return i) > n")}{UserTask("after")}
            {Chain("start", "wait", "after")}
            """, Vars(("n", 1)));

        Assert.That((await instance.IncidentsAsync()).Single().ElementId, Is.EqualTo("wait"));
    }

    [Test]
    public async Task A_catch_after_an_event_based_gateway_wins_the_race_when_its_condition_becomes_true()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/><bpmn:eventBasedGateway id="race"/>
            {Catch("ready", "=ready")}<bpmn:intermediateCatchEvent id="timeout"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
            {UserTask("go")}{UserTask("late")}
            {Chain("start", "race", "ready", "go")}{Chain("race", "timeout", "late")}
            """));
        var instance = await h.StartAsync("p");

        await instance.SetVariablesAsync(Vars(("ready", true)));
        await h.AdvanceTimeAsync(TimeSpan.FromHours(2));

        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "go" }));
    }

    // ---------------------------------------------------------------- boundary events

    [Test]
    public async Task An_interrupting_boundary_whose_condition_is_true_at_activation_ends_the_activity_at_once()
    {
        var instance = await StartAsync($"""
            <bpmn:startEvent id="start"/>{UserTask("work")}{Boundary("changed", "work", "=x > 10")}{UserTask("after")}{UserTask("normal")}
            {Chain("start", "work", "normal")}{Chain("changed", "after")}
            """, Vars(("x", 11)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
            Assert.That(await OpenAsync(instance, "work"), Is.Zero, "the task opened at activation is cancelled");
        }
    }

    [Test]
    public async Task An_interrupting_boundary_fires_when_a_variable_change_makes_its_condition_true()
    {
        var instance = await StartAsync($"""
            <bpmn:startEvent id="start"/>{UserTask("work")}{Boundary("changed", "work", "=x > 10")}{UserTask("after")}{UserTask("normal")}
            {Chain("start", "work", "normal")}{Chain("changed", "after")}
            """, Vars(("x", 1)));

        await instance.SetVariablesAsync(Vars(("x", 5)));
        var whileFalse = await instance.ActiveElementsAsync();
        await instance.SetVariablesAsync(Vars(("x", 99)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(whileFalse, Is.EqualTo(new[] { "work" }));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
        }
    }

    [Test]
    public async Task A_non_interrupting_boundary_fires_on_every_variable_change_after_which_it_is_true()
    {
        var instance = await StartAsync($"""
            <bpmn:startEvent id="start"/>{UserTask("work")}{Boundary("changed", "work", "=x > 10", interrupting: false)}{UserTask("note")}
            {Chain("start", "work")}{Chain("changed", "note")}
            """, Vars(("x", 1)));

        await instance.SetVariablesAsync(Vars(("x", 11)));
        await instance.SetVariablesAsync(Vars(("x", 12)));
        var afterTwoTrueChanges = await OpenAsync(instance, "note");
        await instance.SetVariablesAsync(Vars(("x", 12)));
        var afterNoChange = await OpenAsync(instance, "note");
        await instance.SetVariablesAsync(Vars(("unrelated", 1)));
        var afterUnrelated = await OpenAsync(instance, "note");
        await instance.SetVariablesAsync(Vars(("x", 5)));
        await instance.SetVariablesAsync(Vars(("x", 20), ("y", 1)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(afterTwoTrueChanges, Is.EqualTo(2), "Camunda 8 and 7: every change after which the condition is true fires it");
            Assert.That(afterNoChange, Is.EqualTo(2), "x set to the value it has is no change");
            Assert.That(afterUnrelated, Is.EqualTo(3), "Camunda 8.9: without a filter, any variable change in scope evaluates the condition");
            Assert.That(await OpenAsync(instance, "note"), Is.EqualTo(4), "one firing per command, however many variables it set");
            Assert.That(await OpenAsync(instance, "work"), Is.EqualTo(1));
        }
    }

    [Test]
    public async Task The_activity_s_own_completion_does_not_fire_its_boundary()
    {
        var instance = await StartAsync($"""
            <bpmn:startEvent id="start"/>{UserTask("work")}{Boundary("changed", "work", "=x > 10")}{UserTask("after")}{UserTask("normal")}
            {Chain("start", "work", "normal")}{Chain("changed", "after")}
            """, Vars(("x", 1)));

        await instance.CompleteUserTaskAsync("work", Vars(("x", 11)));

        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "normal" }), "the subscription closes before the completion's variables are set (Camunda 8)");
    }

    [Test]
    public async Task A_boundary_sees_the_activity_s_input_mappings()
    {
        var instance = await StartAsync($"""
            <bpmn:startEvent id="start"/>
            {UserTask("work", """<bpmn:extensionElements><zeebe:ioMapping><zeebe:input source="=amount * 2" target="doubled"/></zeebe:ioMapping></bpmn:extensionElements>""")}
            {Boundary("big", "work", "=doubled > 100")}{UserTask("after")}{UserTask("normal")}
            {Chain("start", "work", "normal")}{Chain("big", "after")}
            """, Vars(("amount", 60)));

        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
    }

    [Test]
    public async Task A_variable_hidden_by_a_nearer_local_of_the_same_name_does_not_concern_the_boundary()
    {
        var instance = await StartAsync($"""
            <bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>
            <bpmn:subProcess id="sub">
              <bpmn:extensionElements><zeebe:ioMapping><zeebe:input source="=0" target="x"/></zeebe:ioMapping></bpmn:extensionElements>
              <bpmn:startEvent id="subStart"/>{UserTask("inner")}{Chain("subStart", "inner")}
            </bpmn:subProcess>
            {Boundary("innerChanged", "inner", "=x > 10", interrupting: false)}{UserTask("innerNote")}
            {UserTask("outer")}{Boundary("outerChanged", "outer", "=x > 10", interrupting: false)}{UserTask("outerNote")}
            {Chain("start", "fork", "sub")}{Chain("fork", "outer")}{Chain("innerChanged", "innerNote")}{Chain("outerChanged", "outerNote")}
            """, Vars(("x", 1)));

        await instance.SetVariablesAsync(Vars(("x", 11)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await OpenAsync(instance, "outerNote"), Is.EqualTo(1));
            Assert.That(await OpenAsync(instance, "innerNote"), Is.Zero, "the sub-process's own x (0) is what the inner boundary sees");
        }
    }

    [Test]
    public async Task The_outer_boundary_is_evaluated_first_and_its_interruption_ends_the_inner_one()
    {
        var instance = await StartAsync($"""
            <bpmn:startEvent id="start"/>
            <bpmn:subProcess id="sub">
              <bpmn:startEvent id="subStart"/>{UserTask("inner")}{Boundary("innerChanged", "inner", "=x > 10")}{UserTask("innerAfter")}
              {Chain("subStart", "inner")}{Chain("innerChanged", "innerAfter")}
            </bpmn:subProcess>
            {Boundary("outerChanged", "sub", "=x > 10")}{UserTask("outerAfter")}
            {Chain("start", "sub")}{Chain("outerChanged", "outerAfter")}
            """, Vars(("x", 1)));

        await instance.SetVariablesAsync(Vars(("x", 11)));

        var history = await instance.HistoryAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "outerAfter" }));
            Assert.That(history.Any(e => e.ElementId == "innerChanged"), Is.False, "the inner boundary never fired");
        }
    }

    // ---------------------------------------------------------------- event sub-process starts

    private static string EventSubProcess(string expression, bool interrupting) => $"""
        <bpmn:subProcess id="esp" triggeredByEvent="true">
          <bpmn:startEvent id="espStart" isInterrupting="{(interrupting ? "true" : "false")}">{Condition(expression)}</bpmn:startEvent>
          {UserTask("handle")}{Chain("espStart", "handle")}
        </bpmn:subProcess>
        """;

    [Test]
    public async Task An_interrupting_event_sub_process_starts_when_its_condition_becomes_true_and_ends_the_main_flow()
    {
        var instance = await StartAsync($"""
            <bpmn:startEvent id="start"/>{UserTask("work")}<bpmn:endEvent id="end"/>{Chain("start", "work", "end")}
            {EventSubProcess("=cancelled", interrupting: true)}
            """, Vars(("cancelled", false)));

        var before = await instance.ActiveElementsAsync();
        await instance.SetVariablesAsync(Vars(("cancelled", true)));
        await instance.SetVariablesAsync(Vars(("cancelled", false)));
        await instance.SetVariablesAsync(Vars(("cancelled", true)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(before, Is.EqualTo(new[] { "work" }));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "esp", "handle" }), "it fires once: it interrupted its scope");
        }
    }

    [Test]
    public async Task An_interrupting_event_sub_process_whose_condition_holds_at_start_runs_instead_of_the_process()
    {
        var instance = await StartAsync($"""
            <bpmn:startEvent id="start"/>{UserTask("work")}<bpmn:endEvent id="end"/>{Chain("start", "work", "end")}
            {EventSubProcess("=cancelled", interrupting: true)}
            """, Vars(("cancelled", true)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "esp", "handle" }));
            Assert.That(await OpenAsync(instance, "work"), Is.Zero);
        }
    }

    [Test]
    public async Task A_non_interrupting_event_sub_process_starts_on_every_true_change_while_its_scope_is_active()
    {
        var instance = await StartAsync($"""
            <bpmn:startEvent id="start"/>{UserTask("work")}<bpmn:endEvent id="end"/>{Chain("start", "work", "end")}
            {EventSubProcess("=priority > 3", interrupting: false)}
            """, Vars(("priority", 1)));

        await instance.SetVariablesAsync(Vars(("priority", 4)));
        await instance.SetVariablesAsync(Vars(("priority", 5)));
        await instance.SetVariablesAsync(Vars(("priority", 2)));
        var beforeEnd = await OpenAsync(instance, "handle");
        await instance.CompleteUserTaskAsync("work");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(beforeEnd, Is.EqualTo(2));
            Assert.That(await OpenAsync(instance, "work"), Is.Zero);
            Assert.That(await instance.StatusAsync(), Is.EqualTo(Workflows.Engine.Runtime.ProcessInstanceStatus.Active), "the started event sub-processes keep the instance running");
        }
    }

    [Test]
    public async Task An_event_sub_process_start_that_fails_is_an_incident_on_its_scope_and_the_main_flow_goes_on()
    {
        var instance = await StartAsync($"""
            <bpmn:startEvent id="start"/>{UserTask("work")}<bpmn:endEvent id="end"/>{Chain("start", "work", "end")}
            {EventSubProcess("=level", interrupting: true)}
            """, Vars(("level", 3)));

        var incident = (await instance.IncidentsAsync()).Single();
        var meanwhile = await OpenAsync(instance, "work");
        await instance.SetVariablesAsync(Vars(("level", true)));
        await instance.ResolveIncidentAsync("p");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(incident.ElementId, Is.EqualTo("p"), "the process scope owns its event sub-processes' waits");
            Assert.That(meanwhile, Is.EqualTo(1));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "esp", "handle" }));
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
        }
    }

    [Test]
    public async Task An_event_sub_process_of_a_sub_process_listens_only_while_the_sub_process_runs()
    {
        var instance = await StartAsync($"""
            <bpmn:startEvent id="start"/>
            <bpmn:subProcess id="sub">
              <bpmn:startEvent id="subStart"/>{UserTask("inner")}<bpmn:endEvent id="subEnd"/>{Chain("subStart", "inner", "subEnd")}
              {EventSubProcess("=flag", interrupting: false)}
            </bpmn:subProcess>
            {UserTask("after")}{Chain("start", "sub", "after")}
            """, Vars(("flag", false)));

        await instance.SetVariablesAsync(Vars(("flag", true)));
        var whileRunning = await OpenAsync(instance, "handle");
        await instance.CompleteUserTaskAsync("handle");
        await instance.CompleteUserTaskAsync("inner");
        await instance.SetVariablesAsync(Vars(("flag", false)));
        await instance.SetVariablesAsync(Vars(("flag", true)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(whileRunning, Is.EqualTo(1));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
        }
    }
}
