using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Workflows.Engine.Sql;

namespace Workflows.Engine.MassTransit.Tests;

/// <summary>
/// A node older than its database (a newer build migrated it while the node ran) on a broker's shared queue: it stops
/// taking messages and hands back the one it held, which a node of the newer build takes; nothing goes to the error queue
/// (review 18 F2: it retried them five times, then moved them to <c>_error</c>).
/// </summary>
[TestFixture]
public sealed class OutgrownNodeOnRabbitMqTests : BusTestBase
{
    protected override bool OnRabbitMq => true;

    [Test]
    public async Task An_outgrown_node_hands_the_handoff_back_to_the_shared_queue_and_a_current_node_takes_it_once()
    {
        var old = await NewEngineAsync("old");
        await old.Deployments.DeployAsync(Journeys.Back);
        var queue = Unique("back");
        var faults = new ConcurrentQueue<string?>();
        var oldNode = await StartNodeAsync(b => b
            .Engine(old, queue)
            .Endpoint($"{queue}_error", ErrorQueue(context => faults.Enqueue(context.ReceiveContext.TransportHeaders.Get<string>("MT-Fault-Message")))));
        await WaitUntilAsync(() => Task.FromResult(oldNode.CheckHealth().Connected), "the old node's bus connected");

        // A newer build migrated the old node's database (its version row), and the node's readiness probe noticed.
        await using (var connection = new SqliteConnection($"Data Source={DatabasePath("old")};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO wf_schema_version (version, description, applied_at) SELECT MAX(version) + 1, 'newer_build', 0 FROM wf_schema_version";
            await insert.ExecuteNonQueryAsync();
        }

        Assert.ThrowsAsync<SchemaOutgrownException>(async () => await old.Worker.ProbeStoreWriteAsync());

        // The only consumer of the queue is the old node: the handoff reaches it, and it stops.
        await oldNode.Bus.Publish(new WorkflowMessage { Name = "AssessmentRequested", CorrelationKey = "case-f2", VariablesJson = """{"caseId":"case-f2"}""" });
        await WaitUntilAsync(() => Task.FromResult(oldNode.CheckHealth().Description.Contains("stopped taking messages", StringComparison.Ordinal)), "the old node to stop taking messages");

        // A node of the newer build joins the queue and gets the handoff the old node handed back.
        var current = await NewEngineAsync("current");
        await current.Deployments.DeployAsync(Journeys.Back);
        await StartNodeAsync(b => b.Engine(current, queue));
        var task = await WaitForAsync(() => BackOfficeTaskAsync(current), "the handoff taken by the current node");

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await current.Queries.GetInstanceAsync(task.InstanceId)).Variables["caseId"], Is.EqualTo("case-f2"));
            Assert.That(await current.Queries.FindInstancesAsync("back"), Has.Count.EqualTo(1), "taken once");
            Assert.That(await old.Queries.FindInstancesAsync("back"), Is.Empty, "the old node wrote nothing");
            Assert.That(faults, Is.Empty, "nothing moved to the error queue");
            Assert.That(oldNode.CheckHealth().Connected, Is.False, "the old node says its endpoints stopped");
        }
    }
}
