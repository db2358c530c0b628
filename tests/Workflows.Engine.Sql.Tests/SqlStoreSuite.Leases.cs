using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// On SQLite a lease (a claim of jobs, timers or clocks, its extension or release, a named lease) is written without a
/// flush of its own: a lost lease only makes its row claimable again, and the next command's durable commit flushes it.
/// The connection it used commits durably again when the pool hands it out next.
/// </summary>
public abstract partial class SqlStoreSuite
{
    [Test]
    public async Task A_lease_is_written_without_a_flush_of_its_own_and_its_connection_commits_durably_again()
    {
        Assume.That(Store.Provider, Is.EqualTo(SqlProvider.Sqlite), "SQLite's synchronous setting");
        var store = NewSqlStore();
        var engine = new WorkflowEngine(store, new WorkflowEngineOptions(), TimeProvider.System, NullLogger.Instance);
        await engine.Deployments.DeployAsync(Process("leased", $"""
            <bpmn:startEvent id="start"/>
            {ServiceTask("work", "lease-work")}
            <bpmn:endEvent id="end"/>
            {Chain("start", "work", "end")}
            """));
        await engine.Runtime.StartAsync(new StartInstance("leased"));
        var leaseModes = new List<long>();
        store.InspectLease = async connection => leaseModes.Add(await connection.ExecuteScalarAsync<long>("PRAGMA synchronous"));

        var now = DateTimeOffset.UtcNow;
        var claimed = await store.ClaimDueJobsAsync(["lease-work"], now.AddMinutes(1), 10, "node-a", now, now.AddMinutes(5), default);
        var extended = await store.ExtendJobLeaseAsync(claimed[0].Id, "node-a", now, now.AddMinutes(10), default);
        var named = await store.TryTakeLeaseAsync("outbox-relay", "node-a", now, now.AddMinutes(1), default);
        await store.ReleaseJobLeasesAsync([claimed[0].Id], "node-a", default);
        store.InspectLease = null;

        // Every idle connection of the pool at once, the ones the leases used among them: each is back to FULL.
        var connections = new List<System.Data.Common.DbConnection>();
        for (var i = 0; i < 8; i++)
        {
            connections.Add(await store.OpenAsync(default));
        }

        var commitModes = new List<long>();
        foreach (var connection in connections)
        {
            commitModes.Add(await connection.ExecuteScalarAsync<long>("PRAGMA synchronous"));
            await connection.DisposeAsync();
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(claimed, Has.Count.EqualTo(1));
            Assert.That(extended && named, Is.True, "the lease was extended and the named lease taken");
            Assert.That(leaseModes, Has.Count.EqualTo(4).And.All.EqualTo(1), "each lease's write runs under synchronous = NORMAL (1)");
            Assert.That(commitModes, Has.All.EqualTo(2), "a connection handed out afterwards commits under synchronous = FULL (2)");
        }
    }
}
