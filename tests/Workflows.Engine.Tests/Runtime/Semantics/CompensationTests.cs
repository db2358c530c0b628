using Workflows.Engine.Runtime;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime.Semantics;

/// <summary>
/// Issue 13, part 1, item 10: compensation, with expectations translated from Camunda 8's compensation event
/// tests (CompensationEventExecutionTest) and Camunda 7's CompensateEventTest.
/// </summary>
public sealed class CompensationTests
{
    /// <summary>A compensation boundary event on <paramref name="activity"/>, associated with its handler.</summary>
    internal static string Undo(string activity, string handler, string handlerXml = "") => $"""
        <bpmn:boundaryEvent id="{activity}_undo" attachedToRef="{activity}"><bpmn:compensateEventDefinition/></bpmn:boundaryEvent>
        {(handlerXml.Length > 0 ? handlerXml : $"""<bpmn:userTask id="{handler}" isForCompensation="true"/>""")}
        <bpmn:association id="{activity}_to_{handler}" sourceRef="{activity}_undo" targetRef="{handler}"/>
        """;

    internal static string Throw(string id, string? activityRef = null) =>
        $"""<bpmn:intermediateThrowEvent id="{id}"><bpmn:compensateEventDefinition{(activityRef is null ? "" : $" activityRef=\"{activityRef}\"")}/></bpmn:intermediateThrowEvent>""";

    private static string CompensationEnd(string id) => $"""<bpmn:endEvent id="{id}"><bpmn:compensateEventDefinition/></bpmn:endEvent>""";

    private static async Task<List<string>> EnteredAsync(ProcessInstanceHandle instance, params string[] ids) =>
        (await instance.HistoryAsync()).Where(e => e.Kind == "element-entered" && ids.Contains(e.ElementId)).Select(e => e.ElementId!).ToList();

    /// <summary>Completes every open user task at <paramref name="elementId"/>, one command each.</summary>
    internal static async Task CompleteEachAsync(ProcessTestHarness h, ProcessInstanceHandle instance, string elementId)
    {
        foreach (var task in (await instance.UserTasksAsync()).Where(t => t.ElementId == elementId))
        {
            await h.Engine.Tasks.CompleteAsync(task.Id);
        }
    }

    private const string CollectItem = """<bpmn:extensionElements><zeebe:ioMapping><zeebe:output source="=append(cancelled, item)" target="cancelled"/></zeebe:ioMapping></bpmn:extensionElements>""";

