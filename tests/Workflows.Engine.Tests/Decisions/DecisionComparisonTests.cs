using Workflows.Engine.Decisions;
using Workflows.Engine.Testing;
using Workflows.Engine.Validation;

namespace Workflows.Engine.Tests.Decisions;

/// <summary>
/// What changed between two versions of a decision (review18 F6, F7, F8): never "nothing" for two versions that decide
/// differently, never a failure for columns that share a label, never a rule hidden behind another's id.
/// </summary>
public sealed class DecisionComparisonTests
{
    private const string Ns = "https://www.omg.org/spec/DMN/20191111/MODEL/";

    private static string Document(string body) => $"""<definitions xmlns="{Ns}" id="defs" name="Compared" namespace="urn:compare">{body}</definitions>""";

    // The library's approval level, with what a test changes: the input expression, the columns, the rules.
    private static string Claim(string expression = "assessedAmount", string inputValues = "", string defaultOutput = "", string rules = "") => Document($$"""
        <decision id="claim" name="Claim approval level">
          <decisionTable id="t" hitPolicy="FIRST">
            <input id="i1" label="Assessed amount"><inputExpression typeRef="number"><text>{{expression}}</text></inputExpression>{{inputValues}}</input>
            <output id="o1" name="level" typeRef="string">{{defaultOutput}}</output>
            {{(rules.Length > 0 ? rules : """
            <rule id="r1"><inputEntry><text>&lt;= 1000</text></inputEntry><outputEntry><text>"handler"</text></outputEntry></rule>
            <rule id="r2"><inputEntry><text>&lt;= 10000</text></inputEntry><outputEntry><text>"lead"</text></outputEntry></rule>
            """)}}
          </decisionTable>
        </decision>
        """);

    private static IEnumerable<string> Texts(IReadOnlyList<DecisionChange> changes) => changes.Select(c => c.Text);

