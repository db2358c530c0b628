using System.Collections.Concurrent;
using System.Text.Json;
using System.Xml;
using Workflows.Engine;
using Workflows.Host.Features.Security;

namespace Workflows.Host.Features.Api;

/// <summary>
/// Jobs over HTTP for workers in any language (Camunda 8's REST job API is the model): activate jobs of a type with a
/// lease and long polling, complete, fail with retries and back-off, throw a BPMN error, extend the lease. A worker
/// (role <c>worker</c>) takes and answers only the jobs of its branch's instances (<c>*</c>: every branch).
/// </summary>
internal static class JobsApi
{
    public static WebApplicationBuilder AddWorkflowsJobs(this WebApplicationBuilder builder)
    {
        var limits = new JobApiLimits();
        builder.Configuration.GetSection("Workflows:Jobs").Bind(limits);
        limits.Validate();
        builder.Services.AddSingleton(limits);
        builder.Services.AddSingleton<LongPolls>();
        return builder;
    }

    public static void MapJobs(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/jobs").WithTags("Jobs").RequireAuthorization(p => p.RequireRole(Roles.Worker));
        group.MapPost("/activation", ActivateAsync).WithName("ActivateJobs").Produces<Activated>().ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithSummary("Leases up to maxJobsToActivate due jobs of a type to the worker for timeout, waiting up to requestTimeout for one (long polling).");
        group.MapPost("/{id}/completion", async (Guid id, CompletionRequest? request, HttpContext http, WorkflowEngine engine, ApiLimits limits, CancellationToken ct) =>
            {
                CheckVariables(request?.Variables, limits);
                await ServedJobAsync(http, engine, id, ct);
                await Holder(http, engine).CompleteAsync(id, ApiJson.Variables(request?.Variables), ct);
                return Results.NoContent();
            })
            .WithName("CompleteJob").Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict).WithSummary("Completes a job with the worker's result variables.");
        group.MapPost("/{id}/failure", FailAsync).WithName("FailJob").Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Reports a failed job: retried after retryBackOff while retries remain, then an incident.");
        group.MapPost("/{id}/error", async (Guid id, ErrorRequest request, HttpContext http, WorkflowEngine engine, ApiLimits limits, CancellationToken ct) =>
            {
                InputRules.Name(request.ErrorCode, "errorCode", limits);
                InputRules.Text(request.ErrorMessage, "errorMessage", limits.MaxCommentLength, nameof(ApiLimits.MaxCommentLength));
                CheckVariables(request.Variables, limits);
                await ServedJobAsync(http, engine, id, ct);
                await Holder(http, engine).ThrowErrorAsync(id, request.ErrorCode, request.ErrorMessage, ApiJson.Variables(request.Variables), ct);
                return Results.NoContent();
            })
            .WithName("ThrowJobError").Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict).WithSummary("Throws a BPMN error with a code (and variables) that an error boundary or event sub-process catches.");
        group.MapPatch("/{id}", async (Guid id, TimeoutRequest request, HttpContext http, WorkflowEngine engine, JobApiLimits jobLimits, CancellationToken ct) =>
            {
                var timeout = Duration(request.Timeout, "timeout") ?? throw new WorkflowInputException("timeout is required: the new lease time from now, in milliseconds or as an ISO 8601 duration");
                jobLimits.CheckTimeout(timeout);
                await ServedJobAsync(http, engine, id, ct);
                return Results.Ok(new LeaseExtended(id, await Holder(http, engine).ExtendTimeoutAsync(id, timeout, ct)));
            })
            .WithName("UpdateJobTimeout").Produces<LeaseExtended>().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict).WithSummary("Moves a leased job's deadline to timeout from now.");
    }

    private static async Task<IResult> ActivateAsync(ActivationRequest request, HttpContext http, WorkflowEngine engine, ApiLimits limits, JobApiLimits jobLimits,
        LongPolls polls, IHostApplicationLifetime lifetime, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var type = InputRules.Name(request.Type, "type", limits);
        // Shown in the history and the instance view: visible characters only, like a business key.
        InputRules.Key(request.Worker, "worker", limits);
        var worker = string.IsNullOrEmpty(request.Worker) ? caller.Name : request.Worker;
        var max = request.MaxJobsToActivate ?? 1;
        if (max < 1 || max > jobLimits.MaxJobsToActivate)
        {
            throw new WorkflowInputException($"maxJobsToActivate {max} is outside 1 to {jobLimits.MaxJobsToActivate} (Workflows:Jobs:MaxJobsToActivate)");
        }

        var timeout = Duration(request.Timeout, "timeout") ?? jobLimits.DefaultTimeout;
        jobLimits.CheckTimeout(timeout);
        var wait = Duration(request.RequestTimeout, "requestTimeout") ?? TimeSpan.Zero;
        if (wait > jobLimits.MaxRequestTimeout)
        {
            throw new WorkflowInputException($"requestTimeout {XmlConvert.ToString(wait)} is above the limit of {XmlConvert.ToString(jobLimits.MaxRequestTimeout)} (Workflows:Jobs:MaxRequestTimeout)");
        }

        if (request.FetchVariable is { Count: > 0 } names)
        {
            if (names.Count > jobLimits.MaxJobsToActivate * 10)
            {
                throw new WorkflowInputException($"fetchVariable names {names.Count} variables; at most {jobLimits.MaxJobsToActivate * 10}");
            }

            foreach (var name in names)
            {
                InputRules.Name(name, "fetchVariable", limits);
            }
        }

        var activation = new JobActivation(type, worker)
        {
            MaxJobs = max, Timeout = timeout, RequestTimeout = wait, Branch = caller.BranchFilter, FetchVariables = request.FetchVariable,
            // The lease is the token's subject's: the worker name is a label anyone could give, the subject is signed.
            LeaseHolder = Subject(caller),
        };
        IReadOnlyList<ActivatedJob> jobs;
        if (wait > TimeSpan.Zero)
        {
            // A long poll holds no thread and no connection, but each is a waiter: a caller keeps a bounded number open.
            if (!polls.TryEnter(caller.Name, jobLimits.MaxLongPollsPerCaller))
            {
                return Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many long polls",
                    detail: $"{caller.Name} already holds {jobLimits.MaxLongPollsPerCaller} long polls open, the limit (Workflows:Jobs:MaxLongPollsPerCaller); wait for one to answer or poll without requestTimeout");
            }

            // A host stopping ends its long polls (with no jobs) rather than making the shutdown wait for them.
            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(ct, lifetime.ApplicationStopping);
            try
            {
                jobs = await engine.Jobs.ActivateAsync(activation, waiting.Token);
            }
            catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                jobs = [];
            }
            finally
            {
                polls.Leave(caller.Name);
            }
        }
        else
        {
            jobs = await engine.Jobs.ActivateAsync(activation, ct);
        }

        return Results.Ok(new Activated(jobs.Select(j => new JobView(j.Id, j.Type, j.InstanceId, j.ProcessId, j.BusinessKey, j.ElementId, j.Retries, j.Deadline, worker,
            ApiJson.ToJson(j.Variables), j.Headers)).ToList()));
    }

    private static async Task<IResult> FailAsync(Guid id, FailureRequest? request, HttpContext http, WorkflowEngine engine, ApiLimits limits, JobApiLimits jobLimits, CancellationToken ct)
    {
        request ??= new FailureRequest(null, null, null);
        InputRules.Text(request.ErrorMessage, "errorMessage", limits.MaxCommentLength, nameof(ApiLimits.MaxCommentLength));
        if (request.Retries is < 0 or > 1000)
        {
            throw new WorkflowInputException($"retries {request.Retries} is outside 0 to 1000");
        }

        var backoff = Duration(request.RetryBackOff, "retryBackOff");
        if (backoff > jobLimits.MaxRetryBackOff)
        {
            throw new WorkflowInputException($"retryBackOff {XmlConvert.ToString(backoff.Value)} is above the limit of {XmlConvert.ToString(jobLimits.MaxRetryBackOff)} (Workflows:Jobs:MaxRetryBackOff)");
        }

        await ServedJobAsync(http, engine, id, ct);
        await Holder(http, engine).FailAsync(id, string.IsNullOrWhiteSpace(request.ErrorMessage) ? "the worker reported a failure" : request.ErrorMessage, request.Retries, backoff, ct);
        return Results.NoContent();
    }

    /// <summary>
    /// The caller as the holder of the leases it took: a job is answered (and its lease extended) only by the token
    /// subject that activated it, while its lease is live; otherwise 409 naming why (docs/workers.md).
    /// </summary>
    private static Engine.Services.JobLeaseHolder Holder(HttpContext http, WorkflowEngine engine) => engine.Jobs.AsLeaseHolder(Subject(Caller.From(http.User)));

    /// <summary>The worker's identity: its token's subject, which a worker token must carry (the leases are its).</summary>
    private static string Subject(Caller caller) => string.IsNullOrWhiteSpace(caller.Name)
        ? throw new ForbiddenException("a worker token must carry a sub (the worker's identity): the jobs it activates are leased to it")
        : caller.Name;

    /// <summary>The job, when the caller works for its instance's branch.</summary>
    private static async Task<JobInfo> ServedJobAsync(HttpContext http, WorkflowEngine engine, Guid id, CancellationToken ct)
    {
        var job = await engine.Jobs.GetAsync(id, ct);
        // The branch alone, not the state: an answer to a job whose instance cannot be read reaches the engine, which
        // refuses it naming the instance and parks the job with the instance's incident.
        Caller.From(http.User).MustSee(await engine.Queries.GetBranchAsync(job.InstanceId, ct), Unknown.Job(id));
        return job;
    }

    // A worker sets no system variable and no customer id, as messages and task completions do not.
    private static void CheckVariables(Dictionary<string, JsonElement>? variables, ApiLimits limits)
    {
        InputRules.RefuseReserved(variables, "a job worker", InputRules.SystemVariables, InputRules.PartyVariables);
        InputRules.CheckVariables(variables, limits);
    }

    /// <summary>A duration as Camunda gives it (milliseconds, a number) or as the rest of this API does (ISO 8601, a string).</summary>
    internal static TimeSpan? Duration(JsonElement? value, string field)
    {
        try
        {
            return value switch
            {
                null or { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => null,
                { ValueKind: JsonValueKind.Number } n when n.TryGetInt64(out var ms) && ms >= 0 && ms <= (long)TimeSpan.MaxValue.TotalMilliseconds / 2 => TimeSpan.FromMilliseconds(ms),
                { ValueKind: JsonValueKind.Number } n when n.TryGetDouble(out var big) && big > TimeSpan.MaxValue.TotalMilliseconds / 2 => throw new OverflowException(),
                { ValueKind: JsonValueKind.String } s when XmlConvert.ToTimeSpan(s.GetString()!) is var huge && huge > TimeSpan.MaxValue / 2 => throw new OverflowException(),
                { ValueKind: JsonValueKind.String } s when XmlConvert.ToTimeSpan(s.GetString()!) is var span && span >= TimeSpan.Zero => span,
                _ => throw new FormatException(),
            };
        }
        catch (OverflowException)
        {
            // A well-formed duration past what a time span holds (P100000Y): the caller needs to hear it is too long, not malformed.
            throw new WorkflowInputException($"{field}: the duration is too long; the longest one read is {TimeSpan.MaxValue.Days / 2:N0} days");
        }
        catch (FormatException)
        {
            throw new WorkflowInputException(value is { ValueKind: JsonValueKind.String } s && s.GetString()!.StartsWith('-')
                ? $"{field}: a duration runs forward: give one of at least zero, such as PT30S"
                : $"{field}: give milliseconds (a whole number, at least 0) or an ISO 8601 duration such as PT30S");
        }
    }
}

