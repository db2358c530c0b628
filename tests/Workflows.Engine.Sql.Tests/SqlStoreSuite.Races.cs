using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// Two nodes racing on one database: each command has made all its reads before either commits (a barrier holds both
/// at the commit), so only what the database enforces keeps them apart. The loser's commit conflicts, the command runs
/// again and decides on what the winner wrote.
/// </summary>
public abstract partial class SqlStoreSuite
{
    private static readonly TimeSpan s_raceTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Holds the first two commits after <see cref="Arm"/> until both have arrived; lets every other commit through.</summary>
    private sealed class CommitRace
    {
        private readonly TaskCompletionSource _both = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _arrived = int.MinValue;

        public void Arm() => Volatile.Write(ref _arrived, 0);

        public async Task ArriveAsync(ChangeSet changes)
        {
            var arrived = Interlocked.Increment(ref _arrived);
            if (arrived is <= 0 or > 2)
            {
                return;
            }

            if (arrived == 2)
            {
                _both.SetResult();
            }

            await _both.Task.WaitAsync(s_raceTimeout);
        }
    }

    // Two engines on their own store objects (their own connections), one clock.
    private (WorkflowEngine A, WorkflowEngine B) TwoNodes(CommitRace race)
    {
        var clock = new FakeTimeProvider(ProcessTestHarness.DefaultStart);
        WorkflowEngine Node()
        {
            var store = NewSqlStore();
            store.BeforeCommit = race.ArriveAsync;
            return new WorkflowEngine(store, new WorkflowEngineOptions(), clock, NullLogger.Instance);
        }

        return (Node(), Node());
    }

    [Test]
    public async Task Two_nodes_opening_catches_at_once_do_not_both_take_one_buffered_message()
    {
        var race = new CommitRace();
        var (a, b) = TwoNodes(race);
        await a.Deployments.DeployAsync(Process("race-catch", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("first")}
            <bpmn:intermediateCatchEvent id="paid"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
            {UserTask("after")}
            {Chain("start", "first", "paid", "after")}
            """, Message("m", "race-paid", "=orderId")));
        var one = await a.Runtime.StartAsync(new StartInstance("race-catch") { Variables = Vars(("orderId", "R-1")) });
        var two = await a.Runtime.StartAsync(new StartInstance("race-catch") { Variables = Vars(("orderId", "R-1")) });
        await a.Runtime.CorrelateMessageAsync(new PublishMessage("race-paid", "R-1") { TimeToLive = TimeSpan.FromHours(1) });
        var taskOne = (await a.Tasks.GetOpenAsync(one)).Single();
        var taskTwo = (await a.Tasks.GetOpenAsync(two)).Single();

        race.Arm();
        await Task.WhenAll(Task.Run(() => a.Tasks.CompleteAsync(taskOne.Id)), Task.Run(() => b.Tasks.CompleteAsync(taskTwo.Id)));

        var where = new List<string>();
        foreach (var id in new[] { one, two })
        {
            where.Add(string.Join(",", (await a.Queries.GetInstanceAsync(id)).ActiveElements.Select(e => e.ElementId)));
        }

        Assert.That(where.Order(StringComparer.Ordinal), Is.EqualTo(new[] { "after", "paid" }), "one instance took the message, the other waits for the next");
    }

    [Test]
    public async Task Two_nodes_publishing_a_start_message_with_one_key_at_once_start_one_instance()
    {
        var race = new CommitRace();
        var (a, b) = TwoNodes(race);
        await a.Deployments.DeployAsync(StartedByMessage("race-start", "race-start-placed"));

        race.Arm();
        var results = await Task.WhenAll(
            Task.Run(() => a.Runtime.CorrelateMessageAsync(new PublishMessage("race-start-placed", "K-1"))),
            Task.Run(() => b.Runtime.CorrelateMessageAsync(new PublishMessage("race-start-placed", "K-1"))));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(results.Sum(r => r.StartedInstances), Is.EqualTo(1));
            Assert.That(await a.Queries.FindInstancesAsync("race-start"), Has.Count.EqualTo(1));
        }
    }

    [Test]
    public async Task Two_nodes_starting_one_unique_business_key_at_once_start_one_instance_and_refuse_the_other()
    {
        var race = new CommitRace();
        var (a, b) = TwoNodes(race);
        await a.Deployments.DeployAsync(Process("race-unique", $"""<bpmn:startEvent id="s"/>{UserTask("handle")}<bpmn:endEvent id="e"/>{Chain("s", "handle", "e")}"""));
        var start = new StartInstance("race-unique") { BusinessKey = "CASE-1", UniqueBusinessKey = true };

        race.Arm();
        var attempts = new[] { Task.Run(() => a.Runtime.StartAsync(start)), Task.Run(() => b.Runtime.StartAsync(start)) };
        try
        {
            await Task.WhenAll(attempts);
        }
        catch (BusinessKeyInUseException)
        {
            // the loser's; both outcomes are read below
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(attempts.Count(t => t.IsCompletedSuccessfully), Is.EqualTo(1));
            Assert.That(attempts.Single(t => !t.IsCompletedSuccessfully).Exception?.InnerException, Is.InstanceOf<BusinessKeyInUseException>());
            Assert.That(await a.Queries.FindInstancesAsync("race-unique"), Has.Count.EqualTo(1));
        }
    }

    [Test]
    public async Task A_message_buffered_while_another_node_ends_the_active_instance_still_starts_the_next_one()
    {
        var race = new CommitRace();
        var (a, b) = TwoNodes(race);
        await a.Deployments.DeployAsync(StartedByMessage("race-next", "race-next-placed"));
        await a.Runtime.CorrelateMessageAsync(new PublishMessage("race-next-placed", "K-1") { Variables = Vars(("x", 1)) });
        var first = (await a.Queries.FindInstancesAsync("race-next")).Single();
        var task = (await a.Tasks.GetOpenAsync(first)).Single();

        race.Arm();
        await Task.WhenAll(
            Task.Run(() => a.Tasks.CompleteAsync(task.Id)),
            Task.Run(() => b.Runtime.CorrelateMessageAsync(new PublishMessage("race-next-placed", "K-1") { Variables = Vars(("x", 2)), TimeToLive = TimeSpan.FromHours(1) })));

        var next = (await a.Queries.FindInstancesAsync("race-next")).Where(id => id != first).ToList();
        Assert.That(next, Has.Count.EqualTo(1), "whichever committed first, the message started the next instance");
        var snapshot = await a.Queries.GetInstanceAsync(next[0]);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(snapshot.Status, Is.EqualTo(ProcessInstanceStatus.Active));
            Assert.That(snapshot.Variables["x"], Is.EqualTo(2m));
        }
    }
}
