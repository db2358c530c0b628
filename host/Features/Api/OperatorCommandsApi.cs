using System.Text.Json;
using Workflows.Engine;
using Workflows.Host.Features.Security;

namespace Workflows.Host.Features.Api;

/// <summary>
/// The operations page's commands that the repairs API does not already carry: an operator cancels an instance with a
/// reason written to its history. Operators act in their own branch (a central team, branch *, in all); supervisors
/// read the page but change nothing.
/// </summary>
internal static class OperatorCommandsApi
{
    public static void MapOperatorCommands(this IEndpointRouteBuilder api)
    {
        api.MapPost("/instances/{id}/cancellation", async (Guid id, CancellationRequest request, HttpContext http, WorkflowEngine engine, CancellationToken ct) =>
            {
                var caller = Caller.From(http.User);
                await InstancesApi.StaffOfBranchAsync(http, engine, id, ct);
                await engine.Operations.CancelAsync(new CancelInstance(id, request.Reason ?? "") { Actor = caller.Name }, ct);
                return Results.NoContent();
            })
            .WithTags("Instances").RequireAuthorization(p => p.RequireRole(Roles.Operator)).WithName("CancelInstanceWithReason")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("An operator cancels a running instance and everything it waits for, with a reason written to its history.");
    }
}

/// <summary>Why an operator cancels an instance.</summary>
internal sealed record CancellationRequest([property: RequiredInApi] string? Reason);

/// <summary>A batch selection's condition on a searchable variable: <c>{ "name": "amount", "comparison": "gte", "value": 100 }</c>.</summary>
internal sealed record VariableFilterRequest(string? Name, string? Comparison, JsonElement Value);

/// <summary>A batch selection's variable conditions, as instance searches take them from a query string.</summary>
internal static class BatchVariables
{
    public static IReadOnlyList<VariableFilter> Filters(List<VariableFilterRequest>? filters, ApiLimits limits)
    {
        if (filters is null)
        {
            return [];
        }

        var list = new List<VariableFilter>(filters.Count);
        foreach (var f in filters)
        {
            if (f is null)
            {
                throw new WorkflowInputException("selection.variables: each entry is an object with name, comparison and value");
            }

            var name = InputRules.Name(f.Name, "selection.variables.name", limits);
            var comparison = f.Comparison is null ? VariableComparison.Equal : VariableQuery.Comparison(f.Comparison, $"selection.variables[{name}].comparison");
            object value = f.Value.ValueKind switch
            {
                JsonValueKind.String => InputRules.Text(f.Value.GetString(), $"selection.variables[{name}].value", limits.MaxNameLength, nameof(ApiLimits.MaxNameLength))!,
                JsonValueKind.Number when f.Value.TryGetDecimal(out var number) => number,
                _ => throw new WorkflowInputException($"selection.variables[{name}].value: a string, a number or a date (yyyy-MM-dd) in a string"),
            };
            list.Add(new VariableFilter(name, comparison, value));
        }

        return list;
    }
}
