using Workflows.Engine.Decisions;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;
using Workflows.Engine.Validation;

namespace Workflows.Engine.Services;

// DMN documents on the deployment path: read and checked with the BPMN ones, each decision versioned by its id.
public sealed partial class WorkflowDeployments
{
    /// <summary>At most this many documents in one deployment: each is read and checked before anything is written.</summary>
    public const int MaxDocumentsPerDeployment = 50;

    private sealed record ReadDocument(string Xml, BpmnDocument? Bpmn, DecisionModel? Dmn);

    private async Task<(IReadOnlyList<ReadDocument> Documents, ValidationReport Report, string Title)> ReadAllAsync(IReadOnlyList<string> documents, CancellationToken ct)
    {
        if (documents.Count is 0 or > MaxDocumentsPerDeployment)
        {
            throw new WorkflowInputException($"a deployment carries 1 to {MaxDocumentsPerDeployment} documents, not {documents.Count}");
        }

        var read = new List<ReadDocument>();
        var findings = new List<ValidationFinding>();
        var processIds = new HashSet<string>(StringComparer.Ordinal);
        var decisionIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var xml in documents)
        {
            ArgumentNullException.ThrowIfNull(xml);
            if (DeployedDecisions.IsDmn(xml))
            {
                var (model, report) = ReadDmn(xml);
                findings.AddRange(report.Findings);
                foreach (var id in model?.Decisions.Select(d => d.Id).Where(id => !decisionIds.Add(id)) ?? [])
                {
                    findings.Add(new ValidationFinding(FindingSeverity.Error, "DMN_DECISION_DUPLICATE", id, 0, 0, $"the decision '{id}' is in two documents of the deployment"));
                }

                read.Add(new ReadDocument(xml, null, model));
                continue;
            }

            var (document, bpmnReport) = await ParseAndValidateAsync(xml, ct).ConfigureAwait(false);
            findings.AddRange(bpmnReport.Findings);
            foreach (var id in document?.Processes.Where(p => p.IsExecutable).Select(p => p.Id).Where(id => !processIds.Add(id)) ?? [])
            {
                findings.Add(new ValidationFinding(FindingSeverity.Error, "PROCESS_DUPLICATE", id, 0, 0, $"the process '{id}' is in two documents of the deployment"));
            }

            read.Add(new ReadDocument(xml, document, null));
        }

        var all = new ValidationReport(findings);
        var title = RefusedTitle(documents.Count, read.Count(d => d.Dmn is not null || DeployedDecisions.IsDmn(d.Xml)), read.Count(d => d.Bpmn is not null));
        if (!all.HasErrors && read.Exists(d => d.Bpmn is null && d.Dmn is null))
        {
            throw new DeploymentRejectedException(all, title);
        }

