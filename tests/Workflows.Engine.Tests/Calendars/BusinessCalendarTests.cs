using Workflows.Engine.Calendars;

namespace Workflows.Engine.Tests.Calendars;

public sealed class BusinessCalendarTests
{
    private static readonly TimeZoneInfo s_paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");

    private static IReadOnlyList<WorkingInterval> Hours(params string[] intervals) => intervals.Select(WorkingInterval.Parse).ToList();

    private static BusinessCalendar OfficeHours(IEnumerable<DateOnly>? holidays = null, IEnumerable<(int, int)>? yearly = null) => new(
        "office", s_paris,
        new Dictionary<DayOfWeek, IReadOnlyList<WorkingInterval>>
        {
            [DayOfWeek.Monday] = Hours("09:00-12:00", "13:00-17:00"),
            [DayOfWeek.Tuesday] = Hours("09:00-12:00", "13:00-17:00"),
            [DayOfWeek.Wednesday] = Hours("09:00-12:00", "13:00-17:00"),
            [DayOfWeek.Thursday] = Hours("09:00-12:00", "13:00-17:00"),
            [DayOfWeek.Friday] = Hours("09:00-12:00", "13:00-17:00"),
        },
        holidays, yearly);

    // Local Paris time (UTC+1 in winter, UTC+2 in summer).
    private static DateTimeOffset Paris(int year, int month, int day, int hour, int minute = 0)
    {
        var local = new DateTime(year, month, day, hour, minute, 0);
        return new DateTimeOffset(local, s_paris.GetUtcOffset(local));
    }

