using Workflows.Engine.Testing;
using Workflows.Engine.Validation;
using static Workflows.Engine.Tests.Bpmn;
using static Workflows.Engine.Tests.Runtime.Semantics.CompensationTests;

namespace Workflows.Engine.Tests.Runtime.Semantics;

/// <summary>
/// Issue 13, part 1, item 10: the transaction sub-process with cancel end and cancel boundary events, with
/// expectations translated from Camunda 7's TransactionSubProcessTest and CancelEventTest (Camunda 8 has none),
/// and the deploy-time findings that compensation and cancel models need.
/// </summary>
public sealed class TransactionTests
{
    // Camunda 7's testSimpleCase / testWaitstateCompensationHandler, with user tasks as handlers.
    private static readonly string s_booking = Process("booking", $"""
        <bpmn:startEvent id="start"/>
        <bpmn:transaction id="tx">
          <bpmn:startEvent id="txStart"/>
          <bpmn:parallelGateway id="fork"/>
          <bpmn:task id="bookHotel">
            <bpmn:multiInstanceLoopCharacteristics isSequential="true"><bpmn:loopCardinality>=5</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>
          </bpmn:task>
          <bpmn:task id="bookFlight"/>
          <bpmn:parallelGateway id="join"/>
          {UserTask("askCustomer")}
          <bpmn:task id="chargeCard"/>
          <bpmn:exclusiveGateway id="confirmed" default="toSuccess"/>
          <bpmn:endEvent id="success"/>
          <bpmn:endEvent id="failure"><bpmn:cancelEventDefinition/></bpmn:endEvent>
          {Undo("bookHotel", "undoBookHotel")}{Undo("bookFlight", "undoBookFlight")}{Undo("chargeCard", "undoChargeCard")}
          {Chain("txStart", "fork", "bookHotel", "join", "askCustomer", "chargeCard", "confirmed")}{Chain("fork", "bookFlight", "join")}
          {Flow("confirmed", "success", id: "toSuccess")}{Flow("confirmed", "failure", "=not(confirmed)")}
        </bpmn:transaction>
        <bpmn:boundaryEvent id="catchCancelTx" attachedToRef="tx"><bpmn:cancelEventDefinition/></bpmn:boundaryEvent>
        {UserTask("afterCancellation")}{UserTask("afterSuccess")}<bpmn:endEvent id="end"/>
        {Chain("start", "tx", "afterSuccess", "end")}{Chain("catchCancelTx", "afterCancellation")}
        """);

