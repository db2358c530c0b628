using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Features;
using Workflows.Engine;
using Workflows.Engine.Decisions;
using Workflows.Engine.Feel;
using Workflows.Host.Features.Security;

namespace Workflows.Host.Features.Api;

/// <summary>
/// Deployed decisions (DMN): deploy (analysts; a DMN document alone, or several BPMN and DMN documents as one deployment),
/// list versions with their stage, read XML, approve (analysts), pin per branch (the branch's admin) and evaluate (staff,
/// through the caller's branch pin).
/// </summary>
internal static class DecisionsApi
{
    public static void MapDecisions(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/decisions").WithTags("Decisions");
        group.MapPost("", DeployAsync).RequireAuthorization(p => p.RequireRole(Roles.Analyst)).WithName("DeployDecisions")
            .Produces<Deployed>(StatusCodes.Status201Created).Produces<Deployed>().ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("Deploys a DMN document (application/xml), or several BPMN and DMN files (multipart/form-data) as one deployment; each changed decision becomes a new version.");
        group.MapGet("", async (HttpContext http, WorkflowEngine engine, CancellationToken ct) => Visible(http, await engine.Decisions.GetVersionsAsync(cancellationToken: ct)))
            .RequireAuthorization(p => p.RequireRole(Roles.Staff)).WithName("ListDecisions")
            .WithSummary("Every deployed version of every decision, with its stage (deployed, approved) and the caller's branches that pin it.");
        group.MapGet("/{decisionId}", async (string decisionId, HttpContext http, WorkflowEngine engine, CancellationToken ct) =>
                await engine.Decisions.GetVersionsAsync(decisionId, ct) is { Count: > 0 } versions
                    ? Visible(http, versions)
                    : throw new WorkflowNotFoundException($"decision '{decisionId}' is not deployed"))
            .RequireAuthorization(p => p.RequireRole(Roles.Staff)).WithName("ListDecisionVersions").WithSummary("The versions of one decision.");
        group.MapGet("/{decisionId}/xml", async (string decisionId, int? version, WorkflowEngine engine, CancellationToken ct) =>
                Results.Text(await engine.Decisions.GetXmlAsync(decisionId, version, ct), "application/xml", Encoding.UTF8))
            .RequireAuthorization(p => p.RequireRole(Roles.Staff)).WithName("GetDecisionXml").Produces<string>(StatusCodes.Status200OK, "application/xml")
            .WithSummary("The DMN XML a version of the decision was deployed in (the latest unless version is given).");
        group.MapGet("/{decisionId}/compare", async (string decisionId, int from, int to, WorkflowEngine engine, CancellationToken ct) =>
                await engine.Decisions.CompareAsync(decisionId, from, to, ct))
            .RequireAuthorization(p => p.RequireRole(Roles.Staff)).WithName("CompareDecisionVersions")
            .WithSummary("What changed in the decision from one version to another: hit policy, inputs, outputs, each rule added, removed or changed cell by cell, in words.");
        group.MapPost("/{decisionId}/versions/{version}/approval", async (string decisionId, int version, ApprovalRequest request, HttpContext http, WorkflowEngine engine, ApiLimits limits, CancellationToken ct) =>
            {
                var reason = InputRules.Text(request.Reason, "reason", limits.MaxCommentLength, "MaxCommentLength") ?? throw new WorkflowInputException("reason says why the version is approved");
                var actor = Caller.From(http.User).Name;
                await FourEyes.RequireForDecisionAsync(engine, decisionId, version, actor, ct);
                return await engine.Decisions.ApproveAsync(decisionId, version, actor, reason, ct);
            })
            .RequireAuthorization(p => p.RequireRole(Roles.Analyst)).WithName("ApproveDecision")
            .WithSummary("An analyst approves a deployed decision version as a standard branches may pin, with a reason (once per version).");
        group.MapPost("/{decisionId}/evaluate", EvaluateAsync).RequireAuthorization(p => p.RequireRole(Roles.Staff)).WithName("EvaluateDecision")
            .WithSummary("Evaluates the decision as the branch's cases would: the version the caller's branch pins (or the branch named, when the caller serves it), else the standard, unless version is given, with the branch's branch, calendar and branchSettings (the engine's alone: 400 from a caller). The evaluation is recorded (who, branch, version, inputs, matched rules, outputs).");
        group.MapGet("/{decisionId}/evaluations", EvaluationsAsync)
            .RequireAuthorization(p => p.RequireRole(Roles.Analyst, Roles.BranchAdmin, Roles.Supervisor, Roles.Operator)).WithName("ListDecisionEvaluations")
            .WithSummary("The decision's evaluations through the API, newest first (page on with after): who, branch, version, inputs, matched rules, outputs. Analysts and central teams see every branch's; others their own branch's.");

        var pins = api.MapGroup("/branches").WithTags("Decisions");
        pins.MapGet("/{branchId}/decision-pins", async (string branchId, HttpContext http, WorkflowEngine engine, CancellationToken ct) =>
            {
                var branch = await engine.Branches.GetAsync(branchId, ct);
                var caller = Caller.From(http.User);
                if (!caller.Is(Roles.Analyst))
                {
                    caller.MustServe(branch.Id, "the decision pins");
                }

                var problems = (await engine.Decisions.CheckPinsAsync(branch.Id, ct)).ToDictionary(p => p.DecisionId, p => p.Problem, StringComparer.Ordinal);
                return branch.DecisionPins.OrderBy(p => p.Key, StringComparer.Ordinal)
                    .Select(p => new DecisionPinBody(p.Key, p.Value, problems.GetValueOrDefault(p.Key))).ToList();
            })
            .RequireAuthorization(p => p.RequireRole(Roles.Analyst, Roles.BranchAdmin, Roles.Supervisor, Roles.Operator)).WithName("ListDecisionPins")
            .WithSummary("The branch's decision pins, each checked again against what is deployed now: problem names a pin whose decision or version is no longer deployed, not approved, or whose model no longer passes today's checks (null when it holds).");
        pins.MapGet("/{branchId}/decision-callers", async (string branchId, HttpContext http, WorkflowEngine engine, CancellationToken ct) =>
            {
                var branch = await engine.Branches.GetAsync(branchId, ct);
                var caller = Caller.From(http.User);
                if (!caller.Is(Roles.Analyst))
                {
                    caller.MustServe(branch.Id, "the decisions its journeys call");
                }

                return await engine.Decisions.GetCallersAsync(branch.Id, null, ct);
            })
            .RequireAuthorization(p => p.RequireRole(Roles.Analyst, Roles.BranchAdmin, Roles.Supervisor, Roles.Operator)).WithName("ListDecisionCallers")
            .WithSummary("Each business rule task of the journey versions the branch runs that calls a decision, with its binding and the decision version its cases decide with now: latest follows the branch's pin (else the standard), versionTag the pinned version when it carries the tag, deployment the version deployed with the journey whatever the pin; version null: none (its cases stop on an incident).");
        pins.MapPut("/{branchId}/decision-pins/{decisionId}", async (string branchId, string decisionId, PinRequest pin, HttpContext http, WorkflowEngine engine, CancellationToken ct) =>
            {
                await OwnBranchAsync(http, engine, branchId, ct);
                return await engine.Decisions.PinAsync(branchId, decisionId, PinRequest.Checked(pin.Version), ct);
            })
            .RequireAuthorization(p => p.RequireRole(Roles.BranchAdmin)).WithName("PinDecision")
            .WithSummary("Pins the (approved) version of a decision the branch's business rule tasks and evaluations use; a running instance's next evaluation follows it.");
        pins.MapDelete("/{branchId}/decision-pins/{decisionId}", async (string branchId, string decisionId, HttpContext http, WorkflowEngine engine, CancellationToken ct) =>
            {
                await OwnBranchAsync(http, engine, branchId, ct);
                return await engine.Decisions.PinAsync(branchId, decisionId, null, ct);
            })
            .RequireAuthorization(p => p.RequireRole(Roles.BranchAdmin)).WithName("UnpinDecision").WithSummary("The branch uses the decision's standard again.");
    }

