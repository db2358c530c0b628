using System.Xml.Linq;
using Workflows.Engine.Forms;

namespace Workflows.Engine.Model;

/// <summary>
/// Camunda Forms on user tasks, as Camunda 8 links them: <c>zeebe:formDefinition formKey="camunda-forms:bpmn:ID"</c>
/// pointing at a <c>zeebe:userTaskForm id="ID"</c> that holds the form-js JSON in the process's extension elements.
/// </summary>
internal sealed partial class BpmnParser
{
    /// <summary>The prefix of a form key naming a form embedded in the process.</summary>
    public const string EmbeddedFormKeyPrefix = "camunda-forms:bpmn:";

    private TaskFormSchema? ReadCamundaForm(XElement element, XElement definition, string elementId)
    {
        var formKey = Attr(definition, "formKey");
        if (Attr(definition, "formId") is { Length: > 0 } formId)
        {
            // Linked forms are deployed resources (.form files) resolved at run time; this engine deploys BPMN and DMN only.
            Error("FORM_NOT_FOUND", elementId, definition,
                $"the form '{formId}' is linked by formId, and this engine does not deploy .form files: embed the form (zeebe:userTaskForm with formKey=\"{EmbeddedFormKeyPrefix}…\", as the designer saves it) or describe its fields with wf:form");
            return null;
        }

        if (formKey is null || !formKey.StartsWith(EmbeddedFormKeyPrefix, StringComparison.Ordinal))
        {
            // A custom form key (or externalReference) is for an application of the organisation's own: the inbox shows
            // no form for it, and a completion sets no variable but the ones a form declares.
            var what = formKey is null ? Attr(definition, "externalReference") is { } external ? $"the external form '{external}'" : "no form" : $"the custom form key '{formKey}'";
            var at = Pos(definition);
            Warning("FORM_EXTERNAL", elementId, at.Line, at.Column, $"the task names {what}: the inbox renders no form for it; embed a Camunda Form or use wf:form for one the inbox shows and the server checks");
            return null;
        }

        var id = formKey[EmbeddedFormKeyPrefix.Length..];
        var process = element.Ancestors(XName.Get("process", BpmnNs)).FirstOrDefault();
        var embedded = process?.Element(XName.Get("extensionElements", BpmnNs))?.Elements(XName.Get("userTaskForm", ZeebeNs))
            .FirstOrDefault(f => Attr(f, "id") == id);
        if (embedded is null)
        {
            Error("FORM_NOT_FOUND", elementId, definition, $"the form key '{formKey}' names the form '{id}', and the process embeds no zeebe:userTaskForm with that id");
            return null;
        }

        var problems = new List<string>();
        var form = TaskFormSchema.Read(embedded.Value, problems);
        foreach (var problem in problems)
        {
            Error("FORM_INVALID", elementId, embedded, $"the form '{id}': {problem}");
        }

        return problems.Count == 0 ? form : null;
    }
}
