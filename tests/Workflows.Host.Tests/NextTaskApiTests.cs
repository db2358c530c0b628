using System.Net;

namespace Workflows.Host.Tests;

/// <summary>
/// <c>POST /api/tasks/next</c> after a completion cut off (the agent's client died after the claim): the agent is handed
/// back the task it holds, not a new one, so that nothing stays claimed by an agent who has moved on.
/// </summary>
public sealed class NextTaskApiTests
{
    [Test]
    public async Task An_agent_whose_completion_was_cut_off_is_handed_back_the_task_it_holds_before_a_new_one()
    {
        await using var host = TestHost.Start();
        var ann = await host.As("ann");
        var first = await ann.StartAsync("complaint", new { customerId = "c-next-1" });
        var second = await ann.StartAsync("complaint", new { customerId = "c-next-2" });

        var registrations = new[] { await ann.TaskAsync(first, "register"), await ann.TaskAsync(second, "register") };
        var claimed = (await ann.PostJsonAsync("/api/tasks/next", new { queues = new[] { "front-desk" } })).GetProperty("id").GetString();
        // The client died here, before its completion reached the host; the agent signs in again and asks for work.
        var again = await (await host.As("ann")).PostJsonAsync("/api/tasks/next", new { queues = new[] { "front-desk" } });
        await ann.PostJsonAsync($"/api/tasks/{claimed}/complete",
            new { variables = new { category = "billing", amount = 10, summary = "charged twice" } }, HttpStatusCode.NoContent);
        var then = await ann.PostJsonAsync("/api/tasks/next", new { queues = new[] { "front-desk" } });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(again.GetProperty("id").GetString(), Is.EqualTo(claimed), "the task she holds, not the other registration");
            Assert.That(again.GetProperty("assignee").GetString(), Is.EqualTo("ann"));
            Assert.That(claimed, Is.AnyOf(registrations), "next-task claimed one of the two registrations");
            Assert.That(then.GetProperty("id").GetString(), Is.Not.EqualTo(claimed), "once it is completed, another task");
            Assert.That(then.GetProperty("assignee").GetString(), Is.EqualTo("ann"));
        }
    }
}
