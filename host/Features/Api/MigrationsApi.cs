using Workflows.Engine;
using Workflows.Host.Features.Security;

namespace Workflows.Host.Features.Api;

/// <summary>
/// Instance migration for operators and branch administrators: a dry run of a plan over the running instances of a
/// journey, then a migration that runs as a batch (each instance in one command, audited). Both act in the caller's
/// branch (a central team, branch *, in every branch), and each instance moves only to the version its branch runs.
/// </summary>
internal static class MigrationsApi
{
    private static readonly string[] Migrators = [Roles.Operator, Roles.BranchAdmin];

    public static void MapMigrations(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/migrations").WithTags("Migrations");
        group.MapPost("/dry-run", DryRunAsync).RequireAuthorization(p => p.RequireRole(Migrators)).WithName("DryRunMigration").Produces<MigrationPreview>()
            .WithSummary("What migrating each selected running instance to the target version would do, and every reason those that cannot migrate cannot; nothing changes.")
            .WithDescription("A page at a time in instance id order: give the answer's next as after for the next page.");
        group.MapPost("", RunAsync).RequireAuthorization(p => p.RequireRole(Migrators)).WithName("RunMigration").Produces<BatchInfo>(StatusCodes.Status201Created)
            .WithSummary("Migrates the selected running instances in the background, each in one command; an instance that cannot migrate fails with its reasons and stays as it was.");
        group.MapGet("/{id}", async (Guid id, HttpContext http, WorkflowEngine engine, CancellationToken ct) => await MigrationAsync(http, engine, id, ct))
            .RequireAuthorization(p => p.RequireRole(Roles.Operator, Roles.BranchAdmin, Roles.Supervisor)).WithName("GetMigration").WithSummary("A migration's progress.");
        group.MapGet("/{id}/results", async (Guid id, HttpContext http, WorkflowEngine engine, ApiLimits limits, long? after, int? max, CancellationToken ct) =>
            {
                await MigrationAsync(http, engine, id, ct);
                if (after < 0)
                {
                    throw new WorkflowInputException("after: a result's seq, 0 or more");
                }

                return await engine.Operations.GetBatchResultsAsync(id, after ?? 0, limits.PageSize(max), ct);
            })
            .RequireAuthorization(p => p.RequireRole(Roles.Operator, Roles.BranchAdmin, Roles.Supervisor)).WithName("MigrationResults")
            .WithSummary("One result per instance (done, skipped, or failed with every reason), in order; page with after = the last seq.");
    }

    private static async Task<MigrationPreview> DryRunAsync(MigrationDryRunRequest request, HttpContext http, WorkflowEngine engine, ApiLimits limits, CancellationToken ct)
    {
        if (request.Max > limits.MaxPageSize)
        {
            // A query value, not a payload: 400, as any other value out of its range.
            throw new WorkflowInputException($"max: at most {limits.MaxPageSize} instances a page (Workflows:Limits:MaxPageSize), not {request.Max}; page on with after");
        }

        var caller = Caller.From(http.User);
        var (plan, selection) = Read(request.AsRun(), caller, limits);
        await CheckInstancesAsync(plan, selection, caller, engine, ct);
        return await engine.Operations.PreviewMigrationAsync(plan, selection, request.After, limits.PageSize(request.Max, 100), ct);
    }

    private static async Task<IResult> RunAsync(MigrationRequest request, HttpContext http, WorkflowEngine engine, ApiLimits limits, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var (plan, selection) = Read(request, caller, limits);
        await CheckInstancesAsync(plan, selection, caller, engine, ct);
        var batch = await engine.Operations.CreateBatchAsync(new CreateBatch(BatchKind.Migrate, selection, request.Reason ?? "")
        {
            Actor = caller.Name,
            Paused = request.Paused ?? false,
            Migration = plan,
        }, ct);
        return Results.Created($"/api/migrations/{batch.Id}", batch);
    }