/// <summary>The job API's bounds, section <c>Workflows:Jobs</c>; each refusal names its setting.</summary>
internal sealed class JobApiLimits
{
    /// <summary>The most jobs one activation leases. Default 100.</summary>
    public int MaxJobsToActivate { get; set; } = 100;

    /// <summary>The lease when the activation gives none. Default 5 minutes.</summary>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The longest lease (activation or update). Default 1 day.</summary>
    public TimeSpan MaxTimeout { get; set; } = TimeSpan.FromDays(1);

    /// <summary>The longest long poll. Default 60 seconds (below the usual proxies' idle time-outs).</summary>
    public TimeSpan MaxRequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The most long polls one caller (token subject) holds open at once, on this node. Default 8.</summary>
    public int MaxLongPollsPerCaller { get; set; } = 8;

    /// <summary>The longest back-off a failure asks for. Default 7 days.</summary>
    public TimeSpan MaxRetryBackOff { get; set; } = TimeSpan.FromDays(7);

    public void Validate()
    {
        static void Positive(bool ok, string name, object value)
        {
            if (!ok)
            {
                throw new ArgumentException($"Workflows:Jobs:{name} = {value} must be positive");
            }
        }

        Positive(MaxJobsToActivate > 0, nameof(MaxJobsToActivate), MaxJobsToActivate);
        Positive(DefaultTimeout > TimeSpan.Zero, nameof(DefaultTimeout), DefaultTimeout);
        Positive(MaxTimeout >= DefaultTimeout, nameof(MaxTimeout), MaxTimeout);
        Positive(MaxRequestTimeout > TimeSpan.Zero, nameof(MaxRequestTimeout), MaxRequestTimeout);
        Positive(MaxLongPollsPerCaller > 0, nameof(MaxLongPollsPerCaller), MaxLongPollsPerCaller);
        Positive(MaxRetryBackOff > TimeSpan.Zero, nameof(MaxRetryBackOff), MaxRetryBackOff);
    }

