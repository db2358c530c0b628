using Workflows.Engine;
using Workflows.Host.Features.Security;

namespace Workflows.Host.Features.Api;

/// <summary>
/// The version lifecycle and staged rollouts: an analyst approves a deployed version; a central branch administrator
/// (<c>branch: *</c>) plans its rollout in waves, pins wave after wave and rolls back; analysts, branch administrators and
/// supervisors read the plans and the pilot's figures. Each step records its actor (the token's <c>sub</c>) and reason.
/// </summary>
internal static class RolloutsApi
{
    private static readonly string[] Readers = [Roles.Analyst, Roles.BranchAdmin, Roles.Supervisor];

    public static void MapRollouts(this IEndpointRouteBuilder api)
    {
        var versions = api.MapGroup("/definitions").WithTags("Rollouts");
        versions.MapGet("/{processId}/lifecycle", async (string processId, WorkflowEngine engine, CancellationToken ct) => await engine.Rollouts.GetLifecycleAsync(processId, ct))
            .RequireAuthorization(p => p.RequireRole(Readers)).WithName("GetVersionLifecycle")
            .WithSummary("Every version of a journey, newest first: deployed, approved or rolled out, who approved it and why, the branches that pin it.");
        versions.MapPost("/{processId}/versions/{version}/approval", ApproveAsync)
            .RequireAuthorization(p => p.RequireRole(Roles.Analyst)).WithName("ApproveVersion")
            .WithSummary("An analyst approves a deployed version as a standard, with a reason; only an approved version can be rolled out or pinned. Four eyes: whoever deployed it may not approve it (409).");

        var group = api.MapGroup("/rollouts").WithTags("Rollouts");
        group.MapGet("", async (string? journey, string? decision, WorkflowEngine engine, CancellationToken ct) =>
                journey is not null && decision is not null ? throw new WorkflowInputException("give journey or decision, not both")
                : decision is not null ? await engine.Rollouts.GetForDecisionAsync(decision, ct)
                : await engine.Rollouts.GetAllAsync(journey, ct))
            .RequireAuthorization(p => p.RequireRole(Readers)).WithName("ListRollouts")
            .WithSummary("Rollouts, of one journey or one decision when given (of both kinds when not), newest first; subject says which a rollout pins.");
        group.MapPost("", PlanAsync)
            .RequireAuthorization(p => p.RequireRole(Roles.BranchAdmin)).WithName("PlanRollout").Produces<Rollout>(StatusCodes.Status201Created)
            .WithSummary("A central branch administrator plans the rollout of an approved journey version (journey) or decision version (decision) in waves (pilot branches first); nothing is pinned yet.");
        group.MapGet("/{rolloutId}", async (Guid rolloutId, WorkflowEngine engine, CancellationToken ct) => await engine.Rollouts.GetAsync(rolloutId, ct))
            .RequireAuthorization(p => p.RequireRole(Readers)).WithName("GetRollout");
        group.MapGet("/{rolloutId}/figures", async (Guid rolloutId, WorkflowEngine engine, CancellationToken ct) => await engine.Rollouts.GetFiguresAsync(rolloutId, ct))
            .RequireAuthorization(p => p.RequireRole(Readers)).WithName("GetRolloutFigures")
            .WithSummary("The pinned waves' service figures (cases, breaches, at risk, satisfaction) under the new version beside the version they ran before.");
        group.MapPost("/{rolloutId}/advance", async (Guid rolloutId, StepRequest request, HttpContext http, WorkflowEngine engine, ApiLimits limits, CancellationToken ct) =>
            {
                var actor = Central(http, "pin a rollout's next wave");
                var reason = Reason(request, limits);
                return await engine.Rollouts.AdvanceAsync(rolloutId, actor, reason, await WaveAsync(rolloutId, request, engine, ct), ct);
            })
            .RequireAuthorization(p => p.RequireRole(Roles.BranchAdmin)).WithName("AdvanceRollout")
            .WithSummary("Pins the wave named (wave: the next one, by name) to the rollout's version (through each branch's pin); a wave pinned already or not next is 409, so a second click or a retry never pins the wave after it. After the last wave the version is rolled out.");
        group.MapPost("/{rolloutId}/rollback", async (Guid rolloutId, StepRequest request, HttpContext http, WorkflowEngine engine, ApiLimits limits, CancellationToken ct) =>
                await engine.Rollouts.RollBackAsync(rolloutId, Central(http, "roll a rollout back"), Reason(request, limits), ct))
            .RequireAuthorization(p => p.RequireRole(Roles.BranchAdmin)).WithName("RollBackRollout")
            .WithSummary("Re-pins every branch the rollout pinned to the version it pinned before; running instances stay on theirs.");
    }

