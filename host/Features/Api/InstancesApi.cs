using System.Text.Json;
using Workflows.Engine;
using Workflows.Engine.Runtime;
using Workflows.Host.Features.Security;

namespace Workflows.Host.Features.Api;

/// <summary>
/// Cases: agents start journeys for their branch and customers for themselves; staff of the branch read the
/// whole instance (active elements, variables, tasks, clocks, history), a customer reads a view of its own case
/// with nothing internal in it (no queue, no agent, no variables).
/// </summary>
internal static class InstancesApi
{
    public static void MapInstances(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/instances").WithTags("Instances");
        group.MapPost("", StartAsync).RequireAuthorization(p => p.RequireRole(Roles.Agent, Roles.Customer)).WithName("StartJourney")
            .Produces<Started>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithDescription("With an Idempotency-Key header (1 to 255 characters, kept 24 hours) a retried start answers the first one's case and starts no other; the same key with another body is refused (422), and while the first start is under way a retry gets 409.")
            .WithSummary("Starts a journey for a branch, on the version the branch pinned.");
        group.MapGet("", ListAsync).RequireAuthorization(p => p.RequireRole(Roles.Agent, Roles.Supervisor, Roles.Customer)).WithName("ListInstances")
            .Produces<IReadOnlyList<InstanceSummary>>().WithDescription("Staff get instance summaries; a customer gets its cases (id, reference, journey, status, dates) in the same list.")
            .WithSummary("Instances of the caller's branch (staff) or the caller's own cases (customers), newest first.");
        group.MapGet("/{id}", GetAsync).RequireAuthorization(p => p.RequireRole(Roles.Agent, Roles.Supervisor, Roles.Customer)).WithName("GetInstance")
            .Produces<InstanceView>().WithDescription("Supervisors of the branch get the whole instance; agents get it with only the case data the journey declares visible to agents (wf:caseData) among its variables; a customer gets a view of its own case (CaseView) with nothing internal in it.");
        group.MapPost("/{id}/cancel", async (Guid id, HttpContext http, WorkflowEngine engine, CancellationToken ct) =>
            {
                await StaffOfBranchAsync(http, engine, id, ct);
                // Who cancelled is on the history's rows of the cancellation, as for every other command.
                await engine.Runtime.CancelAsync(id, Caller.From(http.User).Name, ct);
                return Results.NoContent();
            })
            .RequireAuthorization(p => p.RequireRole(Roles.Agent, Roles.Supervisor)).WithName("CancelInstance").Produces(StatusCodes.Status204NoContent);
        group.MapGet("/{id}/clocks", async (Guid id, HttpContext http, WorkflowEngine engine, CancellationToken ct) =>
            {
                await StaffSnapshotAsync(http, engine, id, ct);
                return await engine.ServiceLevels.GetClocksAsync(id, ct);
            })
            .RequireAuthorization(p => p.RequireRole(Roles.Agent, Roles.Supervisor)).WithName("GetClocks").WithSummary("The instance's SLA and commitment clocks, with time left now.");
    }

    /// <summary>
    /// The snapshot, when the caller is staff of the instance's branch; else 404 as for an unknown instance, or with
    /// notFound's text when the instance was reached through another id (an incident's).
    /// </summary>
    internal static async Task<ProcessInstanceSnapshot> StaffSnapshotAsync(HttpContext http, WorkflowEngine engine, Guid id, CancellationToken ct, string? notFound = null)
    {
        // The row first: staff of another branch learn nothing of an instance, not even that its state cannot be read.
        await StaffOfBranchAsync(http, engine, id, ct, notFound);
        return await engine.Queries.GetInstanceAsync(id, ct);
    }

    /// <summary>
    /// Refuses (404, as for an unknown instance) a caller who is not staff of the instance's branch, told by its row alone:
    /// a command that works on an instance whose stored state cannot be read (a cancel, its incident's retry) still reaches it.
    /// </summary>
    internal static async Task StaffOfBranchAsync(HttpContext http, WorkflowEngine engine, Guid id, CancellationToken ct, string? notFound = null) =>
        Caller.From(http.User).MustSee(await engine.Queries.GetBranchAsync(id, ct), notFound ?? Unknown.Instance(id));

