using Dapper;
using NUnit.Framework;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// The task lists without a queue (a supervisor's board of a branch or of every branch, a customer's tasks) walk an
/// index in their order and stop at a page: the database sorts nothing, however many tasks are open. A branch's board
/// (a supervisor's) is index-ordered by SLA time left, by priority and by age (migration 24).
/// </summary>
public abstract partial class SqlStoreSuite
{
    [TestCase("branch", TaskSort.SlaTimeLeft)]
    [TestCase("branch", TaskSort.Priority)]
    [TestCase("branch", TaskSort.Age)]
    [TestCase("customer", TaskSort.SlaTimeLeft)]
    [TestCase("every branch", TaskSort.SlaTimeLeft)]
    public async Task A_task_list_without_a_queue_is_read_in_the_order_of_an_index_not_sorted(string scope, TaskSort sort)
    {
        var store = NewSqlStore();
        var plan = new List<string>();
        store.InspectTaskList = async (connection, sql, parameters) =>
        {
            if (Store.Provider == SqlProvider.Sqlite)
            {
                plan.AddRange((await connection.QueryAsync<(long Id, long Parent, long NotUsed, string Detail)>("EXPLAIN QUERY PLAN " + sql, parameters)).Select(r => r.Detail));
            }
            else if (Store.Provider == SqlProvider.PostgreSql)
            {
                // The planner weighs a sort of a small table as cheap: forbid it, so that the plan shows whether the order comes from an index.
                await using var transaction = await connection.BeginTransactionAsync();
                await connection.ExecuteAsync("SET LOCAL enable_sort = off; SET LOCAL enable_seqscan = off", transaction: transaction);
                var explain = sql.Replace("@limit", "CAST(@limit AS bigint)", StringComparison.Ordinal);
                plan.AddRange(await connection.QueryAsync<string>("EXPLAIN " + explain, parameters, transaction));
            }
        };
        var query = new TaskQuery
        {
            Branch = scope == "branch" ? "north" : null,
            CustomerId = scope == "customer" ? "c-1" : null,
            Sort = sort,
        };

        await store.QueryTasksAsync(query, null, 50, default);

        TestContext.Out.WriteLine(string.Join(Environment.NewLine, plan));
        Assume.That(plan, Is.Not.Empty, "the plan is read on SQLite and PostgreSQL");
        Assert.That(plan, Has.None.Contains("TEMP B-TREE").And.None.Matches("^\\s*(->\\s*)?Sort\\b").And.None.Contains("Disabled"),
            $"the list walks an index in order: {string.Join(" / ", plan)}");
    }

    [Test]
    public async Task A_queue_list_walks_the_queue_index_and_probes_each_task_by_its_key_on_SQLite()
    {
        Assume.That(Store.Provider, Is.EqualTo(SqlProvider.Sqlite), "PostgreSQL's plans: PostgresQueueListPlanTests, on a queue of 40,000 tasks");
        var store = NewSqlStore();
        var plan = new List<string>();
        store.InspectTaskList = async (connection, sql, parameters) =>
            plan.AddRange((await connection.QueryAsync<(long Id, long Parent, long NotUsed, string Detail)>("EXPLAIN QUERY PLAN " + sql, parameters)).Select(r => r.Detail));

        await store.QueryTasksAsync(new TaskQuery { Queues = ["desk"], CandidateUser = "ann", Unassigned = true, Branch = "north" }, null, 50, default);

        TestContext.Out.WriteLine(string.Join(Environment.NewLine, plan));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(plan.Count(p => p.StartsWith("SEARCH q USING COVERING INDEX ix_wf_task_queues_sla (queue=? AND claimed=?)", StringComparison.Ordinal)), Is.EqualTo(2),
                "each queue's walk reads its index in order");
            Assert.That(plan, Has.Some.Matches("^SEARCH t (EXISTS )?USING INDEX sqlite_autoindex_wf_user_tasks_1 \\(id=\\?\\)"), "each task is probed by its key");
            Assert.That(plan, Has.None.Matches("^SCAN (q|t|wf_)"), $"no table read whole (the walks' co-routines are read as they come): {string.Join(" / ", plan)}");
        }
    }
}
