using NUnit.Framework;
using Workflows.Engine.Runtime;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>Issue 13, part 1, item 10: compensation records live in the instance state, so a compensation spans commands on every store.</summary>
public abstract partial class StoreSuite
{
    private static string Undo(string activity, string handler, string extra = "") => $"""
        <bpmn:boundaryEvent id="{activity}_undo" attachedToRef="{activity}"><bpmn:compensateEventDefinition/></bpmn:boundaryEvent>
        <bpmn:userTask id="{handler}" isForCompensation="true">{extra}</bpmn:userTask>
        <bpmn:association id="{activity}_to_{handler}" sourceRef="{activity}_undo" targetRef="{handler}"/>
        """;

    [Test]
    public async Task A_compensation_spans_commands_with_each_handler_seeing_what_its_activity_had_and_a_transaction_cancels_through_its_boundary()
    {
        var h = await HarnessAsync();
        const string Collect = """<bpmn:extensionElements><zeebe:ioMapping><zeebe:output source="=append(undone, booked)" target="undone"/></zeebe:ioMapping></bpmn:extensionElements>""";
        await h.DeployAsync(Process("comp-trip", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:transaction id="tx">
              <bpmn:startEvent id="txStart"/>
              <bpmn:userTask id="book">
                <bpmn:extensionElements><zeebe:ioMapping><zeebe:input source="=item" target="booked"/></zeebe:ioMapping></bpmn:extensionElements>
                <bpmn:multiInstanceLoopCharacteristics isSequential="true">
                  <bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=legs" inputElement="item"/></bpmn:extensionElements>
                </bpmn:multiInstanceLoopCharacteristics>
              </bpmn:userTask>
              {UserTask("confirm")}
              <bpmn:exclusiveGateway id="ok" default="toDone"/><bpmn:endEvent id="done"/>
              <bpmn:endEvent id="cancelEnd"><bpmn:cancelEventDefinition/></bpmn:endEvent>
              {Undo("book", "unbook", Collect)}
              {Chain("txStart", "book", "confirm", "ok")}{Flow("ok", "done", id: "toDone")}{Flow("ok", "cancelEnd", "=not(confirmed)")}
            </bpmn:transaction>
            <bpmn:boundaryEvent id="cancelled" attachedToRef="tx"><bpmn:cancelEventDefinition/></bpmn:boundaryEvent>
            {UserTask("apologise")}<bpmn:endEvent id="end"/>
            {Chain("start", "tx", "end")}{Chain("cancelled", "apologise")}
            """));
        var instance = await h.StartAsync("comp-trip", Vars(("legs", new List<object?> { "LHR", "JFK" }), ("undone", new List<object?>())));
        await instance.CompleteUserTaskAsync("book");
        await instance.CompleteUserTaskAsync("book");

        await instance.CompleteUserTaskAsync("confirm", Vars(("confirmed", false)));
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "cancelEnd", "tx", "unbook", "unbook" }));

        foreach (var task in (await instance.UserTasksAsync()).Where(t => t.ElementId == "unbook"))
        {
            await h.Engine.Tasks.CompleteAsync(task.Id);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "apologise" }));
            Assert.That(await instance.VariableAsync("undone"), Is.EquivalentTo(new[] { "LHR", "JFK" }));
            Assert.That((await instance.HistoryAsync()).Count(e => e.Kind == "activity-compensated"), Is.EqualTo(2));
        }

        await instance.CompleteUserTaskAsync("apologise");
        Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
    }
}
