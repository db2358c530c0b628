using System.Globalization;
using System.Text.Json;
using Workflows.Engine.Feel;
using Workflows.Engine.Storage;

namespace Workflows.Engine;

/// <summary>Completion variables that do not fit the task's form: one message per field.</summary>
public sealed class TaskFormException(IReadOnlyDictionary<string, string> fieldErrors)
    : WorkflowInputException("the task's form is not filled in correctly: " + string.Join("; ", fieldErrors.Select(e => $"{e.Key}: {e.Value}")))
{
    /// <summary>Field id → what is wrong with it.</summary>
    public IReadOnlyDictionary<string, string> FieldErrors { get; } = fieldErrors;
}

/// <summary>Checks completion variables against a task's form fields.</summary>
internal static class TaskForm
{
    private sealed record Field(string Id, string Label, string Type, bool Required, List<string> Values);

    public static void Validate(UserTaskRecord task, FeelContext variables)
    {
        if (task.FormJson is null)
        {
            return;
        }

        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in JsonSerializer.Deserialize<List<Field>>(task.FormJson) ?? [])
        {
            var present = variables.TryGetValue(field.Id, out var value) && value is not null && value is not "";
            if (!present)
            {
                if (field.Required)
                {
                    errors[field.Id] = $"{field.Label} is required";
                }

                continue;
            }

            var problem = field.Type switch
            {
                "number" when value is not decimal => "must be a number",
                "boolean" when value is not bool => "must be true or false",
                "date" when value is not DateOnly && !(value is string s && DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)) => "must be a date (yyyy-MM-dd)",
                "enum" when value is not string option || !field.Values.Contains(option, StringComparer.Ordinal) => $"must be one of {string.Join(", ", field.Values)}",
                "string" when value is not string => "must be text",
                _ => null,
            };
            if (problem is not null)
            {
                errors[field.Id] = $"{field.Label} {problem}";
            }
        }

        if (errors.Count > 0)
        {
            throw new TaskFormException(errors);
        }
    }
}
