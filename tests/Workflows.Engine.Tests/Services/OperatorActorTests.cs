using Microsoft.Extensions.Time.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Services;

/// <summary>Every operator's command records who gave it: cancel, set variables, retry an incident, pause and resume a batch.</summary>
public sealed class OperatorActorTests
{
    private static readonly DateTimeOffset Start = new(2025, 1, 6, 9, 0, 0, TimeSpan.Zero);

    private static async Task<(WorkflowEngine Engine, FakeTimeProvider Time)> EngineAsync()
    {
        var time = new FakeTimeProvider(Start);
        var engine = new WorkflowEngine(new WorkflowEngineOptions(), time);
        await engine.Deployments.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="s"/>{ServiceTask("work", "call")}<bpmn:endEvent id="e"/>{Chain("s", "work", "e")}
            """));
        return (engine, time);
    }

    [Test]
    public async Task A_cancellation_names_who_cancelled_on_the_instances_history()
    {
        var (engine, _) = await EngineAsync();
        var id = await engine.Runtime.StartAsync(new StartInstance("p"));

        await engine.Runtime.CancelAsync(id, "sofia");
        var history = await engine.Queries.GetHistoryAsync(id);

        Assert.That(history.Single(h => h.Kind == "instance-cancelled").Actor, Is.EqualTo("sofia"));
    }

    [Test]
    public async Task Setting_variables_and_retrying_an_incident_name_who_did_it_on_the_instances_history()
    {
        var (engine, _) = await EngineAsync();
        var id = await engine.Runtime.StartAsync(new StartInstance("p"));
        var job = (await engine.Jobs.ActivateAsync(new JobActivation("call", "bot"))).Single();
        await engine.Jobs.AsLeaseHolder("bot").FailAsync(job.Id, "bureau down", retries: 0);
        var incident = (await engine.Queries.GetOpenIncidentsAsync()).Single(i => i.InstanceId == id);

        await engine.Runtime.SetVariablesAsync(id, new Dictionary<string, object?> { ["fixed"] = true }, "olga");
        await engine.Runtime.ResolveIncidentAsync(incident.Id, "otto");
        var history = await engine.Queries.GetHistoryAsync(id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(history.Single(h => h.Kind == "variables-set").Actor, Is.EqualTo("olga"));
            Assert.That(history.Single(h => h.Kind == "incident-resolved").Actor, Is.EqualTo("otto"));
        }
    }

    [Test]
    public async Task A_batch_lists_who_created_paused_and_resumed_it_in_order()
    {
        var (engine, time) = await EngineAsync();
        var id = await engine.Runtime.StartAsync(new StartInstance("p"));
        var batch = await engine.Operations.CreateBatchAsync(new CreateBatch(BatchKind.Cancel, new BatchSelection { InstanceIds = [id] }, "duplicates")
        {
            Actor = "olga",
            Paused = true,
        });

        time.Advance(TimeSpan.FromMinutes(1));
        await engine.Operations.ResumeBatchAsync(batch.Id, "otto");
        time.Advance(TimeSpan.FromMinutes(1));
        var paused = await engine.Operations.PauseBatchAsync(batch.Id, "olga");
        var again = await engine.Operations.PauseBatchAsync(batch.Id, "otto");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(paused.Steps.Select(s => (s.Action, s.Actor, s.At)), Is.EqualTo(new[]
            {
                ("created", (string?)"olga", Start), ("resumed", "otto", Start.AddMinutes(1)), ("paused", "olga", Start.AddMinutes(2)),
            }));
            Assert.That(again.Steps, Has.Count.EqualTo(3), "a pause of a paused batch changes nothing, so it writes no step");
        }
    }
}
