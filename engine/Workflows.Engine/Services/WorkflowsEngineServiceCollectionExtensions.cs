using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Services;

/// <summary>Registers the engine in a host's services.</summary>
public static class WorkflowsEngineServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="WorkflowEngine"/> (a singleton) with its <see cref="WorkflowEngineOptions"/>, on the
    /// in-memory store unless the returned builder names another (<c>UseSqlStore</c>).
    /// </summary>
    /// <remarks>
    /// The options are checked when the host starts (<c>ValidateOnStart</c>): a wrong setting stops the start with
    /// an <see cref="OptionsValidationException"/> naming every wrong one. The engine reads time from the
    /// <see cref="TimeProvider"/> registered (<see cref="TimeProvider.System"/> unless one is). The background worker
    /// runs only when <see cref="WorkflowsEngineBuilder.AddBackgroundWorker"/> is called.
    /// </remarks>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Sets the options.</param>
    public static WorkflowsEngineBuilder AddWorkflowsEngine(this IServiceCollection services, Action<WorkflowEngineOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = AddCore(services);
        if (configure is not null)
        {
            services.Configure(configure);
        }

        return builder;
    }

    /// <summary>As <see cref="AddWorkflowsEngine(IServiceCollection, Action{WorkflowEngineOptions})"/>, with the services at hand (to register handlers that need them).</summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Sets the options, given the host's service provider.</param>
    public static WorkflowsEngineBuilder AddWorkflowsEngine(this IServiceCollection services, Action<WorkflowEngineOptions, IServiceProvider> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var builder = AddCore(services);
        services.AddSingleton<IConfigureOptions<WorkflowEngineOptions>>(sp => new ConfigureNamedOptions<WorkflowEngineOptions>(Microsoft.Extensions.Options.Options.DefaultName, options => configure(options, sp)));
        return builder;
    }

    private static WorkflowsEngineBuilder AddCore(IServiceCollection services)
    {
        services.AddOptions<WorkflowEngineOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WorkflowEngineOptions>, WorkflowEngineOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(new EngineStore(_ => new InMemoryWorkflowStore(), null));
        services.TryAddSingleton(sp => new WorkflowEngine(
            sp.GetRequiredService<EngineStore>().Create(sp),
            sp.GetRequiredService<IOptions<WorkflowEngineOptions>>().Value,
            sp.GetService<EngineTime>()?.Create(sp) ?? sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<WorkflowEngine>>() ?? (ILogger)NullLogger.Instance));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, EngineStoreInitializer>());
        return new WorkflowsEngineBuilder(services);
    }
}

/// <summary>Chooses the engine's store and whether this host runs the background worker.</summary>
public sealed class WorkflowsEngineBuilder
{
    internal WorkflowsEngineBuilder(IServiceCollection services) => Services = services;

    /// <summary>The host's services.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Runs the engine's background worker (<see cref="WorkflowWorker.RunAsync"/>) as a hosted service while the host runs.
    /// </summary>
    /// <remarks>Several hosts on one store may all run it: work is shared through leases.</remarks>
    public WorkflowsEngineBuilder AddBackgroundWorker()
    {
        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, WorkflowWorkerService>());
        return this;
    }

    /// <summary>
    /// The engine reads time from <paramref name="time"/> instead of the <see cref="TimeProvider"/> registered, which the
    /// rest of the host (token lifetimes, sign-in lock-outs) keeps: a <see cref="ControlledClock"/> in a test environment.
    /// </summary>
    /// <param name="time">Gives the engine's clock, from the host's services.</param>
    public WorkflowsEngineBuilder UseTimeProvider(Func<IServiceProvider, TimeProvider> time)
    {
        ArgumentNullException.ThrowIfNull(time);
        Services.Replace(ServiceDescriptor.Singleton(new EngineTime(time)));
        return this;
    }

    /// <summary>Keeps the engine's state in <paramref name="create"/>'s store, prepared by <paramref name="initialize"/> when the host starts.</summary>
    internal WorkflowsEngineBuilder UseStore(Func<IServiceProvider, IWorkflowStore> create, Func<IServiceProvider, CancellationToken, Task>? initialize)
    {
        Services.Replace(ServiceDescriptor.Singleton(new EngineStore(create, initialize)));
        return this;
    }
}

/// <summary>The engine's own clock, when it is not the host's.</summary>
internal sealed record EngineTime(Func<IServiceProvider, TimeProvider> Create);

/// <summary>The store the registered engine runs on, and what prepares it (migrations) before anything uses it.</summary>
internal sealed record EngineStore(Func<IServiceProvider, IWorkflowStore> Create, Func<IServiceProvider, CancellationToken, Task>? Initialize);

/// <summary>
/// Prepares the store in the host's <em>starting</em> phase, before any hosted service (the web server, the
/// worker, a deployment at start) starts: a database newer than this build stops the host here, naming it.
/// </summary>
internal sealed class EngineStoreInitializer(EngineStore store, IServiceProvider services) : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        if (store.Initialize is { } initialize)
        {
            await initialize(services, cancellationToken).ConfigureAwait(false);
        }

        // Before the worker reads the clock: a controllable clock runs on the time it was moved to before the restart; any
        // other drops a move a test environment kept, with a warning, and frees the leases taken before (docs/operations.md).
        await services.GetRequiredService<WorkflowEngine>().Clock.RestoreAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Runs the engine's background worker while the host runs.</summary>
internal sealed class WorkflowWorkerService(WorkflowEngine engine) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => engine.Worker.RunAsync(stoppingToken);
}

/// <summary>The options' own checks, reported as the options framework does, every wrong setting named.</summary>
internal sealed class WorkflowEngineOptionsValidator : IValidateOptions<WorkflowEngineOptions>
{
    public ValidateOptionsResult Validate(string? name, WorkflowEngineOptions options)
    {
        var errors = options.Check();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
