using System.Globalization;
using Workflows.Engine;
using Workflows.Engine.Sql;

// An engine node for the crash and several-node tests: it deploys the test process, starts the
// instances that do not exist yet (by business key, so a restart never starts one twice), and runs
// worker loops until it is killed. With agents, each instance first waits at a user task under a short
// SLA, which the node's agents claim (next-task) and complete while its clock comes due; with several
// starters, starts run at once, so that their commits (and the workers' and agents') meet in groups.
//   TestNode --provider sqlite|postgresql --connection CS --node NAME --prefix KEY --start N --workers W
//            [--starters S] [--agents A]
var arguments = args.Chunk(2).ToDictionary(pair => pair[0].TrimStart('-'), pair => pair[1]);
var store = new SqlStoreOptions
{
    Provider = Enum.Parse<SqlProvider>(arguments["provider"], ignoreCase: true),
    ConnectionString = arguments["connection"],
};
var node = arguments["node"];
var count = int.Parse(arguments.GetValueOrDefault("start", "0"), CultureInfo.InvariantCulture);
var workers = int.Parse(arguments.GetValueOrDefault("workers", "2"), CultureInfo.InvariantCulture);
var starters = int.Parse(arguments.GetValueOrDefault("starters", "1"), CultureInfo.InvariantCulture);
var agents = int.Parse(arguments.GetValueOrDefault("agents", "0"), CultureInfo.InvariantCulture);

var options = new WorkflowEngineOptions
{
    NodeId = node,
    Worker =
    {
        PollInterval = TimeSpan.FromMilliseconds(50),
        LeaseDuration = TimeSpan.FromSeconds(3),
        RetryBackoff = TimeSpan.FromMilliseconds(100),
    },
}.AddHandler("crash-work", (task, _) => ValueTask.FromResult<IReadOnlyDictionary<string, object?>?>(
    new Dictionary<string, object?> { ["workedBy"] = node }));

var engine = await SqlWorkflowEngine.CreateAsync(store, options);
var process = agents > 0 ? TestProcess.WithAgents : TestProcess.Xml;
await engine.Deployments.DeployAsync(process);

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
var loops = Enumerable.Range(0, workers).Select(_ => Task.Run(() => engine.Worker.RunAsync(stop.Token)))
    .Concat(Enumerable.Range(1, agents).Select(a => Task.Run(() => AgentAsync($"{node}-agent-{a}"))))
    .ToList();

// Starter s starts the instances s, s + starters, s + 2 starters, ...: each key by one starter only.
await Task.WhenAll(Enumerable.Range(1, starters).Select(first => Task.Run(async () =>
{
    for (var i = first; i <= count && !stop.IsCancellationRequested; i += starters)
    {
        var key = $"{arguments["prefix"]}-{i:00000}";
        if ((await engine.Queries.FindInstancesAsync(businessKey: key, max: 1)).Count == 0)
        {
            await engine.Runtime.StartAsync(new StartInstance(agents > 0 ? TestProcess.WithAgentsId : TestProcess.Id) { BusinessKey = key });
        }
    }
})));

Console.WriteLine($"{node}: started");
await Task.WhenAll(loops);

// An agent: next task of the desk (its held one first, else one it claims), completed; a lost race is tried again.
async Task AgentAsync(string agent)
{
    while (!stop.IsCancellationRequested)
    {
        try
        {
            if (await engine.Tasks.NextAsync(agent, [TestProcess.Queue], cancellationToken: stop.Token) is { } task)
            {
                await engine.Tasks.CompleteAsync(task.Id, null, agent, stop.Token);
            }
            else
            {
                await Task.Delay(50, stop.Token);
            }
        }
        catch (WorkflowConflictException)
        {
            // another agent (of this node or the other) took it, or completed the instance's other command first
        }
        catch (Exception e) when (!stop.IsCancellationRequested)
        {
            // Any other failure ends the node at once, so the test sees it exit early (review16 F3): the loops are
            // awaited only together, with workers that never end, so a failed agent would otherwise go unnoticed.
            await Console.Error.WriteLineAsync($"{agent} failed: {e}");
            Environment.Exit(3);
        }
    }
}

internal static class TestProcess
{
    public const string Id = "crash-test";
    public const string WithAgentsId = "nodes-test";
    public const string Queue = "desk";

    // start → user task of the desk under a 300 ms SLA (a clock that comes due while agents of both nodes pull) → the
    // crash test's job → timer → end
    public static readonly string WithAgents = Definitions(WithAgentsId, """
        <bpmn:userTask id="handle"><bpmn:extensionElements><wf:userTask candidateGroups="desk"/><wf:sla target="PT0.3S"/></bpmn:extensionElements></bpmn:userTask>
        <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="handle"/>
        <bpmn:sequenceFlow id="f1" sourceRef="handle" targetRef="work"/>
        """);

    // start → asynchronous service task (a job for the executor) → 200 ms timer → end
    public static readonly string Xml = Definitions(Id, """<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>""");

    private static string Definitions(string process, string head) => $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:wf="urn:workflows:bpmn:1.0" id="d" targetNamespace="t">
          <bpmn:process id="{process}" isExecutable="true">
            <bpmn:startEvent id="start"/>
            {head}
            <bpmn:serviceTask id="work"><bpmn:extensionElements><wf:taskDefinition type="crash-work" async="true" retries="5"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:intermediateCatchEvent id="pause"><bpmn:timerEventDefinition><bpmn:timeDuration>PT0.2S</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
            <bpmn:endEvent id="end"/>
            <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="pause"/>
            <bpmn:sequenceFlow id="f3" sourceRef="pause" targetRef="end"/>
          </bpmn:process>
        </bpmn:definitions>
        """;
}
