using Microsoft.Extensions.Time.Testing;
using Workflows.Engine.Services;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Services;

public sealed class ControlledClockTests
{
    private static readonly DateTimeOffset Start = new(2025, 1, 6, 9, 0, 0, TimeSpan.Zero);

    [Test]
    public void An_advance_moves_the_time_and_shortens_every_pending_timer_by_as_much()
    {
        var host = new FakeTimeProvider(Start);
        var clock = new ControlledClock(host);
        var hour = Task.Delay(TimeSpan.FromHours(1), clock);

        clock.Advance(TimeSpan.FromMinutes(59));
        var afterAdvance = hour.IsCompleted;
        host.Advance(TimeSpan.FromMinutes(1));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(clock.GetUtcNow(), Is.EqualTo(Start.AddHours(1)));
            Assert.That(afterAdvance, Is.False);
            Assert.That(hour.IsCompleted, Is.True, "59 minutes by the clock and one by the host's");
            Assert.That(clock.State, Is.EqualTo(new ControlledClockState(Start.AddHours(1), false, TimeSpan.FromMinutes(59))));
        }
    }

    [Test]
    public void A_pinned_clock_stands_still_moves_only_forward_and_a_reset_puts_it_back_on_the_hosts_time()
    {
        var host = new FakeTimeProvider(Start);
        var clock = new ControlledClock(host);

        clock.Pin(Start.AddDays(2));
        host.Advance(TimeSpan.FromMinutes(5));
        var pinned = clock.GetUtcNow();
        clock.Advance(TimeSpan.FromHours(1));
        var advancedWhilePinned = clock.State;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(pinned, Is.EqualTo(Start.AddDays(2)));
            Assert.That(advancedWhilePinned, Is.EqualTo(new ControlledClockState(Start.AddDays(2).AddHours(1), true, TimeSpan.Zero)));
            Assert.That(() => clock.Pin(Start.AddDays(1)), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => clock.Advance(TimeSpan.Zero), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(clock.Reset().Now, Is.EqualTo(Start.AddMinutes(5)));
        }
    }

    [Test]
    public async Task A_timer_two_days_away_fires_as_soon_as_the_clock_is_advanced_past_it_not_at_the_next_poll()
    {
        var host = new FakeTimeProvider(Start);
        var clock = new ControlledClock(host);
        // The host's time never moves here: only the advance can wake the worker sleeping its poll interval.
        var engine = new WorkflowEngine(new WorkflowEngineOptions { Worker = { PollInterval = TimeSpan.FromMinutes(10) } }, clock);
        await engine.Deployments.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="s"/>
            <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>P2D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
            {UserTask("after")}{Chain("s", "wait", "after")}
            """));
        var id = await engine.Runtime.StartAsync(new StartInstance("p"));
        using var stop = new CancellationTokenSource();
        var worker = engine.Worker.RunAsync(stop.Token);
        var idle = await ActiveAsync(engine, id);

        clock.Advance(TimeSpan.FromDays(2));
        var fired = false;
        for (var i = 0; i < 500 && !fired; i++)
        {
            await Task.Delay(10);
            fired = (await ActiveAsync(engine, id)).SequenceEqual(["after"]);
        }

        await stop.CancelAsync();
        await worker;
        Assert.That(idle, Is.EqualTo(new[] { "wait" }));
        Assert.That(fired, Is.True, "the worker woke when the clock moved");
    }

    private static async Task<IReadOnlyList<string>> ActiveAsync(WorkflowEngine engine, Guid id) =>
        (await engine.Queries.GetInstanceAsync(id)).ActiveElements.Select(a => a.ElementId).ToList();
}
