using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Workflows.Engine.Services;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>The background worker on a real SQLite file that stops taking writes or has lost its schema.</summary>
[NonParallelizable]
public sealed class WorkerFaultTests
{
    private static readonly string TimerProcess = Process("p", $"""
        <bpmn:startEvent id="s"/>
        <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT0.01S</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
        {UserTask("after")}{Chain("s", "wait", "after")}
        """);

    private string _directory = "";

    private string File => Path.Combine(_directory, "workflows.db");

    [SetUp]
    public void CreateDirectory() => _directory = Directory.CreateTempSubdirectory("workflows-faults-").FullName;

    [TearDown]
    public void DeleteDirectory()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Test]
    public async Task A_worker_whose_database_is_read_only_keeps_retrying_and_reports_not_ready_until_stopped()
    {
        var writable = await SqlWorkflowEngine.CreateAsync(new SqlStoreOptions { ConnectionString = $"Data Source={File}" });
        await writable.Deployments.DeployAsync(TimerProcess);
        await writable.Runtime.StartAsync(new StartInstance("p"));
        var readOnly = Engine($"Data Source={File};Mode=ReadOnly");
        using var stop = new CancellationTokenSource();

        var worker = readOnly.Worker.RunAsync(stop.Token);
        var faulted = await EventuallyAsync(() => readOnly.Worker.Status is { State: WorkerState.Faulted, ConsecutiveFailures: >= 3 });
        var status = readOnly.Worker.Status;
        await stop.CancelAsync();
        await worker;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(faulted, Is.True, $"the worker failed several rounds in a row and kept going; it says {status}");
            Assert.That(status.IsReady, Is.False);
            Assert.That(status.Fault, Does.Contain("readonly"), "the fault names what is wrong");
            Assert.That(readOnly.Worker.Status.State, Is.EqualTo(WorkerState.Stopped), "cancelling stops it cleanly, fault or not");
        }
    }

    [Test]
    public async Task A_worker_recovers_on_its_own_when_the_fault_goes_and_fires_what_came_due_meanwhile()
    {
        // A database without its schema (restored empty, say): every round fails until it is migrated.
        var store = new SqlStoreOptions { ConnectionString = $"Data Source={File}" };
        var engine = Engine(store.ConnectionString);
        using var stop = new CancellationTokenSource();
        var worker = engine.Worker.RunAsync(stop.Token);
        var faulted = await EventuallyAsync(() => engine.Worker.Status.State == WorkerState.Faulted);

        await SqlWorkflowEngine.MigrateAsync(store);
        await engine.Deployments.DeployAsync(TimerProcess);
        var id = await engine.Runtime.StartAsync(new StartInstance("p"));
        var fired = await EventuallyAsync(async () => (await engine.Tasks.GetOpenAsync(id)).Count == 1);
        // The round that fired the timer marks the worker recovered when it returns, just after the task is visible.
        _ = await EventuallyAsync(() => engine.Worker.Status.State == WorkerState.Running);
        var status = engine.Worker.Status;
        await stop.CancelAsync();
        await worker;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(faulted, Is.True, "the worker met the fault");
            Assert.That(fired, Is.True, "the timer fired once the store took writes again");
            Assert.That(status, Is.EqualTo(new WorkerStatus(WorkerState.Running, status.Since, null, 0)), "ready again, with no fault left");
        }
    }

    [Test]
    public async Task The_store_write_probe_writes_its_row_on_a_writable_database_and_fails_naming_the_fault_on_a_read_only_one()
    {
        var writable = await SqlWorkflowEngine.CreateAsync(new SqlStoreOptions { ConnectionString = $"Data Source={File}" });
        await writable.Worker.ProbeStoreWriteAsync();
        await writable.Worker.ProbeStoreWriteAsync(); // the second updates the row the first inserted
        var readOnly = Engine($"Data Source={File};Mode=ReadOnly");

        var refused = Assert.CatchAsync(() => readOnly.Worker.ProbeStoreWriteAsync());
        await using var db = new SqliteConnection($"Data Source={File};Mode=ReadOnly;Pooling=False");
        await db.OpenAsync();
        await using var read = db.CreateCommand();
        read.CommandText = "SELECT COUNT(*) FROM wf_leases WHERE name = 'store-probe' AND owner IS NOT NULL";

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await read.ExecuteScalarAsync(), Is.EqualTo(1L), "one probe row, written by the probes");
            Assert.That(SqlStoreFaults.Reason(refused), Is.EqualTo("the database is read-only"), refused?.ToString());
        }
    }

    private static WorkflowEngine Engine(string connectionString)
    {
        var options = new WorkflowEngineOptions
        {
            Worker = { PollInterval = TimeSpan.FromMilliseconds(20), FaultBackoff = TimeSpan.FromMilliseconds(10), MaxFaultBackoff = TimeSpan.FromMilliseconds(50) },
        };
        return new WorkflowEngine(new SqlWorkflowStore(SqlDialect.For(SqlProvider.Sqlite), connectionString), options, TimeProvider.System, NullLogger.Instance);
    }

    private static Task<bool> EventuallyAsync(Func<bool> condition) => EventuallyAsync(() => Task.FromResult(condition()));

    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        // The worker runs on real time here (a real file, real faults); allow for two busy cores.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(20);
        }

        return true;
    }
}
