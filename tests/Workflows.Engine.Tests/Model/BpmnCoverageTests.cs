using Workflows.Engine.Model;
using Workflows.Engine.Testing;
using Workflows.Engine.Validation;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Model;

/// <summary>Nothing in a model is silently ignored: what the engine does not execute is a finding at deploy.</summary>
public sealed class BpmnCoverageTests
{
    private static List<ValidationFinding> Findings(string xml) => BpmnParser.Parse(xml).Findings;

    private static string Descriptive(string body, string definitions = "") =>
        Document($"""<bpmn:process id="p" isExecutable="false">{body}</bpmn:process>""", definitions);

    [Test]
    public async Task A_sequence_flow_without_an_id_gets_a_generated_id_and_a_warning_and_is_followed()
    {
        var xml = Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:sequenceFlow sourceRef="start" targetRef="work"/>
            {UserTask("work")}
            <bpmn:sequenceFlow sourceRef="work" targetRef="end"/>
            <bpmn:endEvent id="end"/>
            """);
        var h = new ProcessTestHarness();

        var report = await h.Engine.Deployments.ValidateAsync(xml);
        await h.DeployAsync(xml);
        var instance = await h.StartAsync("p");
        var active = await instance.ActiveElementsAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(report.Findings.Select(f => (f.Severity, f.Code, f.ElementId)), Is.EqualTo(new[]
            {
                (FindingSeverity.Warning, "FLOW_ID_GENERATED", "flow_start_to_work"),
                (FindingSeverity.Warning, "FLOW_ID_GENERATED", "flow_work_to_end"),
            }));
            Assert.That(report.Findings[0].Line, Is.GreaterThan(0));
            Assert.That(active, Is.EqualTo(new[] { "work" }));
        }
    }

    [Test]
    public void Two_flows_without_ids_between_the_same_elements_both_stay()
    {
        var (document, findings) = BpmnParser.Parse(Process("p", """
            <bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>
            <bpmn:sequenceFlow id="start_fork" sourceRef="start" targetRef="fork"/>
            <bpmn:sequenceFlow sourceRef="fork" targetRef="join"/><bpmn:sequenceFlow sourceRef="fork" targetRef="join"/>
            <bpmn:sequenceFlow id="flow_fork_to_join_2" sourceRef="fork" targetRef="join"/>
            <bpmn:parallelGateway id="join"/>
            """));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(document!.Processes[0].Flows.Keys, Is.EquivalentTo(new[] { "start_fork", "flow_fork_to_join", "flow_fork_to_join_3", "flow_fork_to_join_2" }));
            Assert.That(findings.Count(f => f.Code == "FLOW_ID_GENERATED"), Is.EqualTo(2));
        }
    }

    [Test]
    public void Documentation_annotations_lanes_groups_data_objects_and_diagram_colours_are_no_findings()
    {
        var xml = Document("""
            <bpmn:collaboration id="c"><bpmn:participant id="pool" processRef="p"/></bpmn:collaboration>
            <bpmn:category id="cat"><bpmn:categoryValue id="cv" value="Phase 1"/></bpmn:category>
            <bpmn:process id="p" isExecutable="true" isClosed="false" processType="Public">
              <bpmn:documentation>What the process is for</bpmn:documentation>
              <bpmn:laneSet id="ls"><bpmn:lane id="l" name="Clerk"><bpmn:flowNodeRef>start</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
              <bpmn:startEvent id="start"><bpmn:documentation>begin</bpmn:documentation><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
              <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="end" isImmediate="true"/>
              <bpmn:endEvent id="end"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>
              <bpmn:dataObject id="do"/><bpmn:dataObjectReference id="dor" dataObjectRef="do"/>
              <bpmn:textAnnotation id="ta"><bpmn:text>note</bpmn:text></bpmn:textAnnotation>
              <bpmn:association id="as" sourceRef="ta" targetRef="start"/>
              <bpmn:group id="g" categoryValueRef="cv"/>
            </bpmn:process>
            <bpmndi:BPMNDiagram id="d" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:bioc="http://bpmn.io/schema/bpmn/biocolor/1.0">
              <bpmndi:BPMNPlane id="pl" bpmnElement="c"><bpmndi:BPMNShape id="s" bpmnElement="start" bioc:fill="#fff"/></bpmndi:BPMNPlane>
            </bpmndi:BPMNDiagram>
            """);

        Assert.That(Findings(xml), Is.Empty);
    }

    [TestCase("<bpmn:ioSpecification id=\"io\"><bpmn:dataInput id=\"di\"/></bpmn:ioSpecification>", "ioSpecification")]
    [TestCase("<bpmn:dataInputAssociation id=\"dia\"><bpmn:targetRef>x</bpmn:targetRef></bpmn:dataInputAssociation>", "dataInputAssociation")]
    [TestCase("<bpmn:potentialOwner id=\"po\"><bpmn:resourceAssignmentExpression/></bpmn:potentialOwner>", "potentialOwner")]
    [TestCase("<bpmn:property id=\"prop\" name=\"x\"/>", "property")]
    [TestCase("<bpmn:rendering id=\"r\"/>", "rendering")]
    public void A_BPMN_element_the_engine_does_not_execute_is_a_warning_naming_the_element_and_line(string content, string element)
    {
        var xml = Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:userTask id="work">
              {content}
            </bpmn:userTask>
            {Chain("start", "work")}
            """);
        var line = xml.Split('\n').ToList().FindIndex(l => l.Contains("<bpmn:" + element, StringComparison.Ordinal)) + 1;