    private static async Task<IResult> StartAsync(StartRequest request, HttpContext http, WorkflowEngine engine, ApiLimits limits, ProcessCatalog catalog, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        // The request as the caller sent it: the key's fingerprint, before the host adds the customer to its variables.
        var idempotency = IdempotencyKeys.Of(http.Request, caller, request);
        InputRules.Name(request.Journey, "journey", limits);
        InputRules.Name(request.Branch, "branch", limits);
        InputRules.Key(request.BusinessKey, "businessKey", limits);
        InputRules.CheckVariables(request.Variables, limits);
        if (idempotency is not null && await engine.Runtime.FindStartedAsync(idempotency, ct) is { } made)
        {
            // The retry of a start that was made gets its answer before any check of what may have changed since (the
            // branch's pin, the start form): the case exists, whatever a new start would be refused for now.
            return Created(http, made, null);
        }

        var customer = caller.Is(Roles.Customer) && !caller.Is(Roles.Agent);
        int? version = null;
        if (customer)
        {
            // A customer gives only what the journey's start event declares as customer input, and raises the case for
            // itself: the version checked is the version started.
            var customerId = caller.CustomerId ?? throw new ForbiddenException($"{caller.Name} has no customer id");
            if (!string.IsNullOrEmpty(request.BusinessKey))
            {
                // The key is the case's correlation key (caseId), which the back office's answer finds the case by:
                // a customer never chooses it, so no customer can put a case of its own in the way of someone else's.
                throw new WorkflowInputException("businessKey: a customer's case gets its reference from the engine; leave businessKey out");
            }

            version = await StartingVersionAsync(engine, request.Journey, request.Branch, ct);
            var names = await catalog.GetAsync(request.Journey, version.Value, ct);
            if (names.StartedByHandoff)
            {
                throw new ForbiddenException($"journey '{request.Journey}' is a department's part of a case; customers raise the journeys that start by themselves");
            }

            (names.StartForm ?? new FormRules([])).Check(request.Variables, $"the start of '{request.Journey}' (the customer input it declares)", requireAll: true);
            request = request with { Variables = new Dictionary<string, JsonElement>(request.Variables ?? [], StringComparer.Ordinal) };
            request.Variables!["customerId"] = JsonSerializer.SerializeToElement(customerId);
        }
        else
        {
            caller.MustServe(request.Branch, "starting a journey");
            InputRules.RefuseReserved(request.Variables, "a caller", InputRules.SystemVariables);
        }

        var variables = new Dictionary<string, object?>(ApiJson.Variables(request.Variables) ?? new Dictionary<string, object?>(), StringComparer.Ordinal);
        var chosen = string.IsNullOrWhiteSpace(request.BusinessKey) ? null : request.BusinessKey;
        for (var attempt = 1; ; attempt++)
        {
            var businessKey = chosen ?? NewCaseNumber();
            variables["caseId"] = businessKey;
            try
            {
                // The key is unique among the journey's active cases, in the engine's commit: the back office's answer,
                // correlated by caseId, can reach one case only, whichever node started the others.
                var started = await engine.Runtime.StartOnceAsync(new StartInstance(request.Journey)
                {
                    BusinessKey = businessKey, UniqueBusinessKey = true, Branch = request.Branch, Version = version, Variables = variables,
                    Idempotency = idempotency,
                }, ct);
                return Created(http, started, businessKey);
            }
            catch (BusinessKeyInUseException) when (chosen is null && attempt < 3)
            {
                // A generated case number met an active one (about one in a trillion): draw another.
            }
            catch (BusinessKeyInUseException e)
            {
                // Named without the other case's id or branch: the caller may not serve it.
                throw new WorkflowConflictException($"businessKey '{e.BusinessKey}' is the key of an active case of '{e.ProcessId}'; a key stays taken while a case or the other office's journey it started is active: choose another, or leave businessKey out for a generated one");
            }
        }
    }

