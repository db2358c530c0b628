using Workflows.Engine.Feel;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Decisions;

/// <summary>
/// A decision's value as a business rule task writes it: ranges and functions are FEEL values a decision may return,
/// but JSON has no form of them; the variable holds their text from the start, and a later decision of the same command
/// reads every variable without failing (review18 F15).
/// </summary>
public sealed class DecisionResultVariableTests
{
    private const string Odd = """
        <definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="odd" name="odd" namespace="urn:odd">
          <decision id="odd-fn" name="odd-fn"><variable name="odd-fn"/><literalExpression><text>function(x) x + 1</text></literalExpression></decision>
          <decision id="odd-range" name="odd-range"><variable name="odd-range"/><literalExpression><text>{ bounds: [1..10], items: [1, [2..3]] }</text></literalExpression></decision>
          <decision id="plain" name="plain"><variable name="plain"/><literalExpression><text>"plain"</text></literalExpression></decision>
        </definitions>
        """;

    private static string Rule(string id, string decision, string result) =>
        $"""<bpmn:businessRuleTask id="{id}"><bpmn:extensionElements><zeebe:calledDecision decisionId="{decision}" resultVariable="{result}"/></bpmn:extensionElements></bpmn:businessRuleTask>""";

    [Test]
    public async Task A_range_or_function_value_is_written_as_its_text_and_the_next_decision_of_the_command_still_runs()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Odd);
        await h.DeployAsync(Process("odd-values", $"""
            <bpmn:startEvent id="s"/>
            {Rule("r1", "odd-range", "rng")}
            {Rule("r2", "odd-fn", "fn")}
            {Rule("r3", "plain", "after")}
            {UserTask("review")}
            {Chain("s", "r1", "r2", "r3", "review")}
            """));

        var instance = await h.StartAsync("odd-values");
        var rng = await instance.VariableAsync("rng");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "review" }));
            Assert.That(await instance.VariableAsync("after"), Is.EqualTo("plain"));
            Assert.That(await instance.VariableAsync("fn"), Is.InstanceOf<string>());
            Assert.That(FeelConvert.ToJson(FeelConvert.FromClr(rng)), Does.Contain("\"bounds\":\"[1..10]\"").And.Contain("\"[2..3]\""), "the range's text, inside a context and a list too");
        }
    }
}
