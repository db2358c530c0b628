using System.Net;
using System.Net.Http.Json;

namespace Workflows.Host.Tests;

/// <summary>
/// An agent of the task's branch reads, works and completes only a task of a queue it works (or one it holds): a task of
/// another queue is 403 naming the task's queues, whichever of the agent's queues comes first in its token.
/// </summary>
public sealed class TaskQueueAccessTests
{
    [Test]
    public async Task An_agent_of_the_branch_works_a_task_only_when_one_of_its_queues_is_the_task_s()
    {
        await using var host = TestHost.Start();
        var ann = await host.As("ann");
        var instance = await ann.StartAsync("complaint", new { customerId = "c-queue-access-1" });
        var registration = await ann.TaskAsync(instance, "register");
        var elsewhere = host.WithToken(("sub", "nadia"), ("role", "agent"), ("branch", "paris-01"), ("queue", "billing-desk"), ("queue", "logistics-desk"));
        // The task's queue last among the agent's: found by a walk of every queue, not only the first.
        var frontDesk = host.WithToken(("sub", "nadia"), ("role", "agent"), ("branch", "paris-01"), ("queue", "billing-desk"), ("queue", "front-desk"));

        using var read = await elsewhere.GetAsync($"/api/tasks/{registration}");
        using var completed = await elsewhere.PostAsJsonAsync($"/api/tasks/{registration}/complete",
            new { variables = new { category = "billing", amount = 10, summary = "charged twice" } });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await read.ProblemAsync(HttpStatusCode.Forbidden), Is.EqualTo($"task {registration} is in front-desk, none of which nadia works"));
            Assert.That(await completed.ProblemAsync(HttpStatusCode.Forbidden), Is.EqualTo($"task {registration} is in front-desk, none of which nadia works"));
            Assert.That((await frontDesk.GetJsonAsync($"/api/tasks/{registration}")).GetProperty("id").GetString(), Is.EqualTo(registration));
        }

        await frontDesk.PostJsonAsync($"/api/tasks/{registration}/complete",
            new { variables = new { category = "billing", amount = 10, summary = "charged twice" } }, HttpStatusCode.NoContent);
    }
}
