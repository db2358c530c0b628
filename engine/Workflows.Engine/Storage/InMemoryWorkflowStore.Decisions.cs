namespace Workflows.Engine.Storage;

// Deployed decision versions and their approvals, kept like process versions (migration 0019 in SQL), and their documents (0029).
internal sealed partial class InMemoryWorkflowStore
{
    private readonly Dictionary<Guid, DecisionRecord> _decisions = [];
    private readonly Dictionary<string, List<DecisionRecord>> _decisionsById = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, DecisionDocumentRecord> _decisionDocuments = [];
    private readonly Dictionary<(string DecisionId, int Version), VersionApprovalRecord> _decisionApprovals = [];
    private readonly List<DecisionEvaluationRecord> _decisionEvaluations = [];

    public ValueTask<DecisionRecord?> GetDecisionAsync(Guid id, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_decisions.GetValueOrDefault(id));
        }
    }

    public ValueTask<DecisionRecord?> GetLatestDecisionAsync(string decisionId, CancellationToken ct) =>
        FindDecision(decisionId, _ => true);

    public ValueTask<DecisionRecord?> GetDecisionByVersionAsync(string decisionId, int version, CancellationToken ct) =>
        FindDecision(decisionId, d => d.Version == version);

    public ValueTask<DecisionRecord?> FindDecisionVersionAsync(string decisionId, int? version, CancellationToken ct) =>
        version is { } v ? GetDecisionByVersionAsync(decisionId, v, ct) : GetLatestDecisionAsync(decisionId, ct); // kept, not copied: the XML costs nothing here

    public ValueTask<DecisionRecord?> GetDecisionByVersionTagAsync(string decisionId, string versionTag, CancellationToken ct) =>
        FindDecision(decisionId, d => d.VersionTag == versionTag);

    public ValueTask<DecisionRecord?> GetDecisionInDeploymentAsync(Guid deploymentId, string decisionId, CancellationToken ct) =>
        FindDecision(decisionId, d => d.DeploymentId == deploymentId);

    public ValueTask<IReadOnlyList<DecisionRecord>> GetDecisionsAsync(string? decisionId, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<DecisionRecord> rows = _decisionsById
                .Where(p => decisionId is null || p.Key == decisionId)
                .SelectMany(p => p.Value)
                .OrderBy(d => d.DecisionId, StringComparer.Ordinal).ThenBy(d => d.Version)
                .Select(d => d with { Xml = "" })
                .ToList();
            return new(rows);
        }
    }

    public ValueTask<IReadOnlyList<VersionApprovalRecord>> GetDecisionApprovalsAsync(string? decisionId, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<VersionApprovalRecord> rows = _decisionApprovals.Values.Where(a => decisionId is null || a.ProcessId == decisionId)
                .OrderBy(a => a.ProcessId, StringComparer.Ordinal).ThenBy(a => a.Version).ToList();
            return new(rows);
        }
    }

    // Reads in memory cost nothing: the likely version is left to a read of its own.
    public async ValueTask<DecisionChoiceRows> GetDecisionChoiceRowsAsync(string? branchId, string decisionId, string rolloutKey, int maxRollouts, int? likelyVersion, long? stampReadByCommand, CancellationToken ct) =>
        new(branchId is null ? null : await GetBranchAsync(branchId, ct).ConfigureAwait(false),
            await GetDecisionApprovalsAsync(decisionId, ct).ConfigureAwait(false),
            await GetRolloutsAsync(rolloutKey, maxRollouts, ct).ConfigureAwait(false));

    // The highest version that matches.
    private ValueTask<DecisionRecord?> FindDecision(string decisionId, Func<DecisionRecord, bool> match)
    {
        lock (_gate)
        {
            return new(_decisionsById.TryGetValue(decisionId, out var list) ? list.LastOrDefault(match) : null);
        }
    }

    // The keys a SQL store holds unique: (decision id, version) and (decision id, version) of an approval.
    public ValueTask<IReadOnlyList<DecisionEvaluationRecord>> GetDecisionEvaluationsAsync(string decisionId, string? branch, DecisionEvaluationRecord? before, int max, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<DecisionEvaluationRecord> rows = _decisionEvaluations
                .Where(e => e.DecisionId == decisionId && (branch is null || e.Branch == branch))
                .Where(e => before is null || e.EvaluatedAt < before.EvaluatedAt || (e.EvaluatedAt == before.EvaluatedAt && e.Id.CompareTo(before.Id) < 0))
                .OrderByDescending(e => e.EvaluatedAt).ThenByDescending(e => e.Id).Take(max).ToList();
            return new(rows);
        }
    }

    public Task<long> DeleteDecisionEvaluationsAsync(DateTimeOffset evaluatedBefore, int batchSize, CancellationToken ct)
    {
        lock (_gate)
        {
            return Task.FromResult((long)_decisionEvaluations.RemoveAll(e => e.EvaluatedAt < evaluatedBefore));
        }
    }

    public ValueTask<DecisionEvaluationRecord?> GetDecisionEvaluationAsync(Guid id, CancellationToken ct)
    {
        lock (_gate)
        {
            return new(_decisionEvaluations.FirstOrDefault(e => e.Id == id));
        }
    }

    private void CheckDecisions(ChangeSet changes)
    {
        if (changes.Part<DecisionChanges>() is not { } decisions)
        {
            return;
        }

        foreach (var d in decisions.Definitions.Where(d => _decisionsById.TryGetValue(d.DecisionId, out var list) && list.Exists(v => v.Version == d.Version)))
        {
            throw CommitGuards.RowExists($"decision {d.DecisionId} version {d.Version}");
        }

        foreach (var a in decisions.Approvals.Where(a => _decisionApprovals.ContainsKey((a.ProcessId, a.Version))))
        {
            throw CommitGuards.RowExists($"approval of decision '{a.ProcessId}' version {a.Version}");
        }
    }

    private void ApplyDecisions(ChangeSet changes)
    {
        if (changes.Part<DecisionChanges>() is not { } decisions)
        {
            return;
        }

        foreach (var document in decisions.Documents)
        {
            _decisionDocuments[document.Id] = document;
        }

        foreach (var d in decisions.Definitions)
        {
            // A version refers to its document as in SQL; the record keeps the document's string, one copy for all.
            var stored = d.DocumentId is { } documentId ? d with { Xml = _decisionDocuments[documentId].Xml } : d;
            _decisions[d.Id] = stored;
            if (!_decisionsById.TryGetValue(d.DecisionId, out var list))
            {
                _decisionsById[d.DecisionId] = list = [];
            }

            list.Add(stored);
            list.Sort((x, y) => x.Version.CompareTo(y.Version));
        }

        foreach (var (id, documentId, previous) in decisions.DiagramsReplaced)
        {
            if (_decisions.TryGetValue(id, out var stored))
            {
                var redrawn = stored with { Xml = _decisionDocuments[documentId].Xml, DocumentId = documentId };
                _decisions[id] = redrawn;
                var list = _decisionsById[stored.DecisionId];
                list[list.FindIndex(v => v.Id == id)] = redrawn;
            }

            if (previous is { } old && !_decisions.Values.Any(v => v.DocumentId == old))
            {
                _decisionDocuments.Remove(old);
            }
        }

        foreach (var a in decisions.Approvals)
        {
            _decisionApprovals[(a.ProcessId, a.Version)] = a;
        }

        _decisionEvaluations.AddRange(decisions.Evaluations);
    }
}
