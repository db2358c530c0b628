using Dapper;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql;

// Deployed decision versions and their approvals (migration 0019), their documents stored once (0029).
internal sealed partial class SqlWorkflowStore
{
    // A version's XML is its document's (migration 0029), else the copy a version stored before 0029 holds.
    private const string DecisionColumns = "d.id, d.decision_id, d.name, d.version, d.version_tag, d.checksum, COALESCE(doc.xml, d.xml) AS xml, d.deployment_id, d.deployed_at, d.deployed_by, d.document_id";

    private const string DecisionsWithXml = "wf_decision_definitions d LEFT JOIN wf_decision_documents doc ON doc.id = d.document_id";

    // Every column but the XML: a business rule task evaluates a model kept per version, and read the document's XML
    // (decoded into a string) at every evaluation only to leave it unused.
    private const string DecisionColumnsWithoutXml = "id, decision_id, name, version, version_tag, checksum, '' AS xml, deployment_id, deployed_at, deployed_by, document_id FROM wf_decision_definitions";

    private const string DecisionVersionWithoutXmlSql = $"SELECT {DecisionColumnsWithoutXml} WHERE decision_id = @decisionId AND version = @version";

    /// <summary>How many reads of decision versions with their XML ran, for tests that prove which evaluations make none.</summary>
    internal int DecisionXmlReads => Volatile.Read(ref _decisionXmlReads);

    private int _decisionXmlReads;

    public ValueTask<DecisionRecord?> FindDecisionVersionAsync(string decisionId, int? version, CancellationToken ct) => version is { } v
        ? SingleAsync<DecisionRow, DecisionRecord>(DecisionVersionWithoutXmlSql, new { decisionId, version = v }, r => r.ToRecord(), ct)
        : SingleAsync<DecisionRow, DecisionRecord>(_dialect.Top($"{DecisionColumnsWithoutXml} WHERE decision_id = @decisionId ORDER BY version DESC", "1"), new { decisionId }, r => r.ToRecord(), ct);

    public ValueTask<DecisionRecord?> GetDecisionAsync(Guid id, CancellationToken ct) =>
        WithXml(SingleAsync<DecisionRow, DecisionRecord>($"SELECT {DecisionColumns} FROM {DecisionsWithXml} WHERE d.id = @id", new { id }, r => r.ToRecord(), ct));

    public ValueTask<DecisionRecord?> GetLatestDecisionAsync(string decisionId, CancellationToken ct) =>
        WithXml(SingleAsync<DecisionRow, DecisionRecord>(_dialect.Top($"{DecisionColumns} FROM {DecisionsWithXml} WHERE d.decision_id = @decisionId ORDER BY d.version DESC", "1"),
            new { decisionId }, r => r.ToRecord(), ct));

    public ValueTask<DecisionRecord?> GetDecisionByVersionAsync(string decisionId, int version, CancellationToken ct) =>
        WithXml(SingleAsync<DecisionRow, DecisionRecord>(DecisionByVersionSql, new { decisionId, version }, r => r.ToRecord(), ct));

    private const string DecisionByVersionSql = $"SELECT {DecisionColumns} FROM {DecisionsWithXml} WHERE d.decision_id = @decisionId AND d.version = @version";

    // A read of a version with its XML, counted (DecisionXmlReads).
    private ValueTask<DecisionRecord?> WithXml(ValueTask<DecisionRecord?> read)
    {
        Interlocked.Increment(ref _decisionXmlReads);
        return read;
    }

    public ValueTask<DecisionRecord?> GetDecisionByVersionTagAsync(string decisionId, string versionTag, CancellationToken ct) =>
        WithXml(SingleAsync<DecisionRow, DecisionRecord>(_dialect.Top($"{DecisionColumns} FROM {DecisionsWithXml} WHERE d.decision_id = @decisionId AND d.version_tag = @versionTag ORDER BY d.version DESC", "1"),
            new { decisionId, versionTag }, r => r.ToRecord(), ct));

    public ValueTask<DecisionRecord?> GetDecisionInDeploymentAsync(Guid deploymentId, string decisionId, CancellationToken ct) =>
        WithXml(SingleAsync<DecisionRow, DecisionRecord>($"SELECT {DecisionColumns} FROM {DecisionsWithXml} WHERE d.deployment_id = @deploymentId AND d.decision_id = @decisionId",
            new { deploymentId, decisionId }, r => r.ToRecord(), ct));

    public ValueTask<IReadOnlyList<DecisionRecord>> GetDecisionsAsync(string? decisionId, CancellationToken ct) =>
        ListAsync<DecisionRow, DecisionRecord>(
            "SELECT " + DecisionColumnsWithoutXml
                + (decisionId is null ? "" : " WHERE decision_id = @decisionId") + " ORDER BY decision_id, version",
            new { decisionId }, r => r.ToRecord(), ct);

