using Workflows.Engine.Decisions;
using Workflows.Engine.Feel;

namespace Workflows.Engine.Tests.Decisions;

public sealed class DecisionModelTests
{
    private const string Ns = "https://www.omg.org/spec/DMN/20230324/MODEL/";

    // The front desk's authority: a COLLECT table summing points, a UNIQUE table routing by them.
    private static readonly string Authority = $$"""
        <definitions xmlns="{{Ns}}" id="authority" name="Authority" namespace="urn:test">
          <inputData id="amount" name="Claim Amount"><variable name="Claim Amount" typeRef="number"/></inputData>
          <inputData id="tier" name="Customer Tier"><variable name="Customer Tier" typeRef="string"/></inputData>
          <decision id="points" name="Risk Points">
            <variable name="Risk Points" typeRef="number"/>
            <informationRequirement><requiredInput href="#amount"/></informationRequirement>
            <informationRequirement><requiredInput href="#tier"/></informationRequirement>
            <decisionTable hitPolicy="COLLECT" aggregation="SUM">
              <input label="amount"><inputExpression typeRef="number"><text>Claim Amount</text></inputExpression></input>
              <input label="tier"><inputExpression typeRef="string"><text>Customer Tier</text></inputExpression></input>
              <output name="points" typeRef="number"/>
              <rule id="big"><inputEntry><text>&gt; 500</text></inputEntry><inputEntry><text>-</text></inputEntry><outputEntry><text>10</text></outputEntry></rule>
              <rule id="huge"><inputEntry><text>&gt; 5000</text></inputEntry><inputEntry><text>-</text></inputEntry><outputEntry><text>20</text></outputEntry></rule>
              <rule id="new"><inputEntry><text>-</text></inputEntry><inputEntry><text>"new"</text></inputEntry><outputEntry><text>5</text></outputEntry></rule>
            </decisionTable>
          </decision>
          <decision id="route" name="Route">
            <variable name="Route" typeRef="string"/>
            <informationRequirement><requiredDecision href="#points"/></informationRequirement>
            <decisionTable hitPolicy="UNIQUE">
              <input label="points"><inputExpression typeRef="number"><text>Risk Points</text></inputExpression></input>
              <output name="route" typeRef="string"/>
              <rule id="desk"><inputEntry><text>&lt; 10</text></inputEntry><outputEntry><text>"front desk"</text></outputEntry></rule>
              <rule id="office"><inputEntry><text>[10..30]</text></inputEntry><outputEntry><text>"back office"</text></outputEntry></rule>
              <rule id="overlap"><inputEntry><text>30</text></inputEntry><outputEntry><text>"manager"</text></outputEntry></rule>
            </decisionTable>
          </decision>
        </definitions>
        """;

    private static DecisionModel Read(string xml)
    {
        var read = DecisionModel.Read(xml);
        Assert.That(read.Report.HasErrors, Is.False, read.Report.ToString());
        return read.Model!;
    }

