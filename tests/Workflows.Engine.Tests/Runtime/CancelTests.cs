using Workflows.Engine.Feel;
using Workflows.Engine.Runtime;
using Workflows.Engine.Testing;
using Workflows.Engine.Validation;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

public sealed class CancelTests
{
    private static readonly string s_asyncJob = Process("slow", """
        <bpmn:startEvent id="start"/>
        <bpmn:serviceTask id="score"><bpmn:extensionElements><wf:taskDefinition type="score" retries="3" async="true"/></bpmn:extensionElements></bpmn:serviceTask>
        <bpmn:endEvent id="end"/>
        <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="score"/><bpmn:sequenceFlow id="f2" sourceRef="score" targetRef="end"/>
        """);

    private static ValueTask<IReadOnlyDictionary<string, object?>?> Result(string name, object? value) =>
        ValueTask.FromResult<IReadOnlyDictionary<string, object?>?>(Vars((name, value)));

    [Test]
    public async Task A_handler_running_when_its_instance_is_cancelled_is_told_to_stop_and_its_late_result_is_refused_quietly()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sawCancel = false;
        var h = new ProcessTestHarness(configure: o => o.AddHandler("score", async (_, ct) =>
        {
            started.SetResult();
            await release.Task;
            sawCancel = ct.IsCancellationRequested; // this handler finishes anyway, as a careless one would
            return Vars(("score", 700));
        }));
        await h.DeployAsync(s_asyncJob);
        var instance = await h.StartAsync("slow");