    [Test]
    public async Task A_changed_input_expression_is_a_change_named_with_both_expressions()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Claim());
        await h.DeployAsync(Claim(expression: "assessedAmount / 100"));

        var comparison = await h.Engine.Decisions.CompareAsync("claim", 1, 2);

        Assert.That(comparison.Changes.Select(c => (c.Kind, c.Text)), Is.EqualTo(new[]
        {
            ("input-changed", "input “Assessed amount”: expression was “assessedAmount”, now “assessedAmount / 100”"),
        }));
    }

    [Test]
    public void Allowed_values_a_default_output_a_type_and_a_rule_moved_in_a_first_table_are_each_said()
    {
        var before = Claim();
        var after = Claim(inputValues: "<inputValues><text>[0..1000000]</text></inputValues>",
            defaultOutput: """<defaultOutputEntry><text>"manager"</text></defaultOutputEntry>""",
            rules: """
                <rule id="r2"><inputEntry><text>&lt;= 10000</text></inputEntry><outputEntry><text>"lead"</text></outputEntry></rule>
                <rule id="r1"><inputEntry><text>&lt;= 1000</text></inputEntry><outputEntry><text>"handler"</text></outputEntry></rule>
                """).Replace("""<output id="o1" name="level" typeRef="string">""", """<output id="o1" name="level" typeRef="number">""", StringComparison.Ordinal);

        var changes = DecisionComparison.Compare("claim", before, after);

        Assert.That(Texts(changes), Is.EqualTo(new[]
        {
            "input “Assessed amount”: allowed values were empty, now “[0..1000000]”",
            "output “level”: type was “string”, now “number”; default was empty, now “\"manager\"”",
            "rule 1 (rule 2 before) moved in the order of the rules",
        }));
    }

    [Test]
    public void Two_columns_with_one_label_are_compared_each_and_named_by_their_place()
    {
        string Table(string first) => Document($$"""
            <decision id="dup-labels" name="Dup labels"><decisionTable id="t" hitPolicy="FIRST">
              <input id="a" label="Amount"><inputExpression><text>amount</text></inputExpression></input>
              <input id="b" label="Amount"><inputExpression><text>refund</text></inputExpression></input>
              <output id="o" name="out"/>
              <rule id="r1"><inputEntry><text>&gt; 1</text></inputEntry><inputEntry><text>&gt; 2</text></inputEntry><outputEntry><text>"{{first}}"</text></outputEntry></rule>
            </decisionTable></decision>
            """);

        var changes = DecisionComparison.Compare("dup-labels", Table("a"), Table("c"));
        static string WithoutColumnIds(string dmn) => dmn.Replace(" id=\"a\"", "", StringComparison.Ordinal).Replace(" id=\"b\"", "", StringComparison.Ordinal);
        var byPlace = DecisionComparison.Compare("dup-labels", WithoutColumnIds(Table("a")), WithoutColumnIds(Table("a")).Replace("&gt; 2", "&gt; 3", StringComparison.Ordinal));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Texts(changes), Is.EqualTo(new[] { "rule 1: out was “\"a\"”, now “\"c\"”" }));
            Assert.That(Texts(byPlace), Is.EqualTo(new[] { "rule 1: Amount (input 2) was “> 2”, now “> 3”" }),
                "columns without ids whose labels repeat: told apart by their places");
        }
    }

    [Test]
    public void Two_rules_with_one_id_are_compared_by_their_places_so_neither_is_hidden()
    {
        string Table(string limit) => Document($$"""
            <decision id="dup-rules" name="Dup rules"><decisionTable id="t" hitPolicy="FIRST">
              <input id="i" label="Amount"><inputExpression><text>amount</text></inputExpression></input>
              <output id="o" name="route"/>
              <rule id="same"><inputEntry><text>&lt; 0</text></inputEntry><outputEntry><text>"never"</text></outputEntry></rule>
              <rule id="same"><inputEntry><text>&lt;= {{limit}}</text></inputEntry><outputEntry><text>"front desk"</text></outputEntry></rule>
              <rule id="r3"><inputEntry><text>-</text></inputEntry><outputEntry><text>"back office"</text></outputEntry></rule>
            </decisionTable></decision>
            """);

        var changes = DecisionComparison.Compare("dup-rules", Table("1000"), Table("1000000"));

        Assert.That(changes.Select(c => (c.Kind, c.RuleId, c.Text)), Is.EqualTo(new[] { ("rule-changed", (string?)"same", "rule 2: Amount was “<= 1000”, now “<= 1000000”") }));
    }

    [Test]
    public async Task Rules_or_columns_sharing_an_id_are_refused_at_deploy_naming_where_each_stands()
    {
        var h = new ProcessTestHarness();
        var dmn = Claim(rules: """
            <rule id="same"><inputEntry><text>&lt; 0</text></inputEntry><outputEntry><text>"never"</text></outputEntry></rule>
            <rule id="same"><inputEntry><text>&lt;= 1000</text></inputEntry><outputEntry><text>"handler"</text></outputEntry></rule>
            """).Replace("""<output id="o1" """, """<output id="i1" """, StringComparison.Ordinal);

        var refused = Assert.ThrowsAsync<DeploymentRejectedException>(() => h.DeployAsync(dmn));

        Assert.That(refused!.Report.Errors.Where(f => f.Code == "DMN_ID_DUPLICATE").Select(f => (f.ElementId, f.Message)), Is.EqualTo(new[]
        {
            ("i1", "the id 'i1' is used by more than one element: output 1 of 'Claim approval level' (line 4) repeats the id of input 1 of 'Claim approval level' (line 3)"),
            ("same", "the id 'same' is used by more than one element: rule 2 of 'Claim approval level' (line 6) repeats the id of rule 1 of 'Claim approval level' (line 5)"),
        }));
    }

    [Test]
    public void A_change_in_a_required_decision_a_knowledge_model_or_an_item_definition_it_uses_is_said_and_one_in_an_unrelated_decision_is_not()
    {
        string Model(int baseLimit, string fee, string allowed, string unrelated) => Document($$"""
            <itemDefinition name="tLevel"><typeRef>string</typeRef><allowedValues><text>{{allowed}}</text></allowedValues></itemDefinition>
            <businessKnowledgeModel id="fee" name="fee"><variable name="fee"/>
              <encapsulatedLogic><formalParameter name="x" typeRef="number"/><literalExpression><text>{{fee}}</text></literalExpression></encapsulatedLogic>
            </businessKnowledgeModel>
            <decision id="base" name="Base level"><variable name="Base level" typeRef="tLevel"/>
              <decisionTable id="bt" hitPolicy="FIRST">
                <input id="bi" label="Amount"><inputExpression typeRef="number"><text>amount</text></inputExpression></input>
                <output id="bo" name="level"/>
                <rule id="b1"><inputEntry><text>&lt;= {{baseLimit}}</text></inputEntry><outputEntry><text>"agent"</text></outputEntry></rule>
                <rule id="b2"><inputEntry><text>-</text></inputEntry><outputEntry><text>"manager"</text></outputEntry></rule>
              </decisionTable>
            </decision>
            <decision id="route" name="Route"><variable name="Route"/>
              <informationRequirement><requiredDecision href="#base"/></informationRequirement>
              <knowledgeRequirement><requiredKnowledge href="#fee"/></knowledgeRequirement>
              <literalExpression><text>{ level: Base level, fee: fee(amount) }</text></literalExpression>
            </decision>
            <decision id="other" name="Other"><variable name="Other"/><literalExpression><text>{{unrelated}}</text></literalExpression></decision>
            """);
        var before = Model(1000, "x * 0.01", "\"agent\", \"manager\"", "1");

        var unchanged = DecisionComparison.Compare("route", before, Model(1000, "x * 0.01", "\"agent\", \"manager\"", "2"));
        var changed = DecisionComparison.Compare("route", before, Model(2000, "x * 0.02", "\"agent\", \"lead\", \"manager\"", "1"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(unchanged, Is.Empty, "a decision the route does not require changed: the route decides as before");
            Assert.That(changed.Select(c => (c.Kind, c.Text)), Is.EqualTo(new[]
            {
                ("required-decision", "required decision “Base level”: rule 1: Amount was “<= 1000”, now “<= 2000”"),
                ("dependency", "the business knowledge model “fee” it uses changed"),
                ("dependency", "the item definition “tLevel” it uses changed"),
            }));
        }
    }

    [Test]
    public void Requirements_added_or_removed_and_logic_other_than_a_table_are_said()
    {
        const string Input = """<inputData id="amount" name="amount"><variable name="amount" typeRef="number"/></inputData>""";
        var before = Document(Input + """
            <decision id="d" name="D"><variable name="D"/><context><contextEntry><variable name="a"/><literalExpression><text>1</text></literalExpression></contextEntry></context></decision>
            """);
        var after = Document(Input + """
            <decision id="d" name="D"><variable name="D"/><informationRequirement><requiredInput href="#amount"/></informationRequirement>
              <context><contextEntry><variable name="a"/><literalExpression><text>amount</text></literalExpression></contextEntry></context></decision>
            """);

        var changes = DecisionComparison.Compare("d", before, after);

        Assert.That(changes.Select(c => (c.Kind, c.Text)), Is.EqualTo(new[]
        {
            ("requirement", "now requires input data “amount”"),
            ("expression", "its logic (a context) changed"),
        }));
    }
}
