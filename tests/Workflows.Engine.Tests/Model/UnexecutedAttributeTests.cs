using Workflows.Engine.Model;
using Workflows.Engine.Testing;
using Workflows.Engine.Validation;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Model;

/// <summary>
/// Issue 13 item 8, "nothing silently ignored", for attributes the engine read at a default or not at all (review 13, F7):
/// each is a finding at deploy naming the element, line and column; a value the engine cannot read is an error.
/// </summary>
public sealed class UnexecutedAttributeTests
{
    private static List<(FindingSeverity, string, string?)> Findings(string body) =>
        [.. BpmnParser.Parse(Process("p", body)).Findings.Select(f => (f.Severity, f.Code, f.ElementId))];

    private static string Service(string taskDefinition, string id = "t") =>
        $"""<bpmn:serviceTask id="{id}"><bpmn:extensionElements>{taskDefinition}</bpmn:extensionElements></bpmn:serviceTask>""";

    [TestCase("abc")]
    [TestCase("-4")]
    [TestCase("2.5")]
    public void Retries_that_are_no_whole_number_are_an_error_naming_the_value(string retries)
    {
        var findings = BpmnParser.Parse(Process("p", Service($"""<zeebe:taskDefinition type="x" retries="{retries}"/>"""))).Findings;

        Assert.That(findings.Select(f => (f.Severity, f.Code, f.ElementId)), Is.EqualTo(new[] { (FindingSeverity.Error, "TASK_RETRIES_INVALID", "t") }));
        Assert.That(findings[0].Message, Does.Contain($"retries=\"{retries}\""));
    }

