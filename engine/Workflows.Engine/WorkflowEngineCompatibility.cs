using System.ComponentModel;
using Workflows.Engine.Services;

namespace Workflows.Engine;

/// <summary>
/// The engine's methods as they were before it was split into services, kept so that code written against them
/// (process tests through <c>ProcessTestHarness.Engine</c>, say) still compiles; each forwards to its service.
/// </summary>
/// <remarks>Obsolete: call the service instead (<c>engine.Runtime.StartAsync</c> for <c>engine.StartAsync</c>). These go in a later release.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class WorkflowEngineCompatibility
{
    /// <inheritdoc cref="WorkflowDeployments.ValidateAsync"/>
    [Obsolete("Use engine.Deployments.ValidateAsync.")]
    public static Task<Validation.ValidationReport> ValidateAsync(this WorkflowEngine engine, string bpmnXml, CancellationToken cancellationToken = default) =>
        Checked(engine).Deployments.ValidateAsync(bpmnXml, cancellationToken);

    /// <inheritdoc cref="WorkflowDeployments.DeployAsync(string, string?, CancellationToken)"/>
    [Obsolete("Use engine.Deployments.DeployAsync.")]
    public static Task<DeploymentResult> DeployAsync(this WorkflowEngine engine, string bpmnXml, string? deployedBy = null, CancellationToken cancellationToken = default) =>
        Checked(engine).Deployments.DeployAsync(bpmnXml, deployedBy, cancellationToken);

    /// <inheritdoc cref="WorkflowDeployments.GetDefinitionsAsync"/>
    [Obsolete("Use engine.Deployments.GetDefinitionsAsync.")]
    public static Task<IReadOnlyList<DefinitionInfo>> GetDefinitionsAsync(this WorkflowEngine engine, string? processId = null, CancellationToken cancellationToken = default) =>
        Checked(engine).Deployments.GetDefinitionsAsync(processId, cancellationToken);

    /// <inheritdoc cref="WorkflowDeployments.GetXmlAsync"/>
    [Obsolete("Use engine.Deployments.GetXmlAsync.")]
    public static Task<string> GetDefinitionXmlAsync(this WorkflowEngine engine, string processId, int? version = null, CancellationToken cancellationToken = default) =>
        Checked(engine).Deployments.GetXmlAsync(processId, version, cancellationToken);

    /// <inheritdoc cref="WorkflowRuntime.StartAsync"/>
    [Obsolete("Use engine.Runtime.StartAsync.")]
    public static Task<Guid> StartAsync(this WorkflowEngine engine, StartInstance command, CancellationToken cancellationToken = default) =>
        Checked(engine).Runtime.StartAsync(command, cancellationToken);

    /// <inheritdoc cref="WorkflowRuntime.CorrelateMessageAsync"/>
    [Obsolete("Use engine.Runtime.CorrelateMessageAsync.")]
    public static Task<CorrelationResult> CorrelateMessageAsync(this WorkflowEngine engine, PublishMessage message, CancellationToken cancellationToken = default) =>
        Checked(engine).Runtime.CorrelateMessageAsync(message, cancellationToken);

    /// <inheritdoc cref="WorkflowRuntime.BroadcastSignalAsync"/>
    [Obsolete("Use engine.Runtime.BroadcastSignalAsync.")]
    public static Task<int> BroadcastSignalAsync(this WorkflowEngine engine, string signalName, IReadOnlyDictionary<string, object?>? variables = null, CancellationToken cancellationToken = default) =>
        Checked(engine).Runtime.BroadcastSignalAsync(signalName, variables, cancellationToken);

    /// <inheritdoc cref="WorkflowRuntime.CancelAsync(Guid, CancellationToken)"/>
    [Obsolete("Use engine.Runtime.CancelAsync.")]
    public static Task CancelAsync(this WorkflowEngine engine, Guid instanceId, CancellationToken cancellationToken = default) =>
        Checked(engine).Runtime.CancelAsync(instanceId, cancellationToken);

    /// <inheritdoc cref="WorkflowRuntime.SetVariablesAsync(Guid, IReadOnlyDictionary{string, object?}, CancellationToken)"/>
    [Obsolete("Use engine.Runtime.SetVariablesAsync.")]
    public static Task SetVariablesAsync(this WorkflowEngine engine, Guid instanceId, IReadOnlyDictionary<string, object?> variables, CancellationToken cancellationToken = default) =>
        Checked(engine).Runtime.SetVariablesAsync(instanceId, variables, cancellationToken);

    /// <inheritdoc cref="WorkflowRuntime.ResolveIncidentAsync(Guid, CancellationToken)"/>
    [Obsolete("Use engine.Runtime.ResolveIncidentAsync.")]
    public static Task ResolveIncidentAsync(this WorkflowEngine engine, Guid incidentId, CancellationToken cancellationToken = default) =>
        Checked(engine).Runtime.ResolveIncidentAsync(incidentId, cancellationToken);

    /// <inheritdoc cref="WorkflowTasks.CompleteAsync"/>
    [Obsolete("Use engine.Tasks.CompleteAsync.")]
    public static Task CompleteUserTaskAsync(this WorkflowEngine engine, Guid taskId, IReadOnlyDictionary<string, object?>? variables = null, string? actor = null, CancellationToken cancellationToken = default) =>
        Checked(engine).Tasks.CompleteAsync(taskId, variables, actor, cancellationToken);

    /// <inheritdoc cref="WorkflowTasks.ClaimAsync"/>
    [Obsolete("Use engine.Tasks.ClaimAsync.")]
    public static Task ClaimTaskAsync(this WorkflowEngine engine, Guid taskId, string user, CancellationToken cancellationToken = default) =>
        Checked(engine).Tasks.ClaimAsync(taskId, user, cancellationToken);

    /// <inheritdoc cref="WorkflowTasks.ClaimNextAsync"/>
    [Obsolete("Use engine.Tasks.ClaimNextAsync.")]
    public static Task<UserTaskInfo?> ClaimNextTaskAsync(this WorkflowEngine engine, string user, IReadOnlyList<string> queues, string? branch = null, CancellationToken cancellationToken = default) =>
        Checked(engine).Tasks.ClaimNextAsync(user, queues, branch, cancellationToken);

    /// <inheritdoc cref="WorkflowTasks.UnclaimAsync"/>
    [Obsolete("Use engine.Tasks.UnclaimAsync.")]
    public static Task UnclaimTaskAsync(this WorkflowEngine engine, Guid taskId, string user, CancellationToken cancellationToken = default) =>
        Checked(engine).Tasks.UnclaimAsync(taskId, user, cancellationToken);

    /// <inheritdoc cref="WorkflowTasks.DelegateAsync"/>
    [Obsolete("Use engine.Tasks.DelegateAsync.")]
    public static Task DelegateTaskAsync(this WorkflowEngine engine, Guid taskId, string user, string delegateTo, CancellationToken cancellationToken = default) =>
        Checked(engine).Tasks.DelegateAsync(taskId, user, delegateTo, cancellationToken);

    /// <inheritdoc cref="WorkflowTasks.MoveAsync"/>
    [Obsolete("Use engine.Tasks.MoveAsync.")]
    public static Task MoveTaskAsync(this WorkflowEngine engine, Guid taskId, string queue, string user, CancellationToken cancellationToken = default) =>
        Checked(engine).Tasks.MoveAsync(taskId, queue, user, cancellationToken);

    /// <inheritdoc cref="WorkflowTasks.CommentAsync"/>
    [Obsolete("Use engine.Tasks.CommentAsync.")]
    public static Task CommentTaskAsync(this WorkflowEngine engine, Guid taskId, string user, string comment, CancellationToken cancellationToken = default) =>
        Checked(engine).Tasks.CommentAsync(taskId, user, comment, cancellationToken);

    /// <inheritdoc cref="WorkflowTasks.QueryAsync"/>
    [Obsolete("Use engine.Tasks.QueryAsync.")]
    public static Task<TaskPage> QueryTasksAsync(this WorkflowEngine engine, TaskQuery query, CancellationToken cancellationToken = default) =>
        Checked(engine).Tasks.QueryAsync(query, cancellationToken);

    /// <inheritdoc cref="WorkflowTasks.GetAsync"/>
    [Obsolete("Use engine.Tasks.GetAsync.")]
    public static Task<UserTaskInfo> GetUserTaskAsync(this WorkflowEngine engine, Guid taskId, CancellationToken cancellationToken = default) =>
        Checked(engine).Tasks.GetAsync(taskId, cancellationToken);

    /// <inheritdoc cref="WorkflowTasks.GetOpenAsync"/>
    [Obsolete("Use engine.Tasks.GetOpenAsync.")]
    public static Task<IReadOnlyList<UserTaskInfo>> GetUserTasksAsync(this WorkflowEngine engine, Guid instanceId, CancellationToken cancellationToken = default) =>
        Checked(engine).Tasks.GetOpenAsync(instanceId, cancellationToken);

    /// <inheritdoc cref="WorkflowJobs.CompleteAsync"/>
    [Obsolete("Use engine.Jobs.CompleteAsync.")]
    public static Task CompleteJobAsync(this WorkflowEngine engine, Guid jobId, IReadOnlyDictionary<string, object?>? variables = null, CancellationToken cancellationToken = default) =>
        Checked(engine).Jobs.CompleteAsync(jobId, variables, cancellationToken);

    /// <inheritdoc cref="WorkflowJobs.FailAsync"/>
    [Obsolete("Use engine.Jobs.FailAsync.")]
    public static Task FailJobAsync(this WorkflowEngine engine, Guid jobId, string errorMessage, int? retries = null, TimeSpan? backoff = null, CancellationToken cancellationToken = default) =>
        Checked(engine).Jobs.FailAsync(jobId, errorMessage, retries, backoff, cancellationToken);

    /// <inheritdoc cref="WorkflowJobs.ThrowErrorAsync(Guid, string, string?, CancellationToken)"/>
    [Obsolete("Use engine.Jobs.ThrowErrorAsync.")]
    public static Task ThrowJobErrorAsync(this WorkflowEngine engine, Guid jobId, string errorCode, string? errorMessage = null, CancellationToken cancellationToken = default) =>
        Checked(engine).Jobs.ThrowErrorAsync(jobId, errorCode, errorMessage, cancellationToken);

    /// <inheritdoc cref="WorkflowJobs.GetWaitingAsync"/>
    [Obsolete("Use engine.Jobs.GetWaitingAsync.")]
    public static Task<IReadOnlyList<JobInfo>> GetJobsAsync(this WorkflowEngine engine, string? type = null, Guid? instanceId = null, CancellationToken cancellationToken = default) =>
        Checked(engine).Jobs.GetWaitingAsync(type, instanceId, cancellationToken);

    /// <inheritdoc cref="WorkflowQueries.GetInstanceAsync"/>
    [Obsolete("Use engine.Queries.GetInstanceAsync.")]
    public static Task<ProcessInstanceSnapshot> GetInstanceAsync(this WorkflowEngine engine, Guid instanceId, CancellationToken cancellationToken = default) =>
        Checked(engine).Queries.GetInstanceAsync(instanceId, cancellationToken);

    /// <inheritdoc cref="WorkflowQueries.FindInstancesAsync"/>
    [Obsolete("Use engine.Queries.FindInstancesAsync.")]
    public static Task<IReadOnlyList<Guid>> FindInstancesAsync(this WorkflowEngine engine, string? processId = null, string? businessKey = null, int max = 100, CancellationToken cancellationToken = default) =>
        Checked(engine).Queries.FindInstancesAsync(processId, businessKey, max, cancellationToken);

    /// <inheritdoc cref="WorkflowQueries.QueryInstancesAsync"/>
    [Obsolete("Use engine.Queries.QueryInstancesAsync.")]
    public static Task<IReadOnlyList<InstanceSummary>> QueryInstancesAsync(this WorkflowEngine engine, InstanceQuery query, CancellationToken cancellationToken = default) =>
        Checked(engine).Queries.QueryInstancesAsync(query, cancellationToken);

    /// <inheritdoc cref="WorkflowQueries.GetHistoryAsync"/>
    [Obsolete("Use engine.Queries.GetHistoryAsync.")]
    public static Task<IReadOnlyList<HistoryEntry>> GetHistoryAsync(this WorkflowEngine engine, Guid instanceId, CancellationToken cancellationToken = default) =>
        Checked(engine).Queries.GetHistoryAsync(instanceId, cancellationToken);

    /// <inheritdoc cref="WorkflowQueries.GetIncidentAsync"/>
    [Obsolete("Use engine.Queries.GetIncidentAsync.")]
    public static Task<IncidentInfo> GetIncidentAsync(this WorkflowEngine engine, Guid incidentId, CancellationToken cancellationToken = default) =>
        Checked(engine).Queries.GetIncidentAsync(incidentId, cancellationToken);

    /// <inheritdoc cref="WorkflowQueries.GetIncidentsAsync"/>
    [Obsolete("Use engine.Queries.GetIncidentsAsync.")]
    public static Task<IReadOnlyList<IncidentInfo>> GetIncidentsAsync(this WorkflowEngine engine, Guid instanceId, CancellationToken cancellationToken = default) =>
        Checked(engine).Queries.GetIncidentsAsync(instanceId, cancellationToken);

    /// <inheritdoc cref="WorkflowQueries.GetOpenIncidentsAsync"/>
    [Obsolete("Use engine.Queries.GetOpenIncidentsAsync.")]
    public static Task<IReadOnlyList<IncidentInfo>> GetOpenIncidentsAsync(this WorkflowEngine engine, string? branch = null, int max = 100, CancellationToken cancellationToken = default) =>
        Checked(engine).Queries.GetOpenIncidentsAsync(branch, max, cancellationToken);

    /// <inheritdoc cref="WorkflowQueries.GetOutgoingMessagesAsync"/>
    [Obsolete("Use engine.Queries.GetOutgoingMessagesAsync.")]
    public static Task<IReadOnlyList<OutgoingMessage>> GetOutgoingMessagesAsync(this WorkflowEngine engine, Guid? instanceId = null, CancellationToken cancellationToken = default) =>
        Checked(engine).Queries.GetOutgoingMessagesAsync(instanceId, cancellationToken);

    /// <inheritdoc cref="WorkflowQueries.GetExpiredMessagesAsync"/>
    [Obsolete("Use engine.Queries.GetExpiredMessagesAsync.")]
    public static Task<IReadOnlyList<ExpiredMessage>> GetExpiredMessagesAsync(this WorkflowEngine engine, int max = 100, CancellationToken cancellationToken = default) =>
        Checked(engine).Queries.GetExpiredMessagesAsync(max, cancellationToken);

    /// <inheritdoc cref="WorkflowWorker.RunAsync"/>
    [Obsolete("Use engine.Worker.RunAsync.")]
    public static Task RunWorkerAsync(this WorkflowEngine engine, CancellationToken cancellationToken) =>
        Checked(engine).Worker.RunAsync(cancellationToken);

    /// <inheritdoc cref="WorkflowWorker.FireDueTimersAsync"/>
    [Obsolete("Use engine.Worker.FireDueTimersAsync.")]
    public static Task<int> FireDueTimersAsync(this WorkflowEngine engine, int maxTimers = 1000, CancellationToken cancellationToken = default) =>
        Checked(engine).Worker.FireDueTimersAsync(maxTimers, cancellationToken);

    /// <inheritdoc cref="WorkflowWorker.FireDueClocksAsync"/>
    [Obsolete("Use engine.Worker.FireDueClocksAsync.")]
    public static Task<int> FireDueClocksAsync(this WorkflowEngine engine, int maxClocks = 1000, CancellationToken cancellationToken = default) =>
        Checked(engine).Worker.FireDueClocksAsync(maxClocks, cancellationToken);

    /// <inheritdoc cref="WorkflowWorker.RunDueJobsAsync"/>
    [Obsolete("Use engine.Worker.RunDueJobsAsync.")]
    public static Task<int> RunDueJobsAsync(this WorkflowEngine engine, int maxJobs = 1000, CancellationToken cancellationToken = default) =>
        Checked(engine).Worker.RunDueJobsAsync(maxJobs, cancellationToken);

    /// <inheritdoc cref="WorkflowWorker.ExpireMessagesAsync"/>
    [Obsolete("Use engine.Worker.ExpireMessagesAsync.")]
    public static Task<int> ExpireMessagesAsync(this WorkflowEngine engine, int max = 1000, CancellationToken cancellationToken = default) =>
        Checked(engine).Worker.ExpireMessagesAsync(max, cancellationToken);

    /// <inheritdoc cref="WorkflowWorker.DeleteHistoryAsync"/>
    [Obsolete("Use engine.Worker.DeleteHistoryAsync.")]
    public static Task<long> DeleteHistoryAsync(this WorkflowEngine engine, TimeSpan olderThan, CancellationToken cancellationToken = default) =>
        Checked(engine).Worker.DeleteHistoryAsync(olderThan, cancellationToken);

    /// <inheritdoc cref="WorkflowWorker.GetNextTimerDueAsync"/>
    [Obsolete("Use engine.Worker.GetNextTimerDueAsync.")]
    public static Task<DateTimeOffset?> GetNextTimerDueAsync(this WorkflowEngine engine, CancellationToken cancellationToken = default) =>
        Checked(engine).Worker.GetNextTimerDueAsync(cancellationToken);

    /// <inheritdoc cref="WorkflowWorker.GetNextClockDueAsync"/>
    [Obsolete("Use engine.Worker.GetNextClockDueAsync.")]
    public static Task<DateTimeOffset?> GetNextClockDueAsync(this WorkflowEngine engine, CancellationToken cancellationToken = default) =>
        Checked(engine).Worker.GetNextClockDueAsync(cancellationToken);

    /// <inheritdoc cref="WorkflowBranches.SaveAsync"/>
    [Obsolete("Use engine.Branches.SaveAsync.")]
    public static Task SaveBranchAsync(this WorkflowEngine engine, Branch branch, CancellationToken cancellationToken = default) =>
        Checked(engine).Branches.SaveAsync(branch, cancellationToken);

    /// <inheritdoc cref="WorkflowBranches.UpdateAsync"/>
    [Obsolete("Use engine.Branches.UpdateAsync.")]
    public static Task<Branch> UpdateBranchAsync(this WorkflowEngine engine, string branchId, Func<Branch, Branch> change, CancellationToken cancellationToken = default) =>
        Checked(engine).Branches.UpdateAsync(branchId, change, cancellationToken);

    /// <inheritdoc cref="WorkflowBranches.GetAllAsync"/>
    [Obsolete("Use engine.Branches.GetAllAsync.")]
    public static Task<IReadOnlyList<Branch>> GetBranchesAsync(this WorkflowEngine engine, CancellationToken cancellationToken = default) =>
        Checked(engine).Branches.GetAllAsync(cancellationToken);

    /// <inheritdoc cref="WorkflowBranches.GetAsync"/>
    [Obsolete("Use engine.Branches.GetAsync.")]
    public static Task<Branch> GetBranchAsync(this WorkflowEngine engine, string branchId, CancellationToken cancellationToken = default) =>
        Checked(engine).Branches.GetAsync(branchId, cancellationToken);

    /// <inheritdoc cref="WorkflowServiceLevels.GetClocksAsync"/>
    [Obsolete("Use engine.ServiceLevels.GetClocksAsync.")]
    public static Task<IReadOnlyList<SlaClockInfo>> GetClocksAsync(this WorkflowEngine engine, Guid instanceId, CancellationToken cancellationToken = default) =>
        Checked(engine).ServiceLevels.GetClocksAsync(instanceId, cancellationToken);

    /// <inheritdoc cref="WorkflowServiceLevels.PauseClocksAsync"/>
    [Obsolete("Use engine.ServiceLevels.PauseClocksAsync.")]
    public static Task<int> PauseClocksAsync(this WorkflowEngine engine, Guid instanceId, string reason, string? actor = null, CancellationToken cancellationToken = default) =>
        Checked(engine).ServiceLevels.PauseClocksAsync(instanceId, reason, actor, cancellationToken);

    /// <inheritdoc cref="WorkflowServiceLevels.ResumeClocksAsync"/>
    [Obsolete("Use engine.ServiceLevels.ResumeClocksAsync.")]
    public static Task<int> ResumeClocksAsync(this WorkflowEngine engine, Guid instanceId, string? actor = null, CancellationToken cancellationToken = default) =>
        Checked(engine).ServiceLevels.ResumeClocksAsync(instanceId, actor, cancellationToken);

    /// <inheritdoc cref="WorkflowServiceLevels.ChangeCalendarAsync"/>
    [Obsolete("Use engine.ServiceLevels.ChangeCalendarAsync.")]
    public static Task<int> ChangeCalendarAsync(this WorkflowEngine engine, Calendars.CalendarLayer layer, string? actor = null, CancellationToken cancellationToken = default) =>
        Checked(engine).ServiceLevels.ChangeCalendarAsync(layer, actor, cancellationToken);

    /// <inheritdoc cref="WorkflowServiceLevels.RefreshCalendarsAsync"/>
    [Obsolete("Use engine.ServiceLevels.RefreshCalendarsAsync.")]
    public static Task RefreshCalendarsAsync(this WorkflowEngine engine, CancellationToken cancellationToken = default) =>
        Checked(engine).ServiceLevels.RefreshCalendarsAsync(cancellationToken);

    /// <inheritdoc cref="WorkflowServiceLevels.GetServiceReportAsync"/>
    [Obsolete("Use engine.ServiceLevels.GetServiceReportAsync.")]
    public static Task<IReadOnlyList<ServiceReportRow>> GetServiceReportAsync(this WorkflowEngine engine, DateTimeOffset from, DateTimeOffset to, string? branch = null, string? processId = null, int max = 1000, CancellationToken cancellationToken = default) =>
        Checked(engine).ServiceLevels.GetServiceReportAsync(from, to, branch, processId, max, cancellationToken);

    private static WorkflowEngine Checked(WorkflowEngine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        return engine;
    }
}
