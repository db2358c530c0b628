using Workflows.Engine.Calendars;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

public sealed class SlaClockTests
{
    // The harness's default calendar: Monday to Friday, 09:00–17:00 UTC.
    private static readonly DateTimeOffset s_friday = new(2025, 1, 10, 9, 0, 0, TimeSpan.Zero);

    private static string TaskWithSla(string sla, string extra = "", string task = "answer") => Process("p", $"""
        <bpmn:startEvent id="s"/>
        <bpmn:userTask id="{task}" name="Answer the customer">
          <bpmn:extensionElements>
            <wf:userTask candidateGroups="front-desk"/>
            {sla}
          </bpmn:extensionElements>
        </bpmn:userTask>
        {extra}
        <bpmn:endEvent id="e"/>
        {Chain("s", task, "e")}
        """);

    /// <summary>Monday to Friday, the same hours each day.</summary>
    internal static Dictionary<DayOfWeek, IReadOnlyList<WorkingInterval>> Weekdays(string hours = "09:00-17:00") =>
        Enum.GetValues<DayOfWeek>().Where(d => d is not DayOfWeek.Saturday and not DayOfWeek.Sunday)
            .ToDictionary(d => d, IReadOnlyList<WorkingInterval> (_) => [WorkingInterval.Parse(hours)]);

    private static async Task<List<(DateTimeOffset At, string Kind)>> ClockEventsAsync(ProcessInstanceHandle instance) =>
        (await instance.HistoryAsync()).Where(h => h.Kind.StartsWith("clock-", StringComparison.Ordinal)).Select(h => (h.At, h.Kind)).ToList();

