using System.Collections.Concurrent;
using System.Diagnostics;
using global::MassTransit;
using Workflows.Engine.Runtime;
using Workflows.Engine.Sql;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.MassTransit.Tests;

/// <summary>Engines on SQLite files of the test's own, bus nodes stopped after each test, and waiting helpers.</summary>
public abstract class BusTestBase
{
    private readonly List<IAsyncDisposable> _nodes = [];
    private string _directory = "";
    private string _run = "";
    private RabbitMqTestBroker? _broker;

    /// <summary>Whether the fixture runs on the real RabbitMQ, in a virtual host of its own; otherwise on the in-memory transport.</summary>
    protected abstract bool OnRabbitMq { get; }

    private protected RabbitMqTestBroker Broker => _broker ?? throw new InvalidOperationException("this fixture runs on the in-memory transport");

    protected WorkflowBusOptions BusOptions() => OnRabbitMq
        ? Broker.Options()
        : new() { Transport = BusTransport.InMemory, PollInterval = TimeSpan.FromMilliseconds(200), RedeliveryDelay = TimeSpan.FromMilliseconds(200) };

    [OneTimeSetUp]
    public async Task CreateVirtualHost()
    {
        if (OnRabbitMq)
        {
            _broker = await RabbitMqTestBroker.CreateAsync();
        }
    }

    [OneTimeTearDown]
    public async Task DeleteVirtualHost()
    {
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }

    [SetUp]
    public void CreateDirectory()
    {
        _run = Guid.NewGuid().ToString("N")[..8];
        _directory = Path.Combine(Path.GetTempPath(), "workflows-bus-" + _run);
        Directory.CreateDirectory(_directory);
    }

    [TearDown]
    public async Task StopNodes()
    {
        foreach (var node in Enumerable.Reverse(_nodes))
        {
            await node.DisposeAsync();
        }

        _nodes.Clear();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>A name unique to this test, for queues and job types: nothing from an earlier test reaches it.</summary>
    protected string Unique(string name) => $"{name}-{_run}";

    /// <summary>The SQLite file of a test's database, to lock it from outside (an engine whose commands wait on it).</summary>
    protected string DatabasePath(string database) => Path.Combine(_directory, database) + ".db";

    protected async Task<WorkflowEngine> NewEngineAsync(string database, string? node = null, int? busySeconds = null) =>
        await SqlWorkflowEngine.CreateAsync(
            new SqlStoreOptions { ConnectionString = $"Data Source={DatabasePath(database)}" + (busySeconds is { } busy ? $";Default Timeout={busy}" : "") },
            new WorkflowEngineOptions { NodeId = $"{node ?? database}-{_run}", Worker = { RetryBackoff = TimeSpan.FromMilliseconds(50) } });

    /// <summary>A front office (<see cref="Journeys.Front"/>) and a back office (<see cref="Journeys.Back"/>), each on its database.</summary>
    protected async Task<(WorkflowEngine Front, WorkflowEngine Back)> FrontAndBackAsync(int? backBusySeconds = null)
    {
        var front = await NewEngineAsync("front");
        var back = await NewEngineAsync("back", busySeconds: backBusySeconds);
        await front.Deployments.DeployAsync(Journeys.Front);
        await back.Deployments.DeployAsync(Journeys.Back);
        return (front, back);
    }

    protected async Task<WorkflowBusNode> StartNodeAsync(Action<WorkflowBusNodeBuilder> build, WorkflowBusOptions? options = null)
    {
        var node = await WorkflowBusNode.StartAsync(options ?? BusOptions(), build, TestLog.Factory);
        _nodes.Add(node);
        return node;
    }

    protected static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, string what, int seconds = 30)
        where T : class
    {
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            if (await probe() is { } found)
            {
                return found;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"waited {seconds} s for {what}");
        throw new UnreachableException();
    }

    protected static Task WaitUntilAsync(Func<Task<bool>> condition, string what, int seconds = 30) =>
        WaitForAsync<object>(async () => await condition() ? new object() : null, what, seconds);

    /// <summary>An endpoint for a queue's error queue, handing <paramref name="moved"/> each message the engine's endpoint moved there.</summary>
    protected static Action<IReceiveEndpointConfigurator> ErrorQueue(Action<ConsumeContext<WorkflowMessage>> moved) => endpoint =>
    {
        endpoint.ConfigureConsumeTopology = false; // only what the engine's endpoint moves here
        endpoint.Handler<WorkflowMessage>(context =>
        {
            moved(context);
            return Task.CompletedTask;
        });
    };

