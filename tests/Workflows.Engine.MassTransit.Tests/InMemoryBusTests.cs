using global::MassTransit;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.MassTransit.Tests;

/// <summary>
/// The bus suite on the in-memory transport, and what only it has: a published message lives in the process until every
/// engine of the node is done with it, so its outbox row is marked published only then (<see cref="InMemoryHandoffs"/>).
/// </summary>
[TestFixture]
public sealed class InMemoryBusTests : BusSuite
{
    protected override bool OnRabbitMq => false;

    // A process that stops (or is killed) while an engine still holds a message must leave its row unpublished, for the
    // next process to publish it again. Here the back office cannot commit (its database is locked): it holds the request.
    [Test]
    public async Task A_handoff_no_engine_took_before_its_node_stopped_is_published_again_by_the_next_node_and_taken_once()
    {
        var (front, back) = await FrontAndBackAsync(backBusySeconds: 1);
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Guid frontId;
        await using (await LockAsync("back"))
        {
            var first = await StartNodeAsync(b => b.Engine(front, Unique("front")).Engine(back, Unique("back")).Endpoint(Unique("spy"), e => e.Handler<WorkflowMessage>(_ =>
            {
                seen.TrySetResult();
                return Task.CompletedTask;
            })));

            frontId = await front.Runtime.StartAsync(new StartInstance("front") { Variables = Vars(("caseId", "case-1")) });
            await seen.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await first.DisposeAsync();
        }

        var whileNoEngineTookIt = (await front.Queries.GetOutgoingMessagesAsync(frontId)).Single().PublishedAt;
        await StartNodeAsync(b => b.Engine(front, Unique("front")).Engine(back, Unique("back")));
        await WaitForAsync(() => BackOfficeTaskAsync(back), "the back-office task, from the request published again");
        await WaitUntilAsync(async () => (await front.Queries.GetOutgoingMessagesAsync(frontId)).Single().PublishedAt is not null, "the request's row marked published once taken");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(whileNoEngineTookIt, Is.Null, "a message published that the engine it was for did not take is not marked published");
            Assert.That((await back.Queries.FindInstancesAsync("back")).Count, Is.EqualTo(1), "one back-office case");
        }
    }

    // Round 16 marked the row as soon as one engine was done with its copy: the front office refusing its own request as
    // poison (nothing of it waits for one) marked it while the back office had not taken it, and a kill then lost it.
    [Test]
    public async Task A_message_one_engine_refuses_is_marked_published_only_once_the_engine_it_was_for_took_it()
    {
        var front = await NewEngineAsync("front");
        var back = await NewEngineAsync("back");
        await front.Deployments.DeployAsync(Journeys.Untargeted);
        await back.Deployments.DeployAsync(Journeys.Back);
        var frontQueue = Unique("front");
        var refused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var locked = await LockAsync("back"); // the back office's command waits for the file
        await StartNodeAsync(b => b.Engine(front, frontQueue).Engine(back, Unique("back")).Endpoint($"{frontQueue}_error", ErrorQueue(_ => refused.TrySetResult())));

        var frontId = await front.Runtime.StartAsync(new StartInstance("front") { Variables = Vars(("caseId", "case-1")) });
        await refused.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(500); // time enough for the relay to mark the row on the refusal alone, if it could
        var released = DateTimeOffset.UtcNow;
        await locked.DisposeAsync();

        await WaitForAsync(() => BackOfficeTaskAsync(back), "the back-office task");
        var publishedAt = await WaitForAsync(async () => (await front.Queries.GetOutgoingMessagesAsync(frontId)).Single().PublishedAt is { } at ? (object)at : null, "the request's row marked published");
        Assert.That((DateTimeOffset)publishedAt, Is.GreaterThan(released), "marked once the back office took it, not when the front office refused it");
    }

    // A message for a process no engine of the node runs is dropped by every engine, as a broker's queues would: its row is
    // marked at once. Round 16 kept it in transit for 30 s, holding a place in the relay's batch (all of it here).
    [Test]
    public async Task A_message_no_engine_of_the_node_runs_is_marked_at_once_and_the_handoffs_behind_it_go_on()
    {
        var front = await NewEngineAsync("front");
        var back = await NewEngineAsync("back");
        await front.Deployments.DeployAsync(Journeys.Front);
        await front.Deployments.DeployAsync(Journeys.Stray);
        await back.Deployments.DeployAsync(Journeys.Back);
        var options = BusOptions();
        options.RelayBatchSize = 1; // one row at a time: a message held in transit would stop every row behind it
        await StartNodeAsync(b => b.Engine(front, Unique("front")).Engine(back, Unique("back")), options);

        var stray = await front.Runtime.StartAsync(new StartInstance("stray") { Variables = Vars(("caseId", "stray-1")) });
        for (var i = 0; i < 3; i++)
        {
            await front.Runtime.StartAsync(new StartInstance("front") { Variables = Vars(("caseId", $"case-{i}")) });
        }

        await WaitUntilAsync(async () => (await back.Tasks.QueryAsync(new TaskQuery { Queues = ["back-office"] })).Tasks.Count == 3,
            "the three handoffs behind the message no engine runs", seconds: 20);
        Assert.That((await front.Queries.GetOutgoingMessagesAsync(stray)).Single().PublishedAt, Is.Not.Null, "the message nobody runs was marked before the rows behind it went");
    }

    // An engine that gives a message up (it failed however often it was retried) leaves it in an error queue of the
    // process that nobody reads: the row is published again instead, and the engine takes it once it can.
    [Test]
    public async Task A_message_an_engine_gave_up_is_published_again_and_taken_once()
    {
        var (front, back) = await FrontAndBackAsync(backBusySeconds: 1);
        var backQueue = Unique("back");
        var gaveUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var locked = await LockAsync("back");
        await StartNodeAsync(b => b.Engine(front, Unique("front")).Engine(back, backQueue).Endpoint($"{backQueue}_error", ErrorQueue(_ => gaveUp.TrySetResult())));

        var frontId = await front.Runtime.StartAsync(new StartInstance("front") { Variables = Vars(("caseId", "case-1")) });
        await gaveUp.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var afterGivingUp = (await front.Queries.GetOutgoingMessagesAsync(frontId)).Single().PublishedAt;
        await locked.DisposeAsync();

        await WaitForAsync(() => BackOfficeTaskAsync(back), "the back-office task, from the request published again");
        await WaitUntilAsync(async () => (await front.Queries.GetOutgoingMessagesAsync(frontId)).Single().PublishedAt is not null, "the request's row marked published once taken");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(afterGivingUp, Is.Null, "a message the engine it was for gave up is not marked published");
            Assert.That((await back.Queries.FindInstancesAsync("back")).Count, Is.EqualTo(1), "one back-office case");
        }
    }

    // Round 16 took a message out of transit when an engine answered, before its row was marked: a relay read in between
    // found the row unpublished and published it again, and every engine did it twice.
    [Test]
    public async Task Under_a_stream_of_handoffs_each_message_is_published_once()
    {
        const int cases = 200;
        var front = await NewEngineAsync("front");
        var back = await NewEngineAsync("back");
        await front.Deployments.DeployAsync(Journeys.Untargeted);
        await back.Deployments.DeployAsync(Journeys.Back);
        var published = new System.Collections.Concurrent.ConcurrentDictionary<Guid, int>();
        await StartNodeAsync(b => b.Engine(front, Unique("front")).Engine(back, Unique("back")).Endpoint(Unique("spy"), e => e.Handler<WorkflowMessage>(context =>
        {
            published.AddOrUpdate(context.MessageId!.Value, 1, (_, n) => n + 1);
            return Task.CompletedTask;
        })));

        await Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            for (var i = worker; i < cases; i += 4)
            {
                await front.Runtime.StartAsync(new StartInstance("front") { Variables = Vars(("caseId", $"case-{i}")) });
            }
        })));
        await WaitUntilAsync(async () => (await front.Queries.GetOutgoingMessagesAsync()).All(m => m.PublishedAt is not null), $"the {cases} requests' rows marked", seconds: 60);

        // The spy is no engine: a row is marked once the engines are done with it, not the spy, which may still be behind.
        await WaitUntilAsync(() => Task.FromResult(published.Count >= cases), $"the spy saw the {cases} requests", seconds: 60);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(published, Has.Count.EqualTo(cases));
            Assert.That(published.Where(p => p.Value > 1).Select(p => p.Key), Is.Empty, "no message published twice");
            Assert.That((await back.Queries.FindInstancesAsync("back", max: 2 * cases)).Count, Is.EqualTo(cases));
        }
    }

    // Round 20: the stream test once counted 50 of 200 at its spy when every row was marked. A subscriber that is no engine
    // is not waited for (only the engines' answers mark a row), but the transport put its copy in its queue when the relay
    // published: held until every row is marked, it still gets each message once, late, none lost while the process runs.
    [Test]
    public async Task A_subscriber_that_is_no_engine_gets_every_message_once_even_if_it_takes_none_before_the_rows_are_marked()
    {
        const int cases = 60;
        var front = await NewEngineAsync("front");
        var back = await NewEngineAsync("back");
        await front.Deployments.DeployAsync(Journeys.Untargeted);
        await back.Deployments.DeployAsync(Journeys.Back);
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<Guid, int>();
        await StartNodeAsync(b => b.Engine(front, Unique("front")).Engine(back, Unique("back")).Endpoint(Unique("spy"), e => e.Handler<WorkflowMessage>(async context =>
        {
            await held.Task;
            seen.AddOrUpdate(context.MessageId!.Value, 1, (_, n) => n + 1);
        })));

        for (var i = 0; i < cases; i++)
        {
            await front.Runtime.StartAsync(new StartInstance("front") { Variables = Vars(("caseId", $"case-{i}")) });
        }

        await WaitUntilAsync(async () => (await back.Queries.FindInstancesAsync("back", max: 2 * cases)).Count == cases, $"the {cases} back-office cases", seconds: 60);
        await WaitUntilAsync(async () => (await front.Queries.GetOutgoingMessagesAsync()).All(m => m.PublishedAt is not null), $"the {cases} requests' rows marked", seconds: 60);
        var seenWhileHeld = seen.Count;
        held.SetResult();
        await WaitUntilAsync(() => Task.FromResult(seen.Count >= cases), $"the spy's {cases} requests, once it is let go", seconds: 60);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(seenWhileHeld, Is.Zero, "the rows were marked while the spy had taken none");
            Assert.That(seen.Keys, Is.EquivalentTo((await front.Queries.GetOutgoingMessagesAsync()).Select(m => m.Id)), "every request, none lost");
            Assert.That(seen.Values, Is.All.EqualTo(1), "each once");
        }
    }

    // Review 18 F7: a message refused for good (a handoff that must correlate and finds nothing waiting) was marked
    // published and left in the process's in-memory error queue, which nobody reads and a restart empties. It is parked
    // now, with the refusal as reason, and an operator sends it again once the receiver is deployed.
    [Test]
    public async Task A_handoff_the_engine_it_is_for_refuses_for_good_is_parked_with_the_refusal_and_sent_again_once_the_receiver_is_deployed()
    {
        var front = await NewEngineAsync("front");
        var back = await NewEngineAsync("back");
        await front.Deployments.DeployAsync(Journeys.Front);
        await back.Deployments.DeployAsync(Process("back", """
            <bpmn:startEvent id="start"/>
            <bpmn:userTask id="other"/>
            <bpmn:endEvent id="end"/>
            """ + Chain("start", "other", "end")));
        await StartNodeAsync(b => b.Engine(front, Unique("front")).Engine(back, Unique("back")));

        var frontId = await front.Runtime.StartAsync(new StartInstance("front") { Variables = Vars(("caseId", "case-f7")) });
        var parked = await WaitForAsync(async () => (await front.Queries.GetParkedMessagesAsync()).SingleOrDefault(), "the refused handoff parked");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(parked.InstanceId, Is.EqualTo(frontId));
            Assert.That(parked.ParkedReason, Does.StartWith("refused for good: ").And.Contain("cannot be correlated"));
            Assert.That(await back.Queries.FindInstancesAsync("back"), Is.Empty);
        }

        await back.Deployments.DeployAsync(Journeys.Back);
        await front.Operations.SendParkedMessageAgainAsync(parked.Id);
        var task = await WaitForAsync(() => BackOfficeTaskAsync(back), "the back-office task, from the message sent again");
        await WaitUntilAsync(async () => (await front.Queries.GetOutgoingMessagesAsync(frontId)).Single() is { PublishedAt: not null, ParkedAt: null }, "the row marked published");
        Assert.That((await back.Queries.GetInstanceAsync(task.InstanceId)).Variables["caseId"], Is.EqualTo("case-f7"));
    }

    // Review 19 F2: a handoff whose target process no engine of the node runs (not deployed yet) was left by every engine
    // and marked delivered: published, never parked, gone. This transport has no other node to take it: it is parked.
    [Test]
    public async Task A_handoff_whose_target_process_is_not_deployed_yet_is_parked_not_marked_delivered()
    {
        var front = await NewEngineAsync("front");
        var back = await NewEngineAsync("back"); // the receiver's engine runs, its process is not deployed yet
        await front.Deployments.DeployAsync(Journeys.Front);
        await StartNodeAsync(b => b.Engine(front, Unique("front")).Engine(back, Unique("back")));

        var frontId = await front.Runtime.StartAsync(new StartInstance("front") { Variables = Vars(("caseId", "case-r19")) });
        await WaitUntilAsync(async () => (await front.Queries.GetOutgoingMessagesAsync(frontId)).SingleOrDefault() is { PublishedAt: not null }, "the handoff's row settled");
        var row = (await front.Queries.GetOutgoingMessagesAsync(frontId)).Single();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(row.ParkedAt, Is.Not.Null, $"parked for an operator; it was marked published at {row.PublishedAt:O} with reason '{row.ParkedReason}'");
            Assert.That(await front.Queries.GetParkedMessagesAsync(), Has.Count.EqualTo(1));
        }
    }
}
