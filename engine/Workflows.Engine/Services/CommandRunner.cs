using System.Diagnostics;
using System.Runtime.CompilerServices;
using Workflows.Engine.Feel;
using Workflows.Engine.Modules;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Services;

/// <summary>
/// The one path every command of every service takes: load, run tokens, commit in one transaction guarded by
/// the instances' row versions, retry the whole command on a lost race; and the loads and checks commands share.
/// </summary>
internal sealed class CommandRunner
{
    public CommandRunner(EngineCore core)
    {
        Core = core;
        core.Modules = EngineModules.Create(this);
    }

    public EngineCore Core { get; }

    public IWorkflowStore Store => Core.Store;

    public WorkflowEngineOptions Options => Core.Options;

    public TimeProvider Time => Core.Time;

    /// <summary>
    /// The clock leases are stamped and checked in: the host's, under a <see cref="ControlledClock"/>. A lease is a promise
    /// about real elapsed time (a worker that died gives its work back after its time-out), so a clock pinned, advanced
    /// or put back by a test must neither hold a lease forever nor end it at once.
    /// </summary>
    public TimeProvider LeaseTime => Core.Time is ControlledClock controlled ? controlled.Underlying : Core.Time;

    /// <summary>Raised after every committed command with what it changed, on the committing thread.</summary>
    public event Action<ChangeSet>? Committed;

    /// <summary>How many times <see cref="WorkflowEngineOptions.MaxCommandAttempts"/> a message publish may run before it gives up on races.</summary>
    public const int PublishAttemptsFactor = 4;