    private static IResult Created(HttpContext http, StartedInstance started, string? businessKey)
    {
        if (started.Repeated)
        {
            // The first start's answer again (its case number, not this attempt's), as the draft asks of a retry.
            http.Response.Headers[IdempotencyKeys.ReplayedHeader] = "true";
        }

        return Results.Created($"/api/instances/{started.Id}", new Started(started.Id, started.BusinessKey ?? businessKey ?? "")); // the host gives every start its key
    }

    /// <summary>The version a start in <paramref name="branch"/> runs: the branch's pin, else the latest (the engine's one resolution).</summary>
    private static Task<int> StartingVersionAsync(WorkflowEngine engine, string journey, string branch, CancellationToken ct) =>
        engine.Branches.ResolveVersionAsync(journey, branch, ct);

    // 60 random bits: a clash among a journey's active cases is rare, and drawn again when it happens.
    private static string NewCaseNumber() => "W-" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8))[..15];

    private static async Task<IResult> ListAsync(HttpContext http, WorkflowEngine engine, ApiLimits limits, ProcessCatalog catalog,
        string? journey, string? branch, string? businessKey, ProcessInstanceStatus? status, int? max, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var query = new InstanceQuery { ProcessId = journey, BusinessKey = businessKey, Status = status, Max = limits.PageSize(max) };
        if (caller.Is(Roles.Agent) || caller.Is(Roles.Supervisor))
        {
            if (branch is not null)
            {
                caller.MustServe(branch, "the instances");
            }

            return Results.Ok(await engine.Queries.QueryInstancesAsync(query with { Branch = branch ?? caller.BranchFilter }, ct));
        }

        var own = await engine.Queries.QueryInstancesAsync(query with { CustomerId = caller.CustomerId ?? "" }, ct);
        var cases = new List<CaseSummary>();
        foreach (var i in own)
        {
            var names = await catalog.GetAsync(i.ProcessId, i.Version, ct);
            if (!names.StartedByHandoff)
            {
                cases.Add(new CaseSummary(i.Id, i.BusinessKey, names.Name, CaseView.StatusOf(i.Status), i.StartedAt, i.EndedAt));
            }
        }

        return Results.Ok(cases);
    }

    private static async Task<IResult> GetAsync(Guid id, HttpContext http, WorkflowEngine engine, ProcessCatalog catalog, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        // Who may see it is told by its row, before its state is read: a stranger learns nothing of an instance, not
        // even that its state cannot be read.
        var row = await engine.Queries.GetSummaryAsync(id, ct);
        if (caller.Is(Roles.Agent) || caller.Is(Roles.Supervisor))
        {
            caller.MustSee(row.Branch, Unknown.Instance(id));
        }
        else if (caller.CustomerId is null || row.CustomerId != caller.CustomerId)
        {
            throw new WorkflowNotFoundException($"you have no case {id}");
        }

        var staff = caller.Is(Roles.Agent) || caller.Is(Roles.Supervisor);
        ProcessInstanceSnapshot snapshot;
        try
        {
            snapshot = await engine.Queries.GetInstanceAsync(id, ct);
        }
        catch (Exception e) when (!staff && e is InstanceStateUnreadableException or DefinitionUnreadableException)
        {
            // The customer's own case: what its rows say (the promise, the steps done), and that it is being looked at;
            // the engine's reason is for the staff who may see it.
            if ((await catalog.GetAsync(row.ProcessId, row.Version, ct)).StartedByHandoff)
            {
                throw new WorkflowNotFoundException($"you have no case {id}");
            }

            return Results.Ok(await CaseView.BeingLookedAtAsync(row, engine, catalog, ct));
        }

        if (staff)
        {
            caller.MustSee(snapshot.Branch, Unknown.Instance(id));
            var history = await engine.Queries.GetHistoryAsync(id, ct);
            var names = await catalog.GetAsync(snapshot.ProcessId, snapshot.Version, ct);
            var steps = history.Select(h => h.ElementId).Concat(snapshot.ActiveElements.Select(a => a.ElementId)).OfType<string>().Distinct(StringComparer.Ordinal)
                .Where(e => names.Of(e)?.Name is not null).ToDictionary(e => e, e => names.Of(e)!.Name!, StringComparer.Ordinal);
            var view = new InstanceView(snapshot.Id, snapshot.ProcessId, names.Name, snapshot.Version, snapshot.BusinessKey, snapshot.Branch, snapshot.CustomerId,
                snapshot.Status, snapshot.ActiveElements, ApiJson.ToJson(snapshot.Variables), snapshot.Incidents,
                await engine.Tasks.GetOpenAsync(id, ct), await engine.ServiceLevels.GetClocksAsync(id, ct), history, steps,
                snapshot.StartedAt, snapshot.EndedAt)
            {
                Jobs = await WaitingJob.OfAsync(engine, id, ct),
            };
            return Results.Ok(AgentViews.SeesCaseDataOnly(caller) ? AgentViews.ForAgent(view, snapshot, names) : view);
        }

        if (caller.CustomerId is null || snapshot.CustomerId != caller.CustomerId || (await catalog.GetAsync(snapshot.ProcessId, snapshot.Version, ct)).StartedByHandoff)
        {
            // Not "forbidden": a customer learns nothing about other people's cases, not even that they exist. A
            // back-office instance carries the same customer, but it is the organisation's part of the case.
            throw new WorkflowNotFoundException($"you have no case {id}");
        }

        return Results.Ok(await CaseView.OfAsync(snapshot, engine, catalog, ct));
    }
}

