namespace Workflows.Engine;

/// <summary>
/// How running instances of a process move to another of its versions (Camunda 8's process instance migration): the
/// target version and the element mappings; an active element not mapped keeps its id, which the target must have.
/// </summary>
/// <param name="ProcessId">The journey (process id) whose instances migrate; the target is a version of the same process.</param>
/// <param name="TargetVersion">The version they move to: one the instance's branch runs (its pin, else the latest).</param>
/// <remarks>
/// An instance migrates whole or not at all, in one command: its element instances keep their keys, variables, tasks
/// (assignee, queues, due dates), jobs, SLA clocks (due times kept), timers (due times kept) and subscriptions, each
/// re-pointed at the mapped element; boundary events and event sub-processes the target adds are opened. An instance
/// that does not fit the plan is refused with every reason (see <see cref="InstanceMigrationPreview.Reasons"/>).
/// </remarks>
public sealed record MigrationPlan(string ProcessId, int TargetVersion)
{
    /// <summary>Source element id → target element id, for the elements whose id changed.</summary>
    public IReadOnlyList<ElementMapping> Mappings { get; init; } = [];
}

/// <summary>One element of the source version mapped to one of the target version.</summary>
/// <param name="Source">The element id in the instance's version.</param>
/// <param name="Target">The element id in the target version.</param>
public sealed record ElementMapping(string Source, string Target);

/// <summary>A dry run of a migration: what would happen to each instance, and why those that cannot migrate cannot.</summary>
/// <param name="ProcessId">The journey.</param>
/// <param name="TargetVersion">The version the instances would move to.</param>
/// <param name="Instances">The instances looked at, in id order.</param>
/// <param name="Next">The last instance id looked at when more may follow (give it as <c>after</c>); null at the end.</param>
public sealed record MigrationPreview(string ProcessId, int TargetVersion, IReadOnlyList<InstanceMigrationPreview> Instances, Guid? Next)
{
    /// <summary>How many of <see cref="Instances"/> would migrate.</summary>
    public int Migratable => Instances.Count(i => i.CanMigrate);
}

/// <summary>One instance in a dry run.</summary>
/// <param name="InstanceId">The instance.</param>
/// <param name="Branch">Its branch.</param>
/// <param name="Version">The version it runs now.</param>
/// <param name="CanMigrate">Whether it would migrate.</param>
/// <param name="Moves">What would move: each active element as <c>source → target</c> (or kept), and each wait opened.</param>
/// <param name="Reasons">Every reason it cannot migrate; empty when it can.</param>
public sealed record InstanceMigrationPreview(Guid InstanceId, string? Branch, int Version, bool CanMigrate, IReadOnlyList<string> Moves, IReadOnlyList<string> Reasons);

/// <summary>An instance the engine does not migrate: every reason, and nothing changed.</summary>
public sealed class MigrationRefusedException(Guid instanceId, IReadOnlyList<string> reasons)
    : WorkflowInputException($"instance {instanceId} cannot migrate: {string.Join("; ", reasons)}")
{
    /// <summary>Each reason, one problem per entry.</summary>
    public IReadOnlyList<string> Reasons { get; } = reasons;
}
