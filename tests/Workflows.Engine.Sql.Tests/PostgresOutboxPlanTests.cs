using System.Globalization;
using System.Text.Json;
using Dapper;
using NUnit.Framework;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// The outbox's reads and deletes on a node of long standing: every message ever published kept for its retention (7 days
/// by default, a million rows and more), a few unpublished, a few parked. The relay's read of unpublished rows, the purge's
/// batch and delete, and the parked list (all of it, a branch's, a page after a cursor) each read an index and stop at
/// their page: none scans the published rows, before ANALYZE (a fresh table) and after, in the plan for the values and in
/// the generic plan a prepared statement may switch to.
/// </summary>
[NonParallelizable]
public sealed class PostgresOutboxPlanTests : PostgresFixture
{
    // WORKFLOWS_TEST_OUTBOX_ROWS sets another count (BENCHMARKS.md's run: a million).
    private static readonly int s_published = int.TryParse(Environment.GetEnvironmentVariable("WORKFLOWS_TEST_OUTBOX_ROWS"), out var rows) ? rows : 200_000;

    private const int Unpublished = 300;
    private const int Parked = 20_000; // a receiver away for long: enough that reading all after a cursor and sorting them shows

    private static readonly string[] s_scansOfAll = ["Seq Scan"];

    [OneTimeSetUp]
    public async Task FillTheOutbox()
    {
        // Written directly: published rows, a published time a row (the older half past the retention), then parked rows
        // (published time set too, as a park sets it) of two branches, then the unpublished rows, the newest.
        await using var connection = new Npgsql.NpgsqlConnection(Store.ConnectionString);
        await connection.ExecuteAsync($$"""
            INSERT INTO wf_outbox (id, instance_id, element_id, message_name, variables_json, created_at, published_at, kind, headers_json)
            SELECT gen_random_uuid(), gen_random_uuid(), 'send', 'request', '{"caseId":"c"}', 1000000 + g, 2000000 + g, 0, '{}'
            FROM generate_series(1, {{s_published}}) g;
            INSERT INTO wf_outbox (id, instance_id, element_id, message_name, variables_json, created_at, published_at, parked_at, parked_reason, parked_branch, kind, headers_json)
            SELECT gen_random_uuid(), gen_random_uuid(), 'send', 'request', '{}', 1000000 + g, 2000000 + g, 2000000 + g, 'refused for good',
                   CASE WHEN g % 2 = 0 THEN 'north' ELSE 'south' END, 0, '{}'
            FROM generate_series(1, {{Parked}}) g;
            INSERT INTO wf_outbox (id, instance_id, element_id, message_name, variables_json, created_at, kind, headers_json)
            SELECT gen_random_uuid(), gen_random_uuid(), 'send', 'request', '{}', 9000000 + g, 0, '{}'
            FROM generate_series(1, {{Unpublished}}) g;
            """, commandTimeout: 600);
    }

    [Test, Order(1)]
    public Task Before_ANALYZE_the_outbox_s_reads_and_deletes_walk_an_index_and_stop_at_their_page() => AssertPlansAsync(analysed: false);

    [Test, Order(2)]
    public async Task After_ANALYZE_the_outbox_s_reads_and_deletes_walk_an_index_and_stop_at_their_page()
    {
        await using (var connection = new Npgsql.NpgsqlConnection(Store.ConnectionString))
        {
            await connection.ExecuteAsync("ANALYZE wf_outbox");
        }

        await AssertPlansAsync(analysed: true);
    }

