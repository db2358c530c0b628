using System.Text;

namespace Workflows.Engine.Tests;

/// <summary>Builds small BPMN documents for tests: a process body wrapped in definitions with the usual namespaces.</summary>
internal static class Bpmn
{
    public static string Document(string body, string definitions = "") => $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                          xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
                          xmlns:wf="urn:workflows:bpmn:1.0"
                          xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                          id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn">
        {definitions}
        {body}
        </bpmn:definitions>
        """;

    public static string Process(string id, string body, string definitions = "", string extensions = "") =>
        Document($"""<bpmn:process id="{id}" isExecutable="true">{extensions}{body}</bpmn:process>""", definitions);

    /// <summary>Sequence flows joining the ids in order: Chain("a", "b", "c") is a→b, b→c.</summary>
    public static string Chain(params string[] ids)
    {
        var sb = new StringBuilder();
        for (var i = 0; i + 1 < ids.Length; i++)
        {
            sb.AppendLine(Flow(ids[i], ids[i + 1]));
        }

        return sb.ToString();
    }

    public static string Flow(string from, string to, string? condition = null, string? id = null)
    {
        var flowId = id ?? $"{from}_{to}";
        return condition is null
            ? $"""<bpmn:sequenceFlow id="{flowId}" sourceRef="{from}" targetRef="{to}"/>"""
            : $"""<bpmn:sequenceFlow id="{flowId}" sourceRef="{from}" targetRef="{to}"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{System.Security.SecurityElement.Escape(condition)}</bpmn:conditionExpression></bpmn:sequenceFlow>""";
    }

    public static string UserTask(string id, string extra = "") => $"""<bpmn:userTask id="{id}" name="{id}">{extra}</bpmn:userTask>""";

    public static string ServiceTask(string id, string type, string extra = "") =>
        $"""<bpmn:serviceTask id="{id}"><bpmn:extensionElements><zeebe:taskDefinition type="{type}"/>{extra}</bpmn:extensionElements></bpmn:serviceTask>""";

    public static string Message(string id, string name, string correlationKey) =>
        $"""<bpmn:message id="{id}" name="{name}"><bpmn:extensionElements><zeebe:subscription correlationKey="{correlationKey}"/></bpmn:extensionElements></bpmn:message>""";

    public static IReadOnlyDictionary<string, object?> Vars(params (string Name, object? Value)[] pairs) =>
        pairs.ToDictionary(p => p.Name, p => p.Value);
}
