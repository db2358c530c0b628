using System.Diagnostics;
using Workflows.Engine.Feel;
using Workflows.Engine.Testing;
using Workflows.Engine.Validation;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Feel;

/// <summary>Every FEEL evaluation has budgets; a breach is a <see cref="FeelLimitExceededException"/> naming the budget, never a crash or a stall.</summary>
public sealed class FeelLimitsTests
{
    private static FeelLimitExceededException Breach(string expression, FeelLimits? limits = null, double withinSeconds = 5)
    {
        var watch = Stopwatch.StartNew();
        var breach = Assert.Throws<FeelLimitExceededException>(() => FeelInterpreter.Evaluate(expression, limits ?? FeelLimits.Default))!;
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(withinSeconds)), "a budget stops the evaluation fast");
        return breach;
    }

    [Test]
    public void A_for_over_a_hundred_million_numbers_stops_at_once_on_the_collection_budget()
    {
        var watch = Stopwatch.StartNew();
        var breach = Breach("for x in 1..100000000 return x");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(breach.Setting, Is.EqualTo(nameof(FeelLimits.MaxCollectionSize)));
            Assert.That(breach.Message, Does.Contain("FeelLimits.MaxCollectionSize = 100000"));
            Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)));
        }
    }

    [Test]
    public void A_large_but_legitimate_loop_runs_within_the_defaults() =>
        Assert.That(FeelInterpreter.Evaluate("sum(for x in 1..50000 return x * 2)").Value, Is.EqualTo(2_500_050_000m));

    [Test]
    public void A_recursive_function_without_end_stops_on_the_depth_budget_instead_of_overflowing_the_stack()
    {
        var breach = Breach("{f: function(n) if n = 0 then 0 else 1 + f(n - 1), r: f(1000000)}.r");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(breach.Setting, Is.EqualTo(nameof(FeelLimits.MaxDepth)));
            Assert.That(breach.Message, Does.Contain("FeelLimits.MaxDepth = 64"));
        }
    }

    [Test]
    public void A_shallow_recursion_still_works() =>
        Assert.That(FeelInterpreter.Evaluate("{f: function(n) if n = 0 then 1 else n * f(n - 1), r: f(20)}.r").Value, Is.EqualTo(2432902008176640000m));

    [Test]
    public void An_exponential_recursion_stops_on_the_step_budget() =>
        Assert.That(Breach("{f: function(n) if n = 0 then 1 else f(n - 1) + f(n - 1), r: f(40)}.r").Setting, Is.EqualTo(nameof(FeelLimits.MaxSteps)));

    [Test]
    public void Nested_loops_stop_on_the_step_budget() =>
        Assert.That(Breach("count(for x in 1..5000 return count(for y in 1..5000 return y))").Setting, Is.EqualTo(nameof(FeelLimits.MaxSteps)));

    [Test]
    public void A_list_that_doubles_stops_on_the_collection_budget() =>
        Assert.That(Breach("{a: [1, 2, 3, 4], b: concatenate(a, a), c: concatenate(b, b, b, b), d: concatenate(c, c, c, c), e: concatenate(d, d, d, d), f: concatenate(e, e, e, e), g: concatenate(f, f, f, f), h: concatenate(g, g, g, g), i: concatenate(h, h, h, h)}").Setting,
            Is.EqualTo(nameof(FeelLimits.MaxCollectionSize)));

    [Test]
    public void A_string_that_doubles_stops_on_the_string_budget() =>
        Assert.That(Breach("{a: \"xxxxxxxxxxxxxxxx\", b: a+a, c: b+b, d: c+c, e: d+d, f: e+e, g: f+f, h: g+g, i: h+h, j: i+i, k: j+j, l: k+k, m: l+l, n: m+m, o: n+n, p: o+o, q: p+p, r: q+q, s: r+r}").Setting,
            Is.EqualTo(nameof(FeelLimits.MaxStringLength)));

    [Test]
    public void String_join_and_string_of_a_huge_list_are_refused_before_the_text_is_made()
    {
        var limits = new FeelLimits { MaxStringLength = 1000 };

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Breach("string join(for i in 1..100 return \"0123456789\", \",\")", limits).Setting, Is.EqualTo(nameof(FeelLimits.MaxStringLength)));
            Assert.That(Breach("string(for i in 1..100 return \"0123456789\")", limits).Setting, Is.EqualTo(nameof(FeelLimits.MaxStringLength)));
            Assert.That(Breach("replace(\"0123456789012345678901234567890123456789\", \"\", \"0123456789012345678901234567890123456789\")", limits).Setting, Is.EqualTo(nameof(FeelLimits.MaxStringLength)));
        }
    }

    [TestCase("distinct values(for i in 1..20000 return i)")]
    [TestCase("duplicate values(for i in 1..20000 return i)")]
    [TestCase("union(for i in 1..20000 return i, [1])")]
    [TestCase("sort(for i in 1..3000 return i, function(a, b) a > b)")]
    public void A_quadratic_built_in_on_a_large_list_stops_on_the_step_budget(string expression) =>
        Assert.That(Breach(expression).Setting, Is.EqualTo(nameof(FeelLimits.MaxSteps)));

    [TestCase("matches(\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\", \"^(a+)+$\")")]
    [TestCase("replace(\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\", \"^(a+)+$\", \"b\")")]
    [TestCase("split(\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\", \"^(a+)+$\")")]
    public void A_catastrophic_pattern_stops_on_the_regex_time_budget(string expression)
    {
        var breach = Breach(expression, new FeelLimits { RegexTimeout = TimeSpan.FromMilliseconds(20) });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(breach.Setting, Is.EqualTo(nameof(FeelLimits.RegexTimeout)));
            Assert.That(breach.Message, Does.Contain("FeelLimits.RegexTimeout"));
        }
    }

    [Test]
    public void A_long_chain_of_operators_stops_on_the_stack_check_instead_of_overflowing()
    {
        var chain = string.Concat(Enumerable.Repeat("1+", 300_000)) + "1";

        // What matters is the outcome (the stack check, not a crashed test host); parsing 600,000 tokens on a loaded
        // machine can take seconds, so the time bound is only a guard against a hang, and the time budget is lifted.
        var limits = new FeelLimits { MaxSteps = int.MaxValue, MaxEvaluationTime = TimeSpan.FromMinutes(10) };

        Assert.That(Breach(chain, limits, withinSeconds: 120).Setting, Is.EqualTo(nameof(FeelLimits.MaxDepth)));
    }

    [Test]
    public void An_evaluation_within_the_step_budget_stops_on_the_time_budget_naming_it()
    {
        // Two billion steps and any allocation allowed: only the clock stops this one.
        var breach = Breach("every x in 1..100000, y in 1..100000 satisfies x > 0",
            new FeelLimits { MaxSteps = int.MaxValue, MaxAllocation = long.MaxValue, MaxEvaluationTime = TimeSpan.FromMilliseconds(100) });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(breach.Setting, Is.EqualTo(nameof(FeelLimits.MaxEvaluationTime)));
            Assert.That(breach.Limit, Is.EqualTo(TimeSpan.FromMilliseconds(100)));
            Assert.That(breach.Message, Does.Contain("FeelLimits.MaxEvaluationTime"));
        }
    }

    [Test]
    public void Making_large_strings_stops_on_the_time_budget_even_when_it_takes_few_steps()
    {
        // Each pass copies a 500,000-character string: few steps, much work between them.
        var breach = Breach("{s: string join(for i in 1..50000 return \"0123456789\"), r: for i in 1..100000 return string length(s + \"x\")}",
            new FeelLimits { MaxAllocation = long.MaxValue, MaxEvaluationTime = TimeSpan.FromMilliseconds(50) });

        Assert.That(breach.Setting, Is.EqualTo(nameof(FeelLimits.MaxEvaluationTime)));
    }

    [Test]
    public void A_loop_making_many_large_strings_stops_on_the_allocation_budget_before_the_host_runs_out_of_memory()
    {
        // 100,000 strings of 20,000 characters each would be 4 GB; each string and the list stay within their own budgets.
        var breach = Breach("{s: string join(for i in 1..1000 return \"0123456789\"), r: for i in 1..100000 return s + s}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(breach.Setting, Is.EqualTo(nameof(FeelLimits.MaxAllocation)));
            Assert.That(breach.Message, Does.Contain("FeelLimits.MaxAllocation = 64000000"));
        }
    }

    [TestCase("{l: for i in 1..1000 return i, r: for i in 1..1000 return concatenate(l, l)}")]
    [TestCase("{l: for i in 1..1000 return i, r: for i in 1..1000 return for x in l return x}")]
    [TestCase("for i in 1..1000 return {a: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], b: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}")]
    [TestCase("{s: string join(for i in 1..100 return \"0123456789\"), r: for i in 1..1000 return upper case(s)}")]
    public void Lists_contexts_and_strings_made_in_a_loop_count_against_the_allocation_budget(string expression) =>
        Assert.That(Breach(expression, new FeelLimits { MaxAllocation = 20_000 }).Setting, Is.EqualTo(nameof(FeelLimits.MaxAllocation)));

    [Test]
    public void What_a_lambda_returns_unchanged_is_not_counted_again()
    {
        var limits = new FeelLimits { MaxAllocation = 20_000 };

        var result = FeelInterpreter.Evaluate("{l: for i in 1..1000 return i, f: function(x) x, r: count(for i in 1..100 return count(f(l)))}.r", limits);

        Assert.That(result.Value, Is.EqualTo(100m));
    }

    [Test]
    public void An_evaluation_whose_command_is_cancelled_stops_with_the_cancellation()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var expression = FeelExpression.Parse("every x in 1..100000, y in 1..100000 satisfies x > 0", new FeelLimits { MaxSteps = int.MaxValue });

        Assert.Throws<OperationCanceledException>(() => expression.Evaluate(EmptyScope.Instance, TimeProvider.System, cancel.Token));
    }

    [Test]
    public void The_new_budgets_are_validated_with_the_engines_settings_naming_them()
    {
        var options = new WorkflowEngineOptions
        {
            Parser = new BpmnParserOptions { Feel = new FeelLimits { MaxEvaluationTime = TimeSpan.Zero, MaxAllocation = 0 } },
        };

        var errors = options.Check();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(errors, Has.Some.Contains("WorkflowEngineOptions.Parser.Feel.MaxEvaluationTime must be positive"));
            Assert.That(errors, Has.Some.Contains("WorkflowEngineOptions.Parser.Feel.MaxAllocation must be positive"));
            Assert.Throws<ArgumentOutOfRangeException>(() => FeelInterpreter.Evaluate("1", new FeelLimits { MaxEvaluationTime = TimeSpan.Zero }));
        }
    }

    [TestCase("(", ")")]
    [TestCase("-", "")]
    [TestCase("[", "]")]
    [TestCase("if true then ", " else 0")]
    public void Nesting_deeper_than_the_depth_budget_is_a_syntax_error_naming_the_budget(string open, string close)
    {
        var text = string.Concat(Enumerable.Repeat(open, 10_000)) + "1" + string.Concat(Enumerable.Repeat(close, 10_000));

        var error = Assert.Throws<FeelSyntaxException>(() => FeelInterpreter.Evaluate(text))!;

        Assert.That(error.Message, Does.Contain("FeelLimits.MaxDepth"));
    }

    [Test]
    public void Every_budget_is_configurable_and_the_message_names_the_setting()
    {
        var breach = Breach("for x in 1..1000 return x", new FeelLimits { MaxSteps = 100 });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(breach.Setting, Is.EqualTo(nameof(FeelLimits.MaxSteps)));
            Assert.That(breach.Limit, Is.EqualTo(100));
            Assert.That(breach.Message, Does.Contain("FeelLimits.MaxSteps = 100"));
        }
    }

    [Test]
    public void A_limit_that_is_not_positive_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => FeelInterpreter.Evaluate("1", new FeelLimits { MaxSteps = 0 }));

    [TestCase("decimal(1, 7000)")]
    [TestCase("floor(1.5, 1000000000000)")]
    [TestCase("substring(\"abc\", 1, 100000000000000)")]
    [TestCase("-duration(\"P10675199D\") - duration(\"P10675199D\")")]
    [TestCase("date(99999999999, 1, 1)")]
    public void A_value_out_of_range_in_a_built_in_is_null_with_a_warning(string expression)
    {
        var result = FeelInterpreter.Evaluate(expression);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Value, Is.Null);
            Assert.That(result.Warnings, Is.Not.Empty);
        }
    }

    [Test]
    public void The_limits_given_to_the_parser_travel_with_the_models_expressions()
    {
        var limits = new FeelLimits { MaxCollectionSize = 10 };
        var (document, _) = Workflows.Engine.Model.BpmnParser.Parse(Process("p", """
            <bpmn:startEvent id="start"/>
            <bpmn:scriptTask id="s"><bpmn:extensionElements><zeebe:script expression="=for x in 1..20 return x" resultVariable="r"/></bpmn:extensionElements></bpmn:scriptTask>
            <bpmn:sequenceFlow id="f" sourceRef="start" targetRef="s"/>
            """), new BpmnParserOptions { Feel = limits });
        var script = document!.Processes[0].Nodes["s"].Script!.Expression;

        var breach = Assert.Throws<FeelLimitExceededException>(() => script.Evaluate(EmptyScope.Instance, TimeProvider.System))!;

        Assert.That(breach.Setting, Is.EqualTo(nameof(FeelLimits.MaxCollectionSize)));
    }

    [Test]
    public async Task A_script_over_a_budget_fails_its_command_with_the_budget_named_and_the_engine_keeps_running()
    {
        var h = new ProcessTestHarness(configure: o => o.Parser = new BpmnParserOptions { Feel = new FeelLimits { MaxDepth = 16 } });
        await h.DeployAsync(Process("p", $$"""
            <bpmn:startEvent id="start"/>
            <bpmn:scriptTask id="s"><bpmn:extensionElements><zeebe:script expression="={f: function(n) if n = 0 then 0 else 1 + f(n - 1), r: f(n)}.r" resultVariable="r"/></bpmn:extensionElements></bpmn:scriptTask>
            {{UserTask("after")}}
            {{Chain("start", "s", "after")}}
            """));

        var failed = await Outcome(() => h.StartAsync("p", new Dictionary<string, object?> { ["n"] = 1_000_000 }));
        var ok = await h.StartAsync("p", new Dictionary<string, object?> { ["n"] = 5 });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(failed, Does.Contain("MaxDepth"), "the breach is reported (an incident once the runtime catches FeelLimitExceededException, see docs/feel.md)");
            Assert.That(await ok.VariableAsync("r"), Is.EqualTo(5m));
        }
    }

    [Test]
    public async Task A_script_over_the_allocation_budget_is_an_incident_on_its_element_naming_the_budget_and_the_engine_keeps_running()
    {
        var h = new ProcessTestHarness(configure: o => o.Parser = new BpmnParserOptions { Feel = new FeelLimits { MaxAllocation = 100_000 } });
        await h.DeployAsync(Process("p", $$"""
            <bpmn:startEvent id="start"/>
            <bpmn:scriptTask id="s"><bpmn:extensionElements><zeebe:script expression="=count(for i in 1..n return string join(for j in 1..100 return &quot;x&quot;))" resultVariable="r"/></bpmn:extensionElements></bpmn:scriptTask>
            {{UserTask("after")}}
            {{Chain("start", "s", "after")}}
            """));

        var failed = await h.StartAsync("p", new Dictionary<string, object?> { ["n"] = 10_000 });
        var ok = await h.StartAsync("p", new Dictionary<string, object?> { ["n"] = 5 });

        var incident = (await failed.IncidentsAsync()).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(incident.ElementId, Is.EqualTo("s"));
            Assert.That(incident.Message, Does.Contain("FeelLimits.MaxAllocation = 100000"));
            Assert.That(await failed.VariableAsync("r"), Is.Null);
            Assert.That(await ok.VariableAsync("r"), Is.EqualTo(5m));
        }
    }

    // The incident message, or the exception's, whichever way the runtime reports the breach.
    private static async Task<string> Outcome(Func<Task<ProcessInstanceHandle>> start)
    {
        try
        {
            var instance = await start();
            return string.Join("; ", (await instance.IncidentsAsync()).Select(i => i.Message));
        }
        catch (FeelLimitExceededException e)
        {
            return e.Message;
        }
    }
}
