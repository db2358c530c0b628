using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Workflows.Engine.Decisions;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;
using Workflows.Engine.Validation;

namespace Workflows.Engine.Services;

/// <summary>Checks and deploys BPMN documents, and reads the deployed versions back.</summary>
/// <remarks>
/// Every deployment is versioned: a changed document becomes version + 1 of each of its processes, an
/// unchanged one keeps the versions it has, and running instances stay on the version they started on.
/// "Unchanged" compares the model's canonical form (<see cref="CanonicalModel"/>): a document that differs only in
/// its diagram (layout), formatting, attribute order or namespace prefixes is the same version, whose stored XML
/// then takes the new diagram. A new version's timer, message and signal start events replace those of the previous
/// one, unless a branch pins that one (see <see cref="WorkflowBranches"/>).
/// A document with any error is refused whole, with a report that lists every finding.
/// </remarks>
public sealed partial class WorkflowDeployments
{
    private readonly CommandRunner _runner;

    internal WorkflowDeployments(CommandRunner runner) => _runner = runner;

    private IWorkflowStore Store => _runner.Store;

    /// <summary>Checks a BPMN document without deploying it.</summary>
    /// <returns>Every finding, errors and warnings, with their element, line and column.</returns>
    public async Task<ValidationReport> ValidateAsync(string bpmnXml, CancellationToken cancellationToken = default) =>
        DeployedDecisions.IsDmn(bpmnXml ?? throw new ArgumentNullException(nameof(bpmnXml)))
            ? ReadDmn(bpmnXml).Report
            : (await ParseAndValidateAsync(bpmnXml, cancellationToken).ConfigureAwait(false)).Report;

