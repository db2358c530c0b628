using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Model;

/// <summary>Deploy-if-unchanged compares the model's canonical form: a redrawn or reformatted model is the same version.</summary>
public sealed class CanonicalDeployTests
{
    private const string BpmnNs = "http://www.omg.org/spec/BPMN/20100524/MODEL";

    // Hand-written: bpmn: prefix, compact, no diagram.
    private static readonly string s_handWritten = Process("p", $"""
        <bpmn:startEvent id="s"/>
        <bpmn:exclusiveGateway id="g" default="small"/>
        <bpmn:userTask id="review" name="Review"><bpmn:extensionElements><wf:userTask candidateGroups="back-office" priority="50"/></bpmn:extensionElements></bpmn:userTask>
        <bpmn:endEvent id="e"/>
        {Chain("s", "g")}{Flow("g", "review", "=amount > 100")}{Flow("g", "e", id: "small")}{Chain("review", "e")}
        """);

    // The same model as a designer writes it: another prefix, attributes in another order, incoming/outgoing, a
    // diagram, the designer's stamp, the elements in another order and indented.
    private static readonly string s_designed = $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <bpmn2:definitions xmlns:bpmn2="{BpmnNs}" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:flow="urn:workflows:bpmn:1.0" xmlns:modeler="http://camunda.org/schema/modeler/1.0" targetNamespace="http://bpmn.io/schema/bpmn" id="Definitions_1" exporter="Camunda Modeler" exporterVersion="5.23.0" modeler:executionPlatform="Camunda Cloud">
          <bpmn2:process isExecutable="true" id="p">
            <bpmn2:userTask name="Review" id="review">
              <bpmn2:extensionElements>
                <flow:userTask priority="50" candidateGroups="back-office" />
              </bpmn2:extensionElements>
              <bpmn2:incoming>g_review</bpmn2:incoming>
              <bpmn2:outgoing>review_e</bpmn2:outgoing>
            </bpmn2:userTask>
            <bpmn2:startEvent id="s">
              <bpmn2:outgoing>s_g</bpmn2:outgoing>
            </bpmn2:startEvent>
            <bpmn2:exclusiveGateway id="g" default="small" />
            <bpmn2:endEvent id="e" />
            <bpmn2:sequenceFlow id="s_g" sourceRef="s" targetRef="g" />
            <bpmn2:sequenceFlow id="g_review" sourceRef="g" targetRef="review">
              <bpmn2:conditionExpression xsi:type="bpmn2:tFormalExpression">
                =amount &gt; 100
              </bpmn2:conditionExpression>
            </bpmn2:sequenceFlow>
            <bpmn2:sequenceFlow id="small" sourceRef="g" targetRef="e" />
            <bpmn2:sequenceFlow id="review_e" sourceRef="review" targetRef="e" />
          </bpmn2:process>
          <bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="pl" bpmnElement="p">
            <bpmndi:BPMNShape id="review_di" bpmnElement="review"><dc:Bounds x="300" y="80" width="100" height="80" /></bpmndi:BPMNShape>
          </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
        </bpmn2:definitions>
        """;

    [Test]
    public async Task A_model_written_or_drawn_otherwise_is_the_same_version_and_keeps_the_new_diagram()
    {
        var engine = new WorkflowEngine();
        await engine.Deployments.DeployAsync(s_handWritten);

        var redrawn = (await engine.Deployments.DeployAsync(s_designed)).Processes.Single();
        var again = (await engine.Deployments.DeployAsync(s_designed)).Processes.Single();

        using (Assert.EnterMultipleScope())
        {
            Assert.That((redrawn.Version, redrawn.IsNew, redrawn.DiagramReplaced), Is.EqualTo((1, false, true)));
            Assert.That((again.Version, again.IsNew, again.DiagramReplaced), Is.EqualTo((1, false, false)), "the very same XML changes nothing");
            Assert.That(await engine.Deployments.GetXmlAsync("p", 1), Is.EqualTo(s_designed), "the version shows the designer's diagram");
            Assert.That(await engine.Deployments.GetDefinitionsAsync("p"), Has.Count.EqualTo(1));
        }
    }

    [TestCase("""name="Review" """, """name="Check" """, TestName = "A_renamed_task_is_a_new_version")]
    [TestCase("""priority="50" """, """priority="60" """, TestName = "A_changed_extension_attribute_is_a_new_version")]
    [TestCase("""id="small" sourceRef="g" targetRef="e" """, """id="small" sourceRef="g" targetRef="review" """, TestName = "A_flow_to_another_element_is_a_new_version")]
    [TestCase("=amount &gt; 100", "=amount &gt; 200", TestName = "A_changed_condition_is_a_new_version")]
    public async Task A_change_of_meaning_is_a_new_version(string before, string after)
    {
        var engine = new WorkflowEngine();
        await engine.Deployments.DeployAsync(s_designed);
        Assert.That(s_designed, Does.Contain(before));

        var changed = (await engine.Deployments.DeployAsync(s_designed.Replace(before, after, StringComparison.Ordinal))).Processes.Single();

        Assert.That((changed.Version, changed.IsNew), Is.EqualTo((2, true)));
    }

    [Test]
    public async Task Sequence_flows_in_another_order_are_a_new_version_as_a_gateway_tries_them_in_order()
    {
        var engine = new WorkflowEngine();
        var first = Process("p", $"""<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g"/><bpmn:endEvent id="a"/><bpmn:endEvent id="b"/>{Chain("s", "g")}{Flow("g", "a", "=x > 1")}{Flow("g", "b", "=x > 0")}""");
        var swapped = Process("p", $"""<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g"/><bpmn:endEvent id="a"/><bpmn:endEvent id="b"/>{Chain("s", "g")}{Flow("g", "b", "=x > 0")}{Flow("g", "a", "=x > 1")}""");

        await engine.Deployments.DeployAsync(first);
        var second = (await engine.Deployments.DeployAsync(swapped)).Processes.Single();

        Assert.That(second.Version, Is.EqualTo(2));
    }

    [Test]
    public async Task A_journey_round_tripped_through_the_designer_stays_one_version_until_a_task_is_renamed()
    {
        // Models/Designer: the library's complaints journey written by hand (default namespace, compact), and the same
        // file as bpmn-js (the designer's modeler, v18) exported it: imported and saved, a shape moved, a task renamed.
        var engine = new WorkflowEngine();
        var handWritten = await DesignerFileAsync("complaints.handwritten.bpmn");

        var first = await engine.Deployments.DeployAsync(handWritten);
        var roundTrip = await engine.Deployments.DeployAsync(await DesignerFileAsync("complaints.bpmnjs-roundtrip.bpmn"));
        var moved = await engine.Deployments.DeployAsync(await DesignerFileAsync("complaints.bpmnjs-moved.bpmn"));
        var renamed = await engine.Deployments.DeployAsync(await DesignerFileAsync("complaints.bpmnjs-renamed.bpmn"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Processes.Select(p => (p.ProcessId, p.Version)), Is.EqualTo(new[] { ("complaint", 1), ("complaint-investigation", 1) }));
            Assert.That(roundTrip.Processes.Select(p => (p.Version, p.IsNew, p.DiagramReplaced)), Is.All.EqualTo((1, false, true)));
            Assert.That(moved.Processes.Select(p => (p.Version, p.IsNew, p.DiagramReplaced)), Is.All.EqualTo((1, false, true)));
            Assert.That(renamed.Processes.Select(p => (p.Version, p.IsNew)), Is.All.EqualTo((2, true)));
            Assert.That(await engine.Deployments.GetXmlAsync("complaint", 1), Does.Contain("""<bpmn:serviceTask id="check_history" """), "version 1 shows the last drawing");
        }
    }

    [Test]
    public async Task A_standard_document_ensured_again_after_a_newer_version_keeps_its_version_and_the_newer_stays_latest()
    {
        var engine = new WorkflowEngine();
        await engine.Deployments.EnsureDeployedAsync(s_handWritten, "journey-library");
        await engine.Deployments.DeployAsync(s_designed.Replace("""name="Review" """, """name="Check" """, StringComparison.Ordinal), "analyst");

        var ensured = (await engine.Deployments.EnsureDeployedAsync(s_designed, "journey-library")).Processes.Single();

        using (Assert.EnterMultipleScope())
        {
            Assert.That((ensured.Version, ensured.IsNew), Is.EqualTo((1, false)), "the library's model is version 1, redrawn or not");
            Assert.That(await engine.Deployments.GetDefinitionsAsync("p"), Has.Count.EqualTo(2), "no copy of version 1 as version 3");
            Assert.That(await engine.Deployments.GetXmlAsync("p"), Does.Contain("""name="Check" """), "the analyst's version stays the latest");
        }
    }

    [Test]
    public async Task A_standard_document_no_version_has_is_deployed_as_a_new_version()
    {
        var engine = new WorkflowEngine();
        await engine.Deployments.EnsureDeployedAsync(s_handWritten, "journey-library");

        var changed = (await engine.Deployments.EnsureDeployedAsync(s_designed.Replace("""priority="50" """, """priority="60" """, StringComparison.Ordinal))).Processes.Single();

        Assert.That((changed.Version, changed.IsNew), Is.EqualTo((2, true)));
    }

    private static Task<string> DesignerFileAsync(string name) =>
        File.ReadAllTextAsync(Path.Combine(TestContext.CurrentContext.TestDirectory, "Models", "Designer", name));
}
