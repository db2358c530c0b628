using OpenTelemetry.Metrics;
using Workflows.Engine;

namespace Workflows.Host.Features;

/// <summary>OpenTelemetry metrics of the engine and of ASP.NET Core, scraped by Prometheus at <c>/metrics</c>.</summary>
internal static class TelemetryExtensions
{
    public static WebApplicationBuilder AddWorkflowsTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(WorkflowsTelemetry.Name)
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
