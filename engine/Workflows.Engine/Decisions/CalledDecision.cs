using System.Xml.Linq;
using Workflows.Engine.Model;
using Workflows.Engine.Modules;
using static Workflows.Engine.Model.BpmnParser;

namespace Workflows.Engine.Decisions;

/// <summary>Which version of a called decision a business rule task evaluates (Camunda 8's <c>bindingType</c>).</summary>
internal enum DecisionBinding
{
    /// <summary>The version the instance's branch pinned, else the decision's standard (while none is approved: the latest for no branch, none for a branch).</summary>
    Latest,

    /// <summary>The version deployed together with the instance's process version.</summary>
    Deployment,

    /// <summary>The pinned version when it carries the tag, else the latest version that carries it.</summary>
    VersionTag,
}

/// <summary>A business rule task's <c>zeebe:calledDecision</c>: the decision it evaluates and the variable its result goes to.</summary>
internal sealed record CalledDecision(ModelExpression DecisionId, string ResultVariable, DecisionBinding Binding, string? VersionTag);

/// <summary>Reads <c>zeebe:calledDecision</c> on business rule tasks (a task with a <c>zeebe:taskDefinition</c> stays a job).</summary>
internal sealed class CalledDecisionParseListener : IBpmnParseListener
{
    public static CalledDecisionParseListener Instance { get; } = new();

    public void OnElement(BpmnParser parser, XElement element, FlowNode node)
    {
        if (node.Kind != NodeKind.BusinessRuleTask
            || element.Element(XName.Get("extensionElements", BpmnNs))?.Element(XName.Get("calledDecision", ZeebeNs)) is not { } x)
        {
            return;
        }

        var decisionId = Attr(x, "decisionId");
        var result = Attr(x, "resultVariable");
        if (string.IsNullOrWhiteSpace(decisionId) || string.IsNullOrWhiteSpace(result))
        {
            parser.Error("CALLED_DECISION_INVALID", node.Id, x, "zeebe:calledDecision needs a decisionId and a resultVariable");
            return;
        }

        var bindingText = Attr(x, "bindingType") ?? "latest";
        DecisionBinding? binding = bindingText switch
        {
            "latest" => DecisionBinding.Latest,
            "deployment" => DecisionBinding.Deployment,
            "versionTag" => DecisionBinding.VersionTag,
            _ => null,
        };
        var versionTag = Attr(x, "versionTag");
        if (binding is null)
        {
            parser.Error("CALLED_DECISION_INVALID", node.Id, x, $"bindingType '{bindingText}' is not one of latest, deployment, versionTag");
            return;
        }

        if (binding == DecisionBinding.VersionTag && string.IsNullOrWhiteSpace(versionTag))
        {
            parser.Error("CALLED_DECISION_INVALID", node.Id, x, "bindingType versionTag needs a versionTag");
            return;
        }

        node.AddPart(new CalledDecision(parser.Expression(decisionId, x, "decisionId"), result, binding.Value, versionTag));
    }

    public void OnProcess(BpmnParser parser, XElement element, ProcessModel process)
    {
    }
}
