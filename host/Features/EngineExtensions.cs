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
        builder.Services.AddHostedService<TimerPoller>();
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

/// <summary>
/// Fires due timers. It sleeps until the next due time (at most a second, so that timers created by
/// other commands are seen promptly), so an idle engine does close to no work.
/// </summary>
internal sealed class TimerPoller(WorkflowEngine engine, TimeProvider time) : BackgroundService
{
    private static readonly TimeSpan s_maxSleep = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await engine.FireDueTimersAsync(cancellationToken: stoppingToken);
            var next = await engine.GetNextTimerDueAsync(stoppingToken);
            var sleep = next is { } due ? due - time.GetUtcNow() : s_maxSleep;
            sleep = sleep < TimeSpan.Zero ? TimeSpan.Zero : sleep > s_maxSleep ? s_maxSleep : sleep;
            await Task.Delay(sleep, time, stoppingToken);
        }
    }
}