internal sealed record StartRequest(string Journey, string Branch, string? BusinessKey, Dictionary<string, JsonElement>? Variables);

internal sealed record Started(Guid Id, string BusinessKey);

/// <summary>An instance as staff of its branch see it; <see cref="StepNames"/> names the elements its history and tokens mention.</summary>
internal sealed record InstanceView(Guid Id, string Journey, string JourneyName, int Version, string? BusinessKey, string? Branch, string? CustomerId, ProcessInstanceStatus Status,
    IReadOnlyList<ActiveElement> ActiveElements, JsonElement Variables, IReadOnlyList<IncidentInfo> Incidents, IReadOnlyList<UserTaskInfo> Tasks,
    IReadOnlyList<SlaClockInfo> Clocks, IReadOnlyList<HistoryEntry> History, IReadOnlyDictionary<string, string> StepNames, DateTimeOffset StartedAt, DateTimeOffset? EndedAt)
{
    /// <summary>The jobs the instance waits for, each saying whether anything serves its type.</summary>
    public IReadOnlyList<WaitingJob> Jobs { get; init; } = [];
}

/// <summary>
/// A job the instance waits for. <see cref="HasWorker"/> is false when no in-process handler serves its type and no
/// worker ever asked for it: nothing will take the job until one does.
/// </summary>
internal sealed record WaitingJob(Guid Id, string ElementId, string Type, int Retries, bool HasWorker, string? LastWorker, DateTimeOffset? LastActivatedAt)
{
    public static async Task<IReadOnlyList<WaitingJob>> OfAsync(WorkflowEngine engine, Guid instanceId, CancellationToken ct)
    {
        var jobs = await engine.Jobs.GetWaitingAsync(instanceId: instanceId, cancellationToken: ct);
        if (jobs.Count == 0)
        {
            return [];
        }

        var workers = (await engine.Jobs.GetWorkersAsync(jobs.Select(j => j.Type).ToHashSet(StringComparer.Ordinal), ct)).ToDictionary(w => w.Type, StringComparer.Ordinal);
        return jobs.Select(j =>
        {
            var worker = workers.GetValueOrDefault(j.Type);
            return new WaitingJob(j.Id, j.ElementId, j.Type, j.Retries, worker is not null || engine.Jobs.HasHandler(j.Type), worker?.Worker, worker?.LastActivatedAt);
        }).ToList();
    }
}

internal sealed record CaseSummary(Guid Id, string? Reference, string Journey, string Status, DateTimeOffset StartedAt, DateTimeOffset? EndedAt);