    /// <exception cref="WorkflowInputException">Not positive, or above <see cref="MaxTimeout"/>.</exception>
    public void CheckTimeout(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero || timeout > MaxTimeout)
        {
            throw new WorkflowInputException($"timeout {XmlConvert.ToString(timeout)} is outside 1 ms to {XmlConvert.ToString(MaxTimeout)} (Workflows:Jobs:MaxTimeout)");
        }
    }
}

/// <summary>The long polls each caller holds open on this node.</summary>
internal sealed class LongPolls
{
    private readonly ConcurrentDictionary<string, int> _open = new(StringComparer.Ordinal);

    public bool TryEnter(string caller, int max)
    {
        while (true)
        {
            var open = _open.GetOrAdd(caller, 0);
            if (open >= max)
            {
                return false;
            }

            if (_open.TryUpdate(caller, open + 1, open))
            {
                return true;
            }
        }
    }

    public void Leave(string caller)
    {
        while (_open.TryGetValue(caller, out var open))
        {
            if (open <= 1 ? _open.TryRemove(new KeyValuePair<string, int>(caller, open)) : _open.TryUpdate(caller, open - 1, open))
            {
                return;
            }
        }
    }
}

internal sealed record ActivationRequest(string Type, int? MaxJobsToActivate, JsonElement? Timeout, JsonElement? RequestTimeout, string? Worker, List<string>? FetchVariable);

internal sealed record CompletionRequest(Dictionary<string, JsonElement>? Variables);

internal sealed record FailureRequest(int? Retries, JsonElement? RetryBackOff, string? ErrorMessage);

internal sealed record ErrorRequest(string ErrorCode, string? ErrorMessage, Dictionary<string, JsonElement>? Variables);

internal sealed record TimeoutRequest(JsonElement? Timeout);

internal sealed record Activated(IReadOnlyList<JobView> Jobs);

/// <summary>A leased job as a worker sees it: <see cref="Deadline"/> is when another worker may take it.</summary>
internal sealed record JobView(Guid Id, string Type, Guid InstanceId, string? Journey, string? BusinessKey, string ElementId, int Retries, DateTimeOffset Deadline, string Worker,
    JsonElement Variables, IReadOnlyDictionary<string, string> CustomHeaders);

internal sealed record LeaseExtended(Guid Id, DateTimeOffset Deadline);