    [Test]
    public void A_decision_gives_its_value_and_each_table_the_rules_it_matched()
    {
        var result = Read(Authority).Evaluate("route", new Dictionary<string, object?> { ["Claim Amount"] = 800, ["Customer Tier"] = "new" });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Value, Is.EqualTo("back office"));
            Assert.That(result.Decisions.Select(d => d.DecisionId), Is.EqualTo(new[] { "points", "route" }), "the required decision first");
            Assert.That(result.Decisions[0].Value, Is.EqualTo(15m));
            Assert.That(result.Decisions[0].MatchedRules.Select(r => r.RuleId), Is.EqualTo(new[] { "big", "new" }));
            Assert.That(result.Decisions[1].MatchedRules.Select(r => r.Index), Is.EqualTo(new[] { 2 }));
        }
    }

    [Test]
    public void A_unique_table_that_matches_two_rules_is_null_and_says_which()
    {
        var result = Read(Authority).Evaluate("Route", new Dictionary<string, object?> { ["Claim Amount"] = 6000, ["Customer Tier"] = "gold" });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Value, Is.Null);
            Assert.That(result.Warnings, Has.Some.Contains("matched rules 2, 3"));
        }
    }

    [Test]
    public void An_input_that_does_not_conform_to_its_type_is_null_with_a_warning()
    {
        var result = Read(Authority).Evaluate("points", new Dictionary<string, object?> { ["Claim Amount"] = "a lot", ["Customer Tier"] = "new" });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Value, Is.EqualTo(5m), "the amount is null, so only the tier's rule matches");
            Assert.That(result.Warnings, Has.Some.Contains("'Claim Amount'").And.Contains("does not conform"));
        }
    }

    [Test]
    public void An_expression_that_does_not_parse_is_a_finding_and_the_other_decisions_still_run()
    {
        var read = DecisionModel.Read($$"""
            <definitions xmlns="{{Ns}}" id="d" name="d" namespace="urn:test">
              <decision id="bad" name="bad"><literalExpression><text>1 +</text></literalExpression></decision>
              <decision id="good" name="good"><literalExpression><text>{first name: "Ada"}.first name</text></literalExpression></decision>
            </definitions>
            """);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(read.Report.Errors.Select(f => (f.Code, f.ElementId)), Is.EqualTo(new[] { ("DMN_FEEL_SYNTAX", (string?)"bad") }));
            Assert.That(read.Model!.Evaluate("good").Value, Is.EqualTo("Ada"));
            Assert.That(read.Model!.Evaluate("bad").Value, Is.Null);
        }
    }

    [Test]
    public void A_document_with_a_DTD_is_refused_before_anything_is_read()
    {
        var read = DecisionModel.Read($$"""
            <!DOCTYPE definitions [<!ENTITY x SYSTEM "file:///etc/passwd">]>
            <definitions xmlns="{{Ns}}" id="d" name="&x;" namespace="urn:test"/>
            """);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(read.Model, Is.Null);
            Assert.That(read.Report.Errors.Select(f => f.Code), Is.EqualTo(new[] { "XML_DTD_PROHIBITED" }));
        }
    }

    [Test]
    public void A_BPMN_document_is_no_decision_model()
    {
        var read = DecisionModel.Read("""<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"/>""");

        Assert.That(read.Report.Errors.Select(f => f.Code), Is.EqualTo(new[] { "NOT_DMN" }));
    }

    [Test]
    public void Requirements_that_name_no_element_or_loop_are_findings()
    {
        var read = DecisionModel.Read($$"""
            <definitions xmlns="{{Ns}}" id="d" name="d" namespace="urn:test">
              <decision id="a" name="a"><informationRequirement><requiredDecision href="#b"/></informationRequirement><literalExpression><text>b</text></literalExpression></decision>
              <decision id="b" name="b"><informationRequirement><requiredDecision href="#a"/></informationRequirement><literalExpression><text>a</text></literalExpression></decision>
              <decision id="c" name="c"><informationRequirement><requiredInput href="#nowhere"/></informationRequirement><literalExpression><text>1</text></literalExpression></decision>
            </definitions>
            """);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(read.Report.Errors.Select(f => f.Code), Is.EquivalentTo(new[] { "DMN_REQUIREMENT_CYCLE", "DMN_REQUIREMENT_CYCLE", "DMN_REQUIREMENT_UNKNOWN" }));
            Assert.That(read.Model!.Evaluate("a").Warnings, Has.Some.Contains("requires itself"), "evaluating it anyway ends");
        }
    }

    [Test]
    public void A_knowledge_model_that_invokes_itself_without_end_stops_at_the_depth_budget()
    {
        var model = Read($$"""
            <definitions xmlns="{{Ns}}" id="d" name="d" namespace="urn:test">
              <businessKnowledgeModel id="loop" name="loop">
                <encapsulatedLogic><formalParameter name="n" typeRef="number"/>
                  <invocation><literalExpression><text>loop</text></literalExpression>
                    <binding><parameter name="n"/><literalExpression><text>n + 1</text></literalExpression></binding>
                  </invocation>
                </encapsulatedLogic>
              </businessKnowledgeModel>
              <decision id="go" name="go"><knowledgeRequirement><requiredKnowledge href="#loop"/></knowledgeRequirement>
                <literalExpression><text>loop(1)</text></literalExpression></decision>
            </definitions>
            """);

        var breach = Assert.Throws<FeelLimitExceededException>(() => model.Evaluate("go"));

        Assert.That(breach!.Setting, Is.EqualTo(nameof(FeelLimits.MaxDepth)));
    }

    [Test]
    public void A_decision_service_runs_its_output_decisions_with_its_inputs_as_given()
    {
        var model = Read($$"""
            <definitions xmlns="{{Ns}}" id="d" name="d" namespace="urn:test">
              <inputData id="who" name="Customer Name"><variable name="Customer Name" typeRef="string"/></inputData>
              <decisionService id="greet" name="Greeting Service"><outputDecision href="#greeting"/><inputData href="#who"/></decisionService>
              <decision id="greeting" name="Greeting"><variable name="Greeting" typeRef="string"/>
                <informationRequirement><requiredInput href="#who"/></informationRequirement>
                <literalExpression><text>"Hello " + Customer Name</text></literalExpression></decision>
              <decision id="twice" name="Twice"><knowledgeRequirement><requiredKnowledge href="#greet"/></knowledgeRequirement>
                <literalExpression><text>[Greeting Service("Ada"), Greeting Service(Customer Name: "Bob")]</text></literalExpression></decision>
            </definitions>
            """);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(model.EvaluateService("greet", new Dictionary<string, object?> { ["Customer Name"] = "Eve" }).Value, Is.EqualTo("Hello Eve"));
            Assert.That(model.Evaluate("Twice").Value, Is.EqualTo(new List<object?> { "Hello Ada", "Hello Bob" }));
            Assert.Throws<KeyNotFoundException>(() => model.Evaluate("no such decision"));
        }
    }
}
