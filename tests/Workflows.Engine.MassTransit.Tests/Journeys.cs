using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.MassTransit.Tests;

/// <summary>The front-office and back-office models the suite hands work between.</summary>
internal static class Journeys
{
    private const string Messages = """
        <bpmn:message id="m_request" name="AssessmentRequested"><bpmn:extensionElements><zeebe:subscription correlationKey="=caseId"/></bpmn:extensionElements></bpmn:message>
        <bpmn:message id="m_done" name="AssessmentDone"><bpmn:extensionElements><zeebe:subscription correlationKey="=caseId"/></bpmn:extensionElements></bpmn:message>
        """;

    private const string Collaboration = """
        <bpmn:collaboration id="collaboration">
          <bpmn:participant id="front_office" name="Front office" processRef="front"/>
          <bpmn:participant id="back_office" name="Back office" processRef="back"/>
          <bpmn:messageFlow id="request" sourceRef="handoff" targetRef="back_office"/>
        </bpmn:collaboration>
        """;

    /// <summary>The front office hands the case to the back-office pool and waits for its answer, under a level-1 promise.</summary>
    public static string Front => Document(Collaboration + FrontProcess, Messages);

    /// <summary>The front office without its collaboration: its request names no target, so every engine tries to correlate it.</summary>
    public static string Untargeted => Document(FrontProcess, Messages);

    /// <summary>A front office (process <c>stray</c>) whose request targets a process no engine runs.</summary>
    public static string Stray => Document(Collaboration.Replace("processRef=\"front\"", "processRef=\"stray\"", StringComparison.Ordinal).Replace("processRef=\"back\"", "processRef=\"nowhere\"", StringComparison.Ordinal)
        + FrontProcess.Replace("<bpmn:process id=\"front\"", "<bpmn:process id=\"stray\"", StringComparison.Ordinal), Messages);

    private static string FrontProcess => $"""
        <bpmn:process id="front" isExecutable="true">
          <bpmn:extensionElements><wf:commitment level="1" name="Answered within 8 hours" target="PT8H"/></bpmn:extensionElements>
          <bpmn:startEvent id="start"/>
          <bpmn:sendTask id="handoff" messageRef="m_request"/>
          <bpmn:receiveTask id="answer" messageRef="m_done"/>
          <bpmn:endEvent id="end"/>
          {Chain("start", "handoff", "answer", "end")}
        </bpmn:process>
        """;

    /// <summary>The back office starts on the front office's request, works it in a queue, and answers.</summary>
    public static string Back => Document($"""
        <bpmn:process id="back" isExecutable="true">
          <bpmn:startEvent id="requested"><bpmn:messageEventDefinition messageRef="m_request"/></bpmn:startEvent>
          <bpmn:userTask id="assess"><bpmn:extensionElements><wf:userTask candidateGroups="back-office"/></bpmn:extensionElements></bpmn:userTask>
          <bpmn:endEvent id="answered"><bpmn:messageEventDefinition messageRef="m_done"/></bpmn:endEvent>
          {Chain("requested", "assess", "answered")}
        </bpmn:process>
        """, Messages);

    /// <summary>A back-office case that waits for documents the customer sends, which may come before it waits.</summary>
    public static string Documents => Process("documents", $"""
        <bpmn:startEvent id="start"/>
        <bpmn:userTask id="check"/>
        <bpmn:receiveTask id="wait" messageRef="m_docs"/>
        <bpmn:endEvent id="end"/>
        {Chain("start", "check", "wait", "end")}
        """, """<bpmn:message id="m_docs" name="DocumentsArrived"><bpmn:extensionElements><zeebe:subscription correlationKey="=caseId"/></bpmn:extensionElements></bpmn:message>""");

    /// <summary>A credit check done by an outside worker; a rejection is a BPMN error the model catches.</summary>
    public static string CreditCheck(string jobType) => Process("credit", $"""
        <bpmn:startEvent id="start"/>
        <bpmn:serviceTask id="score"><bpmn:extensionElements><wf:taskDefinition type="{jobType}" retries="3" external="true"/></bpmn:extensionElements></bpmn:serviceTask>
        <bpmn:boundaryEvent id="rejected" attachedToRef="score"><bpmn:errorEventDefinition errorRef="e_rejected"/></bpmn:boundaryEvent>
        <bpmn:endEvent id="approved_end"/>
        <bpmn:endEvent id="rejected_end"/>
        {Chain("start", "score", "approved_end")}
        {Flow("rejected", "rejected_end")}
        """, """<bpmn:error id="e_rejected" errorCode="REJECTED"/>""");
}