    /// <remarks>
    /// A command that loses a race (another committed the instance first) runs again after a short random pause that
    /// grows with each loss, so that commands contending for one row spread out rather than collide again; after
    /// <paramref name="attempts"/> (<see cref="WorkflowEngineOptions.MaxCommandAttempts"/> unless given) it gives up with
    /// <see cref="CommandContendedException"/>, which says when to try again.
    /// </remarks>
    public async Task<T> ExecuteAsync<T>(Func<Execution, ValueTask<T>> command, CancellationToken cancellationToken, bool runTokens = true, [CallerMemberName] string name = "", int? attempts = null)
    {
        var maxAttempts = attempts ?? Options.MaxCommandAttempts;
        foreach (var module in Core.Modules)
        {
            await module.BeforeCommandAsync(cancellationToken).ConfigureAwait(false);
        }

        using var activity = WorkflowsTelemetry.Source.StartActivity(name);
        // The clock is read only for a listener of the duration: two reads a command were ~1 % of an in-memory command's CPU.
        var timed = WorkflowsTelemetry.CommandDuration.Enabled;
        var started = timed ? Stopwatch.GetTimestamp() : 0;
        var outcome = "failed";
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Execution execution;
                T result;
                try
                {
                    (execution, result) = await Execution.RunCommandAsync(Core, command, runTokens, cancellationToken).ConfigureAwait(false);
                }
                catch (InstanceStateUnreadableException unreadable)
                {
                    // The instance the command is about cannot be read: refused by name, and the instance's incident
                    // raised (once) with its jobs and timers parked, whoever met it first (a worker, a timer, an API call).
                    await UnreadableInstances.ReportAsync(this, unreadable, cancellationToken).ConfigureAwait(false);
                    throw;
                }

                try
                {
                    await execution.CommitAsync().ConfigureAwait(false);
                    outcome = "committed";
                    CountEffects(execution);
                    Committed?.Invoke(execution.Changes);
                    foreach (var unreadable in execution.Unit.Unreadable)
                    {
                        await UnreadableInstances.ReportAsync(this, unreadable, cancellationToken).ConfigureAwait(false);
                    }

                    return result;
                }
                catch (ConcurrencyConflictException e) when (attempt < maxAttempts)
                {
                    Core.Log.Conflict(attempt, e.Message);
                    await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
                }
                catch (ConcurrencyConflictException e)
                {
                    outcome = "conflict";
                    throw new CommandContendedException($"the command lost {attempt} concurrency races in a row and gave up: {e.Message}; nothing was changed, try again", TimeSpan.FromSeconds(1));
                }
            }
        }
        finally
        {
            var commandTag = new KeyValuePair<string, object?>("command", name);
            WorkflowsTelemetry.Commands.Add(1, commandTag, new KeyValuePair<string, object?>("outcome", outcome));
            if (timed)
            {
                WorkflowsTelemetry.CommandDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, commandTag);
            }
        }
    }

    // A pause drawn from 1 ms to a ceiling that doubles with each loss (up to 128 ms): a wall-clock wait between
    // attempts, not a reading of the engine's clock, so a controlled clock does not hold it.
    private static TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Random.Shared.Next(1, 1 << Math.Min(attempt + 2, 7)));

    // Counted from what was committed, so a retried command never counts twice.
    private static void CountEffects(Execution execution)
    {
        var changes = execution.Changes;
        if (changes.HasRareChanges && changes.IncidentsCreated.Count > 0)
        {
            WorkflowsTelemetry.IncidentsRaised.Add(changes.IncidentsCreated.Count);
        }

        var started = 0;
        foreach (var write in changes.Instances)
        {
            if (write.ExpectedRowVersion == 0)
            {
                started++;
            }
        }

        if (started > 0)
        {
            WorkflowsTelemetry.InstancesStarted.Add(started);
        }

        if (execution.Unit.EndedInstancesIfAny is { } ended)
        {
            foreach (var status in ended)
            {
                WorkflowsTelemetry.InstancesEnded.Add(1, new KeyValuePair<string, object?>("status", status.ToString()));
            }
        }
    }

    /// <summary>
    /// The task with its instance, read in one statement (one snapshot) with the instance's open clocks after them: one
    /// round trip on a server. The commit is guarded by the instance's row version, so a decision taken on a task row
    /// read no earlier than the instance cannot rest on a state another command has since changed (a task read before
    /// its instance, in a statement of its own, could let two agents both claim). An instance this command loaded
    /// already is kept, and the task read after it.
    /// </summary>
    /// <param name="execution">The command.</param>
    /// <param name="taskId">The task.</param>
    /// <param name="ct">Cancels the reads.</param>
    /// <param name="accept">
    /// Refuses the task by throwing (a caller's authorization and input checks), on the first row read of it: before its
    /// instance is loaded, and before the task is found closed or unreadable.
    /// </param>
    /// <param name="clocks">
    /// False for a command that changes the task's row alone and runs no token (a claim, an unclaim, a delegation, a move,
    /// a comment): its instance's open clocks are not read (a statement fewer on SQLite, one fewer in the round trip on a
    /// server), and the modules that read them are handed none. Nothing such a command does looks at them: it creates no
    /// task to mark and changes no clock, and the task's mark it writes back is the one its row holds.
    /// </param>
    public async ValueTask<(LoadedInstance Instance, UserTaskRecord Task)> LoadOpenTaskAsync(Execution execution, Guid taskId, CancellationToken ct, Action<UserTaskRecord>? accept = null, bool clocks = true)
    {
        // A command that runs tokens may reach a business rule task: the stamp its decision's choice is kept by comes in the
        // task's round trip rather than in one of its own.
        var read = await Store.GetTaskWithInstanceAsync(taskId, clocks && execution.Unit.ModulesReadOpenClocks, decisionChoiceStamp: clocks, ct).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"user task {taskId} does not exist");
        execution.Unit.DecisionChoiceStamp ??= read.DecisionChoiceStamp;
        var task = read.Task;
        accept?.Invoke(task);
        var instance = await execution.Unit.AdoptReadAsync(task.InstanceId, read.Instance, read.OpenClocks, clocksUnused: !clocks).ConfigureAwait(false);
        if (task.Status != Storage.TaskStatus.Open)
        {
            throw new WorkflowConflictException($"user task {taskId} ('{task.ElementId}') is already {task.Status.ToString().ToLowerInvariant()}");
        }

        if (task.Problem is { } problem)
        {
            throw new StoredTaskUnreadableException(taskId, task.InstanceId, problem); // nothing is decided on, or written over, a row read in part
        }

        return (instance, task);
    }

    public async ValueTask<(LoadedInstance Instance, ElementInstance Element, JobRecord Job)> LoadJobAsync(Execution execution, Guid jobId, CancellationToken ct)
    {
        // The job, then its instance (and its open clocks) read after it: one round trip on a server.
        var (found, row, openClocks) = await Store.GetJobWithInstanceAsync(jobId, execution.Unit.ModulesReadOpenClocks, ct).ConfigureAwait(false);
        var job = found ?? throw new WorkflowNotFoundException($"job {jobId} does not exist (it was completed, cancelled or never created)");
        var instance = await execution.Unit.AdoptReadAsync(job.InstanceId, row, openClocks).ConfigureAwait(false);
        var element = await JobOwnerAsync(instance, job, ct).ConfigureAwait(false);
        return (instance, element, job);
    }

    /// <summary>
    /// The element instance waiting for an open task row read after the instance. No element waiting for it is no lost
    /// race (the row would have been closed with the element): the state and its rows disagree, and the task could never
    /// be completed; that is the instance's state problem, raised as an incident (review13 F3), not a conflict for ever.
    /// </summary>
    public static ElementInstance TaskOwner(LoadedInstance instance, UserTaskRecord task) =>
        instance.State.Elements.TryGetValue(task.ElementKey, out var element) && element.TaskId == task.Id
            ? element
            : throw Stranded(instance, "user task", task.Id, task.ElementKey, element, element?.TaskId);

    /// <summary>
    /// The element instance waiting for a job read before the instance: when none waits for it, the job row is read again,
    /// and one still there is the state's problem (as <see cref="TaskOwner"/>); one gone was answered or closed meanwhile.
    /// </summary>
    public async ValueTask<ElementInstance> JobOwnerAsync(LoadedInstance instance, JobRecord job, CancellationToken ct)
    {
        if (instance.State.Elements.TryGetValue(job.ElementKey, out var element) && element.JobId == job.Id)
        {
            return element;
        }

        return await Store.GetJobAsync(job.Id, ct).ConfigureAwait(false) is null
            ? throw new WorkflowConflictException($"job {job.Id} no longer waits in instance {instance.Id}")
            : throw Stranded(instance, "job", job.Id, job.ElementKey, element, element?.JobId);
    }

    /// <summary>A row no element of the instance's state waits for, found after the state was read: the state's problem.</summary>
    public static InstanceStateUnreadableException Stranded(LoadedInstance instance, string kind, Guid id, long key, ElementInstance? element, Guid? waitsFor) =>
        new(instance.Id, element is null
            ? $"{kind} {id} is open at element key {key}, which is no element of the state: nothing could ever meet it"
            : $"{kind} {id} is open at element key {key}, but element '{element.ElementId}' (key {key}) of the state {(waitsFor is { } other ? $"waits for {other}" : "does not wait for it")}: nothing could ever meet it");

    /// <summary>The element instance at <paramref name="key"/> whose wait (<paramref name="waitOf"/>) is still <paramref name="id"/>.</summary>
    /// <remarks>The wait is read by a static lambda and the message put together only on a conflict: this runs on every task and job completion.</remarks>
    public static ElementInstance Owner(LoadedInstance instance, long key, Func<ElementInstance, Guid?> waitOf, string kind, Guid id) =>
        instance.State.Elements.TryGetValue(key, out var element) && waitOf(element) == id
            ? element
            : throw new WorkflowConflictException($"{kind} {id} no longer waits in instance {instance.Id}");

    /// <summary>
    /// A caller's variables as FEEL values, refused when a name cannot be read back (<see cref="VariableNames"/>), they
    /// exceed <see cref="WorkflowEngineOptions.MaxVariablesBytes"/> or <see cref="ExecutionLimits.MaxVariableDepth"/>, or
    /// a text or name in them holds a NUL character (<see cref="StorableText"/>).
    /// </summary>
    public FeelContext Variables(IReadOnlyDictionary<string, object?>? variables)
    {
        // A name no expression could read back (empty, dotted: docs/limits.md) is refused before anything is stored.
        if (variables is not null && VariableNames.FirstProblem(variables.Keys) is { } badName)
        {
            throw new WorkflowInputException(badName);
        }

        var context = Execution.ToContext(variables) ?? new FeelContext();
        if (context.Count > 0)
        {
            // Most starts give a few scalars and short texts, surely within the limit: written out only when they may not be.
            if (!FeelConvert.SurelyWithinJson(context, Options.MaxVariablesBytes) && FeelConvert.JsonByteCount(context) is var bytes && bytes > Options.MaxVariablesBytes)
            {
                throw new WorkflowInputException($"the variables take {bytes:N0} bytes as JSON; the limit is {Options.MaxVariablesBytes:N0} ({Options.SettingName(nameof(WorkflowEngineOptions.MaxVariablesBytes))})");
            }

            // A deeper variable would make an instance state that cannot be read back once it sits inside an element.
            if (VariableDepth.FirstTooDeep(context, Options.Limits.MaxVariableDepth) is { } deep)
            {
                throw new WorkflowInputException($"variable '{deep.Name}' nests lists and objects more than {Options.Limits.MaxVariableDepth} levels deep; "
                    + $"the limit is {Options.Limits.MaxVariableDepth} ({Options.SettingName("Limits." + nameof(ExecutionLimits.MaxVariableDepth))})");
            }

            StorableText.CheckVariables(context);
        }

        return context;
    }

    // Another node (after this one's lease ran out) or a cancellation may have closed the job or timer
    // meanwhile: its effect is then already recorded, or no longer wanted.
    public static async Task IgnoreIfGoneAsync(Task command)
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
}