    private static string DecisionApprovalsSql(bool all) =>
        $"SELECT decision_id, version, approved_by, approved_at, reason FROM wf_decision_approvals{(all ? "" : " WHERE decision_id = @decisionId")} ORDER BY decision_id, version";

    public async ValueTask<IReadOnlyList<VersionApprovalRecord>> GetDecisionApprovalsAsync(string? decisionId, CancellationToken ct) =>
        Approvals(await RowsAsync<(string DecisionId, int Version, string ApprovedBy, long ApprovedAt, string Reason)>(
            DecisionApprovalsSql(decisionId is null), new { decisionId }, ct).ConfigureAwait(false));

    private static List<VersionApprovalRecord> Approvals(List<(string DecisionId, int Version, string ApprovedBy, long ApprovedAt, string Reason)> rows) =>
        rows.ConvertAll(r => new VersionApprovalRecord(r.DecisionId, r.Version, r.ApprovedBy, new DateTimeOffset(r.ApprovedAt, TimeSpan.Zero), r.Reason));

    // The stamp every change to the rows below moves in the change's own commit (migration 38, WriteDecisionChoiceStampAsync).
    private const string DecisionChoiceStampSql = "SELECT stamp FROM wf_decision_choice_stamp WHERE id = 1";

    private readonly record struct DecisionChoiceKey(string? BranchId, string DecisionId, string RolloutKey, int MaxRollouts);

    // The rows each branch's decision was last chosen by, with the stamp read before them: handed back (with the choice
    // the business rule task made from them, DecisionChoiceRows.Chosen) while the stamp reads the same. A change written
    // after the stamp was read and before the rows were makes the rows newer than their stamp, never older: the next read
    // of the stamp finds it moved and reads them again.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<DecisionChoiceKey, (long Stamp, DecisionChoiceRows Rows)> _decisionChoices = new();
    private const int MaxDecisionChoicesKept = 1_024;

    /// <summary>How many reads of a decision's choice rows ran (not those the stamp found unchanged), for tests that prove which evaluations make none.</summary>
    internal int DecisionChoiceReads => Volatile.Read(ref _decisionChoiceReads);

    private int _decisionChoiceReads;

    /// <summary>How many reads of the stamp alone ran (not those read with a command's task), for tests that prove which evaluations make none.</summary>
    internal int DecisionStampReads => Volatile.Read(ref _decisionStampReads);

    private int _decisionStampReads;

    // Read by every business rule task: the stamp alone while it has not moved since the rows were read (one statement
    // on SQLite, one round trip on a server), or none when the command read it with its task (PostgreSQL: GetTaskWithInstanceAsync);
    // else the stamp and the rows together, the stamp first.
    public async ValueTask<DecisionChoiceRows> GetDecisionChoiceRowsAsync(string? branchId, string decisionId, string rolloutKey, int maxRollouts, int? likelyVersion,
        long? stampReadByCommand, CancellationToken ct)
    {
        var key = new DecisionChoiceKey(branchId, decisionId, rolloutKey, maxRollouts);
        if (_decisionChoices.TryGetValue(key, out var kept)
            && (stampReadByCommand ?? await ReadDecisionChoiceStampAsync(ct).ConfigureAwait(false)) == kept.Stamp)
        {
            return kept.Rows;
        }

        Interlocked.Increment(ref _decisionChoiceReads);
        var (read, rows) = await ReadDecisionChoiceRowsAsync(branchId, decisionId, rolloutKey, maxRollouts, likelyVersion, ct).ConfigureAwait(false);
        if (_decisionChoices.Count >= MaxDecisionChoicesKept)
        {
            _decisionChoices.Clear();
        }

        _decisionChoices[key] = (read, rows);
        return rows;
    }

    private async ValueTask<long?> ReadDecisionChoiceStampAsync(CancellationToken ct)
    {
        Interlocked.Increment(ref _decisionStampReads);
        return await RowsAsync<long>(DecisionChoiceStampSql, null, ct).ConfigureAwait(false) is [var stamp] ? stamp : null;
    }

