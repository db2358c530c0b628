using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Workflows.Engine;
using Workflows.Engine.Services;

namespace Workflows.Host.Tests;

/// <summary>
/// HTTP load for the storage fault tests: clients start complaints and complete their first task, another starts
/// a process whose timer and asynchronous job the background worker runs; every answer is recorded.
/// </summary>
internal sealed class FaultLoad(HttpClient ann)
{
    public const string TimerProcessId = "fault-timer";

    /// <summary>A timer the worker fires, then a job (an in-process handler marked async) the worker runs, then a task.</summary>
    private const string TimerProcessXml = """
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:wf="urn:workflows:bpmn:1.0" id="fault_timer_definitions" targetNamespace="t">
          <bpmn:process id="fault-timer" isExecutable="true">
            <bpmn:startEvent id="start"><bpmn:extensionElements><wf:form><wf:field id="customerId" label="Customer" type="string"/></wf:form></bpmn:extensionElements></bpmn:startEvent>
            <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT0.2S</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
            <bpmn:serviceTask id="lookup"><bpmn:extensionElements><wf:taskDefinition type="complaint-history" retries="3" async="true"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:userTask id="after"><bpmn:extensionElements><wf:userTask candidateGroups="front-desk"/></bpmn:extensionElements></bpmn:userTask>
            <bpmn:endEvent id="end"/>
            <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
            <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="lookup"/>
            <bpmn:sequenceFlow id="f3" sourceRef="lookup" targetRef="after"/>
            <bpmn:sequenceFlow id="f4" sourceRef="after" targetRef="end"/>
          </bpmn:process>
        </bpmn:definitions>
        """;

    private static readonly TimeSpan s_requestPatience = TimeSpan.FromSeconds(20);
    private readonly ConcurrentQueue<(string Instance, string Task)> _open = new();

    /// <summary>Acknowledged (201) complaint starts.</summary>
    public ConcurrentBag<string> Started { get; } = [];

    /// <summary>Acknowledged (201) starts of the timer process.</summary>
    public ConcurrentBag<string> TimersStarted { get; } = [];

    /// <summary>The instances whose register task was acknowledged as completed.</summary>
    public ConcurrentBag<string> Completed { get; } = [];

    public ConcurrentDictionary<int, int> Statuses { get; } = new();

    /// <summary>Answers that are neither 2xx, a 4xx problem, nor a 503 problem with Retry-After; requests that hung.</summary>
    public ConcurrentBag<string> Unexpected { get; } = [];

    /// <summary>The details of the 503 problems, each with how often it came.</summary>
    public ConcurrentDictionary<string, int> Problems { get; } = new(StringComparer.Ordinal);

    public static async Task DeployTimerProcessAsync(TestHost host)
    {
        var analyst = await host.As("alice");
        using var response = await analyst.PostAsync(new Uri("/api/definitions", UriKind.Relative), new StringContent(TimerProcessXml, System.Text.Encoding.UTF8, "application/xml"));
        Assert.That((int)response.StatusCode, Is.InRange(200, 299), await response.Content.ReadAsStringAsync());
    }

    /// <summary>Two clients starting complaints, one starting the timer process, two completing tasks, until <paramref name="stop"/>.</summary>
    public Task RunAsync(CancellationToken stop) => Task.WhenAll(
        StartingAsync("complaint", Started, stop), StartingAsync("complaint", Started, stop), StartingAsync(TimerProcessId, TimersStarted, stop),
        CompletingAsync(stop), CompletingAsync(stop));

    private async Task StartingAsync(string journey, ConcurrentBag<string> acknowledged, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var answer = await SendAsync(() => ann.PostAsJsonAsync("/api/instances", new { journey, branch = "paris-01", variables = new { customerId = "c-load" } }, Patience()));
            if (answer is not { Status: HttpStatusCode.Created } created)
            {
                await Task.Delay(20, CancellationToken.None);
                continue;
            }

            var id = created.Body.GetProperty("id").GetString()!;
            acknowledged.Add(id);
            if (journey != "complaint")
            {
                continue;
            }

            var read = await SendAsync(() => ann.GetAsync(new Uri($"/api/instances/{id}", UriKind.Relative), Patience()));
            if (read is { Status: HttpStatusCode.OK } instance)
            {
                var task = instance.Body.GetProperty("tasks").EnumerateArray().Single(t => t.GetProperty("elementId").GetString() == "register").GetProperty("id").GetString()!;
                _open.Enqueue((id, task));
            }
        }
    }

    private async Task CompletingAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            if (!_open.TryDequeue(out var open))
            {
                await Task.Delay(20, CancellationToken.None);
                continue;
            }

            // Above the front desk's authority: each completion hands the complaint over to the back office through the outbox.
            var answer = await SendAsync(() => ann.PostAsJsonAsync($"/api/tasks/{open.Task}/complete", new { variables = new { category = "billing", amount = 400, summary = "x" } }, Patience()));
            if (answer is { } done && (int)done.Status is >= 200 and < 300)
            {
                Completed.Add(open.Instance);
            }
            else if (answer is null or { Status: HttpStatusCode.ServiceUnavailable })
            {
                _open.Enqueue(open); // nothing was changed: try again later, as a caller would
                await Task.Delay(20, CancellationToken.None);
            }
        }
    }

    private static CancellationToken Patience() => new CancellationTokenSource(s_requestPatience).Token;

    private async Task<(HttpStatusCode Status, JsonElement Body)?> SendAsync(Func<Task<HttpResponseMessage>> send)
    {
        HttpResponseMessage response;
        try
        {
            response = await send();
        }
        catch (OperationCanceledException)
        {
            Unexpected.Add($"a request hung for {s_requestPatience.TotalSeconds:N0} s");
            return null;
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            Statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            var text = await response.Content.ReadAsStringAsync();
            JsonElement body = default;
            try
            {
                body = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
            }
            catch (JsonException)
            {
                Unexpected.Add($"{status} with a body that is not JSON: {text}");
            }

            if (status >= 500 && !(status == 503 && body.ValueKind == JsonValueKind.Object && body.TryGetProperty("detail", out _) && response.Headers.RetryAfter is not null))
            {
                Unexpected.Add($"{status}: {text}");
            }
            else if (status == 503)
            {
                Problems.AddOrUpdate(body.GetProperty("detail").GetString() ?? "", 1, (_, n) => n + 1);
            }

            return (response.StatusCode, body);
        }
    }

    public override string ToString() => $"{Started.Count} started, {TimersStarted.Count} timer processes started, {Completed.Count} completed, answers {string.Join(", ", Statuses.OrderBy(s => s.Key))}";
}