/// <summary>
/// A customer's view of its case: where it stands, what was promised, the steps done and under way in the journey's
/// words for customers (<c>wf:customerStep</c>; a step without them is not shown, an internal step name never is), and
/// the questions the journey asks the customer now (the satisfaction survey), each with its form.
/// </summary>
internal sealed record CaseView(Guid Id, string? Reference, string Journey, string Status, string? Promise, DateTimeOffset? PromisedBy, bool? PromiseKept,
    IReadOnlyList<string> InProgress, IReadOnlyList<CaseStep> StepsDone, DateTimeOffset StartedAt, DateTimeOffset? EndedAt)
{
    /// <summary>What the journey asks the customer to answer now.</summary>
    public IReadOnlyList<CustomerQuestion> Questions { get; init; } = [];

    public static string StatusOf(ProcessInstanceStatus status) => status switch
    {
        ProcessInstanceStatus.Active => "in progress",
        ProcessInstanceStatus.Cancelled => "withdrawn",
        _ => "closed",
    };

    /// <summary>What a customer reads of a case whose stored state cannot be read now: its rows' promise and steps done, no question.</summary>
    public const string BeingLookedAt = "being looked at";

    public static async Task<CaseView> OfAsync(ProcessInstanceSnapshot snapshot, WorkflowEngine engine, ProcessCatalog catalog, CancellationToken ct)
    {
        var names = await catalog.GetAsync(snapshot.ProcessId, snapshot.Version, ct);
        var words = names.CustomerSteps;
        var inProgress = snapshot.ActiveElements.Where(a => words.ContainsKey(a.ElementId)).Select(a => words[a.ElementId].Label).Distinct().ToList();
        var view = await FromRowsAsync(snapshot.Id, snapshot.BusinessKey, StatusOf(snapshot.Status), inProgress, snapshot.StartedAt, snapshot.EndedAt, names, engine, ct);
        return view with
        {
            Questions = snapshot.Status == ProcessInstanceStatus.Active ? await CustomerAnswersApi.OpenAsync(snapshot.Id, names, engine, ct) : [],
        };
    }

    /// <summary>The case as its rows tell it, for an instance whose stored state cannot be read: nothing internal, nothing to answer.</summary>
    public static async Task<CaseView> BeingLookedAtAsync(InstanceSummary row, WorkflowEngine engine, ProcessCatalog catalog, CancellationToken ct) =>
        await FromRowsAsync(row.Id, row.BusinessKey, row.Status == ProcessInstanceStatus.Active ? BeingLookedAt : StatusOf(row.Status), [], row.StartedAt, row.EndedAt,
            await catalog.GetAsync(row.ProcessId, row.Version, ct), engine, ct);

    // The promise (its level-1 commitment's clock) and the steps done (the history) are rows of their own.
    private static async Task<CaseView> FromRowsAsync(Guid id, string? reference, string status, IReadOnlyList<string> inProgress, DateTimeOffset startedAt, DateTimeOffset? endedAt,
        ProcessNames names, WorkflowEngine engine, CancellationToken ct)
    {
        var words = names.CustomerSteps;
        var promise = (await engine.ServiceLevels.GetClocksAsync(id, ct)).FirstOrDefault(c => c.Kind == "commitment" && c.Level == 1);
        var done = (await engine.Queries.GetHistoryAsync(id, ct))
            .Where(h => h.Kind == "element-completed" && h.ElementId is not null && words.ContainsKey(h.ElementId))
            .Select(h => new CaseStep(words[h.ElementId!].Label, h.At))
            .ToList();
        return new CaseView(id, reference, names.Name, status, promise?.Label,
            promise is null ? null : promise.TargetAt ?? promise.EndedAt, promise is null ? null : promise.State switch
            {
                SlaState.Met => true,
                SlaState.Breached => false,
                _ => null,
            },
            inProgress, done, startedAt, endedAt);
    }
}

internal sealed record CaseStep(string Name, DateTimeOffset At);
