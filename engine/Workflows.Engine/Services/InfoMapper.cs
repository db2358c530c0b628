using System.Text.Json;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Services;

/// <summary>Store rows as the public records the services hand out.</summary>
internal static class InfoMapper
{
    private static readonly JsonSerializerOptions FormJson = new() { PropertyNameCaseInsensitive = true };

    /// <exception cref="StoredTaskUnreadableException">The row's candidate lists or form cannot be read.</exception>
    public static UserTaskInfo ToInfo(UserTaskRecord t)
    {
        if (t.Problem is { } problem)
        {
            throw new StoredTaskUnreadableException(t.Id, t.InstanceId, problem);
        }

        try
        {
            return Info(t);
        }
        catch (JsonException e)
        {
            throw new StoredTaskUnreadableException(t.Id, t.InstanceId, $"its form_json column is not a form ({e.Message})");
        }
    }

    /// <summary>Each task as <see cref="ToInfo(UserTaskRecord)"/>, leaving out (and logging) those whose row cannot be read.</summary>
    public static List<UserTaskInfo> Readable(IReadOnlyList<UserTaskRecord> tasks, EngineLog log)
    {
        // Asked after every command by a caller driving an instance: a list of the exact size, walked by index (no enumerator).
        var infos = new List<UserTaskInfo>(tasks.Count);
        for (var i = 0; i < tasks.Count; i++)
        {
            var task = tasks[i];
            try
            {
                infos.Add(ToInfo(task));
            }
            catch (StoredTaskUnreadableException unreadable)
            {
                log.TaskUnreadable(unreadable.TaskId, unreadable.Message);
            }
        }

        return infos;
    }

    private static UserTaskInfo Info(UserTaskRecord t) =>
        new(t.Id, t.InstanceId, t.ElementId, t.Name, t.BusinessKey, t.Assignee, t.CandidateGroups, t.CandidateUsers, t.Priority, t.DueDate, t.FollowUpDate, t.CreatedAt)
        {
            ProcessId = t.ProcessId,
            Journey = t.Journey,
            CustomerId = t.CustomerId,
            Branch = t.Branch,
            Mark = t.Mark,
            Form = t.FormJson is null ? [] : s_forms.Get(t.FormJson).Fields,
            FormSchema = t.FormJson is null ? null : s_forms.Get(t.FormJson).Schema,
        };

    // A row's form as the task's info shows it, read once per form text (ParsedByText): next-task's answer and a
    // completion's check read it for every task. Fields and schema are immutable, so every info shares them.
    private static readonly ParsedByText<InfoForm> s_forms = new(json => TaskForm.IsCamundaForm(json)
        ? new InfoForm(FieldsOf(json).AsReadOnly(), JsonDocument.Parse(json).RootElement.Clone())
        : new InfoForm((JsonSerializer.Deserialize<List<TaskFormField>>(json, FormJson) ?? []).AsReadOnly(), null));

    private sealed record InfoForm(IReadOnlyList<TaskFormField> Fields, JsonElement? Schema);

    // A Camunda Form's input fields in the engine's own terms, for callers that list fields rather than render the form.
    private static List<TaskFormField> FieldsOf(string formJson) =>
        TaskForm.Read(formJson)!.Fields.Select(f => new TaskFormField(f.Key, f.Label, f.Type switch
        {
            "number" => "number",
            "checkbox" => "boolean",
            "datetime" => "date",
            "select" or "radio" => "enum",
            "checklist" or "taglist" => "list",
            _ => "string",
        }, f.Required, f.Options ?? []) { Disabled = !f.Submitted }).ToList();

    public static IncidentInfo ToInfo(IncidentRecord i) => new(i.Id, i.InstanceId, i.ElementId, i.Message, i.CreatedAt);

    public static JobInfo ToInfo(JobRecord j) =>
        new(j.Id, j.InstanceId, j.ElementId, j.Type, j.Retries, Execution.ToDictionary(Execution.VariablesFromJson(j.VariablesJson)), Headers(j));

    public static IReadOnlyDictionary<string, string> Headers(JobRecord j) => JsonSerializer.Deserialize<Dictionary<string, string>>(j.HeadersJson) ?? [];

    public static OutgoingMessage ToOutgoing(OutboxRecord row)
    {
        var headers = row.Headers;
        return new OutgoingMessage(row.Id, row.InstanceId, row.ElementId, row.MessageName, row.CorrelationKey,
            Execution.ToDictionary(Execution.VariablesFromJson(row.VariablesJson)))
        {
            Kind = row.Kind,
            TimeToLive = headers.TimeToLive,
            Handoff = headers.Handoff,
            PublishedAt = row.PublishedAt,
            ParkedAt = row.ParkedAt,
            ParkedReason = row.ParkedReason,
        };
    }
}
