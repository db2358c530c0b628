namespace Workflows.Host.Tests;

/// <summary>A small process the hardening tests deploy: a start declaring one customer input, a message wait, a form with bounds, a regex script.</summary>
internal static class HardeningProcess
{
    public const string Id = "hardening";

    public const string RegexId = "hardening-regex";

    public static readonly string Xml = """
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:wf="urn:workflows:bpmn:1.0" id="hardening_definitions" targetNamespace="t">
          <bpmn:message id="m_reply" name="HardeningReply"><bpmn:extensionElements><zeebe:subscription correlationKey="=caseId"/></bpmn:extensionElements></bpmn:message>
          <bpmn:process id="hardening" name="Hardening" isExecutable="true">
            <bpmn:startEvent id="start"><bpmn:extensionElements><wf:form><wf:field id="summary" label="Summary" type="string" maxLength="10"/></wf:form></bpmn:extensionElements></bpmn:startEvent>
            <bpmn:intermediateCatchEvent id="reply" name="Customer replies"><bpmn:messageEventDefinition messageRef="m_reply"/></bpmn:intermediateCatchEvent>
            <bpmn:userTask id="rate" name="Rate the service"><bpmn:extensionElements><wf:userTask candidateGroups="front-desk"/><wf:form><wf:field id="score" label="Satisfaction (1 to 5)" type="number" required="true" min="1" max="5"/><wf:field id="amount" label="Amount" type="number" min="0"/></wf:form></bpmn:extensionElements></bpmn:userTask>
            <bpmn:endEvent id="end"/>
            <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="reply"/>
            <bpmn:sequenceFlow id="f2" sourceRef="reply" targetRef="rate"/>
            <bpmn:sequenceFlow id="f3" sourceRef="rate" targetRef="end"/>
          </bpmn:process>
          <bpmn:process id="hardening-regex" isExecutable="true">
            <bpmn:startEvent id="rs"/>
            <bpmn:scriptTask id="check"><bpmn:extensionElements><zeebe:script expression="=matches(text, &quot;^(a+)+$&quot;)" resultVariable="matched"/></bpmn:extensionElements></bpmn:scriptTask>
            <bpmn:endEvent id="re"/>
            <bpmn:sequenceFlow id="r1" sourceRef="rs" targetRef="check"/>
            <bpmn:sequenceFlow id="r2" sourceRef="check" targetRef="re"/>
          </bpmn:process>
        </bpmn:definitions>
        """;

    /// <summary>Deploys the process once per host.</summary>
    public static async Task DeployAsync(TestHost host)
    {
        var analyst = await host.As("alice");
        using var response = await analyst.PostAsync(new Uri("/api/definitions", UriKind.Relative), new StringContent(Xml, System.Text.Encoding.UTF8, "application/xml"));
        Assert.That((int)response.StatusCode, Is.InRange(200, 299), await response.Content.ReadAsStringAsync());
    }
}
