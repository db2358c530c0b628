using Dapper;
using NUnit.Framework;

namespace Workflows.Engine.Sql.Tests;

// Migration 0042 (issue 19, round 18): parked outbox rows.
public abstract partial class SqlStoreSuite
{
    [Test]
    public async Task Migration_42_adds_parking_to_an_outbox_with_rows_and_keeps_them_unpublished()
    {
        var h = await HarnessAsync();
        var (instance, _) = await StartWithOneMessageAsync(h);

        // The database as version 41 left it, with the row written then.
        await using var connection = await NewSqlStore().OpenAsync(default);
        await connection.ExecuteAsync(Store.Provider == SqlProvider.SqlServer ? "DROP INDEX ix_wf_outbox_parked ON wf_outbox" : "DROP INDEX ix_wf_outbox_parked");
        await connection.ExecuteAsync("ALTER TABLE wf_outbox DROP COLUMN parked_at");
        await connection.ExecuteAsync("ALTER TABLE wf_outbox DROP COLUMN parked_reason");
        await connection.ExecuteAsync("DELETE FROM wf_schema_version WHERE version = 42");

        var applied = await SqlWorkflowEngine.MigrateAsync(Store);
        ForgetPreparedOutboxReads();
        var row = (await NewSqlStore().GetUnpublishedOutboxAsync(10_000, default)).SingleOrDefault(o => o.InstanceId == instance.Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(applied, Is.EqualTo(1));
            Assert.That(row, Is.Not.Null, "the row written before the migration is still to publish");
            Assert.That(row?.ParkedAt, Is.Null);
            Assert.That(row?.ParkedReason, Is.Null);
            Assert.That(await h.Engine.Queries.GetParkedMessagesAsync(10_000), Is.Empty);
        }
    }

    // Review 18 F3: a branch's parked messages are filtered in the store's query, by the branch kept beside the park;
    // a row parked before version 45 gets it from its headers.
    [Test]
    public async Task Migration_45_gives_the_rows_parked_before_it_their_branch_and_a_branch_lists_its_own_by_it()
    {
        var h = await HarnessAsync();
        var (earlier, _) = await StartWithOneMessageAsync(h);
        var (later, _) = await StartWithOneMessageAsync(h);
        var (otherBranch, _) = await StartWithOneMessageAsync(h);

        // The database as version 44 left it: two rows parked then (without a branch column), one of paris-01's handoffs.
        await using var connection = await NewSqlStore().OpenAsync(default);
        await connection.ExecuteAsync("ALTER TABLE wf_outbox DROP COLUMN parked_branch");
        await connection.ExecuteAsync("DELETE FROM wf_schema_version WHERE version = 45");
        await connection.ExecuteAsync("""
            UPDATE wf_outbox SET headers_json = @headers, published_at = 1, parked_at = 1, parked_reason = 'parked before 45' WHERE instance_id = @earlier
            """, new { headers = """{"handoff":{"branch":"paris-01"},"timeToLive":"00:00:00"}""", earlier = earlier.Id });
        await connection.ExecuteAsync("""
            UPDATE wf_outbox SET headers_json = @headers, published_at = 1, parked_at = 1, parked_reason = 'parked before 45' WHERE instance_id = @otherBranch
            """, new { headers = """{"handoff":{"branch":"lyon-01"},"timeToLive":"00:00:00"}""", otherBranch = otherBranch.Id });

        var applied = await SqlWorkflowEngine.MigrateAsync(Store);
        ForgetPreparedOutboxReads();
        var store = NewSqlStore();
        var row = (await store.GetUnpublishedOutboxAsync(10_000, default)).Single(o => o.InstanceId == later.Id);
        await connection.ExecuteAsync("UPDATE wf_outbox SET headers_json = @headers WHERE seq = @Seq", new { headers = """{"handoff":{"branch":"paris-01"},"timeToLive":"00:00:00"}""", row.Seq });
        await store.ParkOutboxAsync(row.Seq, "parked after 45", DateTimeOffset.FromUnixTimeMilliseconds(5), default);

        var paris = await h.Engine.Queries.GetParkedMessagePageAsync(new ParkedMessageQuery { Branch = "paris-01", Max = 1 });
        var parisNext = await h.Engine.Queries.GetParkedMessagePageAsync(new ParkedMessageQuery { Branch = "paris-01", Max = 1, After = paris.NextCursor });
        var lyon = await h.Engine.Queries.GetParkedMessagePageAsync(new ParkedMessageQuery { Branch = "lyon-01" });
        using (Assert.EnterMultipleScope())
        {
            Assert.That(applied, Is.EqualTo(1));
            Assert.That(paris.Messages.Select(m => m.InstanceId), Is.EqualTo(new[] { earlier.Id }), "the longest parked first, a page of one");
            Assert.That(paris.NextCursor, Is.Not.Null);
            Assert.That(parisNext.Messages.Select(m => m.InstanceId), Is.EqualTo(new[] { later.Id }), "the next page, after the cursor");
            Assert.That(lyon.Messages.Select(m => m.InstanceId), Is.EqualTo(new[] { otherBranch.Id }));
            Assert.That((await h.Engine.Queries.GetParkedMessageAsync(row.Id))?.ParkedReason, Is.EqualTo("parked after 45"), "found by its id");
        }
    }

    // The outbox's columns dropped and added again: a pooled PostgreSQL connection that prepared `SELECT * FROM wf_outbox`
    // before fails its next run of it ("cached plan must not change result type"), and the test to meet it would fail.
    private void ForgetPreparedOutboxReads()
    {
        if (Store.Provider == SqlProvider.PostgreSql)
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
        }
    }
}
