using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

public sealed class JobActivationTests
{
    private static string Journey(string type) => Process("p", $"""
        <bpmn:startEvent id="s"/>
        {ServiceTask("call", type)}
        <bpmn:boundaryEvent id="refused" attachedToRef="call"><bpmn:errorEventDefinition errorRef="e1"/></bpmn:boundaryEvent>
        {UserTask("after")}{UserTask("onRefusal")}
        {Chain("s", "call", "after")}{Flow("refused", "onRefusal")}
        """, definitions: """<bpmn:error id="e1" errorCode="REFUSED"/>""");

    [Test]
    public async Task A_long_poll_waits_for_a_job_of_its_type_and_is_woken_when_one_is_created()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Journey("score"));
        var poll = h.Engine.Jobs.ActivateAsync(new JobActivation("score", "bot") { RequestTimeout = TimeSpan.FromMinutes(1), Timeout = TimeSpan.FromMinutes(2) });
        var waitedWithoutJob = !poll.IsCompleted;

        var instance = await h.StartAsync("p");
        var jobs = await poll.WaitAsync(TimeSpan.FromSeconds(10));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(waitedWithoutJob, Is.True);
            Assert.That(jobs.Select(j => j.InstanceId), Is.EqualTo(new[] { instance.Id }));
            Assert.That(jobs[0].Deadline, Is.EqualTo(h.Clock.GetUtcNow() + TimeSpan.FromMinutes(2)));
            Assert.That(jobs[0].ProcessId, Is.EqualTo("p"));
        }
    }

    [Test]
    public async Task A_long_poll_with_nothing_due_ends_empty_at_its_request_timeout()
    {
        var h = new ProcessTestHarness();
        var poll = h.Engine.Jobs.ActivateAsync(new JobActivation("nothing", "bot") { RequestTimeout = TimeSpan.FromSeconds(30) });
        await Task.Yield();
        var before = poll.IsCompleted;

        for (var i = 0; i < 40 && !poll.IsCompleted; i++)
        {
            h.Clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(10);
        }

        Assert.That(before, Is.False);
        Assert.That(await poll.WaitAsync(TimeSpan.FromSeconds(10)), Is.Empty);
    }

    [Test]
    public async Task A_leased_job_goes_to_no_second_worker_until_its_timeout_runs_out_and_an_extension_moves_it()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Journey("score"));
        await h.StartAsync("p");
        var first = await h.Engine.Jobs.ActivateAsync(new JobActivation("score", "a") { Timeout = TimeSpan.FromMinutes(1) });
        var second = await h.Engine.Jobs.ActivateAsync(new JobActivation("score", "b"));
        h.Clock.Advance(TimeSpan.FromSeconds(50));
        var deadline = await h.Engine.Jobs.ExtendTimeoutAsync(first[0].Id, TimeSpan.FromMinutes(1));
        h.Clock.Advance(TimeSpan.FromSeconds(50));
        var stillHeld = await h.Engine.Jobs.ActivateAsync(new JobActivation("score", "b"));
        h.Clock.Advance(TimeSpan.FromSeconds(11));
        var takenOver = await h.Engine.Jobs.ActivateAsync(new JobActivation("score", "b"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first, Has.Count.EqualTo(1));
            Assert.That(second, Is.Empty);
            Assert.That(deadline, Is.EqualTo(ProcessTestHarness.DefaultStart.AddSeconds(110)));
            Assert.That(stillHeld, Is.Empty);
            Assert.That(takenOver.Select(j => j.Id), Is.EqualTo(new[] { first[0].Id }));
        }
    }

    [Test]
    public async Task An_extension_of_a_job_no_worker_holds_is_a_conflict()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Journey("score"));
        var instance = await h.StartAsync("p");
        var job = (await instance.JobsAsync()).Single();

        Assert.That(() => h.Engine.Jobs.ExtendTimeoutAsync(job.Id, TimeSpan.FromMinutes(1)), Throws.InstanceOf<WorkflowConflictException>());
    }

    [Test]
    public async Task An_error_thrown_by_a_worker_with_variables_is_caught_by_code_and_sets_them()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Journey("score"));
        var instance = await h.StartAsync("p");
        var job = (await h.Engine.Jobs.ActivateAsync(new JobActivation("score", "bot"))).Single();

        await h.Engine.Jobs.ThrowErrorAsync(job.Id, "REFUSED", "too many loans", Vars(("reason", "loans")));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "onRefusal" }));
            Assert.That(await instance.VariableAsync("reason"), Is.EqualTo("loans"));
        }
    }

    [Test]
    public async Task Only_the_variables_asked_for_are_handed_out_and_only_jobs_of_the_branch_asked_for()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Journey("score"));
        await h.StartAsync("p", Vars(("a", 1), ("b", 2)));

        var elsewhere = await h.Engine.Jobs.ActivateAsync(new JobActivation("score", "bot") { Branch = "lyon-01" });
        var jobs = await h.Engine.Jobs.ActivateAsync(new JobActivation("score", "bot") { FetchVariables = ["a"] });

        Assert.That(elsewhere, Is.Empty);
        Assert.That(jobs.Single().Variables.Keys, Is.EqualTo(new[] { "a" }));
    }

    [Test]
    public async Task A_deployment_warns_about_a_job_type_nobody_serves_until_a_worker_asked_for_it()
    {
        var h = new ProcessTestHarness(configure: o => o.AddHandler("served", (_, _) => ValueTask.FromResult<IReadOnlyDictionary<string, object?>?>(null)));
        var before = await h.DeployAsync(Journey("score"));
        await h.Engine.Jobs.ActivateAsync(new JobActivation("score", "bot"));
        var after = await h.Engine.Deployments.ValidateAsync(Journey("score"));
        var handled = await h.Engine.Deployments.ValidateAsync(Journey("served"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(before.Report.Findings.Where(f => f.Code == "JOB_TYPE_UNSERVED").Select(f => (f.Severity, f.ElementId)),
                Is.EqualTo(new[] { (Workflows.Engine.Validation.FindingSeverity.Warning, (string?)"call") }));
            Assert.That(after.Findings.Select(f => f.Code), Does.Not.Contain("JOB_TYPE_UNSERVED"));
            Assert.That(handled.Findings.Select(f => f.Code), Does.Not.Contain("JOB_TYPE_UNSERVED"));
        }
    }

    [Test]
    public async Task An_activation_without_a_type_or_worker_or_with_counts_out_of_range_is_refused()
    {
        var jobs = new ProcessTestHarness().Engine.Jobs;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(() => jobs.ActivateAsync(new JobActivation(" ", "bot")), Throws.InstanceOf<WorkflowInputException>().With.Message.Contains("type"));
            Assert.That(() => jobs.ActivateAsync(new JobActivation("t", "")), Throws.InstanceOf<WorkflowInputException>().With.Message.Contains("worker"));
            Assert.That(() => jobs.ActivateAsync(new JobActivation("t", "bot") { MaxJobs = 0 }), Throws.InstanceOf<WorkflowInputException>());
            Assert.That(() => jobs.ActivateAsync(new JobActivation("t", "bot") { Timeout = TimeSpan.Zero }), Throws.InstanceOf<WorkflowInputException>());
            Assert.That(() => jobs.ActivateAsync(new JobActivation("t", "bot") { RequestTimeout = TimeSpan.FromSeconds(-1) }), Throws.InstanceOf<WorkflowInputException>());
        }
    }
}
