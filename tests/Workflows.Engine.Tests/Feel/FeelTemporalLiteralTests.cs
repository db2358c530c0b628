using Workflows.Engine.Feel;

namespace Workflows.Engine.Tests.Feel;

/// <summary>The date, time and duration forms Camunda 8's FEEL (feel-scala) accepts, as literals and through the conversion functions.</summary>
public sealed class FeelTemporalLiteralTests
{
    private static object? Eval(string expression) => FeelInterpreter.Evaluate(expression).Value;

    private static readonly TimeSpan s_plusTwo = TimeSpan.FromHours(2);

    [Test]
    public void A_date_literal_is_a_date() =>
        Assert.That(Eval("@\"2024-01-01\""), Is.EqualTo(new DateOnly(2024, 1, 1)));

    [TestCase("@\"10:30:00\"")]
    [TestCase("time(\"10:30:00\")")]
    [TestCase("time(\"T10:30:00\")")]
    [TestCase("@\"T10:30:00\"")]
    public void A_local_time_is_read_with_or_without_a_leading_T(string expression) =>
        Assert.That(Eval(expression), Is.EqualTo(new FeelTime(new TimeOnly(10, 30), null)));

    [TestCase("time(\"10:30:00+02:00\")")]
    [TestCase("@\"10:30:00+02:00\"")]
    [TestCase("time(\"T10:30:00+02:00\")")]
    public void A_time_with_an_offset_keeps_the_offset(string expression) =>
        Assert.That(Eval(expression), Is.EqualTo(new FeelTime(new TimeOnly(10, 30), s_plusTwo)));

    [Test]
    public void A_time_in_UTC_is_offset_zero() =>
        Assert.That(Eval("time(\"10:30:00Z\")"), Is.EqualTo(new FeelTime(new TimeOnly(10, 30), TimeSpan.Zero)));

