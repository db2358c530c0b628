using System.Text;
using Workflows.Engine;
using Workflows.Engine.Services;
using Workflows.Host.Features.Security;

namespace Workflows.Host.Features.Api;

/// <summary>The process library: deploy (analysts), validate, list versions, read XML, compare two versions.</summary>
internal static class DefinitionsApi
{
    // The BPMN travels as the raw body (application/xml). No content-type metadata on the routes: it would answer
    // 415 before the caller's role is checked.
    public static void MapDefinitions(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/definitions").WithTags("Definitions");
        group.MapPost("", DeployAsync).RequireAuthorization(p => p.RequireRole(Roles.Analyst)).WithName("Deploy")
            .Produces<Deployed>(StatusCodes.Status201Created).Produces<Deployed>().ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("Deploys a BPMN document as new versions of its processes; refused with every finding if it has errors.");
        group.MapPost("/validate", ValidateAsync).RequireAuthorization(p => p.RequireRole(Roles.Analyst)).WithName("Validate").ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .WithSummary("Checks a BPMN document without deploying it.");
        group.MapGet("", async (WorkflowEngine engine, CancellationToken ct) => await engine.Deployments.GetDefinitionsAsync(cancellationToken: ct))
            .RequireAuthorization(p => p.RequireRole(Roles.Staff)).WithName("ListDefinitions").WithSummary("Every deployed version of every process.");
        group.MapGet("/{processId}", async (string processId, WorkflowEngine engine, CancellationToken ct) =>
            await engine.Deployments.GetDefinitionsAsync(processId, ct) is { Count: > 0 } versions ? versions : throw new WorkflowNotFoundException($"process '{processId}' is not deployed"))
            .RequireAuthorization(p => p.RequireRole(Roles.Staff)).WithName("ListVersions").WithSummary("The versions of one process.");
        group.MapGet("/{processId}/versions/{version}/xml", async (string processId, int version, WorkflowEngine engine, CancellationToken ct) =>
            Results.Text(await engine.Deployments.GetXmlAsync(processId, version, ct), "application/xml", Encoding.UTF8))
            .RequireAuthorization(p => p.RequireRole(Roles.Staff)).WithName("GetXml").Produces<string>(StatusCodes.Status200OK, "application/xml").WithSummary("The BPMN XML of a version, as deployed.");
        group.MapGet("/{processId}/compare", async (string processId, int from, int to, WorkflowEngine engine, CancellationToken ct) =>
            DefinitionComparison.Of(processId, from, to, await engine.Deployments.CompareAsync(processId, from, to, ct)))
            .RequireAuthorization(p => p.RequireRole(Roles.Staff)).WithName("Compare")
            .WithSummary("What changed from one version to another, in every process (pool) of the document, per element: added, removed, changed and how, or only redrawn.");
        group.MapPost("/{processId}/compare", CompareDraftAsync).RequireAuthorization(p => p.RequireRole(Roles.Analyst)).WithName("CompareDraft")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .WithSummary("What the BPMN document in the body (an edited, unsaved diagram) changes from a deployed version (the latest unless from is given).");
    }

    // The body is one BPMN or DMN document, or a multipart form of several (one deployment).
    private static async Task<IResult> DeployAsync(HttpRequest request, WorkflowEngine engine, ApiLimits limits, CancellationToken ct)
    {
        var documents = await DecisionsApi.ReadDocumentsAsync(request, limits, ct);
        var result = await engine.Deployments.DeployAsync(documents, Caller.From(request.HttpContext.User).Name, ct);
        return DecisionsApi.Respond(result);
    }

    private static async Task<Validated> ValidateAsync(HttpRequest request, WorkflowEngine engine, ApiLimits limits, CancellationToken ct)
    {
        var report = await engine.Deployments.ValidateAsync(await ReadBpmnAsync(request, limits, ct), ct);
        return new Validated(!report.HasErrors, report.Findings.Select(Finding.From).ToList());
    }

    // The draft is compared, not validated: a diagram with errors still shows what it changes. Size-limited like deploy,
    // and read without DTDs or entities.
    private static async Task<DefinitionComparison> CompareDraftAsync(string processId, int? from, HttpRequest request, WorkflowEngine engine, ApiLimits limits, CancellationToken ct)
    {
        var draft = await ReadBpmnAsync(request, limits, ct);
        var version = from ?? (await engine.Deployments.GetDefinitionsAsync(processId, ct)).Select(d => d.Version).DefaultIfEmpty().Max();
        var deployed = await engine.Deployments.GetXmlAsync(processId, version == 0 ? null : version, ct);
        return DefinitionComparison.Of(processId, version, null, WorkflowDeployments.Compare(deployed, draft));
    }

    /// <summary>The body as text, refused past the BPMN size limit before it is all read.</summary>
    internal static async Task<string> ReadBpmnAsync(HttpRequest request, ApiLimits limits, CancellationToken ct)
    {
        if (request.ContentLength > limits.MaxBpmnBytes)
        {
            throw new PayloadTooLargeException($"the BPMN document of {request.ContentLength:N0} bytes is above the limit of {limits.MaxBpmnBytes:N0} (Workflows:Limits:MaxBpmnBytes)");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limits.MaxBpmnBytes)
            {
                throw new PayloadTooLargeException($"the BPMN document is above the limit of {limits.MaxBpmnBytes:N0} bytes (Workflows:Limits:MaxBpmnBytes)");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.Length == 0
            ? throw new WorkflowInputException("the request has no body; send the BPMN XML as the body")
            : Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}

internal sealed record Deployed(Guid DeploymentId, IReadOnlyList<DeployedProcess> Processes, IReadOnlyList<Finding> Findings)
{
    /// <summary>The decisions of the deployment's DMN documents.</summary>
    public IReadOnlyList<DeployedDecision> Decisions { get; init; } = [];
}

internal sealed record Validated(bool Valid, IReadOnlyList<Finding> Findings);
