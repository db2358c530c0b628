using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Workflows.Host.Tests;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// SQLite on a disk that fills up while a group commit is written: every command of the group, starts and completions
/// alike, is told the store is full (none is released as durable, none hangs), nothing of the group is in the file, and
/// once space is freed the same commands commit, without a new store.
/// </summary>
/// <remarks>The full disk is real: a size-limited tmpfs filled to its last byte (<see cref="SizeLimitedDirectory"/>, root only).</remarks>
[NonParallelizable]
public sealed class SqliteFullDiskTests
{
    private const int Waiting = 6;
    private const int Starts = 6;

    [Test]
    public async Task A_group_of_starts_and_completions_cut_by_a_full_disk_tells_each_caller_leaves_nothing_and_commits_once_space_is_freed()
    {
        await using var disk = await SizeLimitedDirectory.MountAsync(32);
        var options = new SqlStoreOptions { ConnectionString = $"Data Source={Path.Combine(disk.Path, "full.db")}" };
        await SqlWorkflowEngine.MigrateAsync(options);
        var store = new SqlWorkflowStore(SqlDialect.For(SqlProvider.Sqlite), options.ConnectionString);
        var engine = new WorkflowEngine(store, new WorkflowEngineOptions(), TimeProvider.System, NullLogger.Instance);
        await engine.Deployments.DeployAsync(Process("full", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("work")}
            <bpmn:endEvent id="end"/>
            {Chain("start", "work", "end")}
            """));
        var tasks = new List<Guid>();
        for (var i = 0; i < Waiting; i++)
        {
            tasks.Add((await engine.Tasks.GetOpenAsync(await engine.Runtime.StartAsync(new StartInstance("full")))).Single().Id);
        }

        // The first commit is held at its first write until every other command waits in the queue behind it, so that
        // they go in one group (they join it while it is written, CommitQueue.TakeArrived); then the disk fills up.
        const int Commands = Waiting + Starts;
        var arrivals = new CommitArrivals(Commands);
        store.BeforeCommit = arrivals.OnCommit;
        var held = 0;
        var waitingAtFill = 0;
        store.FailureInjection = async _ =>
        {
            if (Interlocked.Exchange(ref held, 1) == 0)
            {
                await arrivals.All.WaitAsync(TimeSpan.FromSeconds(120));
                // The last arrivals are between BeforeCommit and the queue: a step away (bounded only against a hang).
                for (var spins = 0; store.CommitsWaiting < Commands - 1 && spins < 24_000; spins++)
                {
                    await Task.Delay(5);
                }

                waitingAtFill = store.CommitsWaiting;
                disk.Fill();
            }
        };

        var outcomes = await Task.WhenAll(tasks.Select(t => Outcome(() => engine.Tasks.CompleteAsync(t, null, "agent")))
            .Concat(Enumerable.Range(0, Starts).Select(_ => Outcome(() => engine.Runtime.StartAsync(new StartInstance("full"))))));
        store.BeforeCommit = null;
        store.FailureInjection = null;
        var (instancesWhileFull, completionsWhileFull, integrity) = await RowsAsync(store);

        disk.Free();
        var again = await Task.WhenAll(tasks.Select(t => Outcome(() => engine.Tasks.CompleteAsync(t, null, "agent")))
            .Concat(Enumerable.Range(0, Starts).Select(_ => Outcome(() => engine.Runtime.StartAsync(new StartInstance("full"))))));
        var (instancesAfter, completionsAfter, integrityAfter) = await RowsAsync(store);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(waitingAtFill, Is.EqualTo(Commands - 1), "every other command waited behind the held one when the disk filled (review16 F4)");
            Assert.That(outcomes.Select(o => o?.GetType().Name), Has.All.Not.Null, "no command of the group was released as written");
            Assert.That(outcomes.Select(o => SqlStoreFaults.Reason(o)), Has.All.EqualTo("the database or its disk is full"), "each caller of the group is told the store is full");
            Assert.That((instancesWhileFull, completionsWhileFull), Is.EqualTo(((long)Waiting, 0L)), "nothing of the group is in the file: no start, no completion");
            Assert.That(integrity, Is.EqualTo("ok"), "the file is whole");
            Assert.That(again.Select(o => o?.Message), Has.All.Null, "once space is freed the same commands commit");
            Assert.That((instancesAfter, completionsAfter), Is.EqualTo(((long)Waiting + Starts, (long)Waiting)), "each once");
            Assert.That(integrityAfter, Is.EqualTo("ok"));
        }
    }

    // The failure a command ended with, or null when it committed.
    private static Task<Exception?> Outcome(Func<Task> command) => Task.Run(async () =>
    {
        try
        {
            await command();
            return (Exception?)null;
        }
        catch (Exception e)
        {
            return e;
        }
    });

    private static async Task<(long Instances, long Completions, string? Integrity)> RowsAsync(SqlWorkflowStore store)
    {
        await using var connection = await store.OpenAsync(default);
        var instances = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM wf_instances WHERE process_id = 'full'");
        var completions = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM wf_history WHERE kind = 'task-completed'");
        return (instances, completions, await connection.ExecuteScalarAsync<string>("PRAGMA integrity_check"));
    }
}
