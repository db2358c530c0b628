using System.Diagnostics;
using Dapper;
using NUnit.Framework;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// Engines in child processes on a real database: killed with SIGKILL mid-run and restarted, and two
/// nodes sharing one PostgreSQL. Every instance must reach its end exactly once.
/// </summary>
[NonParallelizable]
public sealed class NodeTests
{
    private static readonly TimeSpan s_stall = TimeSpan.FromMinutes(2);

    [Test]
    public async Task Instances_survive_a_SIGKILL_mid_run_and_each_reaches_its_end_exactly_once()
    {
        var directory = Directory.CreateTempSubdirectory("workflows-crash-").FullName;
        var store = new SqlStoreOptions { Provider = SqlProvider.Sqlite, ConnectionString = $"Data Source={Path.Combine(directory, "crash.db")}" };
        await SqlWorkflowEngine.MigrateAsync(store);
        try
        {
            long completedAtKill;
            using (var first = StartNode(store, "node-1", "crash", 2000))
            {
                await WaitUntilAsync(store, completed => completed >= 300, first);
                first.Kill(entireProcessTree: true); // SIGKILL: no shutdown code runs
                await first.WaitForExitAsync();
                completedAtKill = await CompletedAsync(store);
            }

            using (var second = StartNode(store, "node-2", "crash", 2000))
            {
                await WaitUntilAsync(store, completed => completed >= 2000, second);
                second.Kill(entireProcessTree: true);
                await second.WaitForExitAsync();
            }

            await AssertEachInstanceEndedOnceAsync(store, 2000);
            Assert.That(completedAtKill, Is.LessThan(2000), "the first node was killed mid-run");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    // Group commit is on (the default): each node's four starters, three workers and three agents commit at once, and
    // their change sets meet in groups; the agents of both nodes pull from one queue while the tasks' SLA clocks come due.
    [Test]
    public async Task Two_nodes_on_one_PostgreSQL_with_starters_and_agents_claim_each_task_once_and_fire_each_job_timer_and_clock_once()
    {
        var server = Environment.GetEnvironmentVariable("WORKFLOWS_TEST_POSTGRES")
            ?? throw new InvalidOperationException("WORKFLOWS_TEST_POSTGRES is not set: run ./scripts/test.sh, which provisions PostgreSQL and sets it");
        var database = "wf_nodes_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = new Npgsql.NpgsqlConnection(server))
        {
            await admin.ExecuteAsync($"CREATE DATABASE {database}");
        }

        var store = new SqlStoreOptions { Provider = SqlProvider.PostgreSql, ConnectionString = new Npgsql.NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString };
        await SqlWorkflowEngine.MigrateAsync(store);
        try
        {
            using (var a = StartNode(store, "node-a", "a", 2500, starters: 4, agents: 3))
            using (var b = StartNode(store, "node-b", "b", 2500, starters: 4, agents: 3))
            {
                await WaitUntilAsync(store, completed => completed >= 5000, a, b);
                a.Kill(entireProcessTree: true);
                b.Kill(entireProcessTree: true);
                await Task.WhenAll(a.WaitForExitAsync(), b.WaitForExitAsync());
            }

            await AssertEachInstanceEndedOnceAsync(store, 5000);
            await using var connection = Open(store);
            var byNode = (await connection.QueryAsync<(string Actor, long Count)>(
                "SELECT actor, COUNT(*) FROM wf_history WHERE kind IN ('job-completed', 'timer-fired') GROUP BY actor")).ToDictionary(r => r.Actor, r => r.Count);
            var claimsByNode = (await connection.QueryAsync<(string Node, long Count)>(
                "SELECT SUBSTRING(actor, 1, 6), COUNT(*) FROM wf_history WHERE kind = 'task-claimed' GROUP BY SUBSTRING(actor, 1, 6)")).ToDictionary(r => r.Node, r => r.Count);
            var tasks = await connection.QuerySingleAsync<(long NotClaimedOnce, long NotCompletedOnce)>(
                "SELECT (SELECT COUNT(*) FROM wf_instances i WHERE (SELECT COUNT(*) FROM wf_history h WHERE h.instance_id = i.id AND h.kind = 'task-claimed') <> 1), " +
                "(SELECT COUNT(*) FROM wf_instances i WHERE (SELECT COUNT(*) FROM wf_history h WHERE h.instance_id = i.id AND h.kind = 'task-completed') <> 1)");
            var clocks = await connection.QuerySingleAsync<(long Breached, long BreachedTwice, long Open)>(
                "SELECT (SELECT COUNT(*) FROM wf_history WHERE kind = 'clock-breached'), " +
                "(SELECT COUNT(*) FROM (SELECT instance_id FROM wf_history WHERE kind = 'clock-breached' GROUP BY instance_id HAVING COUNT(*) > 1) x), " +
                "(SELECT COUNT(*) FROM wf_sla_clocks WHERE ended_at IS NULL)");
            using (Assert.EnterMultipleScope())
            {
                Assert.That(byNode.GetValueOrDefault("node-a"), Is.GreaterThan(0), "node-a did work");
                Assert.That(byNode.GetValueOrDefault("node-b"), Is.GreaterThan(0), "node-b did work");
                Assert.That(claimsByNode.GetValueOrDefault("node-a"), Is.GreaterThan(0), "node-a's agents claimed tasks");
                Assert.That(claimsByNode.GetValueOrDefault("node-b"), Is.GreaterThan(0), "node-b's agents claimed tasks");
                Assert.That(tasks, Is.EqualTo((0L, 0L)), "each instance's task was claimed once and completed once");
                Assert.That(clocks.Breached, Is.GreaterThan(0), "clocks came due while their tasks waited");
                Assert.That(clocks.BreachedTwice, Is.Zero, "no clock fired twice");
                Assert.That(clocks.Open, Is.Zero, "no clock left running");
            }
        }
        finally
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await using var admin = new Npgsql.NpgsqlConnection(server);
            await admin.ExecuteAsync($"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        }
    }

    private static async Task AssertEachInstanceEndedOnceAsync(SqlStoreOptions store, int expected)
    {
        await using var connection = Open(store);
        var instances = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM wf_instances");
        var completed = await CompletedAsync(store);
        var workTwice = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM (SELECT instance_id FROM wf_history WHERE kind = 'element-completed' AND element_id = 'work' GROUP BY instance_id HAVING COUNT(*) <> 1) x");
        var jobsTwice = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM (SELECT instance_id FROM wf_history WHERE kind = 'job-completed' GROUP BY instance_id HAVING COUNT(*) <> 1) x");
        var endedTwice = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM (SELECT instance_id FROM wf_history WHERE kind = 'instance-completed' GROUP BY instance_id HAVING COUNT(*) <> 1) x");
        var leftovers = await connection.ExecuteScalarAsync<long>("SELECT (SELECT COUNT(*) FROM wf_jobs) + (SELECT COUNT(*) FROM wf_timers)");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(instances, Is.EqualTo(expected), "no instance started twice");
            Assert.That(completed, Is.EqualTo(expected), "every instance reached its end");
            Assert.That(workTwice, Is.Zero, "no service task completed twice");
            Assert.That(jobsTwice, Is.Zero, "no job's effect applied twice");
            Assert.That(endedTwice, Is.Zero, "no instance ended twice");
            Assert.That(leftovers, Is.Zero, "no job or timer left behind");
        }
    }

    // Waits as long as instances keep completing (a loaded machine runs the nodes slowly): only a run that completes none
    // for the stall time is stuck, and fails.
    private static async Task WaitUntilAsync(SqlStoreOptions store, Func<long, bool> done, params Process[] nodes)
    {
        var sinceProgress = Stopwatch.StartNew();
        var best = -1L;
        while (await CompletedAsync(store) is var completed && !done(completed))
        {
            if (completed > best)
            {
                best = completed;
                sinceProgress.Restart();
            }

            if (sinceProgress.Elapsed > s_stall)
            {
                Assert.Fail($"no instance completed for {s_stall}: {completed} instances completed");
            }

            foreach (var node in nodes.Where(n => n.HasExited))
            {
                Assert.Fail($"a node exited early with code {node.ExitCode}: {await node.StandardError.ReadToEndAsync()}");
            }

            await Task.Delay(100);
        }
    }

    private static async Task<long> CompletedAsync(SqlStoreOptions store)
    {
        await using var connection = Open(store);
        return await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM wf_instances WHERE status = @status", new { status = (int)ProcessInstanceStatus.Completed });
    }

    private static System.Data.Common.DbConnection Open(SqlStoreOptions store) => SqlDialect.For(store.Provider).CreateConnection(store.ConnectionString);

    private static Process StartNode(SqlStoreOptions store, string node, string prefix, int count, int starters = 1, int agents = 0)
    {
        var testDirectory = TestContext.CurrentContext.TestDirectory;
        var nodeDll = Path.Combine(testDirectory.Replace("Workflows.Engine.Sql.Tests", "Workflows.Engine.Sql.TestNode", StringComparison.Ordinal), "Workflows.Engine.Sql.TestNode.dll");
        Assert.That(File.Exists(nodeDll), Is.True, $"the test node is built at {nodeDll}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { nodeDll, "--provider", store.Provider.ToString(), "--connection", store.ConnectionString, "--node", node, "--prefix", prefix, "--start", Number(count), "--workers", "3", "--starters", Number(starters), "--agents", Number(agents) })
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("could not start the test node");
    }

    private static string Number(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
