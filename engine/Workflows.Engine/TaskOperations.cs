using System.Text.Json;
using Workflows.Engine.Feel;
using Workflows.Engine.Forms;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine;

/// <summary>Completion variables that do not fit the task's form: one message per field.</summary>
public sealed class TaskFormException(IReadOnlyDictionary<string, string> fieldErrors)
    : WorkflowInputException("the task's form is not filled in correctly: " + string.Join("; ", fieldErrors.Select(e => $"{e.Key}: {e.Value}")))
{
    /// <summary>Field id → what is wrong with it.</summary>
    public IReadOnlyDictionary<string, string> FieldErrors { get; } = fieldErrors;

    /// <summary>
    /// Field id → the rule it broke: <c>required</c>, <c>type</c>, <c>min</c>, <c>max</c>, <c>minLength</c>,
    /// <c>maxLength</c>, <c>pattern</c>, <c>email</c>, <c>phone</c> or <c>options</c> (form-js's validation rules).
    /// </summary>
    public IReadOnlyDictionary<string, string> FieldRules { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// A task's form as the task row keeps it, and the check of completion variables against it. A row holds either the
/// engine's own fields (<c>wf:form</c>, a JSON list) or a Camunda Form (form-js JSON, an object), copied from the model
/// when the task opened, so that the task is checked against the form it was shown with.
/// </summary>
internal static class TaskForm
{
    private static readonly JsonSerializerOptions s_read = new() { PropertyNameCaseInsensitive = true };

    // The wf:form fields as the rows keep them, written once per task definition of a parsed model (immutable, shared by
    // every instance of its version) rather than once per task opened: 1.9 % of the host's CPU on HTTP starts.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<UserTaskDefinition, string> s_fieldsJson = new();

    /// <summary>The form the task row keeps; null when the task has none.</summary>
    public static string? ToJson(UserTaskDefinition spec) =>
        spec.FormFields.Count > 0
            ? s_fieldsJson.GetValue(spec, static s => JsonSerializer.Serialize(s.FormFields.Select(f => new { f.Id, f.Label, f.Type, f.Required, f.Values, f.Min, f.Max, f.MinLength, f.MaxLength, f.Pattern })))
            : spec.CamundaForm?.Json;

    /// <summary>Whether the row's form is a Camunda Form (form-js JSON) rather than the engine's own fields.</summary>
    public static bool IsCamundaForm(string? formJson) => formJson is not null && formJson.AsSpan().TrimStart().StartsWith("{", StringComparison.Ordinal);

    // The forms as read from their rows: every task an agent takes or completes reads its form (its answer, the check
    // of a completion), and a version's tasks all keep the same text.
    private static readonly ParsedByText<TaskFormSchema> s_readForms = new(Parse);

    /// <summary>The row's form with its rules; null when the task has none.</summary>
    public static TaskFormSchema? Read(string? formJson) => formJson is null ? null : s_readForms.Get(formJson);

    private static TaskFormSchema Parse(string formJson)
    {
        if (IsCamundaForm(formJson))
        {
            // Checked when the model was deployed: a problem now would be the row's, not the person's.
            return TaskFormSchema.Read(formJson, []);
        }

        var fields = JsonSerializer.Deserialize<List<StoredField>>(formJson, s_read) ?? [];
        return TaskFormSchema.FromFields(fields.Select(f => new FormField(f.Id, f.Label, f.Type, f.Required, f.Values ?? [])
        {
            Min = f.Min, Max = f.Max, MinLength = f.MinLength, MaxLength = f.MaxLength, Pattern = f.Pattern,
        }).ToList());
    }

    /// <exception cref="TaskFormException">A field is missing or breaks one of its rules: every field's problem at once.</exception>
    public static void Validate(UserTaskRecord task, FeelContext variables)
    {
        if (Read(task.FormJson) is not { } form)
        {
            return;
        }

        var problems = FormValidator.Check(form, variables);
        if (problems.Count > 0)
        {
            throw new TaskFormException(problems.ToDictionary(p => p.Key, p => p.Message, StringComparer.Ordinal))
            {
                FieldRules = problems.ToDictionary(p => p.Key, p => p.Rule, StringComparer.Ordinal),
            };
        }
    }

    // Rows written before bounds were kept have none of them.
    private sealed record StoredField(string Id, string Label, string Type, bool Required, List<string>? Values, decimal? Min, decimal? Max, int? MinLength, int? MaxLength, string? Pattern);
}
