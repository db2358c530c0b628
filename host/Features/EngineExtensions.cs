using Workflows.Engine;
using Workflows.Engine.Services;
using Workflows.Engine.Sql;
using Workflows.Host.Features.Api;
using Workflows.Host.Features.Security;
using Workflows.Processes;
using Workflows.Processes.Systems;

namespace Workflows.Host.Features;

/// <summary>Wires the engine (through <c>AddWorkflowsEngine</c>), its background worker and the deployment of the journey library.</summary>
internal static class EngineExtensions
{
    /// <summary>
    /// The store comes from configuration, section <c>Workflows:Store</c> (environment variables
    /// <c>Workflows__Store__Provider</c>, <c>Workflows__Store__ConnectionString</c>): by default a SQLite
    /// file under <c>./data</c>. The schema is migrated at start; a wrong setting, or a database that is not writable, locked or away, fails the start naming the file (or the connection without its password) and the setting.
    /// <c>Workflows__Store__Provider=InMemory</c> keeps the state in the process's memory (<see cref="HostStore"/>), with a warning at start;
    /// in the Production environment only with <c>Workflows__Store__AllowInMemoryInProduction=true</c>.
    /// </summary>
    public static WebApplicationBuilder AddWorkflowsEngine(this WebApplicationBuilder builder)
    {
        var store = HostStore.Read(builder.Configuration, builder.Environment);
        builder.Services.AddSingleton(store);
        if (store.Sql is { } sql)
        {
            builder.Services.AddSingleton(sql);
        }

        builder.Services.AddSingleton(TimeProvider.System);
        // The journeys' external systems: deterministic stand-ins until a deployment registers its own.
        builder.Services.AddSingleton(_ => JourneySystems.Demo());
        // Section Workflows:Engine, such as Workflows__Engine__Worker__PollInterval; checked at start, naming a wrong value.
        builder.Services.AddOptions<WorkflowEngineOptions>().Bind(builder.Configuration.GetSection("Workflows:Engine")).Configure(options =>
        {
            // Problems and incidents name the keys an operator sets, not the engine's property names.
            options.ConfigurationSection = "Workflows:Engine";
            options.SettingNames[nameof(WorkflowEngineOptions.MaxVariablesBytes)] = "Workflows:Limits:" + nameof(ApiLimits.MaxVariablesBytes);
            options.SettingNames["Limits." + nameof(ExecutionLimits.MaxCorrelationKeyLength)] = "Workflows:Limits:" + nameof(ApiLimits.MaxNameLength);
        });
        var engine = builder.Services
            .AddWorkflowsEngine((options, services) =>
            {
                options.MaxVariablesBytes = services.GetRequiredService<ApiLimits>().MaxVariablesBytes;
                // A catch's key must be one the API lets a publisher send.
                options.Limits.MaxCorrelationKeyLength = services.GetRequiredService<ApiLimits>().MaxNameLength;
                options.AddJourneyHandlers(services.GetRequiredService<JourneySystems>());
                options.SystemVariables.UnionWith(InputRules.SystemVariables); // no form field keyed by what a completion may not set (FORM_FIELD_INVALID)
            });
        if (store.Sql is { } database)
        {
            engine.UseSqlStore(database); // migrated as the host starts: a database newer than this build stops it there
        }

        engine.AddBackgroundWorker().AddWorkflowsClock(builder.Configuration, store);
        builder.Services.AddHostedService<JourneyLibraryDeployment>();
        return builder;
    }
}

/// <summary>
/// Deploys every journey of the library at start as the standard versions, approved by the journey library (a file some version already has keeps that version, even when an analyst has deployed newer ones),
/// then, on the embedded quick start, the demo branches pinned to them.
/// </summary>
internal sealed partial class JourneyLibraryDeployment(WorkflowEngine engine, AuthOptions auth, HostStore store, ILogger<JourneyLibraryDeployment> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (store.InMemory)
        {
            LogInMemory(logger);
        }

        // The decisions first: the journeys' business rule tasks evaluate them.
        foreach (var decision in JourneyLibrary.Decisions)
        {
            var result = await engine.Deployments.EnsureDeployedAsync(decision.Xml, "journey-library", cancellationToken);
            foreach (var deployed in result.Decisions)
            {
                await ApproveDecisionAsync(deployed, cancellationToken);
            }
        }

        var standard = new List<DeployedProcess>();
        foreach (var journey in JourneyLibrary.All)
        {
            // Ensure, not deploy: a library version an analyst has since replaced must not come back as the latest.
            var result = await engine.Deployments.EnsureDeployedAsync(journey.Xml, "journey-library", cancellationToken);
            foreach (var process in result.Processes)
            {
                LogDeployed(logger, journey.Name, process.ProcessId, process.Version);
                await ApproveAsync(process, cancellationToken);
                standard.Add(process);
            }
        }

        if (auth.DemoUsers == true)
        {
            await Demo.SeedAsync(engine, standard, cancellationToken);
        }

        // Pins set long ago are checked against what is stored now: one that no longer holds fails its branch's
        // evaluations, and the log says so at start rather than at the first incident.
        foreach (var problem in await engine.Decisions.CheckPinsAsync(cancellationToken: cancellationToken))
        {
            LogPinProblem(logger, problem.BranchId, problem.DecisionId, problem.Version, problem.Problem);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // The library's versions are the standard the organisation ships: approved by the journey library, so that a branch
    // may pin them (a pin needs an approved version) and the drift report has a standard to compare with.
    private async Task ApproveAsync(DeployedProcess process, CancellationToken ct)
    {
        var lifecycle = await engine.Rollouts.GetLifecycleAsync(process.ProcessId, ct);
        if (lifecycle.Any(l => l.Version == process.Version && l.Stage != VersionStage.Deployed))
        {
            return;
        }

        try
        {
            await engine.Rollouts.ApproveAsync(process.ProcessId, process.Version, "journey-library", "the journey library's standard version", ct);
        }
        catch (WorkflowConflictException)
        {
            // Another node of the same store approved it between the read and the approval.
        }
    }

    // The library's decisions likewise: a branch pins only an approved decision version.
    private async Task ApproveDecisionAsync(DeployedDecision decision, CancellationToken ct)
    {
        var versions = await engine.Decisions.GetVersionsAsync(decision.DecisionId, ct);
        if (versions.Any(v => v.Version == decision.Version && v.Stage != VersionStage.Deployed))
        {
            return;
        }

        try
        {
            await engine.Decisions.ApproveAsync(decision.DecisionId, decision.Version, "journey-library", "the journey library's standard version", ct);
        }
        catch (WorkflowConflictException)
        {
            // Another node of the same store approved it between the read and the approval.
        }
    }

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Journey {File}: {ProcessId} version {Version}")]
    private static partial void LogDeployed(ILogger logger, string file, string processId, int version);

    [LoggerMessage(EventId = 131, Level = LogLevel.Warning, Message = "The store is in memory (Workflows:Store:Provider = InMemory): every instance, task and deployment is lost when this process ends; for trying and measuring only")]
    private static partial void LogInMemory(ILogger logger);

    [LoggerMessage(EventId = 130, Level = LogLevel.Warning, Message = "Decision pin of branch {BranchId} on {DecisionId} version {Version} no longer holds: {Problem}")]
    private static partial void LogPinProblem(ILogger logger, string branchId, string decisionId, int version, string problem);
}
