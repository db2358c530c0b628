using System.Text;
using Workflows.Engine.Calendars;
using Workflows.Engine.Storage;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>
/// A calendar change is refused whole when it would leave a chain no working time (review13 F13), and is saved, with the
/// other clocks moved, when one instance on the layer cannot be read (review13 F12).
/// </summary>
public sealed class CalendarChangeTests
{
    private static readonly DateTimeOffset s_friday = new(2025, 1, 10, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset s_monday = new(2025, 1, 13, 0, 0, 0, TimeSpan.Zero);

    private static readonly string s_task = Process("p", """
        <bpmn:startEvent id="s"/>
        <bpmn:userTask id="answer"><bpmn:extensionElements><wf:sla target="16 working hours" calendar="branch"/></bpmn:extensionElements></bpmn:userTask>
        <bpmn:endEvent id="e"/>
        """ + Chain("s", "answer", "e"));

    /// <summary>Process <c>p</c>: a user task with a 16-working-hour SLA on the calendar <c>branch</c> (ClosedCalendarTests too).</summary>
    internal static string Journey => s_task;

    internal static DateTimeOffset Friday => s_friday;

    internal static DateTimeOffset Monday => s_monday;

    private static ProcessTestHarness Harness() =>
        new(s_friday, options => options.Calendars.Add(new CalendarLayer("branch", DateTimeOffset.MinValue) { TimeZone = "UTC", Week = SlaClockTests.Weekdays() }));

    private static Dictionary<DayOfWeek, IReadOnlyList<WorkingInterval>> Closed(params DayOfWeek[] days) =>
        days.ToDictionary(d => d, IReadOnlyList<WorkingInterval> (_) => []);

    [Test]
    public async Task A_version_that_leaves_a_running_clocks_chain_no_working_time_is_refused_and_nothing_is_saved_or_moved()
    {
        var h = Harness();
        await h.DeployAsync(s_task);
        var running = await h.StartAsync("p");
        var before = (await running.ClocksAsync()).Single();
        var closedWeek = new CalendarLayer("branch", s_monday) { Week = Closed(Enum.GetValues<DayOfWeek>()) };

        var refused = Assert.ThrowsAsync<WorkflowInputException>(async () => await h.Engine.ServiceLevels.ChangeCalendarAsync(closedWeek, "planner"));
        var later = await h.StartAsync("p"); // the chain still works
        var holiday = await h.Engine.ServiceLevels.ChangeCalendarAsync(new CalendarLayer("branch", s_monday) { TimeZone = "UTC", Week = SlaClockTests.Weekdays(), Holidays = [DateOnly.FromDateTime(s_monday.Date)] });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused!.Message, Is.EqualTo("calendar layer 'branch' leaves the calendar branch no working time in its week from 2025-01-13T00:00:00.0000000+00:00: a clock on it could never end; give at least one day working hours"));
            Assert.That((await h.Engine.Store.GetCalendarLayersAsync(default)).Count(json => json.Contains("\"Sunday\":[]", StringComparison.Ordinal)), Is.Zero, "the refused version is not saved");
            Assert.That((await later.ClocksAsync()).Single().TargetAt, Is.Not.Null);
            Assert.That(holiday, Is.EqualTo(2), "a version with working days and a holiday is accepted: both clocks moved");
            Assert.That((await running.ClocksAsync()).Single().TargetAt, Is.EqualTo(before.TargetAt!.Value.AddDays(1)));
        }
    }

    [Test]
    public async Task A_version_closing_the_days_an_upper_layer_opens_is_refused_for_the_chain_and_a_later_upper_change_counts_too()
    {
        var h = new ProcessTestHarness(s_friday, options =>
        {
            options.Calendars.Add(new CalendarLayer("group", DateTimeOffset.MinValue) { TimeZone = "UTC", Week = SlaClockTests.Weekdays() });
            options.Calendars.Add(new CalendarLayer("group", s_monday.AddDays(7)) { TimeZone = "UTC", Week = new Dictionary<DayOfWeek, IReadOnlyList<WorkingInterval>> { [DayOfWeek.Saturday] = [WorkingInterval.Parse("09:00-12:00")], [DayOfWeek.Monday] = [] } });
            options.Calendars.Add(new CalendarLayer("branch", DateTimeOffset.MinValue));
        });
        await h.DeployAsync(s_task.Replace("calendar=\"branch\"", "calendar=\"group/branch\"", StringComparison.Ordinal));
        await h.StartAsync("p");

        // Monday to Friday closed by the branch: the group's week leaves nothing; from the group's next version, Saturday
        // mornings only — which the branch then closes as well.
        var weekdays = new CalendarLayer("branch", s_monday) { Week = Closed(DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday) };
        var saturday = new CalendarLayer("branch", s_monday.AddDays(8)) { Week = Closed(DayOfWeek.Saturday) };

        using (Assert.EnterMultipleScope())
        {
            Assert.That(async () => await h.Engine.ServiceLevels.ChangeCalendarAsync(weekdays), Throws.TypeOf<WorkflowInputException>().With.Message.Contains("group/branch no working time in its week from 2025-01-13"));
            Assert.That(async () => await h.Engine.ServiceLevels.ChangeCalendarAsync(saturday), Throws.TypeOf<WorkflowInputException>().With.Message.Contains("from 2025-01-21"));
            Assert.That(await h.Engine.ServiceLevels.ChangeCalendarAsync(new CalendarLayer("branch", s_monday) { Week = Closed(DayOfWeek.Monday) }), Is.EqualTo(1));
        }
    }

    [Test]
    public async Task An_instance_whose_state_cannot_be_read_does_not_stop_the_change_the_others_clocks_move_and_it_gets_its_incident()
    {
        var h = Harness();
        await h.DeployAsync(s_task);
        var broken = await h.StartAsync("p");
        var healthy = await h.StartAsync("p");
        var before = (await healthy.ClocksAsync()).Single();
        var record = (await h.Engine.Store.GetInstanceAsync(broken.Id, default))!;
        var tampered = new ChangeSet();
        tampered.Instances.Add(new InstanceWrite(record with { RowVersion = record.RowVersion + 1, State = Encoding.UTF8.GetBytes("{\"fmt\":3") }, record.RowVersion));
        await h.Engine.Store.CommitAsync(tampered, default);

        var moved = await h.Engine.ServiceLevels.ChangeCalendarAsync(new CalendarLayer("branch", s_monday) { TimeZone = "UTC", Week = SlaClockTests.Weekdays(), Holidays = [DateOnly.FromDateTime(s_monday.Date)] }, "planner");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(moved, Is.EqualTo(1), "the readable instance's clock");
            Assert.That((await healthy.ClocksAsync()).Single().TargetAt, Is.EqualTo(before.TargetAt!.Value.AddDays(1)));
            Assert.That((await h.Engine.Store.GetCalendarLayersAsync(default)).Count, Is.EqualTo(1), "the version is saved");
            Assert.That((await h.Engine.Queries.GetIncidentsAsync(broken.Id)).Select(i => i.Message), Has.One.Contains(broken.Id.ToString()));
        }
    }
}
