using System.Security.Authentication;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Workflows.Engine.MassTransit;

/// <summary>What a node puts on the bus: engines (each on its queue) and job workers (each on its type's queue).</summary>
public sealed class WorkflowBusNodeBuilder
{
    internal List<(WorkflowEngine Engine, string QueueName)> Engines { get; } = [];

    internal List<(string Type, ServiceTaskHandler Handler, int Concurrency)> Workers { get; } = [];

    internal List<(string Queue, Action<IReceiveEndpointConfigurator> Configure)> Endpoints { get; } = [];

    /// <summary>For tests: runs around each publish of an outbox row (its message id, and the publish itself).</summary>
    internal Func<Guid, Func<Task>, Task>? PublishHook { get; set; }

    /// <summary>Connects an engine: it consumes messages and job answers from <paramref name="queueName"/> (by default the options' queue) and relays its outbox and external jobs.</summary>
    public WorkflowBusNodeBuilder Engine(WorkflowEngine engine, string? queueName = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        Engines.Add((engine, queueName ?? ""));
        return this;
    }

    /// <summary>Runs jobs of <paramref name="type"/> for any engine on the bus, up to <paramref name="concurrency"/> at once.</summary>
    public WorkflowBusNodeBuilder JobWorker(string type, ServiceTaskHandler handler, int concurrency = 8)
    {
        WorkflowBusOptions.Check(WorkflowBusOptions.IsQueueName(type), "job type", type, "must be 1 to 200 letters, digits, '-', '_' or '.' (it names the queue)");
        WorkflowBusOptions.Check(concurrency is >= 1 and <= 1000, "concurrency", concurrency, "must be from 1 to 1000");
        ArgumentNullException.ThrowIfNull(handler);
        Workers.Add((type, handler, concurrency));
        return this;
    }

    /// <summary>Adds a receive endpoint of your own to the node's bus (a consumer of <see cref="WorkflowNotification"/>s, say).</summary>
    public WorkflowBusNodeBuilder Endpoint(string queueName, Action<IReceiveEndpointConfigurator> configure)
    {
        WorkflowBusOptions.Check(WorkflowBusOptions.IsQueueName(queueName), "queue name", queueName, "must be 1 to 200 letters, digits, '-', '_' or '.'");
        ArgumentNullException.ThrowIfNull(configure);
        Endpoints.Add((queueName, configure));
        return this;
    }
}

/// <summary>Whether a node's bus is connected (<see cref="WorkflowBusNode.CheckHealth"/>).</summary>
/// <param name="Connected">Whether its endpoints consume and its relays can publish.</param>
/// <param name="Description">What MassTransit says, naming the endpoints that do not consume.</param>
public sealed record BusNodeHealth(bool Connected, string Description);

/// <summary>
/// One process's connection to the bus: a MassTransit bus on the configured transport, the engines and job
/// workers it hosts, and for each engine the relay that publishes its outbox and sends its jobs. Start it with
/// <see cref="StartAsync"/>; disposing stops the relays, then the bus.
/// </summary>
public sealed class WorkflowBusNode : IAsyncDisposable
{
    private readonly IBusControl _bus;
    private readonly List<EngineRelay> _relays;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _relaying;
    private int _disposed;

    private readonly OutgrownEndpoints? _outgrown;

    private WorkflowBusNode(IBusControl bus, List<EngineRelay> relays, OutgrownEndpoints? outgrown)
    {
        _outgrown = outgrown;
        _bus = bus;
        _relays = relays;
        _relaying = Task.WhenAll(relays.Select(r => r.RunAsync(_stopping.Token)));
    }

    /// <summary>The bus, to publish or send to it directly.</summary>
    public IBus Bus => _bus;