    [Test]
    public void Working_hours_skip_the_lunch_break_the_night_and_the_weekend()
    {
        var calendar = OfficeHours();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(calendar.AddWorkingTime(Paris(2025, 1, 6, 11), TimeSpan.FromHours(3)), Is.EqualTo(Paris(2025, 1, 6, 15)), "11-12 and 13-15");
            Assert.That(calendar.AddWorkingTime(Paris(2025, 1, 10, 16), TimeSpan.FromHours(4)), Is.EqualTo(Paris(2025, 1, 13, 12)), "Friday 16-17, then Monday 09-12");
            Assert.That(calendar.AddWorkingTime(Paris(2025, 1, 11, 20), TimeSpan.FromHours(1)), Is.EqualTo(Paris(2025, 1, 13, 10)), "a Saturday start waits for Monday");
            Assert.That(calendar.AddWorkingTime(Paris(2025, 1, 6, 9), TimeSpan.FromHours(16)), Is.EqualTo(Paris(2025, 1, 8, 11)), "16 working hours are two days of 7, and two more");
        }
    }

    [Test]
    public void Dated_and_yearly_holidays_are_not_working_days()
    {
        var calendar = OfficeHours(holidays: [new DateOnly(2025, 4, 21)], yearly: [(5, 1)]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(calendar.IsBusinessDay(new DateOnly(2025, 4, 21)), Is.False, "Easter Monday 2025");
            Assert.That(calendar.IsBusinessDay(new DateOnly(2026, 5, 1)), Is.False, "1 May, every year");
            Assert.That(calendar.AddWorkingTime(Paris(2025, 4, 18, 16), TimeSpan.FromHours(2)), Is.EqualTo(Paris(2025, 4, 22, 10)), "over the Easter weekend and Monday");
        }
    }

    [Test]
    public void Working_time_between_two_instants_counts_only_working_intervals()
    {
        var calendar = OfficeHours();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(calendar.WorkingTimeBetween(Paris(2025, 1, 10, 16), Paris(2025, 1, 13, 10)), Is.EqualTo(TimeSpan.FromHours(2)));
            Assert.That(calendar.WorkingTimeBetween(Paris(2025, 1, 6, 11, 30), Paris(2025, 1, 6, 13, 30)), Is.EqualTo(TimeSpan.FromHours(1)));
            Assert.That(calendar.WorkingTimeBetween(Paris(2025, 1, 7, 9), Paris(2025, 1, 6, 9)), Is.EqualTo(TimeSpan.Zero));
        }
    }

    [Test]
    public void Business_days_count_from_the_next_business_day_after_the_cut_off()
    {
        var calendar = OfficeHours();
        var twoDays = BusinessDuration.Parse("2 business days cut-off 17:00");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(twoDays.AddTo(Paris(2025, 1, 6, 10), calendar), Is.EqualTo(Paris(2025, 1, 8, 17)), "Monday morning: Wednesday at closing time");
            Assert.That(twoDays.AddTo(Paris(2025, 1, 6, 17, 30), calendar), Is.EqualTo(Paris(2025, 1, 9, 17)), "after the cut-off it counts from Tuesday");
            Assert.That(twoDays.AddTo(Paris(2025, 1, 10, 10), calendar), Is.EqualTo(Paris(2025, 1, 14, 17)), "Friday: over the weekend to Tuesday");
            Assert.That(twoDays.AddTo(Paris(2025, 1, 11, 10), calendar), Is.EqualTo(Paris(2025, 1, 15, 17)), "arriving on Saturday counts from Monday");
        }
    }

    [Test]
    public void Daylight_saving_changes_shorten_or_lengthen_working_time_on_the_instant_line()
    {
        // Round the clock, so that the night of the change is working time.
        var allDay = new BusinessCalendar("24/7", s_paris, Enum.GetValues<DayOfWeek>().ToDictionary(d => d, _ => Hours("00:00-00:00")));

        using (Assert.EnterMultipleScope())
        {
            // 30 March 2025: 02:00 becomes 03:00; from 00:00 to 06:00 local there are 5 real hours.
            Assert.That(allDay.WorkingTimeBetween(Paris(2025, 3, 30, 0), Paris(2025, 3, 30, 6)), Is.EqualTo(TimeSpan.FromHours(5)));
            Assert.That(allDay.AddWorkingTime(Paris(2025, 3, 30, 1), TimeSpan.FromHours(2)), Is.EqualTo(Paris(2025, 3, 30, 4)));
            // 26 October 2025: 03:00 becomes 02:00 again; 00:00 to 06:00 local holds 7 real hours.
            Assert.That(allDay.WorkingTimeBetween(Paris(2025, 10, 26, 0), Paris(2025, 10, 26, 6)), Is.EqualTo(TimeSpan.FromHours(7)));
            Assert.That(BusinessDuration.Parse("PT24H").AddTo(Paris(2025, 3, 29, 12), allDay), Is.EqualTo(Paris(2025, 3, 30, 13)), "elapsed time: 24 real hours are 25 on the wall clock");
        }
    }

    [TestCase("PT48H", "P2D")]
    [TestCase("16 working hours", "PT16H working")]
    [TestCase("PT16H working", "PT16H working")]
    [TestCase("2 business days", "2 business days")]
    [TestCase("3 business days cut-off 17:00", "3 business days cut-off 17:00")]
    public void Durations_read_their_documented_forms(string text, string shown) =>
        Assert.That(BusinessDuration.Parse(text).ToString(), Is.EqualTo(shown));

    [Test]
    public void A_duration_in_no_documented_form_is_refused_with_the_forms_it_takes() =>
        Assert.That(() => BusinessDuration.Parse("two days"), Throws.TypeOf<FormatException>().With.Message.Contains("working hours").And.Message.Contains("business days"));

    [Test]
    public void Layers_override_top_down_and_dated_versions_apply_from_their_effective_time()
    {
        var registry = new CalendarRegistry();
        var weekdays = new[] { DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday };
        registry.Add(new CalendarLayer("group", DateTimeOffset.MinValue)
        {
            TimeZone = "Europe/Paris",
            Week = weekdays.ToDictionary(d => d, _ => Hours("09:00-17:00")),
            YearlyHolidays = [(1, 1), (12, 25)],
        });
        registry.Add(new CalendarLayer("country:FR", DateTimeOffset.MinValue) { YearlyHolidays = [(7, 14)] });
        registry.Add(new CalendarLayer("branch:lyon", DateTimeOffset.MinValue)
        {
            Week = new Dictionary<DayOfWeek, IReadOnlyList<WorkingInterval>> { [DayOfWeek.Saturday] = Hours("09:00-12:00") },
            WorkingDays = [new DateOnly(2025, 12, 25)],
        });
        registry.Add(new CalendarLayer("branch:lyon", new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero))
        {
            Week = new Dictionary<DayOfWeek, IReadOnlyList<WorkingInterval>> { [DayOfWeek.Saturday] = Hours("09:00-12:00"), [DayOfWeek.Monday] = [] },
        });
        string[] chain = ["group", "country:FR", "branch:lyon"];

        var may = registry.Resolve(chain, new DateTimeOffset(2025, 5, 15, 0, 0, 0, TimeSpan.Zero));
        var june = registry.Resolve(chain, new DateTimeOffset(2025, 6, 15, 0, 0, 0, TimeSpan.Zero));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(may.IsBusinessDay(new DateOnly(2025, 5, 17)), Is.True, "the branch works Saturday mornings");
            Assert.That(may.IsBusinessDay(new DateOnly(2025, 7, 14)), Is.False, "the country's holiday");
            Assert.That(may.IsBusinessDay(new DateOnly(2026, 1, 1)), Is.False, "the group's holiday");
            Assert.That(may.IsBusinessDay(new DateOnly(2025, 12, 25)), Is.True, "the branch opens on Christmas 2025 against the group");
            Assert.That(may.IsBusinessDay(new DateOnly(2025, 5, 19)), Is.True, "Monday, before the change");
            Assert.That(june.IsBusinessDay(new DateOnly(2025, 6, 16)), Is.False, "Monday, closed from June on");
            Assert.That(june.IsBusinessDay(new DateOnly(2025, 12, 25)), Is.False, "the June version no longer opens on Christmas");
            Assert.That(() => registry.Resolve(["nowhere"], DateTimeOffset.UtcNow), Throws.ArgumentException.With.Message.Contains("nowhere"));
        }
    }

    [Test]
    public void A_chain_resolves_to_one_calendar_until_a_layer_gets_a_new_version()
    {
        var registry = new CalendarRegistry();
        registry.Add(new CalendarLayer("group", DateTimeOffset.MinValue)
        {
            TimeZone = "Europe/Paris",
            Week = new Dictionary<DayOfWeek, IReadOnlyList<WorkingInterval>> { [DayOfWeek.Monday] = Hours("09:00-17:00"), [DayOfWeek.Tuesday] = Hours("09:00-17:00") },
        });
        registry.Add(new CalendarLayer("branch", DateTimeOffset.MinValue));
        string[] chain = ["group", "branch"];
        var at = new DateTimeOffset(2025, 5, 15, 0, 0, 0, TimeSpan.Zero);

        var first = registry.Resolve(chain, at);
        var again = registry.Resolve(chain, at.AddDays(3));
        var monday = new DateOnly(2025, 5, 19);
        var before = first.AddWorkingTime(Paris(2025, 5, 19, 9), TimeSpan.FromHours(10));
        registry.Add(new CalendarLayer("branch", new DateTimeOffset(2025, 5, 1, 0, 0, 0, TimeSpan.Zero))
        {
            Week = new Dictionary<DayOfWeek, IReadOnlyList<WorkingInterval>> { [DayOfWeek.Monday] = [] },
        });
        var changed = registry.Resolve(chain, at);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(again, Is.SameAs(first), "the same layer versions make the same calendar: it is made once");
            Assert.That(before, Is.EqualTo(Paris(2025, 5, 20, 11)), "Monday 8 hours, Tuesday 2");
            Assert.That(changed, Is.Not.SameAs(first), "a version added since is taken at once");
            Assert.That(changed.IsBusinessDay(monday), Is.False, "the new version closes Mondays");
            Assert.That(changed.AddWorkingTime(Paris(2025, 5, 19, 9), TimeSpan.FromHours(10)), Is.EqualTo(Paris(2025, 5, 27, 11)), "Tuesday 8 hours, the next Tuesday 2");
            Assert.That(first.AddWorkingTime(Paris(2025, 5, 19, 9), TimeSpan.FromHours(10)), Is.EqualTo(before), "a calendar already made answers the same the second time");
        }
    }

    [Test]
    public void Daylight_saving_answers_stay_the_same_when_asked_again()
    {
        var allDay = new BusinessCalendar("24/7", s_paris, Enum.GetValues<DayOfWeek>().ToDictionary(d => d, _ => Hours("00:00-00:00")));

        for (var round = 0; round < 2; round++)
        {
            using (Assert.EnterMultipleScope())
            {
                Assert.That(allDay.AddWorkingTime(Paris(2025, 3, 30, 1), TimeSpan.FromHours(2)), Is.EqualTo(Paris(2025, 3, 30, 4)), $"spring gap, round {round}");
                Assert.That(allDay.WorkingTimeBetween(Paris(2025, 10, 26, 0), Paris(2025, 10, 26, 6)), Is.EqualTo(TimeSpan.FromHours(7)), $"autumn overlap, round {round}");
            }
        }
    }
}