    private static async Task<IResult> DeployAsync(HttpRequest request, WorkflowEngine engine, ApiLimits limits, CancellationToken ct)
    {
        var documents = await ReadDocumentsAsync(request, limits, ct);
        var result = await engine.Deployments.DeployAsync(documents, Caller.From(request.HttpContext.User).Name, ct);
        return Respond(result);
    }

    /// <summary>The answer to a deployment: 201 with where the first new version is when anything is new, else 200.</summary>
    internal static IResult Respond(DeploymentResult result)
    {
        var body = new Deployed(result.DeploymentId, result.Processes, result.Report.Findings.Select(Finding.From).ToList()) { Decisions = result.Decisions };
        var location = result.Processes.FirstOrDefault(p => p.IsNew) is { } process ? $"/api/definitions/{Uri.EscapeDataString(process.ProcessId)}"
            : result.Decisions.FirstOrDefault(d => d.IsNew) is { } decision ? $"/api/decisions/{Uri.EscapeDataString(decision.DecisionId)}"
            : null;
        return location is null ? Results.Ok(body) : Results.Created(location, body);
    }

    /// <summary>
    /// The documents of a deployment: the raw body (one BPMN or DMN document), or each file of a multipart form, each
    /// under the BPMN size limit and all together under the request limit, refused before they are read whole.
    /// </summary>
    internal static async Task<IReadOnlyList<string>> ReadDocumentsAsync(HttpRequest request, ApiLimits limits, CancellationToken ct)
    {
        if (!request.HasFormContentType)
        {
            return [await DefinitionsApi.ReadBpmnAsync(request, limits, ct)];
        }

        if (request.ContentLength > limits.MaxRequestBytes)
        {
            throw new PayloadTooLargeException($"the deployment of {request.ContentLength:N0} bytes is above the limit of {limits.MaxRequestBytes:N0} (Workflows:Limits:MaxRequestBytes)");
        }

        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limits.MaxRequestBytes;
        }

