using Microsoft.Extensions.Time.Testing;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Testing;

/// <summary>
/// Drives processes in tests: deploy a BPMN file, start instances, complete tasks and jobs,
/// correlate messages, move the clock, and read where the tokens are.
/// </summary>
/// <remarks>
/// The engine runs on the in-memory store and a <see cref="FakeTimeProvider"/>; time moves only when
/// <see cref="AdvanceTimeAsync"/> is called, and due timers fire in due order as it passes them, so a
/// test never sleeps.
/// </remarks>
public sealed class ProcessTestHarness
{
    /// <summary>The default start of the test clock: a Monday morning, 2025-01-06 09:00 UTC.</summary>
    public static readonly DateTimeOffset DefaultStart = new(2025, 1, 6, 9, 0, 0, TimeSpan.Zero);

    // The outgoing messages DeliverMessagesAsync has handed on, so each is delivered once.
    private readonly HashSet<Guid> _delivered = [];

    /// <summary>Creates a harness on the in-memory store whose clock starts at <paramref name="start"/> (default <see cref="DefaultStart"/>).</summary>
    public ProcessTestHarness(DateTimeOffset? start = null, Action<WorkflowEngineOptions>? configure = null)
    {
        Clock = new FakeTimeProvider(start ?? DefaultStart);
        var options = new WorkflowEngineOptions();
        configure?.Invoke(options);
        Engine = new WorkflowEngine(options, Clock);
    }

    private ProcessTestHarness(FakeTimeProvider clock, WorkflowEngine engine)
    {
        Clock = clock;
        Engine = engine;
    }

    /// <summary>
    /// Creates a harness on an engine of your making, such as one on a SQL store, given the options and
    /// the fake clock it must use.
    /// </summary>
    public static async Task<ProcessTestHarness> CreateAsync(Func<WorkflowEngineOptions, TimeProvider, Task<WorkflowEngine>> createEngine, DateTimeOffset? start = null, Action<WorkflowEngineOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(createEngine);
        var clock = new FakeTimeProvider(start ?? DefaultStart);
        var options = new WorkflowEngineOptions();
        configure?.Invoke(options);
        return new ProcessTestHarness(clock, await createEngine(options, clock).ConfigureAwait(false));
    }

    /// <summary>The clock the engine reads.</summary>
    public FakeTimeProvider Clock { get; }

    /// <summary>The engine under test.</summary>
    public WorkflowEngine Engine { get; }

    /// <summary>Deploys BPMN XML.</summary>
    public Task<DeploymentResult> DeployAsync(string bpmnXml) => Engine.Deployments.DeployAsync(bpmnXml, "test");

    /// <summary>
    /// Approves a deployed journey version as a standard (by <c>test-reviewer</c>, not the <c>test</c> analyst who deployed
    /// it: four eyes), so that a branch may pin it, a migration target it and a rollout roll it out; a version approved
    /// already is left as it is.
    /// </summary>
    public async Task ApproveAsync(string processId, int version)
    {
        var lifecycle = await Engine.Rollouts.GetLifecycleAsync(processId).ConfigureAwait(false);
        if (lifecycle.Any(l => l.Version == version && l.Stage == VersionStage.Deployed))
        {
            await Engine.Rollouts.ApproveAsync(processId, version, "test-reviewer", "approved in a test").ConfigureAwait(false);
        }
    }

    /// <summary>Approves a deployed decision version (by <c>test-reviewer</c>), so that a branch may pin it; one approved already is left as it is.</summary>
    public async Task ApproveDecisionAsync(string decisionId, int version)
    {
        var versions = await Engine.Decisions.GetVersionsAsync(decisionId).ConfigureAwait(false);
        if (versions.Any(v => v.Version == version && v.Stage == VersionStage.Deployed))
        {
            await Engine.Decisions.ApproveAsync(decisionId, version, "test-reviewer", "approved in a test").ConfigureAwait(false);
        }
    }

    /// <summary>Deploys a BPMN file.</summary>
    public async Task<DeploymentResult> DeployFileAsync(string path) => await DeployAsync(await File.ReadAllTextAsync(path).ConfigureAwait(false)).ConfigureAwait(false);

