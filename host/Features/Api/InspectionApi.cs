using System.Text.Json;
using Workflows.Engine;
using Workflows.Engine.Runtime;
using Workflows.Host.Features.Security;

namespace Workflows.Host.Features.Api;

/// <summary>
/// Operations' reads (the <c>/operate</c> page): instances searched by journey, version, state, incident and the values of
/// the variables a journey declares searchable, a page at a time; one instance inspected whole. Operators and
/// supervisors of the instance's branch read them; nothing here changes an instance.
/// </summary>
internal static class InspectionApi
{
    private static readonly string[] Readers = [Roles.Operator, Roles.Supervisor];

    public static void MapInspection(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/instances").WithTags("Operations");
        group.MapGet("/search", SearchAsync).RequireAuthorization(p => p.RequireRole(Readers)).WithName("SearchInstances")
            .WithSummary("A page of the branch's instances, newest first, by journey, version, state, open incident and searchable variables (var.amount.gte=100); pass nextCursor back as after.");
        group.MapGet("/searchable-variables", async (WorkflowEngine engine, ApiLimits limits, string? journey, CancellationToken ct) =>
            {
                InputRules.Text(journey, "journey", limits.MaxNameLength, nameof(ApiLimits.MaxNameLength));
                return await engine.Inspection.GetSearchableVariablesAsync(journey, ct);
            })
            .RequireAuthorization(p => p.RequireRole(Readers)).WithName("SearchableVariables")
            .WithSummary("The variables a journey's deployed versions declare searchable (wf:searchable), with their types; every journey's without journey.");
        group.MapGet("/{id}/inspection", InspectAsync).RequireAuthorization(p => p.RequireRole(Readers)).WithName("InspectInstance")
            .WithSummary("Every wait point (timers, messages with their correlation key, jobs with retries and lease, tasks, calls, SLA clocks), variables by scope, open incidents and history.");
    }

    private static async Task<InstancePage> SearchAsync(HttpContext http, WorkflowEngine engine, ApiLimits limits,
        string? journey, int? version, string? branch, string? businessKey, string? state, bool? incident, string? after, int? max, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        InputRules.Text(journey, "journey", limits.MaxNameLength, nameof(ApiLimits.MaxNameLength));
        InputRules.Text(branch, "branch", limits.MaxNameLength, nameof(ApiLimits.MaxNameLength));
        InputRules.Key(businessKey, "businessKey", limits);
        InputRules.Text(after, "after", limits.MaxNameLength, nameof(ApiLimits.MaxNameLength));
        // Any case: the API writes states in camel case (active), .NET names them in Pascal case (Active).
        ProcessInstanceStatus? status = state is null ? null
            : Enum.TryParse<ProcessInstanceStatus>(state, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !char.IsDigit(state[0]) ? parsed
            : throw new WorkflowInputException($"state: '{InputRules.Text(state, "state", limits.MaxNameLength, nameof(ApiLimits.MaxNameLength))}' is none of active, completed, terminated, cancelled");
        if (version is not null && journey is null)
        {
            throw new WorkflowInputException("version: a version is of a journey; give journey too");
        }

        if (branch is not null)
        {
            caller.MustServe(branch, "the instances");
        }

        return await engine.Inspection.SearchInstancesAsync(new InstanceQuery
        {
            ProcessId = journey,
            Version = version,
            Branch = branch ?? caller.BranchFilter,
            BusinessKey = businessKey,
            Status = status,
            HasIncident = incident,
            Variables = VariableQuery.Parse(http.Request.Query, limits),
            Cursor = after,
            Max = limits.PageSize(max),
        }, ct);
    }

    private static async Task<InspectionView> InspectAsync(Guid id, HttpContext http, WorkflowEngine engine, ProcessCatalog catalog, CancellationToken ct)
    {
        var inspection = await engine.Inspection.InspectAsync(id, ct);
        var instance = inspection.Instance;
        Caller.From(http.User).MustSee(instance.Branch, Unknown.Instance(id));
        var names = await catalog.GetAsync(instance.ProcessId, instance.Version, ct);
        var ids = inspection.History.Select(h => h.ElementId).Concat(inspection.WaitPoints.Select(w => w.ElementId)).Concat(inspection.ActiveTokens.Keys)
            .Concat(inspection.Incidents.Select(i => i.ElementId)).OfType<string>().Distinct(StringComparer.Ordinal);
        var steps = ids.Where(e => names.Of(e)?.Name is not null).ToDictionary(e => e, e => names.Of(e)!.Name!, StringComparer.Ordinal);
        return new InspectionView(instance, names.Name, ScopeView.Of(inspection.Scope), inspection.ActiveTokens, inspection.WaitPoints, inspection.Incidents, inspection.History, steps)
        {
            StateProblem = inspection.StateProblem,
        };
    }
}

/// <summary>Variable filters from a query string: <c>var.amount=100</c> (equal), <c>var.amount.gte=100</c>; operators eq, gt, gte, lt, lte.</summary>
internal static class VariableQuery
{
    private const string Prefix = "var.";

