using Dapper;
using Microsoft.Data.Sqlite;
using NUnit.Framework;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// Migration 43: on SQLite an instance or open task without a business key, branch or customer is no entry in that
/// column's index (as on PostgreSQL since version 34), and the lists that read those indexes still walk them. Each test
/// has a database of its own: <c>ANALYZE</c>, which counts an index's entries, leaves statistics the planner then uses.
/// </summary>
public sealed class SqliteIndexEntriesTests
{
    private static readonly string[] s_indexes =
    [
        "ix_wf_instances_business_key", "ix_wf_instances_branch", "ix_wf_instances_customer",
        "ix_wf_user_tasks_branch_sla", "ix_wf_user_tasks_branch_priority", "ix_wf_user_tasks_branch_age",
    ];

    private string? _directory;
    private SqlStoreOptions _store = null!;

    [SetUp]
    public async Task CreateDatabase()
    {
        _directory = Directory.CreateTempSubdirectory("workflows-index-entries-").FullName;
        _store = new SqlStoreOptions { Provider = SqlProvider.Sqlite, ConnectionString = $"Data Source={Path.Combine(_directory, "workflows.db")}" };
        await SqlWorkflowEngine.MigrateAsync(_store);
    }

    [TearDown]
    public void DropDatabase()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory!, recursive: true);
    }

    [Test]
    public async Task Migration_43_on_a_database_with_rows_keeps_instances_and_tasks_without_the_column_out_of_its_index()
    {
        await using var connection = new SqliteConnection(_store.ConnectionString);
        await connection.OpenAsync();
        // The database as version 42 left it (every row in the six indexes), with three instances and open tasks that have
        // none of the three columns (a process run without branches or business keys) and one that has them all.
        await connection.ExecuteAsync("""
            DROP INDEX ix_wf_instances_business_key;
            CREATE INDEX ix_wf_instances_business_key ON wf_instances (business_key);
            DROP INDEX ix_wf_instances_branch;
            CREATE INDEX ix_wf_instances_branch ON wf_instances (branch, started_at);
            DROP INDEX ix_wf_instances_customer;
            CREATE INDEX ix_wf_instances_customer ON wf_instances (customer_id, started_at);
            DROP INDEX ix_wf_user_tasks_branch_sla;
            CREATE INDEX ix_wf_user_tasks_branch_sla ON wf_user_tasks (branch, sla_sort, inv_priority, created_at, id) WHERE status = 0;
            DROP INDEX ix_wf_user_tasks_branch_priority;
            CREATE INDEX ix_wf_user_tasks_branch_priority ON wf_user_tasks (branch, inv_priority, created_at, id) WHERE status = 0;
            DROP INDEX ix_wf_user_tasks_branch_age;
            CREATE INDEX ix_wf_user_tasks_branch_age ON wf_user_tasks (branch, created_at, id) WHERE status = 0;
            DELETE FROM wf_schema_version WHERE version = 43;
            """);
        await InsertRowsAsync(connection);
        var before = await EntriesAsync(connection);

        var applied = await SqlWorkflowEngine.MigrateAsync(_store);
        var after = await EntriesAsync(connection);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(before, Is.EqualTo(s_indexes.Select(_ => 4L)), "version 42: each index holds every row, with or without its column");
            Assert.That(applied, Is.EqualTo(1));
            Assert.That(after, Is.EqualTo(s_indexes.Select(_ => 1L)), "each index holds the one row that has its column, not the three that do not");
        }
    }

    [Test]
    public async Task The_lists_by_business_key_branch_and_customer_still_walk_their_index_and_find_the_rows_that_have_it()
    {
        await using var connection = new SqliteConnection(_store.ConnectionString);
        await connection.OpenAsync();
        await InsertRowsAsync(connection);
        var store = new SqlWorkflowStore(SqlDialect.For(SqlProvider.Sqlite), _store.ConnectionString);
        var board = new List<string>();
        store.InspectTaskList = async (c, sql, parameters) =>
            board.AddRange((await c.QueryAsync<(long Id, long Parent, long NotUsed, string Detail)>("EXPLAIN QUERY PLAN " + sql, parameters)).Select(r => r.Detail));

        var byBranch = await store.FindInstancesAsync(new InstanceFilter(null, null, 50) { Branch = "north" }, default);
        var byKey = await store.FindInstancesAsync(new InstanceFilter(null, "CMP-4", 50), default);
        var byCustomer = await store.FindInstancesAsync(new InstanceFilter(null, null, 50) { CustomerId = "C-4" }, default);
        var tasks = await store.QueryTasksAsync(new TaskQuery { Branch = "north", Sort = TaskSort.Priority }, null, 50, default);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(byBranch.Select(i => i.BusinessKey), Is.EqualTo(new[] { "CMP-4" }), "a branch's instances");
            Assert.That(byKey.Select(i => i.Branch), Is.EqualTo(new[] { "north" }), "the instances of a business key");
            Assert.That(byCustomer.Select(i => i.BusinessKey), Is.EqualTo(new[] { "CMP-4" }), "a customer's instances");
            Assert.That(tasks.Select(t => t.BusinessKey), Is.EqualTo(new[] { "CMP-4" }), "a branch's board");
            // A bound `column = ?` implies the partial index's `column IS NOT NULL`: the plan is the index's, in its order.
            Assert.That(await PlanAsync(connection, "SELECT id FROM wf_instances WHERE branch = @v ORDER BY started_at DESC LIMIT 50", "north"),
                Does.Contain("USING INDEX ix_wf_instances_branch").And.Not.Contain("TEMP B-TREE"));
            Assert.That(await PlanAsync(connection, "SELECT id FROM wf_instances WHERE business_key = @v", "CMP-4"), Does.Contain("USING INDEX ix_wf_instances_business_key"));
            Assert.That(await PlanAsync(connection, "SELECT id FROM wf_instances WHERE customer_id = @v ORDER BY started_at DESC LIMIT 50", "C-4"),
                Does.Contain("USING INDEX ix_wf_instances_customer").And.Not.Contain("TEMP B-TREE"));
            Assert.That(string.Join(" / ", board), Does.Contain("ix_wf_user_tasks_branch_priority").And.Not.Contain("TEMP B-TREE"), "the board walks its index in order");
        }
    }

    private static async Task InsertRowsAsync(SqliteConnection connection)
    {
        for (var g = 1; g <= 4; g++)
        {
            var has = g == 4;
            var instance = Guid.NewGuid();
            await connection.ExecuteAsync("""
                INSERT INTO wf_instances (id, process_id, definition_id, version, status, row_version, started_at, state, business_key, branch, customer_id)
                VALUES (@instance, 'complaint', @definition, 1, 0, 1, @at, x'00', @key, @branch, @customer)
                """, new { instance, definition = Guid.NewGuid(), at = 1000L + g, key = has ? "CMP-4" : null, branch = has ? "north" : null, customer = has ? "C-4" : null });
            await connection.ExecuteAsync("""
                INSERT INTO wf_user_tasks (id, instance_id, element_key, element_id, process_id, candidate_groups, candidate_users, priority, created_at, status,
                                           business_key, branch, customer_id, sla_sort, inv_priority)
                VALUES (@task, @instance, 1, 'review', 'complaint', '["desk"]', '[]', 50, @at, 0, @key, @branch, @customer, @sla, 50)
                """, new { task = Guid.NewGuid(), instance, at = 1000L + g, key = has ? "CMP-4" : null, branch = has ? "north" : null, customer = has ? "C-4" : null, sla = 5000L - g });
        }
    }

    // ANALYZE writes each index's entry count as the first number of its sqlite_stat1 row.
    private static async Task<List<long>> EntriesAsync(SqliteConnection connection)
    {
        await connection.ExecuteAsync("ANALYZE main"); // "ANALYZE" alone Dapper would send as a stored procedure
        var stats = (await connection.QueryAsync<(string Index, string Stat)>("SELECT idx, stat FROM sqlite_stat1 WHERE idx IS NOT NULL"))
            .ToDictionary(s => s.Index, s => long.Parse(s.Stat.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture));
        return s_indexes.Select(i => stats.GetValueOrDefault(i)).ToList();
    }

    private static async Task<string> PlanAsync(SqliteConnection connection, string sql, string value) =>
        string.Join(" / ", (await connection.QueryAsync<(long Id, long Parent, long NotUsed, string Detail)>("EXPLAIN QUERY PLAN " + sql, new { v = value })).Select(r => r.Detail));
}