    /// <summary>Starts an instance of the latest version.</summary>
    public async Task<ProcessInstanceHandle> StartAsync(string processId, IReadOnlyDictionary<string, object?>? variables = null, string? businessKey = null)
    {
        var id = await Engine.Runtime.StartAsync(new StartInstance(processId) { Variables = variables, BusinessKey = businessKey }).ConfigureAwait(false);
        return new ProcessInstanceHandle(this, id);
    }

    /// <summary>A handle on an instance that exists already (one started by a message, a timer or a call).</summary>
    public ProcessInstanceHandle Instance(Guid id) => new(this, id);

    /// <summary>The instances of a process, newest first (those started by messages, timers and signals included).</summary>
    public async Task<IReadOnlyList<ProcessInstanceHandle>> InstancesOfAsync(string processId) =>
        (await Engine.Queries.FindInstancesAsync(processId, max: 10_000).ConfigureAwait(false)).Select(id => new ProcessInstanceHandle(this, id)).ToList();

    /// <summary>Publishes a message.</summary>
    public Task<CorrelationResult> CorrelateAsync(string name, string correlationKey, IReadOnlyDictionary<string, object?>? variables = null, string? messageId = null, TimeSpan? timeToLive = null) =>
        Engine.Runtime.CorrelateMessageAsync(new PublishMessage(name, correlationKey) { Variables = variables, MessageId = messageId, TimeToLive = timeToLive ?? TimeSpan.Zero });

    /// <summary>
    /// Delivers the messages instances sent (send tasks, message throws and ends) as the bus would, each once,
    /// round after round until none is left, so a front-office/back-office handoff runs in one engine.
    /// Notifications (SLA warnings and breaches) are not delivered: nothing correlates them.
    /// </summary>
    /// <returns>How many messages were delivered.</returns>
    public async Task<int> DeliverMessagesAsync()
    {
        var delivered = 0;
        while (true)
        {
            var pending = (await Engine.Queries.GetOutgoingMessagesAsync().ConfigureAwait(false))
                .Where(m => m.Kind == OutgoingMessageKind.Message && _delivered.Add(m.Id))
                .ToList();
            if (pending.Count == 0)
            {
                return delivered;
            }

            foreach (var message in pending)
            {
                await Engine.Runtime.CorrelateMessageAsync(new PublishMessage(message.Name, message.CorrelationKey ?? "")
                {
                    Variables = message.Variables,
                    MessageId = message.Id.ToString(),
                    TimeToLive = message.TimeToLive,
                    Handoff = message.Handoff,
                    MustCorrelate = true,
                }).ConfigureAwait(false);
                delivered++;
            }
        }
    }

    /// <summary>Broadcasts a signal.</summary>
    public Task<int> BroadcastSignalAsync(string name, IReadOnlyDictionary<string, object?>? variables = null) => Engine.Runtime.BroadcastSignalAsync(name, variables);

    /// <summary>Moves the clock forward, firing every timer and SLA clock it passes at its due time, in due order.</summary>
    public async Task AdvanceTimeAsync(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        var target = Clock.GetUtcNow() + by;
        for (var round = 0; ; round++)
        {
            if (round > 100_000)
            {
                throw new InvalidOperationException("timers keep firing without the clock reaching its target; is a cycle without an end?");
            }

            var timer = await Engine.Worker.GetNextTimerDueAsync().ConfigureAwait(false);
            var clock = await Engine.Worker.GetNextClockDueAsync().ConfigureAwait(false);
            var next = timer is null ? clock : clock is null || timer <= clock ? timer : clock;
            if (next is null || next > target)
            {
                break;
            }

            if (next > Clock.GetUtcNow())
            {
                Clock.SetUtcNow(next.Value);
            }

            await Engine.Worker.FireDueTimersAsync().ConfigureAwait(false);
            await Engine.Worker.FireDueClocksAsync().ConfigureAwait(false);
        }

        Clock.SetUtcNow(target);
    }
}

/// <summary>A process instance under test.</summary>
public sealed class ProcessInstanceHandle
{
    private readonly ProcessTestHarness _harness;

    internal ProcessInstanceHandle(ProcessTestHarness harness, Guid id)
    {
        _harness = harness;
        Id = id;
    }

    /// <summary>The instance id.</summary>
    public Guid Id { get; }

    private WorkflowEngine Engine => _harness.Engine;

    /// <summary>The instance as it is now.</summary>
    public Task<ProcessInstanceSnapshot> SnapshotAsync() => Engine.Queries.GetInstanceAsync(Id);

