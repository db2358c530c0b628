using Workflows.Engine.Runtime;

namespace Workflows.Engine.Storage;

// The jobs, timers and SLA clocks of an instance that cannot run, held under a lease with no end; the instances it called.
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

    public ValueTask<IReadOnlyList<InstanceRecord>> GetActiveCalledInstancesAsync(Guid parentId, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<InstanceRecord> called = _instances.Values
                .Where(i => i.ParentInstanceId == parentId && i.Status == ProcessInstanceStatus.Active)
                .OrderBy(i => i.StartedAt).ThenBy(i => i.Id).ToList();
            return new(called);
        }
    }

    private List<Guid> WorkOf(Guid instanceId) =>
    [
        .. _jobs.Values.Where(j => j.InstanceId == instanceId).Select(j => j.Id),
        .. _timers.Values.Where(t => t.InstanceId == instanceId).Select(t => t.Id),
        .. _clocksByInstance.GetValueOrDefault(instanceId) ?? [],
    ];
}
