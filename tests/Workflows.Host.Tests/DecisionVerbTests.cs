using Workflows.Host.Features;

namespace Workflows.Host.Tests;

/// <summary>The command line's DMN verbs: decide and dmn-tck.</summary>
public sealed class DecisionVerbTests
{
    private string _directory = "";

    [SetUp]
    public void MakeAScratchFolder() => _directory = Directory.CreateTempSubdirectory("workflows-dmn-").FullName;

    [TearDown]
    public void RemoveIt() => Directory.Delete(_directory, recursive: true);

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CommandLine.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private const string Model = """
        <definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" id="m" name="refunds" namespace="urn:test">
          <inputData id="amount" name="Amount"><variable name="Amount" typeRef="number"/></inputData>
          <decision id="route" name="Refund Route">
            <variable name="Refund Route" typeRef="string"/>
            <informationRequirement><requiredInput href="#amount"/></informationRequirement>
            <decisionTable hitPolicy="FIRST">
              <input><inputExpression typeRef="number"><text>Amount</text></inputExpression></input>
              <output name="route" typeRef="string"/>
              <rule id="small"><inputEntry><text>&lt; 100</text></inputEntry><outputEntry><text>"instant"</text></outputEntry></rule>
              <rule id="other"><inputEntry><text>-</text></inputEntry><outputEntry><text>"review"</text></outputEntry></rule>
            </decisionTable>
          </decision>
        </definitions>
        """;

    private const string Tests = """
        <testCases xmlns="http://www.omg.org/spec/DMN/20160719/testcase" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
          <modelName>refunds.dmn</modelName>
          <testCase id="001">
            <inputNode name="Amount"><value xsi:type="xsd:decimal">40</value></inputNode>
            <resultNode name="Refund Route"><expected><value xsi:type="xsd:string">instant</value></expected></resultNode>
          </testCase>
          <testCase id="002">
            <inputNode name="Amount"><value xsi:type="xsd:decimal">400</value></inputNode>
            <resultNode name="Refund Route"><expected><value xsi:type="xsd:string">instant</value></expected></resultNode>
          </testCase>
        </testCases>
        """;

    [Test]
    public async Task Decide_prints_the_value_as_JSON_and_the_rules_it_matched()
    {
        File.WriteAllText(Path.Combine(_directory, "refunds.dmn"), Model);

        var (code, output, error) = await RunAsync("--invoked-from", _directory, "decide", "refunds.dmn", "--decision", "route", "--context", """{"Amount": 250}""");
        var (unknown, _, unknownError) = await RunAsync("--invoked-from", _directory, "decide", "refunds.dmn", "--decision", "nope");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.Zero, error);
            Assert.That(output.Trim(), Is.EqualTo("\"review\""));
            Assert.That(error, Does.Contain("route: matched rule(s) 2 (other)"));
            Assert.That(unknown, Is.EqualTo(1));
            Assert.That(unknownError, Does.Contain("no decision 'nope'").And.Contains("route"));
        }
    }

    [Test]
    public async Task Decide_says_a_regular_expression_ran_out_of_time_and_exits_with_1()
    {
        File.WriteAllText(Path.Combine(_directory, "regex.dmn"), """
            <definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="regex" name="regex" namespace="urn:regex">
              <decision id="regex-route" name="Regex route"><decisionTable hitPolicy="FIRST">
                <input><inputExpression typeRef="string"><text>reference</text></inputExpression></input>
                <output name="route" typeRef="string"/>
                <rule id="letters"><inputEntry><text>matches(?, "^(a+)+$")</text></inputEntry><outputEntry><text>"letters"</text></outputEntry></rule>
                <rule id="other"><inputEntry><text>-</text></inputEntry><outputEntry><text>"other"</text></outputEntry></rule>
              </decisionTable></decision>
            </definitions>
            """);

        var (code, output, error) = await RunAsync("--invoked-from", _directory, "decide", "regex.dmn", "--decision", "regex-route",
            "--context", $$"""{"reference": "{{new string('a', 40)}}!"}""");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.EqualTo(1));
            Assert.That(output, Is.Empty);
            Assert.That(error, Does.Contain("error: the decision went over a FEEL budget (RegexTimeout)"));
        }
    }

    [Test]
    public async Task Dmn_tck_prints_a_line_per_result_and_the_count_that_passed()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_directory, "level", "0001-refunds")).FullName;
        File.WriteAllText(Path.Combine(folder, "refunds.dmn"), Model);
        File.WriteAllText(Path.Combine(folder, "0001-refunds-test-01.xml"), Tests);

        var (code, output, _) = await RunAsync("dmn-tck", _directory);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.EqualTo(1), "a result failed");
            Assert.That(output, Does.Contain("PASS level/0001-refunds 001 Refund Route"));
            Assert.That(output, Does.Contain("FAIL level/0001-refunds 002 Refund Route: expected \"instant\", got \"review\""));
            Assert.That(output.TrimEnd(), Does.EndWith("dmn-tck: 1/2 passed"));
        }
    }
}