        var running = h.Engine.Worker.RunDueJobsAsync();
        await started.Task;
        await h.Engine.Runtime.CancelAsync(instance.Id);
        release.SetResult();
        var ran = await running;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ran, Is.EqualTo(1));
            Assert.That(sawCancel, Is.True);
            Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Cancelled));
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
            Assert.That(await instance.JobsAsync(), Is.Empty);
            Assert.That(await instance.VariableAsync("score"), Is.Null);
            Assert.That((await instance.HistoryAsync()).Select(e => e.Kind), Has.None.EqualTo("job-completed").And.None.EqualTo("job-failed"));
        }
    }

    [Test]
    public async Task A_handler_that_stops_on_its_token_when_the_instance_is_cancelled_neither_fails_the_job_nor_the_worker()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var h = new ProcessTestHarness(configure: o => o.AddHandler("score", async (_, ct) =>
        {
            started.SetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return Vars(("score", 700));
        }));
        await h.DeployAsync(s_asyncJob);
        var instance = await h.StartAsync("slow");

        var running = h.Engine.Worker.RunDueJobsAsync();
        await started.Task;
        await h.Engine.Runtime.CancelAsync(instance.Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await running, Is.EqualTo(1));
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
            Assert.That((await instance.HistoryAsync()).Select(e => e.Kind), Has.None.EqualTo("job-failed"));
        }
    }

    [Test]
    public async Task A_task_completion_whose_handler_runs_when_the_instance_is_cancelled_commits_nothing_and_is_refused_as_a_conflict()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerRuns = 0;
        var h = new ProcessTestHarness(configure: o => o.AddHandler("notify", async (_, ct) =>
        {
            handlerRuns++;
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return Vars(("sent", true));
        }));
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>{UserTask("review")}{ServiceTask("notify", "notify")}{UserTask("after")}
            {Chain("start", "review", "notify", "after")}
            """));
        var instance = await h.StartAsync("p");
        var task = (await instance.UserTasksAsync()).Single();

        var completing = h.Engine.Tasks.CompleteAsync(task.Id, Vars(("ok", true)));
        await started.Task;
        await h.Engine.Runtime.CancelAsync(instance.Id);

        var refused = Assert.ThrowsAsync<WorkflowConflictException>(() => completing);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused!.Message, Does.Contain("cancelled"));
            Assert.That(handlerRuns, Is.EqualTo(1), "the command ran again on the cancelled state, not the handler");
            Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Cancelled));
            Assert.That(await instance.VariableAsync("ok"), Is.Null);
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
            Assert.That((await instance.HistoryAsync()).Select(e => e.ElementId), Has.None.EqualTo("after"));
        }
    }

    [Test]
    public async Task A_FEEL_evaluation_running_when_its_instance_is_cancelled_stops_and_its_command_commits_nothing()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerRuns = 0;

        // A script that would run for many minutes within its budgets: only the cancel can stop it in time.
        var h = new ProcessTestHarness(configure: o =>
        {
            o.Parser = new BpmnParserOptions { Feel = new FeelLimits { MaxSteps = int.MaxValue, MaxAllocation = long.MaxValue, MaxEvaluationTime = TimeSpan.FromHours(1) } };
            o.AddHandler("notify", (_, _) =>
            {
                handlerRuns++;
                started.TrySetResult();
                return Result("sent", true);
            });
        });
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>{UserTask("review")}{ServiceTask("notify", "notify")}
            <bpmn:scriptTask id="spin"><bpmn:extensionElements><zeebe:script expression="=every x in 1..100000, y in 1..100000 satisfies x > 0" resultVariable="r"/></bpmn:extensionElements></bpmn:scriptTask>
            {UserTask("after")}
            {Chain("start", "review", "notify", "spin", "after")}
            """));
        var instance = await h.StartAsync("p");
        var task = (await instance.UserTasksAsync()).Single();

        // On a thread of its own: the evaluation holds the thread that runs the command.
        var completing = Task.Run(() => h.Engine.Tasks.CompleteAsync(task.Id, Vars(("ok", true))));
        await started.Task;
        await h.Engine.Runtime.CancelAsync(instance.Id);

        var refused = Assert.ThrowsAsync<WorkflowConflictException>(() => completing.WaitAsync(TimeSpan.FromSeconds(60)));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused!.Message, Does.Contain("cancelled"));
            Assert.That(handlerRuns, Is.EqualTo(1), "the command ran again on the cancelled state, not the handler");
            Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Cancelled));
            Assert.That(await instance.VariableAsync("ok"), Is.Null);
            Assert.That(await instance.VariableAsync("sent"), Is.Null);
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
            Assert.That((await instance.HistoryAsync()).Select(e => e.ElementId), Has.None.EqualTo("notify").And.None.EqualTo("spin"));
        }
    }

    [Test]
    public async Task A_timer_firing_when_its_instance_is_cancelled_commits_nothing_and_the_firing_ends_quietly()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var h = new ProcessTestHarness(configure: o => o.AddHandler("notify", async (_, ct) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return Vars(("sent", true));
        }));
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
            {ServiceTask("notify", "notify")}{UserTask("after")}
            {Chain("start", "wait", "notify", "after")}
            """));
        var instance = await h.StartAsync("p");

        var firing = h.AdvanceTimeAsync(TimeSpan.FromHours(2));
        await started.Task;
        await h.Engine.Runtime.CancelAsync(instance.Id);
        await firing;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Cancelled));
            Assert.That(await instance.VariableAsync("sent"), Is.Null);
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
            Assert.That((await instance.HistoryAsync()).Select(e => e.ElementId), Has.None.EqualTo("after"));
        }
    }

    [Test]
    public async Task Cancelling_an_instance_closes_its_tasks_jobs_timers_and_subscriptions()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:parallelGateway id="split"/>
            {UserTask("review")}{ServiceTask("sync", "crm")}
            <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
            <bpmn:receiveTask id="reply" messageRef="m"/>
            {Chain("start", "split", "review")}{Flow("split", "sync")}{Flow("split", "wait")}{Flow("split", "reply")}
            """, definitions: Message("m", "reply", "=key")));
        var instance = await h.StartAsync("p", Vars(("key", "k-1")));

        await h.Engine.Runtime.CancelAsync(instance.Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.UserTasksAsync(), Is.Empty);
            Assert.That(await instance.JobsAsync(), Is.Empty);
            Assert.That(await h.Engine.Worker.GetNextTimerDueAsync(), Is.Null);
            Assert.That((await h.CorrelateAsync("reply", "k-1")).CorrelatedInstances, Is.Zero);
        }
    }
}