    /// <summary>The element ids where tokens are, sorted, each as often as tokens stand there.</summary>
    public async Task<IReadOnlyList<string>> ActiveElementsAsync() =>
        (await SnapshotAsync().ConfigureAwait(false)).ActiveElements.Select(e => e.ElementId).Order(StringComparer.Ordinal).ToList();

    /// <summary>The instance's status.</summary>
    public async Task<ProcessInstanceStatus> StatusAsync() => (await SnapshotAsync().ConfigureAwait(false)).Status;

    /// <summary>A process variable (null when absent).</summary>
    public async Task<object?> VariableAsync(string name) =>
        (await SnapshotAsync().ConfigureAwait(false)).Variables.TryGetValue(name, out var value) ? value : null;

    /// <summary>The open user tasks.</summary>
    public Task<IReadOnlyList<UserTaskInfo>> UserTasksAsync() => Engine.Tasks.GetOpenAsync(Id);

    /// <summary>The open incidents.</summary>
    public Task<IReadOnlyList<IncidentInfo>> IncidentsAsync() => Engine.Queries.GetIncidentsAsync(Id);

    /// <summary>The instance's SLA and commitment clocks, with their time left now.</summary>
    public Task<IReadOnlyList<SlaClockInfo>> ClocksAsync() => Engine.ServiceLevels.GetClocksAsync(Id);

    /// <summary>The history, oldest first.</summary>
    public Task<IReadOnlyList<HistoryEntry>> HistoryAsync() => Engine.Queries.GetHistoryAsync(Id);

    /// <summary>Completes the one open user task at <paramref name="elementId"/>.</summary>
    public async Task CompleteUserTaskAsync(string elementId, IReadOnlyDictionary<string, object?>? variables = null, string? actor = null)
    {
        var tasks = (await UserTasksAsync().ConfigureAwait(false)).Where(t => t.ElementId == elementId).ToList();
        if (tasks.Count != 1)
        {
            throw new InvalidOperationException($"expected one open user task at '{elementId}', found {tasks.Count}; active: {string.Join(", ", await ActiveElementsAsync().ConfigureAwait(false))}");
        }

        await Engine.Tasks.CompleteAsync(tasks[0].Id, variables, actor).ConfigureAwait(false);
    }

    /// <summary>Sets variables on the instance's process scope (a conditional event waiting for them may fire).</summary>
    public Task SetVariablesAsync(IReadOnlyDictionary<string, object?> variables) => Engine.Runtime.SetVariablesAsync(Id, variables);

    /// <summary>Retries the step the open incident at <paramref name="elementId"/> stopped.</summary>
    public async Task ResolveIncidentAsync(string elementId)
    {
        var incidents = (await IncidentsAsync().ConfigureAwait(false)).Where(i => i.ElementId == elementId).ToList();
        if (incidents.Count != 1)
        {
            throw new InvalidOperationException($"expected one open incident at '{elementId}', found {incidents.Count}");
        }

        await Engine.Runtime.ResolveIncidentAsync(incidents[0].Id).ConfigureAwait(false);
    }

    /// <summary>The open jobs of this instance.</summary>
    public Task<IReadOnlyList<JobInfo>> JobsAsync() => Engine.Jobs.GetWaitingAsync(instanceId: Id);

    /// <summary>Completes the one open job at <paramref name="elementId"/>.</summary>
    public async Task CompleteJobAsync(string elementId, IReadOnlyDictionary<string, object?>? variables = null) =>
        await Engine.Jobs.CompleteAsync((await SingleJobAsync(elementId).ConfigureAwait(false)).Id, variables).ConfigureAwait(false);

    /// <summary>Throws a BPMN error from the one open job at <paramref name="elementId"/>.</summary>
    public async Task ThrowJobErrorAsync(string elementId, string errorCode) =>
        await Engine.Jobs.ThrowErrorAsync((await SingleJobAsync(elementId).ConfigureAwait(false)).Id, errorCode).ConfigureAwait(false);

    private async Task<JobInfo> SingleJobAsync(string elementId)
    {
        var jobs = (await JobsAsync().ConfigureAwait(false)).Where(j => j.ElementId == elementId).ToList();
        return jobs.Count == 1
            ? jobs[0]
            : throw new InvalidOperationException($"expected one open job at '{elementId}', found {jobs.Count}");
    }

    /// <inheritdoc />
    public override string ToString() => Id.ToString();
}
