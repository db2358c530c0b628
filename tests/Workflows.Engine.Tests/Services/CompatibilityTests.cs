using Workflows.Engine.Runtime;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Services;

/// <summary>
/// Process tests written before the engine was split into services call <c>h.Engine.StartAsync</c> and set
/// <c>options.PollInterval</c>: they still compile (with an obsolete warning) and do what they did.
/// </summary>
#pragma warning disable CS0618 // the point of these tests is the obsolete surface
public sealed class CompatibilityTests
{
    [Test]
    public async Task A_process_test_written_against_the_engine_before_the_split_still_runs()
    {
        var h = new ProcessTestHarness(configure: o =>
        {
            o.PollInterval = TimeSpan.FromSeconds(3);
            o.BatchSize = 7;
            o.RetryBackoff = TimeSpan.FromSeconds(2);
        });
        await h.Engine.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="s"/>{ServiceTask("work", "old-style")}{UserTask("check")}<bpmn:endEvent id="e"/>
            {Chain("s", "work", "check", "e")}
            """));

        var id = await h.Engine.StartAsync(new StartInstance("p") { BusinessKey = "OLD-1" });
        var job = (await h.Engine.GetJobsAsync("old-style")).Single();
        await h.Engine.CompleteJobAsync(job.Id, Vars(("done", true)));
        var task = (await h.Engine.GetUserTasksAsync(id)).Single();
        await h.Engine.ClaimTaskAsync(task.Id, "ann");
        await h.Engine.CompleteUserTaskAsync(task.Id, null, "ann");

        var snapshot = await h.Engine.GetInstanceAsync(id);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(snapshot.Status, Is.EqualTo(ProcessInstanceStatus.Completed));
            Assert.That(snapshot.Variables["done"], Is.EqualTo(true));
            Assert.That(h.Engine.Options.Worker.PollInterval, Is.EqualTo(TimeSpan.FromSeconds(3)));
            Assert.That((h.Engine.Options.Worker.TimerBatchSize, h.Engine.Options.Worker.JobBatchSize), Is.EqualTo((7, 7)));
            Assert.That(h.Engine.Options.Worker.RetryBackoff, Is.EqualTo(TimeSpan.FromSeconds(2)));
        }
    }
}
#pragma warning restore CS0618
