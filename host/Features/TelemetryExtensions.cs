using OpenTelemetry.Metrics;
using Workflows.Engine;

namespace Workflows.Host.Features;

/// <summary>OpenTelemetry metrics of the engine and of ASP.NET Core, scraped by Prometheus at <c>/metrics</c>.</summary>
internal static class TelemetryExtensions
{
    /// <summary>The runtime's built-in meter (GC, JIT, thread pool, CPU time, exceptions).</summary>
    public const string RuntimeMeter = "System.Runtime";

    public static WebApplicationBuilder AddWorkflowsTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(WorkflowsTelemetry.Name)
            // The runtime's own meter (.NET 9+): bytes allocated, collections and their pauses, thread pool and CPU time,
            // read when scraped (observable instruments), so a request pays nothing for them; an operator (and the load
            // driver) tells from them what a request allocates and what the collector costs.
            .AddMeter(RuntimeMeter)
            .AddAspNetCoreInstrumentation()
            .AddPrometheusExporter());
        return builder;
    }

    public static WebApplication MapWorkflowsMetrics(this WebApplication app)
    {
        // Scraped from inside the network, as Prometheus does: no token, like the health checks.
        app.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous();
        return app;
    }
}
