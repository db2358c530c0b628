using Workflows.Engine.Services;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

public sealed class WorkerTests
{
    private static string AsyncTask(string type, string extra = "") => Process("p", $"""
        <bpmn:startEvent id="s"/>
        <bpmn:serviceTask id="call"><bpmn:extensionElements><wf:taskDefinition type="{type}" retries="3" async="true"/></bpmn:extensionElements></bpmn:serviceTask>
        {extra}
        {UserTask("after")}
        {Chain("s", "call", "after")}
        """);

    [Test]
    public async Task An_async_service_task_waits_as_a_job_until_the_executor_runs_its_handler()
    {
        var calls = 0;
        var h = new ProcessTestHarness(configure: o => o.AddHandler("crm", (ctx, _) =>
        {
            calls++;
            return ValueTask.FromResult<IReadOnlyDictionary<string, object?>?>(Vars(("crmId", "X-" + ctx.BusinessKey)));
        }));
        await h.DeployAsync(AsyncTask("crm"));
        var instance = await h.StartAsync("p", businessKey: "B1");
        Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "call" }), "committed before the handler runs");

        var ran = await h.Engine.Worker.RunDueJobsAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ran, Is.EqualTo(1));
            Assert.That(calls, Is.EqualTo(1));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
            Assert.That(await instance.VariableAsync("crmId"), Is.EqualTo("X-B1"));
        }
    }

    [Test]
    public async Task A_failing_async_handler_is_retried_with_exponential_backoff_and_then_becomes_an_incident()
    {
        var attempts = new List<DateTimeOffset>();
        ProcessTestHarness? h = null;
        h = new ProcessTestHarness(configure: o =>
        {
            o.Worker.RetryBackoff = TimeSpan.FromSeconds(10);
            o.AddHandler("flaky", (_, _) =>
            {
                attempts.Add(h!.Clock.GetUtcNow());
                throw new TimeoutException("CRM did not answer");
            });
        });
        await h.DeployAsync(AsyncTask("flaky"));
        var instance = await h.StartAsync("p");

        for (var i = 0; i < 10; i++)
        {
            await h.Engine.Worker.RunDueJobsAsync();
            await h.AdvanceTimeAsync(TimeSpan.FromSeconds(5));
        }

        var start = ProcessTestHarness.DefaultStart;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(attempts, Is.EqualTo(new[] { start, start.AddSeconds(10), start.AddSeconds(30) }), "back-off 10 s, then 20 s");
            Assert.That((await instance.IncidentsAsync()).Single().Message, Does.Contain("CRM did not answer"));
            Assert.That(await h.Engine.Jobs.GetWaitingAsync(), Is.Empty);
        }
    }

    [Test]
    public async Task A_wait_opened_and_closed_by_one_command_leaves_no_row_behind()
    {
        var h = new ProcessTestHarness(configure: o => o.AddHandler("quick", (_, _) => ValueTask.FromResult<IReadOnlyDictionary<string, object?>?>(null)));
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="s"/>{ServiceTask("call", "quick")}
            <bpmn:boundaryEvent id="late" attachedToRef="call"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
            {UserTask("after")}{UserTask("lateTask")}
            {Chain("s", "call", "after")}{Chain("late", "lateTask")}
            """));

        await h.StartAsync("p");

        Assert.That(await h.Engine.Worker.GetNextTimerDueAsync(), Is.Null);
    }

    [TestCase(nameof(WorkflowWorkerOptions.TimerBatchSize))]
    [TestCase(nameof(WorkflowWorkerOptions.PollInterval))]
    [TestCase(nameof(WorkflowWorkerOptions.LeaseDuration))]
    [TestCase(nameof(WorkflowWorkerOptions.MaxFaultBackoff))]
    public void An_engine_with_an_invalid_setting_refuses_to_start_and_names_it(string setting)
    {
        var options = new WorkflowEngineOptions();
        switch (setting)
        {
            case nameof(WorkflowWorkerOptions.TimerBatchSize):
                options.Worker.TimerBatchSize = 0;
                break;
            case nameof(WorkflowWorkerOptions.PollInterval):
                options.Worker.PollInterval = TimeSpan.Zero;
                break;
            case nameof(WorkflowWorkerOptions.MaxFaultBackoff):
                options.Worker.MaxFaultBackoff = options.Worker.FaultBackoff / 2;
                break;
            default:
                options.Worker.LeaseDuration = TimeSpan.FromSeconds(-1);
                break;
        }

        Assert.That(() => new WorkflowEngine(options), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains($"WorkflowEngineOptions.Worker.{setting}"));
    }
}
