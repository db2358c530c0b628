using System.Text;
using Workflows.Engine;
using Workflows.Engine.Services;
using Workflows.Host.Features.Security;

namespace Workflows.Host.Features.Api;

/// <summary>
/// The designer's drafts on the server: each analyst's own BPMN documents saved without deploying, listed, opened,
/// saved again against the revision the designer opened, renamed and deleted. Another analyst's draft answers 404, as
/// one that does not exist, for every verb.
/// </summary>
internal static class DraftsApi
{
    public static void MapDrafts(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/drafts").WithTags("Designer drafts").RequireAuthorization(p => p.RequireRole(Roles.Analyst));
        group.MapGet("", (HttpContext http, WorkflowEngine engine, CancellationToken ct) => engine.Drafts.ListAsync(Caller.From(http.User).Name, ct))
            .WithName("ListDrafts").WithSummary("The caller's drafts, the latest saved first, without their XML.");
        group.MapPost("", async (NewDraftRequest request, HttpContext http, WorkflowEngine engine, ApiLimits limits, CancellationToken ct) =>
            {
                var draft = await engine.Drafts.CreateAsync(Caller.From(http.User).Name, Name(request.Name, limits), Xml(request.Xml, limits), ProcessId(request.ProcessId, limits), ct);
                return Results.Created($"/api/drafts/{draft.Id}", draft);
            })
            .WithName("CreateDraft").Produces<Draft>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .WithSummary("Saves the diagram's XML as a new draft of the caller's, at revision 1.");
        group.MapGet("/{id}", (Guid id, HttpContext http, WorkflowEngine engine, CancellationToken ct) => engine.Drafts.GetAsync(Caller.From(http.User).Name, id, ct))
            .WithName("GetDraft").WithSummary("One of the caller's drafts with its XML and revision.");
        group.MapPut("/{id}", (Guid id, DraftSaveRequest request, HttpContext http, WorkflowEngine engine, ApiLimits limits, CancellationToken ct) =>
                engine.Drafts.SaveAsync(Caller.From(http.User).Name, id, Xml(request.Xml, limits), request.Revision, ProcessId(request.ProcessId, limits), ct))
            .WithName("SaveDraft").ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .WithSummary("Replaces the draft's XML; revision is the one the designer opened or last saved, and a draft saved elsewhere since is 409, overwriting nothing.");
        group.MapPatch("/{id}", (Guid id, DraftRenameRequest request, HttpContext http, WorkflowEngine engine, ApiLimits limits, CancellationToken ct) =>
                engine.Drafts.RenameAsync(Caller.From(http.User).Name, id, Name(request.Name, limits), ct))
            .WithName("RenameDraft").WithSummary("Renames the draft; its XML and revision stay.");
        group.MapDelete("/{id}", async (Guid id, HttpContext http, WorkflowEngine engine, CancellationToken ct) =>
            {
                await engine.Drafts.DeleteAsync(Caller.From(http.User).Name, id, ct);
                return Results.NoContent();
            })
            .WithName("DeleteDraft").Produces(StatusCodes.Status204NoContent).WithSummary("Deletes the draft.");
    }

    // A draft's name is shown in the designer's menu and side view: visible characters and inner spaces only, as a key
    // (a line break, a NUL or a right-to-left override would garble the list or pass for another draft's name).
    private static string Name(string? name, ApiLimits limits) => InputRules.ShownName(name, "name", limits);

    private static string? ProcessId(string? processId, ApiLimits limits)
    {
        InputRules.Key(processId, "processId", limits);
        return processId;
    }

    // A draft is a BPMN document: the same size limit as a deployment, named as deploy names it, and XML whose root is
    // BPMN's definitions (what the designer saves); anything else could never be opened again.
    private static string Xml(string? xml, ApiLimits limits)
    {
        if (string.IsNullOrWhiteSpace(xml))
        {
            throw new WorkflowInputException("xml is required: the BPMN XML of the diagram");
        }

        var bytes = Encoding.UTF8.GetByteCount(xml);
        if (bytes > limits.MaxBpmnBytes)
        {
            throw new PayloadTooLargeException($"the draft's BPMN document of {bytes:N0} bytes is above the limit of {limits.MaxBpmnBytes:N0} (Workflows:Limits:MaxBpmnBytes)");
        }

        DraftXml.Check(xml);
        return xml;
    }
}

/// <summary>A new draft: its name, the diagram's XML, and the process it was opened from when there is one.</summary>
internal sealed record NewDraftRequest([property: RequiredInApi] string? Name, [property: RequiredInApi] string? Xml, string? ProcessId);

/// <summary>A draft saved again: the XML, the revision it replaces, and the process id when the designer knows it.</summary>
internal sealed record DraftSaveRequest([property: RequiredInApi] string? Xml, long Revision, string? ProcessId);

/// <summary>A draft's new name.</summary>
internal sealed record DraftRenameRequest([property: RequiredInApi] string? Name);
