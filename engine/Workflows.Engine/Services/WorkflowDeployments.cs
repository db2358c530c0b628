using System.Security.Cryptography;
using System.Text;
using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;
using Workflows.Engine.Validation;

namespace Workflows.Engine.Services;

/// <summary>Checks and deploys BPMN documents, and reads the deployed versions back.</summary>
/// <remarks>
/// Every deployment is versioned: a changed document becomes version + 1 of each of its processes, an
/// unchanged one (same checksum) keeps the versions it has, and running instances stay on the version they
/// started on. A new version's timer, message and signal start events replace those of the previous one.
/// A document with any error is refused whole, with a report that lists every finding.
/// </remarks>
public sealed class WorkflowDeployments
{
    private readonly CommandRunner _runner;

    internal WorkflowDeployments(CommandRunner runner) => _runner = runner;

    private IWorkflowStore Store => _runner.Store;

    /// <summary>Checks a BPMN document without deploying it.</summary>
    /// <returns>Every finding, errors and warnings, with their element, line and column.</returns>
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
        return await _runner.ExecuteAsync(async execution =>
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
                var definition = _runner.Core.Definitions.Add(record, document);
                await ReplaceStartSubscriptionsAsync(execution, definition, cancellationToken).ConfigureAwait(false);
                deployed.Add(new DeployedProcess(process.Id, record.Version, record.Id, record.VersionTag, IsNew: true));
            }

            return new DeploymentResult(deploymentId, deployed, report);
        }, cancellationToken, runTokens: false).ConfigureAwait(false);
    }

    /// <summary>Every deployed version, of one process when <paramref name="processId"/> is given, by process id and version.</summary>
    public async Task<IReadOnlyList<DefinitionInfo>> GetDefinitionsAsync(string? processId = null, CancellationToken cancellationToken = default)
    {
        var records = await Store.GetDefinitionsAsync(processId, cancellationToken).ConfigureAwait(false);
        return records.Select(r => new DefinitionInfo(r.Id, r.ProcessId, r.Version, r.VersionTag, r.DeploymentId, r.DeployedAt, r.DeployedBy)).ToList();
    }

    /// <summary>The BPMN XML of a deployed version (the latest when <paramref name="version"/> is null).</summary>
    /// <exception cref="WorkflowNotFoundException">The process, or that version of it, is not deployed.</exception>
    public async Task<string> GetXmlAsync(string processId, int? version = null, CancellationToken cancellationToken = default)
    {
        var record = version is null
            ? await Store.GetLatestDefinitionAsync(processId, cancellationToken).ConfigureAwait(false)
            : await Store.GetDefinitionByVersionAsync(processId, version.Value, cancellationToken).ConfigureAwait(false);
        return record?.Xml ?? throw new WorkflowNotFoundException($"process '{processId}'{(version is null ? "" : $" version {version}")} is not deployed");
    }

    private async Task<(BpmnDocument? Document, ValidationReport Report)> ParseAndValidateAsync(string bpmnXml, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(bpmnXml);
        var options = _runner.Options;
        var (document, findings) = BpmnParser.Parse(bpmnXml, options.Parser);
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

            ModelValidator.Validate(document, findings, known.Contains, options);
            RefuseShortCycles(document, findings, options.Limits);
            if (options.WarnAboutUnservedJobTypes)
            {
                await WarnAboutUnservedJobTypesAsync(document, findings, ct).ConfigureAwait(false);
            }

            if (!document.Processes.Any(p => p.IsExecutable))
            {
                findings.Add(new ValidationFinding(FindingSeverity.Error, "NO_EXECUTABLE_PROCESS", null, 0, 0,
                    "the document has no process with isExecutable=\"true\"; mark the process to run as executable"));
            }
        }

        return (document, new ValidationReport(findings));
    }

    // A cycle written in the model that repeats more often than the engine allows is refused before it can run.
    /// <summary>
    /// A warning (not an error: the worker may simply not have started yet) for each job type of the document that no
    /// in-process handler serves and no worker ever asked for: its jobs would wait with nobody to take them.
    /// </summary>
    private async Task WarnAboutUnservedJobTypesAsync(BpmnDocument document, List<ValidationFinding> findings, CancellationToken ct)
    {
        var tasks = document.Processes.Where(p => p.IsExecutable).SelectMany(p => p.Nodes.Values)
            .Where(n => n.Task is { Type.IsStatic: true } spec && !_runner.Options.Handlers.ContainsKey(spec.Type.Text))
            .ToList();
        if (tasks.Count == 0)
        {
            return;
        }

        var served = (await Store.GetJobWorkersAsync(tasks.Select(n => n.Task!.Type.Text).ToHashSet(StringComparer.Ordinal), ct).ConfigureAwait(false))
            .Select(w => w.Type).ToHashSet(StringComparer.Ordinal);
        foreach (var node in tasks.Where(n => !served.Contains(n.Task!.Type.Text)))
        {
            findings.Add(new ValidationFinding(FindingSeverity.Warning, "JOB_TYPE_UNSERVED", node.Id, node.Position.Line, node.Position.Column,
                $"no in-process handler serves job type '{node.Task!.Type.Text}' and no worker has asked for it yet: its jobs wait until a worker activates them"));
        }
    }

    private static void RefuseShortCycles(BpmnDocument document, List<ValidationFinding> findings, ExecutionLimits limits)
    {
        foreach (var node in document.Processes.SelectMany(p => p.Nodes.Values))
        {
            if (node.Event?.Timer is { Kind: TimerKind.Cycle, Value: { Feel: null } value }
                && TimerSchedule.Plan(TimerKind.Cycle, value.Text, DateTimeOffset.UnixEpoch, out _) is { Interval: { } period }
                && limits.RefuseCycle(period) is { } tooShort)
            {
                findings.Add(new ValidationFinding(FindingSeverity.Error, "TIMER_CYCLE_TOO_SHORT", node.Id, node.Position.Line, node.Position.Column,
                    $"the timeCycle '{value.Text}': {tooShort}"));
            }
        }
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
                    string? error = null;
                    object? value;
                    try
                    {
                        value = e.Timer.Value.Feel is null ? e.Timer.Value.Text : e.Timer.Value.Feel.Evaluate(EmptyScope.Instance, _runner.Time, execution.CancellationToken).Value;
                    }
                    catch (FeelLimitExceededException breach)
                    {
                        // The analyst's expression, evaluated at deploy: a breach refuses the model, it never fails the request.
                        (value, error) = (null, breach.Message);
                    }

                    var plan = (error is null ? TimerSchedule.Plan(e.Timer.Kind, value, execution.Now, out error) : null)
                        ?? throw new DeploymentRejectedException(new ValidationReport(
                            [new ValidationFinding(FindingSeverity.Error, "TIMER_INVALID", start.Id, start.Position.Line, start.Position.Column, error ?? "invalid timer")]));
                    if (plan.Interval is { } period && _runner.Options.Limits.RefuseCycle(period) is { } tooShort)
                    {
                        throw new DeploymentRejectedException(new ValidationReport(
                            [new ValidationFinding(FindingSeverity.Error, "TIMER_CYCLE_TOO_SHORT", start.Id, start.Position.Line, start.Position.Column, $"the timer's {tooShort}")]));
                    }
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

        _runner.Core.Log.Deployed(definition.Process.Id, definition.Record.Version, definition.Id);
    }
}
