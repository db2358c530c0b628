using System.Net;
using System.Net.Http.Json;

namespace Workflows.Host.Tests;

/// <summary>
/// An instance whose stored state cannot be read answers a problem naming it and what is wrong (not 500), and concurrent
/// messages for one key all correlate while instances wait for them (on SQLite, whose writes are the most serialised).
/// </summary>
[NonParallelizable]
public sealed class InstanceStateProblemTests
{
    private static readonly string s_race = UnreadableStates.AwaitingMessage("state-race");

    [Test]
    public async Task An_instance_whose_stored_state_is_refused_is_inspected_from_its_rows_naming_why_and_a_message_passes_it_over()
    {
        await using var host = TestHost.Start();
        await (await host.As("alice")).DeployAsync(s_race);
        var ann = await host.As("ann");
        var id = await ann.StartAsync("state-race", new { grp = "POISON" });
        await UnreadableStates.PoisonAsync(host, id);

        using var inspection = await (await host.As("otto")).GetAsync(new Uri($"/api/instances/{id}/inspection", UriKind.Relative));
        var inspected = await inspection.JsonAsync(HttpStatusCode.OK); // answered from its rows, saying why the state cannot be read
        using var message = await ann.PostAsJsonAsync("/api/messages", new { name = "state-race", correlationKey = "POISON" });
        var published = await message.ProblemAsync(HttpStatusCode.NotFound); // passed over: no readable instance waits

        using (Assert.EnterMultipleScope())
        {
            Assert.That(inspected.GetProperty("scope").GetProperty("state").GetString(), Is.EqualTo("unreadable"));
            Assert.That(inspected.GetProperty("stateProblem").GetString(), Does.Contain(id).And.Contain("'evil'"));
            Assert.That(published, Does.Contain(id).And.Contain("cannot be read"));
        }
    }

    [Test]
    public async Task Twelve_concurrent_messages_for_one_key_all_correlate_while_twelve_instances_wait()
    {
        await using var host = TestHost.Start();
        await (await host.As("alice")).DeployAsync(s_race);
        var ann = await host.As("ann");
        for (var i = 0; i < 12; i++)
        {
            await ann.StartAsync("state-race", new { grp = "G" });
        }

        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ =>
        {
            using var response = await ann.PostAsJsonAsync("/api/messages", new { name = "state-race", correlationKey = "G" });
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync(), RetryAfter: response.Headers.RetryAfter);
        }));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(answers.Select(a => a.StatusCode), Is.All.EqualTo(HttpStatusCode.OK), string.Join("\n", answers.Select(a => a.Body)));
            Assert.That(answers.Select(a => a.Body), Is.All.Contain("\"correlatedInstances\":1"));
        }
    }
}