    /// <summary>Holds the database's write lock until disposed: the engine on it reads, but its commits wait (and fail after its busy timeout).</summary>
    protected async Task<Microsoft.Data.Sqlite.SqliteConnection> LockAsync(string database)
    {
        var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DatabasePath(database)};Pooling=False");
        await connection.OpenAsync();
        await using var begin = connection.CreateCommand();
        begin.CommandText = "BEGIN IMMEDIATE";
        await begin.ExecuteNonQueryAsync();
        return connection;
    }

    protected static async Task<UserTaskInfo?> BackOfficeTaskAsync(WorkflowEngine back) =>
        (await back.Tasks.QueryAsync(new TaskQuery { Queues = ["back-office"] })).Tasks is [var first, ..] ? first : null;
}

/// <summary>
/// The bus semantics, run on each transport: handoffs between two engines (each on its own database, as a
/// front-office and a back-office system would be), job workers, the inbox, buffered messages and poison.
/// </summary>
public abstract class BusSuite : BusTestBase
{
    [Test]
    public async Task A_send_task_starts_a_back_office_case_and_the_answer_continues_the_front_office()
    {
        var front = await NewEngineAsync("front");
        var back = await NewEngineAsync("back");
        await front.Deployments.DeployAsync(Journeys.Front);
        await back.Deployments.DeployAsync(Journeys.Back);
        await StartNodeAsync(b => b.Engine(front, Unique("front")).Engine(back, Unique("back")));

        var started = DateTimeOffset.UtcNow;
        var frontId = await front.Runtime.StartAsync(new StartInstance("front")
        {
            BusinessKey = "case-1",
            Variables = Vars(("caseId", "case-1"), ("branch", "paris-01"), ("tenant", "acme")),
        });
        var task = await WaitForAsync(() => BackOfficeTaskAsync(back), "the back-office task");
        var backCase = await back.Queries.GetInstanceAsync(task.InstanceId);
        var handoff = (Feel.FeelContext)backCase.Variables["handoff"]!;
        var promise = DateTimeOffset.Parse((string)handoff["commitmentDue"]!, System.Globalization.CultureInfo.InvariantCulture);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(backCase.BusinessKey, Is.EqualTo("case-1"));
            Assert.That(backCase.Variables["caseId"], Is.EqualTo("case-1"));
            Assert.That(handoff["businessKey"], Is.EqualTo("case-1"));
            Assert.That(handoff["branch"], Is.EqualTo("paris-01"));
            Assert.That(handoff["tenant"], Is.EqualTo("acme"));
            Assert.That(handoff["sourceInstanceId"], Is.EqualTo(frontId.ToString()));
            Assert.That(promise,
                Is.EqualTo(started.AddHours(8)).Within(TimeSpan.FromMinutes(1)), "the level-1 promise travels with the case");
        }

