using System.Text.Json;
using Workflows.Engine.Decisions;
using Workflows.Engine.Feel;
using Workflows.Engine.Storage;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Decisions;

/// <summary>
/// Review round 10 of issue 18: a value that shares one list many times is bounded when it is written (F5), reading
/// compound names is linear with a budget (F6), one deployed model evaluates safely on many threads (F7), and a FIRST
/// or UNIQUE table evaluates only the outputs its hit policy uses (F9).
/// </summary>
public sealed class DecisionEvaluationBoundsTests
{
    private const string Ns = "https://www.omg.org/spec/DMN/20191111/MODEL/";

    private static string Definitions(string body) => $"""<definitions xmlns="{Ns}" id="defs" name="bounds" namespace="urn:bounds">{body}</definitions>""";

    // Work that once ran for minutes runs on another thread, so that the test fails instead of hanging.
    private static T Within<T>(TimeSpan limit, Func<T> body)
    {
        var task = Task.Run(body);
        Assert.That(Task.WhenAny(task, Task.Delay(limit)).GetAwaiter().GetResult(), Is.SameAs(task), $"it did not finish within {limit.TotalSeconds:N0} s");
        return task.GetAwaiter().GetResult();
    }

    // n steps and 2n items made, well within every budget of making it; n references to one list of n numbers.
    private static string Alias(string typeRef = "") => Definitions($"""
        <inputData id="n_in" name="n"><variable name="n" typeRef="number"/></inputData>
        <decision id="alias" name="alias">
          {(typeRef == "" ? "" : $"""<variable name="alias" typeRef="{typeRef}"/>""")}
          <informationRequirement><requiredInput href="#n_in"/></informationRequirement>
          <literalExpression><text>{"{"} l: for i in 1..n return i, x: for j in 1..n return l {"}"}.x</text></literalExpression>
        </decision>
        """);

    private static List<object?> Shared(int times, int items)
    {
        var one = Enumerable.Range(0, items).Select(i => (object?)(decimal)i).ToList();
        return Enumerable.Repeat((object?)one, times).ToList();
    }

