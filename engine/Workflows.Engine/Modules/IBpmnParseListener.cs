using System.Xml.Linq;
using Workflows.Engine.Model;

namespace Workflows.Engine.Modules;

/// <summary>
/// A module's seam into the parser: told of each element and process as it is read, it reads its own
/// extension elements (in <see cref="BpmnParser.WorkflowsNs"/>) and keeps what it read as a part of the
/// model (<see cref="FlowNode.Part{T}"/>, <see cref="ProcessModel.Part{T}"/>). Problems go to the parser's
/// findings (<see cref="BpmnParser.Error(string, string?, XElement, string)"/>), never thrown.
/// </summary>
internal interface IBpmnParseListener
{
    /// <summary>The extension elements (<c>wf:</c> or <c>zeebe:</c>) this listener reads on flow nodes, which <see cref="BpmnCoverage"/> therefore does not report.</summary>
    IReadOnlyCollection<string> NodeExtensions => [];

    /// <summary>The extension elements this listener reads on a process.</summary>
    IReadOnlyCollection<string> ProcessExtensions => [];

    /// <summary>An element (or the process's own scope, <see cref="NodeKind.Process"/>) was read with its extension elements.</summary>
    void OnElement(BpmnParser parser, XElement element, FlowNode node);

    /// <summary>A process was read whole: its elements, flows and boundaries.</summary>
    void OnProcess(BpmnParser parser, XElement element, ProcessModel process);
}

/// <summary>A module's checks of a parsed process at deploy, beside the core's (<see cref="Validation.ModelValidator"/>).</summary>
internal interface IModelCheck
{
    void Check(ProcessModel process, WorkflowEngineOptions options, List<Validation.ValidationFinding> findings);
}
