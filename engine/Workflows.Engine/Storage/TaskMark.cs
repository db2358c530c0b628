namespace Workflows.Engine.Storage;

/// <summary>
/// The task queue's extension point: what a module marks an open task with. <see cref="DueAt"/> is when the task falls
/// due (the urgency order, <see cref="TaskSort.SlaTimeLeft"/>, sorts on it; a task without one sorts last);
/// <see cref="State"/> is a small code the module defines, which task queries filter on. The queue stores and sorts
/// them and knows nothing else of them; the service-level module sets them from the task's nearest clock
/// (a <see cref="SlaState"/> and its breach moment), on new tasks, changed ones, and through <see cref="ChangeSet.TaskMarks"/>.
/// </summary>
internal readonly record struct TaskMark(int? State, DateTimeOffset? DueAt);