    [Test]
    public void A_value_sharing_one_list_many_times_goes_over_the_allocation_budget_instead_of_being_written_whole()
    {
        var model = DecisionModel.Read(Alias()).Model!;

        var small = model.Evaluate("alias", new Dictionary<string, object?> { ["n"] = 100 });
        var e = Within(TimeSpan.FromSeconds(60), () => Assert.Throws<FeelLimitExceededException>(() => model.Evaluate("alias", new Dictionary<string, object?> { ["n"] = 30_000 })));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(((List<object?>)small.Value!).Count, Is.EqualTo(100), "a value within the budget is whole");
            Assert.That(e!.Setting, Is.EqualTo(nameof(FeelLimits.MaxAllocation)));
            Assert.That(e.Message, Does.Contain("written out"));
        }
    }

    [Test]
    public void A_value_sharing_one_list_many_times_that_does_not_conform_is_named_in_a_short_warning()
    {
        var model = DecisionModel.Read(Alias("number")).Model!;

        var result = Within(TimeSpan.FromSeconds(60), () => model.Evaluate("alias", new Dictionary<string, object?> { ["n"] = 20_000 }));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Value, Is.Null);
            Assert.That(result.Warnings.Single(), Does.Contain("does not conform to its type 'number'"));
            Assert.That(result.Warnings.Single(), Has.Length.LessThan(300));
        }
    }

    [Test]
    public void A_list_of_a_shared_list_is_checked_against_a_collection_type_within_the_step_budget()
    {
        const string Types = """<itemDefinition name="tRow" isCollection="true"><typeRef>number</typeRef></itemDefinition><itemDefinition name="tRows" isCollection="true"><typeRef>tRow</typeRef></itemDefinition>""";
        var model = DecisionModel.Read(Alias("tRows").Replace("<inputData", Types + "<inputData", StringComparison.Ordinal)).Model!;

        var e = Within(TimeSpan.FromSeconds(60), () => Assert.Throws<FeelLimitExceededException>(() => model.Evaluate("alias", new Dictionary<string, object?> { ["n"] = 20_000 })));

        Assert.That(e!.Setting, Is.EqualTo(nameof(FeelLimits.MaxSteps)));
    }

    [Test]
    public void A_history_row_writes_a_shared_value_no_further_than_it_keeps()
    {
        var record = new DecisionRecord(Guid.NewGuid(), "alias", "alias", 1, null, "sum", "", Guid.NewGuid(), DateTimeOffset.UnixEpoch, null);
        var value = Shared(100_000, 100_000); // 10¹⁰ numbers once written
        var evaluation = new DecisionEvaluation("alias", value, [new EvaluatedDecision("alias", "alias", value, []) { Inputs = [new EvaluatedInput("n", value)] }], []);

        var detail = Within(TimeSpan.FromSeconds(60), () => DeployedDecisions.HistoryDetail(record, evaluation));
        using var json = JsonDocument.Parse(detail);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(detail, Has.Length.LessThanOrEqualTo(DeployedDecisions.MaxHistoryDetail));
            Assert.That(json.RootElement.GetProperty("cut").GetBoolean(), Is.True);
            Assert.That(json.RootElement.GetProperty("json").GetString(), Does.StartWith("""{"decisionId":"alias","name":"alias","version":1,"value":[[0,1,2"""));
        }
    }

    [Test]
    public void A_shared_value_is_shown_and_measured_no_further_than_asked()
    {
        var value = Shared(100_000, 100_000);

        var shown = Within(TimeSpan.FromSeconds(60), () => FeelValue.ToDisplayString(value, 60));
        var json = Within(TimeSpan.FromSeconds(60), () => FeelConvert.ToJson(value, 1 << 20));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(shown, Is.EqualTo("[[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 1..."));
            Assert.That(json, Is.Null, "over the limit: written no further");
            Assert.That(FeelConvert.ToJson(Shared(2, 2), 1 << 20), Is.EqualTo("[[0,1],[0,1]]"));
        }
    }

    [Test]
    public async Task A_business_rule_task_whose_decision_shares_one_list_many_times_is_an_incident_naming_the_budget()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Alias());
        await h.DeployAsync(Process("aliased", $"""
            <bpmn:startEvent id="s"/>
            <bpmn:businessRuleTask id="decide"><bpmn:extensionElements><zeebe:calledDecision decisionId="alias" resultVariable="x"/></bpmn:extensionElements></bpmn:businessRuleTask>
            {UserTask("review")}
            {Chain("s", "decide", "review")}
            """));

        var instance = await h.StartAsync("aliased", Vars(("n", 30_000)));
        var incident = (await instance.IncidentsAsync()).Single();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(incident.ElementId, Is.EqualTo("decide"));
            Assert.That(incident.Message, Does.Contain("decision 'alias' version 1 failed").And.Contain("MaxAllocation"));
        }
    }

    [Test]
    public async Task A_script_whose_value_shares_one_list_many_times_is_refused_at_the_variables_limit_without_writing_it_whole()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("script", $"""
            <bpmn:startEvent id="s"/>
            <bpmn:scriptTask id="make"><bpmn:extensionElements><zeebe:script expression="={"{"} l: for i in 1..n return i, x: for j in 1..n return l {"}"}.x" resultVariable="x"/></bpmn:extensionElements></bpmn:scriptTask>
            {UserTask("review")}
            {Chain("s", "make", "review")}
            """));

        var instance = await Within(TimeSpan.FromSeconds(120), () => h.StartAsync("script", Vars(("n", 20_000))));
        var incident = (await instance.IncidentsAsync()).Single();

        Assert.That(incident.Message, Does.Contain("takes more than").And.Contain("bytes as JSON"));
    }

    // K names of W words "a a … a kN" and an expression "a a a …" of L characters: every name is a candidate wherever
    // the expression has an "a", and compared name by name that cost K × L (55 s for K = 800, L = 80,000).
    private static string Names(int k, int words, int length)
    {
        var prefix = string.Join(' ', Enumerable.Repeat("a", words));
        var names = string.Concat(Enumerable.Range(0, k).Select(i => $"""<inputData id="i{i}" name="{prefix} k{i}"/>"""));
        var text = string.Join(' ', Enumerable.Repeat("a", length / 2));
        return Definitions($"""{names}<decision id="d" name="d"><literalExpression><text>{text}</text></literalExpression></decision>""");
    }

    [Test]
    public void Reading_many_compound_names_that_share_their_first_words_is_linear()
    {
        // About 0.3 s on an idle core (a minute before the prefix tree); the bound leaves room for a loaded machine.
        var read = Within(TimeSpan.FromSeconds(120), () => DecisionModel.Read(Names(800, 50, 80_000)));

        Assert.That(read.Report.Findings.Select(f => f.Code), Does.Not.Contain("DMN_READ_BUDGET"), read.Report.ToString());
    }

    [Test]
    public void A_long_name_repeated_all_but_its_last_word_in_an_expression_is_a_finding_naming_the_budget()
    {
        // One name of 4,000 characters, and 20,000 places in the text where all of it but its last word is written:
        // 80 million characters to compare, the budget is about 3.8 million.
        var read = Within(TimeSpan.FromSeconds(120), () => DecisionModel.Read(Names(1, 2_000, 40_000)));
        var finding = read.Report.Findings.Single(f => f.Code == "DMN_READ_BUDGET");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(read.Report.HasErrors, Is.True);
            Assert.That(finding.Message, Does.Contain("MaxSteps"));
        }
    }

    [Test]
    public void Compound_names_are_read_longest_first_whatever_whitespace_splits_their_words()
    {
        var read = DecisionModel.Read(Definitions("""
            <inputData id="a" name="Years of"/><inputData id="b" name="Years of Service"/><inputData id="c" name="Date-Time"/>
            <decision id="d" name="d">
              <informationRequirement><requiredInput href="#a"/></informationRequirement>
              <informationRequirement><requiredInput href="#b"/></informationRequirement>
              <informationRequirement><requiredInput href="#c"/></informationRequirement>
              <literalExpression><text>Years   of
            Service + Years of + Date-Time</text></literalExpression>
            </decision>
            """));

        var result = read.Model!.Evaluate("d", new Dictionary<string, object?> { ["Years of"] = 1, ["Years of Service"] = 10, ["Date-Time"] = 100 });

        Assert.That(result.Value, Is.EqualTo(111m), string.Join("; ", result.Warnings) + read.Report);
    }

    [Test]
    public void One_model_checks_allowed_values_on_one_thread_while_another_asks_instance_of()
    {
        var model = DecisionModel.Read(Definitions("""
            <itemDefinition name="tSmall"><typeRef>number</typeRef><allowedValues><text>[0..10]</text></allowedValues></itemDefinition>
            <itemDefinition name="tSmalls" isCollection="true"><typeRef>tSmall</typeRef></itemDefinition>
            <inputData id="xs_in" name="xs"><variable name="xs"/></inputData>
            <inputData id="amt_in" name="amt"><variable name="amt" typeRef="tSmall"/></inputData>
            <decision id="check" name="check"><informationRequirement><requiredInput href="#xs_in"/></informationRequirement><literalExpression><text>xs instance of tSmalls</text></literalExpression></decision>
            <decision id="guard" name="guard"><informationRequirement><requiredInput href="#amt_in"/></informationRequirement><literalExpression><text>amt</text></literalExpression></decision>
            """)).Model!;
        var xs = new Dictionary<string, object?> { ["xs"] = Enumerable.Range(0, 50_000).Select(_ => (object?)500m).ToList() };

        using var stop = new CancellationTokenSource();
        var checking = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                model.Evaluate("check", xs);
            }
        });
        var taken = 0;
        var runs = 0;
        var until = DateTime.UtcNow.AddSeconds(3);
        while (DateTime.UtcNow < until || runs < 1000)
        {
            runs++;
            if (model.Evaluate("guard", new Dictionary<string, object?> { ["amt"] = 500 }).Value is not null)
            {
                taken++;
            }
        }

        stop.Cancel();
        checking.GetAwaiter().GetResult();
        Assert.That(taken, Is.Zero, $"500 is outside [0..10]: it was taken as valid in {taken} of {runs} evaluations");
    }

    private static string Table(string policy, string secondOutput, string secondEntry = "-") => Definitions($"""
        <decision id="route" name="route">
          <decisionTable id="t" hitPolicy="{policy}">
            <input id="i1" label="amount"><inputExpression typeRef="number"><text>amount</text></inputExpression></input>
            <output id="o1" name="route"><outputValues><text>"a","b"</text></outputValues></output>
            <rule id="r1"><inputEntry><text>&lt; 100</text></inputEntry><outputEntry><text>"a"</text></outputEntry></rule>
            <rule id="r2"><inputEntry><text>{secondEntry}</text></inputEntry><outputEntry><text>{secondOutput}</text></outputEntry></rule>
          </decisionTable>
        </decision>
        """);

    [TestCase("\"zzz\"", TestName = "FIRST: a later rule's output outside the output values")]
    [TestCase("count(for i in 1..1000, j in 1..1000, k in 1..1000 return 1)", TestName = "FIRST: a later rule's output over a budget")]
    public void A_first_table_evaluates_the_output_of_its_first_hit_only(string secondOutput)
    {
        var result = DecisionModel.Read(Table("FIRST", secondOutput)).Model!.Evaluate("route", new Dictionary<string, object?> { ["amount"] = 50 });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Value, Is.EqualTo("a"));
            Assert.That(result.Warnings, Is.Empty);
            Assert.That(result.Decisions.Single().MatchedRules.Select(r => r.RuleId), Is.EqualTo(new[] { "r1" }));
        }
    }

    [Test]
    public void A_first_table_tests_no_rule_after_its_first_hit()
    {
        var result = DecisionModel.Read(Table("FIRST", "\"b\"", "count(for i in 1..1000, j in 1..1000, k in 1..1000 return 1) > 0")).Model!
            .Evaluate("route", new Dictionary<string, object?> { ["amount"] = 50 });

        Assert.That(result.Value, Is.EqualTo("a"));
    }

    [Test]
    public void A_unique_table_that_matches_twice_fails_on_the_matches_without_evaluating_their_outputs()
    {
        var result = DecisionModel.Read(Table("UNIQUE", "count(for i in 1..1000, j in 1..1000, k in 1..1000 return 1)")).Model!
            .Evaluate("route", new Dictionary<string, object?> { ["amount"] = 50 });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Value, Is.Null);
            Assert.That(result.Warnings, Has.Some.Contains("the UNIQUE table matched rules 1, 2"));
        }
    }
}