    /// <summary>
    /// Whether this node's bus is connected: its receive endpoints consume and the relays can publish. While the broker is
    /// away it is not, and says why; MassTransit reconnects by itself, and meanwhile commands go on and their messages wait
    /// in the outbox.
    /// </summary>
    /// <remarks>A node older than its database is not connected either: its engines' endpoints stopped for good (it says why).</remarks>
    public BusNodeHealth CheckHealth()
    {
        if (_outgrown?.Reason is { } outgrown)
        {
            return new BusNodeHealth(false, $"the engines' endpoints stopped taking messages, left to the nodes of the newer build: {outgrown}");
        }

        var health = _bus.CheckHealth();
        var down = health.Endpoints.Where(e => e.Value.Status != BusHealthStatus.Healthy).Select(e => e.Key).Order(StringComparer.Ordinal).ToList();
        return health.Status == BusHealthStatus.Healthy
            ? new BusNodeHealth(true, "the bus is connected")
            : new BusNodeHealth(false, $"the bus is {health.Status.ToString().ToLowerInvariant()}: {health.Description}"
                + (down.Count > 0 ? $" (endpoints not consuming: {string.Join(", ", down)})" : ""));
    }

    /// <summary>
    /// Validates the options; on RabbitMQ checks that the broker accepts the user and virtual host (a refusal
    /// fails the start, naming the broker) and that no exchange or queue exists with other settings than the
    /// bus needs (naming each); then starts the bus and the relays. A broker that does not answer yet is logged
    /// and waited for: commands go on, and their messages wait in the outbox.
    /// </summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    /// <exception cref="InvalidOperationException">The broker refused the sign-in, or its topology does not match.</exception>
    public static async Task<WorkflowBusNode> StartAsync(WorkflowBusOptions options, Action<WorkflowBusNodeBuilder> build, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(build);
        options.Validate();
        var builder = new WorkflowBusNodeBuilder();
        build(builder);
        var engines = builder.Engines.Select(e => (e.Engine, QueueName: e.QueueName.Length == 0 ? options.QueueName : e.QueueName)).ToList();
        foreach (var (_, queue) in engines)
        {
            WorkflowBusOptions.Check(WorkflowBusOptions.IsQueueName(queue), "queue name", queue, "must be 1 to 200 letters, digits, '-', '_' or '.'");
        }

        var log = new BusLog(loggerFactory?.CreateLogger("Workflows.Bus") ?? NullLogger.Instance);
        var brokerAnswers = options.Transport == BusTransport.RabbitMq
            && await CheckBrokerAsync(options.RabbitMq, engines.Select(e => e.QueueName), builder.Workers.Select(w => w.Type), log, cancellationToken).ConfigureAwait(false);

        var workerName = options.Transport == BusTransport.RabbitMq ? $"{Environment.MachineName}:{Environment.ProcessId}" : "in-process";
        // Every engine's queue gets a copy of each message (queues shared by several engines on the node get one).
        var handoffs = options.Transport == BusTransport.InMemory ? new InMemoryHandoffs(engines.Select(e => e.QueueName).Distinct(StringComparer.Ordinal).Count(), options, TimeProvider.System) : null;
        // On a broker the engines' endpoints are connected once the bus runs, each with a handle that can stop it alone: a
        // node older than its database leaves the queues it shares to the newer nodes (OutgrownEndpoints).
        var outgrown = options.Transport == BusTransport.RabbitMq ? new OutgrownEndpoints(log) : null;
        var bus = CreateBus(options, configure =>
        {
            foreach (var (engine, queue) in outgrown is null ? engines : [])
            {
                configure.ReceiveEndpoint(queue, endpoint => new EngineEndpoint(engine, log, handoffs).Configure(endpoint, options));
            }

            foreach (var (type, handler, concurrency) in builder.Workers)
            {
                configure.ReceiveEndpoint(type, endpoint =>
                {
                    endpoint.ConfigureConsumeTopology = false; // jobs are sent to this queue, never published
                    endpoint.ConcurrentMessageLimit = concurrency;
                    endpoint.PrefetchCount = concurrency;
                    var worker = new JobWorker(handler, workerName);
                    endpoint.Handler<JobRequest>(worker.HandleAsync);
                });
            }

            foreach (var (queue, configureEndpoint) in builder.Endpoints)
            {
                configure.ReceiveEndpoint(queue, configureEndpoint);
            }
        });

        await bus.StartAsync(cancellationToken).ConfigureAwait(false);
        if (outgrown is not null)
        {
            foreach (var (engine, queue) in engines)
            {
                var endpoint = bus.ConnectReceiveEndpoint(queue, e => new EngineEndpoint(engine, log, handoffs: null, outgrown).Configure(e, options));
                outgrown.Add(endpoint);
                if (brokerAnswers)
                {
                    // Bound before the relays publish, as the bus's own endpoints are at its start; a broker away binds them when it comes.
                    await endpoint.Ready.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }

        // The engines on this node learn which job types its bus workers serve: a deployment then does not warn about them.
        foreach (var (engine, _) in engines)
        {
            foreach (var (type, _, _) in builder.Workers)
            {
                await engine.Jobs.RecordWorkerAsync(type, workerName, cancellationToken).ConfigureAwait(false);
            }
        }

        var relays = engines.Select(e => new EngineRelay(e.Engine, bus, options, e.QueueName, log, handoffs) { PublishHook = builder.PublishHook }).ToList();
        return new WorkflowBusNode(bus, relays, outgrown);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        // A host may stop a node more than once (a stop that times out, then disposal): the second is a no-op.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _relaying.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        foreach (var relay in _relays)
        {
            relay.Dispose();
        }

        await _bus.StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
    }

    /// <summary>The exchanges and queues a node with these engine queues and worker types relies on (MassTransit's names).</summary>
    internal static (IReadOnlyList<string> Exchanges, IReadOnlyList<string> Queues) Topology(IEnumerable<string> engineQueues, IEnumerable<string> workerTypes)
    {
        var exchanges = new List<string> { Exchange<WorkflowMessage>(), Exchange<WorkflowNotification>() };
        var queues = new List<string>();
        foreach (var queue in engineQueues)
        {
            queues.Add(queue);
            exchanges.Add(queue);
        }

        foreach (var type in workerTypes)
        {
            queues.Add(type);
            exchanges.Add(type);
        }

        return (exchanges, queues);
    }

    private static string Exchange<T>() => $"{typeof(T).Namespace}:{typeof(T).Name}";

    // Whether the broker answered (a broker away is waited for; one that refuses or does not fit fails the start).
    private static async Task<bool> CheckBrokerAsync(RabbitMqOptions rabbit, IEnumerable<string> engineQueues, IEnumerable<string> workerTypes, BusLog log, CancellationToken ct)
    {
        var health = await RabbitMqBroker.CheckHealthAsync(rabbit, ct).ConfigureAwait(false);
        if (!health.Reachable)
        {
            log.BrokerAway(rabbit.Describe(), health.Description);
            return false;
        }

        if (!health.Healthy)
        {
            throw new InvalidOperationException(health.Description);
        }

        var (exchanges, queues) = Topology(engineQueues, workerTypes);
        var findings = await RabbitMqBroker.CheckTopologyAsync(rabbit, exchanges, queues, ct).ConfigureAwait(false);
        foreach (var missing in findings.Where(f => f.Missing))
        {
            log.Topology($"{missing}; the bus declares it now");
        }

        if (findings.Where(f => !f.Missing).ToList() is { Count: > 0 } mismatched)
        {
            throw new InvalidOperationException($"RabbitMQ at {rabbit.Describe()} has exchanges or queues the bus cannot use: {string.Join("; ", mismatched)}. Delete them or give them the settings the bus declares.");
        }

        return true;
    }

    private static IBusControl CreateBus(WorkflowBusOptions options, Action<IBusFactoryConfigurator> configure)
    {
        if (options.Transport == BusTransport.InMemory)
        {
            return global::MassTransit.Bus.Factory.CreateUsingInMemory(configure);
        }

        var rabbit = options.RabbitMq;
        return global::MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(rabbit.Host, (ushort)rabbit.Port, rabbit.VirtualHost, $"workflows-{Environment.MachineName}", host =>
            {
                host.Username(rabbit.Username);
                host.Password(rabbit.Password);
                if (rabbit.UseTls)
                {
                    host.UseSsl(ssl =>
                    {
                        ssl.ServerName = rabbit.TlsServerName ?? rabbit.Host;
                        ssl.Protocol = SslProtocols.Tls12 | SslProtocols.Tls13;
                    });
                }
            });
            configure(cfg);
        });
    }
}
