using System.Text.Json;
using Workflows.Engine;
using Workflows.Host.Features.Security;

namespace Workflows.Host.Features.Api;

/// <summary>
/// Repairs for operators: modify one instance (set variables, move tokens), and batch operations (cancel, retry
/// incidents, modify) over the instances a selection picks, run by the engine's worker. Operators act in their own
/// branch (a central team, branch *, in all); supervisors read batches and their results but change nothing.
/// </summary>
internal static class RepairsApi
{
    /// <summary>The most instructions of each kind one modification takes.</summary>
    public const int MaxInstructions = 100;

    public static void MapRepairs(this IEndpointRouteBuilder api)
    {
        api.MapPost("/instances/{id}/modification", ModifyAsync).WithTags("Instances")
            .RequireAuthorization(p => p.RequireRole(Roles.Operator)).WithName("ModifyInstance")
            .WithSummary("Sets variables, activates elements and terminates element instances of one instance, in one command, with a reason.");

        var batches = api.MapGroup("/batches").WithTags("Batches");
        batches.MapPost("", CreateAsync).RequireAuthorization(p => p.RequireRole(Roles.Operator)).WithName("CreateBatch").Produces<BatchInfo>(StatusCodes.Status201Created)
            .WithSummary("Cancels, retries the incidents of, or modifies the instances a selection picks, in the background.");
        batches.MapGet("", async (HttpContext http, WorkflowEngine engine, ApiLimits limits, int? max, CancellationToken ct) =>
                await engine.Operations.ListBatchesAsync(Caller.From(http.User).BranchFilter, limits.PageSize(max), ct))
            .RequireAuthorization(p => p.RequireRole(Roles.Operator, Roles.Supervisor)).WithName("ListBatches").WithSummary("The caller's branch's batches, newest first, with progress.");
        batches.MapGet("/{id}", async (Guid id, HttpContext http, WorkflowEngine engine, CancellationToken ct) => await BatchAsync(http, engine, id, ct))
            .RequireAuthorization(p => p.RequireRole(Roles.Operator, Roles.Supervisor)).WithName("GetBatch").WithSummary("A batch with its progress.");
        batches.MapPost("/{id}/pause", async (Guid id, HttpContext http, WorkflowEngine engine, CancellationToken ct) =>
            {
                await BatchAsync(http, engine, id, ct);
                return await engine.Operations.PauseBatchAsync(id, Caller.From(http.User).Name, ct);
            })
            .RequireAuthorization(p => p.RequireRole(Roles.Operator)).WithName("PauseBatch").WithSummary("Pauses a running batch after the instance in flight.");
        batches.MapPost("/{id}/resume", async (Guid id, HttpContext http, WorkflowEngine engine, CancellationToken ct) =>
            {
                await BatchAsync(http, engine, id, ct);
                return await engine.Operations.ResumeBatchAsync(id, Caller.From(http.User).Name, ct);
            })
            .RequireAuthorization(p => p.RequireRole(Roles.Operator)).WithName("ResumeBatch").WithSummary("Resumes a paused batch.");
        batches.MapGet("/{id}/results", async (Guid id, HttpContext http, WorkflowEngine engine, ApiLimits limits, long? after, int? max, CancellationToken ct) =>
            {
                await BatchAsync(http, engine, id, ct);
                if (after < 0)
                {
                    throw new WorkflowInputException("after: a result's seq, 0 or more");
                }

                return await engine.Operations.GetBatchResultsAsync(id, after ?? 0, limits.PageSize(max), ct);
            })
            .RequireAuthorization(p => p.RequireRole(Roles.Operator, Roles.Supervisor)).WithName("BatchResults")
            .WithSummary("One result per instance (done, skipped or failed with the reason), in order; page with after = the last seq.");
    }

    private static async Task<BatchInfo> BatchAsync(HttpContext http, WorkflowEngine engine, Guid id, CancellationToken ct)
    {
        var batch = await engine.Operations.GetBatchAsync(id, ct);
        Caller.From(http.User).MustSee(batch.Branch, Unknown.Batch(id));
        return batch;
    }

