using Workflows.Engine;
using Workflows.Processes;

namespace Workflows.Host.Features;

/// <summary>Wires the engine, the timer poller and the deployment of the journey library.</summary>
internal static class EngineExtensions
{
    public static WebApplicationBuilder AddWorkflowsEngine(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new WorkflowEngine(new WorkflowEngineOptions(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<WorkflowEngine>>()));
        builder.Services.AddHostedService<JourneyLibraryDeployment>();
        builder.Services.AddHostedService<EngineWorker>();
        return builder;
    }
}

/// <summary>Deploys every journey of the library at start; an unchanged file keeps its version.</summary>
internal sealed partial class JourneyLibraryDeployment(WorkflowEngine engine, ILogger<JourneyLibraryDeployment> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var journey in JourneyLibrary.All)
        {
            var result = await engine.DeployAsync(journey.Xml, "journey-library", cancellationToken);
            foreach (var process in result.Processes)
            {
                LogDeployed(logger, journey.Name, process.ProcessId, process.Version);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Journey {File}: {ProcessId} version {Version}")]
    private static partial void LogDeployed(ILogger logger, string file, string processId, int version);
}

/// <summary>The engine's worker: fires due timers and runs asynchronous jobs; it sleeps when idle.</summary>
internal sealed class EngineWorker(WorkflowEngine engine) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => engine.RunWorkerAsync(stoppingToken);
}
