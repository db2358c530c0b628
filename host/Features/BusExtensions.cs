using Microsoft.Extensions.Diagnostics.HealthChecks;
using Workflows.Engine;
using Workflows.Engine.MassTransit;
using Workflows.Processes;
using Workflows.Processes.Systems;

namespace Workflows.Host.Features;

/// <summary>Wires the bus: the engine's queue, its outbox relay and job dispatcher, and the broker's health.</summary>
internal static class BusExtensions
{
    /// <summary>
    /// The bus comes from configuration, section <c>Workflows:Bus</c> (environment variables such as
    /// <c>Workflows__Bus__Transport=RabbitMq</c>, <c>Workflows__Bus__RabbitMq__Host</c>, <c>…__Port</c>,
    /// <c>…__VirtualHost</c>, <c>…__Username</c>, <c>…__Password</c>, <c>…__UseTls</c>): by default the in-memory
    /// transport. A value out of range fails the start naming it; so does a broker that refuses the sign-in.
    /// </summary>
    public static WebApplicationBuilder AddWorkflowsBus(this WebApplicationBuilder builder)
    {
        var options = new WorkflowBusOptions();
        builder.Configuration.GetSection("Workflows:Bus").Bind(options);
        options.Validate();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<BusNodeService>();
        builder.Services.AddHostedService(services => services.GetRequiredService<BusNodeService>());
        if (options.Transport == BusTransport.RabbitMq)
        {
            builder.Services.AddHealthChecks().AddCheck<BrokerHealthCheck>("broker", tags: ["ready"]);
        }

        return builder;
    }
}

/// <summary>
/// Starts the node's bus at start with the engine on it and the external assessor's worker (the claims journey's
/// job over the bus), and stops it (relays first) at shutdown.
/// </summary>
internal sealed class BusNodeService(WorkflowEngine engine, JourneySystems systems, WorkflowBusOptions options, ILoggerFactory loggers) : IHostedService
{
    private WorkflowBusNode? _node;

    public async Task StartAsync(CancellationToken cancellationToken) =>
        _node = await WorkflowBusNode.StartAsync(options, node => node
            .Engine(engine)
            .JobWorker(JourneyHandlers.ExternalAssessorType, JourneyHandlers.ExternalAssessor(systems)), loggers, cancellationToken);

    /// <summary>Whether the node's bus is connected; null before the start and after the stop.</summary>
    public BusNodeHealth? Health() => Volatile.Read(ref _node)?.CheckHealth();

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _node, null) is { } node)
        {
            await node.DisposeAsync();
        }
    }
}

internal sealed class BrokerHealthCheck(WorkflowBusOptions options, BusNodeService node) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        // Messages wait in the outbox while the broker is away: the node still serves, degraded. A broker that answers
        // again is not enough: the node's own bus must have reconnected for handoffs to flow.
        var health = await RabbitMqBroker.CheckHealthAsync(options.RabbitMq, cancellationToken);
        if (!health.Healthy)
        {
            return HealthCheckResult.Degraded(health.Description);
        }

        return node.Health() is { Connected: false } bus
            ? HealthCheckResult.Degraded($"{health.Description}, but this node's {bus.Description}; it reconnects by itself")
            : HealthCheckResult.Healthy(health.Description);
    }
}