        var form = await request.ReadFormAsync(ct);
        if (form.Files.Count is 0 or > Engine.Services.WorkflowDeployments.MaxDocumentsPerDeployment)
        {
            throw new WorkflowInputException($"a deployment form carries 1 to {Engine.Services.WorkflowDeployments.MaxDocumentsPerDeployment} files (BPMN or DMN), not {form.Files.Count}");
        }

        var documents = new List<string>();
        foreach (var file in form.Files)
        {
            if (file.Length > limits.MaxBpmnBytes)
            {
                throw new PayloadTooLargeException($"the file '{file.FileName}' of {file.Length:N0} bytes is above the limit of {limits.MaxBpmnBytes:N0} (Workflows:Limits:MaxBpmnBytes)");
            }

            using var reader = new StreamReader(file.OpenReadStream(), Encoding.UTF8);
            documents.Add(await reader.ReadToEndAsync(ct));
        }

        return documents;
    }

    private static async Task<EvaluatedBody> EvaluateAsync(string decisionId, EvaluateRequest request, HttpContext http, WorkflowEngine engine, ApiLimits limits, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        InputRules.CheckVariables(request.Variables, limits);

        // What a case of the branch gets from the engine (its branch, calendar and parameters), an evaluation gets from
        // the engine too: a caller's own branchSettings would be recorded as the branch's evaluation (review18 F14).
        InputRules.RefuseReserved(request.Variables, "a caller: an evaluation for a branch gets them as the branch's cases do", InputRules.SystemVariables);
        if (request.Journey is { Length: 0 })
        {
            throw new WorkflowInputException("journey: name the journey whose cases' parameters the decision sees, or leave it out");
        }

        string? branch;
        if (request.Branch is { } named)
        {
            caller.MustServe(named, "a decision evaluated for the pin");
            branch = named;
        }
        else
        {
            // The caller's own branch pin; a central team and an analyst without a branch get the standard (review18 F5).
            branch = caller.Branch is null or WorkflowsClaims.AllBranches ? null : caller.Branch;
        }

        if (request.Journey is not null && branch is null)
        {
            throw new WorkflowInputException("journey: a journey's parameters are a branch's; name the branch too (branch)");
        }

        if (request.Version is < 1)
        {
            throw new WorkflowInputException($"version: {request.Version} is not a version; versions are numbered from 1");
        }

        var result = await engine.Decisions.EvaluateAsync(new EvaluateDecision(decisionId)
        {
            Branch = branch, Journey = request.Journey, Version = request.Version, Variables = ApiJson.Variables(request.Variables), Actor = caller.Name,
        }, ct);
        return new EvaluatedBody(result.DecisionId, result.Version, branch, Json(result.Value),
            result.Decisions.Select(d => new EvaluatedDecisionBody(d.DecisionId, d.Name, Json(d.Value),
                d.Inputs.Select(i => new EvaluatedInputBody(i.Label, Json(i.Value))).ToList(), d.MatchedRules)).ToList(),
            result.Warnings) { Journeys = result.Journeys, Callers = result.Callers };
    }

    private static async Task<IReadOnlyList<EvaluationBody>> EvaluationsAsync(string decisionId, string? branch, Guid? after, int? max, HttpContext http, WorkflowEngine engine, ApiLimits limits, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        if (max > limits.MaxPageSize)
        {
            throw new WorkflowInputException($"max: at most {limits.MaxPageSize} evaluations a page (Workflows:Limits:MaxPageSize), not {max}; page on with after");
        }

        // Who evaluated what for a branch is that branch's business: a branch-scoped caller reads its own branch only.
        if (branch is not null)
        {
            if (!caller.Is(Roles.Analyst))
            {
                caller.MustServe(branch, "the decision evaluations");
            }
        }
        else if (!caller.Is(Roles.Analyst))
        {
            branch = caller.BranchFilter;
        }

        var rows = await engine.Decisions.GetEvaluationsAsync(decisionId, branch, after, limits.PageSize(max, 50), ct);
        return rows.Select(e => new EvaluationBody(e.Id, e.DecisionId, e.Version, e.Branch, e.Actor, e.EvaluatedAt, ApiJson.ReadStored(e.Detail))).ToList();
    }

    // A branch-scoped caller sees the pins of its own branch only (other branches' choices are theirs); analysts see
    // every branch's, as they do for journeys: they decide what to approve next by who runs what.
    private static IReadOnlyList<DecisionVersionInfo> Visible(HttpContext http, IReadOnlyList<DecisionVersionInfo> versions)
    {
        var caller = Caller.From(http.User);
        return caller.Is(Roles.Analyst) ? versions : versions.Select(v => v with { PinnedBy = v.PinnedBy.Where(caller.Serves).ToList() }).ToList();
    }

    private static async Task OwnBranchAsync(HttpContext http, WorkflowEngine engine, string branchId, CancellationToken ct)
    {
        var branch = await engine.Branches.GetAsync(branchId, ct);
        Caller.From(http.User).MustServe(branch.Id, "the decision pins");
    }

    private static JsonElement Json(object? value) => ApiJson.ReadStored(FeelConvert.ToJson(value));
}

