using NUnit.Framework;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>Issue 15, items 3 and 4: modifications and batch operations on every store.</summary>
public abstract partial class StoreSuite
{
    private static readonly string s_repairable = Process("repairable", $"""
        <bpmn:startEvent id="start"/>{UserTask("a")}
        <bpmn:subProcess id="sp"><bpmn:startEvent id="sp_start"/>{UserTask("b")}{Chain("sp_start", "b")}</bpmn:subProcess>
        <bpmn:boundaryEvent id="late" attachedToRef="sp"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
        {UserTask("chase")}{Chain("start", "a", "sp")}{Chain("late", "chase")}
        """);

    [Test]
    public async Task A_modification_is_stored_whole_and_a_later_command_on_another_engine_continues_from_it()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(s_repairable);
        var started = await h.StartAsync("repairable");
        await h.Engine.Operations.ModifyAsync(new ModifyInstance(started.Id, "customer called back") { Actor = "olga", Terminate = [new TerminateElement(null, "a")], Activate = [new ActivateElement("b")] });

        var other = await HarnessAsync();
        var instance = other.Instance(started.Id);
        var tasks = await instance.UserTasksAsync();
        await other.AdvanceTimeAsync(TimeSpan.FromHours(1));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(tasks.Select(t => t.ElementId), Is.EqualTo(new[] { "b" }));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "chase" }), "the sub-process the modification created kept its boundary timer");
            Assert.That((await instance.HistoryAsync()).Single(e => e.Kind == "instance-modified").Actor, Is.EqualTo("olga"));
        }
    }

    [Test]
    public async Task A_batch_half_done_by_one_engine_is_finished_by_another_and_no_instance_is_done_twice()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(s_repairable);
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await h.StartAsync("repairable")).Id);
        }

        var batch = await h.Engine.Operations.CreateBatchAsync(new CreateBatch(BatchKind.Cancel, new BatchSelection { InstanceIds = ids }, "withdrawn") { Actor = "olga" });
        await h.Engine.Worker.RunBatchItemsAsync(2);

        var other = await HarnessAsync();
        var ran = await other.Engine.Worker.RunBatchItemsAsync();
        var info = await other.Engine.Operations.GetBatchAsync(batch.Id);
        var results = await other.Engine.Operations.GetBatchResultsAsync(batch.Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ran, Is.EqualTo(3), "the items the first engine did are not taken again");
            Assert.That((info.State, info.Done, info.Pending), Is.EqualTo((BatchState.Completed, 5, 0)));
            Assert.That(results.Select(r => r.InstanceId), Is.EquivalentTo(ids));
            foreach (var id in ids)
            {
                var history = await other.Instance(id).HistoryAsync();
                Assert.That(history.Count(e => e.Kind == "instance-cancelled"), Is.EqualTo(1));
                Assert.That(history.Single(e => e.Kind == "batch-operation").Actor, Is.EqualTo("olga"));
            }
        }
    }

    [Test]
    public async Task A_batchs_pauses_and_resumes_are_kept_with_who_gave_them_and_read_by_another_engine()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(s_repairable);
        var id = (await h.StartAsync("repairable")).Id;
        var batch = await h.Engine.Operations.CreateBatchAsync(new CreateBatch(BatchKind.Cancel, new BatchSelection { InstanceIds = [id] }, "withdrawn") { Actor = "olga", Paused = true });
        await h.Engine.Operations.ResumeBatchAsync(batch.Id, "otto");
        h.Clock.Advance(TimeSpan.FromSeconds(1)); // the clock alone: the harness's advance would run the batch
        await h.Engine.Operations.PauseBatchAsync(batch.Id, "olga");
        var refused = await NewStore().SetBatchStateAsync(batch.Id, BatchState.Running, BatchState.Paused, null,
            new BatchStepRecord(Guid.NewGuid(), batch.Id, h.Clock.GetUtcNow(), "paused", "nobody"), default);

        var info = await (await HarnessAsync()).Engine.Operations.GetBatchAsync(batch.Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused, Is.False, "the batch is not running");
            Assert.That(info.Steps.Select(s => (s.Action, s.Actor)), Is.EqualTo(new[] { ("created", (string?)"olga"), ("resumed", "otto"), ("paused", "olga") }),
                "a step is written only with the state it moved");
        }
    }

    [Test]
    public async Task A_batch_item_is_leased_to_one_node_and_its_result_commits_only_while_it_is_pending()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(s_repairable);
        var id = (await h.StartAsync("repairable")).Id;
        var batch = await h.Engine.Operations.CreateBatchAsync(new CreateBatch(BatchKind.Cancel, new BatchSelection { InstanceIds = [id] }, "withdrawn"));
        var store = NewStore();
        var now = h.Clock.GetUtcNow();

        var first = await store.ClaimBatchItemsAsync(now, 10, "node-a", now.AddSeconds(30), CancellationToken.None);
        var second = await store.ClaimBatchItemsAsync(now.AddSeconds(10), 10, "node-b", now.AddSeconds(40), CancellationToken.None);
        var afterLease = await store.ClaimBatchItemsAsync(now.AddSeconds(31), 10, "node-b", now.AddSeconds(61), CancellationToken.None);
        var done = new ChangeSet();
        done.PartToFill<BatchChanges>().Results.Add(new BatchItemResult(first[0].Id, BatchItemStatus.Done, null, now));
        await store.CommitAsync(done, CancellationToken.None);
        var again = new ChangeSet();
        again.PartToFill<BatchChanges>().Results.Add(new BatchItemResult(first[0].Id, BatchItemStatus.Failed, "late", now));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Select(i => (i.BatchId, i.InstanceId, i.Seq)), Is.EqualTo(new[] { (batch.Id, id, 1L) }));
            Assert.That(second, Is.Empty, "node-a's lease holds");
            Assert.That(afterLease.Select(i => i.Id), Is.EqualTo(first.Select(i => i.Id)), "a lease that ran out is taken over");
            Assert.ThrowsAsync<ConcurrencyConflictException>(async () => await store.CommitAsync(again, CancellationToken.None));
            Assert.That((await store.GetBatchItemAsync(first[0].Id, CancellationToken.None))!.Status, Is.EqualTo(BatchItemStatus.Done));
            Assert.That(await store.ClaimBatchItemsAsync(now.AddHours(1), 10, "node-c", now.AddHours(2), CancellationToken.None), Is.Empty, "a done item is never claimed");
        }
    }

    [Test]
    public async Task A_batch_selection_filters_by_journey_version_branch_state_and_incident()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(s_repairable);
        await h.DeployAsync(Process("gated", $"""<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g"/>{UserTask("t")}{Chain("s", "g")}{Flow("g", "t", "=go")}"""));
        var plain = await h.StartAsync("repairable");
        var stuck = await h.StartAsync("gated", Vars(("go", false)));
        var fine = await h.StartAsync("gated", Vars(("go", true)));
        var store = NewStore();

        async Task<IReadOnlyList<Guid>> Select(BatchSelection s) => await store.SelectBatchInstancesAsync(s with { InstanceIds = s.InstanceIds ?? [plain.Id, stuck.Id, fine.Id] }, [], null, 100, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await Select(new BatchSelection { ProcessId = "gated" }), Is.EquivalentTo(new[] { stuck.Id, fine.Id }));
            Assert.That(await Select(new BatchSelection { ProcessId = "gated", HasIncident = true }), Is.EqualTo(new[] { stuck.Id }));
            Assert.That(await Select(new BatchSelection { HasIncident = false }), Is.EquivalentTo(new[] { plain.Id, fine.Id }));
            Assert.That(await Select(new BatchSelection { Version = 2 }), Is.Empty);
            Assert.That(await Select(new BatchSelection { Branch = "nowhere" }), Is.Empty);
            Assert.That(await Select(new BatchSelection { Status = ProcessInstanceStatus.Cancelled }), Is.Empty);
            var all = await Select(new BatchSelection { Version = 1 });
            var page = await store.SelectBatchInstancesAsync(new BatchSelection { InstanceIds = [plain.Id, stuck.Id, fine.Id] }, [], all[0], 100, CancellationToken.None);
            Assert.That(page, Is.EqualTo(all.Skip(1)), "keyset paging by id");
        }
    }
    [Test]
    public async Task A_batch_selects_by_equality_and_ranges_on_searchable_variables_what_a_search_finds_and_refuses_undeclared_ones()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(Searchable("batch-by-vars"));
        var small = await h.StartAsync("batch-by-vars", Vars(("amount", 50), ("customer", "c-1"), ("received", "2026-11-02")));
        var middle = await h.StartAsync("batch-by-vars", Vars(("amount", 500), ("customer", "c-1"), ("received", "2026-11-20")));
        var large = await h.StartAsync("batch-by-vars", Vars(("amount", 1500.5m), ("customer", "c-2"), ("received", "2026-12-01")));
        VariableFilter[] range = [new("amount", VariableComparison.GreaterOrEqual, 100), new("amount", VariableComparison.LessThan, "2000"), new("customer", VariableComparison.Equal, "c-1")];

        var searched = await h.Engine.Inspection.SearchInstancesAsync(new InstanceQuery { ProcessId = "batch-by-vars", Variables = range });
        var batch = await h.Engine.Operations.CreateBatchAsync(new CreateBatch(BatchKind.Cancel, new BatchSelection { ProcessId = "batch-by-vars", Variables = range }, "mid-sized, c-1"));
        var byDate = await h.Engine.Operations.CreateBatchAsync(new CreateBatch(BatchKind.Cancel,
            new BatchSelection { ProcessId = "batch-by-vars", Variables = [new("received", VariableComparison.GreaterThan, "2026-11-10"), new("received", VariableComparison.LessOrEqual, "2026-12-01T00:00:00Z")] }, "by date") { Paused = true });
        await h.Engine.Worker.RunBatchItemsAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(searched.Instances.Select(i => i.Id), Is.EqualTo(new[] { middle.Id }));
            Assert.That((await h.Engine.Operations.GetBatchResultsAsync(batch.Id)).Select(r => r.InstanceId), Is.EqualTo(new[] { middle.Id }), "the batch picks what the search lists");
            Assert.That((await h.Engine.Queries.GetInstanceAsync(middle.Id)).Status, Is.EqualTo(ProcessInstanceStatus.Cancelled));
            Assert.That((await h.Engine.Queries.GetInstanceAsync(small.Id)).Status, Is.EqualTo(ProcessInstanceStatus.Active));
            Assert.That((await h.Engine.Operations.GetBatchResultsAsync(byDate.Id)).Select(r => r.InstanceId), Is.EquivalentTo(new[] { middle.Id, large.Id }),
                "dates compare as instants; the selection is resolved when the batch is created");
            Assert.ThrowsAsync<WorkflowInputException>(async () => await h.Engine.Operations.CreateBatchAsync(new CreateBatch(BatchKind.Cancel,
                new BatchSelection { ProcessId = "batch-by-vars", Variables = [new("status", VariableComparison.Equal, "x")] }, "undeclared")));
            Assert.ThrowsAsync<WorkflowInputException>(async () => await h.Engine.Operations.CreateBatchAsync(new CreateBatch(BatchKind.Cancel,
                new BatchSelection { ProcessId = "batch-by-vars", Variables = [new("amount", VariableComparison.Equal, "lots")] }, "not a number")));
        }
    }
}
