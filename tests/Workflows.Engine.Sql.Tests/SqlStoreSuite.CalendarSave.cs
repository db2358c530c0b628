using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Workflows.Engine.Calendars;
using Workflows.Engine.ServiceLevels;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>A calendar layer and the running clocks it moves commit together or not at all (review13 F13).</summary>
public abstract partial class SqlStoreSuite
{
    // A name of its own per test: the fixture's database is shared by its tests.
    private static string Fresh(string name) => $"{name}-{Guid.NewGuid():N}"[..24];

    [Test]
    public async Task A_calendar_save_whose_clock_recalculation_fails_to_commit_saves_neither_the_layer_nor_any_clock()
    {
        var layer = Fresh("cal");
        var week = Enum.GetValues<DayOfWeek>().Where(d => d is not (DayOfWeek.Saturday or DayOfWeek.Sunday))
            .ToDictionary(d => d, IReadOnlyList<WorkingInterval> (_) => [WorkingInterval.Parse("09:00-17:00")]);
        var store = NewSqlStore();
        var h = await ProcessTestHarness.CreateAsync((options, clock) => Task.FromResult(new WorkflowEngine(store, options, clock, NullLogger.Instance)),
            configure: o => o.Calendars.Add(new CalendarLayer(layer, DateTimeOffset.MinValue) { TimeZone = "UTC", Week = week }));
        var process = Fresh("cal-p");
        await h.DeployAsync(Process(process, $"""
            <bpmn:startEvent id="start"/><bpmn:userTask id="t"><bpmn:extensionElements><wf:sla target="16 working hours" calendar="{layer}"/></bpmn:extensionElements></bpmn:userTask>{Chain("start", "t")}
            """));
        var running = await h.StartAsync(process);
        var due = (await running.ClocksAsync()).Single().TargetAt;
        var now = h.Clock.GetUtcNow();
        var holiday = new CalendarLayer(layer, now) { TimeZone = "UTC", Week = week, Holidays = [DateOnly.FromDateTime(now.UtcDateTime.AddDays(1))] };

        // The store fails the commit that moves a clock: in one command with the layer, the layer goes with it.
        store.BeforeCommit = changes => changes.Part<ServiceLevelChanges>() is { ClocksUpdated.Count: > 0 } ? throw new InvalidOperationException("injected") : Task.CompletedTask;
        Assert.ThrowsAsync<InvalidOperationException>(() => h.Engine.ServiceLevels.ChangeCalendarAsync(holiday, "bruno"));
        store.BeforeCommit = null;
        var later = await h.StartAsync(process);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await h.Engine.ServiceLevels.GetCalendarLayerAsync(layer), Is.Empty, "the layer is not saved");
            Assert.That((await running.ClocksAsync()).Single().TargetAt, Is.EqualTo(due), "no clock moved");
            Assert.That((await later.ClocksAsync()).Single().TargetAt, Is.EqualTo(due), "nor does this node's calendar keep the failed version");
        }

        Assert.That(await h.Engine.ServiceLevels.ChangeCalendarAsync(holiday, "bruno"), Is.EqualTo(2), "saved again, both clocks move with it");
    }
}