    [Test]
    public async Task A_working_hours_sla_warns_and_breaches_at_the_exact_moments_across_a_weekend()
    {
        var h = new ProcessTestHarness(s_friday);
        await h.DeployAsync(TaskWithSla("""<wf:sla target="16 working hours" warnings="50%,75%"/>"""));
        var instance = await h.StartAsync("p");

        var started = (await instance.ClocksAsync()).Single();
        await h.AdvanceTimeAsync(TimeSpan.FromDays(4) + TimeSpan.FromHours(8)); // to Tuesday 17:00

        var events = await ClockEventsAsync(instance);
        var task = (await instance.UserTasksAsync()).Single();
        var clock = (await instance.ClocksAsync()).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(started.TargetAt, Is.EqualTo(new DateTimeOffset(2025, 1, 13, 17, 0, 0, TimeSpan.Zero)), "Friday's 8 hours, then Monday's");
            Assert.That(started.State, Is.EqualTo(SlaState.Running));
            Assert.That(events, Is.EqualTo(new[]
            {
                (s_friday, "clock-started"),
                (new DateTimeOffset(2025, 1, 10, 17, 0, 0, TimeSpan.Zero), "clock-warning"),
                (new DateTimeOffset(2025, 1, 13, 13, 0, 0, TimeSpan.Zero), "clock-warning"),
                (new DateTimeOffset(2025, 1, 13, 17, 0, 0, TimeSpan.Zero), "clock-breached"),
            }));
            Assert.That(clock.State, Is.EqualTo(SlaState.Breached));
            Assert.That(clock.Remaining, Is.EqualTo(TimeSpan.FromHours(-8)), "Tuesday's working day after the breach");
            Assert.That(task.SlaState, Is.EqualTo(SlaState.Breached));
            Assert.That(task.SlaDueAt, Is.EqualTo(started.TargetAt));
        }
    }

    [Test]
    public async Task Business_days_on_a_layered_calendar_skip_a_country_holiday_and_cross_the_change_to_summer_time()
    {
        var h = new ProcessTestHarness(new DateTimeOffset(2025, 3, 28, 15, 0, 0, TimeSpan.Zero), options =>
        {
            options.Calendars.Add(new CalendarLayer("group", DateTimeOffset.MinValue) { TimeZone = "Europe/Paris", Week = Weekdays() });
            options.Calendars.Add(new CalendarLayer("fr", DateTimeOffset.MinValue) { Holidays = [new DateOnly(2025, 3, 31)] });
        });
        await h.DeployAsync(TaskWithSla("""<wf:sla target="2 business days cut-off 17:00" calendar="group/fr"/>"""));

        // Friday 16:00 in Paris (UTC+1), before the cut-off: Friday is day 0, Monday a holiday, Wednesday day 2.
        var instance = await h.StartAsync("p");
        var clock = (await instance.ClocksAsync()).Single();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(clock.TargetAt, Is.EqualTo(new DateTimeOffset(2025, 4, 2, 17, 0, 0, TimeSpan.FromHours(2))), "Wednesday 17:00, summer time");
            Assert.That(clock.Remaining, Is.EqualTo(TimeSpan.FromHours(17)), "Friday 1 hour, Tuesday and Wednesday 8 each");
            Assert.That(clock.Calendar, Is.EqualTo("group/fr"));
        }
    }

    [Test]
    public async Task An_unknown_calendar_stops_the_step_with_an_incident_naming_it()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(TaskWithSla("""<wf:sla target="PT4H" calendar="=branch"/>"""));

        var instance = await h.StartAsync("p", Vars(("branch", "nowhere")));

        Assert.That((await instance.IncidentsAsync()).Single().Message, Does.Contain("'nowhere'").And.Contain("not defined"));
    }

    [Test]
    public async Task Pausing_for_the_customer_stops_the_clock_and_moves_its_target_by_the_time_paused()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(TaskWithSla("""<wf:sla target="PT4H" warnings="50%"/>"""));
        var instance = await h.StartAsync("p");

        await h.AdvanceTimeAsync(TimeSpan.FromHours(1));
        Assert.That(async () => await h.Engine.ServiceLevels.PauseClocksAsync(instance.Id, "lunch"),
            Throws.TypeOf<WorkflowInputException>().With.Message.Contains("waiting-for-customer"));
        var paused = await h.Engine.ServiceLevels.PauseClocksAsync(instance.Id, "waiting-for-customer", "ann");
        await h.AdvanceTimeAsync(TimeSpan.FromHours(10));
        var whilePaused = (await instance.ClocksAsync()).Single();
        var taskWhilePaused = (await instance.UserTasksAsync()).Single();
        await h.Engine.ServiceLevels.ResumeClocksAsync(instance.Id, "ann");
        var resumed = (await instance.ClocksAsync()).Single();
        await h.AdvanceTimeAsync(TimeSpan.FromHours(2));
        await instance.CompleteUserTaskAsync("answer");

        var ended = (await instance.ClocksAsync()).Single();
        var history = await instance.HistoryAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(paused, Is.EqualTo(1));
            Assert.That(whilePaused.State, Is.EqualTo(SlaState.Paused));
            Assert.That(whilePaused.PauseReason, Is.EqualTo("waiting-for-customer"));
            Assert.That(whilePaused.Remaining, Is.EqualTo(TimeSpan.FromHours(3)));
            Assert.That(whilePaused.TargetAt, Is.Null);
            Assert.That(taskWhilePaused.SlaState, Is.EqualTo(SlaState.Paused));
            Assert.That(taskWhilePaused.SlaDueAt, Is.Null, "a paused task sorts after running ones");
            Assert.That(resumed.TargetAt, Is.EqualTo(ProcessTestHarness.DefaultStart.AddHours(14)));
            Assert.That(ended.State, Is.EqualTo(SlaState.Met));
            Assert.That(ended.Paused, Is.EqualTo(TimeSpan.FromHours(10)));
            Assert.That(history.Single(e => e.Kind == "clock-paused").Detail, Does.Contain("waiting-for-customer"));
            Assert.That(history.Single(e => e.Kind == "clock-paused").Actor, Is.EqualTo("ann"));
            Assert.That(history.Single(e => e.Kind == "clock-resumed").Detail, Does.Contain("PT10H"));
            Assert.That(history.Count(e => e.Kind == "clock-warning"), Is.EqualTo(1), "the 50% warning falls at 2 hours of running time, after the pause");
            Assert.That(history.Single(e => e.Kind == "clock-warning").At, Is.EqualTo(ProcessTestHarness.DefaultStart.AddHours(12)));
        }
    }

    [Test]
    public async Task A_step_waiting_for_the_customer_pauses_the_commitment_while_it_waits()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="s"/>
            {UserTask("ask")}
            <bpmn:intermediateCatchEvent id="documents">
              <bpmn:extensionElements><wf:pauseClocks reason="waiting-for-customer"/></bpmn:extensionElements>
              <bpmn:messageEventDefinition messageRef="m"/>
            </bpmn:intermediateCatchEvent>
            {UserTask("decide")}
            <bpmn:endEvent id="e"/>
            {Chain("s", "ask", "documents", "decide", "e")}
            """, Message("m", "documents", "=caseId"),
            extensions: """<bpmn:extensionElements><wf:commitment level="1" name="Decision in 8 hours" target="PT8H"/></bpmn:extensionElements>"""));
        var instance = await h.StartAsync("p", Vars(("caseId", "C-1")));

        await h.AdvanceTimeAsync(TimeSpan.FromHours(2));
        await instance.CompleteUserTaskAsync("ask");
        await h.AdvanceTimeAsync(TimeSpan.FromDays(3));
        var waiting = (await instance.ClocksAsync()).Single();
        await h.CorrelateAsync("documents", "C-1");
        await h.AdvanceTimeAsync(TimeSpan.FromHours(1));
        var deciding = (await instance.ClocksAsync()).Single();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(waiting.State, Is.EqualTo(SlaState.Paused));
            Assert.That(waiting.Remaining, Is.EqualTo(TimeSpan.FromHours(6)));
            Assert.That(deciding.State, Is.EqualTo(SlaState.Running), "resumed when the documents came");
            Assert.That(deciding.Remaining, Is.EqualTo(TimeSpan.FromHours(5)));
            Assert.That(deciding.Paused, Is.EqualTo(TimeSpan.FromDays(3)));
        }
    }

    [Test]
    public async Task An_escalation_ladder_raises_priority_then_moves_publishes_and_repeats_until_the_step_ends()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(TaskWithSla("""
            <wf:sla target="PT2H" warnings="50%">
              <wf:escalate at="75%" priority="80"/>
              <wf:escalate at="breach" queue="supervisors" publish="true" repeat="PT1H"/>
            </wf:sla>
            """));
        var instance = await h.StartAsync("p", Vars(("branch", "paris-01"), ("customerId", "C-42")), businessKey: "COMPLAINT-7");

        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(95));
        var raised = (await instance.UserTasksAsync()).Single();
        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(205)); // 5 hours in all
        var moved = (await instance.UserTasksAsync()).Single();
        await instance.CompleteUserTaskAsync("answer");
        await h.AdvanceTimeAsync(TimeSpan.FromHours(5));

        var published = await h.Engine.Queries.GetOutgoingMessagesAsync(instance.Id);
        var clock = (await instance.ClocksAsync()).Single();
        var escalations = (await instance.HistoryAsync()).Where(e => e.Kind == "clock-escalated").ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(raised.Priority, Is.EqualTo(80));
            Assert.That(raised.CandidateGroups, Is.EqualTo(new[] { "front-desk" }));
            Assert.That(moved.CandidateGroups, Is.EqualTo(new[] { "supervisors" }));
            Assert.That(published.Select(m => m.Name), Is.EqualTo(Enumerable.Repeat("SlaBreached", 4)), "at the breach, then every hour until the task was done");
            Assert.That(published[0].Variables["businessKey"], Is.EqualTo("COMPLAINT-7"));
            Assert.That(published[0].Variables["branch"], Is.EqualTo("paris-01"));
            Assert.That(published[0].Variables["step"], Is.EqualTo("answer"));
            Assert.That(published[0].Variables["due"], Is.EqualTo(ProcessTestHarness.DefaultStart.AddHours(2).ToString("O", System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(published[0].Variables["now"], Is.EqualTo(published[0].Variables["due"]), "fired at the breach moment itself");
            Assert.That(published[3].Variables["repeated"], Is.EqualTo(true));
            Assert.That(escalations, Has.Count.EqualTo(5));
            Assert.That(clock.State, Is.EqualTo(SlaState.Breached), "done late: the clock ends breached");
            Assert.That(clock.EndedAt, Is.EqualTo(ProcessTestHarness.DefaultStart.AddHours(5)));
        }
    }

    [Test]
    public async Task A_breach_escalation_is_caught_by_the_models_boundary_event()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(TaskWithSla("""
            <wf:sla target="PT4H"><wf:escalate at="breach" escalationCode="LATE"/></wf:sla>
            """, $"""
            <bpmn:boundaryEvent id="late" attachedToRef="answer" cancelActivity="false"><bpmn:escalationEventDefinition escalationRef="esc"/></bpmn:boundaryEvent>
            {UserTask("callBack")}
            <bpmn:endEvent id="e2"/>
            {Chain("late", "callBack", "e2")}
            """).Replace("</bpmn:process>", """</bpmn:process><bpmn:escalation id="esc" escalationCode="LATE"/>""", StringComparison.Ordinal));
        var instance = await h.StartAsync("p");

        await h.AdvanceTimeAsync(TimeSpan.FromHours(3));
        var before = await instance.ActiveElementsAsync();
        await h.AdvanceTimeAsync(TimeSpan.FromHours(1));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(before, Is.EqualTo(new[] { "answer" }));
            Assert.That(await instance.ActiveElementsAsync(), Is.EquivalentTo(new[] { "answer", "callBack" }));
            Assert.That((await instance.HistoryAsync()).Single(e => e.Kind == "escalation-thrown").Detail, Is.EqualTo("LATE"));
        }
    }

    [Test]
    public async Task A_process_clock_escalation_is_caught_by_the_process_event_sub_process()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="s"/>
            {UserTask("work")}
            <bpmn:endEvent id="e"/>
            {Chain("s", "work", "e")}
            <bpmn:subProcess id="recover" triggeredByEvent="true">
              <bpmn:startEvent id="rs" isInterrupting="false"><bpmn:escalationEventDefinition/></bpmn:startEvent>
              {UserTask("apologise")}
              <bpmn:endEvent id="re"/>
              {Chain("rs", "apologise", "re")}
            </bpmn:subProcess>
            """, extensions: """<bpmn:extensionElements><wf:sla target="PT8H"><wf:escalate at="75%" escalationCode="AT_RISK"/></wf:sla></bpmn:extensionElements>"""));
        var instance = await h.StartAsync("p");

        await h.AdvanceTimeAsync(TimeSpan.FromHours(6));

        Assert.That(await instance.ActiveElementsAsync(), Is.EquivalentTo(new[] { "work", "recover", "apologise" }));
    }

    [Test]
    public async Task A_calendar_change_moves_running_clocks_from_its_effective_time_and_leaves_finished_ones()
    {
        var h = new ProcessTestHarness(s_friday, options => options.Calendars.Add(new CalendarLayer("branch", DateTimeOffset.MinValue) { TimeZone = "UTC", Week = Weekdays() }));
        await h.DeployAsync(TaskWithSla("""<wf:sla target="16 working hours" calendar="branch"/>"""));
        var finished = await h.StartAsync("p");
        await finished.CompleteUserTaskAsync("answer");
        var running = await h.StartAsync("p");
        var before = (await running.ClocksAsync()).Single();
        var finishedBefore = (await finished.ClocksAsync()).Single();

        // From Monday on the branch closes: Monday becomes a holiday.
        var moved = await h.Engine.ServiceLevels.ChangeCalendarAsync(
            new CalendarLayer("branch", new DateTimeOffset(2025, 1, 13, 0, 0, 0, TimeSpan.Zero)) { TimeZone = "UTC", Week = Weekdays(), Holidays = [new DateOnly(2025, 1, 13)] },
            "planner");

        var after = (await running.ClocksAsync()).Single();
        var recalculated = (await running.HistoryAsync()).Single(e => e.Kind == "clock-recalculated");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(moved, Is.EqualTo(1));
            Assert.That(before.TargetAt, Is.EqualTo(new DateTimeOffset(2025, 1, 13, 17, 0, 0, TimeSpan.Zero)));
            Assert.That(after.TargetAt, Is.EqualTo(new DateTimeOffset(2025, 1, 14, 17, 0, 0, TimeSpan.Zero)));
            Assert.That(recalculated.Actor, Is.EqualTo("planner"));
            Assert.That(recalculated.Detail, Does.Contain("2025-01-13T17:00:00.0000000+00:00 → 2025-01-14T17:00:00.0000000+00:00"));
            Assert.That((await finished.ClocksAsync()).Single(), Is.EqualTo(finishedBefore));
            Assert.That((await finished.HistoryAsync()).Any(e => e.Kind == "clock-recalculated"), Is.False);
        }
    }

    [Test]
    public async Task Calendar_versions_are_saved_in_the_store_and_read_by_another_engine_on_it()
    {
        var h = new ProcessTestHarness();
        var layer = new CalendarLayer("lyon", new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero))
        {
            TimeZone = "Europe/Paris",
            Week = new Dictionary<DayOfWeek, IReadOnlyList<WorkingInterval>> { [DayOfWeek.Monday] = [WorkingInterval.Parse("08:30-12:00"), WorkingInterval.Parse("14:00-18:30")] },
            YearlyHolidays = [(5, 1)],
        };
        await h.Engine.ServiceLevels.ChangeCalendarAsync(layer);

        var json = (await h.Engine.Store.GetCalendarLayersAsync(default)).Single();
        var read = CalendarLayerJson.Read(json);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(read.Name, Is.EqualTo("lyon"));
            Assert.That(read.EffectiveFrom, Is.EqualTo(layer.EffectiveFrom));
            Assert.That(read.Week[DayOfWeek.Monday], Is.EqualTo(layer.Week[DayOfWeek.Monday]));
            Assert.That(read.YearlyHolidays, Is.EqualTo(layer.YearlyHolidays));
            Assert.That(() => CalendarLayerJson.Read("""{"name":"x","effectiveFrom":"soon"}"""), Throws.TypeOf<FormatException>().With.Message.Contains("effectiveFrom"));
            Assert.That(async () => await h.Engine.ServiceLevels.ChangeCalendarAsync(new CalendarLayer("x", DateTimeOffset.MinValue) { TimeZone = "Mars/Olympus" }),
                Throws.TypeOf<WorkflowInputException>().With.Message.Contains("Mars/Olympus"));
        }
    }

    [Test]
    public async Task A_step_cancelled_before_its_target_ends_its_clock_cancelled()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(TaskWithSla("""<wf:sla target="PT4H"/>"""));
        var instance = await h.StartAsync("p");

        await h.Engine.Runtime.CancelAsync(instance.Id);
        await h.AdvanceTimeAsync(TimeSpan.FromHours(5));

        var clock = (await instance.ClocksAsync()).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(clock.State, Is.EqualTo(SlaState.Cancelled));
            Assert.That(await h.Engine.Worker.GetNextClockDueAsync(), Is.Null);
        }
    }

    [Test]
    public async Task Ladder_and_sla_mistakes_are_reported_on_deploy()
    {
        var h = new ProcessTestHarness();
        var report = await h.Engine.Deployments.ValidateAsync(TaskWithSla("""
            <wf:sla target="soon" warnings="half">
              <wf:escalate at="90%"/>
              <wf:escalate at="breach" priority="200" repeat="hourly"/>
            </wf:sla>
            """, task: "t1").Replace("<wf:userTask", """<wf:pauseClocks reason="coffee"/><wf:userTask""", StringComparison.Ordinal));

        var messages = report.Findings.Select(f => $"{f.Code}: {f.Message}").ToList();
        Assert.That(messages, Has.Some.Contains("SLA_INVALID: the target: 'soon' is not a duration")
            .And.Some.Contains("'half' is not a percentage")
            .And.Some.Contains("needs at least one action")
            .And.Some.Contains("priority '200'")
            .And.Some.Contains("repeat 'hourly'")
            .And.Some.Contains("PAUSE_REASON_UNKNOWN"));
    }
}
