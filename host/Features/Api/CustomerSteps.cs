using System.Xml.Linq;
using Workflows.Engine;
using Workflows.Host.Features.Security;

namespace Workflows.Host.Features.Api;

/// <summary>
/// A step as the customer sees it in the tracker (<c>wf:customerStep</c> on a flow element): the journey's own words for
/// it, never the internal step name, and whether the customer answers the task's form there (a satisfaction survey).
/// </summary>
internal sealed record CustomerStep(string Label, bool CustomerAnswers)
{
    public static IReadOnlyDictionary<string, CustomerStep> Read(XElement process) =>
        process.Descendants().Where(e => e.Name.NamespaceName == process.Name.NamespaceName && e.Attribute("id") is not null)
            .Select(e => (Id: (string)e.Attribute("id")!, Step: e.Elements(XName.Get("extensionElements", process.Name.NamespaceName)).Elements(XName.Get("customerStep", "urn:workflows:bpmn:1.0")).FirstOrDefault()))
            .Where(x => x.Step is not null && !string.IsNullOrWhiteSpace((string?)x.Step.Attribute("label")))
            .ToDictionary(x => x.Id, x => new CustomerStep(((string)x.Step!.Attribute("label")!).Trim(),
                string.Equals((string?)x.Step.Attribute("customerAnswers"), "true", StringComparison.OrdinalIgnoreCase)), StringComparer.Ordinal);
}

/// <summary>A question the journey asks the customer now: an open task marked <c>customerAnswers</c>, with its form.</summary>
internal sealed record CustomerQuestion(Guid TaskId, string Title, System.Text.Json.JsonElement? FormSchema, IReadOnlyList<TaskFormField> Fields)
{
    /// <summary>The form's fields the engine sets alone (a form kept from before they were refused): the tracker never sends them.</summary>
    public IReadOnlyList<string> EngineOwned => InputRules.EngineOwnedOf(Fields);
}

/// <summary>
/// The customer answers the questions of its own case in the tracker: <c>POST /api/instances/{id}/answers/{taskId}</c>
/// completes the task with the form's values, checked by the engine as an agent's completion is (422 per field and rule).
/// A case or task that is not the customer's, or a task the journey does not give the customer, is 404: a customer
/// learns nothing of what it may not answer.
/// </summary>
internal static class CustomerAnswersApi
{
    public static void MapCustomerAnswers(this IEndpointRouteBuilder api)
    {
        api.MapPost("/instances/{id}/answers/{taskId}", AnswerAsync).WithTags("Instances")
            .RequireAuthorization(p => p.RequireRole(Roles.Customer)).WithName("AnswerQuestion")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("The customer answers a question of its own case (a task the journey marks customerAnswers, such as the satisfaction survey) with the form's values.");
    }

    /// <summary>The open questions of the case for its customer, in the journey's words.</summary>
    public static async Task<IReadOnlyList<CustomerQuestion>> OpenAsync(Guid instanceId, ProcessNames names, WorkflowEngine engine, CancellationToken ct) =>
        (await engine.Tasks.GetOpenAsync(instanceId, ct))
            .Where(t => names.CustomerSteps.TryGetValue(t.ElementId, out var step) && step.CustomerAnswers && t.Assignee is null)
            .Select(t => new CustomerQuestion(t.Id, names.CustomerSteps[t.ElementId].Label, t.FormSchema, t.Form))
            .ToList();

    private static async Task<IResult> AnswerAsync(Guid id, Guid taskId, CompleteRequest? request, HttpContext http, WorkflowEngine engine, ApiLimits limits, ProcessCatalog catalog, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var snapshot = await engine.Queries.GetInstanceAsync(id, ct);
        var names = await catalog.GetAsync(snapshot.ProcessId, snapshot.Version, ct);
        if (caller.CustomerId is null || snapshot.CustomerId != caller.CustomerId || names.StartedByHandoff)
        {
            throw new WorkflowNotFoundException($"you have no case {id}");
        }

        var question = (await OpenAsync(id, names, engine, ct)).FirstOrDefault(q => q.TaskId == taskId)
            ?? throw new WorkflowNotFoundException($"case {snapshot.BusinessKey ?? id.ToString()} asks you no question {taskId} now (answered already, or not yours to answer)");
        var task = await engine.Tasks.GetAsync(question.TaskId, ct);
        TasksApi.CheckCompletion(limits, task, request?.Variables);
        try
        {
            await engine.Tasks.CompleteAsync(task.Id, ApiJson.Variables(request?.Variables), caller.Name, ct);
        }
        catch (WorkflowConflictException)
        {
            // Taken by someone of the organisation meanwhile: the customer is not told who.
            throw new WorkflowConflictException($"case {snapshot.BusinessKey ?? id.ToString()}: our team is already answering this question with you");
        }

        return Results.NoContent();
    }
}
