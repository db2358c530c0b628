using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>What a user task's row keeps, which the store keeps for as long as it keeps the task.</summary>
public sealed class UserTaskRowTests
{
    [Test]
    public async Task A_queue_written_in_the_model_is_one_list_shared_by_the_tasks_of_the_element_and_a_computed_one_is_each_tasks_own()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("queues", """
            <bpmn:startEvent id="s"/>
            <bpmn:parallelGateway id="fork"/>
            <bpmn:userTask id="written"><bpmn:extensionElements><wf:userTask candidateGroups="front-desk"/></bpmn:extensionElements></bpmn:userTask>
            <bpmn:userTask id="computed"><bpmn:extensionElements><wf:userTask candidateGroups="=queue"/></bpmn:extensionElements></bpmn:userTask>
            <bpmn:userTask id="two"><bpmn:extensionElements><wf:userTask candidateGroups="front-desk, back-office"/></bpmn:extensionElements></bpmn:userTask>
            """ + Chain("s", "fork", "written") + Chain("fork", "computed") + Chain("fork", "two")));

        async Task<Dictionary<string, IReadOnlyList<string>>> GroupsAsync()
        {
            var instance = await h.StartAsync("queues", Vars(("queue", "billing")));
            var tasks = await h.Engine.Store.GetOpenUserTasksAsync(instance.Id, default);
            return tasks.ToDictionary(t => t.ElementId, t => t.CandidateGroups);
        }

        var first = await GroupsAsync();
        var second = await GroupsAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first["written"], Is.EqualTo(new[] { "front-desk" }));
            Assert.That(second["written"], Is.SameAs(first["written"]), "one array for every task of the element");
            Assert.That(second["computed"], Is.EqualTo(new[] { "billing" }));
            Assert.That(second["computed"], Is.Not.SameAs(first["computed"]));
            Assert.That(second["two"], Is.EqualTo(new[] { "front-desk", "back-office" }));
        }
    }
}
