using System.Text.Json;
using Workflows.Engine;
using Workflows.Host.Features.Security;

namespace Workflows.Host.Features.Api;

/// <summary>
/// Local parameters and drift: a branch's own branch admins and supervisors (and a central team) read the parameters of the version it runs; a branch administrator sets its own
/// branch's values within the declared bounds; the drift report shows which branch runs which version and which values
/// differ from the standard (a branch's own rows only, unless the caller is an analyst or a central team).
/// </summary>
internal static class ParametersApi
{
    private const int MaxValues = 50;

    public static void MapParameters(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/branches").WithTags("Branches");
        group.MapGet("/{branchId}/parameters/{processId}", async (string branchId, string processId, HttpContext http, WorkflowEngine engine, CancellationToken ct) =>
            {
                // Read by the same callers as the branch's calendar: its own branch admins and supervisors, a central team.
                var branch = await engine.Branches.GetAsync(branchId, ct);
                Caller.From(http.User).MustServe(branch.Id, "the parameters");
                return await engine.Branches.GetParametersAsync(branch.Id, processId, ct);
            })
            .RequireAuthorization(p => p.RequireRole(Roles.BranchAdmin, Roles.Supervisor)).WithName("GetBranchParameters")
            .WithSummary("The parameters the journey version the branch runs declares, with their types, bounds, standard values and the branch's own.");
        group.MapPut("/{branchId}/parameters/{processId}", SetAsync)
            .RequireAuthorization(p => p.RequireRole(Roles.BranchAdmin)).WithName("SetBranchParameters")
            .WithSummary("Sets the branch's values (null: back to the standard), each checked against the declared type and bounds.");
        api.MapGet("/drift", async (string? journey, HttpContext http, WorkflowEngine engine, CancellationToken ct) =>
            {
                var caller = Caller.From(http.User);
                var rows = await engine.Branches.GetDriftAsync(journey, ct);
                return caller.Is(Roles.Analyst) ? rows : rows.Where(r => caller.Serves(r.BranchId)).ToList();
            })
            .RequireAuthorization(p => p.RequireRole(Roles.Analyst, Roles.BranchAdmin, Roles.Supervisor)).WithName("GetDrift").WithTags("Branches")
            .WithSummary("Which branch runs which version of each journey against the standard (the newest approved), and which parameters differ from the standard values.");
    }

    private static async Task<BranchParameters> SetAsync(string branchId, string processId, ParameterValues request, HttpContext http, WorkflowEngine engine, CancellationToken ct)
    {
        var branch = await engine.Branches.GetAsync(branchId, ct);
        Caller.From(http.User).MustServe(branch.Id, "the parameters");
        if (request.Values is not { Count: > 0 and <= MaxValues } given)
        {
            throw new WorkflowInputException($"values lists 1 to {MaxValues} parameters by name");
        }

        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in given)
        {
            values[name] = value.ValueKind switch
            {
                JsonValueKind.Null => null,
                JsonValueKind.Number when value.TryGetDecimal(out var number) => number,
                JsonValueKind.Number => throw new WorkflowInputException($"values.{name}: {Shorten(value.GetRawText())} does not fit a number (at most 28 significant digits, about ±7.9e28)"),
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.String => value.GetString(),
                _ => throw new WorkflowInputException($"values.{name} is a number, text, true, false or null, not {value.ValueKind.ToString().ToLowerInvariant()}"),
            };
        }

        return await engine.Branches.SetParametersAsync(branch.Id, processId, values, ct);
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}

/// <summary>A branch's values of a journey's parameters by name; null returns one to its standard value.</summary>
internal sealed record ParameterValues(Dictionary<string, JsonElement>? Values);
