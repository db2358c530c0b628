using NUnit.Framework;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;
using TaskStatus = Workflows.Engine.Storage.TaskStatus;

namespace Workflows.Engine.Sql.Tests;

// The commit's guards and what its writes change, straight on the store: the places where the in-memory
// store once differed from the databases.
public abstract partial class StoreSuite
{
    private static readonly DateTimeOffset s_at = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private static DefinitionRecord Definition(string processId, int version) =>
        new(Guid.NewGuid(), processId, version, null, "sum", "<xml/>", Guid.NewGuid(), s_at, null);

    private static async Task CommitAsync(IWorkflowStore store, Action<ChangeSet> change)
    {
        var changes = new ChangeSet();
        change(changes);
        await store.CommitAsync(changes, default);
    }

    [Test]
    public async Task A_second_definition_of_a_process_version_is_refused_as_a_conflict_and_writes_nothing()
    {
        var store = NewStore();
        var process = "twice-" + Guid.NewGuid().ToString("N")[..8];
        await CommitAsync(store, c => c.Definitions.Add(Definition(process, 1)));
        var late = Definition(process, 1);

        Assert.That(async () => await CommitAsync(store, c => c.Definitions.Add(late)), Throws.TypeOf<ConcurrencyConflictException>());
        Assert.That(await store.GetDefinitionAsync(late.Id, default), Is.Null);
    }

    [Test]
    public async Task A_row_created_twice_is_refused_as_a_conflict()
    {
        var store = NewStore();
        var job = new JobRecord(Guid.NewGuid(), Guid.NewGuid(), 2, "call", "twice-" + Guid.NewGuid().ToString("N")[..8], 3, s_at, s_at, "{}", "{}");
        await CommitAsync(store, c => c.JobsCreated.Add(job));

        Assert.That(async () => await CommitAsync(store, c => c.JobsCreated.Add(job with { Retries = 1 })), Throws.TypeOf<ConcurrencyConflictException>());
        Assert.That((await store.GetJobAsync(job.Id, default))!.Retries, Is.EqualTo(3));
    }

    [Test]
    public async Task A_clock_created_twice_is_refused_as_a_conflict_by_the_service_levels_part_of_the_store()
    {
        var store = NewStore();
        var instanceId = Guid.NewGuid();
        var clock = new ServiceLevels.SlaClockRecord(Guid.NewGuid(), instanceId, 1, "triage", ServiceLevels.ClockKind.Sla, 2, null, "twice", null, null, null, null,
            "P1D", false, TimeSpan.FromDays(1).Ticks, s_at) { TargetAt = s_at.AddDays(1), NextDueAt = s_at.AddDays(1) };
        await CommitAsync(store, c => c.PartToFill<ServiceLevels.ServiceLevelChanges>().ClocksCreated.Add(clock));

        Assert.That(async () => await CommitAsync(store, c => c.PartToFill<ServiceLevels.ServiceLevelChanges>().ClocksCreated.Add(clock with { Level = 3 })),
            Throws.TypeOf<ConcurrencyConflictException>());
        Assert.That((await store.GetClocksOfInstancesAsync([instanceId], openOnly: false, default)).Select(c => c.Level), Is.EqualTo(new[] { 2 }));
    }

    [Test]
    public async Task A_task_update_changes_its_assignee_queues_priority_and_clock_and_nothing_else()
    {
        var store = NewStore();
        var task = new UserTaskRecord(Guid.NewGuid(), Guid.NewGuid(), 2, "review", "Review", "p", "K-1", null, ["front"], [], 50, s_at.AddHours(4), null, null, s_at);
        await CommitAsync(store, c => c.TasksCreated.Add(task));

        var changed = task with
        {
            Assignee = "ann", CandidateGroups = ["back"], CandidateUsers = ["bob"], Priority = 90, Mark = new((int)SlaState.Warning, s_at.AddHours(1)),
            Name = "Renamed", DueDate = s_at, Status = TaskStatus.Completed, BusinessKey = "K-2",
        };
        await CommitAsync(store, c => c.UpdateTask(changed, task));
        var stored = (await store.GetUserTaskAsync(task.Id, default))!;

        using (Assert.EnterMultipleScope())
        {
            Assert.That((stored.Assignee, stored.Priority, stored.Mark), Is.EqualTo(("ann", 90, new TaskMark((int)SlaState.Warning, s_at.AddHours(1)))));
            Assert.That(stored.CandidateGroups, Is.EqualTo(new[] { "back" }));
            Assert.That(stored.CandidateUsers, Is.EqualTo(new[] { "bob" }));
            Assert.That((stored.Name, stored.DueDate, stored.Status, stored.BusinessKey), Is.EqualTo(("Review", (DateTimeOffset?)s_at.AddHours(4), TaskStatus.Open, "K-1")));
        }
    }

    [Test]
    public async Task Instances_are_listed_newest_started_first_whatever_their_ids()
    {
        var store = NewStore();
        var process = "listed-" + Guid.NewGuid().ToString("N")[..8];

        // Ids that sort the other way round from the start times.
        var older = new InstanceRecord(Guid.Parse("ffffffff" + Guid.NewGuid().ToString()[8..]), process, Guid.NewGuid(), 1, null, ProcessInstanceStatus.Active, 1, s_at, null, null, "{}"u8.ToArray());
        var newer = older with { Id = Guid.Parse("00000000" + Guid.NewGuid().ToString()[8..]), StartedAt = s_at.AddMinutes(1) };
        await CommitAsync(store, c =>
        {
            c.Instances.Add(new InstanceWrite(older, 0));
            c.Instances.Add(new InstanceWrite(newer, 0));
        });

        var listed = await store.FindInstancesAsync(new InstanceFilter(process, null, 10), default);

        Assert.That(listed.Select(i => i.Id), Is.EqualTo(new[] { newer.Id, older.Id }));
    }
}
