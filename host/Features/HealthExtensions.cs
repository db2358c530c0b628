using Microsoft.Extensions.Diagnostics.HealthChecks;
using Workflows.Engine;

namespace Workflows.Host.Features;

/// <summary>Liveness (the process answers) and readiness (the engine's store answers).</summary>
internal static class HealthExtensions
{
    public static IServiceCollection AddWorkflowsHealth(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<EngineHealthCheck>("engine", tags: ["ready"]);
        return services;
    }

    public static WebApplication MapWorkflowsHealth(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains("ready") });
        return app;
    }
}

internal sealed class EngineHealthCheck(WorkflowEngine engine) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await engine.GetNextTimerDueAsync(cancellationToken);
            return HealthCheckResult.Healthy("the engine's store answers");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("the engine's store does not answer", e);
        }
    }
}
