namespace Workflows.Engine.Storage;

// The jobs and timers of an instance that cannot run, held under a lease with no end.
internal sealed partial class InMemoryWorkflowStore
{
    public ValueTask ParkInstanceWorkAsync(Guid instanceId, string holder, CancellationToken ct)
    {
        lock (_gate)
        {
            foreach (var id in WorkOf(instanceId))
            {
                _leases[id] = (holder, DateTimeOffset.MaxValue);
            }

            return ValueTask.CompletedTask;
        }
    }

    public ValueTask UnparkInstanceWorkAsync(Guid instanceId, string holder, CancellationToken ct)
    {
        lock (_gate)
        {
            foreach (var id in WorkOf(instanceId).Where(id => _leases.TryGetValue(id, out var lease) && lease.Owner == holder))
            {
                _leases.Remove(id);
            }

            return ValueTask.CompletedTask;
        }
    }

    private List<Guid> WorkOf(Guid instanceId) =>
        [.. _jobs.Values.Where(j => j.InstanceId == instanceId).Select(j => j.Id), .. _timers.Values.Where(t => t.InstanceId == instanceId).Select(t => t.Id)];
}