    [Test]
    public async Task A_transaction_that_completes_leaves_by_its_sequence_flow_without_compensating()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_booking);
        var instance = await h.StartAsync("booking");

        await instance.CompleteUserTaskAsync("askCustomer", Vars(("confirmed", true)));

        var history = await instance.HistoryAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "afterSuccess" }));
            Assert.That(history.Where(e => e.Kind == "activity-compensated"), Is.Empty);
        }
    }

    [Test]
    public async Task A_cancel_end_event_compensates_every_completed_activity_of_the_transaction_then_leaves_by_the_cancel_boundary()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_booking);
        var instance = await h.StartAsync("booking");

        await instance.CompleteUserTaskAsync("askCustomer", Vars(("confirmed", false)));

        var tasks = await instance.UserTasksAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(tasks.Count(t => t.ElementId == "undoBookHotel"), Is.EqualTo(5), "one handler per completed inner instance");
            Assert.That(tasks.Count(t => t.ElementId == "undoBookFlight"), Is.EqualTo(1));
            Assert.That(tasks.Count(t => t.ElementId == "undoChargeCard"), Is.EqualTo(1));
            Assert.That((await instance.ActiveElementsAsync()).Where(e => !e.StartsWith("undo", StringComparison.Ordinal)), Is.EqualTo(new[] { "failure", "tx" }),
                "the cancel end event waits in the transaction while the handlers run");
            Assert.That((await instance.HistoryAsync()).Count(e => e.Kind == "transaction-cancelled" && e.ElementId == "tx"), Is.EqualTo(1));
        }

        foreach (var handler in new[] { "undoBookHotel", "undoBookFlight", "undoChargeCard" })
        {
            await CompleteEachAsync(h, instance, handler);
        }

        var history = await instance.HistoryAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "afterCancellation" }));
            Assert.That(history.Count(e => e.Kind == "boundary-triggered" && e.ElementId == "catchCancelTx"), Is.EqualTo(1));
            Assert.That(history.Count(e => e.Kind == "element-interrupted" && e.ElementId == "tx"), Is.EqualTo(1));
        }
    }

    [Test]
    public async Task A_cancel_end_event_ends_the_other_tokens_of_the_transaction_and_they_are_not_compensated()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:transaction id="tx">
              <bpmn:startEvent id="txStart"/><bpmn:parallelGateway id="fork"/>
              <bpmn:task id="book"/>{UserTask("review")}{UserTask("pending")}
              <bpmn:endEvent id="cancelEnd"><bpmn:cancelEventDefinition/></bpmn:endEvent><bpmn:endEvent id="e"/>
              {Undo("book", "undoBook")}{Undo("pending", "undoPending")}
              {Chain("txStart", "fork", "book", "review", "cancelEnd")}{Chain("fork", "pending", "e")}
            </bpmn:transaction>
            <bpmn:boundaryEvent id="cancelled" attachedToRef="tx"><bpmn:cancelEventDefinition/></bpmn:boundaryEvent>
            {UserTask("afterCancel")}<bpmn:endEvent id="end"/>
            {Chain("start", "tx", "end")}{Chain("cancelled", "afterCancel")}
            """));
        var instance = await h.StartAsync("p");

        await instance.CompleteUserTaskAsync("review");

        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "cancelEnd", "tx", "undoBook" }), "the pending task ended and is not compensated");
        await instance.CompleteUserTaskAsync("undoBook");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "afterCancel" }));
    }

    // Camunda 7's testCompensateSubprocess and testCompensateSubprocessAfterTxCompletion.
    private static readonly string s_withSubProcess = Process("txProcess", $"""
        <bpmn:startEvent id="start"/>
        <bpmn:transaction id="tx">
          <bpmn:startEvent id="txStart"/>
          <bpmn:subProcess id="subprocess">
            <bpmn:startEvent id="startInScope"/>{UserTask("innerTask")}<bpmn:endEvent id="endInScope"/>
            {Undo("innerTask", "undoInnerTask")}
            {Chain("startInScope", "innerTask", "endInScope")}
          </bpmn:subProcess>
          {UserTask("beforeCancel")}<bpmn:exclusiveGateway id="exclusiveGw" default="toTxEnd"/>
          <bpmn:endEvent id="txEnd"/><bpmn:endEvent id="cancelEnd"><bpmn:cancelEventDefinition/></bpmn:endEvent>
          {Chain("txStart", "subprocess", "beforeCancel", "exclusiveGw")}{Flow("exclusiveGw", "txEnd", id: "toTxEnd")}{Flow("exclusiveGw", "cancelEnd", "=cancelTx")}
        </bpmn:transaction>
        {UserTask("afterTx")}<bpmn:exclusiveGateway id="exclusiveGw2" default="toEnd"/><bpmn:endEvent id="end"/>
        {Throw("throwCompensate")}<bpmn:endEvent id="compensateEnd"/>
        <bpmn:boundaryEvent id="catchCancelTx" attachedToRef="tx"><bpmn:cancelEventDefinition/></bpmn:boundaryEvent>
        {UserTask("afterCancel")}<bpmn:endEvent id="cancelled"/>
        {Chain("start", "tx", "afterTx", "exclusiveGw2")}{Flow("exclusiveGw2", "end", id: "toEnd")}{Flow("exclusiveGw2", "throwCompensate", "=compensate")}
        {Chain("throwCompensate", "compensateEnd")}{Chain("catchCancelTx", "afterCancel", "cancelled")}
        """);

    [Test]
    public async Task Cancelling_a_transaction_compensates_the_activities_of_a_sub_process_completed_inside_it()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_withSubProcess);
        var instance = await h.StartAsync("txProcess", Vars(("cancelTx", true), ("compensate", false)));
        await instance.CompleteUserTaskAsync("innerTask");

        await instance.CompleteUserTaskAsync("beforeCancel");
        Assert.That((await instance.UserTasksAsync()).Select(t => t.ElementId), Is.EqualTo(new[] { "undoInnerTask" }));

        await instance.CompleteUserTaskAsync("undoInnerTask");
        Assert.That((await instance.UserTasksAsync()).Select(t => t.ElementId), Is.EqualTo(new[] { "afterCancel" }));
        await instance.CompleteUserTaskAsync("afterCancel");
        Assert.That(await instance.StatusAsync(), Is.EqualTo(Engine.Runtime.ProcessInstanceStatus.Completed));
    }

    [Test]
    public async Task A_completed_transaction_can_still_be_compensated_by_a_throw_after_it()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_withSubProcess);
        var instance = await h.StartAsync("txProcess", Vars(("cancelTx", false), ("compensate", true)));
        await instance.CompleteUserTaskAsync("innerTask");
        await instance.CompleteUserTaskAsync("beforeCancel");

        await instance.CompleteUserTaskAsync("afterTx");
        Assert.That((await instance.UserTasksAsync()).Select(t => t.ElementId), Is.EqualTo(new[] { "undoInnerTask" }));

        await instance.CompleteUserTaskAsync("undoInnerTask");
        Assert.That(await instance.StatusAsync(), Is.EqualTo(Engine.Runtime.ProcessInstanceStatus.Completed));
    }

    [Test]
    public async Task An_error_that_interrupts_a_transaction_does_not_compensate_it()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:transaction id="tx">
              <bpmn:startEvent id="txStart"/><bpmn:task id="book"/>{ServiceTask("charge", "charge")}
              <bpmn:endEvent id="cancelEnd"><bpmn:cancelEventDefinition/></bpmn:endEvent>
              {Undo("book", "undoBook")}
              {Chain("txStart", "book", "charge", "cancelEnd")}
            </bpmn:transaction>
            <bpmn:boundaryEvent id="cancelled" attachedToRef="tx"><bpmn:cancelEventDefinition/></bpmn:boundaryEvent>
            <bpmn:boundaryEvent id="failed" attachedToRef="tx"><bpmn:errorEventDefinition errorRef="err"/></bpmn:boundaryEvent>
            {UserTask("afterCancel")}{UserTask("afterError")}{Throw("later")}{UserTask("done")}
            {Chain("start", "tx")}{Chain("cancelled", "afterCancel")}{Chain("failed", "afterError", "later", "done")}
            """, """<bpmn:error id="err" errorCode="DECLINED"/>"""));
        var instance = await h.StartAsync("p");

        await instance.ThrowJobErrorAsync("charge", "DECLINED");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "afterError" }));

        await instance.CompleteUserTaskAsync("afterError");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "done" }), "what ran in the interrupted transaction is not compensated later either");
            Assert.That((await instance.HistoryAsync()).Where(e => e.ElementId == "undoBook"), Is.Empty);
        }
    }

    [Test]
    public async Task An_inner_transaction_cancelled_inside_an_outer_one_leaves_by_its_own_cancel_boundary()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:transaction id="outer">
              <bpmn:startEvent id="os"/><bpmn:parallelGateway id="fork"/>{UserTask("bookFlight")}<bpmn:endEvent id="oe"/>
              <bpmn:transaction id="inner">
                <bpmn:startEvent id="is"/><bpmn:task id="innerBook"/>{UserTask("innerAsk")}
                <bpmn:endEvent id="innerCancel"><bpmn:cancelEventDefinition/></bpmn:endEvent>
                {Undo("innerBook", "innerUndo")}
                {Chain("is", "innerBook", "innerAsk", "innerCancel")}
              </bpmn:transaction>
              <bpmn:boundaryEvent id="innerCancelled" attachedToRef="inner"><bpmn:cancelEventDefinition/></bpmn:boundaryEvent>
              {UserTask("afterInnerCancellation")}<bpmn:endEvent id="ie"/>
              {Chain("os", "fork", "bookFlight", "oe")}{Chain("fork", "inner")}{Chain("innerCancelled", "afterInnerCancellation", "ie")}
            </bpmn:transaction>
            <bpmn:boundaryEvent id="outerCancelled" attachedToRef="outer"><bpmn:cancelEventDefinition/></bpmn:boundaryEvent>
            <bpmn:endEvent id="end"/><bpmn:endEvent id="cancelled"/>
            {Chain("start", "outer", "end")}{Chain("outerCancelled", "cancelled")}
            """));
        var instance = await h.StartAsync("p");

        await instance.CompleteUserTaskAsync("innerAsk");
        await instance.CompleteUserTaskAsync("innerUndo");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "afterInnerCancellation", "bookFlight", "outer" }));

        await instance.CompleteUserTaskAsync("bookFlight");
        await instance.CompleteUserTaskAsync("afterInnerCancellation");
        Assert.That(await instance.StatusAsync(), Is.EqualTo(Engine.Runtime.ProcessInstanceStatus.Completed));
    }

    // ---------------------------------------------------------------- deploy-time findings

    private static async Task<IReadOnlyList<(string Code, string? ElementId)>> ErrorsAsync(string xml) =>
        (await new WorkflowEngine().Deployments.ValidateAsync(xml)).Findings.Where(f => f.Severity == FindingSeverity.Error).Select(f => (f.Code, f.ElementId)).ToList();

    [Test]
    public async Task A_cancel_end_event_outside_a_transaction_and_a_cancel_boundary_on_a_sub_process_are_refused()
    {
        var errors = await ErrorsAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:subProcess id="sub"><bpmn:startEvent id="s"/><bpmn:endEvent id="cancelEnd"><bpmn:cancelEventDefinition/></bpmn:endEvent>{Chain("s", "cancelEnd")}</bpmn:subProcess>
            <bpmn:boundaryEvent id="cancelled" attachedToRef="sub"><bpmn:cancelEventDefinition/></bpmn:boundaryEvent>
            <bpmn:endEvent id="end"/>
            {Chain("start", "sub", "end")}{Chain("cancelled", "end")}
            """));

        Assert.That(errors, Is.EquivalentTo(new[] { ("CANCEL_OUTSIDE_TRANSACTION", "cancelEnd"), ("CANCEL_OUTSIDE_TRANSACTION", (string?)"cancelled") }));
    }

    [Test]
    public async Task A_transaction_with_a_cancel_end_event_needs_a_cancel_boundary_event()
    {
        var errors = await ErrorsAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:transaction id="tx"><bpmn:startEvent id="s"/><bpmn:endEvent id="cancelEnd"><bpmn:cancelEventDefinition/></bpmn:endEvent>{Chain("s", "cancelEnd")}</bpmn:transaction>
            <bpmn:endEvent id="end"/>
            {Chain("start", "tx", "end")}
            """));

        Assert.That(errors, Is.EqualTo(new[] { ("CANCEL_BOUNDARY_MISSING", (string?)"cancelEnd") }));
    }

    [Test]
    public async Task A_transaction_has_at_most_one_cancel_boundary_event()
    {
        var errors = await ErrorsAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:transaction id="tx"><bpmn:startEvent id="s"/><bpmn:endEvent id="cancelEnd"><bpmn:cancelEventDefinition/></bpmn:endEvent>{Chain("s", "cancelEnd")}</bpmn:transaction>
            <bpmn:boundaryEvent id="one" attachedToRef="tx"><bpmn:cancelEventDefinition/></bpmn:boundaryEvent>
            <bpmn:boundaryEvent id="two" attachedToRef="tx"><bpmn:cancelEventDefinition/></bpmn:boundaryEvent>
            <bpmn:endEvent id="end"/>
            {Chain("start", "tx", "end")}{Chain("one", "end")}{Chain("two", "end")}
            """));

        Assert.That(errors, Is.EqualTo(new[] { ("CANCEL_BOUNDARY_DUPLICATE", (string?)"two") }));
    }

    [Test]
    public async Task Compensation_models_that_cannot_run_are_refused_with_the_element_named()
    {
        var errors = await ErrorsAsync(Process("p", $"""
            <bpmn:startEvent id="start"/><bpmn:task id="A"/><bpmn:task id="B"/>{Throw("compensate", activityRef: "nowhere")}<bpmn:endEvent id="end"/>
            <bpmn:boundaryEvent id="A_undo" attachedToRef="A"><bpmn:compensateEventDefinition/></bpmn:boundaryEvent>
            <bpmn:userTask id="orphan" isForCompensation="true"/>
            {Chain("start", "A", "B", "compensate", "end")}
            """));

        Assert.That(errors, Is.EquivalentTo(new[]
        {
            ("COMPENSATION_HANDLER_MISSING", "A_undo"),
            ("COMPENSATION_ACTIVITY_INVALID", "compensate"),
            ("COMPENSATION_HANDLER_UNUSED", (string?)"orphan"),
        }));
    }

    [Test]
    public async Task A_model_with_compensation_and_a_transaction_deploys_without_findings()
    {
        var findings = (await new WorkflowEngine().Deployments.ValidateAsync(s_booking)).Findings;

        Assert.That(findings, Is.Empty);
    }
}
