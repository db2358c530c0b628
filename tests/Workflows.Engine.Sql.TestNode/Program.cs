using System.Globalization;
using Workflows.Engine;
using Workflows.Engine.Sql;

// An engine node for the crash and several-node tests: it deploys the test process, starts the
// instances that do not exist yet (by business key, so a restart never starts one twice), and runs
// worker loops until it is killed.
//   TestNode --provider sqlite|postgresql --connection CS --node NAME --prefix KEY --start N --workers W
var arguments = args.Chunk(2).ToDictionary(pair => pair[0].TrimStart('-'), pair => pair[1]);
var store = new SqlStoreOptions
{
    Provider = Enum.Parse<SqlProvider>(arguments["provider"], ignoreCase: true),
    ConnectionString = arguments["connection"],
};
var node = arguments["node"];
var count = int.Parse(arguments.GetValueOrDefault("start", "0"), CultureInfo.InvariantCulture);
var workers = int.Parse(arguments.GetValueOrDefault("workers", "2"), CultureInfo.InvariantCulture);

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
await engine.Deployments.DeployAsync(TestProcess.Xml);

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
var loops = Enumerable.Range(0, workers).Select(_ => Task.Run(() => engine.Worker.RunAsync(stop.Token))).ToList();

for (var i = 1; i <= count && !stop.IsCancellationRequested; i++)
{
    var key = $"{arguments["prefix"]}-{i:00000}";
    if ((await engine.Queries.FindInstancesAsync(businessKey: key, max: 1)).Count == 0)
    {
        await engine.Runtime.StartAsync(new StartInstance(TestProcess.Id) { BusinessKey = key });
    }
}

Console.WriteLine($"{node}: started");
await Task.WhenAll(loops);

internal static class TestProcess
{
    public const string Id = "crash-test";

    // start → asynchronous service task (a job for the executor) → 200 ms timer → end
    public const string Xml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:wf="urn:workflows:bpmn:1.0" id="d" targetNamespace="t">
          <bpmn:process id="crash-test" isExecutable="true">
            <bpmn:startEvent id="start"/>
            <bpmn:serviceTask id="work"><bpmn:extensionElements><wf:taskDefinition type="crash-work" async="true" retries="5"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:intermediateCatchEvent id="pause"><bpmn:timerEventDefinition><bpmn:timeDuration>PT0.2S</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
            <bpmn:endEvent id="end"/>
            <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
            <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="pause"/>
            <bpmn:sequenceFlow id="f3" sourceRef="pause" targetRef="end"/>
          </bpmn:process>
        </bpmn:definitions>
        """;
}
