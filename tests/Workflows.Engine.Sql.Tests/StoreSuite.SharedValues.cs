using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

public abstract partial class StoreSuite
{
    // The in-memory store hands the next command the very state object the last commit wrote. A FEEL value
    // can be one list held in two places (an input mapping of `=votes` holds the multi-instance body's output collection
    // itself), and the body fills its output collection in place; a parsed state holds two lists, the kept state one.
    // Three parallel inner tasks, each counting the filled places of the collection when it completes: a store that parses
    // the state at each command gives [0, 0, 0]; one that keeps the aliasing across commands gives 0, 1, 2.
    [Test]
    public async Task A_value_held_twice_within_one_command_is_two_values_in_the_next_as_on_every_store()
    {
        var h = await HarnessAsync();
        var id = Unique("shared-values");
        await h.DeployAsync(Process(id, $"""
            <bpmn:startEvent id="start"/>
            <bpmn:userTask id="approve">
              <bpmn:extensionElements><zeebe:ioMapping><zeebe:input source="=votes" target="seen"/></zeebe:ioMapping></bpmn:extensionElements>
              <bpmn:multiInstanceLoopCharacteristics isSequential="false">
                <bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=approvers" inputElement="approver" outputCollection="votes" outputElement="=count(seen[item != null])"/></bpmn:extensionElements>
              </bpmn:multiInstanceLoopCharacteristics>
            </bpmn:userTask>
            {UserTask("after")}
            {Chain("start", "approve", "after")}
            """));
        var instance = await h.StartAsync(id, Vars(("approvers", new[] { "ann", "bob", "cy" })));
        foreach (var task in (await instance.UserTasksAsync()).Where(t => t.ElementId == "approve").ToList())
        {
            await h.Engine.Tasks.CompleteAsync(task.Id, null, "agent"); // one command each
        }

        Assert.That(await instance.IncidentsAsync(), Is.Empty);
        var votes = ((System.Collections.IEnumerable)(await instance.VariableAsync("votes"))!).Cast<object?>()
            .Select(v => Convert.ToDecimal(v, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.That(votes, Is.EqualTo(new[] { 0m, 0m, 0m }), $"each inner task saw the collection as the state read for its command holds it; got [{string.Join(", ", votes)}]");
    }
}
