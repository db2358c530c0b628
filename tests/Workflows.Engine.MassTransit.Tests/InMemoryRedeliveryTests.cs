using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.MassTransit.Tests;

/// <summary>
/// On the in-memory transport: a message published again (its publish failed, or an engine gave it up) is counted per
/// publication, pauses longer with each give-up, and is parked after the last (<see cref="InMemoryHandoffs"/>).
/// </summary>
[TestFixture]
public sealed class InMemoryRedeliveryTests : BusTestBase
{
    protected override bool OnRabbitMq => false;

    // Round 17's review (F7): a publish that fails after the engines' queues had their copies is published again, and
    // answers to the first copies counted for the second publication. Here the two back offices hold their copies (their
    // databases are locked); the first is let go and answers both of its copies; round 17 then counted the front office's
    // and its two answers as the three of the second publication and marked the row while the second back office held
    // both of its copies (a kill then would have lost the handoff there).
    [Test]
    public async Task A_publication_that_failed_after_its_fan_out_is_not_marked_by_answers_to_its_copies()
    {
        var front = await NewEngineAsync("front");
        var backA = await NewEngineAsync("back-a", busySeconds: 1);
        var backB = await NewEngineAsync("back-b", busySeconds: 1);
        await front.Deployments.DeployAsync(Journeys.Front);
        await backA.Deployments.DeployAsync(Journeys.Back);
        await backB.Deployments.DeployAsync(Journeys.Back);
        var lockedA = await LockAsync("back-a");
        var lockedB = await LockAsync("back-b");
        var publications = 0;
        var republished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await StartNodeAsync(b =>
        {
            b.PublishHook = async (_, publish) =>
            {
                await publish();
                if (Interlocked.Increment(ref publications) == 1)
                {
                    throw new TimeoutException("the publish timed out after every queue had its copy");
                }

                republished.TrySetResult();
            };
            b.Engine(front, Unique("front")).Engine(backA, Unique("back-a")).Engine(backB, Unique("back-b"));
        });

        var frontId = await front.Runtime.StartAsync(new StartInstance("front") { Variables = Vars(("caseId", "case-1")) });
        await republished.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await lockedA.DisposeAsync();
        await WaitForAsync(() => BackOfficeTaskAsync(backA), "the first back office's task");
        await Task.Delay(1000); // time enough for the second copy's duplicate answer and the relay's marking, if it could (a slow machine can only let it pass wrongly)
        var released = DateTimeOffset.UtcNow;
        await lockedB.DisposeAsync();

        await WaitForAsync(() => BackOfficeTaskAsync(backB), "the second back office's task");
        var publishedAt = await WaitForAsync(async () => (await front.Queries.GetOutgoingMessagesAsync(frontId)).Single().PublishedAt is { } at ? (object)at : null, "the request's row marked published");
        using (Assert.EnterMultipleScope())
        {
            Assert.That((DateTimeOffset)publishedAt, Is.GreaterThan(released), "marked once the second back office took it, not on the answers to the failed publication's copies");
            Assert.That((await backA.Queries.FindInstancesAsync("back")).Count, Is.EqualTo(1), "one case at the first back office");
            Assert.That((await backB.Queries.FindInstancesAsync("back")).Count, Is.EqualTo(1), "one case at the second back office");
        }
    }

