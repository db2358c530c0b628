using System.Text.Json;
using Workflows.Engine;
using Workflows.Host.Features.Security;

namespace Workflows.Host.Features.Api;

/// <summary>
/// The agents' queues: list (an agent sees its own queues in its own branch, a supervisor its branch), pull the next
/// task, and work one: claim, unclaim, delegate, complete, comment. A task outside the agent's queues or branch is 403.
/// </summary>
internal static class TasksApi
{
    public static void MapTasks(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/tasks").WithTags("Tasks");
        group.MapGet("", QueryAsync).RequireAuthorization(p => p.RequireRole(Roles.Agent, Roles.Supervisor)).WithName("QueryTasks")
            .WithSummary("A page of open tasks, by SLA time left (breached first), priority or age, filtered by their instance's searchable variables (var.amount.gte=100); pass nextCursor back for the next page.");
        group.MapPost("/next", async (NextRequest? request, HttpContext http, WorkflowEngine engine, CancellationToken ct) =>
            {
                var caller = Caller.From(http.User);
                var task = await engine.Tasks.NextAsync(caller.Name, OwnQueues(caller, request?.Queues), caller.BranchFilter, ct);
                return task is null ? Results.NoContent() : Results.Ok(task);
            })
            .RequireAuthorization(p => p.RequireRole(Roles.Agent)).WithName("NextTask")
            .Produces<UserTaskInfo>().Produces(StatusCodes.Status204NoContent).WithSummary("The agent's next task: an open task of the agent's queues that the agent already holds (a completion cut off after its claim leaves none stranded), the most urgent first; else the most urgent unclaimed one, claimed for the agent.");
        group.MapGet("/{id}", async (Guid id, HttpContext http, WorkflowEngine engine, CancellationToken ct) => await VisibleAsync(http, engine, id, ct))
            .RequireAuthorization(p => p.RequireRole(Roles.Agent, Roles.Supervisor)).WithName("GetTask");
        group.MapPost("/{id}/claim", (Guid id, HttpContext http, WorkflowEngine engine, CancellationToken ct) =>
            WorkAsync(http, engine, id, (caller, task) => engine.Tasks.ClaimAsync(task.Id, caller.Name, ct), ct))
            .RequireAuthorization(p => p.RequireRole(Roles.Agent)).WithName("ClaimTask").Produces<UserTaskInfo>().ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id}/unclaim", (Guid id, HttpContext http, WorkflowEngine engine, CancellationToken ct) =>
            WorkAsync(http, engine, id, (caller, task) => engine.Tasks.UnclaimAsync(task.Id, caller.Name, ct), ct))
            .RequireAuthorization(p => p.RequireRole(Roles.Agent)).WithName("UnclaimTask").Produces<UserTaskInfo>().ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id}/delegate", (Guid id, DelegateRequest request, HttpContext http, WorkflowEngine engine, ApiLimits limits, UserDirectory users, CancellationToken ct) =>
            {
                var to = InputRules.Name(request.To, "to (the user the task is delegated to)", limits);
                // To an agent this host knows, of a branch that covers the task's: anyone else would never see the task again.
                return WorkAsync(http, engine, id, (caller, task) => engine.Tasks.DelegateAsync(task.Id, caller.Name, users.DelegationTarget(to, task.Branch).Name, ct), ct);
            })
            .RequireAuthorization(p => p.RequireRole(Roles.Agent)).WithName("DelegateTask").Produces<UserTaskInfo>().ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id}/comment", (Guid id, CommentRequest request, HttpContext http, WorkflowEngine engine, ApiLimits limits, CancellationToken ct) =>
            {
                var text = !InputRules.IsVisible(request.Text)
                    ? throw new WorkflowInputException("text: a comment needs some visible text (white space and invisible characters such as zero-width spaces do not count)")
                    : InputRules.Text(request.Text, "text", limits.MaxCommentLength, nameof(ApiLimits.MaxCommentLength))!;
                return WorkAsync(http, engine, id, (caller, task) => task.Assignee is { } holder && holder != caller.Name
                    ? throw new WorkflowConflictException($"task {task.Id} is claimed by {holder}; only the agent holding it comments on it")
                    : engine.Tasks.CommentAsync(task.Id, caller.Name, text, ct), ct);
            })
            .RequireAuthorization(p => p.RequireRole(Roles.Agent)).WithName("CommentTask").Produces<UserTaskInfo>().ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id}/complete", async (Guid id, CompleteRequest? request, HttpContext http, WorkflowEngine engine, ApiLimits limits, CancellationToken ct) =>
            {
                // Checked on the task row the command reads (before it is found closed or held by another agent), not on
                // a read of the endpoint's own: the same checks in the same order, one read fewer.
                var caller = Caller.From(http.User);
                var variables = request?.Variables;
                await engine.Tasks.CompleteCheckedAsync(id, task =>
                {
                    MaySee(caller, task, id);
                    CheckCompletion(limits, task, variables);
                    return ApiJson.Variables(variables);
                }, caller.Name, ct);
                return Results.NoContent();
            })
            .RequireAuthorization(p => p.RequireRole(Roles.Agent)).WithName("CompleteTask")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("Completes the task with the form's values (a wf:form or a Camunda Form); a wrong field is 422 with an error and the broken rule per field (errors, rules), a variable the form does not have 400, and nothing moves.");
    }

    private static async Task<TaskPage> QueryAsync(HttpContext http, WorkflowEngine engine, ApiLimits limits,
        string[]? queue, string? assignee, bool? unassigned, string? slaState, string? customerId, string? businessKey, string? sort, int? pageSize, string? cursor,
        CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var queues = caller.Is(Roles.Supervisor) ? queue ?? [] : OwnQueues(caller, queue);
        return await engine.Tasks.QueryAsync(new TaskQuery
        {
            Queues = queues,
            Branch = caller.BranchFilter,
            Assignee = assignee,
            Unassigned = unassigned,
            SlaState = QueryEnum<SlaState>(slaState, "slaState", limits),
            CustomerId = customerId,
            BusinessKey = businessKey,
            Sort = QueryEnum<TaskSort>(sort, "sort", limits) ?? TaskSort.SlaTimeLeft,
            PageSize = limits.PageSize(pageSize),
            Cursor = cursor,
            Variables = VariableQuery.Parse(http.Request.Query, limits),
        }, ct);
    }

    /// <summary>
    /// A query parameter naming one of an enum's values in any case: the API writes them in camel case
    /// (<c>slaTimeLeft</c>, <c>atRisk</c>), .NET's binding would take only its own Pascal case and call anything else
    /// "not an object". A value that is none of them is 400 listing them.
    /// </summary>
    private static T? QueryEnum<T>(string? value, string name, ApiLimits limits) where T : struct, Enum =>
        value is null ? null
        : Enum.TryParse<T>(value, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !value.Any(char.IsDigit) ? parsed
        : throw new WorkflowInputException($"{name}: '{InputRules.Text(value, name, limits.MaxNameLength, nameof(ApiLimits.MaxNameLength))}' is none of {string.Join(", ", Enum.GetNames<T>().Select(JsonNamingPolicy.CamelCase.ConvertName))}");

    /// <summary>
    /// A completion sets the form's fields only (400 naming the others); a task without a form sets no system or party
    /// variable. Every rule of the form (required, bounds, lengths, patterns, options) is the engine's to check, with
    /// every field's error at once (422). Checked before the engine runs, so nothing moves on a refusal.
    /// </summary>
    internal static void CheckCompletion(ApiLimits limits, UserTaskInfo task, Dictionary<string, JsonElement>? variables)
    {
        InputRules.CheckVariables(variables, limits);
        InputRules.RefuseReserved(variables, "a task's completion", InputRules.SystemVariables);
        if (task.Form.Count > 0 || task.FormSchema is not null)
        {
            // A field inside a group sets a variable named by the group's path: only the form's fields, at every level.
            CompletionFields.Of(task.Form).Check(variables, $"the form of task '{task.Name ?? task.ElementId}'");
        }
        else
        {
            InputRules.RefuseReserved(variables, "a task's completion", InputRules.PartyVariables);
        }
    }

    /// <summary>The queues asked for, all of which must be the agent's; none asked means all of them.</summary>
    internal static IReadOnlyList<string> OwnQueues(Caller caller, IReadOnlyList<string>? asked)
    {
        if (asked is null || asked.Count == 0)
        {
            return caller.Queues;
        }

        var foreign = asked.Except(caller.Queues, StringComparer.Ordinal).ToList();
        return foreign.Count == 0 ? asked : throw new ForbiddenException($"{caller.Name} does not work the queue(s) {InputRules.Few(foreign)}");
    }

    /// <summary>The task, when the caller may see it: a supervisor of its branch, or an agent of its branch holding it or one of its queues.</summary>
    internal static async Task<UserTaskInfo> VisibleAsync(HttpContext http, WorkflowEngine engine, Guid id, CancellationToken ct)
    {
        var task = await engine.Tasks.GetAsync(id, ct);
        MaySee(Caller.From(http.User), task, id);
        return task;
    }

    /// <summary>Refuses a task the caller may not see: 404 for another branch's, 403 for one of a queue the agent does not work.</summary>
    private static void MaySee(Caller caller, UserTaskInfo task, Guid id)
    {
        caller.MustSee(task.Branch, Unknown.Task(id));
        if (!caller.Is(Roles.Supervisor) && task.Assignee != caller.Name && !WorksAny(caller, task.CandidateGroups)
            && !task.CandidateUsers.Contains(caller.Name, StringComparer.Ordinal))
        {
            throw new ForbiddenException($"task {id} is in {string.Join(", ", task.CandidateGroups)}, none of which {caller.Name} works");
        }
    }

    // Whether the caller works one of the queues: asked at every completion, by a walk of the two short lists rather than a
    // set made of one of them (Intersect).
    private static bool WorksAny(Caller caller, IReadOnlyList<string> queues)
    {
        foreach (var queue in queues)
        {
            if (caller.Queues.Contains(queue, StringComparer.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static async Task<IResult> WorkAsync(HttpContext http, WorkflowEngine engine, Guid id, Func<Caller, UserTaskInfo, Task> operation, CancellationToken ct)
    {
        var task = await VisibleAsync(http, engine, id, ct);
        await operation(Caller.From(http.User), task);
        return Results.Ok(await engine.Tasks.GetAsync(id, ct));
    }
}

internal sealed record NextRequest(IReadOnlyList<string>? Queues);

internal sealed record DelegateRequest(string? To);

internal sealed record CommentRequest(string? Text);

internal sealed record CompleteRequest(Dictionary<string, JsonElement>? Variables);
