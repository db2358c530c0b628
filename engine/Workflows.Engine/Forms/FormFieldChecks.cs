using Workflows.Engine.Model;
using Workflows.Engine.Modules;
using Workflows.Engine.Validation;

namespace Workflows.Engine.Forms;

/// <summary>
/// The forms' checks at deploy that need the engine's options: no field a person fills in is keyed by a variable the
/// engine sets alone (<see cref="WorkflowEngineOptions.SystemVariables"/>), and no <c>wf:form</c> field by a name the pages
/// cannot hold (<c>__proto__</c>, <c>prototype</c>, <c>constructor</c>). A Camunda Form's own key rules are its reader's
/// (<see cref="TaskFormSchema"/>: <c>FORM_INVALID</c>).
/// </summary>
internal sealed class FormFieldChecks : IModelCheck
{
    public static FormFieldChecks Instance { get; } = new();

    public void Check(ProcessModel process, WorkflowEngineOptions options, List<ValidationFinding> findings)
    {
        foreach (var node in process.Nodes.Values)
        {
            if (node.UserTask is not { } task)
            {
                continue;
            }

            foreach (var field in task.FormFields)
            {
                if (FormKeys.IsProhibited(field.Id))
                {
                    Add(node, findings, $"form field '{field.Id}' has a name the pages cannot hold as a value's key ({string.Join(", ", FormKeys.Prohibited)}): rename it");
                }
                else if (options.SystemVariables.Contains(field.Id))
                {
                    Add(node, findings, Reserved(field.Id, field.Id, options));
                }
            }

            // A disabled field is shown, never submitted by form-js: it may show the case's own values.
            foreach (var field in task.CamundaForm?.Fields.Where(f => f.Submitted && options.SystemVariables.Contains(f.Path[0])) ?? [])
            {
                Add(node, findings, Reserved(field.Key, field.Path[0], options));
            }

            // A dynamic list sends its rows as one value under its path.
            foreach (var list in task.CamundaForm?.Lists.Where(l => options.SystemVariables.Contains(l[0])) ?? [])
            {
                Add(node, findings, Reserved(string.Join('.', list), list[0], options));
            }
        }
    }

    private static string Reserved(string field, string variable, WorkflowEngineOptions options) =>
        $"form field '{field}' sets the variable '{variable}', which the engine sets alone ({string.Join(", ", options.SystemVariables.Order(StringComparer.Ordinal))}): "
        + "a completion setting it is refused, and the page fills it from the case; give the field another key, or make it disabled to only show the value";

    private static void Add(FlowNode node, List<ValidationFinding> findings, string message) =>
        findings.Add(new ValidationFinding(FindingSeverity.Error, "FORM_FIELD_INVALID", node.Id, node.Position.Line, node.Position.Column, message));
}
