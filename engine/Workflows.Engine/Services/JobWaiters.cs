using Workflows.Engine.Storage;

namespace Workflows.Engine.Services;

/// <summary>
/// The long polls of this node waiting for jobs, by type: a committed command that creates a due job of a type wakes
/// its waiters, who then claim from the store like anyone else (another node's job is found by their next poll).
/// </summary>
internal sealed class JobWaiters
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (TaskCompletionSource Signal, int Waiting)> _byType = new(StringComparer.Ordinal);

    /// <summary>The signal the next job of <paramref name="type"/> sets; <see cref="Leave"/> once done waiting.</summary>
    public Task Join(string type)
    {
        lock (_gate)
        {
            if (!_byType.TryGetValue(type, out var entry))
            {
                entry = (new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), 0);
            }
            else if (entry.Signal.Task.IsCompleted)
            {
                // Woken before: the ones still counted wait on a signal of their own, and leave in turn.
                entry = (new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), entry.Waiting);
            }

            _byType[type] = (entry.Signal, entry.Waiting + 1);
            return entry.Signal.Task;
        }
    }

    public void Leave(string type)
    {
        lock (_gate)
        {
            if (_byType.TryGetValue(type, out var entry))
            {
                if (entry.Waiting <= 1)
                {
                    _byType.Remove(type);
                }
                else
                {
                    _byType[type] = (entry.Signal, entry.Waiting - 1);
                }
            }
        }
    }

    public void OnCommitted(ChangeSet changes, TimeProvider time)
    {
        if (changes.JobsCreated.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            if (_byType.Count == 0)
            {
                return;
            }

            var now = time.GetUtcNow();
            foreach (var job in changes.JobsCreated)
            {
                if (job.DueAt <= now && _byType.TryGetValue(job.Type, out var entry))
                {
                    entry.Signal.TrySetResult();
                }
            }
        }
    }
}