    // Before ANALYZE two statements are left out. Without statistics PostgreSQL takes `parked_at IS NULL` and `parked_branch =
    // @branch` to hold for one row in 200 (its default): walking an index to 500 (50) such rows then looks dearer than reading
    // all candidates and sorting them, which it does until autovacuum's first ANALYZE of the table (BENCHMARKS.md, round 20):
    // the purge's batch scans the table, a branch's parked page after a cursor reads every parked row after it.
    private async Task AssertPlansAsync(bool analysed)
    {
        var store = new SqlWorkflowStore(SqlDialect.For(SqlProvider.PostgreSql), Store.ConnectionString);
        var cutoff = 2000000L + (s_published / 2);
        var statements = new (string Name, string Sql, Dictionary<string, object> Values, string Index, bool AnalysedOnly)[]
        {
            ("the relay's unpublished rows", store.UnpublishedOutboxSql, new() { ["max"] = 100 }, "ix_wf_outbox_unpublished", false),
            ("the purge's batch", store.PurgeableOutboxSql, new() { ["cutoff"] = cutoff, ["batchSize"] = 500 }, "ix_wf_outbox_unpublished", true),
            ("the purge's delete", store.PurgeOutboxSql, new() { ["seqs"] = Enumerable.Range(1, 500).Select(i => (long)i).ToArray() }, "wf_outbox_pkey", false),
            ("the parked list", store.ParkedOutboxSql(ofBranch: false, after: false), new() { ["max"] = 50 }, "ix_wf_outbox_parked", false),
            ("a branch's parked list", store.ParkedOutboxSql(ofBranch: true, after: false), new() { ["branch"] = "north", ["max"] = 50 }, "ix_wf_outbox_parked", false),
            ("a branch's parked list after a cursor", store.ParkedOutboxSql(ofBranch: true, after: true),
                new() { ["branch"] = "north", ["afterAt"] = 2000000L + (Parked / 10), ["afterSeq"] = 0L, ["max"] = 50 }, "ix_wf_outbox_parked", true),
        };

        foreach (var (name, sql, values, index, _) in statements.Where(s => analysed || !s.AnalysedOnly))
        {
            foreach (var (kind, plan) in await ExplainAsync(sql, values))
            {
                var nodes = PostgresQueueListPlanTests.Nodes(plan, null).ToList();
                var text = string.Join(Environment.NewLine, nodes.Select(n => $"{n.Parent} > {n.Type} {n.Relation} {n.Index}"));
                TestContext.Out.WriteLine($"{name}, {kind} plan:{Environment.NewLine}{text}");
                var outbox = nodes.Where(n => n.Index is not null).ToList();
                using (Assert.EnterMultipleScope())
                {
                    Assert.That(nodes.Select(n => n.Type).Intersect(s_scansOfAll), Is.Empty, $"{name}, {kind}: no scan of the whole outbox: {text}");
                    Assert.That(outbox.Select(n => (n.Type, n.Index)), Has.All.Matches<(string Type, string? Index)>(
                        s => s.Type is "Index Scan" or "Index Only Scan" or "Bitmap Index Scan" && s.Index == index), $"{name}, {kind}: reads {index}: {text}");
                    Assert.That(outbox, Is.Not.Empty, $"{name}, {kind}: through an index: {text}");
                    Assert.That(nodes.Select(n => n.Type), Has.None.EqualTo("Sort"), $"{name}, {kind}: in the index's order, no sort of what it read: {text}");
                }
            }

            await PrintAnalyzedAsync(name, sql, values);
        }
    }

    // The plan for these values (what an unprepared statement gets) and the generic plan a prepared statement may switch to
    // after five runs; on a connection of its own, so the setting goes with it.
    private async Task<List<(string Kind, JsonElement Plan)>> ExplainAsync(string sql, Dictionary<string, object> values)
    {
        await using var connection = new Npgsql.NpgsqlConnection(Store.ConnectionString);
        await connection.OpenAsync();
        var plans = new List<(string, JsonElement)>();
        plans.Add(("custom", Plan(await connection.ExecuteScalarAsync<string>("EXPLAIN (FORMAT JSON) " + Typed(sql), new DynamicParameters(values)))));

        var (positional, names) = StatementBatch.Positional(Typed(sql));
        await connection.ExecuteAsync("SET plan_cache_mode = force_generic_plan; PREPARE wf_outbox_statement AS " + positional);
        var literals = string.Join(", ", names.Select(n => values[n] switch
        {
            string text => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'",
            long[] seqs => "'{" + string.Join(",", seqs) + "}'",
            var number => Convert.ToString(number, CultureInfo.InvariantCulture),
        }));
        plans.Add(("generic", Plan(await connection.ExecuteScalarAsync<string>($"EXPLAIN (FORMAT JSON) EXECUTE wf_outbox_statement({literals})"))));
        return plans;
    }

    // What each statement costs at this size, read and buffers, for BENCHMARKS.md (a delete's is rolled back).
    private async Task PrintAnalyzedAsync(string name, string sql, Dictionary<string, object> values)
    {
        await using var connection = new Npgsql.NpgsqlConnection(Store.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var lines = await connection.QueryAsync<string>("EXPLAIN (ANALYZE, BUFFERS) " + Typed(sql), new DynamicParameters(values), transaction);
        TestContext.Out.WriteLine($"{name}, analysed at {s_published:N0} published rows:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}");
        await transaction.RollbackAsync();
    }

    // A limit's parameter typed, as the store's connection sends an int and PREPARE would guess text.
    private static string Typed(string sql) => sql
        .Replace("@max", "CAST(@max AS bigint)", StringComparison.Ordinal)
        .Replace("@batchSize", "CAST(@batchSize AS bigint)", StringComparison.Ordinal);

    private static JsonElement Plan(string? json) => JsonDocument.Parse(json!).RootElement[0].GetProperty("Plan").Clone();
}