        return (read, all, title);
    }

    // What a refused deployment names: a DMN deploy refused must not speak of a BPMN document. A document that is not
    // well-formed XML cannot be told, so it is "the document".
    private static string RefusedTitle(int documents, int dmn, int bpmn) => (documents, dmn, bpmn) switch
    {
        (1, 1, _) => "The DMN document has errors",
        (1, _, 1) => DeploymentRejectedException.BpmnTitle,
        (1, _, _) => "The document has errors",
        (_, var d, _) when d == documents => "The DMN documents have errors",
        (_, _, var b) when b == documents => "The BPMN documents have errors",
        _ => "The deployment's documents have errors",
    };

    // A DMN document with its findings, and one more when it has no decision to deploy or more than a document may
    // deploy. The document is stored once whatever the number of its decisions (migration 0029), but each decision is a
    // version row written, and compared with its latest, at every deploy: their number is bounded by a setting.
    private (DecisionModel? Model, ValidationReport Report) ReadDmn(string xml)
    {
        var read = DecisionModel.Read(xml, _runner.Options.Parser);
        if (read.Model is { Decisions.Count: 0 })
        {
            return (read.Model, new ValidationReport([.. read.Report.Findings,
                new ValidationFinding(FindingSeverity.Error, "DMN_NO_DECISION", null, 0, 0, "the DMN document has no decision to deploy")]));
        }

        var max = _runner.Options.Parser.MaxDecisionsPerDocument;
        if (read.Model is { } model && model.Decisions.Count > max)
        {
            return (read.Model, new ValidationReport([.. read.Report.Findings,
                new ValidationFinding(FindingSeverity.Error, "DMN_TOO_MANY_DECISIONS", null, 0, 0,
                    $"the DMN document has {model.Decisions.Count:N0} decisions, more than the {max:N0} one document may deploy " +
                    $"({_runner.Options.SettingName("Parser." + nameof(BpmnParserOptions.MaxDecisionsPerDocument))}); split it into documents of the decisions that belong together")]));
        }

        return (read.Model, read.Report);
    }

    // Each decision of the document: the version that already has this model (by its canonical form, diagram and
    // formatting aside), else one more. A changed document is a new version of each of its decisions, as in Camunda 8:
    // a decision's meaning includes the decisions and knowledge it requires, which live in the same document.
    private async Task DeployDecisionsAsync(Execution execution, DecisionModel model, string xml, Guid deploymentId, string? deployedBy, List<DeployedDecision> deployed, bool renew = false)
    {
        var ct = execution.CancellationToken;
        var checksum = CanonicalModel.Checksum(xml) ?? throw new WorkflowInputException("the DMN document is not well-formed XML");
        var tags = DeployedDecisions.VersionTags(xml);
        var changes = execution.Changes.PartToFill<DecisionChanges>();

        // The document is stored once, and each new or redrawn version refers to it (review18 F19: a copy per decision
        // made the storage of one deployment quadratic); a stored document is read at most once here, however many
        // decisions it has.
        var stored = new StoredDecisionDocuments(Store, ct);
        DecisionDocumentRecord? document = null;
        DecisionDocumentRecord Document()
        {
            if (document is null)
            {
                document = new DecisionDocumentRecord(RowIds.NewId(execution.Now), deploymentId, checksum, xml, execution.Now);
                changes.Documents.Add(document);
            }

            return document;
        }

        foreach (var decision in model.Decisions)
        {
            var versions = await Store.GetDecisionsAsync(decision.Id, ct).ConfigureAwait(false);
            var latest = versions.Count > 0 ? versions[^1] : null;
            var tag = tags.GetValueOrDefault(decision.Id);
            if (!renew && latest is not null && await SameDecisionAsync(latest, checksum, tag, stored).ConfigureAwait(false))
            {
                var redrawn = !string.Equals(await stored.XmlAsync(latest).ConfigureAwait(false), xml, StringComparison.Ordinal);
                if (redrawn)
                {
                    changes.DiagramsReplaced.Add((latest.Id, Document().Id, latest.DocumentId));
                }

                deployed.Add(new DeployedDecision(decision.Id, latest.Name, latest.Version, latest.Id, latest.VersionTag, IsNew: false) { DiagramReplaced = redrawn });
                continue;
            }

            var record = new DecisionRecord(RowIds.NewId(execution.Now), decision.Id, decision.Name, (latest?.Version ?? 0) + 1, tag, checksum, xml,
                deploymentId, execution.Now, deployedBy) { DocumentId = Document().Id };
            changes.Definitions.Add(record);
            deployed.Add(new DeployedDecision(decision.Id, record.Name, record.Version, record.Id, tag, IsNew: true));
        }
    }

    // The library's decisions at start: a document some version of each decision already has keeps those versions.
    private async Task<DeploymentResult> EnsureDecisionsDeployedAsync(string xml, string? deployedBy, CancellationToken ct)
    {
        var (model, report) = ReadDmn(xml);
        if (model is null || report.HasErrors)
        {
            throw new DeploymentRejectedException(report, RefusedTitle(1, 1, 0));
        }

        var checksum = CanonicalModel.Checksum(xml);
        var existing = new List<DecisionRecord>();
        var stored = new StoredDecisionDocuments(Store, ct);
        foreach (var decision in model.Decisions)
        {
            var versions = await Store.GetDecisionsAsync(decision.Id, ct).ConfigureAwait(false);
            // Any version with the model, newest first (a DMN default left out by a later canonical form still counts);
            // the list's rows carry no XML, their documents are read through `stored`, once each.
            DecisionRecord? same = null;
            foreach (var version in versions.OrderByDescending(v => v.Version))
            {
                if (version.Checksum == checksum || await stored.ChecksumAsync(version).ConfigureAwait(false) == checksum)
                {
                    same = version;
                    break;
                }
            }

            if (same is null)
            {
                return await DeployAsync([xml], deployedBy, ct).ConfigureAwait(false);
            }

            existing.Add(same);
        }

        return new DeploymentResult(existing.FirstOrDefault()?.DeploymentId ?? Guid.Empty, [], report)
        {
            Decisions = existing.Select(r => new DeployedDecision(r.DecisionId, r.Name, r.Version, r.Id, r.VersionTag, IsNew: false)).ToList(),
        };
    }
}