        await back.Tasks.CompleteAsync(task.Id);
        await WaitUntilAsync(async () => (await front.Queries.GetInstanceAsync(frontId)).Status == ProcessInstanceStatus.Completed, "the front office to continue");
        Assert.That((await front.Queries.GetOutgoingMessagesAsync(frontId)).Single().PublishedAt, Is.Not.Null);
    }

    [Test]
    public async Task A_handoff_starts_the_back_office_version_the_sending_branch_pinned_not_the_latest()
    {
        var front = await NewEngineAsync("front");
        var back = await NewEngineAsync("back");
        await front.Deployments.DeployAsync(Journeys.Front);
        await back.Deployments.DeployAsync(Journeys.Back);
        await back.Rollouts.ApproveAsync("back", 1, "reviewer", "a branch pins only an approved version");
        await back.Branches.SaveAsync(new Branch("paris-01", "Paris") { Calendar = "group/branch:paris-01", Pins = new Dictionary<string, int> { ["back"] = 1 } });
        await back.Deployments.DeployAsync(Journeys.Back.Replace("<bpmn:userTask id=\"assess\">", "<bpmn:userTask id=\"assess\" name=\"Assess, version 2\">", StringComparison.Ordinal));
        await StartNodeAsync(b => b.Engine(front, Unique("front")).Engine(back, Unique("back")));

        await front.Runtime.StartAsync(new StartInstance("front")
        {
            BusinessKey = "case-p1",
            Variables = Vars(("caseId", "case-p1"), ("branch", "paris-01")),
        });
        var task = await WaitForAsync(() => BackOfficeTaskAsync(back), "the back-office task");
        var backCase = await back.Queries.GetInstanceAsync(task.InstanceId);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await back.Deployments.GetDefinitionsAsync("back")).Max(d => d.Version), Is.EqualTo(2));
            Assert.That(backCase.Version, Is.EqualTo(1), "Paris pinned version 1 of the back office, though version 2 is the latest");
            Assert.That(backCase.Variables["calendar"], Is.EqualTo("group/branch:paris-01"));
        }
    }

    [Test]
    public async Task A_handoff_carries_the_trace_of_the_command_that_sent_it()
    {
        var front = await NewEngineAsync("front");
        var back = await NewEngineAsync("back");
        await front.Deployments.DeployAsync(Journeys.Front);
        await back.Deployments.DeployAsync(Journeys.Back);
        await StartNodeAsync(b => b.Engine(front, Unique("front")).Engine(back, Unique("back")));
        var received = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Workflows.Engine",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => received.Add(activity),
        };
        ActivitySource.AddActivityListener(listener);

        using var request = new Activity("branch request").SetIdFormat(ActivityIdFormat.W3C).Start();
        await front.Runtime.StartAsync(new StartInstance("front") { BusinessKey = "case-2", Variables = Vars(("caseId", "case-2")) });
        request.Stop();

        await WaitForAsync(() => BackOfficeTaskAsync(back), "the back-office task");
        var receive = await WaitForAsync(() => Task.FromResult(received.FirstOrDefault(a => a.DisplayName == "receive AssessmentRequested")), "the receiving activity");
        Assert.That(receive.TraceId, Is.EqualTo(request.TraceId), "the back office's work joins the front office's trace");
    }

    [Test]
    public async Task Every_message_delivered_twice_changes_nothing_the_second_time()
    {
        var back = await NewEngineAsync("back");
        await back.Deployments.DeployAsync(Journeys.Back);
        var node = await StartNodeAsync(b => b.Engine(back, Unique("back")));

        const int cases = 50;
        for (var i = 0; i < cases; i++)
        {
            var message = new WorkflowMessage { Name = "AssessmentRequested", CorrelationKey = $"case-{i}", VariablesJson = $$"""{"caseId":"case-{{i}}"}""" };
            var id = NewId.NextGuid();
            await node.Bus.Publish(message, context => context.MessageId = id);
            await node.Bus.Publish(message, context => context.MessageId = id);
        }

        await WaitUntilAsync(async () => (await back.Queries.FindInstancesAsync("back", max: 1000)).Count >= cases, $"{cases} back-office cases");
        await Task.Delay(500); // time enough for a second delivery to do harm, if it could
        var keys = new List<string?>();
        foreach (var id in await back.Queries.FindInstancesAsync("back", max: 1000))
        {
            keys.Add((await back.Queries.GetInstanceAsync(id)).BusinessKey);
        }

        Assert.That(keys, Is.EquivalentTo(Enumerable.Range(0, cases).Select(i => $"case-{i}")), "one case per message, none twice");
    }

    [Test]
    public async Task A_message_that_comes_before_its_subscription_waits_for_its_time_to_live_and_an_expired_one_is_recorded()
    {
        var back = await NewEngineAsync("back");
        await back.Deployments.DeployAsync(Journeys.Documents);
        var node = await StartNodeAsync(b => b.Engine(back, Unique("back")));
        var instance = await back.Runtime.StartAsync(new StartInstance("documents") { Variables = Vars(("caseId", "case-7")) });

        await node.Bus.Publish(new WorkflowMessage { Name = "DocumentsArrived", CorrelationKey = "case-7", VariablesJson = """{"pages":3}""", TimeToLive = TimeSpan.FromHours(1) });
        await node.Bus.Publish(new WorkflowMessage { Name = "DocumentsArrived", CorrelationKey = "case-nobody", TimeToLive = TimeSpan.FromMilliseconds(300) });
        await Task.Delay(1000);

        // The customer's documents came while the back office was still checking: they wait, then are taken.
        var check = (await back.Tasks.GetOpenAsync(instance)).Single();
        await back.Tasks.CompleteAsync(check.Id);
        var done = await back.Queries.GetInstanceAsync(instance);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(done.Status, Is.EqualTo(ProcessInstanceStatus.Completed));
            Assert.That(done.Variables["pages"], Is.EqualTo(3m));
        }

        await back.Worker.ExpireMessagesAsync();
        var expired = await back.Queries.GetExpiredMessagesAsync();
        Assert.That(expired.Select(m => m.CorrelationKey), Is.EqualTo(new[] { "case-nobody" }), "the one nobody took is kept and listed, not dropped");
    }

    [Test]
    public async Task Poison_messages_go_to_the_error_queue_with_the_reason_and_nothing_waits_behind_them()
    {
        var back = await NewEngineAsync("back");
        await back.Deployments.DeployAsync(Journeys.Back);
        var queue = Unique("back");
        var faults = new ConcurrentQueue<(string? Name, string? Reason)>();
        var node = await StartNodeAsync(b => b
            .Engine(back, queue)
            .Endpoint($"{queue}_error", ErrorQueue(context => faults.Enqueue((context.Message.Name, context.ReceiveContext.TransportHeaders.Get<string>("MT-Fault-Message"))))));

        await node.Bus.Publish(new WorkflowMessage { Name = "DocumentsArrived", CorrelationKey = "nobody-waits" });
        await node.Bus.Publish(new WorkflowMessage { Name = "AssessmentRequested", CorrelationKey = "case-9", VariablesJson = "[1, 2]" });
        await node.Bus.Publish(new WorkflowMessage { Name = "AssessmentRequested", CorrelationKey = "case-10", VariablesJson = """{"caseId":"case-10"}""" });

        await WaitForAsync(() => BackOfficeTaskAsync(back), "the good message's case");
        await WaitUntilAsync(() => Task.FromResult(faults.Count == 2), "both poison messages in the error queue");
        var reasons = faults.ToDictionary(f => f.Name!, f => f.Reason);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(reasons["DocumentsArrived"], Does.Contain("no instance waits for message 'DocumentsArrived' with correlation key 'nobody-waits'"));
            Assert.That(reasons["AssessmentRequested"], Does.Contain("are a JSON array, not an object"));
        }
    }

    [Test]
    public async Task A_message_for_a_process_another_engine_runs_is_left_to_that_engine()
    {
        var other = await NewEngineAsync("other");
        var back = await NewEngineAsync("back");
        await back.Deployments.DeployAsync(Journeys.Back);
        var node = await StartNodeAsync(b => b.Engine(other, Unique("other")).Engine(back, Unique("back")));

        await node.Bus.Publish(new WorkflowMessage
        {
            Name = "AssessmentRequested",
            CorrelationKey = "case-11",
            VariablesJson = """{"caseId":"case-11"}""",
            Handoff = new Handoff { TargetProcessId = "back" },
        });

        await WaitForAsync(() => BackOfficeTaskAsync(back), "the back office's case");
        Assert.That(await other.Queries.FindInstancesAsync(), Is.Empty, "an engine that does not run the target neither starts it nor calls it poison");
    }

    [Test]
    public async Task A_job_worker_elsewhere_completes_fails_and_retries_and_raises_errors_the_model_catches()
    {
        var type = Unique("credit-score");
        var engine = await NewEngineAsync("credit");
        await engine.Deployments.DeployAsync(Journeys.CreditCheck(type));
        var attempts = new ConcurrentDictionary<string, int>();
        await StartNodeAsync(b => b
            .Engine(engine, Unique("engine"))
            .JobWorker(type, (job, _) =>
            {
                var customer = (string)job.Variables["customer"]!;
                var attempt = attempts.AddOrUpdate(customer, 1, (_, n) => n + 1);
                return customer switch
                {
                    "flaky" when attempt == 1 => throw new TimeoutException("the bureau did not answer"),
                    "risky" => throw new BpmnErrorException("REJECTED", "score below the bank's floor"),
                    _ => ValueTask.FromResult<IReadOnlyDictionary<string, object?>?>(Vars(("score", 720))),
                };
            }));

        var flaky = await engine.Runtime.StartAsync(new StartInstance("credit") { Variables = Vars(("customer", "flaky")) });
        var risky = await engine.Runtime.StartAsync(new StartInstance("credit") { Variables = Vars(("customer", "risky")) });
        await WaitUntilAsync(async () => (await engine.Queries.GetInstanceAsync(flaky)).Status == ProcessInstanceStatus.Completed
            && (await engine.Queries.GetInstanceAsync(risky)).Status == ProcessInstanceStatus.Completed, "both credit checks");

        var flakyHistory = await engine.Queries.GetHistoryAsync(flaky);
        var riskyHistory = await engine.Queries.GetHistoryAsync(risky);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(attempts["flaky"], Is.EqualTo(2), "failed once, retried after the back-off, then done");
            Assert.That((await engine.Queries.GetInstanceAsync(flaky)).Variables["score"], Is.EqualTo(720m));
            Assert.That(flakyHistory.Any(h => h.Kind == "job-failed" && h.Detail!.Contains("the bureau did not answer", StringComparison.Ordinal)));
            Assert.That(riskyHistory.Any(h => h.ElementId == "rejected_end"), "the error boundary caught REJECTED");
            Assert.That(flakyHistory.Any(h => h.ElementId == "approved_end"));
        }
    }
}

[TestFixture]
public sealed class RabbitMqBusTests : BusSuite
{
    protected override bool OnRabbitMq => true;
}