    [Test]
    public async Task A_compensation_throw_event_runs_the_handler_of_the_completed_activity_and_waits_for_it()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>{UserTask("A")}{Throw("compensate")}{UserTask("after")}
            {Undo("A", "undoA")}
            {Chain("start", "A", "compensate", "after")}
            """));
        var instance = await h.StartAsync("p");

        await instance.CompleteUserTaskAsync("A");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "compensate", "undoA" }), "the throw event waits for the handler");

        await instance.CompleteUserTaskAsync("undoA");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
    }

    [Test]
    public async Task Handlers_start_in_reverse_order_of_completion_and_history_names_what_was_compensated()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/><bpmn:task id="A"/><bpmn:task id="B"/><bpmn:task id="C"/>{Throw("compensate")}<bpmn:endEvent id="end"/>
            {Undo("A", "undoA")}{Undo("B", "undoB")}{Undo("C", "undoC")}
            {Chain("start", "A", "B", "C", "compensate", "end")}
            """));
        var instance = await h.StartAsync("p");

        var history = await instance.HistoryAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await EnteredAsync(instance, "undoA", "undoB", "undoC"), Is.EqualTo(new[] { "undoC", "undoB", "undoA" }));
            Assert.That(history.Where(e => e.Kind == "activity-compensated").Select(e => (e.ElementId, e.Detail)),
                Is.EqualTo(new[] { ("C", "undoC"), ("B", "undoB"), ("A", "undoA") }));
            Assert.That(history.Count(e => e.Kind == "compensation-thrown" && e.ElementId == "compensate"), Is.EqualTo(1));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "compensate", "undoA", "undoB", "undoC" }), "all handlers run at once, as in Camunda 8");
        }

        await instance.CompleteUserTaskAsync("undoB");
        await instance.CompleteUserTaskAsync("undoA");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "compensate", "undoC" }), "the throw waits for its last handler");

        await instance.CompleteUserTaskAsync("undoC");
        Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
    }

    [Test]
    public async Task An_activity_that_is_still_active_is_not_compensated()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>{UserTask("A")}<bpmn:task id="B"/>{Throw("compensate")}
            <bpmn:endEvent id="endA"/><bpmn:endEvent id="endB"/>
            {Undo("A", "undoA")}{Undo("B", "undoB")}
            {Chain("start", "fork", "A", "endA")}{Chain("fork", "B", "compensate", "endB")}
            """));
        var instance = await h.StartAsync("p");

        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "A", "compensate", "undoB" }));
    }

    [Test]
    public async Task Activities_inside_an_interrupted_sub_process_are_not_compensated()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:subProcess id="sub">
              <bpmn:startEvent id="s"/><bpmn:task id="B"/>{UserTask("wait")}<bpmn:endEvent id="e"/>
              {Undo("B", "undoB")}
              {Chain("s", "B", "wait", "e")}
            </bpmn:subProcess>
            <bpmn:boundaryEvent id="stop" attachedToRef="sub"><bpmn:messageEventDefinition messageRef="m"/></bpmn:boundaryEvent>
            {Throw("compensate")}{UserTask("after")}
            {Chain("start", "sub")}{Chain("stop", "compensate", "after")}
            """, Message("m", "stop", "=caseId")));
        var instance = await h.StartAsync("p", Vars(("caseId", "C-1")));

        await h.CorrelateAsync("stop", "C-1");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
            Assert.That(await EnteredAsync(instance, "undoB"), Is.Empty);
        }
    }

    [Test]
    public async Task A_throw_with_an_activity_ref_compensates_only_that_activity()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/><bpmn:task id="A"/><bpmn:task id="B"/>{Throw("compensate", activityRef: "A")}{UserTask("after")}
            {Undo("A", "undoA")}{Undo("B", "undoB")}
            {Chain("start", "A", "B", "compensate", "after")}
            """));
        var instance = await h.StartAsync("p");

        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "compensate", "undoA" }));
    }

    [Test]
    public async Task A_compensation_end_event_ends_its_token_once_the_handlers_are_done()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/><bpmn:task id="A"/>{CompensationEnd("end")}
            {Undo("A", "undoA")}
            {Chain("start", "A", "end")}
            """));
        var instance = await h.StartAsync("p");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "end", "undoA" }));

        await instance.CompleteUserTaskAsync("undoA");

        Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
    }

    [Test]
    public async Task A_throw_with_nothing_completed_to_compensate_goes_on_at_once_and_an_activity_is_compensated_once()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>{Throw("nothing")}<bpmn:task id="A"/>{Throw("first")}{Throw("second")}{UserTask("after")}
            {Undo("A", "undoA")}
            {Chain("start", "nothing", "A", "first", "second", "after")}
            """));
        var instance = await h.StartAsync("p");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "first", "undoA" }));

        await instance.CompleteUserTaskAsync("undoA");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
            Assert.That(await EnteredAsync(instance, "undoA"), Has.Count.EqualTo(1));
        }
    }

    [Test]
    public async Task The_handler_sees_the_variables_the_activity_had_when_it_completed()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:task id="book"><bpmn:extensionElements><zeebe:ioMapping><zeebe:input source="=orderId" target="booked"/></zeebe:ioMapping></bpmn:extensionElements></bpmn:task>
            <bpmn:scriptTask id="next"><bpmn:extensionElements><zeebe:script expression="=&quot;O-2&quot;" resultVariable="orderId"/></bpmn:extensionElements></bpmn:scriptTask>
            {Throw("compensate")}<bpmn:endEvent id="end"/>
            {Undo("book", "cancel", """
                <bpmn:scriptTask id="cancel" isForCompensation="true"><bpmn:extensionElements><zeebe:script expression="=booked" resultVariable="cancelled"/></bpmn:extensionElements></bpmn:scriptTask>
                """)}
            {Chain("start", "book", "next", "compensate", "end")}
            """));

        var instance = await h.StartAsync("p", Vars(("orderId", "O-1")));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
            Assert.That(await instance.VariableAsync("cancelled"), Is.EqualTo("O-1"), "the local variable of the activity, not today's orderId");
        }
    }

    [Test]
    public async Task A_throw_after_a_completed_sub_process_compensates_the_activities_inside_it_latest_first()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:subProcess id="sub">
              <bpmn:startEvent id="s"/><bpmn:task id="hotel"/><bpmn:task id="flight"/><bpmn:endEvent id="e"/>
              {Undo("hotel", "cancelHotel")}{Undo("flight", "cancelFlight")}
              {Chain("s", "hotel", "flight", "e")}
            </bpmn:subProcess>
            <bpmn:task id="car"/>{Throw("compensate")}{UserTask("after")}
            {Undo("car", "cancelCar")}
            {Chain("start", "sub", "car", "compensate", "after")}
            """));
        var instance = await h.StartAsync("p");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "cancelCar", "cancelFlight", "cancelHotel", "compensate" }));
            Assert.That(await EnteredAsync(instance, "cancelCar", "cancelFlight", "cancelHotel"), Is.EqualTo(new[] { "cancelCar", "cancelFlight", "cancelHotel" }));
        }

        foreach (var task in new[] { "cancelCar", "cancelFlight", "cancelHotel" })
        {
            await instance.CompleteUserTaskAsync(task);
        }

        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
    }

    [Test]
    public async Task Each_completed_inner_instance_of_a_multi_instance_activity_is_compensated_with_its_own_item()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:task id="book">
              <bpmn:multiInstanceLoopCharacteristics>
                <bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=hotels" inputElement="item"/></bpmn:extensionElements>
              </bpmn:multiInstanceLoopCharacteristics>
            </bpmn:task>
            {Throw("compensate")}<bpmn:endEvent id="end"/>
            {Undo("book", "cancel", $"""<bpmn:userTask id="cancel" isForCompensation="true">{CollectItem}</bpmn:userTask>""")}
            {Chain("start", "book", "compensate", "end")}
            """));
        var instance = await h.StartAsync("p", Vars(("hotels", new List<object?> { "Rupert", "Milliways", "Taunton" }), ("cancelled", new List<object?>())));
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "cancel", "cancel", "cancel", "compensate" }));

        await CompleteEachAsync(h, instance, "cancel");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
            Assert.That(await instance.VariableAsync("cancelled"), Is.EquivalentTo(new[] { "Taunton", "Milliways", "Rupert" }));
        }
    }

    [Test]
    public async Task A_multi_instance_sub_process_has_the_activities_of_each_inner_instance_compensated()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:subProcess id="each">
              <bpmn:multiInstanceLoopCharacteristics isSequential="true">
                <bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=flights" inputElement="item"/></bpmn:extensionElements>
              </bpmn:multiInstanceLoopCharacteristics>
              <bpmn:startEvent id="s"/>{UserTask("book")}<bpmn:endEvent id="e"/>
              {Undo("book", "cancel", $"""<bpmn:userTask id="cancel" isForCompensation="true">{CollectItem}</bpmn:userTask>""")}
              {Chain("s", "book", "e")}
            </bpmn:subProcess>
            {Throw("compensate")}{UserTask("after")}
            {Chain("start", "each", "compensate", "after")}
            """));
        var instance = await h.StartAsync("p", Vars(("flights", new List<object?> { "STS-14", "STS-28" }), ("cancelled", new List<object?>())));
        await instance.CompleteUserTaskAsync("book");
        await instance.CompleteUserTaskAsync("book");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "cancel", "cancel", "compensate" }));

        await CompleteEachAsync(h, instance, "cancel");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
            Assert.That(await instance.VariableAsync("cancelled"), Is.EquivalentTo(new[] { "STS-14", "STS-28" }), "each handler saw the item of its own inner instance");
        }
    }

    [Test]
    public async Task A_completed_sub_process_with_a_compensation_event_sub_process_is_compensated_by_it()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:subProcess id="booking">
              <bpmn:startEvent id="s"/><bpmn:task id="flight"/><bpmn:endEvent id="e"/>
              {Undo("flight", "cancelFlight")}
              {Chain("s", "flight", "e")}
              <bpmn:subProcess id="onCompensation" triggeredByEvent="true">
                <bpmn:startEvent id="cs"><bpmn:compensateEventDefinition/></bpmn:startEvent>
                {UserTask("updateRecord")}{Throw("undoInside")}<bpmn:endEvent id="ce"/>
                {Chain("cs", "updateRecord", "undoInside", "ce")}
              </bpmn:subProcess>
            </bpmn:subProcess>
            {Throw("compensate")}{UserTask("after")}
            {Chain("start", "booking", "compensate", "after")}
            """));
        var instance = await h.StartAsync("p");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "compensate", "onCompensation", "updateRecord" }));

        await instance.CompleteUserTaskAsync("updateRecord");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "cancelFlight", "compensate", "onCompensation", "undoInside" }),
            "the event sub-process's own throw compensates the activities of the sub-process");

        await instance.CompleteUserTaskAsync("cancelFlight");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
    }

    [Test]
    public async Task An_error_event_sub_process_can_compensate_what_completed_in_its_scope()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/><bpmn:task id="charge"/>
            <bpmn:endEvent id="fail"><bpmn:errorEventDefinition errorRef="err"/></bpmn:endEvent>
            {Undo("charge", "refund")}
            {Chain("start", "charge", "fail")}
            <bpmn:subProcess id="onError" triggeredByEvent="true">
              <bpmn:startEvent id="es"><bpmn:errorEventDefinition errorRef="err"/></bpmn:startEvent>
              {Throw("compensate")}{UserTask("apologise")}
              {Chain("es", "compensate", "apologise")}
            </bpmn:subProcess>
            """, """<bpmn:error id="err" errorCode="DECLINED"/>"""));
        var instance = await h.StartAsync("p");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "compensate", "onError", "refund" }));

        await instance.CompleteUserTaskAsync("refund");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "apologise", "onError" }));
    }

    [Test]
    public async Task A_handler_waiting_for_a_person_keeps_the_compensation_across_commands_and_a_cancelled_instance_drops_it()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>{UserTask("A")}<bpmn:task id="B"/>{Throw("compensate")}{UserTask("after")}
            {Undo("A", "undoA")}{Undo("B", "undoB")}
            {Chain("start", "A", "B", "compensate", "after")}
            """));
        var instance = await h.StartAsync("p");
        await instance.CompleteUserTaskAsync("A");
        await instance.CompleteUserTaskAsync("undoB");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "compensate", "undoA" }));

        await h.Engine.Runtime.CancelAsync(instance.Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Cancelled));
            Assert.That(await instance.UserTasksAsync(), Is.Empty);
        }
    }

    [Test]
    public async Task A_throw_inside_a_sub_process_compensates_only_the_sub_process_and_handler_variables_propagate_from_there()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/><bpmn:task id="outerTask"/>
            <bpmn:subProcess id="sub">
              <bpmn:extensionElements><zeebe:ioMapping><zeebe:input source="=0" target="local"/></zeebe:ioMapping></bpmn:extensionElements>
              <bpmn:startEvent id="s"/><bpmn:task id="A"/>{CompensationEnd("subEnd")}
              {Undo("A", "undoA")}
              {Chain("s", "A", "subEnd")}
            </bpmn:subProcess>
            {UserTask("after")}
            {Undo("outerTask", "undoOuter")}
            {Chain("start", "outerTask", "sub", "after")}
            """));
        var instance = await h.StartAsync("p");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "sub", "subEnd", "undoA" }), "the activity of the parent scope is not compensated");

        await instance.CompleteUserTaskAsync("undoA", Vars(("local", 1), ("global", 2)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
            Assert.That(await instance.VariableAsync("global"), Is.EqualTo(2));
            Assert.That(await instance.VariableAsync("local"), Is.Null, "'local' was set in the sub-process, where it lived");
            Assert.That((await instance.HistoryAsync()).Count(e => e.Kind == "boundary-triggered" && e.ElementId == "A_undo"), Is.EqualTo(1));
        }
    }
}