    private static async Task<ModificationResult> ModifyAsync(Guid id, ModificationRequest request, HttpContext http, WorkflowEngine engine, ApiLimits limits, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        await InstancesApi.StaffSnapshotAsync(http, engine, id, ct);
        var variables = request.Variables ?? [];
        var activate = request.Activate ?? [];
        var terminate = request.Terminate ?? [];
        if (variables.Count > MaxInstructions || activate.Count > MaxInstructions || terminate.Count > MaxInstructions)
        {
            throw new WorkflowInputException($"at most {MaxInstructions} instructions of each kind (variables, activate, terminate) in one modification");
        }

        foreach (var set in variables)
        {
            Values(set.Values, limits);
        }

        foreach (var a in activate)
        {
            InputRules.Name(a.ElementId, "activate.elementId", limits);
            Values(a.Variables, limits);
            foreach (var (scope, values) in a.ScopeVariables ?? [])
            {
                InputRules.Name(scope, "activate.scopeVariables", limits);
                Values(values, limits);
            }
        }

        foreach (var t in terminate)
        {
            InputRules.Text(t.ElementId, "terminate.elementId", limits.MaxNameLength, nameof(ApiLimits.MaxNameLength));
        }

        return await engine.Operations.ModifyAsync(new ModifyInstance(id, request.Reason ?? "")
        {
            Actor = caller.Name,
            Variables = variables.Select(v => new ScopeVariables(v.ScopeKey, ApiJson.Variables(v.Values) ?? new Dictionary<string, object?>())).ToList(),
            Activate = activate.Select(a => new ActivateElement(a.ElementId ?? "")
            {
                AncestorKey = a.AncestorKey,
                Variables = ApiJson.Variables(a.Variables),
                ScopeVariables = a.ScopeVariables?.ToDictionary(s => s.Key, s => ApiJson.Variables(s.Value) ?? new Dictionary<string, object?>(), StringComparer.Ordinal),
            }).ToList(),
            Terminate = terminate.Select(t => new TerminateElement(t.ElementKey, t.ElementId)).ToList(),
        }, ct);
    }

    private static async Task<IResult> CreateAsync(BatchRequest request, HttpContext http, WorkflowEngine engine, ApiLimits limits, ProcessCatalog catalog, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var selection = request.Selection ?? throw new WorkflowInputException("selection: say which instances the batch is for");
        var branch = selection.Branch;
        if (branch is null)
        {
            branch = caller.BranchFilter; // an operator of one branch selects in it; a central team in every branch
        }
        else
        {
            InputRules.Name(branch, "selection.branch", limits);
            caller.MustServe(branch, "the instances");
        }

        if (selection.Journey is not null)
        {
            InputRules.Name(selection.Journey, "selection.journey", limits);
        }

        if (request.Modification is { } m)
        {
            if ((m.Activate?.Count ?? 0) > MaxInstructions || (m.Terminate?.Count ?? 0) > MaxInstructions)
            {
                throw new WorkflowInputException($"modification: at most {MaxInstructions} element ids to activate and to terminate");
            }

            foreach (var element in (m.Activate ?? []).Concat(m.Terminate ?? []))
            {
                InputRules.Name(element, "modification element id", limits);
            }

            Values(m.Variables, limits);
        }

        await BatchChecks.CheckAsync(request, caller, engine, catalog, ct);
        var batch = await engine.Operations.CreateBatchAsync(new CreateBatch(request.Kind, new BatchSelection
        {
            ProcessId = selection.Journey, Version = selection.Version, Branch = branch, Status = selection.State, HasIncident = selection.Incident, InstanceIds = selection.InstanceIds,
            Variables = BatchVariables.Filters(selection.Variables, limits),
        }, request.Reason ?? "")
        {
            Actor = caller.Name,
            Paused = request.Paused ?? false,
            Modification = request.Modification is { } mod
                ? new BatchModification { Activate = mod.Activate ?? [], Terminate = mod.Terminate ?? [], Variables = ApiJson.Variables(mod.Variables) }
                : null,
        }, ct);
        return Results.Created($"/api/batches/{batch.Id}", batch);
    }

    // What an operator may not set, as no caller may: the case's key, its branch and settings, whose case it is.
    private static void Values(Dictionary<string, JsonElement>? values, ApiLimits limits)
    {
        InputRules.RefuseReserved(values, "an operator", InputRules.SystemVariables, InputRules.PartyVariables);
        InputRules.CheckVariables(values, limits);
    }
}

internal sealed record ModificationRequest([property: RequiredInApi] string? Reason, List<ScopeVariablesRequest>? Variables, List<ActivateRequest>? Activate, List<TerminateRequest>? Terminate);

internal sealed record ScopeVariablesRequest(long? ScopeKey, Dictionary<string, JsonElement>? Values);

internal sealed record ActivateRequest(string? ElementId, long? AncestorKey, Dictionary<string, JsonElement>? Variables, Dictionary<string, Dictionary<string, JsonElement>>? ScopeVariables);

internal sealed record TerminateRequest(long? ElementKey, string? ElementId);

internal sealed record BatchRequest(BatchKind Kind, [property: RequiredInApi] BatchSelectionRequest? Selection, [property: RequiredInApi] string? Reason, BatchModificationRequest? Modification, bool? Paused);

internal sealed record BatchSelectionRequest(string? Journey, int? Version, string? Branch, Engine.Runtime.ProcessInstanceStatus? State, bool? Incident, List<Guid>? InstanceIds,
    List<VariableFilterRequest>? Variables);

internal sealed record BatchModificationRequest(List<string>? Activate, List<string>? Terminate, Dictionary<string, JsonElement>? Variables);
