using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Workflows.Engine.Services;
using Workflows.Engine.Storage;
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

    [Test]
    public async Task A_worker_that_dies_while_the_clock_is_pinned_gives_its_job_back_after_its_time_out_in_the_hosts_time()
    {
        var host = new FakeTimeProvider(Start);
        var clock = new ControlledClock(host);
        var engine = new WorkflowEngine(new WorkflowEngineOptions(), clock);
        var id = await StartServiceTaskAsync(engine);
        await engine.Clock.PinAsync(Start.AddDays(2));

        var taken = await engine.Jobs.ActivateAsync(new JobActivation("call", "a") { Timeout = TimeSpan.FromSeconds(30) });
        host.Advance(TimeSpan.FromSeconds(20));
        var whileHeld = await engine.Jobs.ActivateAsync(new JobActivation("call", "b"));
        host.Advance(TimeSpan.FromSeconds(11));
        var afterTimeOut = await engine.Jobs.ActivateAsync(new JobActivation("call", "b"));
        var late = engine.Jobs.AsLeaseHolder("a").CompleteAsync(taken.Single().Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(clock.GetUtcNow(), Is.EqualTo(Start.AddDays(2)), "the clock stayed pinned throughout");
            Assert.That(taken.Single().InstanceId, Is.EqualTo(id));
            Assert.That(taken.Single().Deadline, Is.EqualTo(Start.AddSeconds(30)), "the deadline is the host's time, the worker's clock");
            Assert.That(whileHeld, Is.Empty);
            Assert.That(afterTimeOut.Select(j => j.InstanceId), Is.EqualTo(new[] { id }), "31 s of the host's time later, another worker takes it");
            Assert.That(async () => await late, Throws.InstanceOf<WorkflowConflictException>(), "the dead worker's answer comes too late");
        }
    }

    [Test]
    public async Task Advancing_the_clock_by_days_does_not_end_a_live_lease_and_putting_it_back_does_not_lengthen_one()
    {
        var host = new FakeTimeProvider(Start);
        var clock = new ControlledClock(host);
        var engine = new WorkflowEngine(new WorkflowEngineOptions(), clock);
        await StartServiceTaskAsync(engine);

        await engine.Jobs.ActivateAsync(new JobActivation("call", "a") { Timeout = TimeSpan.FromSeconds(30) });
        await engine.Clock.AdvanceAsync(TimeSpan.FromDays(2));
        var afterAdvance = await engine.Jobs.ActivateAsync(new JobActivation("call", "b"));
        await engine.Clock.ResetAsync();
        host.Advance(TimeSpan.FromSeconds(31));
        var afterReset = await engine.Jobs.ActivateAsync(new JobActivation("call", "b"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(afterAdvance, Is.Empty, "two days of moved time are not 30 s of the worker's");
            Assert.That(afterReset, Has.Count.EqualTo(1), "the lease ends 30 s after it was taken, whatever the clock did");
        }
    }

    [Test]
    public async Task A_restart_without_a_controllable_clock_drops_the_kept_move_frees_the_leases_and_warns_naming_the_move()
    {
        var host = new FakeTimeProvider(Start);
        var store = new InMemoryWorkflowStore();
        var testEnvironment = new WorkflowEngine(store, new WorkflowEngineOptions(), new ControlledClock(host), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        await StartServiceTaskAsync(testEnvironment);
        await testEnvironment.Clock.AdvanceAsync(TimeSpan.FromDays(2));
        await testEnvironment.Jobs.ActivateAsync(new JobActivation("call", "a") { Timeout = TimeSpan.FromMinutes(5) });

        var log = new CollectingLog();
        var production = new WorkflowEngine(store, new WorkflowEngineOptions(), host, log);
        var restored = await production.Clock.RestoreAsync();
        var kept = await store.GetControlledClockAsync(default);
        var again = await production.Jobs.ActivateAsync(new JobActivation("call", "b"));
        var warnings = log.Lines.Count;
        await production.Clock.RestoreAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(restored, Is.Null, "the engine runs on the host's time");
            Assert.That(kept, Is.EqualTo(new ControlledClockRecord(TimeSpan.Zero, null)), "the move is dropped, not kept for a later start");
            Assert.That(again, Has.Count.EqualTo(1), "the lease taken before the restart is freed");
            Assert.That(log.Lines, Has.Count.EqualTo(1));
            Assert.That(log.Lines.FirstOrDefault(), Does.StartWith("Warning: ").And.Contains("P2D ahead of the host's time").And.Contains("1 leases"));
            Assert.That(log.Lines, Has.Count.EqualTo(warnings), "said once: a second start finds nothing to drop");
        }
    }

    [Test]
    public async Task A_start_s_idempotency_key_is_kept_24_hours_of_the_hosts_time_whatever_the_clock_is_advanced_by()
    {
        var host = new FakeTimeProvider(Start);
        var clock = new ControlledClock(host);
        var engine = new WorkflowEngine(new WorkflowEngineOptions(), clock);
        await engine.Deployments.DeployAsync(Process("p", $"""<bpmn:startEvent id="s"/>{UserTask("t")}{Chain("s", "t")}"""));
        var start = new StartInstance("p") { Idempotency = new StartIdempotency("k-1") };
        var first = await engine.Runtime.StartOnceAsync(start);

        // A demonstration moves the clock two days on: a client retrying a minute later must still get its case.
        await engine.Clock.AdvanceAsync(TimeSpan.FromDays(2));
        var purgedAfterAdvance = await engine.Worker.DeleteIdempotencyKeysAsync(TimeSpan.FromHours(24));
        var retried = await engine.Runtime.StartOnceAsync(start);
        host.Advance(TimeSpan.FromHours(25));
        var purgedAfterADay = await engine.Worker.DeleteIdempotencyKeysAsync(TimeSpan.FromHours(24));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(purgedAfterAdvance, Is.Zero, "the clock's advance is no time passed for a client's retry");
            Assert.That(retried, Is.EqualTo(first with { Repeated = true }));
            Assert.That(purgedAfterADay, Is.EqualTo(1), "25 hours of the host's time later the key goes");
        }
    }

    private static async Task<Guid> StartServiceTaskAsync(WorkflowEngine engine)
    {
        await engine.Deployments.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="s"/>{ServiceTask("work", "call")}<bpmn:endEvent id="e"/>{Chain("s", "work", "e")}
            """));
        return await engine.Runtime.StartAsync(new StartInstance("p"));
    }

    private static async Task<IReadOnlyList<string>> ActiveAsync(WorkflowEngine engine, Guid id) =>
        (await engine.Queries.GetInstanceAsync(id)).ActiveElements.Select(a => a.ElementId).ToList();

    /// <summary>The engine's log lines, each with its level.</summary>
    private sealed class CollectingLog : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                Lines.Add($"{logLevel}: {formatter(state, exception)}");
            }
        }
    }
}
