using System.Text;
using Workflows.Engine.Decisions;

namespace Workflows.Engine.Tests.Decisions;

/// <summary>
/// Models that used to take the host down (review18): a type that names itself, knowledge models requiring each other,
/// and requirement graphs whose paths grow exponentially — each read and evaluated within bounds, or refused by a finding.
/// </summary>
public sealed class HostileDecisionModelTests
{
    private const string Head = """<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="defs" name="hostile" namespace="urn:hostile">""";

    // Runs on another thread with a deadline: before the fixes these ran for hours (or overflowed the stack).
    private static T Within<T>(Func<T> work, int seconds = 60)
    {
        var task = Task.Run(work);
        Assert.That(task.Wait(TimeSpan.FromSeconds(seconds)), Is.True, $"finished within {seconds} s");
        return task.Result;
    }

    [Test]
    public void An_item_definition_whose_type_names_itself_is_a_finding_and_evaluates_without_recursing()
    {
        var xml = Head + """
              <itemDefinition name="tSelf"><typeRef>tSelf</typeRef></itemDefinition>
              <itemDefinition name="tA"><typeRef>tB</typeRef></itemDefinition>
              <itemDefinition name="tB"><typeRef>tA</typeRef></itemDefinition>
              <decision id="typed" name="typed"><variable name="typed" typeRef="tSelf"/><literalExpression><text>5</text></literalExpression></decision>
            </definitions>
            """;

        var read = DecisionModel.Read(xml);
        var evaluated = Within(() => read.Model!.Evaluate("typed"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(read.Report.Findings.Where(f => f.Code == "DMN_TYPE_CYCLE").Select(f => f.ElementId), Is.EquivalentTo(new[] { "tSelf", "tA", "tB" }));
            Assert.That(evaluated.Value, Is.Null, "5 does not conform to a type that is nothing");
        }
    }

    [Test]
    public void Knowledge_models_requiring_each_other_are_built_when_called_and_a_real_recursion_stops_at_the_depth_budget()
    {
        var xml = Head + """
              <decision id="d" name="D"><variable name="D"/><knowledgeRequirement><requiredKnowledge href="#A"/></knowledgeRequirement><literalExpression><text>fa(1)</text></literalExpression></decision>
              <decision id="loop" name="Loop"><variable name="Loop"/><knowledgeRequirement><requiredKnowledge href="#C"/></knowledgeRequirement><literalExpression><text>fc(1)</text></literalExpression></decision>
              <businessKnowledgeModel id="A" name="fa"><variable name="fa"/><knowledgeRequirement><requiredKnowledge href="#B"/></knowledgeRequirement>
                <encapsulatedLogic><formalParameter name="x" typeRef="number"/><literalExpression><text>fb(x)</text></literalExpression></encapsulatedLogic></businessKnowledgeModel>
              <businessKnowledgeModel id="B" name="fb"><variable name="fb"/><knowledgeRequirement><requiredKnowledge href="#A"/></knowledgeRequirement>
                <encapsulatedLogic><formalParameter name="x" typeRef="number"/><literalExpression><text>x + 1</text></literalExpression></encapsulatedLogic></businessKnowledgeModel>
              <businessKnowledgeModel id="C" name="fc"><variable name="fc"/><knowledgeRequirement><requiredKnowledge href="#E"/></knowledgeRequirement>
                <encapsulatedLogic><formalParameter name="x" typeRef="number"/><literalExpression><text>fe(x)</text></literalExpression></encapsulatedLogic></businessKnowledgeModel>
              <businessKnowledgeModel id="E" name="fe"><variable name="fe"/><knowledgeRequirement><requiredKnowledge href="#C"/></knowledgeRequirement>
                <encapsulatedLogic><formalParameter name="x" typeRef="number"/><literalExpression><text>fc(x)</text></literalExpression></encapsulatedLogic></businessKnowledgeModel>
            </definitions>
            """;

        var model = DecisionModel.Read(xml).Model!;
        var called = Within(() => model.Evaluate("d"));
        var loop = Within(() =>
        {
            try
            {
                model.Evaluate("loop");
                return null;
            }
            catch (Workflows.Engine.Feel.FeelLimitExceededException e)
            {
                return e.Message;
            }
        });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(called.Value, Is.EqualTo(2m));
            Assert.That(loop, Does.Contain("function calls nest more than 64 deep"), "the recursion ends at the depth budget (an incident or a 400 for the caller)");
        }
    }

    [Test]
    public void A_chain_of_knowledge_models_each_requiring_the_two_before_it_evaluates_in_linear_time()
    {
        const int n = 40;
        var xml = new StringBuilder(Head);
        xml.Append($"""<decision id="d" name="D"><variable name="D"/><knowledgeRequirement><requiredKnowledge href="#b{n - 1}"/></knowledgeRequirement><literalExpression><text>f{n - 1}(1)</text></literalExpression></decision>""");
        for (var i = 0; i < n; i++)
        {
            var requires = (i >= 1 ? $"""<knowledgeRequirement><requiredKnowledge href="#b{i - 1}"/></knowledgeRequirement>""" : "")
                + (i >= 2 ? $"""<knowledgeRequirement><requiredKnowledge href="#b{i - 2}"/></knowledgeRequirement>""" : "");
            xml.Append($"""<businessKnowledgeModel id="b{i}" name="f{i}"><variable name="f{i}"/>{requires}<encapsulatedLogic><formalParameter name="x" typeRef="number"/><literalExpression><text>{(i >= 1 ? $"f{i - 1}(x)" : "x")}</text></literalExpression></encapsulatedLogic></businessKnowledgeModel>""");
        }

        xml.Append("</definitions>");
        var model = DecisionModel.Read(xml.ToString()).Model!;

        Assert.That(Within(() => model.Evaluate("d")).Value, Is.EqualTo(1m));
    }

    [Test]
    public void A_requirement_graph_where_each_decision_requires_the_two_before_it_is_checked_in_linear_time()
    {
        const int n = 60;
        var xml = new StringBuilder(Head);
        for (var i = 0; i < n; i++)
        {
            var requires = (i >= 1 ? $"""<informationRequirement><requiredDecision href="#d{i - 1}"/></informationRequirement>""" : "")
                + (i >= 2 ? $"""<informationRequirement><requiredDecision href="#d{i - 2}"/></informationRequirement>""" : "");
            var text = i >= 2 ? $"d{i - 1} + d{i - 2}" : "1";
            xml.Append($"""<decision id="d{i}" name="d{i}"><variable name="d{i}" typeRef="number"/>{requires}<literalExpression><text>{text}</text></literalExpression></decision>""");
        }

        var cyclic = xml.ToString().Replace("""<decision id="d0" name="d0"><variable name="d0" typeRef="number"/>""",
            """<decision id="d0" name="d0"><variable name="d0" typeRef="number"/><informationRequirement><requiredDecision href="#d59"/></informationRequirement>""", StringComparison.Ordinal) + "</definitions>";
        xml.Append("</definitions>");

        var read = Within(() => DecisionModel.Read(xml.ToString()));
        var readCyclic = Within(() => DecisionModel.Read(cyclic));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(read.Report.Findings, Is.Empty);
            Assert.That(read.Model!.Evaluate("d10").Value, Is.EqualTo(89m), "fib(11)");
            Assert.That(readCyclic.Report.Findings.Count(f => f.Code == "DMN_REQUIREMENT_CYCLE"), Is.EqualTo(n), "every decision of the loop");
        }
    }
}
