using Workflows.Engine.Model;
using Workflows.Engine.Validation;
using static Workflows.Engine.Tests.Bpmn;
using static Workflows.Engine.Tests.Runtime.Semantics.ConditionalEventTests;

namespace Workflows.Engine.Tests.Model;

/// <summary>What deploy says of conditional events: what runs, what is refused, and what is read but not executed.</summary>
public sealed class ConditionalModelTests
{
    private static async Task<IReadOnlyList<ValidationFinding>> FindingsAsync(string body) =>
        (await new WorkflowEngine().Deployments.ValidateAsync(Process("p", body))).Findings;

    [Test]
    public async Task Catches_boundaries_and_event_sub_process_starts_deploy_without_findings()
    {
        var findings = await FindingsAsync($"""
            <bpmn:startEvent id="start"/>
            <bpmn:intermediateCatchEvent id="wait">{Condition("=x > 1", "create, update")}</bpmn:intermediateCatchEvent>
            {UserTask("work")}<bpmn:boundaryEvent id="b" attachedToRef="work" cancelActivity="false">{Condition("=y")}</bpmn:boundaryEvent>
            <bpmn:endEvent id="end"/><bpmn:endEvent id="bEnd"/>
            {Chain("start", "wait", "work", "end")}{Chain("b", "bEnd")}
            <bpmn:subProcess id="esp" triggeredByEvent="true">
              <bpmn:startEvent id="espStart">{Condition("=cancelled")}</bpmn:startEvent><bpmn:endEvent id="espEnd"/>{Chain("espStart", "espEnd")}
            </bpmn:subProcess>
            """);

        Assert.That(findings, Is.Empty);
    }

    [Test]
    public void The_parser_reads_the_condition_its_variable_names_and_its_variable_events()
    {
        var (document, _) = BpmnParser.Parse(Process("p", $"""
            <bpmn:startEvent id="start"/><bpmn:intermediateCatchEvent id="wait">{Condition("=amount > limit and approved", "update")}</bpmn:intermediateCatchEvent>
            {Chain("start", "wait")}
            """));

        var condition = document!.Processes[0].Node("wait").Event!.Condition!;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(condition.Condition.Feel, Is.Not.Null);
            Assert.That(condition.VariableNames, Is.Null, "no variableNames: any variable change evaluates it (Camunda 8.9)");
            Assert.That(condition.Events, Is.EqualTo(VariableEvents.Update));
        }
    }

    [Test]
    public async Task A_conditional_start_event_of_the_process_itself_is_refused()
    {
        var findings = await FindingsAsync($"""<bpmn:startEvent id="start">{Condition("=x")}</bpmn:startEvent><bpmn:endEvent id="end"/>{Chain("start", "end")}""");

        Assert.That(findings.Select(f => (f.Severity, f.Code, f.ElementId)), Does.Contain((FindingSeverity.Error, "UNSUPPORTED", (string?)"start")));
    }

    [TestCase("", "CONDITION_MISSING")]
    [TestCase("${x == 1}", "CONDITION_NOT_FEEL")]
    [TestCase("=x >", "FEEL_SYNTAX")]
    public async Task A_conditional_event_without_a_FEEL_condition_is_an_error(string condition, string code)
    {
        var findings = await FindingsAsync($"""
            <bpmn:startEvent id="start"/>
            <bpmn:intermediateCatchEvent id="wait"><bpmn:conditionalEventDefinition><bpmn:condition>{System.Security.SecurityElement.Escape(condition)}</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>
            {Chain("start", "wait")}
            """);

        Assert.That(findings.Select(f => (f.Severity, f.Code, f.ElementId)), Does.Contain((FindingSeverity.Error, code, (string?)"wait")));
    }

    [Test]
    public async Task A_variable_event_this_engine_does_not_have_is_an_error()
    {
        var findings = await FindingsAsync($"""
            <bpmn:startEvent id="start"/><bpmn:intermediateCatchEvent id="wait">{Condition("=x", "create, delete")}</bpmn:intermediateCatchEvent>
            {Chain("start", "wait")}
            """);

        Assert.That(findings.Single().Code, Is.EqualTo("CONDITION_FILTER_INVALID"));
    }

    [Test]
    public void Camunda_7_s_variableName_and_variableEvents_are_reported_as_not_executed()
    {
        var xml = Process("p", """
            <bpmn:startEvent id="start"/>
            <bpmn:intermediateCatchEvent id="wait">
              <bpmn:conditionalEventDefinition xmlns:camunda="http://camunda.org/schema/1.0/bpmn" camunda:variableName="x" camunda:variableEvents="create">
                <bpmn:condition xsi:type="bpmn:tFormalExpression">=x &gt; 1</bpmn:condition>
              </bpmn:conditionalEventDefinition>
            </bpmn:intermediateCatchEvent>
            <bpmn:sequenceFlow id="f" sourceRef="start" targetRef="wait"/>
            """);

        var findings = BpmnParser.Parse(xml).Findings;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(findings.Count(f => f.Code == "EXTENSION_NOT_EXECUTED" && f.ElementId == "wait"), Is.EqualTo(2));
            Assert.That(findings.Where(f => f.Code == "EXTENSION_NOT_EXECUTED").Select(f => f.Severity), Is.All.EqualTo(FindingSeverity.Warning));
            Assert.That(findings.Any(f => f.Code == "ELEMENT_NOT_EXECUTED"), Is.False, "the condition itself runs");
        }
    }
}
