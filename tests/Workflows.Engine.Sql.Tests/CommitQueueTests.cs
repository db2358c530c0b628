using NUnit.Framework;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// Group commit's queue (<see cref="CommitQueue"/>): a lone command is written at once, and between two groups the
/// flusher gives way, so that what its released callers commit next joins one group instead of starting several.
/// </summary>
public sealed class CommitQueueTests
{
    [Test]
    public async Task A_lone_command_is_written_at_once_and_the_flusher_gives_way_only_after_a_group()
    {
        var events = new List<string>();
        var gaveWay = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var queue = new CommitQueue(
            group =>
            {
                lock (events)
                {
                    events.Add($"group of {group.Count}");
                }

                group.ForEach(pending => pending.Durable());
                return Task.CompletedTask;
            },
            maxFlushers: 1,
            maxGroup: 128,
            betweenGroups: () =>
            {
                lock (events)
                {
                    events.Add("gave way");
                }

                gaveWay.TrySetResult();
                return Task.CompletedTask;
            });

        await queue.CommitAsync(new ChangeSet(), default).WaitAsync(TimeSpan.FromSeconds(30));
        await gaveWay.Task.WaitAsync(TimeSpan.FromSeconds(30));

        lock (events)
        {
            Assert.That(events, Is.EqualTo(new[] { "group of 1", "gave way" }), "the command was written before the flusher gave way");
        }
    }

    [Test]
    public async Task What_the_released_callers_commit_while_the_flusher_gives_way_joins_the_next_group()
    {
        var groups = new List<int>();
        CommitQueue? queue = null;
        Task[]? next = null;
        var cameBack = new TaskCompletionSource<Task[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        queue = new CommitQueue(
            group =>
            {
                lock (groups)
                {
                    groups.Add(group.Count);
                }

                group.ForEach(pending => pending.Durable());
                return Task.CompletedTask;
            },
            maxFlushers: 1,
            maxGroup: 128,
            betweenGroups: () =>
            {
                // As the callers a group released would, each with its next command, once: then nobody comes back.
                if (next is null)
                {
                    next = [.. Enumerable.Range(0, 3).Select(_ => queue!.CommitAsync(new ChangeSet(), default))];
                    cameBack.TrySetResult(next);
                }

                return Task.CompletedTask;
            });

        await queue.CommitAsync(new ChangeSet(), default).WaitAsync(TimeSpan.FromSeconds(30));
        await Task.WhenAll(await cameBack.Task.WaitAsync(TimeSpan.FromSeconds(30))).WaitAsync(TimeSpan.FromSeconds(30));

        lock (groups)
        {
            Assert.That(groups, Is.EqualTo(new[] { 1, 3 }), "the three commands that came while the flusher gave way went in one group");
        }
    }
}