internal sealed record ApprovalRequest(string? Reason);

/// <summary>A branch's decision pin; <see cref="Problem"/> says why it no longer holds, null when it does.</summary>
internal sealed record DecisionPinBody(string DecisionId, int Version, string? Problem);


// version as a JSON number only, as the pin's: "2" is 400 naming version, not version 2 (review10-18 F10).
internal sealed record EvaluateRequest(Dictionary<string, JsonElement>? Variables, string? Branch, [property: JsonNumberHandling(JsonNumberHandling.Strict)] int? Version)
{
    /// <summary>With a branch: the journey whose cases' parameters the decision sees (by default those whose business rule tasks call it).</summary>
    public string? Journey { get; init; }
}

internal sealed record EvaluatedInputBody(string Label, JsonElement Value);

internal sealed record EvaluatedDecisionBody(string DecisionId, string Name, JsonElement Value, IReadOnlyList<EvaluatedInputBody> Inputs, IReadOnlyList<MatchedRule> MatchedRules);

internal sealed record EvaluatedBody(string DecisionId, int Version, string? Branch, JsonElement Value, IReadOnlyList<EvaluatedDecisionBody> Decisions, IReadOnlyList<string> Warnings)
{
    /// <summary>The journeys whose cases in the branch the evaluation stood for (their branch, calendar and parameters); empty for none.</summary>
    public IReadOnlyList<string> Journeys { get; init; } = [];

    /// <summary>For a branch: each business rule task calling the decision, with the version its binding decides with (a deployment binding is not the pin's).</summary>
    public IReadOnlyList<DecisionCaller> Callers { get; init; } = [];
}

/// <summary>A recorded evaluation: <see cref="Detail"/> has the value, each decision's inputs, matched rules and output, and the warnings.</summary>
internal sealed record EvaluationBody(Guid Id, string DecisionId, int Version, string? Branch, string Actor, DateTimeOffset EvaluatedAt, JsonElement Detail);
