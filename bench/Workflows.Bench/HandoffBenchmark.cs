using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Workflows.Engine;
using Workflows.Engine.MassTransit;
using Workflows.Engine.Runtime;
using Workflows.Engine.Sql;

namespace Workflows.Bench;

/// <summary>
/// Front office → back office → front office over the bus: a front-office instance sends a request (send task,
/// outbox, relay, bus), a back-office engine on a database of its own starts a case on it and answers at once
/// (message end event, its outbox, relay, bus), and the front instance's receive task completes. Measures the
/// round trip from the start command to the front instance's completion, with a number of cases in flight.
/// </summary>
internal static class HandoffBenchmark
{
    private const string Messages = """
        <bpmn:message id="m_request" name="Requested"><bpmn:extensionElements><zeebe:subscription correlationKey="=caseId"/></bpmn:extensionElements></bpmn:message>
        <bpmn:message id="m_done" name="Answered"><bpmn:extensionElements><zeebe:subscription correlationKey="=caseId"/></bpmn:extensionElements></bpmn:message>
        """;

    private static string Document(string process) => $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="bench">
        {Messages}
        {process}
        </bpmn:definitions>
        """;

    private static readonly string Front = Document("""
        <bpmn:process id="front" isExecutable="true">
          <bpmn:startEvent id="start"/><bpmn:sendTask id="handoff" messageRef="m_request"/><bpmn:receiveTask id="answer" messageRef="m_done"/><bpmn:endEvent id="end"/>
          <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="handoff"/><bpmn:sequenceFlow id="f2" sourceRef="handoff" targetRef="answer"/><bpmn:sequenceFlow id="f3" sourceRef="answer" targetRef="end"/>
        </bpmn:process>
        """);

    private static readonly string Back = Document("""
        <bpmn:process id="back" isExecutable="true">
          <bpmn:startEvent id="requested"><bpmn:messageEventDefinition messageRef="m_request"/></bpmn:startEvent>
          <bpmn:endEvent id="answered"><bpmn:messageEventDefinition messageRef="m_done"/></bpmn:endEvent>
          <bpmn:sequenceFlow id="f1" sourceRef="requested" targetRef="answered"/>
        </bpmn:process>
        """);

    public static async Task RunAsync(string transport, string? rabbitUri, int runs, int cases, int inFlight)
    {
        var options = new WorkflowBusOptions
        {
            Transport = transport == "rabbitmq" ? BusTransport.RabbitMq : BusTransport.InMemory,
            RabbitMq = RabbitMqOptions.FromUri(rabbitUri ?? Environment.GetEnvironmentVariable("WORKFLOWS_TEST_RABBITMQ") ?? "amqp://guest:guest@127.0.0.1:5672/"),
        };
        Console.WriteLine($"handoff round trip, {options.Transport}, SQLite front and back databases, {cases} cases per run, {inFlight} in flight, {runs} runs");
        var results = new List<(double P50, double P99, double PerSecond, double CpuMs)>();
        for (var run = 1; run <= runs; run++)
        {
            var result = await RunOnceAsync(options, run, cases, inFlight);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  run {run}: p50 {result.P50:F1} ms, p99 {result.P99:F1} ms, {result.PerSecond:F0} round trips/s, {result.CpuMs:F2} ms CPU per round trip"));
            results.Add(result);
        }

        static double Median(IEnumerable<double> values) => values.Order().ElementAt(values.Count() / 2);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"median of {runs}: p50 {Median(results.Select(r => r.P50)):F1} ms, p99 {Median(results.Select(r => r.P99)):F1} ms, {Median(results.Select(r => r.PerSecond)):F0} round trips/s, {Median(results.Select(r => r.CpuMs)):F2} ms CPU per round trip"));
    }

    private static async Task<(double P50, double P99, double PerSecond, double CpuMs)> RunOnceAsync(WorkflowBusOptions options, int run, int cases, int inFlight)
    {
        var directory = Directory.CreateTempSubdirectory("workflows-handoff-").FullName;
        try
        {
            var front = await SqlWorkflowEngine.CreateAsync(new SqlStoreOptions { ConnectionString = $"Data Source={Path.Combine(directory, "front.db")}" });
            var back = await SqlWorkflowEngine.CreateAsync(new SqlStoreOptions { ConnectionString = $"Data Source={Path.Combine(directory, "back.db")}" });
            await front.Deployments.DeployAsync(Front);
            await back.Deployments.DeployAsync(Back);

            // The front instance's completion is seen as its command commits, not by polling.
            var waiting = new ConcurrentDictionary<Guid, TaskCompletionSource>();
            front.Committed += changes =>
            {
                foreach (var write in changes.Instances)
                {
                    if (write.Record.Status == ProcessInstanceStatus.Completed && waiting.TryRemove(write.Record.Id, out var done))
                    {
                        done.TrySetResult();
                    }
                }
            };

            var suffix = $"{run}-{Guid.NewGuid():N}"[..12];
            await using var node = await WorkflowBusNode.StartAsync(options, b => b.Engine(front, $"bench-front-{suffix}").Engine(back, $"bench-back-{suffix}"));
            var latencies = new ConcurrentBag<double>();
            var next = -1;
            // The process's CPU (both engines, both relays, the bus): less hurt by a loaded machine than the rates.
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var total = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, inFlight).Select(async _ =>
            {
                while (Interlocked.Increment(ref next) < cases)
                {
                    var key = $"case-{next}";
                    var started = Stopwatch.GetTimestamp();
                    var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    // The id is known once the start commits; the round trip may end before it is registered, so look once.
                    var id = await front.Runtime.StartAsync(new StartInstance("front") { BusinessKey = key, Variables = new Dictionary<string, object?> { ["caseId"] = key } });
                    waiting[id] = done;
                    if ((await front.Queries.GetInstanceAsync(id)).Status == ProcessInstanceStatus.Completed)
                    {
                        waiting.TryRemove(id, out var _);
                        done.TrySetResult();
                    }

                    await done.Task.WaitAsync(TimeSpan.FromMinutes(2));
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }));
            total.Stop();
            var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / cases;
            var sorted = latencies.Order().ToList();
            return (sorted[sorted.Count / 2], sorted[(int)Math.Ceiling(sorted.Count * 0.99) - 1], cases / total.Elapsed.TotalSeconds, cpuMs);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