/// <summary>Watches the host's background worker: how many rounds in a row it failed at most, and whether it ever stopped.</summary>
internal sealed class WorkerWatch : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watching;

    public WorkerWatch(TestHost host)
    {
        var worker = host.Factory.Services.GetRequiredService<WorkflowEngine>().Worker;
        _watching = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                var status = worker.Status;
                MaxFailures = Math.Max(MaxFailures, status.ConsecutiveFailures);
                Stopped |= status.State == WorkerState.Stopped;
                Last = status;
                await Task.Delay(10, CancellationToken.None);
            }
        });
    }

    public int MaxFailures { get; private set; }

    public bool Stopped { get; private set; }

    public WorkerStatus? Last { get; private set; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _watching;
        _stop.Dispose();
    }
}

/// <summary>Records the host's log entries of the given event ids.</summary>
internal sealed class RecordingLoggerProvider(params int[] eventIds) : ILoggerProvider
{
    public ConcurrentQueue<(int EventId, LogLevel Level, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Recorder(this);

    public void Dispose()
    {
    }

    private sealed class Recorder(RecordingLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (provider._eventIds.Contains(eventId.Id))
            {
                provider.Entries.Enqueue((eventId.Id, logLevel, formatter(state, exception)));
            }
        }
    }

    private readonly int[] _eventIds = eventIds;
}

/// <summary>What the store holds after a fault: read straight from the database.</summary>
internal static class FaultChecks
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(45);

    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > Deadline)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }

    public static async Task<string?> ReadinessAsync(HttpClient probe)
    {
        using var response = await probe.GetAsync(new Uri("/health/ready", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        return text.StartsWith('{') ? JsonDocument.Parse(text).RootElement.GetProperty("status").GetString() : null;
    }

    /// <summary>How many history rows of <paramref name="kind"/> at <paramref name="elementId"/> each instance has.</summary>
    public static async Task<Dictionary<string, long>> HistoryCountsAsync(DbConnection db, string kind, string elementId)
    {
        await using var command = db.CreateCommand();
        command.CommandText = $"SELECT instance_id, COUNT(*) FROM wf_history WHERE kind = '{kind}' AND element_id = '{elementId}' GROUP BY instance_id";
        var counts = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            counts[reader.GetValue(0).ToString()!] = Convert.ToInt64(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture);
        }

        return counts;
    }

    public static async Task<HashSet<string>> InstancesAsync(DbConnection db)
    {
        await using var command = db.CreateCommand();
        command.CommandText = "SELECT id FROM wf_instances";
        var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetValue(0).ToString()!);
        }

        return ids;
    }

    /// <summary>Complaints whose registration is done and whose back-office investigation, which the outbox's handoff starts, is not there.</summary>
    public const string HandoffsMissing =
        "SELECT COUNT(*) FROM wf_instances c WHERE c.process_id = 'complaint' " +
        "AND EXISTS (SELECT 1 FROM wf_history h WHERE h.instance_id = c.id AND h.kind = 'task-completed' AND h.element_id = 'register') " +
        "AND NOT EXISTS (SELECT 1 FROM wf_instances i WHERE i.process_id = 'complaint-investigation' AND i.business_key = c.business_key)";

    /// <summary>Complaints handed over to the back office more than once.</summary>
    public const string HandoffsTwice =
        "SELECT COUNT(*) FROM (SELECT business_key FROM wf_instances WHERE process_id = 'complaint-investigation' GROUP BY business_key HAVING COUNT(*) > 1) x";

    public static async Task<long> CountAsync(DbConnection db, string sql)
    {
        await using var command = db.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Timers and in-process jobs due more than 5 s ago (leased ones too: a lease runs out and the worker takes them again).</summary>
    public static async Task<long> OverdueAsync(DbConnection db)
    {
        await using var command = db.CreateCommand();
        command.CommandText = "SELECT (SELECT COUNT(*) FROM wf_jobs WHERE external = 0 AND due_at <= @now) + (SELECT COUNT(*) FROM wf_timers WHERE due_at <= @now)";
        var now = command.CreateParameter();
        now.ParameterName = "@now";
        now.Value = DateTimeOffset.UtcNow.AddSeconds(-5).UtcTicks;
        command.Parameters.Add(now);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