    private async ValueTask<(long Stamp, DecisionChoiceRows Rows)> ReadDecisionChoiceRowsAsync(string? branchId, string decisionId, string rolloutKey, int maxRollouts, int? likelyVersion, CancellationToken ct)
    {
        var statements = new List<string>(5) { DecisionChoiceStampSql };
        if (branchId is not null)
        {
            statements.Add(BranchSql);
        }

        statements.Add(DecisionApprovalsSql(all: false));
        statements.Add(RolloutsSql(all: false));
        var likely = ReadsCostRoundTrips ? likelyVersion : null; // on SQLite a read that may be wasted saves nothing
        if (likely is not null)
        {
            statements.Add(DecisionVersionWithoutXmlSql);
        }

        return await ReadTogetherAsync(statements, new { branchId, decisionId, processId = rolloutKey, max = maxRollouts, version = likely }, async read =>
        {
            var stamp = await read.NextAsync<long>().ConfigureAwait(false);
            var branch = branchId is null ? null : await read.NextAsync<(string, long)>().ConfigureAwait(false);
            var approvals = Approvals(await read.NextAsync<(string DecisionId, int Version, string ApprovedBy, long ApprovedAt, string Reason)>().ConfigureAwait(false));
            var rollouts = await read.NextAsync<(string, long)>().ConfigureAwait(false);
            var version = likely is null ? null : await read.NextAsync<DecisionRow>().ConfigureAwait(false);
            return (stamp is [var s] ? s : throw new InvalidDataException("wf_decision_choice_stamp has lost its row (migration 38 writes it)"),
                new DecisionChoiceRows(branch is [var row, ..] ? row : null, approvals, rollouts) { Likely = version is [var found, ..] ? found.ToRecord() : null });
        }, ct).ConfigureAwait(false);
    }

    private const string EvaluationColumns = "id, decision_id, version, branch, actor, evaluated_at, detail";

