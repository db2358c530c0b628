using NUnit.Framework;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// When the commit queue starts another flusher while a group is being written (issue 19, round 20): on a server, a lone
/// command waits for the group in flight rather than pay a transaction of its own, and a second one arriving starts
/// another group that takes both.
/// </summary>
public sealed class CommitQueueTests
{
    // A flush that holds each group until the test lets it go, and keeps what each group held.
    private sealed class HeldFlushes
    {
        private readonly Lock _gate = new();
        private readonly List<(int Size, TaskCompletionSource Release)> _groups = [];

        public Task FlushAsync(List<PendingCommit> group)
        {
            var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_gate)
            {
                _groups.Add((group.Count, release));
            }

            return release.Task.ContinueWith(_ => group.ForEach(p => p.Durable()), TaskScheduler.Default);
        }

        public int[] Sizes
        {
            get
            {
                lock (_gate)
                {
                    return [.. _groups.Select(g => g.Size)];
                }
            }
        }

        public void Release(int group)
        {
            lock (_gate)
            {
                _groups[group].Release.SetResult();
            }
        }

        // Flushers run off the caller's thread: wait (bounded) until `count` groups have reached the flush.
        public async Task UntilAsync(int count)
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (Sizes.Length < count && DateTime.UtcNow < deadline)
            {
                await Task.Delay(5);
            }

            Assert.That(Sizes, Has.Length.GreaterThanOrEqualTo(count), $"{count} groups reached the flush");
        }
    }

    // A queue of up to four flushers whose first group (one command) is being written and held.
    private static async Task<(HeldFlushes Flushes, CommitQueue Queue, Task First)> FirstGroupInFlightAsync(int waitingForAnother, TimeSpan? holdAtMost = null)
    {
        var flushes = new HeldFlushes();
        var queue = new CommitQueue(flushes.FlushAsync, maxFlushers: 4, maxGroup: 32, waitingForAnother, holdAtMost);
        var first = queue.CommitAsync(new ChangeSet(), [], CancellationToken.None);
        await flushes.UntilAsync(1);
        return (flushes, queue, first);
    }

    [Test]
    public async Task On_a_server_a_command_arriving_while_a_group_is_written_waits_until_a_second_one_comes_and_then_both_share_a_group()
    {
        var (flushes, queue, first) = await FirstGroupInFlightAsync(waitingForAnother: 2);
        var second = queue.CommitAsync(new ChangeSet(), [], CancellationToken.None);
        Assert.That(queue.Waiting, Is.EqualTo(1), "a lone command waits while the first group is written: no flusher of its own");
        var third = queue.CommitAsync(new ChangeSet(), [], CancellationToken.None);
        await flushes.UntilAsync(2);

        flushes.Release(1);
        await Task.WhenAll(second, third);
        flushes.Release(0);
        await first;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(flushes.Sizes, Is.EqualTo(new[] { 1, 2 }), "the second and third shared the second group");
            Assert.That(queue.MostFlushers, Is.EqualTo(2));
            Assert.That(queue.Waiting, Is.Zero);
        }
    }

    [Test]
    public async Task A_command_waiting_alone_is_written_by_the_flusher_in_flight_once_its_group_is_done()
    {
        var (flushes, queue, first) = await FirstGroupInFlightAsync(waitingForAnother: 2);
        var second = queue.CommitAsync(new ChangeSet(), [], CancellationToken.None);
        flushes.Release(0);
        await first;
        await flushes.UntilAsync(2);
        flushes.Release(1);
        await second;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(flushes.Sizes, Is.EqualTo(new[] { 1, 1 }));
            Assert.That(queue.MostFlushers, Is.EqualTo(1), "one flusher wrote both groups");
        }
    }

    [Test]
    public async Task Without_a_threshold_every_arrival_starts_a_flusher_up_to_the_limit()
    {
        var (flushes, queue, first) = await FirstGroupInFlightAsync(waitingForAnother: 1);
        var second = queue.CommitAsync(new ChangeSet(), [], CancellationToken.None);
        await flushes.UntilAsync(2);
        flushes.Release(0);
        flushes.Release(1);
        await Task.WhenAll(first, second);
        Assert.That(queue.MostFlushers, Is.EqualTo(2));
    }

    [Test]
    public async Task A_command_waiting_alone_behind_a_group_that_does_not_end_gets_a_flusher_of_its_own_once_it_has_waited_its_bound()
    {
        // The group in flight may wait on a row lock another session holds (review 20, F3): the lone command behind it is
        // written by a free flusher, not kept until that group ends.
        var (flushes, queue, first) = await FirstGroupInFlightAsync(waitingForAnother: 3, holdAtMost: TimeSpan.FromMilliseconds(20));
        var second = queue.CommitAsync(new ChangeSet(), [], CancellationToken.None);
        await flushes.UntilAsync(2);
        flushes.Release(1);
        await second;
        Assert.That(first.IsCompleted, Is.False, "the first group is still held");
        flushes.Release(0);
        await first;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(flushes.Sizes, Is.EqualTo(new[] { 1, 1 }));
            Assert.That(queue.MostFlushers, Is.EqualTo(2));
        }
    }
}