    private static (MigrationPlan Plan, BatchSelection Selection) Read(MigrationRequest request, Caller caller, ApiLimits limits)
    {
        var journey = InputRules.Name(request.Journey, "journey", limits);
        if (request.TargetVersion is not { } target || target < 1)
        {
            throw new WorkflowInputException("targetVersion: the version the instances move to, 1 or more");
        }

        var mappings = request.Mappings ?? [];
        if (mappings.Count > Engine.Services.WorkflowOperations.MaxMappings)
        {
            throw new WorkflowInputException($"mappings: at most {Engine.Services.WorkflowOperations.MaxMappings}");
        }

        foreach (var mapping in mappings)
        {
            InputRules.Name(mapping?.Source, "mappings.source", limits);
            InputRules.Name(mapping?.Target, "mappings.target", limits);
        }

        var asked = request.Selection;
        var branch = asked?.Branch;
        if (branch is null)
        {
            branch = caller.BranchFilter; // a branch's staff migrate in their branch; a central team in every branch
        }
        else
        {
            InputRules.Name(branch, "selection.branch", limits);
            caller.MustServe(branch, "the instances");
        }

        var plan = new MigrationPlan(journey, target) { Mappings = mappings.Select(m => new ElementMapping(m!.Source!, m.Target!)).ToList() };
        return (plan, new BatchSelection { Version = asked?.Version, Branch = branch, InstanceIds = asked?.InstanceIds });
    }

    // Named instances must be the journey's, in the selection's branch and one the caller serves: any other is told as
    // unknown (400 naming them, docs/api.md's batch rule), never as another branch's, and nothing is created.
    private static async Task CheckInstancesAsync(MigrationPlan plan, BatchSelection selection, Caller caller, WorkflowEngine engine, CancellationToken ct)
    {
        if (selection.InstanceIds is not { Count: > 0 and <= Engine.Services.WorkflowOperations.MaxSelectedIds } ids)
        {
            return;
        }

        var unknown = new List<Guid>();
        foreach (var id in ids.Distinct())
        {
            try
            {
                var snapshot = await engine.Queries.GetInstanceAsync(id, ct);
                if (caller.Serves(snapshot.Branch) && (selection.Branch is null || selection.Branch == snapshot.Branch) && snapshot.ProcessId == plan.ProcessId)
                {
                    continue;
                }
            }
            catch (WorkflowNotFoundException)
            {
            }

            unknown.Add(id);
        }

        if (unknown.Count > 0)
        {
            var where = selection.Branch is null ? $"a branch {caller.Name} works for" : $"branch '{selection.Branch}'";
            throw new WorkflowInputException($"selection.instanceIds: {unknown.Count} of the ids name no instance of '{plan.ProcessId}' in {where}: " +
                InputRules.Few(unknown, 10) + "; remove them (nothing was migrated)");
        }
    }

    private static async Task<BatchInfo> MigrationAsync(HttpContext http, WorkflowEngine engine, Guid id, CancellationToken ct)
    {
        var batch = await engine.Operations.GetBatchAsync(id, ct);
        if (batch.Kind != BatchKind.Migrate)
        {
            throw new WorkflowNotFoundException($"migration {id} does not exist");
        }

        Caller.From(http.User).MustSee(batch.Branch, $"migration {id} does not exist"); // another branch's migration is as an unknown one
        return batch;
    }
}

/// <summary>A migration to run: the journey, the version its instances move to and why are required.</summary>
internal sealed record MigrationRequest(
    [property: RequiredInApi] string? Journey, [property: RequiredInApi] int? TargetVersion, List<MappingRequest?>? Mappings, MigrationSelectionRequest? Selection,
    [property: RequiredInApi] string? Reason, bool? Paused, Guid? After, int? Max);

/// <summary>
/// A migration's dry run: the run's request, with the journey and the target version required and the reason not (a
/// dry run changes nothing, so it writes no reason); the same body may be sent to both.
/// </summary>
internal sealed record MigrationDryRunRequest(
    [property: RequiredInApi] string? Journey, [property: RequiredInApi] int? TargetVersion, List<MappingRequest?>? Mappings, MigrationSelectionRequest? Selection,
    string? Reason, bool? Paused, Guid? After, int? Max)
{
    public MigrationRequest AsRun() => new(Journey, TargetVersion, Mappings, Selection, Reason, Paused, After, Max);
}

internal sealed record MappingRequest(string? Source, string? Target);

internal sealed record MigrationSelectionRequest(int? Version, string? Branch, List<Guid>? InstanceIds);
