using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>Issue 13, part 1: the message and subscription semantics whose state the store keeps, on every database.</summary>
public abstract partial class StoreSuite
{
    [Test]
    public async Task A_non_interrupting_message_boundary_keeps_its_subscription_row_and_fires_on_every_message()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Process("sem-boundary", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("work")}
            <bpmn:boundaryEvent id="again" attachedToRef="work" cancelActivity="false"><bpmn:messageEventDefinition messageRef="m"/></bpmn:boundaryEvent>
            {UserTask("note")}
            {Chain("start", "work")}{Chain("again", "note")}
            """, Message("m", "sem-more-info", "=caseId")));
        var instance = await h.StartAsync("sem-boundary", Vars(("caseId", "B-1")));

        await h.CorrelateAsync("sem-more-info", "B-1");
        await h.CorrelateAsync("sem-more-info", "B-1");

        Assert.That((await instance.UserTasksAsync()).Count(t => t.ElementId == "note"), Is.EqualTo(2));
    }
}
