using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>Review 13 F8: a cron timer cycle's row (no interval, repeating forever) survives the store and plans its next firing from the model.</summary>
public abstract partial class StoreSuite
{
    [Test]
    public async Task A_cron_start_timer_fires_on_its_schedule_across_engines_on_the_store()
    {
        var process = Unique("cron-start");
        var h = await HarnessAsync();
        await h.DeployAsync(Process(process, $"""
            <bpmn:startEvent id="s"><bpmn:timerEventDefinition><bpmn:timeCycle>0 0 9 * * MON-FRI</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>
            {UserTask("work")}{Chain("s", "work")}
            """));

        await h.AdvanceTimeAsync(TimeSpan.FromDays(1));
        var tuesday = (await h.InstancesOfAsync(process)).Count;
        var other = await HarnessAsync(); // nothing of the cycle in memory: the next firing comes from the row and the model
        await other.AdvanceTimeAsync(TimeSpan.FromDays(5));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(tuesday, Is.EqualTo(1));
            Assert.That((await other.InstancesOfAsync(process)).Count, Is.EqualTo(4), "Tuesday to Friday, none at the weekend");
        }
    }
}
