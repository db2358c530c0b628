using Microsoft.Extensions.Time.Testing;
using Workflows.Engine.Feel;

namespace Workflows.Engine.Tests.Feel;

/// <summary>The cases where the reference implementation departs from DMN 1.3 (Corpus/expressions.mjs, "excluded"), and the clock.</summary>
public sealed class FeelSpecificationTests
{
    private static object? Eval(string expression, TimeProvider? time = null) => FeelInterpreter.Evaluate(expression, null, time).Value;

    [Test]
    public void A_non_boolean_condition_takes_the_else_branch() =>
        Assert.That(Eval("if 1 then \"yes\" else \"no\""), Is.EqualTo("no"));

    [Test]
    public void Max_orders_strings_too() =>
        Assert.That(Eval("max(\"a\", \"c\", \"b\")"), Is.EqualTo("c"));

    [Test]
    public void Durations_multiply_and_divide()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Eval("duration(\"PT1H\") * 3"), Is.EqualTo(TimeSpan.FromHours(3)));
            Assert.That(Eval("duration(\"PT3H\") / 2"), Is.EqualTo(TimeSpan.FromMinutes(90)));
            Assert.That(Eval("duration(\"P1D\") / duration(\"PT1H\")"), Is.EqualTo(24m));
            Assert.That(Eval("duration(\"P1Y\") * 2"), Is.EqualTo(new FeelYearMonthDuration(24)));
            Assert.That(Eval("duration(\"P1Y\") / duration(\"P1M\")"), Is.EqualTo(12m));
        }
    }

    [Test]
    public void Years_and_months_between_dates_counts_whole_months() =>
        Assert.That(Eval("years and months duration(date(\"2024-01-31\"), date(\"2024-02-29\"))"), Is.EqualTo(new FeelYearMonthDuration(0)));

    [Test]
    public void Duplicate_values_lists_each_repeated_value_once() =>
        Assert.That(Eval("duplicate values([1, 2, 1, 3, 3])"), Is.EqualTo(new List<object?> { 1m, 3m }));

    [Test]
    public void Now_and_today_read_the_injected_clock()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 3, 30, 23, 30, 0, TimeSpan.Zero));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Eval("now()", clock), Is.EqualTo(new FeelDateTime(new DateTime(2025, 3, 30, 23, 30, 0), TimeSpan.Zero, null)));
            Assert.That(Eval("today()", clock), Is.EqualTo(new DateOnly(2025, 3, 30)));
            Assert.That(Eval("now() + duration(\"PT1H\") > now()", clock), Is.EqualTo(true));
        }
    }

    [Test]
    public void Numbers_are_decimal_not_binary_floating_point() =>
        Assert.That(Eval("0.1 + 0.2 = 0.3"), Is.EqualTo(true));

    [Test]
    public void Zoned_date_times_add_on_the_instant_line_across_daylight_saving()
    {
        // 2025-03-30 02:00 Europe/Paris does not exist: clocks jump from 02:00 to 03:00.
        var result = Eval("date and time(\"2025-03-30T01:30:00@Europe/Paris\") + duration(\"PT1H\")");

        Assert.That(result, Is.EqualTo(FeelBuiltins.ParseDateTime("2025-03-30T03:30:00@Europe/Paris")));
    }

    [Test]
    public void A_syntax_error_names_its_position() =>
        Assert.That(() => Eval("amount >"), Throws.TypeOf<FeelSyntaxException>().With.Property(nameof(FeelSyntaxException.Position)).EqualTo(8));
}
