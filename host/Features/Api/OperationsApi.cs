using System.Text.Json;
using System.Xml;
using Workflows.Engine;
using Workflows.Host.Features.Security;

namespace Workflows.Host.Features.Api;

/// <summary>Messages from outside (a customer's reply), service levels for supervisors, and incidents and parked messages (listed by supervisors and operators, retried or sent again by operators).</summary>
internal static class OperationsApi
{
    public static void MapOperations(this IEndpointRouteBuilder api)
    {
        // Agents publish (a customer's reply, a call back); supervisors read, they do not act in journeys. An
        // agent of one branch reaches only its branch's instances and starts nothing; a time-to-live, which would let the
        // message wait for any branch's instance, and message starts are for central teams (branch *) and the bus.
        api.MapPost("/messages", CorrelateAsync).WithTags("Messages")
            .RequireAuthorization(p => p.RequireRole(Roles.Agent)).WithName("CorrelateMessage")
            .WithSummary("Correlates a message to the instances of the caller's branch waiting for it; a central team's may start a process or wait with a time-to-live.");

        var levels = api.MapGroup("/service-levels").WithTags("Service levels").RequireAuthorization(p => p.RequireRole(Roles.Supervisor));
        levels.MapGet("/report", async (HttpContext http, WorkflowEngine engine, ApiLimits limits, DateTimeOffset? from, DateTimeOffset? to, string? branch, string? journey, int? max, CancellationToken ct) =>
            {
                var (f, t, b) = Window(http, from, to, branch);
                return await engine.ServiceLevels.GetServiceReportAsync(f, t, b, journey, limits.PageSize(max), ct);
            })
            .WithName("ServiceReport").WithSummary("The watermelon report: the promise to the customer beside each step's clock, red end to end flagged.");
        levels.MapGet("/breaches", BreachesAsync).WithName("Breaches")
            .WithSummary("Breached and at-risk clocks by branch, journey and step, and the level-1 commitments breached or at risk.");

        // Supervisors list incidents; only operators retry them (a supervisor reads the operations page, changes nothing).
        var incidents = api.MapGroup("/incidents").WithTags("Incidents").RequireAuthorization(p => p.RequireRole(Roles.Supervisor, Roles.Operator));
        incidents.MapGet("", async (HttpContext http, WorkflowEngine engine, ApiLimits limits, int? max, CancellationToken ct) =>
                await engine.Queries.GetOpenIncidentsAsync(Caller.From(http.User).BranchFilter, limits.PageSize(max), ct))
            .WithName("ListIncidents").WithSummary("Open incidents of the caller's branch, oldest first.");
        // Outside the group, whose roles the OpenAPI document would list beside the operator.
        api.MapPost("/incidents/{id}/retry", async (Guid id, HttpContext http, WorkflowEngine engine, CancellationToken ct) =>
            {
                var incident = await engine.Queries.GetIncidentAsync(id, ct);
                await InstancesApi.StaffOfBranchAsync(http, engine, incident.InstanceId, ct, Unknown.Incident(id));
                await engine.Runtime.ResolveIncidentAsync(id, Caller.From(http.User).Name, ct);
                return Results.NoContent();
            })
            .WithTags("Incidents").RequireAuthorization(p => p.RequireRole(Roles.Operator)).WithName("RetryIncident").Produces(StatusCodes.Status204NoContent).WithSummary("Retries the failed step once its cause is fixed.");

        // Messages the in-memory bus's engines kept giving up or refused for good (docs/bus.md): kept, listed here, sent
        // again by an operator. A branch's caller sees and sends its branch's only (the branch of the message's handoff).
        api.MapGet("/parked-messages", ParkedOfBranchAsync)
            .WithTags("Messages").RequireAuthorization(p => p.RequireRole(Roles.Supervisor, Roles.Operator)).WithName("ListParkedMessages")
            .WithSummary("A page of the caller's branch's messages that the bus's engines gave up or refused, parked rather than published again; the longest parked first. A full page has a Link header (rel=\"next\") with the cursor of the next (after).");
        api.MapPost("/parked-messages/{id}/send-again", async (Guid id, HttpContext http, WorkflowEngine engine, CancellationToken ct) =>
            {
                var branch = Caller.From(http.User).BranchFilter;
                var message = await engine.Queries.GetParkedMessageAsync(id, ct);
                if (message is null || (branch is not null && message.Handoff.Branch != branch))
                {
                    throw new WorkflowNotFoundException(Unknown.ParkedMessage(id));
                }

                await engine.Operations.SendParkedMessageAgainAsync(message.Id, ct);
                return Results.NoContent();
            })
            .WithTags("Messages").RequireAuthorization(p => p.RequireRole(Roles.Operator)).WithName("SendParkedMessageAgain").Produces(StatusCodes.Status204NoContent)
            .WithSummary("Publishes a parked message again once what made the engines give it up is fixed.");
    }

    private static async Task<IReadOnlyList<OutgoingMessage>> ParkedOfBranchAsync(HttpContext http, WorkflowEngine engine, ApiLimits limits, int? max, string? after, CancellationToken ct)
    {
        var size = limits.PageSize(max);
        var page = await engine.Queries.GetParkedMessagePageAsync(new ParkedMessageQuery { Branch = Caller.From(http.User).BranchFilter, After = after, Max = size }, ct);
        if (page.NextCursor is { } next)
        {
            var query = QueryString.Create(new KeyValuePair<string, string?>[] { new("after", next), new("max", size.ToString(System.Globalization.CultureInfo.InvariantCulture)) });
            http.Response.Headers.Link = $"<{http.Request.PathBase}{http.Request.Path}{query}>; rel=\"next\"";
        }

        return page.Messages;
    }

