using Workflows.Engine.Storage;
using TaskStatus = Workflows.Engine.Storage.TaskStatus;

namespace Workflows.Engine.Tests.Storage;

/// <summary>An instance's open tasks in the in-memory store: created, closed and read back as an instance's list.</summary>
public sealed class InMemoryOpenTaskTests
{
    private static readonly DateTimeOffset s_at = new(2026, 12, 5, 10, 0, 0, TimeSpan.Zero);

    private static UserTaskRecord Opened(Guid instanceId, string elementId) =>
        new(Guid.NewGuid(), instanceId, 1, elementId, null, "p", null, null, ["front-desk"], [], 50, null, null, null, s_at);

    private static async Task CommitAsync(InMemoryWorkflowStore store, IEnumerable<UserTaskRecord> created, params Guid[] closed)
    {
        var changes = new ChangeSet();
        changes.TasksCreated.AddRange(created);
        changes.TasksClosed.AddRange(closed.Select(id => (id, TaskStatus.Completed)));
        await store.CommitAsync(changes, default);
    }

    private static async Task<string[]> OpenAsync(InMemoryWorkflowStore store, Guid instanceId) =>
        [.. (await store.GetOpenUserTasksAsync(instanceId, default)).Select(t => t.ElementId)];

    [Test]
    public async Task Tasks_opened_at_the_same_moment_are_listed_in_the_order_they_were_created_whatever_closed_between()
    {
        var store = new InMemoryWorkflowStore();
        var instanceId = Guid.NewGuid();
        var (a, b, c) = (Opened(instanceId, "a"), Opened(instanceId, "b"), Opened(instanceId, "c"));
        await CommitAsync(store, [a, b, c]);
        await CommitAsync(store, [Opened(instanceId, "d")], b.Id);
        var afterB = await OpenAsync(store, instanceId);
        await CommitAsync(store, [], a.Id, c.Id);
        var afterAC = await OpenAsync(store, instanceId);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(afterB, Is.EqualTo(new[] { "a", "c", "d" }), "d after c although it took the place b left");
            Assert.That(afterAC, Is.EqualTo(new[] { "d" }));
        }
    }

    [Test]
    public async Task An_instance_whose_tasks_are_opened_one_after_the_other_lists_the_open_one_and_none_at_the_end()
    {
        var store = new InMemoryWorkflowStore();
        var instanceId = Guid.NewGuid();
        var other = Opened(Guid.NewGuid(), "other");
        var first = Opened(instanceId, "first");
        await CommitAsync(store, [first, other]);
        var second = Opened(instanceId, "second");
        await CommitAsync(store, [second], first.Id);
        var listed = await OpenAsync(store, instanceId);
        await CommitAsync(store, [], second.Id, second.Id);
        var atTheEnd = await OpenAsync(store, instanceId);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(listed, Is.EqualTo(new[] { "second" }));
            Assert.That(atTheEnd, Is.Empty);
            Assert.That(await OpenAsync(store, other.InstanceId), Is.EqualTo(new[] { "other" }));
            Assert.That(await store.GetOpenUserTasksOfInstancesAsync([instanceId, other.InstanceId, other.InstanceId], default), Is.EqualTo(new[] { other }));
            Assert.That((await store.GetUserTaskAsync(second.Id, default))!.Status, Is.EqualTo(TaskStatus.Completed));
        }
    }
}