    // Four eyes: the analyst who deployed a version is not the one who makes it a standard every branch may run.
    private static async Task<VersionLifecycle> ApproveAsync(string processId, int version, StepRequest request, HttpContext http, WorkflowEngine engine, ApiLimits limits, CancellationToken ct)
    {
        var actor = Caller.From(http.User).Name;
        var reason = Reason(request, limits);
        await FourEyes.RequireForJourneyAsync(engine, processId, version, actor, ct);
        return await engine.Rollouts.ApproveAsync(processId, version, actor, reason, ct);
    }

    private static async Task<IResult> PlanAsync(PlanRequest request, HttpContext http, WorkflowEngine engine, ApiLimits limits, CancellationToken ct)
    {
        var actor = Central(http, "plan a rollout");
        if ((request.Journey, request.Decision) is (not null, not null))
        {
            throw new WorkflowInputException("journey or decision names what the rollout pins, not both");
        }

        var (subject, id) = request.Decision is { } decision ? (RolloutSubject.Decision, decision) : (RolloutSubject.Journey, request.Journey);
        if (string.IsNullOrWhiteSpace(id) || id.Length > limits.MaxNameLength || request.Version is not { } version)
        {
            throw new WorkflowInputException("journey (or decision) and version name the approved version to roll out");
        }

        if (version < 1)
        {
            throw new WorkflowInputException($"version: {version} is not a version; versions are numbered from 1");
        }

        var waves = (request.Waves ?? []).Select((w, i) =>
        {
            if (w.Name is { Length: var n } && n > limits.MaxNameLength || (w.Branches ?? []).Any(b => b is null || b.Length > limits.MaxNameLength))
            {
                throw new WorkflowInputException($"waves[{i}]: names are at most {limits.MaxNameLength} characters (Workflows:Limits:MaxNameLength)");
            }

            return new RolloutWave(w.Name ?? "", w.Branches ?? []);
        }).ToList();
        var rollout = await engine.Rollouts.PlanAsync(new PlanRollout(id, version, waves, actor, Reason(new StepRequest(request.Reason), limits)) { Subject = subject }, ct);
        return Results.Created($"/api/rollouts/{rollout.Id}", rollout);
    }

    /// <summary>The caller's name, when it is a central branch administrator: a rollout pins other branches than one's own.</summary>
    private static string Central(HttpContext http, string what)
    {
        var caller = Caller.From(http.User);
        if (caller.Branch != WorkflowsClaims.AllBranches)
        {
            throw new ForbiddenException($"only a central branch administrator (branch *) may {what}: it pins other branches; {caller.Name} works for branch '{caller.Branch ?? "none"}'");
        }

        return caller.Name;
    }

    // An advance names the wave it means (review10-18 F8): the server cannot tell a second click, or a retry reaching
    // another node, from a deliberate next step, and pinning the wave after the pilot unseen is the harm.
    private static async Task<string> WaveAsync(Guid rolloutId, StepRequest request, WorkflowEngine engine, CancellationToken ct)
    {
        if (request.Wave is { Length: > 0 } wave)
        {
            return wave;
        }

        var rollout = await engine.Rollouts.GetAsync(rolloutId, ct);
        var next = rollout.Waves.FirstOrDefault(w => w.PinnedAt is null);
        throw new WorkflowInputException(next is null
            ? "wave: name the wave this step pins; this rollout has no wave left to pin"
            : $"wave: name the wave this step pins (the next is '{next.Name}'), so that a second click or a retry cannot pin the wave after it");
    }

    private static string Reason(StepRequest request, ApiLimits limits) => request.Reason switch
    {
        null or "" => throw new WorkflowInputException("reason is required: every step of a version's lifecycle says why"),
        { Length: var n } when n > limits.MaxCommentLength => throw new WorkflowInputException($"reason has {n:N0} characters; the limit is {limits.MaxCommentLength:N0} (Workflows:Limits:MaxCommentLength)"),
        var reason => reason,
    };
}

/// <summary>Why a step is taken.</summary>
internal sealed record StepRequest(string? Reason)
{
    /// <summary>For an advance: the name of the wave to pin, which must be the next one (required; 409 when it is not next).</summary>
    public string? Wave { get; init; }
}

/// <summary>A rollout to plan: the approved version of a journey (or of a decision), its waves in order, and why.</summary>
internal sealed record PlanRequest(string? Journey, [property: System.Text.Json.Serialization.JsonNumberHandling(System.Text.Json.Serialization.JsonNumberHandling.Strict)] int? Version,
    List<WaveRequest>? Waves, string? Reason, string? Decision = null);

/// <summary>A wave: its name and branches.</summary>
internal sealed record WaveRequest(string? Name, List<string>? Branches);
