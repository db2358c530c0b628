using System.Net;

namespace Workflows.Host.Tests;

/// <summary>
/// The task list's sort and SLA-state parameters, as the HTTP load driver (bench http) found them: the API writes
/// these values in camel case (<c>slaTimeLeft</c>, <c>running</c>), and a caller sending them back must be understood.
/// </summary>
public sealed class TaskListQueryTests
{
    [Test]
    public async Task A_supervisor_sorts_the_task_list_by_the_names_the_API_writes_in_any_case()
    {
        await using var host = TestHost.Start();
        var ann = await host.As("ann");
        var sofia = await host.As("sofia");
        var first = await ann.StartAsync("complaint", new { customerId = "c-sort-1" });
        var second = await ann.StartAsync("complaint", new { customerId = "c-sort-2" });
        var firstTask = await sofia.TaskAsync(first, "register");
        var secondTask = await sofia.TaskAsync(second, "register");

        var byAge = await sofia.GetJsonAsync("/api/tasks?sort=age&pageSize=10");
        var byPriority = await sofia.GetJsonAsync("/api/tasks?sort=Priority&pageSize=10");
        var running = await sofia.GetJsonAsync("/api/tasks?slaState=running&sort=slaTimeLeft&pageSize=10");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(byAge.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("id").GetString()), Is.EqualTo(new[] { firstTask, secondTask }), "oldest first");
            Assert.That(byPriority.GetProperty("tasks").GetArrayLength(), Is.EqualTo(2));
            Assert.That(running.GetProperty("tasks").GetArrayLength(), Is.EqualTo(2), "both registrations' clocks run");
        }
    }

    [Test]
    public async Task A_sort_or_SLA_state_the_API_does_not_know_is_400_listing_the_values_it_takes()
    {
        await using var host = TestHost.Start();
        var sofia = await host.As("sofia");

        using var sort = await sofia.GetAsync(new Uri("/api/tasks?sort=sideways", UriKind.Relative));
        using var number = await sofia.GetAsync(new Uri("/api/tasks?sort=1", UriKind.Relative));
        using var state = await sofia.GetAsync(new Uri("/api/tasks?slaState=late", UriKind.Relative));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await sort.ProblemAsync(HttpStatusCode.BadRequest), Is.EqualTo("sort: 'sideways' is none of slaTimeLeft, priority, age"));
            Assert.That(await number.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("sort: '1' is none of"), "a number is not a name");
            Assert.That(await state.ProblemAsync(HttpStatusCode.BadRequest), Does.StartWith("slaState: 'late' is none of running, paused"));
        }
    }
}
