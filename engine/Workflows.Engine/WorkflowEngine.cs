using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;
using Workflows.Engine.Validation;

namespace Workflows.Engine;

/// <summary>Settings of a <see cref="WorkflowEngine"/>.</summary>
public sealed class WorkflowEngineOptions
{
    /// <summary>In-process service-task handlers by task type. A type without a handler becomes a job for a worker.</summary>
    public Dictionary<string, ServiceTaskHandler> Handlers { get; } = new(StringComparer.Ordinal);

    /// <summary>How often a command is tried when it loses an optimistic-concurrency race. Default 5.</summary>
    public int MaxCommandAttempts { get; set; } = 5;

    /// <summary>Size and depth limits for BPMN XML. Default: 10 MB, depth 256.</summary>
    public BpmnParserOptions Parser { get; set; } = new();

    /// <summary>The largest variable payload one command accepts, as JSON bytes. Default 1 MiB.</summary>
    public int MaxVariablesBytes { get; set; } = 1 << 20;

    /// <summary>This node's name in leases and history. Default: machine name and process id.</summary>
    public string NodeId { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>How long the worker sleeps when it found nothing due. Default 1 second.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many due timers or jobs one claim takes. Default 32.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>How long a claimed timer or job stays this node's; another node may take it after. Default 30 seconds.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The first retry delay of a failed job; each further failure doubles it. Default 1 second.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The calendar the commitment check adds budgets up on at deploy, and that clocks naming no calendar
    /// run on. Default: an office week, Monday to Friday 09:00–17:00, UTC, no holidays.
    /// </summary>
    public Calendars.BusinessCalendar DefaultCalendar { get; set; } = new(
        "office week", TimeZoneInfo.Utc,
        new[] { DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday }
            .ToDictionary(day => day, IReadOnlyList<Calendars.WorkingInterval> (_) => [new Calendars.WorkingInterval(new TimeOnly(9, 0), new TimeOnly(17, 0))]));

    /// <summary>
    /// The calendar layers clocks name (<c>calendar="group/fr/paris-01"</c>), with their dated versions.
    /// Versions saved with <see cref="WorkflowEngine.ChangeCalendarAsync"/> are kept in the store and loaded by every node.
    /// </summary>
    public Calendars.CalendarRegistry Calendars { get; } = new();

    /// <summary>The reasons a clock may be paused for; a pause with another reason is refused.</summary>
    public HashSet<string> PauseReasons { get; } = new(StringComparer.Ordinal) { "waiting-for-customer", "waiting-for-third-party", "customer-requested-delay" };

    /// <summary>How many due clocks one command fires (each on its own instance). Default 32.</summary>
    public int ClockBatchSize { get; set; } = 32;

    /// <summary>How long the history of a finished instance is kept; null (the default) keeps it for ever.</summary>
    public TimeSpan? HistoryRetention { get; set; }

    /// <summary>Checks the settings; the engine refuses to start with a message naming the wrong one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public void Validate()
    {
        static void Check(bool ok, string name, object value, string rule)
        {
            if (!ok)
            {
                throw new ArgumentOutOfRangeException(name, value, $"{nameof(WorkflowEngineOptions)}.{name} {rule}");
            }
        }

        Check(MaxCommandAttempts >= 1, nameof(MaxCommandAttempts), MaxCommandAttempts, "must be at least 1");
        Check(PollInterval > TimeSpan.Zero, nameof(PollInterval), PollInterval, "must be positive");
        Check(BatchSize is >= 1 and <= 1000, nameof(BatchSize), BatchSize, "must be from 1 to 1000");
        Check(LeaseDuration > TimeSpan.Zero, nameof(LeaseDuration), LeaseDuration, "must be positive");
        Check(RetryBackoff >= TimeSpan.Zero, nameof(RetryBackoff), RetryBackoff, "must not be negative");
        Check(ClockBatchSize is >= 1 and <= 1000, nameof(ClockBatchSize), ClockBatchSize, "must be from 1 to 1000");
        Check(MaxVariablesBytes > 0, nameof(MaxVariablesBytes), MaxVariablesBytes, "must be positive");
        Check(!string.IsNullOrWhiteSpace(NodeId), nameof(NodeId), NodeId, "must be set");
        Check(HistoryRetention is null || HistoryRetention > TimeSpan.Zero, nameof(HistoryRetention), HistoryRetention!, "must be positive when set");
    }

    /// <summary>Registers an in-process handler for a task type.</summary>
    public WorkflowEngineOptions AddHandler(string taskType, ServiceTaskHandler handler)
    {
        Handlers[taskType] = handler;
        return this;
    }
}

/// <summary>
/// Runs BPMN processes: deploy, start, complete tasks and jobs, correlate messages, broadcast signals,
/// fire timers, cancel, resolve incidents, and read state.
/// </summary>
/// <remarks>
/// Every command loads the instances it touches, runs their tokens until each waits or ends, and
/// commits all effects in one store transaction guarded by the instances' row versions; a lost race
/// retries the whole command. Time comes only from the <see cref="TimeProvider"/> given. This
/// constructor keeps everything in memory; the database stores plug in through the same contract.
/// </remarks>
public sealed partial class WorkflowEngine
{
    private readonly EngineCore _core;

    /// <summary>Creates an engine on the in-memory store.</summary>
    public WorkflowEngine(WorkflowEngineOptions? options = null, TimeProvider? timeProvider = null, ILogger<WorkflowEngine>? logger = null)
        : this(new InMemoryWorkflowStore(), options ?? new WorkflowEngineOptions(), timeProvider ?? TimeProvider.System, logger ?? (ILogger)NullLogger.Instance)
    {
    }

    internal WorkflowEngine(IWorkflowStore store, WorkflowEngineOptions options, TimeProvider timeProvider, ILogger logger)
    {
        options.Validate();
        _core = new EngineCore(store, options, timeProvider, logger);
    }

    internal IWorkflowStore Store => _core.Store;

    internal TimeProvider Time => _core.Time;

    internal WorkflowEngineOptions Options => _core.Options;

    // ---------------------------------------------------------------- definitions