    // Round 17 published a message the engine kept giving up again about every 6 s, for ever. Now it pauses, and after
    // MaxRedeliveries publications given up it is parked: kept, listed, and published again when an operator says so.
    [Test]
    public async Task A_message_the_engine_keeps_giving_up_is_parked_listed_and_taken_once_when_sent_again()
    {
        var (front, back) = await FrontAndBackAsync(backBusySeconds: 1);
        var backQueue = Unique("back");
        var givenUp = 0;
        var locked = await LockAsync("back");
        var options = BusOptions();
        options.MaxRedeliveries = 1;
        await StartNodeAsync(b => b.Engine(front, Unique("front")).Engine(back, backQueue)
            .Endpoint($"{backQueue}_error", ErrorQueue(_ => Interlocked.Increment(ref givenUp))), options);

        var frontId = await front.Runtime.StartAsync(new StartInstance("front") { Variables = Vars(("caseId", "case-1")) });
        var parked = await WaitForAsync(async () => (await front.Queries.GetParkedMessagesAsync()).SingleOrDefault(), "the request parked", seconds: 90);
        var row = (await front.Queries.GetOutgoingMessagesAsync(frontId)).Single();
        var givenUpWhenParked = Volatile.Read(ref givenUp);
        await locked.DisposeAsync();
        await Task.Delay(1000); // a message still published now would reach the back office: time enough for it to show
        var taskBeforeSentAgain = await BackOfficeTaskAsync(back);

        await front.Operations.SendParkedMessageAgainAsync(parked.Id);
        await WaitForAsync(() => BackOfficeTaskAsync(back), "the back-office task, from the message sent again");
        await WaitUntilAsync(async () => (await front.Queries.GetOutgoingMessagesAsync(frontId)).Single() is { PublishedAt: not null, ParkedAt: null }, "the request's row marked published once taken");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(parked.Id, Is.EqualTo(row.Id));
            Assert.That(row.ParkedAt, Is.Not.Null);
            Assert.That(row.ParkedReason, Does.Contain("2 times"), "given up by its first publication and by its one redelivery");
            Assert.That(givenUpWhenParked, Is.EqualTo(2), "published twice, given up twice, then no more");
            Assert.That(taskBeforeSentAgain, Is.Null, "a parked message is not published until it is sent again");
            Assert.That(await front.Queries.GetParkedMessagesAsync(), Is.Empty);
            Assert.That((await back.Queries.FindInstancesAsync("back")).Count, Is.EqualTo(1), "one back-office case");
            Assert.ThrowsAsync<WorkflowNotFoundException>(() => front.Operations.SendParkedMessageAgainAsync(parked.Id), "sent again once only");
        }
    }

    // The pause lives in the process: a node stopped (or killed) while a message pauses leaves its row unpublished, and the
    // next node publishes it at once rather than after the pause the stopped one had in mind.
    [Test]
    public async Task A_message_pausing_when_its_node_stops_is_published_at_once_by_the_next_node_and_taken_once()
    {
        var (front, back) = await FrontAndBackAsync(backBusySeconds: 1);
        var backQueue = Unique("back");
        var gaveUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = BusOptions();
        options.RedeliveryDelay = TimeSpan.FromHours(1);
        Guid frontId;
        await using (await LockAsync("back"))
        {
            var first = await StartNodeAsync(b => b.Engine(front, Unique("front")).Engine(back, backQueue).Endpoint($"{backQueue}_error", ErrorQueue(_ => gaveUp.TrySetResult())), options);
            frontId = await front.Runtime.StartAsync(new StartInstance("front") { Variables = Vars(("caseId", "case-1")) });
            await gaveUp.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await first.DisposeAsync();
        }

        var whenStopped = (await front.Queries.GetOutgoingMessagesAsync(frontId)).Single();
        await StartNodeAsync(b => b.Engine(front, Unique("front")).Engine(back, backQueue), options);
        await WaitForAsync(() => BackOfficeTaskAsync(back), "the back-office task, from the request the next node published");
        await WaitUntilAsync(async () => (await front.Queries.GetOutgoingMessagesAsync(frontId)).Single().PublishedAt is not null, "the request's row marked published once taken");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(whenStopped.PublishedAt, Is.Null, "a message pausing is not published");
            Assert.That(whenStopped.ParkedAt, Is.Null);
            Assert.That((await back.Queries.FindInstancesAsync("back")).Count, Is.EqualTo(1), "one back-office case");
        }
    }
}