    [Test]
    public async Task Retries_given_as_FEEL_are_evaluated_when_the_job_is_made_as_Zeebe_does()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>{Service("""<zeebe:taskDefinition type="x" retries="=n + 1"/>""")}{Chain("start", "t")}
            """));
        var instance = await h.StartAsync("p", Vars(("n", 4)));
        var bad = await h.StartAsync("p", Vars(("n", "four")));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await instance.JobsAsync()).Single().Retries, Is.EqualTo(5));
            Assert.That((await bad.IncidentsAsync()).Single().Message, Does.Contain("retries"));
        }
    }

    [Test]
    public void An_attribute_a_Zeebe_extension_does_not_have_is_a_warning_naming_it()
    {
        var findings = BpmnParser.Parse(Process("p", Service("""<zeebe:taskDefinition type="x" priority="99"/>"""))).Findings;

        Assert.That(findings.Select(f => (f.Severity, f.Code, f.ElementId)), Is.EqualTo(new[] { (FindingSeverity.Warning, "EXTENSION_NOT_EXECUTED", "t") }));
        Assert.That(findings[0].Message, Does.Contain("priority on zeebe:taskDefinition"));
    }

    [Test]
    public void An_attribute_in_the_BPMN_namespace_is_not_read_and_says_so()
    {
        Assert.That(Findings("""<bpmn:serviceTask id="t" bpmn:foo="bar"><bpmn:extensionElements><zeebe:taskDefinition type="x"/></bpmn:extensionElements></bpmn:serviceTask>"""),
            Is.EqualTo(new[] { (FindingSeverity.Warning, "ATTRIBUTE_NOT_EXECUTED", "t") }));
    }

    [Test]
    public void A_timer_with_both_a_duration_and_a_cycle_is_an_error()
    {
        Assert.That(Findings($"""
            <bpmn:startEvent id="start"/>{UserTask("work")}
            <bpmn:boundaryEvent id="b" attachedToRef="work" cancelActivity="false"><bpmn:timerEventDefinition>
              <bpmn:timeDuration>PT1H</bpmn:timeDuration><bpmn:timeCycle>R/PT1H</bpmn:timeCycle>
            </bpmn:timerEventDefinition></bpmn:boundaryEvent>
            {Chain("start", "work")}
            """), Is.EqualTo(new[] { (FindingSeverity.Error, "TIMER_AMBIGUOUS", "b") }));
    }

    [Test]
    public void A_cycle_where_it_can_fire_only_once_is_a_warning()
    {
        Assert.That(Findings($"""
            <bpmn:startEvent id="start"/>{UserTask("work")}
            <bpmn:boundaryEvent id="b" attachedToRef="work"><bpmn:timerEventDefinition><bpmn:timeCycle>R3/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:boundaryEvent>
            <bpmn:boundaryEvent id="nb" attachedToRef="work" cancelActivity="false"><bpmn:timerEventDefinition><bpmn:timeCycle>R3/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:boundaryEvent>
            <bpmn:intermediateCatchEvent id="c"><bpmn:timerEventDefinition><bpmn:timeCycle>R3/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
            {Chain("start", "work", "c")}
            """), Is.EqualTo(new[] { (FindingSeverity.Warning, "TIMER_CYCLE_NOT_REPEATED", "b"), (FindingSeverity.Warning, "TIMER_CYCLE_NOT_REPEATED", "c") }));
    }

    [Test]
    public void A_non_interrupting_error_boundary_is_an_error()
    {
        Assert.That(Findings($"""
            <bpmn:startEvent id="start"/>{UserTask("work")}
            <bpmn:boundaryEvent id="b" attachedToRef="work" cancelActivity="false"><bpmn:errorEventDefinition/></bpmn:boundaryEvent>
            {Chain("start", "work")}
            """), Is.EqualTo(new[] { (FindingSeverity.Error, "BOUNDARY_ALWAYS_INTERRUPTS", "b") }));
    }

    [Test]
    public void A_condition_on_a_flow_leaving_a_parallel_gateway_is_a_warning()
    {
        Assert.That(Findings($"""
            <bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>{UserTask("a")}{UserTask("b")}
            {Flow("start", "fork")}{Flow("fork", "a", "=x > 1", "f_a")}{Flow("fork", "b")}
            """), Is.EqualTo(new[] { (FindingSeverity.Warning, "CONDITION_NOT_EXECUTED", "f_a") }));
    }

    [TestCase("""<zeebe:calledElement processId="child" propagateAllChildVariables="maybe"/>""", "propagateAllChildVariables=\"maybe\"")]
    [TestCase("""<zeebe:calledElement processId="child" propagateAllParentVariables="yes"/>""", "propagateAllParentVariables=\"yes\"")]
    public void A_boolean_that_is_neither_true_nor_false_is_an_error_naming_it(string called, string named)
    {
        var findings = BpmnParser.Parse(Process("p", $"""<bpmn:callActivity id="call"><bpmn:extensionElements>{called}</bpmn:extensionElements></bpmn:callActivity>""")).Findings;

        Assert.That(findings.Select(f => (f.Severity, f.Code, f.ElementId)), Is.EqualTo(new[] { (FindingSeverity.Error, "ATTRIBUTE_INVALID", "call") }));
        Assert.That(findings[0].Message, Does.Contain(named));
    }

    [Test]
    public void Input_and_output_mappings_on_a_gateway_are_a_warning()
    {
        Assert.That(Findings($"""
            <bpmn:startEvent id="start"/>
            <bpmn:exclusiveGateway id="g"><bpmn:extensionElements><zeebe:ioMapping><zeebe:input source="=1" target="a"/></zeebe:ioMapping></bpmn:extensionElements></bpmn:exclusiveGateway>
            {UserTask("work")}{Chain("start", "g", "work")}
            """), Is.EqualTo(new[] { (FindingSeverity.Warning, "EXTENSION_NOT_EXECUTED", "g") }));
    }

    [TestCase("a..b")]
    [TestCase(".c")]
    [TestCase("d e")]
    [TestCase("1x")]
    public void A_mapping_target_that_is_no_variable_path_is_an_error(string target)
    {
        Assert.That(Findings(Service($"""<zeebe:taskDefinition type="x"/><zeebe:ioMapping><zeebe:output source="=1" target="{target}"/></zeebe:ioMapping>""")),
            Is.EqualTo(new[] { (FindingSeverity.Error, "MAPPING_TARGET_INVALID", "t") }));
    }

    [Test]
    public void Valid_paths_filters_and_flags_are_no_findings()
    {
        Assert.That(Findings($"""
            <bpmn:startEvent id="start"/>
            {Service("""<zeebe:taskDefinition type="x" retries="5"/><zeebe:ioMapping><zeebe:output source="=1" target="order.total_2"/><zeebe:input source="=1" target="_é"/></zeebe:ioMapping>""")}
            <bpmn:intermediateCatchEvent id="c"><bpmn:conditionalEventDefinition>
              <bpmn:extensionElements><zeebe:conditionalFilter variableNames="a,b" variableEvents="create"/></bpmn:extensionElements>
              <bpmn:condition xsi:type="bpmn:tFormalExpression">=a &gt; 1</bpmn:condition>
            </bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>
            <bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="child" propagateAllChildVariables="FALSE"/></bpmn:extensionElements></bpmn:callActivity>
            {Chain("start", "t", "c", "call")}
            """), Is.Empty);
    }
}
