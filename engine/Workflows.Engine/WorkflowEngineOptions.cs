using System.ComponentModel;
using Workflows.Engine.Services;
using Workflows.Engine.Validation;

namespace Workflows.Engine;

/// <summary>Settings of a <see cref="WorkflowEngine"/>.</summary>
/// <remarks>
/// The engine checks them when it is built (<see cref="Validate"/>); registered with
/// <see cref="WorkflowsEngineServiceCollectionExtensions.AddWorkflowsEngine(Microsoft.Extensions.DependencyInjection.IServiceCollection, Action{WorkflowEngineOptions})"/>
/// they are checked when the host starts, so a wrong value stops the start with a message naming it.
/// The background worker's cadences and batch sizes are under <see cref="Worker"/>.
/// </remarks>
public sealed partial class WorkflowEngineOptions
{
    /// <summary>In-process service-task handlers by task type. A type without a handler becomes a job for a worker.</summary>
    public Dictionary<string, ServiceTaskHandler> Handlers { get; } = new(StringComparer.Ordinal);

    /// <summary>How often a command is tried when it loses an optimistic-concurrency race. Default 5.</summary>
    public int MaxCommandAttempts { get; set; } = 5;

    /// <summary>Size and depth limits for BPMN XML. Default: 10 MB, depth 256.</summary>
    public BpmnParserOptions Parser { get; set; } = new();

    /// <summary>
    /// The largest variable payload one command accepts, as JSON bytes; the variables a script task, an in-process
    /// handler or a job worker writes are held to it too (an incident, or a refused completion). Default 1 MiB.
    /// </summary>
    public int MaxVariablesBytes { get; set; } = 1 << 20;

    /// <summary>The budgets of a command's token run (elements passed without waiting); a breach is an incident, never a hung host.</summary>
    public ExecutionLimits Limits { get; } = new();

    /// <summary>This node's name in leases and history. Default: machine name and process id.</summary>
    public string NodeId { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>
    /// Whether deploying and validating warn (<c>JOB_TYPE_UNSERVED</c>) about a job type that no in-process handler
    /// serves and no worker ever asked for. Default on; a validator working offline, with no store the workers write
    /// to, turns it off.
    /// </summary>
    public bool WarnAboutUnservedJobTypes { get; set; } = true;

    /// <summary>The background worker's cadences, batch sizes, leases and back-offs.</summary>
    public WorkflowWorkerOptions Worker { get; } = new();

    /// <summary>Replaced by <see cref="WorkflowWorkerOptions.PollInterval"/>.</summary>
    [Obsolete("Use Worker.PollInterval.")]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public TimeSpan PollInterval { get => Worker.PollInterval; set => Worker.PollInterval = value; }

    /// <summary>Replaced by <see cref="WorkflowWorkerOptions.TimerBatchSize"/> and <see cref="WorkflowWorkerOptions.JobBatchSize"/>; setting it sets both.</summary>
    [Obsolete("Use Worker.TimerBatchSize and Worker.JobBatchSize.")]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public int BatchSize
    {
        get => Worker.TimerBatchSize;
        set => (Worker.TimerBatchSize, Worker.JobBatchSize) = (value, value);
    }

    /// <summary>Replaced by <see cref="WorkflowWorkerOptions.LeaseDuration"/>.</summary>
    [Obsolete("Use Worker.LeaseDuration.")]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public TimeSpan LeaseDuration { get => Worker.LeaseDuration; set => Worker.LeaseDuration = value; }

    /// <summary>Replaced by <see cref="WorkflowWorkerOptions.RetryBackoff"/>.</summary>
    [Obsolete("Use Worker.RetryBackoff.")]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public TimeSpan RetryBackoff { get => Worker.RetryBackoff; set => Worker.RetryBackoff = value; }

    /// <summary>Replaced by <see cref="WorkflowWorkerOptions.HistoryRetention"/>.</summary>
    [Obsolete("Use Worker.HistoryRetention.")]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public TimeSpan? HistoryRetention { get => Worker.HistoryRetention; set => Worker.HistoryRetention = value; }

    /// <summary>
    /// The configuration section these settings are bound from (<c>Workflows:Engine</c>): errors and incidents then name
    /// a setting as its key there (<c>Workflows:Engine:Limits:MaxElementsPerCommand</c>), the name an operator sets.
    /// Null (the default): they name the property (<c>WorkflowEngineOptions.Limits.MaxElementsPerCommand</c>).
    /// </summary>
    public string? ConfigurationSection { get; set; }

    /// <summary>
    /// Settings bound from elsewhere than <see cref="ConfigurationSection"/>, by property path, with the key errors and
    /// incidents name them by (a host that sets <c>MaxVariablesBytes</c> from its own API limit:
    /// <c>["MaxVariablesBytes"] = "Workflows:Limits:MaxVariablesBytes"</c>).
    /// </summary>
    public Dictionary<string, string> SettingNames { get; } = new(StringComparer.Ordinal);

    /// <summary>The name errors and incidents give the setting at <paramref name="path"/> (such as <c>Limits.MaxElementsPerCommand</c>).</summary>
    public string SettingName(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return SettingNames.TryGetValue(path, out var named) ? named
            : string.IsNullOrEmpty(ConfigurationSection) ? $"{nameof(WorkflowEngineOptions)}.{path}"
            : $"{ConfigurationSection}:{path.Replace('.', ':')}";
    }

    /// <summary>What is wrong with the settings, the worker's included, one message per wrong setting naming it; empty when all are right.</summary>
    public IReadOnlyList<string> Check()
    {
        var errors = new List<string>();
        void Require(bool ok, string name, object? value, string rule)
        {
            if (!ok)
            {
                errors.Add($"{SettingName(name)} {rule} (it is {value ?? "null"})");
            }
        }

        Require(MaxCommandAttempts >= 1, nameof(MaxCommandAttempts), MaxCommandAttempts, "must be at least 1");
        Require(MaxVariablesBytes > 0, nameof(MaxVariablesBytes), MaxVariablesBytes, "must be positive");
        Require(!string.IsNullOrWhiteSpace(NodeId), nameof(NodeId), NodeId, "must be set");
        Require(Parser.MaxDecisionsPerDocument >= 1, $"{nameof(Parser)}.{nameof(BpmnParserOptions.MaxDecisionsPerDocument)}", Parser.MaxDecisionsPerDocument, "must be at least 1");
        // The limits and the worker name their settings as properties of these options: renamed as this section says.
        const string prefix = nameof(WorkflowEngineOptions) + ".";
        errors.AddRange(Limits.Check().Concat(Parser.Feel.Check($"{nameof(WorkflowEngineOptions)}.{nameof(Parser)}.{nameof(BpmnParserOptions.Feel)}")).Concat(Worker.Check()).Select(e =>
            e.StartsWith(prefix, StringComparison.Ordinal) && e.IndexOf(' ', StringComparison.Ordinal) is var end and > 0
                ? SettingName(e[prefix.Length..end]) + e[end..]
                : e));
        return errors;
    }

    /// <summary>Checks the settings; the engine refuses to start with a message naming the wrong one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; the message names every wrong one.</exception>
    public void Validate()
    {
        var errors = Check();
        if (errors.Count > 0)
        {
            throw new ArgumentOutOfRangeException(nameof(WorkflowEngineOptions), string.Join("; ", errors));
        }
    }

    /// <summary>Registers an in-process handler for a task type.</summary>
    public WorkflowEngineOptions AddHandler(string taskType, ServiceTaskHandler handler)
    {
        Handlers[taskType] = handler;
        return this;
    }
}
