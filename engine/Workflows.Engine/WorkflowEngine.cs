using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Workflows.Engine.Runtime;
using Workflows.Engine.Services;
using Workflows.Engine.Storage;

namespace Workflows.Engine;

/// <summary>
/// Runs BPMN processes. Its work is grouped in focused services: <see cref="Deployments"/>, <see cref="Runtime"/>
/// (start, messages, signals, cancel, variables, incidents), <see cref="Tasks"/>, <see cref="Jobs"/>,
/// <see cref="Queries"/>, the background <see cref="Worker"/>, and the product's <see cref="Branches"/> and
/// <see cref="ServiceLevels"/>.
/// </summary>
/// <remarks>
/// Every command loads the instances it touches, runs their tokens until each waits or ends, and
/// commits all effects in one store transaction guarded by the instances' row versions; a lost race
/// retries the whole command. Time comes only from the <see cref="TimeProvider"/> given. This
/// constructor keeps everything in memory; the database stores plug in through the same contract
/// (<c>SqlWorkflowEngine.CreateAsync</c>, or <c>AddWorkflowsEngine(...).UseSqlStore(...)</c> in a host).
/// One engine per store and process: create it once and share it; every service is safe to call concurrently.
/// </remarks>
public sealed class WorkflowEngine
{
    private readonly CommandRunner _runner;

    /// <summary>Creates an engine on the in-memory store.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting of <paramref name="options"/> is out of range; the message names it.</exception>
    public WorkflowEngine(WorkflowEngineOptions? options = null, TimeProvider? timeProvider = null, ILogger<WorkflowEngine>? logger = null)
        : this(new InMemoryWorkflowStore(), options ?? new WorkflowEngineOptions(), timeProvider ?? TimeProvider.System, logger ?? (ILogger)NullLogger.Instance)
    {
    }

    internal WorkflowEngine(IWorkflowStore store, WorkflowEngineOptions options, TimeProvider timeProvider, ILogger logger)
    {
        options.Validate();
        _runner = new CommandRunner(new EngineCore(store, options, timeProvider, logger));
        Branches = new WorkflowBranches(_runner);
        ServiceLevels = new WorkflowServiceLevels(_runner);
        Deployments = new WorkflowDeployments(_runner);
        Runtime = new WorkflowRuntime(_runner);
        Tasks = new WorkflowTasks(_runner);
        Jobs = new WorkflowJobs(_runner);
        Queries = new WorkflowQueries(_runner);
        Inspection = new WorkflowInspection(_runner, ServiceLevels);
        Worker = new WorkflowWorker(_runner, Jobs, ServiceLevels, logger);
        Operations = new WorkflowOperations(_runner);
        Clock = new WorkflowClock(_runner);
        Rollouts = new WorkflowRollouts(_runner, Branches, ServiceLevels, Queries);
        Decisions = new WorkflowDecisions(_runner, Branches);
        Drafts = new WorkflowDrafts(_runner);
    }

    /// <summary>Checks and deploys BPMN documents; reads deployed versions.</summary>
    public WorkflowDeployments Deployments { get; }

    /// <summary>Commands on instances: start, publish messages, broadcast signals, cancel, set variables, retry incidents.</summary>
    public WorkflowRuntime Runtime { get; }

    /// <summary>User tasks: queues, claims, completion, delegation, comments.</summary>
    public WorkflowTasks Tasks { get; }

    /// <summary>Jobs for workers outside the engine, and their answers.</summary>
    public WorkflowJobs Jobs { get; }

    /// <summary>Reads of instances, history, incidents and messages.</summary>
    public WorkflowQueries Queries { get; }

    /// <summary>Operations' reads: an instance inspected whole (wait points, variables by scope), instances searched by variable values.</summary>
    public WorkflowInspection Inspection { get; }

    /// <summary>The background worker: timers, SLA clocks, in-process jobs, message expiry, history retention.</summary>
    public WorkflowWorker Worker { get; }

    /// <summary>The organisation's branches: pinned journey versions, calendars, local settings.</summary>
    public WorkflowBranches Branches { get; }

    /// <summary>SLA and commitment clocks, calendars, and the service report.</summary>
    public WorkflowServiceLevels ServiceLevels { get; }

    /// <summary>The version lifecycle (deployed, approved, rolled out) and staged rollouts of approved versions to branches.</summary>
    public WorkflowRollouts Rollouts { get; }

    /// <summary>Deployed decisions (DMN): versions and stages, XML, approvals, branch pins, evaluation.</summary>
    public WorkflowDecisions Decisions { get; }

    /// <summary>Analysts' drafts of BPMN documents, saved without deploying: each analyst's own, listed, opened, saved, renamed, deleted.</summary>
    public WorkflowDrafts Drafts { get; }

    /// <summary>Repairs: instance modification, and batch operations (cancel, retry incidents, modify) run by the worker.</summary>
    public WorkflowOperations Operations { get; }

    /// <summary>A test environment's controllable clock, moved so that the store keeps it across restarts and a reset frees leases taken in moved time.</summary>
    public WorkflowClock Clock { get; }

    /// <summary>
    /// Raised after every committed command with what it changed, on the committing thread: the bus wakes its
    /// outbox relay and job dispatcher from it instead of polling the database for them.
    /// </summary>
    internal event Action<ChangeSet>? Committed
    {
        add => _runner.Committed += value;
        remove => _runner.Committed -= value;
    }

    internal IWorkflowStore Store => _runner.Store;

    internal TimeProvider Time => _runner.Time;

    /// <summary>The clock leases run on (the host's, under a controllable clock): see <see cref="CommandRunner.LeaseTime"/>.</summary>
    internal TimeProvider LeaseTime => _runner.LeaseTime;

    internal WorkflowEngineOptions Options => _runner.Options;
}
