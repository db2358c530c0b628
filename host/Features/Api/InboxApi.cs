using System.IdentityModel.Tokens.Jwt;
using System.Security.Claims;
using System.Text.Json;
using Workflows.Engine;
using Workflows.Host.Features.Security;

namespace Workflows.Host.Features.Api;

/// <summary>Settings of the agents' inbox, section <c>Workflows:Inbox</c>.</summary>
internal sealed class InboxOptions
{
    /// <summary>Event streams one user may hold open at once (tabs, devices); one more is 429. Default 4.</summary>
    public int MaxEventStreamsPerUser { get; set; } = 4;

    /// <summary>How often an open stream reads the queues it follows for changes. Default 2 seconds.</summary>
    public TimeSpan EventPollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest quiet time on a stream before a heartbeat comment keeps proxies from closing it. Default 15 seconds.</summary>
    public TimeSpan EventHeartbeat { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long one stream lasts; the browser then reconnects, and the token is checked again. Default 10 minutes.</summary>
    public TimeSpan EventStreamLifetime { get; set; } = TimeSpan.FromMinutes(10);

    public void Validate()
    {
        if (MaxEventStreamsPerUser <= 0 || EventPollInterval <= TimeSpan.Zero || EventHeartbeat <= TimeSpan.Zero || EventStreamLifetime <= TimeSpan.Zero)
        {
            throw new ArgumentException("Workflows:Inbox: MaxEventStreamsPerUser, EventPollInterval, EventHeartbeat and EventStreamLifetime must be positive");
        }
    }
}

/// <summary>The event streams open per user, held to <see cref="InboxOptions.MaxEventStreamsPerUser"/>.</summary>
internal sealed class EventStreamCount(InboxOptions options)
{
    private readonly Dictionary<string, int> _open = new(StringComparer.Ordinal);

    public bool TryOpen(string user)
    {
        lock (_open)
        {
            var count = _open.GetValueOrDefault(user);
            if (count >= options.MaxEventStreamsPerUser)
            {
                return false;
            }

            _open[user] = count + 1;
            return true;
        }
    }

    public void Close(string user)
    {
        lock (_open)
        {
            if (_open.TryGetValue(user, out var count) && count > 1)
            {
                _open[user] = count - 1;
            }
            else
            {
                _open.Remove(user);
            }
        }
    }
}

/// <summary>
/// What the inbox needs besides the task calls: a task with its case (the data the journey shows agents, the form's
/// values, the clocks, the timeline in words), the agents it may be delegated to, and a server-sent event stream of
/// the caller's queues (the list, its escalations).
/// </summary>
internal static class InboxApi
{
    public static WebApplicationBuilder AddWorkflowsInbox(this WebApplicationBuilder builder)
    {
        var options = new InboxOptions();
        builder.Configuration.GetSection("Workflows:Inbox").Bind(options);
        options.Validate();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<EventStreamCount>();
        return builder;
    }

    public static void MapInbox(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/tasks").WithTags("Tasks");
        group.MapGet("/{id}/case", async (Guid id, HttpContext http, WorkflowEngine engine, ProcessCatalog catalog, CancellationToken ct) =>
                TypedResults.Ok(await TaskCases.OfAsync(await TasksApi.VisibleAsync(http, engine, id, ct), engine, catalog, ct)))
            .RequireAuthorization(p => p.RequireRole(Roles.Agent, Roles.Supervisor)).WithName("GetTaskCase")
            .WithSummary("The task with its case: the data the journey (wf:caseData) and the task's form show agents, the form's values, the clocks and the timeline in the journey's words.");
        api.MapGet("/instances/{id}/journey", async (Guid id, HttpContext http, WorkflowEngine engine, ProcessCatalog catalog, CancellationToken ct) =>
            {
                var snapshot = await InstancesApi.StaffSnapshotAsync(http, engine, id, ct);
                return TypedResults.Ok(await TaskCases.JourneyAsync(snapshot, await catalog.GetAsync(snapshot.ProcessId, snapshot.Version, ct), engine, ct));
            })
            .RequireAuthorization(p => p.RequireRole(Roles.Agent, Roles.Supervisor)).WithTags("Instances").WithName("GetJourney")
            .WithSummary("Where a case stands in the journey's words: its clocks and its timeline, without its variables.");
        group.MapGet("/{id}/delegates", async (Guid id, HttpContext http, WorkflowEngine engine, UserDirectory users, CancellationToken ct) =>
            {
                var task = await TasksApi.VisibleAsync(http, engine, id, ct);
                var me = Caller.From(http.User).Name;
                return TypedResults.Ok(users.Agents().Where(u => u.Name != me && (u.Branch == WorkflowsClaims.AllBranches || u.Branch == task.Branch)).Select(u => u.Name).Order(StringComparer.Ordinal).ToList());
            })
            .RequireAuthorization(p => p.RequireRole(Roles.Agent)).WithName("TaskDelegates").WithSummary("The agents the task may be delegated to: known to this host, of a branch that covers the task's.");
        group.MapGet("/events", StreamAsync)
            .RequireAuthorization(p => p.RequireRole(Roles.Agent, Roles.Supervisor)).WithName("TaskEvents")
            .WithSummary("Server-sent events of the caller's queues in its branch: 'tasks' (the list, by SLA time left) whenever it changes, 'escalation' when a task's clock warns or breaches, its priority rises or it moves queue; a heartbeat comment when quiet.")
            .Produces<TaskPage>(StatusCodes.Status200OK, "text/event-stream").ProducesProblem(StatusCodes.Status429TooManyRequests);
    }