    public async ValueTask<IReadOnlyList<DecisionEvaluationRecord>> GetDecisionEvaluationsAsync(string decisionId, string? branch, DecisionEvaluationRecord? before, int max, CancellationToken ct)
    {
        // Newest first on (decision_id[, branch], evaluated_at, id): the index order, read backwards, stopping at a page.
        var where = "decision_id = @decisionId" + (branch is null ? "" : " AND branch = @branch")
            + (before is null ? "" : " AND (evaluated_at < @at OR (evaluated_at = @at AND id < @id))");
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        var rows = await connection.QueryAsync<EvaluationRow>(new CommandDefinition(
            _dialect.Top($"{EvaluationColumns} FROM wf_decision_evaluations WHERE {where} ORDER BY evaluated_at DESC, id DESC", "@max"),
            new { decisionId, branch, at = before?.EvaluatedAt.UtcTicks, id = before?.Id, max }, cancellationToken: ct)).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<long> DeleteDecisionEvaluationsAsync(DateTimeOffset evaluatedBefore, int batchSize, CancellationToken ct)
    {
        // Its own transactions, outside WritingAsync: a node older than the database deletes nothing either (SchemaWatch).
        await _schema.ThrowIfOutgrownAsync(ct).ConfigureAwait(false);
        long total = 0;
        while (true)
        {
            // A batch per transaction (found through ix_wf_decision_evaluations_time), so a large backlog never holds the table for long.
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
            var ids = (await connection.QueryAsync<Guid>(new CommandDefinition(
                _dialect.Top("id FROM wf_decision_evaluations WHERE evaluated_at < @cutoff ORDER BY evaluated_at", "@batchSize"),
                new { cutoff = evaluatedBefore.UtcTicks, batchSize }, cancellationToken: ct)).ConfigureAwait(false)).ToList();
            if (ids.Count == 0)
            {
                return total;
            }

            await using var transaction = await _dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            total += await connection.ExecuteAsync(new CommandDefinition($"DELETE FROM wf_decision_evaluations WHERE {_dialect.InList("id", "@ids")}",
                new { ids = ids.ToArray() }, transaction, cancellationToken: ct)).ConfigureAwait(false);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
        }
    }

    public ValueTask<DecisionEvaluationRecord?> GetDecisionEvaluationAsync(Guid id, CancellationToken ct) =>
        SingleAsync<EvaluationRow, DecisionEvaluationRecord>($"SELECT {EvaluationColumns} FROM wf_decision_evaluations WHERE id = @id", new { id }, r => r.ToRecord(), ct);

    private static async Task WriteDecisionsAsync(SqlCommit w, ChangeSet changes)
    {
        if (changes.Part<DecisionChanges>() is { } decisions)
        {
            await WriteDecisionRowsAsync(w, decisions).ConfigureAwait(false);
        }

        await WriteDecisionChoiceStampAsync(w, changes).ConfigureAwait(false);
    }

    // A commit that changes what chooses a decision's version (a branch's pins, a rollout, a version, its document, an
    // approval) moves the stamp the nodes keep their choices by (GetDecisionChoiceRowsAsync). Written last in the commit
    // (WriteDecisions is its last concern), so that a commit holds this row only while it holds no other to wait for.
    private static Task WriteDecisionChoiceStampAsync(SqlCommit w, ChangeSet changes)
    {
        var moved = changes.Part<DecisionChanges>() is { } decisions
                && (decisions.Definitions.Count > 0 || decisions.DiagramsReplaced.Count > 0 || decisions.Approvals.Count > 0)
            || changes.Part<RolloutChanges>() is { Rollouts.Count: > 0 }
            || (changes.HasRareChanges && changes.Branches.Count > 0);
        return moved ? w.ExecAsync("decision choice stamp", "UPDATE wf_decision_choice_stamp SET stamp = stamp + 1 WHERE id = 1", null) : Task.CompletedTask;
    }

    private static async Task WriteDecisionRowsAsync(SqlCommit w, DecisionChanges decisions)
    {
        // The documents first, then the versions that refer to them. A version two deployments wrote at once collides on
        // (decision_id, version): the loser retries and sees it.
        await w.RowsAsync("decision documents", "INSERT INTO wf_decision_documents (id, deployment_id, checksum, xml, deployed_at) VALUES (@Id, @DeploymentId, @Checksum, @Xml, @DeployedAt)",
            decisions.Documents, d => new { d.Id, d.DeploymentId, d.Checksum, d.Xml, DeployedAt = d.DeployedAt.UtcTicks }).ConfigureAwait(false);
        await w.RowsAsync("decisions", """
            INSERT INTO wf_decision_definitions (id, decision_id, name, version, version_tag, checksum, xml, deployment_id, deployed_at, deployed_by, document_id)
            VALUES (@Id, @DecisionId, @Name, @Version, @VersionTag, @Checksum, @Xml, @DeploymentId, @DeployedAt, @DeployedBy, @DocumentId)
            """, decisions.Definitions, DecisionRow.From).ConfigureAwait(false);
        // A redrawn version refers to the new document (a copy held before 0029 is emptied); a document no version refers
        // to any more is deleted.
        await w.RowsAsync("decisions", "UPDATE wf_decision_definitions SET xml = '', document_id = @DocumentId WHERE id = @Id",
            decisions.DiagramsReplaced, d => new { d.Id, d.DocumentId }).ConfigureAwait(false);
        await w.RowsAsync("decision documents", "DELETE FROM wf_decision_documents WHERE id = @Previous AND NOT EXISTS (SELECT 1 FROM wf_decision_definitions WHERE document_id = @Previous)",
            decisions.DiagramsReplaced.Where(d => d.Previous is not null).Select(d => d.Previous!.Value).Distinct().ToList(), previous => new { Previous = previous }).ConfigureAwait(false);
        await w.RowsAsync("decisions", "INSERT INTO wf_decision_approvals (decision_id, version, approved_by, approved_at, reason) VALUES (@DecisionId, @Version, @ApprovedBy, @At, @Reason)",
            decisions.Approvals, a => new { DecisionId = a.ProcessId, a.Version, a.ApprovedBy, At = a.ApprovedAt.UtcTicks, a.Reason }).ConfigureAwait(false);
        await w.RowsAsync("decision evaluations", $"INSERT INTO wf_decision_evaluations ({EvaluationColumns}) VALUES (@Id, @DecisionId, @Version, @Branch, @Actor, @At, @Detail)",
            decisions.Evaluations, e => new { e.Id, e.DecisionId, e.Version, e.Branch, e.Actor, At = e.EvaluatedAt.UtcTicks, e.Detail }).ConfigureAwait(false);
    }

#pragma warning disable CA1812 // instantiated by Dapper
    private sealed class DecisionRow
    {
        public Guid Id { get; set; }

        public string DecisionId { get; set; } = "";

        public string Name { get; set; } = "";

        public int Version { get; set; }

        public string? VersionTag { get; set; }

        public string Checksum { get; set; } = "";

        public string Xml { get; set; } = "";

        public Guid DeploymentId { get; set; }

        public long DeployedAt { get; set; }

        public string? DeployedBy { get; set; }

        public Guid? DocumentId { get; set; }

        public DecisionRecord ToRecord() => new(Id, DecisionId, Name, Version, VersionTag, Checksum, Xml, DeploymentId, new DateTimeOffset(DeployedAt, TimeSpan.Zero), DeployedBy)
        {
            DocumentId = DocumentId,
        };

        // A version that refers to a document stores no copy of it.
        public static object From(DecisionRecord d) => new
        {
            d.Id, d.DecisionId, d.Name, d.Version, d.VersionTag, d.Checksum, Xml = d.DocumentId is null ? d.Xml : "", d.DeploymentId,
            DeployedAt = d.DeployedAt.UtcTicks, d.DeployedBy, d.DocumentId,
        };
    }
    private sealed class EvaluationRow
    {
        public Guid Id { get; set; }

        public string DecisionId { get; set; } = "";

        public int Version { get; set; }

        public string? Branch { get; set; }

        public string Actor { get; set; } = "";

        public long EvaluatedAt { get; set; }

        public string Detail { get; set; } = "";

        public DecisionEvaluationRecord ToRecord() => new(Id, DecisionId, Version, Branch, Actor, new DateTimeOffset(EvaluatedAt, TimeSpan.Zero), Detail);
    }
#pragma warning restore CA1812
}