    /// <summary>Deploys the executable processes of a BPMN document, or the decisions of a DMN document.</summary>
    /// <remarks>
    /// An unchanged model returns the versions already deployed (<see cref="DeployedProcess.IsNew"/> false; when only
    /// the diagram or formatting changed, <see cref="DeployedProcess.DiagramReplaced"/> says the version took the new
    /// XML); a changed one becomes version + 1. Running instances stay on the version they started on. A new version
    /// runs nowhere a branch pinned another. A DMN document is told by its root element (see <see cref="DeployAsync(IReadOnlyList{string}, string?, CancellationToken)"/>).
    /// </remarks>
    /// <exception cref="DeploymentRejectedException">The document has errors; its report lists them all.</exception>
    public Task<DeploymentResult> DeployAsync(string bpmnXml, string? deployedBy = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bpmnXml);
        return DeployAsync([bpmnXml], deployedBy, cancellationToken);
    }

    /// <summary>Deploys several BPMN and DMN documents as one deployment: all of them, or none when any has an error.</summary>
    /// <remarks>
    /// Each BPMN document's executable processes and each DMN document's decisions are versioned as <see cref="DeployAsync(string, string?, CancellationToken)"/>
    /// says, under one deployment id, so a business rule task with binding <c>deployment</c> evaluates the decision
    /// deployed with its process. When any process or decision of the documents changed, every one of them becomes a new
    /// version (the unchanged ones too), as Camunda 8 versions resources deployed together; a deployment where nothing
    /// changed keeps every version. A decision (or process) id in two documents of one deployment is an error.
    /// </remarks>
    /// <exception cref="DeploymentRejectedException">A document has errors; the report lists every finding of every document.</exception>
    public async Task<DeploymentResult> DeployAsync(IReadOnlyList<string> documents, string? deployedBy = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var (read, report, title) = await ReadAllAsync(documents, cancellationToken).ConfigureAwait(false);
        if (report.HasErrors)
        {
            throw new DeploymentRejectedException(report, title);
        }

        return await _runner.ExecuteAsync(async execution =>
        {
            var deploymentId = RowIds.NewId(execution.Now);
            var processes = new List<DeployedProcess>();
            var decisions = new List<DeployedDecision>();

            // Documents deployed together version together (Camunda 8's rule, made for the deployment binding): when one
            // changed, each becomes a new version under this deployment, so a business rule task bound by `deployment`
            // evaluates the decisions deployed with its process (review18 F13: a BPMN kept its version beside a changed DMN,
            // and its cases kept the old decision for ever).
            var renew = read.Count > 1 && await AnyChangedAsync(read, execution.CancellationToken).ConfigureAwait(false);
            foreach (var document in read)
            {
                if (document.Bpmn is { } bpmn)
                {
                    await DeployProcessesAsync(execution, bpmn, document.Xml, deploymentId, deployedBy, processes, renew).ConfigureAwait(false);
                }
                else if (document.Dmn is { } dmn)
                {
                    await DeployDecisionsAsync(execution, dmn, document.Xml, deploymentId, deployedBy, decisions, renew).ConfigureAwait(false);
                }
            }

            return new DeploymentResult(deploymentId, processes, report) { Decisions = decisions };
        }, cancellationToken, runTokens: false).ConfigureAwait(false);
    }

    private async Task DeployProcessesAsync(Execution execution, BpmnDocument document, string bpmnXml, Guid deploymentId, string? deployedBy, List<DeployedProcess> deployed, bool renew = false)
    {
        var ct = execution.CancellationToken;
        var checksum = ProcessChecksum(bpmnXml);
        foreach (var process in document.Processes.Where(p => p.IsExecutable))
        {
            var latest = await Store.GetLatestDefinitionAsync(process.Id, ct).ConfigureAwait(false);
            if (!renew && SameProcess(latest, checksum))
            {
                // The same model drawn or written otherwise: the version keeps its number and takes the new diagram.
                var redrawn = !string.Equals(latest.Xml, bpmnXml, StringComparison.Ordinal);
                if (redrawn)
                {
                    execution.Changes.DiagramsReplaced.Add((latest.Id, bpmnXml));
                }

                deployed.Add(new DeployedProcess(process.Id, latest.Version, latest.Id, latest.VersionTag, IsNew: false) { DiagramReplaced = redrawn });
                continue;
            }

            var record = new DefinitionRecord(RowIds.NewId(execution.Now), process.Id, (latest?.Version ?? 0) + 1, process.VersionTag,
                checksum, bpmnXml, deploymentId, execution.Now, deployedBy);
            execution.Changes.Definitions.Add(record);
            var definition = _runner.Core.Definitions.Add(record, document);
            await execution.StartSubscriptions.DeployedAsync(definition, latest).ConfigureAwait(false);
            _runner.Core.Log.Deployed(definition.Process.Id, definition.Record.Version, definition.Id);
            deployed.Add(new DeployedProcess(process.Id, record.Version, record.Id, record.VersionTag, IsNew: true));
        }
    }

    // The model's meaning, not its text: a designer's round trip that moves shapes or rewrites prefixes is no new version.
    private static string ProcessChecksum(string bpmnXml) =>
        CanonicalModel.Checksum(bpmnXml) ?? Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(bpmnXml)));

    private static bool SameProcess([NotNullWhen(true)] DefinitionRecord? latest, string checksum) =>
        latest is not null && (latest.Checksum == checksum || CanonicalModel.Checksum(latest.Xml) == checksum);

    // The stored checksum, else the stored document's under today's canonical form (a version deployed before the form
    // learnt to leave something out still has the model); each stored document is read and checked once per deployment.
    private static async ValueTask<bool> SameDecisionAsync(DecisionRecord latest, string? checksum, string? tag, StoredDecisionDocuments stored) =>
        latest.VersionTag == tag && (latest.Checksum == checksum || await stored.ChecksumAsync(latest).ConfigureAwait(false) == checksum);

    // Whether some process or decision of the documents is not the model its latest version has.
    private async ValueTask<bool> AnyChangedAsync(IReadOnlyList<ReadDocument> read, CancellationToken ct)
    {
        foreach (var document in read)
        {
            if (document.Bpmn is { } bpmn)
            {
                var checksum = ProcessChecksum(document.Xml);
                foreach (var process in bpmn.Processes.Where(p => p.IsExecutable))
                {
                    if (!SameProcess(await Store.GetLatestDefinitionAsync(process.Id, ct).ConfigureAwait(false), checksum))
                    {
                        return true;
                    }
                }
            }
            else if (document.Dmn is { } dmn)
            {
                var checksum = CanonicalModel.Checksum(document.Xml);
                var tags = DeployedDecisions.VersionTags(document.Xml);
                var stored = new StoredDecisionDocuments(Store, ct);
                foreach (var decision in dmn.Decisions)
                {
                    if (await Store.GetLatestDecisionAsync(decision.Id, ct).ConfigureAwait(false) is not { } latest
                        || !await SameDecisionAsync(latest, checksum, tags.GetValueOrDefault(decision.Id), stored).ConfigureAwait(false))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Deploys a standard document (the journey library's, say) unless some deployed version of each of its executable
    /// processes already has this model; then those versions are returned and nothing is deployed.
    /// </summary>
    /// <remarks>
    /// Why not <see cref="DeployAsync(string, string?, CancellationToken)"/>: it compares with the latest version only, so a host that deploys its library at
    /// every start would, once an analyst has deployed a newer version, add a copy of an older one as the latest.
    /// </remarks>
    /// <exception cref="DeploymentRejectedException">The document has errors; its report lists them all.</exception>
    public async Task<DeploymentResult> EnsureDeployedAsync(string bpmnXml, string? deployedBy = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bpmnXml);
        if (DeployedDecisions.IsDmn(bpmnXml))
        {
            return await EnsureDecisionsDeployedAsync(bpmnXml, deployedBy, cancellationToken).ConfigureAwait(false);
        }

        var (document, report) = await ParseAndValidateAsync(bpmnXml, cancellationToken).ConfigureAwait(false);
        if (document is null || report.HasErrors)
        {
            throw new DeploymentRejectedException(report);
        }

        var checksum = CanonicalModel.Checksum(bpmnXml);
        var existing = new List<DefinitionRecord>();
        foreach (var process in document.Processes.Where(p => p.IsExecutable))
        {
            var versions = await Store.GetDefinitionsAsync(process.Id, cancellationToken).ConfigureAwait(false);
            var same = checksum is null ? null : versions
                .OrderByDescending(v => v.Version)
                .FirstOrDefault(v => v.Checksum == checksum || CanonicalModel.Checksum(v.Xml) == checksum);
            if (same is null)
            {
                return await DeployAsync(bpmnXml, deployedBy, cancellationToken).ConfigureAwait(false);
            }

            existing.Add(same);
        }

        var processes = existing.Select(r => new DeployedProcess(r.ProcessId, r.Version, r.Id, r.VersionTag, IsNew: false)).ToList();
        return new DeploymentResult(existing.FirstOrDefault()?.DeploymentId ?? Guid.Empty, processes, report);
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

    /// <summary>What differs between two deployed versions of a process, in every process (pool) of their documents.</summary>
    /// <remarks>A version's XML is the whole document it was deployed in, so the other pools of its collaboration are compared too.</remarks>
    /// <exception cref="WorkflowNotFoundException">The process, or one of the versions, is not deployed.</exception>
    public async Task<ModelComparison> CompareAsync(string processId, int from, int to, CancellationToken cancellationToken = default)
    {
        var older = await GetXmlAsync(processId, from, cancellationToken).ConfigureAwait(false);
        var newer = await GetXmlAsync(processId, to, cancellationToken).ConfigureAwait(false);
        return ModelComparer.Compare(older, newer, _runner.Options.Parser);
    }

    /// <summary>What differs between two BPMN documents (a deployed version and an edited draft, say), process by process and element by element.</summary>
    /// <remarks>
    /// Neither document is validated: a draft with errors can be compared. DTDs are refused and no entity is resolved; the
    /// caller bounds the size of what it passes.
    /// </remarks>
    /// <param name="olderXml">The older document.</param>
    /// <param name="newerXml">The newer document.</param>
    /// <param name="limits">The size and depth limits (the parser's defaults when null: 10,000,000 characters, 256 levels).</param>
    /// <exception cref="WorkflowInputException">Either text is not well-formed BPMN XML, has a DTD, or is beyond the limits.</exception>
    public static ModelComparison Compare(string olderXml, string newerXml, BpmnParserOptions? limits = null) =>
        ModelComparer.Compare(olderXml, newerXml, limits ?? new BpmnParserOptions());

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
                && TimerSchedule.Plan(TimerKind.Cycle, value.Text, DateTimeOffset.UnixEpoch, out _) is { Period: { } period }
                && limits.RefuseCycle(period) is { } tooShort)
            {
                findings.Add(new ValidationFinding(FindingSeverity.Error, "TIMER_CYCLE_TOO_SHORT", node.Id, node.Position.Line, node.Position.Column,
                    $"the timeCycle '{value.Text}': {tooShort}"));
            }
        }
    }
}
