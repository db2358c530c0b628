using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Workflows.Engine.Services;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Services;

public sealed class RegistrationTests
{
    [Test]
    public async Task A_host_with_a_wrong_worker_setting_refuses_to_start_and_names_it()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddWorkflowsEngine(options => options.Worker.PollInterval = TimeSpan.Zero);
        using var host = builder.Build();

        var refused = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(refused.Message, Does.Contain("WorkflowEngineOptions.Worker.PollInterval must be positive"));
        await host.StopAsync();
    }

    [Test]
    public async Task A_registered_engine_is_one_shared_instance_configured_with_the_services_at_hand()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 1, 6, 9, 0, 0, TimeSpan.Zero));
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddSingleton(new Greeting("hello"));
        builder.Services.AddWorkflowsEngine((options, services) => options.AddHandler("greet", (_, _) =>
            ValueTask.FromResult<IReadOnlyDictionary<string, object?>?>(new Dictionary<string, object?> { ["said"] = services.GetRequiredService<Greeting>().Text })));
        using var host = builder.Build();
        await host.StartAsync();

        var engine = host.Services.GetRequiredService<WorkflowEngine>();
        await engine.Deployments.DeployAsync(Process("p", $"""<bpmn:startEvent id="s"/>{ServiceTask("t", "greet")}{UserTask("after")}{Chain("s", "t", "after")}"""));
        var id = await engine.Runtime.StartAsync(new StartInstance("p"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(host.Services.GetRequiredService<WorkflowEngine>(), Is.SameAs(engine));
            Assert.That((await engine.Queries.GetInstanceAsync(id)).Variables["said"], Is.EqualTo("hello"));
            Assert.That(engine.Worker.Status.State, Is.EqualTo(WorkerState.Stopped), "no worker unless the host asks for one");
        }

        await host.StopAsync();
    }

    [Test]
    public async Task The_background_worker_runs_while_the_host_runs_and_fires_due_timers()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddWorkflowsEngine(options => options.Worker.PollInterval = TimeSpan.FromMilliseconds(20)).AddBackgroundWorker();
        using var host = builder.Build();
        await host.StartAsync();
        var engine = host.Services.GetRequiredService<WorkflowEngine>();
        await engine.Deployments.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="s"/>
            <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT0.05S</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
            {UserTask("after")}{Chain("s", "wait", "after")}
            """));
        var id = await engine.Runtime.StartAsync(new StartInstance("p"));

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await engine.Tasks.GetOpenAsync(id)).Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await engine.Tasks.GetOpenAsync(id)).Select(t => t.ElementId), Is.EqualTo(new[] { "after" }));
            Assert.That(engine.Worker.Status.State, Is.EqualTo(WorkerState.Running));
        }

        await host.StopAsync();
        Assert.That(engine.Worker.Status.State, Is.EqualTo(WorkerState.Stopped));
    }

    private sealed record Greeting(string Text);
}