    [TestCase("time(\"T00:00:00@UTC\")", "00:00:00@UTC")]
    [TestCase("time(\"23:59:00@Europe/Paris\")", "23:59:00@Europe/Paris")]
    [TestCase("@\"10:30:00@America/Toronto\"", "10:30:00@America/Toronto")]
    public void A_time_with_a_zone_keeps_the_zone(string expression, string text)
    {
        var value = Eval(expression);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(value, Is.TypeOf<FeelTime>());
            Assert.That(FeelValue.ToFeelString(value), Is.EqualTo(text));
        }
    }

    [Test]
    public void A_time_with_fractional_seconds_is_read() =>
        Assert.That(Eval("time(\"10:30:00.250\")"), Is.EqualTo(new FeelTime(new TimeOnly(10, 30, 0, 250), null)));

    [Test]
    public void A_time_with_nanoseconds_is_read_to_the_tick() =>
        Assert.That(Eval("time(\"10:30:00.123456789\").second"), Is.EqualTo(0m));

    [Test]
    public void A_time_is_built_from_hour_minute_second_and_an_offset_duration() =>
        Assert.That(Eval("time(14, 30, 0, duration(\"PT1H\"))"), Is.EqualTo(new FeelTime(new TimeOnly(14, 30), TimeSpan.FromHours(1))));

    [TestCase("@\"2024-01-01T10:30:00\"", null, null)]
    [TestCase("date and time(\"2024-01-01T10:30:00\")", null, null)]
    [TestCase("@\"2024-01-01T10:30:00Z\"", 0, null)]
    [TestCase("@\"2024-01-01T10:30:00+02:00\"", 2, null)]
    [TestCase("date and time(\"2024-01-01T10:30:00-05:00\")", -5, null)]
    [TestCase("@\"2024-01-01T10:30:00@Europe/Paris\"", null, "Europe/Paris")]
    [TestCase("date and time(\"2024-01-01T10:30:00@UTC\")", null, "UTC")]
    [TestCase("date and time(\"2024-01-01T10:30:00@America/Toronto\")", null, "America/Toronto")]
    public void A_date_and_time_keeps_its_offset_or_zone(string expression, int? offsetHours, string? zone) =>
        Assert.That(Eval(expression), Is.EqualTo(new FeelDateTime(new DateTime(2024, 1, 1, 10, 30, 0), offsetHours is { } h ? TimeSpan.FromHours(h) : null, zone)));

    [Test]
    public void A_zoned_date_and_time_denotes_the_instant_of_its_zone() =>
        Assert.That(((FeelDateTime)Eval("@\"2024-07-01T10:30:00@Europe/Paris\"")!).ToInstant(), Is.EqualTo(new DateTimeOffset(2024, 7, 1, 8, 30, 0, TimeSpan.Zero)));

    [Test]
    public void A_date_and_time_is_built_from_a_date_and_a_zoned_time() =>
        Assert.That(Eval("date and time(date(\"2012-12-24\"), time(\"T23:59:00@Europe/Paris\"))"),
            Is.EqualTo(new FeelDateTime(new DateTime(2012, 12, 24, 23, 59, 0), null, "Europe/Paris")));

    [Test]
    public void The_time_of_a_zoned_date_and_time_keeps_the_zone() =>
        Assert.That(FeelValue.ToFeelString(Eval("time(@\"2024-01-01T10:30:00@Europe/Paris\")")), Is.EqualTo("10:30:00@Europe/Paris"));

    [Test]
    public void A_date_only_text_as_date_and_time_is_midnight() =>
        Assert.That(Eval("date and time(\"2024-01-01\")"), Is.EqualTo(new FeelDateTime(new DateTime(2024, 1, 1), null, null)));

    [TestCase("@\"P1D\"", 1 * 24 * 60)]
    [TestCase("@\"PT2H\"", 120)]
    [TestCase("@\"P1DT2H30M\"", (24 * 60) + 150)]
    [TestCase("@\"P2W\"", 14 * 24 * 60)]
    [TestCase("@\"-PT5M\"", -5)]
    [TestCase("duration(\"PT-5M\")", -5)]
    [TestCase("duration(\"P-1D\")", -24 * 60)]
    [TestCase("duration(\"PT-2H\")", -120)]
    public void A_days_and_time_duration_is_read_with_any_sign(string expression, int minutes) =>
        Assert.That(Eval(expression), Is.EqualTo(TimeSpan.FromMinutes(minutes)));

    [Test]
    public void Each_component_of_a_duration_may_carry_its_own_sign() =>
        Assert.That(Eval("duration(\"PT-3M-4S\")"), Is.EqualTo(TimeSpan.FromSeconds(-184)));

    [TestCase("@\"P1Y\"", 12)]
    [TestCase("@\"P1Y2M\"", 14)]
    [TestCase("duration(\"-P1Y2M\")", -14)]
    [TestCase("duration(\"P-1Y\")", -12)]
    [TestCase("duration(\"P-1Y-2M\")", -14)]
    public void A_years_and_months_duration_is_read_with_any_sign(string expression, int months) =>
        Assert.That(Eval(expression), Is.EqualTo(new FeelYearMonthDuration(months)));

    [TestCase("duration(\"P99999999999999999D\")")]
    [TestCase("duration(\"P999999999999Y\")")]
    [TestCase("time(\"10:30:00+25:00\")")]
    [TestCase("time(\"10:30:00@Nowhere/Atlantis\")")]
    [TestCase("date(\"2024-02-30\")")]
    public void A_value_out_of_range_is_null_with_a_warning_not_an_exception(string expression)
    {
        var result = FeelInterpreter.Evaluate(expression);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Value, Is.Null);
            Assert.That(result.Warnings, Is.Not.Empty);
        }
    }

    [TestCase("@\"not a date\"")]
    [TestCase("@\"2024-13-01\"")]
    [TestCase("@\"25:00:00\"")]
    public void A_literal_that_is_no_temporal_value_is_a_syntax_error(string expression) =>
        Assert.That(() => FeelInterpreter.Evaluate(expression), Throws.TypeOf<FeelSyntaxException>());

    [TestCase("cycle(duration(\"PT1H\"))", "R/PT1H")]
    [TestCase("cycle(@\"PT15M\")", "R/PT15M")]
    [TestCase("cycle(3, duration(\"PT1H\"))", "R3/PT1H")]
    [TestCase("cycle(2, duration(\"P1D\"))", "R2/P1D")]
    [TestCase("cycle(12, duration(\"P1M\"))", "R12/P1M")]
    [TestCase("cycle(repetitions: 5, interval: duration(\"PT10M\"))", "R5/PT10M")]
    public void Cycle_writes_a_repeating_interval(string expression, string interval) =>
        Assert.That(Eval(expression), Is.EqualTo(interval));

    [TestCase("cycle(\"PT1H\")")]
    [TestCase("cycle(0, duration(\"PT1H\"))")]
    [TestCase("cycle(1.5, duration(\"PT1H\"))")]
    [TestCase("cycle(\"3\", duration(\"PT1H\"))")]
    [TestCase("cycle()")]
    public void Cycle_without_a_duration_or_with_a_bad_count_is_null_with_a_warning(string expression)
    {
        var result = FeelInterpreter.Evaluate(expression);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Value, Is.Null);
            Assert.That(result.Warnings, Is.Not.Empty);
        }
    }
}
