// The namespace is the public type's, not the folder's: hosts' code compiles unchanged (docs/architecture.md §4).
namespace Workflows.Engine;

// The forms' part of the options users set: which variables no form may set.
public sealed partial class WorkflowEngineOptions
{
    /// <summary>
    /// Variables the engine and its host set and trust, which no person's form may set: <c>branch</c>,
    /// <c>branchSettings</c> and <c>calendar</c> (set for the branch a case runs for), <c>handoff</c> (where a handed-over
    /// case came from) and <c>caseId</c> (the business key, as a host's start gives it).
    /// </summary>
    /// <remarks>
    /// A form field keyed by one of them (a <c>wf:form</c> field, or a Camunda Form field form-js submits: any but a
    /// <c>disabled</c> one) is the deploy finding <c>FORM_FIELD_INVALID</c>: the page would fill it from the case and send
    /// it back, and a host that refuses these variables in a completion would refuse every completion of the task.
    /// A host adds its own.
    /// </remarks>
    public HashSet<string> SystemVariables { get; } = new(StringComparer.Ordinal) { "branch", "branchSettings", "calendar", "handoff", "caseId" };
}
