using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>Concurrent messages for one key all go for the instance that waited first: the losers run again, none is refused while an instance waits.</summary>
public abstract partial class StoreSuite
{
    [Test]
    public async Task Twelve_concurrent_messages_for_one_key_move_the_twelve_waiting_instances_each_once()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Process("race", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:intermediateCatchEvent id="wait"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
            {UserTask("after")}
            {Chain("start", "wait", "after")}
            """, Message("m", "race-poke", "=grp")));
        var instances = new List<Testing.ProcessInstanceHandle>();
        for (var i = 0; i < 12; i++)
        {
            instances.Add(await h.StartAsync("race", Vars(("grp", "G"))));
        }

        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Task.Run(() => h.CorrelateAsync("race-poke", "G"))));

        var moved = 0;
        foreach (var instance in instances)
        {
            moved += (await instance.ActiveElementsAsync()).SequenceEqual(["after"]) ? 1 : 0;
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(results.Select(r => r.CorrelatedInstances), Is.All.EqualTo(1));
            Assert.That(moved, Is.EqualTo(12));
        }
    }
}
