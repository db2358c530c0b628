using Dapper;
using NUnit.Framework;
using Workflows.Engine.Storage;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// A DMN document is stored once per deployment (migration 0029, review18 F19): a document of n decisions writes itself
/// once, not n times; a version stored before keeps its own copy, reads and evaluates as before, and a redrawing
/// deployment points it at a document, the document no version refers to any more deleted.
/// </summary>
public abstract partial class SqlStoreSuite
{
    private const string DmnNs = "https://www.omg.org/spec/DMN/20191111/MODEL/";

    private string Length(string column) => $"CAST({(Store.Provider == SqlProvider.SqlServer ? "LEN" : "LENGTH")}({column}) AS BIGINT)";

    [Test]
    public async Task A_document_of_many_decisions_is_stored_once_and_each_version_reads_it_whole()
    {
        var prefix = "many-" + Guid.NewGuid().ToString("N")[..8] + "-";
        var dmn = $"""<definitions xmlns="{DmnNs}" id="many" name="many" namespace="urn:many">"""
            + string.Concat(Enumerable.Range(0, 300).Select(i => $"""<decision id="{prefix}{i}" name="m{i}"><literalExpression><text>{i}</text></literalExpression></decision>"""))
            + $"<!--{new string(' ', 20_000)}--></definitions>";
        var h = await HarnessAsync();

        await h.Engine.Deployments.DeployAsync([dmn]);
        var again = await h.Engine.Deployments.DeployAsync([dmn]);
        var read = await h.Engine.Decisions.GetXmlAsync(prefix + "150", 1);
        var evaluated = await h.Engine.Decisions.EvaluateAsync(new EvaluateDecision(prefix + "299"));

        await using var connection = await NewSqlStore().OpenAsync(default);
        var copies = await connection.ExecuteScalarAsync<long>($"SELECT COALESCE(SUM({Length("xml")}), 0) FROM wf_decision_definitions WHERE decision_id LIKE @like", new { like = prefix + "%" });
        var documents = (await connection.QueryAsync<long>(
            $"SELECT {Length("xml")} FROM wf_decision_documents WHERE id IN (SELECT document_id FROM wf_decision_definitions WHERE decision_id LIKE @like)", new { like = prefix + "%" })).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(copies, Is.Zero, "no version holds a copy of its document");
            Assert.That(documents, Is.EqualTo(new[] { (long)dmn.Length }), "the document once, for its 300 decisions");
            Assert.That(again.Decisions.All(d => d is { IsNew: false, Version: 1 }), Is.True);
            Assert.That(read, Is.EqualTo(dmn));
            Assert.That(evaluated.Value, Is.EqualTo(299m));
        }
    }

    [Test]
    public async Task A_version_stored_with_its_own_copy_before_documents_reads_and_a_redraw_points_it_at_a_document()
    {
        var decision = "legacy-" + Guid.NewGuid().ToString("N")[..8];
        var dmn = $"""
            <definitions xmlns="{DmnNs}" id="legacy" name="legacy" namespace="urn:legacy">
              <decision id="{decision}" name="Legacy"><literalExpression><text>amount * 2</text></literalExpression></decision>
            </definitions>
            """;
        // A row as a store before migration 0029 wrote it: the whole document in the version's own xml, no document.
        var store = NewSqlStore();
        var old = new ChangeSet();
        old.PartToFill<DecisionChanges>().Definitions.Add(new DecisionRecord(Guid.CreateVersion7(), decision, "Legacy", 1, null,
            Model.CanonicalModel.Checksum(dmn)!, dmn, Guid.CreateVersion7(), DateTimeOffset.UtcNow, "alice"));
        await store.CommitAsync(old, default);
        var h = await HarnessAsync();

        var before = await h.Engine.Decisions.EvaluateAsync(new EvaluateDecision(decision) { Variables = Vars(("amount", 21)) });
        var redrawn = dmn.Replace("<decision ", "\n    <decision ", StringComparison.Ordinal);
        var first = await h.Engine.Deployments.DeployAsync([redrawn]);
        var redrawnAgain = redrawn.Replace("<decision ", "\n<decision ", StringComparison.Ordinal);
        var second = await h.Engine.Deployments.DeployAsync([redrawnAgain]);
        var after = await h.Engine.Decisions.EvaluateAsync(new EvaluateDecision(decision) { Variables = Vars(("amount", 21)) });

        await using var connection = await store.OpenAsync(default);
        var row = await connection.QuerySingleAsync<(long Copy, long Referred)>(
            $"SELECT {Length("xml")} AS copy, CAST(CASE WHEN document_id IS NULL THEN 0 ELSE 1 END AS BIGINT) AS referred FROM wf_decision_definitions WHERE decision_id = @decision", new { decision });
        var documents = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM wf_decision_documents WHERE checksum = @checksum", new { checksum = Model.CanonicalModel.Checksum(dmn) });
        using (Assert.EnterMultipleScope())
        {
            Assert.That(before.Value, Is.EqualTo(42m), "the old row's own copy reads");
            Assert.That(first.Decisions.Single() is { Version: 1, IsNew: false, DiagramReplaced: true }, Is.True);
            Assert.That(second.Decisions.Single() is { Version: 1, IsNew: false, DiagramReplaced: true }, Is.True);
            Assert.That(await h.Engine.Decisions.GetXmlAsync(decision, 1), Is.EqualTo(redrawnAgain));
            Assert.That(after.Value, Is.EqualTo(42m));
            Assert.That(row, Is.EqualTo((0L, 1L)), "the redrawn version refers to a document and keeps no copy");
            Assert.That(documents, Is.EqualTo(1), "the first redraw's document went when the second took its place");
        }
    }

    [Test]
    public async Task A_library_decision_stored_under_an_older_canonical_form_is_recognised_and_not_deployed_again()
    {
        var decision = "older-" + Guid.NewGuid().ToString("N")[..8];
        var dmn = $"""
            <definitions xmlns="{DmnNs}" id="older" name="older" namespace="urn:older">
              <decision id="{decision}" name="Older"><literalExpression><text>1</text></literalExpression></decision>
            </definitions>
            """;
        var h = await HarnessAsync();
        await h.Engine.Deployments.DeployAsync([dmn]);
        await h.Engine.Deployments.DeployAsync([dmn.Replace("<text>1</text>", "<text>2</text>", StringComparison.Ordinal)]);
        // Version 1 as deployed before the canonical form changed: its stored checksum is no longer today's.
        await using (var connection = await NewSqlStore().OpenAsync(default))
        {
            await connection.ExecuteAsync("UPDATE wf_decision_definitions SET checksum = 'an older form' WHERE decision_id = @decision AND version = 1", new { decision });
        }

        var ensured = await h.Engine.Deployments.EnsureDeployedAsync(dmn);

        Assert.That(ensured.Decisions.Single() is { Version: 1, IsNew: false }, Is.True, "version 1's stored document still has the model: no third version");
    }

    [Test]
    public async Task A_decision_id_longer_than_the_id_limit_is_a_finding_before_any_row_where_PostgreSQLs_index_refused_it_with_a_server_error()
    {
        // 5,000 characters: over PostgreSQL's btree row limit for the version index (review10-18 F3), kept by SQLite.
        var decision = "long-" + Guid.NewGuid().ToString("N")[..8] + new string('x', 5000);
        var dmn = $"""
            <definitions xmlns="{DmnNs}" id="long" name="long" namespace="urn:long">
              <decision id="{decision}" name="Long"><literalExpression><text>1</text></literalExpression></decision>
            </definitions>
            """;
        var h = await HarnessAsync();

        var refused = Assert.ThrowsAsync<Validation.DeploymentRejectedException>(() => h.Engine.Deployments.DeployAsync([dmn]));
        await using var connection = await NewSqlStore().OpenAsync(default);
        var rows = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM wf_decision_definitions WHERE decision_id LIKE @like", new { like = decision[..13] + "%" });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused!.Report.Findings.Select(f => f.Code), Is.EqualTo(new[] { "DMN_ID_TOO_LONG" }));
            Assert.That(rows, Is.Zero);
        }
    }
}
