using System.Collections.Concurrent;
using Workflows.Engine.Runtime;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.MassTransit.Tests;

/// <summary>What only a real broker shows: several nodes, the broker going away under load, and its start-up checks.</summary>
[TestFixture]
public sealed class RabbitMqNodeTests : BusTestBase
{
    protected override bool OnRabbitMq => true;

    [Test]
    public async Task Handoffs_and_answers_made_while_the_broker_is_down_and_across_its_restarts_all_arrive_each_once_and_the_node_says_it_is_down_meanwhile()
    {
        const int handoffs = 500;
        const int beforeTheStop = 300;
        var front = await NewEngineAsync("front");
        var back = await NewEngineAsync("back");
        await front.Deployments.DeployAsync(Journeys.Front);
        await back.Deployments.DeployAsync(Journeys.Back);
        var node = await StartNodeAsync(b => b.Engine(front, Unique("front")).Engine(back, Unique("back")));
        await WaitUntilAsync(() => Task.FromResult(node.CheckHealth().Connected), "the node's bus connected");

        // Cases start from four callers; the broker stops under that load, once handoffs arrive (the relay publishing,
        // the back office consuming, acknowledgements in flight). Every command still commits; the rest of the
        // handoffs are made while it is down.
        var next = -1;
        var producing = Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < beforeTheStop; i = Interlocked.Increment(ref next))
            {
                await StartCaseAsync(front, i);
            }
        })));
        await WaitUntilAsync(async () => (await back.Queries.FindInstancesAsync("back", max: 2 * handoffs)).Count >= 50, "handoffs arriving");
        await RabbitMqTestBroker.StopAsync();
        await producing;
        for (var i = beforeTheStop; i < handoffs; i++)
        {
            await StartCaseAsync(front, i);
        }

        var whileDown = await WaitForAsync(() => Task.FromResult(node.CheckHealth() is { Connected: false } down ? down : null), "the node to say its bus is down");

        await RabbitMqTestBroker.StartAsync();
        await WaitUntilAsync(async () => (await back.Queries.FindInstancesAsync("back", max: 2 * handoffs)).Count >= handoffs, $"{handoffs} back-office cases", seconds: 120);
        await WaitUntilAsync(() => Task.FromResult(node.CheckHealth().Connected), "the node to say its bus is connected again");
        await Task.Delay(1000); // a redelivery would show by now
        var keys = new List<string?>();
        foreach (var id in await back.Queries.FindInstancesAsync("back", max: 2 * handoffs))
        {
            keys.Add((await back.Queries.GetInstanceAsync(id)).BusinessKey);
        }

        // The answers go back the same way, and the broker stops again once they flow.
        var answering = Task.Run(async () =>
        {
            foreach (var id in await back.Queries.FindInstancesAsync("back", max: 2 * handoffs))
            {
                await back.Tasks.CompleteAsync((await back.Tasks.GetOpenAsync(id)).Single().Id);
            }
        });
        async Task<IReadOnlyList<InstanceSummary>> AnsweredAsync() =>
            await front.Queries.QueryInstancesAsync(new InstanceQuery { ProcessId = "front", Status = ProcessInstanceStatus.Completed, Max = 2 * handoffs });
        await WaitUntilAsync(async () => (await AnsweredAsync()).Count >= 50, "answers arriving");
        await RabbitMqTestBroker.StopAsync();
        await answering;
        await RabbitMqTestBroker.StartAsync();
        await WaitUntilAsync(async () => (await AnsweredAsync()).Count >= handoffs, $"{handoffs} front-office cases answered", seconds: 120);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(whileDown.Description, Does.StartWith("the bus is "));
            Assert.That(keys, Is.EquivalentTo(Enumerable.Range(0, handoffs).Select(i => $"case-{i}")), "every handoff arrived, none twice");
            Assert.That((await AnsweredAsync()).Select(i => i.BusinessKey), Is.EquivalentTo(Enumerable.Range(0, handoffs).Select(i => $"case-{i}")), "every front-office case answered");
            Assert.That((await front.Queries.GetOutgoingMessagesAsync()).Where(m => m.PublishedAt is null), Is.Empty);
            Assert.That((await back.Queries.GetOutgoingMessagesAsync()).Where(m => m.PublishedAt is null), Is.Empty);
        }
    }

    private static Task<Guid> StartCaseAsync(WorkflowEngine front, int i) =>
        front.Runtime.StartAsync(new StartInstance("front") { BusinessKey = $"case-{i}", Variables = Vars(("caseId", $"case-{i}")) });

    [Test]
    public async Task Two_nodes_on_one_database_share_the_jobs_and_each_job_is_done_once()
    {
        const int cases = 200;
        var type = Unique("credit-score");
        var queue = Unique("engine");
        var first = await NewEngineAsync("shared", node: "node-1");
        var second = await NewEngineAsync("shared", node: "node-2");
        await first.Deployments.DeployAsync(Journeys.CreditCheck(type));
        var runs = new ConcurrentDictionary<string, int>();
        var byNode = new ConcurrentDictionary<string, int>();
        ServiceTaskHandler Worker(string node) => (job, _) =>
        {
            runs.AddOrUpdate((string)job.Variables["customer"]!, 1, (_, n) => n + 1);
            byNode.AddOrUpdate(node, 1, (_, n) => n + 1);
            return ValueTask.FromResult<IReadOnlyDictionary<string, object?>?>(Vars(("score", 700)));
        };

        // Two processes as far as the broker knows: two connections, competing on the same queues.
        await StartNodeAsync(b => b.Engine(first, queue).JobWorker(type, Worker("node-1")));
        await StartNodeAsync(b => b.Engine(second, queue).JobWorker(type, Worker("node-2")));

        var ids = new List<Guid>();
        for (var i = 0; i < cases; i++)
        {
            ids.Add(await (i % 2 == 0 ? first : second).Runtime.StartAsync(new StartInstance("credit") { Variables = Vars(("customer", $"c{i}")) }));
        }

        await WaitUntilAsync(async () =>
        {
            foreach (var id in ids)
            {
                if ((await first.Queries.GetInstanceAsync(id)).Status != ProcessInstanceStatus.Completed)
                {
                    return false;
                }
            }

            return true;
        }, $"{cases} credit checks", seconds: 120);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(runs.Keys, Has.Count.EqualTo(cases));
            Assert.That(runs.Values.Where(n => n != 1), Is.Empty, "no job ran twice");
            Assert.That(byNode.Keys, Is.EquivalentTo(new[] { "node-1", "node-2" }), "both nodes took jobs");
        }
    }

    [Test]
    public async Task A_refused_sign_in_fails_the_start_naming_the_broker_and_a_bad_option_names_itself()
    {
        var options = Broker.Options();
        options.RabbitMq.Password = "wrong";
        var refused = Assert.ThrowsAsync<InvalidOperationException>(() => WorkflowBusNode.StartAsync(options, _ => { }));
        Assert.That(refused!.Message, Does.Contain("refused the user 'guest'").And.Contain(Broker.VirtualHost));

        options = Broker.Options();
        options.RabbitMq.Port = 70000;
        var bad = Assert.ThrowsAsync<ArgumentException>(() => WorkflowBusNode.StartAsync(options, _ => { }));
        Assert.That(bad!.Message, Does.Contain("RabbitMq:Port = '70000' must be from 1 to 65535"));

        var unreachable = await RabbitMqBroker.CheckHealthAsync(new RabbitMqOptions { Host = "127.0.0.1", Port = 1 });
        Assert.That(unreachable, Has.Property("Healthy").False.And.Property("Reachable").False);
        Assert.That((await RabbitMqBroker.CheckHealthAsync(Broker.Connection())).Healthy);
    }

    [Test]
    public async Task The_start_up_check_names_a_queue_that_exists_with_other_settings()
    {
        var queue = Unique("engine");
        var factory = RabbitMqBroker.Factory(Broker.Connection(), "test");
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: false);
        }

        var engine = await NewEngineAsync("engine");
        var error = Assert.ThrowsAsync<InvalidOperationException>(() => WorkflowBusNode.StartAsync(Broker.Options(), b => b.Engine(engine, queue)));
        Assert.That(error!.Message, Does.Contain($"queue '{queue}' does not match").And.Contain("durable"));

        var findings = await RabbitMqBroker.CheckTopologyAsync(Broker.Connection(), [Unique("no-such-exchange")], []);
        Assert.That(findings.Single().ToString(), Is.EqualTo($"exchange '{Unique("no-such-exchange")}' is missing"));
    }
}