    /// <summary>Checks a BPMN document without deploying it.</summary>
    public async Task<ValidationReport> ValidateAsync(string bpmnXml, CancellationToken cancellationToken = default) =>
        (await ParseAndValidateAsync(bpmnXml, cancellationToken).ConfigureAwait(false)).Report;

    /// <summary>Deploys the executable processes of a BPMN document.</summary>
    /// <remarks>
    /// An unchanged document (same checksum) returns the versions already deployed; a changed one
    /// becomes version + 1. Running instances stay on the version they started on.
    /// </remarks>
    /// <exception cref="DeploymentRejectedException">The document has errors; its report lists them all.</exception>
    public async Task<DeploymentResult> DeployAsync(string bpmnXml, string? deployedBy = null, CancellationToken cancellationToken = default)
    {
        var (document, report) = await ParseAndValidateAsync(bpmnXml, cancellationToken).ConfigureAwait(false);
        if (document is null || report.HasErrors)
        {
            throw new DeploymentRejectedException(report);
        }

        var checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(bpmnXml)));
        return await ExecuteAsync(async execution =>
        {
            var deploymentId = Guid.CreateVersion7(execution.Now);
            var deployed = new List<DeployedProcess>();
            foreach (var process in document.Processes.Where(p => p.IsExecutable))
            {
                var latest = await Store.GetLatestDefinitionAsync(process.Id, cancellationToken).ConfigureAwait(false);
                if (latest is not null && latest.Checksum == checksum)
                {
                    deployed.Add(new DeployedProcess(process.Id, latest.Version, latest.Id, latest.VersionTag, IsNew: false));
                    continue;
                }

                var record = new DefinitionRecord(Guid.CreateVersion7(execution.Now), process.Id, (latest?.Version ?? 0) + 1, process.VersionTag,
                    checksum, bpmnXml, deploymentId, execution.Now, deployedBy);
                execution.Changes.Definitions.Add(record);
                var definition = _core.Definitions.Add(record, document);
                await ReplaceStartSubscriptionsAsync(execution, definition, cancellationToken).ConfigureAwait(false);
                deployed.Add(new DeployedProcess(process.Id, record.Version, record.Id, record.VersionTag, IsNew: true));
            }

            return new DeploymentResult(deploymentId, deployed, report);
        }, cancellationToken, runTokens: false).ConfigureAwait(false);
    }

    private async Task<(BpmnDocument? Document, ValidationReport Report)> ParseAndValidateAsync(string bpmnXml, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(bpmnXml);
        var (document, findings) = BpmnParser.Parse(bpmnXml, _core.Options.Parser);
        if (document is not null)
        {
            var known = new HashSet<string>(StringComparer.Ordinal);
            var called = document.Processes.SelectMany(p => p.Nodes.Values)
                .Where(n => n.Call is { ProcessId.IsStatic: true })
                .Select(n => n.Call!.ProcessId.Text)
                .Distinct(StringComparer.Ordinal);
            foreach (var id in called)
            {
                if (await Store.GetLatestDefinitionAsync(id, ct).ConfigureAwait(false) is not null)
                {
                    known.Add(id);
                }
            }

            ModelValidator.Validate(document, findings, known.Contains, _core.Options.DefaultCalendar);
            foreach (var node in document.Processes.SelectMany(p => p.Nodes.Values).Where(n => n.PauseReason is not null && !_core.Options.PauseReasons.Contains(n.PauseReason)))
            {
                findings.Add(new ValidationFinding(FindingSeverity.Error, "PAUSE_REASON_UNKNOWN", node.Id, node.Position.Line, node.Position.Column,
                    $"the pause reason '{node.PauseReason}' is not in the catalogue ({string.Join(", ", _core.Options.PauseReasons.Order(StringComparer.Ordinal))})"));
            }

            if (!document.Processes.Any(p => p.IsExecutable))
            {
                findings.Add(new ValidationFinding(FindingSeverity.Error, "NO_EXECUTABLE_PROCESS", null, 0, 0,
                    "the document has no process with isExecutable=\"true\"; mark the process to run as executable"));
            }
        }

        return (document, new ValidationReport(findings));
    }

    // Start events of a new version replace those of the previous one (Camunda semantics).
    private async Task ReplaceStartSubscriptionsAsync(Execution execution, ProcessDefinition definition, CancellationToken ct)
    {
        var (timers, messages, signals) = await Store.GetStartSubscriptionsAsync(definition.Process.Id, ct).ConfigureAwait(false);
        execution.Changes.TimersRemoved.AddRange(timers.Select(t => t.Id));
        execution.Changes.MessageSubscriptionsRemoved.AddRange(messages.Select(m => m.Id));
        execution.Changes.SignalSubscriptionsRemoved.AddRange(signals.Select(s => s.Id));

        foreach (var start in definition.Process.StartEvents.Where(s => s.Event is not null))
        {
            var e = start.Event!;
            switch (e.Type)
            {
                case EventType.Timer when e.Timer is not null:
                    var value = e.Timer.Value.Feel is null
                        ? e.Timer.Value.Text
                        : e.Timer.Value.Feel.Evaluate(EmptyScope.Instance, _core.Time).Value;
                    var plan = TimerSchedule.Plan(e.Timer.Kind, value, execution.Now, out var error)
                        ?? throw new DeploymentRejectedException(new ValidationReport(
                            [new ValidationFinding(FindingSeverity.Error, "TIMER_INVALID", start.Id, start.Position.Line, start.Position.Column, error ?? "invalid timer")]));
                    execution.Changes.TimersCreated.Add(new TimerRecord(Guid.CreateVersion7(execution.Now), null, 0, start.Id, definition.Id, plan.Due, plan.Interval, plan.RemainingAfterFirst));
                    break;
                case EventType.Message when e.Message is not null:
                    execution.Changes.MessageSubscriptionsCreated.Add(new MessageSubscriptionRecord(
                        Guid.CreateVersion7(execution.Now), null, 0, start.Id, definition.Id, e.Message.Name.Text, null, execution.Now));
                    break;
                case EventType.Signal when e.Signal is not null:
                    execution.Changes.SignalSubscriptionsCreated.Add(new SignalSubscriptionRecord(
                        Guid.CreateVersion7(execution.Now), null, 0, start.Id, definition.Id, e.Signal.Name.Text));
                    break;
            }
        }

        _core.Log.Deployed(definition.Process.Id, definition.Record.Version, definition.Id);
    }

    /// <summary>Every deployed version, of one process when <paramref name="processId"/> is given, by process id and version.</summary>
    public async Task<IReadOnlyList<DefinitionInfo>> GetDefinitionsAsync(string? processId = null, CancellationToken cancellationToken = default)
    {
        var records = await Store.GetDefinitionsAsync(processId, cancellationToken).ConfigureAwait(false);
        return records.Select(r => new DefinitionInfo(r.Id, r.ProcessId, r.Version, r.VersionTag, r.DeploymentId, r.DeployedAt, r.DeployedBy)).ToList();
    }

    /// <summary>The BPMN XML of a deployed version (the latest when <paramref name="version"/> is null).</summary>
    public async Task<string> GetDefinitionXmlAsync(string processId, int? version = null, CancellationToken cancellationToken = default)
    {
        var record = version is null
            ? await Store.GetLatestDefinitionAsync(processId, cancellationToken).ConfigureAwait(false)
            : await Store.GetDefinitionByVersionAsync(processId, version.Value, cancellationToken).ConfigureAwait(false);
        return record?.Xml ?? throw new WorkflowNotFoundException($"process '{processId}'{(version is null ? "" : $" version {version}")} is not deployed");
    }

    // ---------------------------------------------------------------- commands

    /// <summary>Starts an instance at the process's none start event and runs it until it waits or ends.</summary>
    /// <returns>The new instance's id.</returns>
    public Task<Guid> StartAsync(StartInstance command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        var given = Variables(command.Variables);
        return ExecuteAsync(async execution =>
        {
            var (pinned, variables) = await ApplyBranchAsync(command, given.Copy(), cancellationToken).ConfigureAwait(false);
            var record = pinned is { } version
                ? await Store.GetDefinitionByVersionAsync(command.ProcessId, version, cancellationToken).ConfigureAwait(false)
                : await Store.GetLatestDefinitionAsync(command.ProcessId, cancellationToken).ConfigureAwait(false);
            if (record is null)
            {
                throw new WorkflowNotFoundException($"process '{command.ProcessId}'{(pinned is null ? "" : $" version {pinned}")} is not deployed");
            }

            var definition = await _core.Definitions.GetAsync(record.Id, cancellationToken).ConfigureAwait(false);
            var start = definition.Process.Root.NoneStart
                ?? throw new WorkflowConflictException($"process '{command.ProcessId}' has no none start event; it starts by message, timer or signal");
            var instance = execution.CreateInstance(definition, command.BusinessKey, variables);
            await execution.StartAtAsync(instance, start, null).ConfigureAwait(false);
            return instance.Id;
        }, cancellationToken);
    }

    /// <summary>Completes a user task with the variables the agent entered.</summary>
    /// <exception cref="WorkflowNotFoundException">No such task.</exception>
    /// <exception cref="WorkflowConflictException">The task was already completed or cancelled, or another user holds it.</exception>
    /// <exception cref="TaskFormException">The variables do not fit the task's form; nothing changed.</exception>
    public Task CompleteUserTaskAsync(Guid taskId, IReadOnlyDictionary<string, object?>? variables = null, string? actor = null, CancellationToken cancellationToken = default)
    {
        var values = Variables(variables);
        return ExecuteAsync(async execution =>
        {
            var (instance, task) = await LoadOpenTaskAsync(execution, taskId, cancellationToken).ConfigureAwait(false);
            if (task.Assignee is not null && actor is not null && task.Assignee != actor)
            {
                throw new WorkflowConflictException($"user task {taskId} is claimed by {task.Assignee}, not {actor}");
            }

            TaskForm.Validate(task, values);
            execution.Actor = actor;
            if (task.ElementKey == 0)
            {
                // A task the engine opened outside the model (a recovery task): its answers become process variables.
                execution.Changes.TasksClosed.Add((taskId, Storage.TaskStatus.Completed));
                foreach (var (name, value) in values)
                {
                    instance.State.Variables[name] = value;
                }

                execution.History(instance, "task-completed", task.ElementId, null, taskId.ToString());
                return true;
            }

            var element = Owner(instance, task.ElementKey, e => e.TaskId == taskId, $"user task {taskId}");
            execution.History(instance, "task-completed", task.ElementId, element.Key, taskId.ToString());
            execution.EnqueueComplete(instance, element.Key, values.Copy());
            return true;
        }, cancellationToken);
    }

    /// <summary>Takes an open task for <paramref name="user"/>; taking one's own task again changes nothing.</summary>
    /// <exception cref="WorkflowConflictException">Another user holds the task, or it is no longer open.</exception>
    public Task ClaimTaskAsync(Guid taskId, string user, CancellationToken cancellationToken = default) =>
        UpdateTaskAsync(taskId, user, "task-claimed", null, task => task.Assignee is null || task.Assignee == user
            ? task with { Assignee = user }
            : throw new WorkflowConflictException($"user task {taskId} is already claimed by {task.Assignee}"), cancellationToken);

    /// <summary>Gives a claimed task back to its queues.</summary>
    /// <exception cref="WorkflowConflictException">Another user holds the task.</exception>
    public Task UnclaimTaskAsync(Guid taskId, string user, CancellationToken cancellationToken = default) =>
        UpdateTaskAsync(taskId, user, "task-unclaimed", null, task => task.Assignee is null || task.Assignee == user
            ? task with { Assignee = null }
            : throw new WorkflowConflictException($"user task {taskId} is claimed by {task.Assignee}, not {user}"), cancellationToken);

    /// <summary>Hands a task from <paramref name="user"/> (who holds it, or nobody does) to <paramref name="delegateTo"/>.</summary>
    public Task DelegateTaskAsync(Guid taskId, string user, string delegateTo, CancellationToken cancellationToken = default) =>
        UpdateTaskAsync(taskId, user, "task-delegated", delegateTo, task => task.Assignee is null || task.Assignee == user
            ? task with { Assignee = delegateTo }
            : throw new WorkflowConflictException($"user task {taskId} is claimed by {task.Assignee}, not {user}"), cancellationToken);

    /// <summary>Moves a task to another queue, unassigned.</summary>
    public Task MoveTaskAsync(Guid taskId, string queue, string user, CancellationToken cancellationToken = default) =>
        UpdateTaskAsync(taskId, user, "task-moved", queue, task => task with { CandidateGroups = [queue], Assignee = null }, cancellationToken);

    /// <summary>Adds a comment to a task's history.</summary>
    public Task CommentTaskAsync(Guid taskId, string user, string comment, CancellationToken cancellationToken = default) =>
        UpdateTaskAsync(taskId, user, "task-comment", comment, task => task, cancellationToken);

    // One path for every task change: through the instance, so that its row version picks one winner.
    private Task<UserTaskRecord> UpdateTaskAsync(Guid taskId, string user, string historyKind, string? detail, Func<UserTaskRecord, UserTaskRecord> change, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        return ExecuteAsync(async execution =>
        {
            var (instance, task) = await LoadOpenTaskAsync(execution, taskId, cancellationToken).ConfigureAwait(false);
            long? elementKey = task.ElementKey == 0 ? null : Owner(instance, task.ElementKey, e => e.TaskId == taskId, $"user task {taskId}").Key;
            var updated = change(task);
            if (!ReferenceEquals(updated, task))
            {
                execution.Changes.UpdateTask(updated, task);
            }

            execution.Actor = user;
            execution.History(instance, historyKind, task.ElementId, elementKey, detail);
            return updated;
        }, cancellationToken);
    }

    /// <summary>Completes a job with the worker's result variables.</summary>
    public Task CompleteJobAsync(Guid jobId, IReadOnlyDictionary<string, object?>? variables = null, CancellationToken cancellationToken = default) =>
        CompleteJobByAsync(jobId, variables, worker: null, cancellationToken);

    internal Task CompleteJobByAsync(Guid jobId, IReadOnlyDictionary<string, object?>? variables, string? worker, CancellationToken cancellationToken)
    {
        var values = Variables(variables);
        return ExecuteAsync(async execution =>
        {
            execution.Actor = worker;
            var (instance, element, job) = await LoadJobAsync(execution, jobId, cancellationToken).ConfigureAwait(false);
            execution.History(instance, "job-completed", job.ElementId, element.Key, job.Type);
            execution.EnqueueComplete(instance, element.Key, values.Copy());
            return true;
        }, cancellationToken);
    }

    /// <summary>
    /// Reports a failed job: it is retried after <paramref name="backoff"/> (by default <see cref="WorkflowEngineOptions.RetryBackoff"/>,
    /// doubled with every failure) while retries remain, then becomes an incident.
    /// </summary>
    public Task FailJobAsync(Guid jobId, string errorMessage, int? retries = null, TimeSpan? backoff = null, CancellationToken cancellationToken = default) =>
        ExecuteAsync(async execution =>
        {
            var (instance, element, job) = await LoadJobAsync(execution, jobId, cancellationToken).ConfigureAwait(false);
            var left = retries ?? job.Retries - 1;
            execution.Changes.JobsClosed.Add(job.Id);
            element.JobId = null;
            execution.History(instance, "job-failed", job.ElementId, element.Key, $"{errorMessage} ({left} retries left)");
            if (left > 0)
            {
                var retry = job with { Id = Guid.CreateVersion7(execution.Now), Retries = left, DueAt = execution.Now + (backoff ?? RetryBackoff(job)), Failures = job.Failures + 1 };
                execution.Changes.JobsCreated.Add(retry);
                element.JobId = retry.Id;
            }
            else
            {
                execution.RaiseJobIncident(instance, element, $"job '{job.Type}' failed with no retries left: {errorMessage}");
            }

            return true;
        }, cancellationToken);

    /// <summary>Reports a business error from a job worker; the model's error boundary or event sub-process catches it by code.</summary>
    public Task ThrowJobErrorAsync(Guid jobId, string errorCode, string? errorMessage = null, CancellationToken cancellationToken = default) =>
        ExecuteAsync(async execution =>
        {
            var (instance, element, job) = await LoadJobAsync(execution, jobId, cancellationToken).ConfigureAwait(false);
            execution.Changes.JobsClosed.Add(job.Id);
            element.JobId = null;
            await execution.ThrowErrorAsync(instance, element, errorCode, errorMessage ?? errorCode).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>Correlates a message to waiting instances and message start events, buffering it when it has a time-to-live.</summary>
    public Task<CorrelationResult> CorrelateMessageAsync(PublishMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var values = Variables(message.Variables);
        if (message.Handoff is { } handoff)
        {
            values["handoff"] = FeelConvert.FromClr(new Dictionary<string, object?>
            {
                ["sourceInstanceId"] = handoff.SourceInstanceId?.ToString(),
                ["sourceProcessId"] = handoff.SourceProcessId,
                ["businessKey"] = handoff.BusinessKey,
                ["branch"] = handoff.Branch,
                ["tenant"] = handoff.Tenant,
                // As variables are stored: an ISO 8601 string, read in FEEL with date and time(handoff.commitmentDue).
                ["commitmentDue"] = handoff.CommitmentDue?.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            });
        }

        return ExecuteAsync(async execution =>
        {
            // The inbox row commits with the message's effects: a second delivery finds it and changes nothing,
            // and two deliveries racing on two nodes collide on its key, so the loser retries and finds it.
            if (message.MessageId is { } messageId)
            {
                if (await Store.IsInInboxAsync(messageId, cancellationToken).ConfigureAwait(false))
                {
                    return new CorrelationResult(0, 0, Buffered: false, Duplicate: true);
                }

                execution.Changes.Inbox.Add((messageId, execution.Now));
            }

            var correlated = new List<Guid>();
            var subscriptions = await Store.FindMessageSubscriptionsAsync(message.Name, message.CorrelationKey, cancellationToken).ConfigureAwait(false);
            foreach (var subscription in subscriptions.OrderBy(s => s.CreatedAt))
            {
                if (correlated.Contains(subscription.InstanceId!.Value))
                {
                    continue; // one message, at most one subscription per instance
                }

                var instance = await execution.LoadAsync(subscription.InstanceId.Value).ConfigureAwait(false);
                if (message.OnlyBranch is { } only && !string.Equals(instance.Parties.Branch, only, StringComparison.Ordinal))
                {
                    continue; // another branch's instance: not the caller's to move
                }

                if (!instance.State.Elements.TryGetValue(subscription.ElementKey, out var owner) || owner.Waits?.Find(w => w.Id == subscription.Id) is not { } wait || wait.Id != subscription.Id)
                {
                    continue;
                }

                execution.History(instance, "message-correlated", subscription.ElementId, owner.Key, message.Name);
                await execution.TriggerWaitAsync(instance, owner, wait, values.Copy()).ConfigureAwait(false);
                correlated.Add(instance.Id);
            }

            var started = 0;
            var starts = message.OnlyBranch is null ? await Store.FindMessageStartsAsync(message.Name, cancellationToken).ConfigureAwait(false) : [];
            foreach (var start in starts)
            {
                var definition = await _core.Definitions.GetAsync(start.DefinitionId, cancellationToken).ConfigureAwait(false);
                var instance = execution.CreateInstance(definition, message.CorrelationKey, new FeelContext());
                await execution.StartAtAsync(instance, definition.Node(start.ElementId), values.Copy()).ConfigureAwait(false);
                correlated.Add(instance.Id);
                started++;
            }

            var buffered = message.TimeToLive > TimeSpan.Zero;
            if (buffered)
            {
                var record = new BufferedMessageRecord(Guid.CreateVersion7(execution.Now), message.MessageId, message.Name, message.CorrelationKey,
                    FeelConvert.ToJson(values), execution.Now, execution.Now + message.TimeToLive);
                execution.Changes.MessagesBuffered.Add(record);
                execution.Changes.MessageCorrelations.AddRange(correlated.Select(id => (record.Id, id)));
            }

            if (message.MustCorrelate && correlated.Count == 0 && !buffered)
            {
                throw new WorkflowNotFoundException($"no instance waits for message '{message.Name}' with correlation key '{message.CorrelationKey}', no process starts on it, and it has no time-to-live to wait for one");
            }

            return new CorrelationResult(correlated.Count - started, started, buffered, Duplicate: false);
        }, cancellationToken);
    }

    /// <summary>Broadcasts a signal to every waiting signal catch event and signal start event.</summary>
    /// <returns>How many waits or starts it triggered.</returns>
    public Task<int> BroadcastSignalAsync(string signalName, IReadOnlyDictionary<string, object?>? variables = null, CancellationToken cancellationToken = default)
    {
        var values = Variables(variables);
        return ExecuteAsync(async execution => await execution.BroadcastSignalAsync(signalName, values).ConfigureAwait(false), cancellationToken);
    }

    /// <summary>Cancels a running instance and everything it waits for, called instances included.</summary>
    public Task CancelAsync(Guid instanceId, CancellationToken cancellationToken = default) =>
        ExecuteAsync(async execution =>
        {
            var instance = await execution.LoadAsync(instanceId).ConfigureAwait(false);
            if (instance.State.Status != ProcessInstanceStatus.Active)
            {
                throw new WorkflowConflictException($"process instance {instanceId} is already {instance.State.Status.ToString().ToLowerInvariant()}");
            }

            if (instance.State.ParentInstanceId is { } parent)
            {
                throw new WorkflowConflictException($"process instance {instanceId} was called by {parent}; cancel the calling instance");
            }

            await execution.TerminateInstanceAsync(instance, ProcessInstanceStatus.Cancelled).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>Retries the step an incident stopped (after the cause was fixed, e.g. a variable set or a handler repaired).</summary>
    public Task ResolveIncidentAsync(Guid incidentId, CancellationToken cancellationToken = default) =>
        ExecuteAsync(async execution =>
        {
            var incident = await Store.GetIncidentAsync(incidentId, cancellationToken).ConfigureAwait(false)
                ?? throw new WorkflowNotFoundException($"incident {incidentId} does not exist");
            if (incident.ResolvedAt is not null)
            {
                throw new WorkflowConflictException($"incident {incidentId} is already resolved");
            }

            var instance = await execution.LoadAsync(incident.InstanceId).ConfigureAwait(false);
            var element = Owner(instance, incident.ElementKey, e => e.IncidentId == incidentId, $"incident {incidentId}");
            await execution.RetryIncidentAsync(instance, element).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>Sets variables on an instance's process scope (to fix the cause of an incident, say).</summary>
    public Task SetVariablesAsync(Guid instanceId, IReadOnlyDictionary<string, object?> variables, CancellationToken cancellationToken = default)
    {
        var values = Variables(variables);
        return ExecuteAsync(async execution =>
        {
            var instance = await execution.LoadAsync(instanceId).ConfigureAwait(false);
            foreach (var (k, v) in values)
            {
                instance.State.Variables[k] = v;
            }

            execution.History(instance, "variables-set", null, null, string.Join(", ", values.Keys));
            return true;
        }, cancellationToken);
    }

    /// <summary>Fires the timers due by now that this node can lease, each in its own command.</summary>
    /// <returns>How many timers fired.</returns>
    public async Task<int> FireDueTimersAsync(int maxTimers = 1000, CancellationToken cancellationToken = default)
    {
        var options = _core.Options;
        var now = _core.Time.GetUtcNow();
        var due = await Store.ClaimDueTimersAsync(now, maxTimers, options.NodeId, now + options.LeaseDuration, cancellationToken).ConfigureAwait(false);
        var fired = 0;
        foreach (var timer in due)
        {
            fired += await ExecuteAsync(execution => FireTimerAsync(execution, timer.Id, cancellationToken), cancellationToken).ConfigureAwait(false);
        }

        return fired;
    }

    /// <summary>
    /// Runs the due jobs whose types have in-process handlers (service tasks marked <c>async</c>) that
    /// this node can lease: the handler runs outside any command, then its result is committed by
    /// <see cref="CompleteJobAsync"/>; a failure is retried with exponential back-off, then becomes an incident.
    /// </summary>
    /// <returns>How many jobs ran.</returns>
    public async Task<int> RunDueJobsAsync(int maxJobs = 1000, CancellationToken cancellationToken = default)
    {
        var options = _core.Options;
        if (options.Handlers.Count == 0)
        {
            return 0;
        }

        var now = _core.Time.GetUtcNow();
        var jobs = await Store.ClaimDueJobsAsync(options.Handlers.Keys, now, maxJobs, options.NodeId, now + options.LeaseDuration, cancellationToken).ConfigureAwait(false);
        foreach (var job in jobs)
        {
            await RunJobAsync(job, options.Handlers[job.Type], cancellationToken).ConfigureAwait(false);
        }

        return jobs.Count;
    }

    private async Task RunJobAsync(JobRecord job, ServiceTaskHandler handler, CancellationToken ct)
    {
        var instance = await Store.GetInstanceAsync(job.InstanceId, ct).ConfigureAwait(false);
        var context = new ServiceTaskContext(job.InstanceId, job.ElementId, instance?.BusinessKey, job.Type,
            Execution.ToDictionary(Execution.VariablesFromJson(job.VariablesJson)),
            System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(job.HeadersJson) ?? []);
        IReadOnlyDictionary<string, object?>? result;
        try
        {
            result = await handler(context, ct).ConfigureAwait(false);
        }
        catch (BpmnErrorException error)
        {
            await IgnoreIfGoneAsync(ThrowJobErrorAsync(job.Id, error.ErrorCode, error.Message, ct)).ConfigureAwait(false);
            return;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await IgnoreIfGoneAsync(FailJobAsync(job.Id, e.Message, job.Retries - 1, RetryBackoff(job), ct)).ConfigureAwait(false);
            return;
        }

        await IgnoreIfGoneAsync(CompleteJobByAsync(job.Id, result, _core.Options.NodeId, ct)).ConfigureAwait(false);
    }

    private TimeSpan RetryBackoff(JobRecord job) => _core.Options.RetryBackoff * Math.Pow(2, Math.Min(job.Failures, 16));

    // Another node (after this one's lease ran out) or a cancellation may have closed the job meanwhile:
    // its effect is then already recorded, or no longer wanted.
    private static async Task IgnoreIfGoneAsync(Task command)
    {
        try
        {
            await command.ConfigureAwait(false);
        }
        catch (WorkflowNotFoundException)
        {
        }
        catch (WorkflowConflictException)
        {
        }
    }

    /// <summary>
    /// Fires due timers and runs due jobs until cancelled; sleeps <see cref="WorkflowEngineOptions.PollInterval"/>
    /// (or until the next timer is due, if sooner) whenever a round found nothing, so an idle engine does close to no work.
    /// </summary>
    public async Task RunWorkerAsync(CancellationToken cancellationToken)
    {
        try
        {
            await WorkUntilCancelledAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: whatever was under way is rolled back, and its lease runs out for another node.
        }
    }

    private async Task WorkUntilCancelledAsync(CancellationToken cancellationToken)
    {
        var options = _core.Options;
        var nextRetention = _core.Time.GetUtcNow();
        var nextCalendarRefresh = _core.Time.GetUtcNow();
        var nextExpiry = _core.Time.GetUtcNow();
        while (!cancellationToken.IsCancellationRequested)
        {
            if (options.HistoryRetention is { } retention && _core.Time.GetUtcNow() >= nextRetention)
            {
                await DeleteHistoryAsync(retention, cancellationToken).ConfigureAwait(false);
                nextRetention = _core.Time.GetUtcNow().AddHours(1);
            }

            if (_core.Time.GetUtcNow() >= nextCalendarRefresh)
            {
                await RefreshCalendarsAsync(cancellationToken).ConfigureAwait(false); // versions another node saved
                nextCalendarRefresh = _core.Time.GetUtcNow().AddSeconds(30);
            }

            if (_core.Time.GetUtcNow() >= nextExpiry)
            {
                await ExpireMessagesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                nextExpiry = _core.Time.GetUtcNow().AddSeconds(10);
            }

            var done = await FireDueTimersAsync(options.BatchSize, cancellationToken).ConfigureAwait(false)
                + await FireDueClocksAsync(options.ClockBatchSize, cancellationToken).ConfigureAwait(false)
                + await RunDueJobsAsync(options.BatchSize, cancellationToken).ConfigureAwait(false);
            if (done > 0)
            {
                continue;
            }

            var sleep = options.PollInterval;
            var nextTimer = await GetNextTimerDueAsync(cancellationToken).ConfigureAwait(false);
            var nextClock = await GetNextClockDueAsync(cancellationToken).ConfigureAwait(false);
            foreach (var next in new[] { nextTimer, nextClock }.OfType<DateTimeOffset>())
            {
                if (next - _core.Time.GetUtcNow() < sleep)
                {
                    sleep = next - _core.Time.GetUtcNow();
                }
            }

            if (sleep > TimeSpan.Zero)
            {
                await Task.Delay(sleep, _core.Time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Deletes the history of instances that ended more than <paramref name="olderThan"/> ago, in batches of
    /// 500 instances per transaction so the runtime tables are never blocked for long.
    /// </summary>
    /// <returns>How many history rows were deleted.</returns>
    public Task<long> DeleteHistoryAsync(TimeSpan olderThan, CancellationToken cancellationToken = default) =>
        Store.DeleteHistoryAsync(_core.Time.GetUtcNow() - olderThan, 500, cancellationToken);

    /// <summary>When the next timer is due, if any: a poller sleeps until then.</summary>
    public Task<DateTimeOffset?> GetNextTimerDueAsync(CancellationToken cancellationToken = default) =>
        Store.GetNextTimerDueAsync(_core.Time.GetUtcNow(), cancellationToken).AsTask();

    private async ValueTask<int> FireTimerAsync(Execution execution, Guid timerId, CancellationToken ct)
    {
        execution.Actor = _core.Options.NodeId;
        var timer = await Store.GetTimerAsync(timerId, ct).ConfigureAwait(false);
        if (timer is null)
        {
            return 0; // fired or closed by another command meanwhile
        }

        execution.Changes.FiredTimer = timer.Id;
        if (timer.InstanceId is null)
        {
            if (timer.Interval is { } interval && timer.Remaining != 0)
            {
                execution.Changes.TimersCreated.Add(timer with
                {
                    Id = Guid.CreateVersion7(execution.Now),
                    DueAt = timer.DueAt + interval,
                    Remaining = timer.Remaining > 0 ? timer.Remaining - 1 : -1,
                });
            }

            var definition = await _core.Definitions.GetAsync(timer.DefinitionId, ct).ConfigureAwait(false);
            var started = execution.CreateInstance(definition, null, new FeelContext());
            execution.History(started, "timer-fired", timer.ElementId, null);
            await execution.StartAtAsync(started, definition.Node(timer.ElementId), []).ConfigureAwait(false);
            return 1;
        }

        var instance = await execution.LoadAsync(timer.InstanceId.Value).ConfigureAwait(false);
        if (!instance.State.Elements.TryGetValue(timer.ElementKey, out var owner) || owner.Waits?.Find(w => w.Id == timer.Id) is not { } wait || wait.Id != timer.Id)
        {
            return 0; // a stale row: the commit removes it
        }

        execution.History(instance, "timer-fired", timer.ElementId, owner.Key, timer.DueAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        await execution.TriggerWaitAsync(instance, owner, wait, null, timer).ConfigureAwait(false);
        return 1;
    }

    // ---------------------------------------------------------------- reads

    /// <summary>Where an instance's tokens are and what its variables hold.</summary>
    public async Task<ProcessInstanceSnapshot> GetInstanceAsync(Guid instanceId, CancellationToken cancellationToken = default)
    {
        var record = await Store.GetInstanceAsync(instanceId, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"process instance {instanceId} does not exist");
        var state = InstanceStateSerializer.Deserialize(record);
        var active = state.Elements.Values
            .Where(e => e.Key != InstanceState.RootKey)
            .OrderBy(e => e.Key)
            .Select(e => new ActiveElement(e.ElementId, e.Key, e.IncidentId is not null ? "incident" : IsWaiting(e) ? "waiting" : "active"))
            .ToList();
        var incidents = await GetIncidentsAsync(instanceId, cancellationToken).ConfigureAwait(false);
        return new ProcessInstanceSnapshot(state.Id, state.ProcessId, state.Version, state.BusinessKey, state.Status, active,
            Execution.ToDictionary(state.Variables), incidents, state.StartedAt, state.EndedAt, state.ParentInstanceId)
        {
            Branch = record.Branch,
            CustomerId = record.CustomerId,
        };
    }

    /// <summary>Ids of instances of a process and/or with a business key, newest first.</summary>
    public async Task<IReadOnlyList<Guid>> FindInstancesAsync(string? processId = null, string? businessKey = null, int max = 100, CancellationToken cancellationToken = default)
    {
        var records = await Store.FindInstancesAsync(new InstanceFilter(processId, businessKey, max), cancellationToken).ConfigureAwait(false);
        return records.Select(r => r.Id).ToList();
    }

    /// <summary>Instances matching every filter the query sets, newest first.</summary>
    public async Task<IReadOnlyList<InstanceSummary>> QueryInstancesAsync(InstanceQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var records = await Store.FindInstancesAsync(new InstanceFilter(query.ProcessId, query.BusinessKey, query.Max)
        {
            Branch = query.Branch,
            CustomerId = query.CustomerId,
            Status = query.Status,
        }, cancellationToken).ConfigureAwait(false);
        return records.Select(r => new InstanceSummary(r.Id, r.ProcessId, r.Version, r.BusinessKey, r.Branch, r.CustomerId, r.Status, r.StartedAt, r.EndedAt)).ToList();
    }

    /// <summary>One user task, open or closed.</summary>
    /// <exception cref="WorkflowNotFoundException">No such task.</exception>
    public async Task<UserTaskInfo> GetUserTaskAsync(Guid taskId, CancellationToken cancellationToken = default)
    {
        var task = await Store.GetUserTaskAsync(taskId, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"user task {taskId} does not exist");
        return ToInfo(task);
    }

    /// <summary>One incident, open or resolved.</summary>
    /// <exception cref="WorkflowNotFoundException">No such incident.</exception>
    public async Task<IncidentInfo> GetIncidentAsync(Guid incidentId, CancellationToken cancellationToken = default)
    {
        var incident = await Store.GetIncidentAsync(incidentId, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"incident {incidentId} does not exist");
        return ToInfo(incident);
    }

    /// <summary>Open incidents of every instance, or of the instances of one branch, oldest first.</summary>
    public async Task<IReadOnlyList<IncidentInfo>> GetOpenIncidentsAsync(string? branch = null, int max = 100, CancellationToken cancellationToken = default)
    {
        var incidents = await Store.GetOpenIncidentsAsync(branch, max, cancellationToken).ConfigureAwait(false);
        return incidents.Select(ToInfo).ToList();
    }

    private static IncidentInfo ToInfo(IncidentRecord i) => new(i.Id, i.InstanceId, i.ElementId, i.Message, i.CreatedAt);

    private static bool IsWaiting(ElementInstance e) =>
        e.TaskId is not null || e.JobId is not null || e.CalledInstanceId is not null || e.Waits is { Count: > 0 };

    /// <summary>The open user tasks of an instance.</summary>
    public async Task<IReadOnlyList<UserTaskInfo>> GetUserTasksAsync(Guid instanceId, CancellationToken cancellationToken = default)
    {
        var tasks = await Store.GetOpenUserTasksAsync(instanceId, cancellationToken).ConfigureAwait(false);
        return tasks.Select(ToInfo).ToList();
    }

    /// <summary>Jobs waiting for workers, optionally of one type or one instance.</summary>
    public async Task<IReadOnlyList<JobInfo>> GetJobsAsync(string? type = null, Guid? instanceId = null, CancellationToken cancellationToken = default)
    {
        var jobs = await Store.GetJobsAsync(instanceId, type, cancellationToken).ConfigureAwait(false);
        return jobs.Select(j => new JobInfo(j.Id, j.InstanceId, j.ElementId, j.Type, j.Retries,
            Execution.ToDictionary(Execution.VariablesFromJson(j.VariablesJson)),
            System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(j.HeadersJson) ?? [])).ToList();
    }

    /// <summary>The open incidents of an instance.</summary>
    public async Task<IReadOnlyList<IncidentInfo>> GetIncidentsAsync(Guid instanceId, CancellationToken cancellationToken = default)
    {
        var incidents = await Store.GetOpenIncidentsAsync(instanceId, cancellationToken).ConfigureAwait(false);
        return incidents.Select(ToInfo).ToList();
    }

    /// <summary>An instance's history, oldest first.</summary>
    public async Task<IReadOnlyList<HistoryEntry>> GetHistoryAsync(Guid instanceId, CancellationToken cancellationToken = default)
    {
        var history = await Store.GetHistoryAsync(instanceId, cancellationToken).ConfigureAwait(false);
        return history.Select(h => new HistoryEntry(h.At, h.Kind, h.ElementId, h.Actor, h.Detail)).ToList();
    }


    // ---------------------------------------------------------------- the one path every command takes

    private async Task<T> ExecuteAsync<T>(Func<Execution, ValueTask<T>> command, CancellationToken cancellationToken, bool runTokens = true, [CallerMemberName] string name = "")
    {
        await EnsureCalendarsAsync(cancellationToken).ConfigureAwait(false);
        using var activity = WorkflowsTelemetry.Source.StartActivity(name);
        var started = Stopwatch.GetTimestamp();
        var outcome = "failed";
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var execution = new Execution(_core, cancellationToken);
                var result = await command(execution).ConfigureAwait(false);
                if (runTokens)
                {
                    await execution.RunAsync().ConfigureAwait(false);
                }

                try
                {
                    await execution.CommitAsync().ConfigureAwait(false);
                    outcome = "committed";
                    CountEffects(execution);
                    Committed?.Invoke(execution.Changes);
                    return result;
                }
                catch (ConcurrencyConflictException e) when (attempt < _core.Options.MaxCommandAttempts)
                {
                    _core.Log.Conflict(attempt, e.Message);
                }
                catch (ConcurrencyConflictException e)
                {
                    outcome = "conflict";
                    throw new WorkflowConflictException($"the command lost {attempt} concurrency races in a row and gave up: {e.Message}");
                }
            }
        }
        finally
        {
            var command_ = new KeyValuePair<string, object?>("command", name);
            WorkflowsTelemetry.Commands.Add(1, command_, new KeyValuePair<string, object?>("outcome", outcome));
            WorkflowsTelemetry.CommandDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, command_);
        }
    }

    // Counted from what was committed, so a retried command never counts twice.
    private static void CountEffects(Execution execution)
    {
        var changes = execution.Changes;
        if (changes.IncidentsCreated.Count > 0)
        {
            WorkflowsTelemetry.IncidentsRaised.Add(changes.IncidentsCreated.Count);
        }

        var started = changes.Instances.Count(w => w.ExpectedRowVersion == 0);
        if (started > 0)
        {
            WorkflowsTelemetry.InstancesStarted.Add(started);
        }

        foreach (var status in execution.EndedInstances)
        {
            WorkflowsTelemetry.InstancesEnded.Add(1, new KeyValuePair<string, object?>("status", status.ToString()));
        }
    }

    /// <summary>
    /// The task's instance, then the task row read after it. The commit is guarded by the instance's row
    /// version, so a decision taken on a task row read no earlier than the instance cannot rest on a
    /// state another command has since changed (read the other way round, two agents could both claim).
    /// </summary>
    private async ValueTask<(LoadedInstance Instance, UserTaskRecord Task)> LoadOpenTaskAsync(Execution execution, Guid taskId, CancellationToken ct)
    {
        var located = await Store.GetUserTaskAsync(taskId, ct).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"user task {taskId} does not exist");
        var instance = await execution.LoadAsync(located.InstanceId).ConfigureAwait(false);
        var task = await Store.GetUserTaskAsync(taskId, ct).ConfigureAwait(false) ?? located;
        if (task.Status != Storage.TaskStatus.Open)
        {
            throw new WorkflowConflictException($"user task {taskId} ('{task.ElementId}') is already {task.Status.ToString().ToLowerInvariant()}");
        }

        return (instance, task);
    }

    private async ValueTask<(LoadedInstance Instance, ElementInstance Element, JobRecord Job)> LoadJobAsync(Execution execution, Guid jobId, CancellationToken ct)
    {
        var job = await Store.GetJobAsync(jobId, ct).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"job {jobId} does not exist (it was completed, cancelled or never created)");
        var instance = await execution.LoadAsync(job.InstanceId).ConfigureAwait(false);
        var element = Owner(instance, job.ElementKey, e => e.JobId == jobId, $"job {jobId}");
        return (instance, element, job);
    }

    private static ElementInstance Owner(LoadedInstance instance, long key, Func<ElementInstance, bool> owns, string what) =>
        instance.State.Elements.TryGetValue(key, out var element) && owns(element)
            ? element
            : throw new WorkflowConflictException($"{what} no longer waits in instance {instance.Id}");

    private FeelContext Variables(IReadOnlyDictionary<string, object?>? variables)
    {
        var context = Execution.ToContext(variables) ?? new FeelContext();
        if (context.Count > 0)
        {
            var bytes = Encoding.UTF8.GetByteCount(FeelConvert.ToJson(context));
            if (bytes > _core.Options.MaxVariablesBytes)
            {
                throw new WorkflowInputException($"the variables take {bytes:N0} bytes as JSON; the limit is {_core.Options.MaxVariablesBytes:N0}");
            }
        }

        return context;
    }
}
