using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// Counts the commands that reach a store's commit (<see cref="OnCommit"/> as its <c>BeforeCommit</c>): a test holds the
/// first commit until <see cref="All"/> completes, so that the others pile up behind it and go in one group.
/// </summary>
internal sealed class CommitArrivals(int expected)
{
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _arrived;

    /// <summary>Completes once <c>expected</c> commands have arrived.</summary>
    public Task All => _all.Task;

    /// <summary>One command arrived (or never will: a test may count one that fails before its commit).</summary>
    public void Arrive()
    {
        if (Interlocked.Increment(ref _arrived) >= expected)
        {
            _all.TrySetResult();
        }
    }

    /// <summary>A <c>BeforeCommit</c> hook counting each commit.</summary>
    public Task OnCommit(ChangeSet changes)
    {
        Arrive();
        return Task.CompletedTask;
    }
}
