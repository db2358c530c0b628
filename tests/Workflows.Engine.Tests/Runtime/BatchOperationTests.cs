using Workflows.Engine.Runtime;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>Issue 15, item 4: batch operations over the instances a selection picks, run by the worker in chunks.</summary>
public sealed class BatchOperationTests
{
    private static readonly string s_line = Process("line", $"""
        <bpmn:startEvent id="start"/>{UserTask("a")}{UserTask("b")}<bpmn:endEvent id="end"/>{Chain("start", "a", "b", "end")}
        """);

    private static readonly string s_other = Process("other", $"""<bpmn:startEvent id="start"/>{UserTask("a")}{Chain("start", "a")}""");

    private static readonly string s_gate = Process("gate", $"""
        <bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="route"/>{UserTask("ok")}
        {Chain("start", "route")}{Flow("route", "ok", "=go")}
        """);

    private static async Task<(ProcessTestHarness H, List<ProcessInstanceHandle> Lines)> StartAsync(int lines)
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_line);
        await h.DeployAsync(s_other);
        var started = new List<ProcessInstanceHandle>();
        for (var i = 0; i < lines; i++)
        {
            started.Add(await h.StartAsync("line"));
        }

        await h.StartAsync("other");
        return (h, started);
    }

    [Test]
    public async Task A_cancel_batch_runs_in_chunks_with_progress_and_a_result_per_instance()
    {
        var (h, lines) = await StartAsync(5);
        await h.Engine.Runtime.CancelAsync(lines[0].Id);
        var ended = await h.StartAsync("line");
        await ended.CompleteUserTaskAsync("a");
        await ended.CompleteUserTaskAsync("b");

        var batch = await h.Engine.Operations.CreateBatchAsync(new CreateBatch(BatchKind.Cancel, new BatchSelection { ProcessId = "line" }, "journey withdrawn") { Actor = "olga" });
        var firstChunk = await h.Engine.Worker.RunBatchItemsAsync(3);
        var halfway = await h.Engine.Operations.GetBatchAsync(batch.Id);
        await h.Engine.Worker.RunBatchItemsAsync(3);
        var done = await h.Engine.Operations.GetBatchAsync(batch.Id);
        var results = await h.Engine.Operations.GetBatchResultsAsync(batch.Id, after: 0, max: 2);
        var rest = await h.Engine.Operations.GetBatchResultsAsync(batch.Id, after: results[^1].Seq);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(batch.Total, Is.EqualTo(4), "the active instances of 'line' only");
            Assert.That(firstChunk, Is.EqualTo(3));
            Assert.That((halfway.State, halfway.Done, halfway.Pending), Is.EqualTo((BatchState.Running, 3, 1)));
            Assert.That((done.State, done.Done, done.Pending, done.CompletedAt), Is.EqualTo((BatchState.Completed, 4, 0, (DateTimeOffset?)h.Clock.GetUtcNow())));
            Assert.That(results.Concat(rest).Select(r => r.Status), Is.EqualTo(Enumerable.Repeat(BatchItemStatus.Done, 4)));
            Assert.That(results.Concat(rest).Select(r => r.Seq), Is.EqualTo(new long[] { 1, 2, 3, 4 }));
            foreach (var line in lines.Skip(1))
            {
                Assert.That(await line.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Cancelled));
                Assert.That((await line.HistoryAsync()).Single(e => e.Kind == "batch-operation").Actor, Is.EqualTo("olga"));
            }

            Assert.That(await (await h.InstancesOfAsync("other")).Single().StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Active));
        }
    }

    [Test]
    public async Task An_instance_that_ended_after_the_batch_was_created_is_skipped_with_the_reason()
    {
        var (h, lines) = await StartAsync(2);
        var batch = await h.Engine.Operations.CreateBatchAsync(new CreateBatch(BatchKind.Cancel, new BatchSelection { ProcessId = "line" }, "cleanup"));
        await h.Engine.Runtime.CancelAsync(lines[1].Id);

        await h.Engine.Worker.RunBatchItemsAsync();

        var results = await h.Engine.Operations.GetBatchResultsAsync(batch.Id);
        var info = await h.Engine.Operations.GetBatchAsync(batch.Id);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(results.Single(r => r.InstanceId == lines[1].Id).Status, Is.EqualTo(BatchItemStatus.Skipped));
            Assert.That(results.Single(r => r.InstanceId == lines[1].Id).Detail, Does.Contain("cancelled"));
            Assert.That((info.Done, info.Skipped, info.State), Is.EqualTo((1, 1, BatchState.Completed)));
        }
    }

    [Test]
    public async Task A_paused_batch_takes_no_instance_until_it_is_resumed()
    {
        var (h, lines) = await StartAsync(3);
        var batch = await h.Engine.Operations.CreateBatchAsync(new CreateBatch(BatchKind.Cancel, new BatchSelection { ProcessId = "line" }, "cleanup"));

        var paused = await h.Engine.Operations.PauseBatchAsync(batch.Id);
        var whilePaused = await h.Engine.Worker.RunBatchItemsAsync();
        var resumed = await h.Engine.Operations.ResumeBatchAsync(batch.Id);
        await h.Engine.Worker.RunBatchItemsAsync();
        var completed = await h.Engine.Operations.GetBatchAsync(batch.Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(paused.State, Is.EqualTo(BatchState.Paused));
            Assert.That(whilePaused, Is.Zero);
            Assert.That(await lines[0].StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Cancelled));
            Assert.That(resumed.State, Is.EqualTo(BatchState.Running));
            Assert.That((completed.State, completed.Done), Is.EqualTo((BatchState.Completed, 3)));
            Assert.ThrowsAsync<WorkflowConflictException>(() => h.Engine.Operations.PauseBatchAsync(batch.Id));
        }
    }

    [Test]
    public async Task A_modify_batch_moves_every_selected_token_and_fails_with_the_reasons_where_the_instance_does_not_fit()
    {
        var (h, lines) = await StartAsync(3);
        await lines[2].CompleteUserTaskAsync("a");
        var batch = await h.Engine.Operations.CreateBatchAsync(new CreateBatch(BatchKind.Modify, new BatchSelection { ProcessId = "line" }, "skip a")
        {
            Modification = new BatchModification { Terminate = ["a"], Activate = ["b"], Variables = Vars(("skipped", true)) },
        });

        await h.Engine.Worker.RunBatchItemsAsync();

        var results = await h.Engine.Operations.GetBatchResultsAsync(batch.Id);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await lines[0].ActiveElementsAsync(), Is.EqualTo(new[] { "b" }));
            Assert.That(await lines[1].VariableAsync("skipped"), Is.EqualTo(true));
            Assert.That(results.Single(r => r.InstanceId == lines[2].Id).Status, Is.EqualTo(BatchItemStatus.Failed));
            Assert.That(results.Single(r => r.InstanceId == lines[2].Id).Detail, Does.Contain("'a': no instance of it is live"));
            Assert.That(await lines[2].VariableAsync("skipped"), Is.Null, "a failed item changes nothing");
        }
    }

    [Test]
    public async Task A_resolve_incidents_batch_retries_the_incidents_of_the_instances_that_have_one()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_gate);
        var stuck = await h.StartAsync("gate", Vars(("go", false)));
        var fine = await h.StartAsync("gate", Vars(("go", true)));
        await stuck.SetVariablesAsync(Vars(("go", true)));

        var batch = await h.Engine.Operations.CreateBatchAsync(new CreateBatch(BatchKind.ResolveIncidents, new BatchSelection { ProcessId = "gate", HasIncident = true }, "fixed go"));
        await h.Engine.Worker.RunBatchItemsAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(batch.Total, Is.EqualTo(1), "only the instance with an incident");
            Assert.That(await stuck.IncidentsAsync(), Is.Empty);
            Assert.That(await stuck.ActiveElementsAsync(), Is.EqualTo(new[] { "ok" }));
            Assert.That((await h.Engine.Operations.GetBatchAsync(batch.Id)).Done, Is.EqualTo(1));
            Assert.That(await fine.ActiveElementsAsync(), Is.EqualTo(new[] { "ok" }));
        }
    }

    [Test]
    public async Task A_batch_without_a_reason_a_filter_or_instructions_is_refused()
    {
        var h = new ProcessTestHarness();
        var ops = h.Engine.Operations;
        using (Assert.EnterMultipleScope())
        {
            Assert.ThrowsAsync<WorkflowInputException>(() => ops.CreateBatchAsync(new CreateBatch(BatchKind.Cancel, new BatchSelection { ProcessId = "x" }, "")));
            Assert.ThrowsAsync<WorkflowInputException>(() => ops.CreateBatchAsync(new CreateBatch(BatchKind.Cancel, new BatchSelection(), "all of them")));
            Assert.ThrowsAsync<WorkflowInputException>(() => ops.CreateBatchAsync(new CreateBatch(BatchKind.Modify, new BatchSelection { ProcessId = "x" }, "move")));
            Assert.ThrowsAsync<WorkflowNotFoundException>(() => ops.GetBatchAsync(Guid.NewGuid()));
        }
    }
}
