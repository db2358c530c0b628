using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Workflows.Engine;

namespace Workflows.Host.Tests;

/// <summary>Service levels as a supervisor reads them, on a clock the test moves.</summary>
[NonParallelizable]
public sealed class ServiceLevelApiTests
{
    [Test]
    public async Task A_registration_left_for_a_week_shows_as_a_breached_step_and_a_promise_at_risk_for_the_supervisor()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = TestHost.Start(new Dictionary<string, string> { ["Workflows__Auth__TokenLifetime"] = "30.00:00:00" }, time);
        var ann = await host.As("ann");
        var sofia = await host.As("sofia");
        var id = await ann.StartAsync("complaint", new { customerId = "c-late" }, businessKey: "C-LATE");

        time.Advance(TimeSpan.FromDays(7));
        await host.Factory.Services.GetRequiredService<WorkflowEngine>().Worker.FireDueClocksAsync();

        // The host's own worker may have leased the due clocks first (it runs on the same clock): wait for its commits.
        // Each clock (the step's SLA, the department's budget, the promise) is its own lease and commit: wait for all three.
        static bool AllIn(System.Text.Json.JsonElement b) =>
            b.GetProperty("steps").EnumerateArray().Any(s => s.GetProperty("step").GetString() == "register" && s.GetProperty("kind").GetString() == "sla")
            && b.GetProperty("steps").EnumerateArray().Any(s => s.GetProperty("step").GetString() == "register" && s.GetProperty("kind").GetString() == "commitment")
            && b.GetProperty("commitments").EnumerateArray().Any(c => c.GetProperty("businessKey").GetString() == "C-LATE");
        var breaches = await sofia.GetJsonAsync("/api/service-levels/breaches");
        for (var waited = 0; waited < 100 && !AllIn(breaches); waited++)
        {
            await Task.Delay(100);
            breaches = await sofia.GetJsonAsync("/api/service-levels/breaches");
        }

        var report = await sofia.GetJsonAsync("/api/service-levels/report");
        var task = await sofia.GetJsonAsync($"/api/tasks/{await sofia.TaskAsync(id, "register")}");
        var register = breaches.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("step").GetString() == "register" && s.GetProperty("kind").GetString() == "sla");
        var budget = breaches.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("step").GetString() == "register" && s.GetProperty("kind").GetString() == "commitment");
        var promise = breaches.GetProperty("commitments").EnumerateArray().Single(c => c.GetProperty("businessKey").GetString() == "C-LATE");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(register.GetProperty("breached").GetInt32(), Is.EqualTo(1));
            Assert.That(register.GetProperty("branch").GetString(), Is.EqualTo("paris-01"));
            Assert.That(budget.GetProperty("label").GetString(), Is.EqualTo("Front office"), "the department's level-2 budget, beside the step's SLA");
            Assert.That(register.GetProperty("journey").GetString(), Is.EqualTo("complaint"));
            Assert.That(promise.GetProperty("state").GetString(), Is.AnyOf("warning", "breached"));
            Assert.That(report.EnumerateArray().Any(r => r.GetProperty("businessKey").GetString() == "C-LATE"), Is.True);
            Assert.That(task.GetProperty("slaState").GetString(), Is.EqualTo("breached"));
            Assert.That(task.GetProperty("candidateGroups")[0].GetString(), Is.EqualTo("front-desk-supervisors"), "the breach rung moved it");
        }
    }
}