        var finding = Findings(xml).Single(f => f.Code == "ELEMENT_NOT_EXECUTED");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(finding.Severity, Is.EqualTo(FindingSeverity.Warning));
            Assert.That(finding.ElementId, Is.Not.Null);
            Assert.That(finding.Message, Does.Contain("bpmn:" + element));
            Assert.That(finding.Line, Is.EqualTo(line));
        }
    }

    [Test]
    public void A_definitions_level_element_the_engine_does_not_execute_is_a_warning()
    {
        var findings = Findings(Process("p", "<bpmn:startEvent id=\"start\"/>", """<bpmn:interface id="i" name="Billing"><bpmn:operation id="op" name="charge"/></bpmn:interface>"""));

        Assert.That(findings.Select(f => (f.Severity, f.Code, f.ElementId)), Is.EqualTo(new[] { (FindingSeverity.Warning, "ELEMENT_NOT_EXECUTED", "i") }));
    }

    [Test]
    public void BPMN_native_multi_instance_data_is_an_error_in_an_executable_process_and_a_warning_in_a_descriptive_one()
    {
        const string task = """
            <bpmn:startEvent id="start"/>
            <bpmn:userTask id="each"><bpmn:multiInstanceLoopCharacteristics><bpmn:loopDataInputRef>items</bpmn:loopDataInputRef></bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>
            <bpmn:sequenceFlow id="f" sourceRef="start" targetRef="each"/>
            """;

        var executable = Findings(Process("p", task)).Where(f => f.Code == "ELEMENT_NOT_EXECUTED");
        var descriptive = Findings(Descriptive(task)).Where(f => f.Code == "ELEMENT_NOT_EXECUTED");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(executable.Select(f => (f.Severity, f.ElementId)), Is.EqualTo(new[] { (FindingSeverity.Error, "each") }));
            Assert.That(executable.Single().Message, Does.Contain("zeebe:loopCharacteristics"));
            Assert.That(descriptive.Select(f => f.Severity), Is.EqualTo(new[] { FindingSeverity.Warning }));
        }
    }

    [TestCase("startQuantity=\"2\"", FindingSeverity.Warning)]
    [TestCase("completionQuantity=\"3\"", FindingSeverity.Warning)]
    [TestCase("implementation=\"http://example.com/soap\"", FindingSeverity.Warning)]
    [TestCase("operationRef=\"op\"", FindingSeverity.Warning)]
    [TestCase("ownerRef=\"x\"", FindingSeverity.Warning)]
    public void An_attribute_the_engine_does_not_execute_is_a_finding(string attribute, FindingSeverity severity)
    {
        var findings = Findings(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:serviceTask id="work" {attribute}><bpmn:extensionElements><zeebe:taskDefinition type="t"/></bpmn:extensionElements></bpmn:serviceTask>
            {Chain("start", "work")}
            """));

        var finding = findings.Single(f => f.Code == "ATTRIBUTE_NOT_EXECUTED");
        using (Assert.EnterMultipleScope())
        {
            Assert.That((finding.Severity, finding.ElementId), Is.EqualTo((severity, "work")));
            Assert.That(finding.Message, Does.Contain(attribute.Split('=')[0]));
        }
    }

    [TestCase("<bpmn:receiveTask id=\"work\" messageRef=\"m\" instantiate=\"true\"/>")]
    [TestCase("<bpmn:eventBasedGateway id=\"work\" eventGatewayType=\"Parallel\"/>")]
    public void A_non_default_value_that_changes_behaviour_is_an_error_in_an_executable_process(string element)
    {
        var findings = Findings(Process("p", $"""
            <bpmn:startEvent id="start"/>{element}{Chain("start", "work")}
            """, """<bpmn:message id="m" name="m"/>"""));

        Assert.That(findings.Where(f => f.Code == "ATTRIBUTE_NOT_EXECUTED").Select(f => (f.Severity, f.ElementId)), Is.EqualTo(new[] { (FindingSeverity.Error, "work") }));
    }

    [Test]
    public void Default_values_of_attributes_the_engine_does_not_read_are_no_findings()
    {
        var findings = Findings(Process("p", $"""
            <bpmn:startEvent id="start" parallelMultiple="false"/>
            <bpmn:serviceTask id="work" startQuantity="1" completionQuantity="1" isForCompensation="false" implementation="##WebService">
              <bpmn:extensionElements><zeebe:taskDefinition type="t"/></bpmn:extensionElements>
            </bpmn:serviceTask>
            <bpmn:exclusiveGateway id="x" gatewayDirection="Diverging"/>
            {Chain("start", "work", "x")}
            """));

        Assert.That(findings, Is.Empty);
    }

    [Test]
    public void Zeebe_listeners_are_errors_in_an_executable_process_because_their_work_would_not_happen()
    {
        var findings = Findings(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:userTask id="work"><bpmn:extensionElements>
              <zeebe:executionListeners><zeebe:executionListener eventType="start" type="audit"/></zeebe:executionListeners>
              <zeebe:taskListeners><zeebe:taskListener eventType="assigning" type="notify"/></zeebe:taskListeners>
              <zeebe:properties><zeebe:property name="colour" value="blue"/></zeebe:properties>
            </bpmn:extensionElements></bpmn:userTask>
            {Chain("start", "work")}
            """));

        Assert.That(findings.Select(f => (f.Severity, f.Code, f.ElementId, f.Message.Split(' ')[0])), Is.EqualTo(new[]
        {
            (FindingSeverity.Error, "EXTENSION_NOT_EXECUTED", "work", "zeebe:executionListeners"),
            (FindingSeverity.Error, "EXTENSION_NOT_EXECUTED", "work", "zeebe:taskListeners"),
        }));
    }

    [Test]
    public void The_case_data_a_process_shows_agents_is_no_finding_and_on_a_task_is_a_warning()
    {
        // wf:caseData is read by the host's inbox (docs/bpmn-extensions.md), on the process only.
        var findings = Findings(Process("p", """
            <bpmn:startEvent id="start"/>
            <bpmn:userTask id="work"><bpmn:extensionElements><wf:caseData><wf:show variable="x"/></wf:caseData></bpmn:extensionElements></bpmn:userTask>
            """ + Chain("start", "work"), extensions: """<bpmn:extensionElements><wf:caseData><wf:show variable="summary" label="What the customer wrote"/></wf:caseData></bpmn:extensionElements>"""));

        Assert.That(findings.Select(f => (f.Severity, f.Code, f.ElementId)), Is.EqualTo(new[] { (FindingSeverity.Warning, "EXTENSION_NOT_EXECUTED", "work") }));
    }

    [Test]
    public void A_Zeebe_extension_on_an_element_that_does_not_read_it_is_a_warning()
    {
        var findings = Findings(Process("p", """
            <bpmn:startEvent id="start"/>
            <bpmn:sequenceFlow id="f" sourceRef="start" targetRef="end"><bpmn:extensionElements><zeebe:taskDefinition type="t"/></bpmn:extensionElements></bpmn:sequenceFlow>
            <bpmn:userTask id="end"><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=items"/><zeebe:calledDecision decisionId="d" resultVariable="r"/></bpmn:extensionElements></bpmn:userTask>
            """));

        Assert.That(findings.Select(f => (f.Severity, f.Code, f.ElementId)), Is.EqualTo(new[]
        {
            (FindingSeverity.Warning, "EXTENSION_NOT_EXECUTED", "f"),
            (FindingSeverity.Warning, "EXTENSION_NOT_EXECUTED", "end"),
            (FindingSeverity.Warning, "EXTENSION_NOT_EXECUTED", "end"),
        }));
    }

    [Test]
    public void Another_engines_extensions_are_warnings_and_a_modelling_tools_metadata_is_not()
    {
        var findings = Findings(Document("""
            <bpmn:process id="p" isExecutable="true" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:signavio="http://www.signavio.com">
              <bpmn:startEvent id="start" camunda:asyncBefore="true"/>
              <bpmn:serviceTask id="work" camunda:class="org.example.Charge">
                <bpmn:extensionElements>
                  <zeebe:taskDefinition type="charge"/>
                  <camunda:inputOutput><camunda:inputParameter name="x">1</camunda:inputParameter></camunda:inputOutput>
                  <signavio:signavioMetaData metaKey="colour" metaValue="blue"/>
                </bpmn:extensionElements>
              </bpmn:serviceTask>
              <bpmn:sequenceFlow id="f" sourceRef="start" targetRef="work"/>
            </bpmn:process>
            """));

        Assert.That(findings.Select(f => (f.Severity, f.Code, f.ElementId)), Is.EqualTo(new[]
        {
            (FindingSeverity.Warning, "EXTENSION_NOT_EXECUTED", "start"),
            (FindingSeverity.Warning, "EXTENSION_NOT_EXECUTED", "work"),
            (FindingSeverity.Warning, "EXTENSION_NOT_EXECUTED", "work"),
        }));
    }

    [Test]
    public void The_content_of_an_element_reported_as_unsupported_is_not_reported_again()
    {
        var findings = Findings(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:complexGateway id="cx"><bpmn:activationCondition>=true</bpmn:activationCondition></bpmn:complexGateway>
            {Chain("start", "cx")}
            """));

        Assert.That(findings.Where(f => f.Code.EndsWith("NOT_EXECUTED", StringComparison.Ordinal)), Is.Empty);
    }

    [Test]
    public async Task A_deployment_with_a_listener_is_refused_with_the_finding()
    {
        var h = new ProcessTestHarness();
        var xml = Process("p", $"""
            <bpmn:startEvent id="start"><bpmn:extensionElements><zeebe:executionListeners/></bpmn:extensionElements></bpmn:startEvent>
            """);

        var refused = Assert.ThrowsAsync<DeploymentRejectedException>(async () => await h.DeployAsync(xml));

        Assert.That(refused!.Report.Errors.Select(f => f.Code), Is.EqualTo(new[] { "EXTENSION_NOT_EXECUTED" }));
    }
}
