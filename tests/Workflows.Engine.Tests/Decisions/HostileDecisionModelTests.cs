using System.Text;
using Workflows.Engine.Decisions;
using Workflows.Engine.Feel;

namespace Workflows.Engine.Tests.Decisions;

/// <summary>
/// Models an analyst could deploy that once crashed or exhausted the host (review18 F1, F2, F3, F11), or ran silently
/// otherwise than written (F17): each is a finding at read, or an evaluation bounded by the model's limits — never a
/// stack overflow, never exponential work.
/// </summary>
public sealed class HostileDecisionModelTests
{
    private const string Ns = "https://www.omg.org/spec/DMN/20191111/MODEL/";

    private static string Definitions(string body) => $"""<definitions xmlns="{Ns}" id="defs" name="hostile" namespace="urn:hostile">{body}</definitions>""";

    // Evaluations that once ran for minutes run on another thread, so that the test fails instead of hanging.
    private static T Within<T>(TimeSpan limit, Func<T> body)
    {
        var task = Task.Run(body);
        Assert.That(Task.WhenAny(task, Task.Delay(limit)).GetAwaiter().GetResult(), Is.SameAs(task), $"it did not finish within {limit.TotalSeconds:N0} s");
        return task.GetAwaiter().GetResult();
    }

    [TestCase("<itemDefinition name=\"tSelf\"><typeRef>tSelf</typeRef></itemDefinition>", "tSelf", new[] { "tSelf" })]
    [TestCase("<itemDefinition name=\"tA\"><typeRef>tB</typeRef></itemDefinition><itemDefinition name=\"tB\"><typeRef>tA</typeRef></itemDefinition>", "tA", new[] { "tA", "tB" })]
    public void An_item_definition_that_is_its_own_type_is_a_finding_and_its_values_are_null(string items, string type, string[] named)
    {
        var read = DecisionModel.Read(Definitions($"""
            {items}
            <decision id="typed" name="typed"><variable name="typed" typeRef="{type}"/><literalExpression><text>5</text></literalExpression></decision>
            """));

        var cycles = read.Report.Findings.Where(f => f.Code == "DMN_TYPE_CYCLE").ToList();
        var result = read.Model!.Evaluate("typed");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(cycles.Select(f => f.ElementId), Is.EquivalentTo(named), read.Report.ToString());
            Assert.That(read.Report.HasErrors, Is.True, "a type cycle is no model to deploy");
            Assert.That(result.Value, Is.Null);
            Assert.That(result.Warnings, Has.Some.Contains($"does not conform to its type '{type}'"));
        }
    }

    [Test]
    public void A_component_of_its_own_type_is_a_tree_and_no_cycle()
    {
        var read = DecisionModel.Read(Definitions("""
            <itemDefinition name="tNode"><itemComponent name="label"><typeRef>string</typeRef></itemComponent><itemComponent name="children" isCollection="true"><typeRef>tNode</typeRef></itemComponent></itemDefinition>
            <decision id="tree" name="tree"><variable name="tree" typeRef="tNode"/><literalExpression><text>{label: "root", children: [{label: "leaf", children: []}]}</text></literalExpression></decision>
            """));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(read.Report.Findings.Where(f => f.Code == "DMN_TYPE_CYCLE"), Is.Empty);
            Assert.That(read.Model!.Evaluate("tree").Value, Is.InstanceOf<FeelContext>());
        }
    }

    private static string Bkm(string id, string name, string body, params string[] requires) =>
        $"""<businessKnowledgeModel id="{id}" name="{name}"><variable name="{name}"/>{string.Concat(requires.Select(r => $"<knowledgeRequirement><requiredKnowledge href=\"#{r}\"/></knowledgeRequirement>"))}<encapsulatedLogic><formalParameter name="x" typeRef="number"/><literalExpression><text>{body}</text></literalExpression></encapsulatedLogic></businessKnowledgeModel>""";

    [Test]
    public void Knowledge_models_that_require_each_other_evaluate()
    {
        var read = DecisionModel.Read(Definitions($"""
            <decision id="d" name="D"><variable name="D"/><knowledgeRequirement><requiredKnowledge href="#A"/></knowledgeRequirement><literalExpression><text>fa(1)</text></literalExpression></decision>
            {Bkm("A", "fa", "fb(x)", "B")}
            {Bkm("B", "fb", "x + 1", "A")}
            """));

        Assert.That(Within(TimeSpan.FromSeconds(30), () => read.Model!.Evaluate("d")).Value, Is.EqualTo(2m));
    }

    [Test]
    public void Knowledge_models_that_call_each_other_without_end_stop_at_the_depth_budget()
    {
        var read = DecisionModel.Read(Definitions($"""
            <decision id="d" name="D"><variable name="D"/><knowledgeRequirement><requiredKnowledge href="#A"/></knowledgeRequirement><literalExpression><text>fa(1)</text></literalExpression></decision>
            {Bkm("A", "fa", "fb(x)", "B")}
            {Bkm("B", "fb", "fa(x + 1)", "A")}
            """));

        var e = Assert.Throws<FeelLimitExceededException>(() => Within(TimeSpan.FromSeconds(30), () => read.Model!.Evaluate("d")));
        Assert.That(e!.Message, Does.Contain("nest more than"));
    }

    [Test]
    public void Knowledge_models_that_each_require_the_two_before_cost_one_function_each()
    {
        // f_i requires f_{i-1} and f_{i-2}: building every closure eagerly made fib(n) of them (n = 32: 143 s, 4.4 GB).
        const int n = 48;
        var body = new StringBuilder($"""<decision id="d" name="D"><variable name="D"/><knowledgeRequirement><requiredKnowledge href="#b{n - 1}"/></knowledgeRequirement><literalExpression><text>f{n - 1}(1)</text></literalExpression></decision>""");
        for (var i = 0; i < n; i++)
        {
            var requires = i switch { 0 => [], 1 => ["b0"], _ => new[] { $"b{i - 1}", $"b{i - 2}" } };
            body.Append(Bkm($"b{i}", $"f{i}", i == 0 ? "x" : $"f{i - 1}(x)", requires));
        }

        var read = DecisionModel.Read(Definitions(body.ToString()));
        var result = Within(TimeSpan.FromSeconds(30), () => read.Model!.Evaluate("d"));
        Assert.That(result.Value, Is.EqualTo(1m), string.Join("; ", result.Warnings));
    }

    private static string Diamond(int n, bool cycleAtTheEnd)
    {
        var body = new StringBuilder();
        for (var i = 0; i < n; i++)
        {
            var requires = new List<int>();
            if (i >= 1)
            {
                requires.Add(i - 1);
            }

            if (i >= 2)
            {
                requires.Add(i - 2);
            }

            if (cycleAtTheEnd && i == 0)
            {
                requires.Add(1); // d0 and d1 require each other
            }

            var expression = i >= 2 ? $"d{i - 1} + d{i - 2}" : "1";
            body.Append($"""<decision id="d{i}" name="d{i}"><variable name="d{i}" typeRef="number"/>{string.Concat(requires.Select(r => $"<informationRequirement><requiredDecision href=\"#d{r}\"/></informationRequirement>"))}<literalExpression><text>{expression}</text></literalExpression></decision>""");
        }

        return Definitions(body.ToString());
    }

    [Test]
    public void A_graph_where_each_decision_requires_the_two_before_is_read_in_linear_time()
    {
        // Walking every path took 18 s for 34 decisions and doubled every one and a half more.
        var read = Within(TimeSpan.FromSeconds(30), () => DecisionModel.Read(Diamond(400, cycleAtTheEnd: false)));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(read.Report.Findings.Where(f => f.Code == "DMN_REQUIREMENT_CYCLE"), Is.Empty);
            Assert.That(read.Model!.Evaluate("d40").Value, Is.EqualTo(165580141m), "fib(41), each required decision evaluated once");
        }
    }

    [Test]
    public void Every_decision_that_reaches_a_cycle_is_named_and_no_other()
    {
        var read = DecisionModel.Read(Diamond(400, cycleAtTheEnd: true));
        var named = read.Report.Findings.Where(f => f.Code == "DMN_REQUIREMENT_CYCLE").Select(f => f.ElementId).ToList();
        Assert.That(named, Is.EquivalentTo(Enumerable.Range(0, 400).Select(i => $"d{i}")), "every decision requires d0 and d1, which require each other");

        var apart = DecisionModel.Read(Definitions("""
            <decision id="a" name="a"><variable name="a"/><informationRequirement><requiredDecision href="#b"/></informationRequirement><literalExpression><text>1</text></literalExpression></decision>
            <decision id="b" name="b"><variable name="b"/><informationRequirement><requiredDecision href="#b"/></informationRequirement><literalExpression><text>1</text></literalExpression></decision>
            <decision id="c" name="c"><variable name="c"/><informationRequirement><requiredDecision href="#a"/></informationRequirement><literalExpression><text>1</text></literalExpression></decision>
            <decision id="e" name="e"><variable name="e"/><literalExpression><text>1</text></literalExpression></decision>
            """));
        Assert.That(apart.Report.Findings.Where(f => f.Code == "DMN_REQUIREMENT_CYCLE").Select(f => f.ElementId), Is.EquivalentTo(new[] { "a", "b", "c" }));
    }

    private static string Table(string attributes, string outputValues) => Definitions($"""
        <decision id="prio" name="prio"><variable name="prio" typeRef="string"/>
          <decisionTable {attributes}>
            <input label="Amount"><inputExpression typeRef="number"><text>amount</text></inputExpression></input>
            <output name="level" typeRef="string">{outputValues}</output>
            <rule id="low"><inputEntry><text>&gt; 0</text></inputEntry><outputEntry><text>"low"</text></outputEntry></rule>
            <rule id="high"><inputEntry><text>&gt; 100</text></inputEntry><outputEntry><text>"high"</text></outputEntry></rule>
          </decisionTable>
        </decision>
        """);

    [TestCase("hitPolicy=\"PRIORITY\"", "DMN_HIT_POLICY_NEEDS_OUTPUT_VALUES")]
    [TestCase("hitPolicy=\"OUTPUT ORDER\"", "DMN_HIT_POLICY_NEEDS_OUTPUT_VALUES")]
    [TestCase("hitPolicy=\"FIRST\" aggregation=\"SUM\"", "DMN_AGGREGATION_WITHOUT_COLLECT")]
    public void A_table_whose_hit_policy_cannot_do_what_it_asks_is_a_finding(string attributes, string code)
    {
        var read = DecisionModel.Read(Table(attributes, ""));
        Assert.That(read.Report.Findings.Where(f => f.Severity == Workflows.Engine.Validation.FindingSeverity.Error).Select(f => (f.Code, f.ElementId)),
            Is.EqualTo(new[] { (code, (string?)"prio") }), read.Report.ToString());
    }

    [Test]
    public void A_priority_table_with_output_values_ranks_by_them_and_is_no_finding()
    {
        var read = DecisionModel.Read(Table("hitPolicy=\"PRIORITY\"", "<outputValues><text>\"high\",\"low\"</text></outputValues>"));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(read.Report.Findings, Is.Empty, read.Report.ToString());
            Assert.That(read.Model!.Evaluate("prio", new Dictionary<string, object?> { ["amount"] = 500 }).Value, Is.EqualTo("high"));
        }
    }
}
