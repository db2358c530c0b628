using Microsoft.Extensions.Diagnostics.HealthChecks;
using Workflows.Engine;

namespace Workflows.Host.Features;

/// <summary>
/// Liveness (the process answers) and readiness (the engine's store answers and its worker is not failing; Degraded, still
/// ready, on the in-memory store, which loses its work at restart).
/// </summary>
internal static class HealthExtensions
{
    public static IServiceCollection AddWorkflowsHealth(this IServiceCollection services)
    {
        services.AddSingleton<StoreFaults>();
        services.AddSingleton<StoreWriteProbe>();
        services.AddHealthChecks().AddCheck<EngineHealthCheck>("engine", tags: ["ready"]);
        return services;
    }

    public static WebApplication MapWorkflowsHealth(this WebApplication app)
    {
        // Probed by load balancers and orchestrators, which carry no token.
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains("ready"), ResponseWriter = WriteReportAsync }).AllowAnonymous();
        return app;
    }

    /// <summary>The overall status and each check's (the database, the broker) with its description, as JSON.</summary>
    private static Task WriteReportAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.Select(e => new { name = e.Key, status = e.Value.Status.ToString(), description = e.Value.Description }),
        });
    }
}

/// <summary>
/// The store faults the API met (a command refused because the database is read-only, full, locked or away): readiness
/// is Unhealthy for <see cref="Window"/> after the last one, so a balancer sends the work elsewhere while it lasts.
/// </summary>
internal sealed class StoreFaults(TimeProvider time)
{
    /// <summary>How long one fault keeps the node not ready.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(5);

    private Fault? _last;

    public void Report(Exception exception) =>
        Volatile.Write(ref _last, new Fault(time.GetUtcNow(), Workflows.Engine.Sql.SqlStoreFaults.Reason(exception) ?? exception.Message));

    /// <summary>The last fault, when it is recent.</summary>
    public Fault? Recent() =>
        Volatile.Read(ref _last) is { } last && time.GetUtcNow() - last.At < Window ? last : null;

    public sealed record Fault(DateTimeOffset At, string Reason);
}

internal sealed class EngineHealthCheck(WorkflowEngine engine, StoreFaults faults, StoreWriteProbe probe, HostStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (faults.Recent() is { } fault)
        {
            return HealthCheckResult.Unhealthy($"the store refused a command at {fault.At:O}: {fault.Reason}");
        }

        // The worker meets a store fault first (it writes on its own): while its rounds fail the node is not ready.
        if (engine.Worker.Status is { IsReady: false } worker)
        {
            return HealthCheckResult.Unhealthy($"the engine's worker has failed {worker.ConsecutiveFailures} round(s) in a row since {worker.Since:O} and keeps retrying: {worker.Fault}");
        }

        if (store.InMemory)
        {
            // Ready (Degraded answers 200), but never "takes writes" as a database does: what it takes, it keeps only until
            // the process ends, and an orchestrator or an operator reading this must see so (review12 F3).
            return HealthCheckResult.Degraded(
                $"the store is in this process's memory ({HostStore.InMemoryProvider}): every instance, task and deployment is lost when the process ends; for trying and measuring only");
        }

        // With no work due and no request coming, only a write tells a full or read-only database from a good one.
        return await probe.CheckAsync(cancellationToken) is { } failure
            ? HealthCheckResult.Unhealthy($"the engine's store takes no writes: {failure}")
            : HealthCheckResult.Healthy("the engine's store takes writes");
    }
}

/// <summary>
/// Whether the store takes a write, tried at most every <see cref="Interval"/> (a readiness check reuses the last
/// answer in between, so probes every second cost one tiny write per interval) and given up on after <see cref="Patience"/>.
/// </summary>
internal sealed class StoreWriteProbe(WorkflowEngine engine, TimeProvider time)
{
    /// <summary>How long one probe's answer stands.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    /// <summary>How long a readiness check waits for a probe (a locked SQLite file waits out its busy timeout).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(3);

    private readonly Lock _gate = new();
    private Task<string?>? _probe;
    private DateTimeOffset _startedAt = DateTimeOffset.MinValue;

    /// <summary>Null when the store took the probe's write, otherwise what is wrong.</summary>
    public async Task<string?> CheckAsync(CancellationToken cancellationToken)
    {
        Task<string?> probe;
        lock (_gate)
        {
            // One probe at a time: a new one only when the last has finished and its answer is older than the interval.
            if (_probe is null || (_probe.IsCompleted && time.GetUtcNow() - _startedAt >= Interval))
            {
                _startedAt = time.GetUtcNow();
                _probe = ProbeAsync();
            }

            probe = _probe;
        }

        try
        {
            return await probe.WaitAsync(Patience, time, cancellationToken);
        }
        catch (TimeoutException)
        {
            return $"a write did not finish within {Patience.TotalSeconds:N0} s (the database is locked, or does not answer)";
        }
    }

    private async Task<string?> ProbeAsync()
    {
        try
        {
            // Not the request's token: the probe finishes (or fails) on its own, and the next check reads its answer.
            await engine.Worker.ProbeStoreWriteAsync(CancellationToken.None);
            return null;
        }
        catch (Exception e)
        {
            return Workflows.Engine.Sql.SqlStoreFaults.Reason(e) ?? $"{e.GetType().Name}: {e.Message}";
        }
    }
}
