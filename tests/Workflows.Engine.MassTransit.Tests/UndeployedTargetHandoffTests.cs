using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.MassTransit.Tests;

/// <summary>
/// Review 19 F2: docs/bus.md (round 19) says a handoff refused for good "because the receiving process is not deployed yet"
/// is parked. A collaboration's handoff names its target process; when no engine of the node has that process deployed,
/// every engine leaves it (NotOurs, HandoffAnswer.Left) and the row is marked delivered: published, never parked, gone.
/// </summary>
[TestFixture]
public sealed class UndeployedTargetHandoffTests : BusTestBase
{
    protected override bool OnRabbitMq => false;

    [Test]
    public async Task A_handoff_whose_target_process_is_not_deployed_yet_is_parked_not_marked_delivered()
    {
        var front = await NewEngineAsync("front");
        var back = await NewEngineAsync("back"); // the receiver's engine runs, its process is not deployed yet
        await front.Deployments.DeployAsync(Journeys.Front);
        await StartNodeAsync(b => b.Engine(front, Unique("front")).Engine(back, Unique("back")));

        var frontId = await front.Runtime.StartAsync(new StartInstance("front") { Variables = Vars(("caseId", "case-r19")) });
        await WaitUntilAsync(async () => (await front.Queries.GetOutgoingMessagesAsync(frontId)).SingleOrDefault() is { PublishedAt: not null }, "the handoff's row settled");
        var row = (await front.Queries.GetOutgoingMessagesAsync(frontId)).Single();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(row.ParkedAt, Is.Not.Null, $"parked for an operator; it was marked published at {row.PublishedAt:O} with reason '{row.ParkedReason}'");
            Assert.That(await front.Queries.GetParkedMessagesAsync(), Has.Count.EqualTo(1));
        }
    }
}