    private static async Task<CorrelationResult> CorrelateAsync(MessageRequest request, HttpContext http, WorkflowEngine engine, ApiLimits limits, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        InputRules.Name(request.Name, "name", limits);
        InputRules.Name(request.CorrelationKey, "correlationKey", limits);
        InputRules.Text(request.MessageId, "messageId", limits.MaxNameLength, nameof(ApiLimits.MaxNameLength));
        InputRules.RefuseReserved(request.Variables, "a message", InputRules.SystemVariables, InputRules.PartyVariables);
        InputRules.CheckVariables(request.Variables, limits);
        TimeSpan ttl;
        try
        {
            ttl = request.TimeToLive is null ? TimeSpan.Zero : XmlConvert.ToTimeSpan(request.TimeToLive);
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new WorkflowInputException($"timeToLive '{request.TimeToLive}' is not an ISO 8601 duration such as PT1H up to {XmlConvert.ToString(limits.MaxMessageTimeToLive)} (Workflows:Limits:MaxMessageTimeToLive)");
        }

        if (ttl < TimeSpan.Zero || ttl > limits.MaxMessageTimeToLive)
        {
            throw new WorkflowInputException($"timeToLive {request.TimeToLive} is outside 0 to {XmlConvert.ToString(limits.MaxMessageTimeToLive)} (Workflows:Limits:MaxMessageTimeToLive)");
        }

        if (request.Branch is not null)
        {
            // The branch a journey the message starts runs for (its pin chooses the version): one the caller serves.
            InputRules.Name(request.Branch, "branch", limits);
            caller.MustServe(request.Branch, "starting a journey by message");
        }

        var onlyBranch = caller.BranchFilter;
        if (onlyBranch is not null && ttl > TimeSpan.Zero)
        {
            throw new ForbiddenException($"timeToLive: a buffered message could reach any branch's instance; {caller.Name} works for branch '{onlyBranch}' and may only correlate now");
        }

        return await engine.Runtime.CorrelateMessageAsync(new PublishMessage(request.Name, request.CorrelationKey)
        {
            Variables = ApiJson.Variables(request.Variables),
            MessageId = request.MessageId,
            TimeToLive = ttl,
            MustCorrelate = request.MustCorrelate ?? ttl == TimeSpan.Zero,
            OnlyBranch = onlyBranch,
            Branch = request.Branch,
        }, ct);
    }

    /// <summary>The window (default: the last 30 days) and the branch: a supervisor's own.</summary>
    private static (DateTimeOffset From, DateTimeOffset To, string? Branch) Window(HttpContext http, DateTimeOffset? from, DateTimeOffset? to, string? branch)
    {
        var caller = Caller.From(http.User);
        if (branch is not null)
        {
            caller.MustServe(branch, "the service levels");
        }

        var end = to ?? ClockApi.EngineTime(http.RequestServices).GetUtcNow().AddMinutes(1);
        return (from ?? end.AddDays(-30), end, branch ?? caller.BranchFilter);
    }

    private static async Task<Breaches> BreachesAsync(HttpContext http, WorkflowEngine engine, DateTimeOffset? from, DateTimeOffset? to, string? branch, string? journey, CancellationToken ct)
    {
        var (f, t, b) = Window(http, from, to, branch);
        var rows = await engine.ServiceLevels.GetServiceReportAsync(f, t, b, journey, 10_000, ct);
        var steps = rows
            .SelectMany(r => r.Steps.Select(s => (Row: r, Step: s)))
            .GroupBy(x => (x.Row.Branch, x.Row.Journey, x.Step.ElementId, x.Step.Kind, x.Step.Level))
            .Select(g => new StepLevel(g.Key.Branch, g.Key.Journey, g.Key.ElementId, g.Key.Kind, g.Key.Level, g.First().Step.Label,
                g.Count(x => x.Step.State == SlaState.Breached), g.Count(x => x.Step.State == SlaState.Warning),
                g.Count(x => x.Step.State == SlaState.Met), g.Count(x => x.Step.EndedAt is null)))
            .Where(s => s.Breached + s.AtRisk > 0)
            .OrderByDescending(s => s.Breached).ThenByDescending(s => s.AtRisk)
            .ToList();
        var commitments = rows
            .Where(r => r.Commitment.State is SlaState.Breached or SlaState.Warning)
            .Select(r => new CommitmentAtRisk(r.InstanceId, r.BusinessKey, r.Branch, r.Journey, r.Commitment.Label, r.Commitment.State, r.Commitment.TargetAt, r.Watermelon))
            .ToList();
        return new Breaches(f, t, steps, commitments);
    }
}

internal sealed record MessageRequest(string Name, string CorrelationKey, Dictionary<string, JsonElement>? Variables, string? MessageId, string? TimeToLive, bool? MustCorrelate, string? Branch = null);

/// <summary>One step's clocks of one kind (its SLA, or a department's level-2/3 budget) in a branch's journey.</summary>
internal sealed record StepLevel(string? Branch, string Journey, string Step, string Kind, int Level, string? Label, int Breached, int AtRisk, int Met, int Open);

internal sealed record CommitmentAtRisk(Guid InstanceId, string? BusinessKey, string? Branch, string Journey, string? Promise, SlaState State, DateTimeOffset? DueAt, bool Watermelon);

internal sealed record Breaches(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<StepLevel> Steps, IReadOnlyList<CommitmentAtRisk> Commitments);
