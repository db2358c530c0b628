using Workflows.Engine.Model;
using Workflows.Engine.Testing;
using Workflows.Engine.Validation;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Model;

/// <summary>
/// Cron time cycles, as Camunda 8 takes them (its timer events docs: "0 0 9-17 * * MON-FRI"; Spring's six fields) and
/// Camunda 7 documents them: they deploy and repeat on their schedule, in UTC.
/// </summary>
public sealed class CronScheduleTests
{
    // Monday 6 January 2025, 09:00 UTC (the harness's start).
    private static readonly DateTimeOffset s_monday9 = ProcessTestHarness.DefaultStart;

    private static DateTimeOffset? Next(string cron, DateTimeOffset after) => CronSchedule.Parse(cron, out var error) is { } c
        ? c.Next(after)
        : throw new AssertionException(error!);

    [Test]
    public void Fields_ranges_names_steps_and_macros_give_the_next_firing()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Next("0 0 9 * * MON-FRI", s_monday9), Is.EqualTo(s_monday9.AddDays(1)), "not the instant itself: strictly after");
            Assert.That(Next("0 0 9 * * MON-FRI", s_monday9.AddDays(4)), Is.EqualTo(s_monday9.AddDays(7)), "Friday 09:00 → Monday 09:00");
            Assert.That(Next("0 0 9-17 * * MON-FRI", s_monday9.AddHours(8)), Is.EqualTo(s_monday9.AddDays(1)), "Camunda 8's own example");
            Assert.That(Next("0 */15 * * * *", s_monday9.AddMinutes(1)), Is.EqualTo(s_monday9.AddMinutes(15)));
            Assert.That(Next("30 5/20 10 * * ?", s_monday9), Is.EqualTo(s_monday9.AddHours(1).AddMinutes(5).AddSeconds(30)));
            Assert.That(Next("@daily", s_monday9), Is.EqualTo(new DateTimeOffset(2025, 1, 7, 0, 0, 0, TimeSpan.Zero)));
            Assert.That(Next("@hourly", s_monday9), Is.EqualTo(s_monday9.AddHours(1)));
            Assert.That(Next("0 0 0 1 JAN *", s_monday9), Is.EqualTo(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)));
            Assert.That(Next("0 0 12 * * 0", s_monday9), Is.EqualTo(new DateTimeOffset(2025, 1, 12, 12, 0, 0, TimeSpan.Zero)), "0 is Sunday");
            Assert.That(Next("0 0 12 * * 7", s_monday9), Is.EqualTo(new DateTimeOffset(2025, 1, 12, 12, 0, 0, TimeSpan.Zero)), "7 is Sunday too");
        }
    }

    [Test]
    public void Days_of_the_week_are_numbered_and_stepped_as_Camunda_8_reads_them_with_Spring_s_cron()
    {
        // Spring's CronExpression, which Camunda 8 parses timer cycles with: MON = 1 … SUN = 7 (0 too); * is 1-7; Sunday
        // may end a range and, as 7, start one; a single day with a step runs to 7.
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Next("0 0 12 * * */2", s_monday9), Is.EqualTo(s_monday9.AddHours(3)), "*/2 is Monday, Wednesday, Friday, Sunday: Monday itself");
            Assert.That(Next("0 0 12 * * */2", s_monday9.AddDays(4).AddHours(4)), Is.EqualTo(new DateTimeOffset(2025, 1, 12, 12, 0, 0, TimeSpan.Zero)), "after Friday: Sunday, not Saturday");
            Assert.That(Next("0 0 12 ? * MON-SUN", s_monday9), Is.EqualTo(s_monday9.AddHours(3)), "Monday to Sunday is every day");
            Assert.That(Next("0 0 12 ? * FRI-SUN", s_monday9), Is.EqualTo(new DateTimeOffset(2025, 1, 10, 12, 0, 0, TimeSpan.Zero)));
            Assert.That(Next("0 0 12 ? * FRI-SUN", new DateTimeOffset(2025, 1, 11, 13, 0, 0, TimeSpan.Zero)), Is.EqualTo(new DateTimeOffset(2025, 1, 12, 12, 0, 0, TimeSpan.Zero)), "Sunday ends the range");
            Assert.That(Next("0 0 12 ? * 7-1", new DateTimeOffset(2025, 1, 7, 0, 0, 0, TimeSpan.Zero)), Is.EqualTo(new DateTimeOffset(2025, 1, 12, 12, 0, 0, TimeSpan.Zero)), "7 starting a range is Sunday: Sunday and Monday");
            Assert.That(Next("0 0 12 ? * SUN/2", s_monday9), Is.EqualTo(new DateTimeOffset(2025, 1, 12, 12, 0, 0, TimeSpan.Zero)), "SUN is 7: with a step, Sunday alone");
            Assert.That(Next("0 0 12 ? * SUN/2", new DateTimeOffset(2025, 1, 12, 13, 0, 0, TimeSpan.Zero)), Is.EqualTo(new DateTimeOffset(2025, 1, 19, 12, 0, 0, TimeSpan.Zero)));
            Assert.That(Next("0 0 12 ? * 0/2", s_monday9), Is.EqualTo(s_monday9.AddDays(1).AddHours(3)), "0/2 is Sunday, Tuesday, Thursday, Saturday");
            Assert.That(Next("0 0 9 ? * 2-6", s_monday9.AddDays(4)), Is.EqualTo(s_monday9.AddDays(5)), "2-6 is Tuesday to Saturday (a Quartz reader would say Monday to Friday)");
        }
    }

    [Test]
    public void A_cron_cycle_numbering_or_stepping_its_days_of_the_week_deploys_with_a_warning_naming_the_days_it_fires_on()
    {
        var findings = BpmnParser.Parse(Process("p", """
            <bpmn:startEvent id="quartz"><bpmn:timerEventDefinition><bpmn:timeCycle>0 0 9 ? * 2-6</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>
            <bpmn:startEvent id="last"><bpmn:timerEventDefinition><bpmn:timeCycle>0 0 9 ? * 5L</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>
            <bpmn:startEvent id="named"><bpmn:timerEventDefinition><bpmn:timeCycle>0 0 9 ? * MON-FRI</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>
            <bpmn:startEvent id="stepped"><bpmn:timerEventDefinition><bpmn:timeCycle>0 0 9 * * */2</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>
            <bpmn:startEvent id="weekly"><bpmn:timerEventDefinition><bpmn:timeCycle>@weekly</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>
            """)).Findings;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(findings.Select(f => (f.Severity, f.Code, f.ElementId)), Is.EqualTo(new[]
            {
                (FindingSeverity.Warning, "TIMER_CRON_DAY_NUMBERS", "quartz"), (FindingSeverity.Warning, "TIMER_CRON_DAY_NUMBERS", "last"),
                (FindingSeverity.Warning, "TIMER_CRON_DAY_NUMBERS", "stepped"),
            }), "day names and macros read one way only; a step over the days starts from Sunday in Quartz, Monday in Spring");
            Assert.That(findings[0].Message, Does.Contain("1 = Monday").And.Contain("it fires on Tuesday, Wednesday, Thursday, Friday, Saturday").And.Contain("Camunda 7 (Quartz)"));
            Assert.That(findings[1].Message, Does.Contain("it fires on Friday."));
            Assert.That(findings[2].Message, Does.Contain("it fires on Monday, Wednesday, Friday, Sunday."));
        }
    }

    [Test]
    public void Last_days_nearest_weekdays_and_nth_weekdays_follow_the_month()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Next("0 0 0 L * *", s_monday9), Is.EqualTo(new DateTimeOffset(2025, 1, 31, 0, 0, 0, TimeSpan.Zero)));
            Assert.That(Next("0 0 0 L * *", new DateTimeOffset(2025, 2, 1, 0, 0, 0, TimeSpan.Zero)), Is.EqualTo(new DateTimeOffset(2025, 2, 28, 0, 0, 0, TimeSpan.Zero)));
            Assert.That(Next("0 0 0 L-2 * *", s_monday9), Is.EqualTo(new DateTimeOffset(2025, 1, 29, 0, 0, 0, TimeSpan.Zero)));
            Assert.That(Next("0 0 0 LW * *", new DateTimeOffset(2025, 5, 1, 0, 0, 0, TimeSpan.Zero)), Is.EqualTo(new DateTimeOffset(2025, 5, 30, 0, 0, 0, TimeSpan.Zero)), "31 May 2025 is a Saturday");
            Assert.That(Next("0 0 0 1W * *", new DateTimeOffset(2025, 2, 2, 0, 0, 0, TimeSpan.Zero)), Is.EqualTo(new DateTimeOffset(2025, 2, 3, 0, 0, 0, TimeSpan.Zero)), "1 February 2025 is a Saturday: the nearest weekday in February is Monday the 3rd, not Friday 31 January");
            Assert.That(Next("0 0 0 15W * *", new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.Zero)), Is.EqualTo(new DateTimeOffset(2025, 3, 14, 0, 0, 0, TimeSpan.Zero)), "15 March 2025 is a Saturday");
            Assert.That(Next("0 0 0 ? * 5L", s_monday9), Is.EqualTo(new DateTimeOffset(2025, 1, 31, 0, 0, 0, TimeSpan.Zero)), "the last Friday of January 2025");
            Assert.That(Next("0 0 0 ? * MON#2", s_monday9), Is.EqualTo(new DateTimeOffset(2025, 1, 13, 0, 0, 0, TimeSpan.Zero)));
            Assert.That(Next("0 0 0 29 2 *", s_monday9), Is.EqualTo(new DateTimeOffset(2028, 2, 29, 0, 0, 0, TimeSpan.Zero)));
            Assert.That(Next("0 0 0 13 * FRI", s_monday9), Is.EqualTo(new DateTimeOffset(2025, 6, 13, 0, 0, 0, TimeSpan.Zero)), "both day fields must match (Spring)");
        }
    }

    [TestCase("0 0 9 * *", "six fields")]
    [TestCase("0 0 9 ? * 2-6 2025", "Quartz's year")]
    [TestCase("0 60 9 * * *", "minute '60'")]
    [TestCase("0 0 9 * * FRI-MON", "range 'FRI-MON'")]
    [TestCase("0 0 9 * * 5#6", "'5#6'")]
    [TestCase("? 0 9 * * *", "second '?'")]
    [TestCase("@fortnightly", "macros")]
    public void A_cron_expression_that_cannot_be_read_is_refused_naming_what_is_wrong(string cron, string named)
    {
        var plan = TimerSchedule.Plan(TimerKind.Cycle, cron, s_monday9, out var error);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(plan, Is.Null);
            Assert.That(error, Does.Contain(named));
        }
    }

    [Test]
    public void A_cron_that_never_falls_due_is_refused_at_deploy()
    {
        var findings = BpmnParser.Parse(Process("p", """
            <bpmn:startEvent id="start"><bpmn:timerEventDefinition><bpmn:timeCycle>0 0 0 30 2 *</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>
            """)).Findings;

        Assert.That(findings.Select(f => (f.Code, f.ElementId)), Is.EqualTo(new[] { ("TIMER_INVALID", "start") }));
        Assert.That(findings[0].Message, Does.Contain("never falls due"));
    }

    [Test]
    public async Task A_cron_finer_than_the_minimum_cycle_is_refused_at_deploy()
    {
        var h = new ProcessTestHarness(configure: o => o.Limits.MinTimerCycle = TimeSpan.FromMinutes(1));

        var report = await h.Engine.Deployments.ValidateAsync(Process("p", """
            <bpmn:startEvent id="start"><bpmn:timerEventDefinition><bpmn:timeCycle>0/0 * * * * *</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>
            <bpmn:startEvent id="start2"><bpmn:timerEventDefinition><bpmn:timeCycle>*/10 * * * * *</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>
            <bpmn:startEvent id="start3"><bpmn:timerEventDefinition><bpmn:timeCycle>0 * * * * *</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>
            """));

        Assert.That(report.Findings.Where(f => f.Severity == FindingSeverity.Error).Select(f => (f.Code, f.ElementId)),
            Is.EquivalentTo(new[] { ("TIMER_INVALID", "start"), ("TIMER_CYCLE_TOO_SHORT", "start2") }), "every minute is allowed, every 10 seconds is not");
    }

    [Test]
    public async Task A_cron_start_timer_starts_an_instance_at_each_firing_of_its_schedule()
    {
        var h = new ProcessTestHarness();
        var deployed = await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"><bpmn:timerEventDefinition><bpmn:timeCycle>0 0 9 * * MON-FRI</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>
            {UserTask("work")}{Chain("start", "work")}
            """));

        await h.AdvanceTimeAsync(TimeSpan.FromDays(1));
        var tuesday = (await h.InstancesOfAsync("p")).Count;
        await h.AdvanceTimeAsync(TimeSpan.FromDays(5));
        var sunday = (await h.InstancesOfAsync("p")).Count;
        await h.AdvanceTimeAsync(TimeSpan.FromDays(1));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(deployed.Report.Findings.Where(f => f.Severity == FindingSeverity.Error), Is.Empty);
            Assert.That(tuesday, Is.EqualTo(1), "Monday 09:00 itself is not after the deploy: Tuesday 09:00 is the first");
            Assert.That(sunday, Is.EqualTo(4), "Wednesday, Thursday, Friday; none on Saturday and Sunday");
            Assert.That((await h.InstancesOfAsync("p")).Count, Is.EqualTo(5), "Monday again");
        }
    }

    [Test]
    public async Task A_non_interrupting_boundary_with_a_cron_cycle_fires_on_its_schedule_while_the_activity_runs()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("work")}
            <bpmn:boundaryEvent id="reminder" attachedToRef="work" cancelActivity="false">
              <bpmn:timerEventDefinition><bpmn:timeCycle>0 30 * * * *</bpmn:timeCycle></bpmn:timerEventDefinition>
            </bpmn:boundaryEvent>
            {UserTask("remind")}
            {Chain("start", "work")}{Chain("reminder", "remind")}
            """));
        var instance = await h.StartAsync("p");

        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(29));
        var before = await instance.ActiveElementsAsync();
        await h.AdvanceTimeAsync(TimeSpan.FromMinutes(1));
        var afterOne = await instance.ActiveElementsAsync();
        await h.AdvanceTimeAsync(TimeSpan.FromHours(2));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(before, Is.EqualTo(new[] { "work" }));
            Assert.That(afterOne, Is.EquivalentTo(new[] { "work", "remind" }), "09:30");
            Assert.That(await instance.ActiveElementsAsync(), Is.EquivalentTo(new[] { "work", "remind", "remind", "remind" }), "10:30 and 11:30");
        }
    }
}
