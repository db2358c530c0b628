using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// Two nodes meeting one instance whose stored state cannot be read at the same moment, both having read that it has no
/// incident yet: the database keeps one open incident for its state, and the loser's command, run again, finds it.
/// </summary>
public abstract partial class SqlStoreSuite
{
    [Test]
    public async Task Two_nodes_meeting_one_unreadable_instance_at_once_raise_one_incident_for_it()
    {
        var race = new CommitRace();
        var (a, b) = TwoNodes(race);
        var id = "race-unread-" + Guid.NewGuid().ToString("N")[..8];
        await a.Deployments.DeployAsync(Process(id, $"""<bpmn:startEvent id="start"/>{UserTask("t")}{Chain("start", "t")}"""));
        var instance = await a.Runtime.StartAsync(new StartInstance(id));
        var task = (await a.Tasks.GetOpenAsync(instance)).Single();
        await PoisonAsync(instance);

        race.Arm(); // the first two commits are the two incidents' (parking is no commit)
        var refusals = await Task.WhenAll(
            Task.Run(() => Assert.ThrowsAsync<InstanceStateUnreadableException>(() => a.Tasks.CompleteAsync(task.Id))),
            Task.Run(() => Assert.ThrowsAsync<InstanceStateUnreadableException>(() => b.Tasks.CompleteAsync(task.Id))));
        var incidents = await NewStore().GetOpenIncidentsAsync(instance, default);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refusals.Select(r => r?.InstanceId), Is.All.EqualTo(instance), "each node's command is refused naming the instance");
            Assert.That(incidents, Has.Count.EqualTo(1), string.Join("\n", incidents.Select(i => $"{i.Id} {i.CreatedAt:O}")));
        }
    }
}
