namespace Workflows.Host.Tests;

/// <summary>The small journeys host tests deploy, each of the one element kind the test is about.</summary>
internal static class TestJourneys
{
    /// <summary>A journey that waits at one user task <c>t</c> (for a batch to find instances to work on).</summary>
    public static string UserTask(string journey) => $"""
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:wf="urn:workflows:bpmn:1.0" id="d" targetNamespace="t">
          <bpmn:process id="{journey}" isExecutable="true"><bpmn:extensionElements><wf:journey branch="=branch" customerId="=customerId"/></bpmn:extensionElements>
            <bpmn:startEvent id="s"/><bpmn:userTask id="t"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t"/></bpmn:process>
        </bpmn:definitions>
        """;

    /// <summary>
    /// A journey whose service task <c>check</c> is a job of <paramref name="jobType"/> (3 retries); its BPMN error
    /// <paramref name="errorCode"/> is caught by a boundary event and ends at <c>declined</c>, a completion at <c>approved</c>.
    /// </summary>
    public static string ServiceTask(string journey, string jobType, string errorCode = "CREDIT_REJECTED") => $"""
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:wf="urn:workflows:bpmn:1.0" id="d" targetNamespace="t">
          <bpmn:error id="rejected" name="Rejected" errorCode="{errorCode}"/>
          <bpmn:process id="{journey}" name="Credit check" isExecutable="true">
            <bpmn:extensionElements><wf:journey branch="=branch"/></bpmn:extensionElements>
            <bpmn:startEvent id="start"/>
            <bpmn:serviceTask id="check" name="Check credit"><bpmn:extensionElements><zeebe:taskDefinition type="{jobType}" retries="3"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:boundaryEvent id="refused" attachedToRef="check"><bpmn:errorEventDefinition errorRef="rejected"/></bpmn:boundaryEvent>
            <bpmn:endEvent id="approved"/>
            <bpmn:endEvent id="declined"/>
            <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check"/>
            <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="approved"/>
            <bpmn:sequenceFlow id="f3" sourceRef="refused" targetRef="declined"/>
          </bpmn:process>
        </bpmn:definitions>
        """;
}