    public static IReadOnlyList<VariableFilter> Parse(IQueryCollection query, ApiLimits limits)
    {
        var filters = new List<VariableFilter>();
        foreach (var (key, values) in query)
        {
            if (!key.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var rest = key[Prefix.Length..];
            if (rest.Length == 0 || rest[0] == '.')
            {
                throw new WorkflowInputException($"{key}: name a variable after var., as in var.amount=100 or var.amount.gte=100");
            }

            var dot = rest.LastIndexOf('.');
            var (name, comparison) = dot < 0 ? (rest, VariableComparison.Equal) : (rest[..dot], Comparison(rest[(dot + 1)..], key));
            InputRules.Name(name, key, limits);
            foreach (var value in values)
            {
                filters.Add(new VariableFilter(name, comparison, InputRules.Text(value, key, limits.MaxNameLength, nameof(ApiLimits.MaxNameLength)) ?? ""));
            }
        }

        return filters;
    }

    /// <summary>The comparison one of eq, gt, gte, lt, lte names.</summary>
    /// <exception cref="WorkflowInputException">None of them; <paramref name="field"/> names where it was given.</exception>
    public static VariableComparison Comparison(string op, string field) => op switch
    {
        "eq" => VariableComparison.Equal,
        "gt" => VariableComparison.GreaterThan,
        "gte" => VariableComparison.GreaterOrEqual,
        "lt" => VariableComparison.LessThan,
        "lte" => VariableComparison.LessOrEqual,
        "" => throw new WorkflowInputException($"{field}: a comparison after the last dot, one of eq, gt, gte, lt, lte (var.amount.gte=100), or none for equality"),
        _ => throw new WorkflowInputException($"{field}: '{op}' is none of the comparisons eq, gt, gte, lt, lte"),
    };
}

/// <summary>An inspection as the operations page reads it: the variables as JSON, and the journey's names of the elements it mentions.</summary>
internal sealed record InspectionView(InstanceSummary Instance, string JourneyName, ScopeView Scope, IReadOnlyDictionary<string, int> ActiveTokens,
    IReadOnlyList<WaitPointInfo> WaitPoints, IReadOnlyList<IncidentInfo> Incidents, IReadOnlyList<HistoryEntry> History, IReadOnlyDictionary<string, string> StepNames)
{
    /// <summary>Why the instance's stored state cannot be read (it is shown by its rows: no tokens, no variables); null when it can.</summary>
    public string? StateProblem { get; init; }
}

/// <summary>An element instance with its local variables as JSON, and the element instances inside it.</summary>
internal sealed record ScopeView(long Key, string ElementId, string State, JsonElement Variables, IReadOnlyList<ScopeView> Children)
{
    public static ScopeView Of(ElementInstanceInfo e) => new(e.Key, e.ElementId, e.State, ApiJson.ToJson(e.Variables), e.Children.Select(Of).ToList());
}