    private static async Task StreamAsync(HttpContext http, WorkflowEngine engine, ApiLimits limits, InboxOptions options, EventStreamCount streams, TokenRevocations revocations,
        Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, string[]? queue, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var query = new TaskQuery
        {
            Queues = caller.Is(Roles.Supervisor) ? queue ?? [] : TasksApi.OwnQueues(caller, queue),
            Branch = caller.BranchFilter,
            Sort = TaskSort.SlaTimeLeft,
            PageSize = limits.PageSize(100),
        };
        if (!streams.TryOpen(caller.Name))
        {
            http.Response.Headers.RetryAfter = "30";
            await Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many event streams",
                detail: $"{caller.Name} has {options.MaxEventStreamsPerUser} event streams open already (Workflows:Inbox:MaxEventStreamsPerUser); close a tab or try again later").ExecuteAsync(http);
            return;
        }

        try
        {
            http.Response.ContentType = "text/event-stream";
            http.Response.Headers.CacheControl = "no-cache";
            http.Response.Headers["X-Accel-Buffering"] = "no";
            http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
            // The token is checked once, as the stream opens: the stream ends when the token expires or is revoked, and
            // at its lifetime, and the browser's reconnection is authenticated afresh.
            var expires = long.TryParse(http.User.FindFirstValue(JwtRegisteredClaimNames.Exp), out var exp) ? DateTimeOffset.FromUnixTimeSeconds(exp) : DateTimeOffset.MaxValue;
            var jti = http.User.FindFirstValue(JwtRegisteredClaimNames.Jti);
            // Wall-clock time: the cadence of a connection and a token's expiry are not business time.
            var wall = TimeProvider.System;
            var ends = wall.GetUtcNow() + options.EventStreamLifetime;
            await WriteAsync(http, "retry: 3000\n\n", ct);
            string? last = null;
            Dictionary<Guid, UserTaskInfo> before = [];
            var quietSince = wall.GetUtcNow();
            while (!ct.IsCancellationRequested)
            {
                var now = wall.GetUtcNow();
                if (now >= expires || revocations.IsRevoked(jti) || now >= ends)
                {
                    await WriteAsync(http, $"event: {(now >= ends ? "reconnect" : "signed-out")}\ndata: {{}}\n\n", ct);
                    return;
                }

                var page = await engine.Tasks.QueryAsync(query, ct);
                var data = JsonSerializer.Serialize(page, json.Value.SerializerOptions);
                if (data != last)
                {
                    foreach (var escalation in Escalations(before, page.Tasks))
                    {
                        await WriteAsync(http, $"event: escalation\ndata: {JsonSerializer.Serialize(escalation, json.Value.SerializerOptions)}\n\n", ct);
                    }

                    await WriteAsync(http, $"event: tasks\ndata: {data}\n\n", ct);
                    last = data;
                    before = page.Tasks.ToDictionary(t => t.Id);
                    quietSince = now;
                }
                else if (now - quietSince >= options.EventHeartbeat)
                {
                    await WriteAsync(http, ": heartbeat\n\n", ct);
                    quietSince = now;
                }

                await Task.Delay(options.EventPollInterval, wall, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The browser went away.
        }
        finally
        {
            streams.Close(caller.Name);
        }
    }

    private static async Task WriteAsync(HttpContext http, string text, CancellationToken ct)
    {
        await http.Response.WriteAsync(text, ct);
        await http.Response.Body.FlushAsync(ct);
    }

    /// <summary>Tasks seen before that now stand worse: a clock that warned or breached, a higher priority, another queue.</summary>
    private static IEnumerable<TaskEscalation> Escalations(Dictionary<Guid, UserTaskInfo> before, IReadOnlyList<UserTaskInfo> now)
    {
        foreach (var task in now)
        {
            if (!before.TryGetValue(task.Id, out var was))
            {
                continue;
            }

            var step = task.Name ?? "a task";
            var why = Rank(task.SlaState) > Rank(was.SlaState) ? (task.SlaState == SlaState.Breached ? "its time is up" : "its time is running out")
                : task.Priority > was.Priority ? $"its priority rose to {task.Priority}"
                : !task.CandidateGroups.SequenceEqual(was.CandidateGroups, StringComparer.Ordinal) ? $"it moved to {string.Join(", ", task.CandidateGroups)}"
                : null;
            if (why is not null)
            {
                yield return new TaskEscalation(task.Id, task.BusinessKey, step, $"{step}{(task.BusinessKey is null ? "" : $" ({task.BusinessKey})")}: {why}");
            }
        }
    }

    private static int Rank(SlaState? state) => state switch
    {
        SlaState.Warning => 1,
        SlaState.Breached => 2,
        _ => 0,
    };
}

/// <summary>A task of the caller's queues that now stands worse than it did, in words.</summary>
internal sealed record TaskEscalation(Guid TaskId, string? BusinessKey, string Step, string Text);
