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
}
