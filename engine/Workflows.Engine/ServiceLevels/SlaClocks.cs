using System.Globalization;
using Workflows.Engine.Calendars;
using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine.ServiceLevels;

// SLA and commitment clocks. A clock is a row of its own, changed only inside a command on its
// instance, so the instance's row version orders every change to it. Its warning, breach and repeat
// moments are computed exactly when it starts, pauses, resumes or its calendar changes, and stored as
// its next due time; the worker fires it then.
//
// The module plugs into the core as an element lifecycle listener: clocks start as their element
// activates, end as it leaves, and the tasks show their clock's state before the commit.
internal sealed class SlaClocks(Execution execution) : IElementLifecycleListener
{
    // Made on the first clock a command starts or changes: most commands touch none.
    private HashSet<Guid>? _newClocks;
    private HashSet<Guid>? _changedClocks;

    private DateTimeOffset Now => execution.Unit.Now;

    /// <summary>The command's clocks listener, which the module added to it.</summary>
    public static SlaClocks Of(Execution execution) =>
        execution.Listener<SlaClocks>() ?? throw new InvalidOperationException("the service-level module is not registered");

    private ChangeSet Changes => execution.Unit.Changes;

    private ClockCalendar CalendarOf(string? chain) => ClockCalendar.Resolve(chain, execution.Engine.Options.Calendars, execution.Engine.Options.DefaultCalendar);

    // ---------------------------------------------------------------- the lifecycle seam

    public void OnActivating(LoadedInstance instance, ElementInstance element, FlowNode node)
    {
        if (instance.Definition.Process.HasClocks)
        {
            StartClocks(instance, element, node);
        }
    }

    public ValueTask OnCompletingAsync(LoadedInstance instance, ElementInstance element, FlowNode node) => ValueTask.CompletedTask;

    public void OnLeaving(LoadedInstance instance, ElementInstance element, bool completed) => EndClocks(instance, element, completed);

    public void OnCommitting(LoadedInstanceSet instances)
    {
        foreach (var instance in instances)
        {
            if (instance.Definition.Process.HasClocks)
            {
                RefreshTaskClocks(instance);
            }
        }

        if (_changedClocks is not null)
        {
            CollectClockChanges(instances, _changedClocks);
        }
    }

    private static ClockDefinition DefinitionOf(LoadedInstance instance, SlaClockRecord clock)
    {
        var node = instance.Definition.Node(clock.ElementId);
        return (clock.Kind == ClockKind.Sla ? node.Sla?.Clock : node.Commitment?.Clock)
            ?? throw new InvalidOperationException($"clock {clock.Id} names {clock.Kind} on '{clock.ElementId}', which its definition does not have");
    }

    private void SaveClock(LoadedInstance instance, SlaClockRecord clock)
    {
        var part = InstanceClocks.For(instance);
        var index = part.Clocks.FindIndex(c => c.Id == clock.Id);
        if (index >= 0)
        {
            part.Clocks[index] = clock;
        }
        else
        {
            part.Clocks.Add(clock);
        }

        (_changedClocks ??= []).Add(clock.Id);
        part.Changed = true;
    }

    private static string Describe(SlaClockRecord clock) =>
        clock.Kind == ClockKind.Sla ? $"sla {clock.Target}" : $"level-{clock.Level} commitment {clock.Target}";

    private static string Format(DateTimeOffset? at) => at?.ToString("O", CultureInfo.InvariantCulture) ?? "none";

    // ---------------------------------------------------------------- start and end

    // The open clocks paused by the element (paused) or the element's own (not paused); for no element, every one.
    private static List<SlaClockRecord> Matching(List<SlaClockRecord> clocks, ElementInstance? element, bool paused)
    {
        List<SlaClockRecord>? matching = null;
        foreach (var clock in clocks)
        {
            var key = paused ? clock.PausedBy : clock.ElementKey;
            if (clock.IsOpen && key is not null && (element is null || key == element.Key))
            {
                (matching ??= []).Add(clock);
            }
        }

        return matching ?? s_noClocks;
    }

    private static readonly List<SlaClockRecord> s_noClocks = [];

    private void StartClocks(LoadedInstance instance, ElementInstance element, FlowNode node)
    {
        if (node.Sla is { Clock: var sla } definition && RunsOn(element, node, definition.Scope))
        {
            StartClock(instance, element, node, sla, 0, node.Name);
        }

        if (element.IsMultiInstanceInner)
        {
            return; // commitments and pauses belong to the activity as a whole
        }

        if (node.Commitment is { Clock: { } clock } commitment)
        {
            StartClock(instance, element, node, clock, commitment.Level, commitment.Level == 1 ? commitment.Name : commitment.Department);
        }

        if (node.PauseReason is { } reason && node.Kind != NodeKind.Process)
        {
            foreach (var other in InstanceClocks.Of(instance).Where(c => c.IsOpen && c.ElementKey != element.Key).ToList())
            {
                Pause(instance, other, reason, element.Key);
            }
        }
    }

    private void StartClock(LoadedInstance instance, ElementInstance element, FlowNode node, ClockDefinition definition, int level, string? label)
    {
        if (InstanceClocks.Of(instance).Exists(c => c.IsOpen && c.ElementKey == element.Key && c.Kind == definition.Kind))
        {
            return; // an incident's retry activates the element again; its clock keeps running
        }

        var scope = new ElementScope(instance.State, element);
        var chain = definition.Calendar is null ? null : execution.Expressions.EvaluateString(definition.Calendar, scope, node, "the calendar");
        var working = definition.Target is not BusinessDuration.Elapsed;
        SlaClockRecord clock;
        try
        {
            // Every step can meet the calendar: its chain unknown, a layer with no version yet, a chain that never has
            // working time again; each is an incident on the element naming it, never the command's failure (review13 F13).
            var calendar = CalendarOf(chain);
            var target = calendar.AddTo(definition.Target, Now);
            var budget = working ? calendar.WorkingTimeBetween(Now, target) : target - Now;
            var (id, branch, customer) = (RowIds.NewId(Now), execution.Expressions.Party(instance, element, instance.Definition.Process.Branch), execution.Expressions.Party(instance, element, instance.Definition.Process.CustomerId));
            // Scheduled as it is made (nothing consumed, nothing fired, no repeat): one record, not a second one copied from it.
            var (targetAt, nextDueAt) = DueMoments(budget.Ticks, 0, working, Now, 0, null, null, definition, calendar);
            clock = new SlaClockRecord(
                id, instance.Id, element.Key, element.ElementId, definition.Kind, level, label,
                instance.State.ProcessId, instance.State.BusinessKey, branch, customer, chain,
                definition.TargetText, working, budget.Ticks, Now)
            {
                State = SlaState.Running,
                RunningSince = Now,
                TargetAt = targetAt,
                NextDueAt = nextDueAt,
            };
        }
        catch (ArgumentException e)
        {
            throw new StepFailedException($"the {definition.Kind.ToString().ToLowerInvariant()} clock of {node} cannot start: {e.Message}");
        }

        (_newClocks ??= []).Add(clock.Id);
        SaveClock(instance, clock);
        execution.Unit.History(instance, ServiceLevelHistory.ClockStarted, element.ElementId, element.Key, $"{Describe(clock)}, due {Format(clock.TargetAt)}");
    }

    // On a multi-instance activity (or a standard loop's passes) an SLA runs per inner instance, on the whole activity, or both, as its scope says.
    private static bool RunsOn(ElementInstance element, FlowNode node, SlaScope scope) =>
        !node.IsLoop || node.Kind == NodeKind.Process
        || (element.IsMultiInstanceInner ? scope != SlaScope.Body : scope != SlaScope.Inner);

    /// <summary>Ends the clocks of an element that is leaving: met or breached when it completed, cancelled otherwise.</summary>
    private void EndClocks(LoadedInstance instance, ElementInstance element, bool completed)
    {
        // Checked apart from the loops below: their lambdas capture the element, which would cost every leaving element a closure.
        if (InstanceClocks.Of(instance).Count > 0)
        {
            EndOpenClocks(instance, element, completed);
        }
    }

    /// <summary>Ends every open clock of an instance cancelled without its elements (its state could not be read).</summary>
    public void EndAllClocks(LoadedInstance instance)
    {
        if (InstanceClocks.Of(instance).Count > 0)
        {
            EndOpenClocks(instance, null, completed: false);
        }
    }

    // The clocks of one element (or, for null, of the whole instance).
    private void EndOpenClocks(LoadedInstance instance, ElementInstance? element, bool completed)
    {
        // Each list taken before its loop changes the clocks, and made only when an element has clocks to resume or end.
        foreach (var clock in Matching(InstanceClocks.Of(instance), element, paused: true))
        {
            Resume(instance, clock);
        }

        foreach (var clock in Matching(InstanceClocks.Of(instance), element, paused: false))
        {
            var consumed = clock.ConsumedTicks + (clock.RunningSince is { } since ? Measure(clock, since, Now).Ticks : 0);
            // A clock past its target stays breached however its step ends; otherwise a step that did not complete cancels it.
            var state = consumed > clock.BudgetTicks || clock.State == SlaState.Breached ? SlaState.Breached
                : completed ? SlaState.Met
                : SlaState.Cancelled;
            var ended = clock with
            {
                State = state,
                ConsumedTicks = consumed,
                RunningSince = null,
                PausedTicks = clock.PausedTicks + (clock.PausedAt is { } pausedAt ? (Now - pausedAt).Ticks : 0),
                PausedAt = null,
                NextDueAt = null,
                NextRepeatAt = null,
                EndedAt = Now,
            };
            SaveClock(instance, ended);
            var kind = state switch
            {
                SlaState.Met => ServiceLevelHistory.ClockMet,
                SlaState.Breached => ServiceLevelHistory.ClockMissed,
                _ => ServiceLevelHistory.ClockCancelled,
            };
            execution.Unit.History(instance, kind, clock.ElementId, clock.ElementKey, $"{Describe(clock)}, used {FeelValue.FormatDuration(TimeSpan.FromTicks(consumed))}");
        }
    }

    private TimeSpan Measure(SlaClockRecord clock, DateTimeOffset from, DateTimeOffset to) => Measure(execution.Engine.Options, clock, from, to);

    /// <summary>The time a clock counts between two instants: elapsed, or working time on its calendar.</summary>
    internal static TimeSpan Measure(WorkflowEngineOptions options, SlaClockRecord clock, DateTimeOffset from, DateTimeOffset to) =>
        !clock.WorkingTime ? (to > from ? to - from : TimeSpan.Zero)
            : ClockCalendar.Resolve(clock.Calendar, options.Calendars, options.DefaultCalendar).WorkingTimeBetween(from, to);

    /// <summary>The target and the next due moment of a running clock, from its budget left; nothing while paused or ended.</summary>
    private static SlaClockRecord Schedule(SlaClockRecord clock, ClockDefinition definition, ClockCalendar calendar)
    {
        if (!clock.IsOpen || clock.RunningSince is not { } since)
        {
            return clock with { NextDueAt = null, TargetAt = clock.IsOpen ? null : clock.TargetAt };
        }

        var (target, next) = DueMoments(clock.BudgetTicks, clock.ConsumedTicks, clock.WorkingTime, since, clock.Fired, clock.TargetAt, clock.NextRepeatAt, definition, calendar);
        return clock with { TargetAt = target, NextDueAt = next };
    }

    // A running clock's target and its next threshold (or repeat), from what it consumed and fired before it ran since then.
    private static (DateTimeOffset TargetAt, DateTimeOffset? NextDueAt) DueMoments(long budgetTicks, long consumedTicks, bool working, DateTimeOffset since, int fired,
        DateTimeOffset? targetAt, DateTimeOffset? nextRepeatAt, ClockDefinition definition, ClockCalendar calendar)
    {
        var target = consumedTicks >= budgetTicks ? targetAt ?? since : ThresholdAt(budgetTicks, consumedTicks, working, since, 100m, calendar);
        DateTimeOffset? next = fired < definition.Thresholds.Count ? ThresholdAt(budgetTicks, consumedTicks, working, since, definition.Thresholds[fired], calendar) : null;
        if (nextRepeatAt is { } repeat && (next is null || repeat < next))
        {
            next = repeat;
        }

        return (target, next);
    }

    private static DateTimeOffset ThresholdAt(SlaClockRecord clock, DateTimeOffset since, decimal percent, ClockCalendar calendar) =>
        ThresholdAt(clock.BudgetTicks, clock.ConsumedTicks, clock.WorkingTime, since, percent, calendar);

    private static DateTimeOffset ThresholdAt(long budgetTicks, long consumedTicks, bool working, DateTimeOffset since, decimal percent, ClockCalendar calendar)
    {
        var left = TimeSpan.FromTicks((long)(budgetTicks * percent / 100m) - consumedTicks);
        if (left <= TimeSpan.Zero)
        {
            return since;
        }

        return working ? calendar.AddWorkingTime(since, left) : since + left;
    }

    // ---------------------------------------------------------------- pause and resume

    public void Pause(LoadedInstance instance, SlaClockRecord clock, string reason, long pausedBy)
    {
        if (!clock.IsOpen || clock.RunningSince is not { } since)
        {
            return;
        }

        SaveClock(instance, clock with
        {
            State = SlaState.Paused,
            ConsumedTicks = clock.ConsumedTicks + Measure(clock, since, Now).Ticks,
            RunningSince = null,
            PausedAt = Now,
            PauseReason = reason,
            PausedBy = pausedBy,
            TargetAt = null,
            NextDueAt = null,
        });
        execution.Unit.History(instance, ServiceLevelHistory.ClockPaused, clock.ElementId, clock.ElementKey, $"{Describe(clock)}: {reason}");
    }

    public void Resume(LoadedInstance instance, SlaClockRecord clock)
    {
        if (!clock.IsOpen || clock.PausedAt is not { } pausedAt)
        {
            return;
        }

        var definition = DefinitionOf(instance, clock);
        var paused = Now - pausedAt;
        var resumed = clock with
        {
            State = clock.Fired == 0 ? SlaState.Running : definition.Thresholds[clock.Fired - 1] >= 100 ? SlaState.Breached : SlaState.Warning,
            RunningSince = Now,
            PausedAt = null,
            PauseReason = null,
            PausedBy = null,
            PausedTicks = clock.PausedTicks + paused.Ticks,
            NextRepeatAt = clock.NextRepeatAt + paused,
        };
        SaveClock(instance, Schedule(resumed, definition, CalendarOf(clock.Calendar)));
        execution.Unit.History(instance, ServiceLevelHistory.ClockResumed, clock.ElementId, clock.ElementKey, $"{Describe(clock)} after {FeelValue.FormatDuration(paused)} paused ({clock.PauseReason})");
    }

    /// <summary>Computes a running clock's moments again after its calendar changed; the time it already ran stays as measured.</summary>
    /// <summary>
    /// As <see cref="Recalculate"/>; a clock its calendar cannot place (a chain that never has working time again, a layer
    /// unknown here) keeps its moments, with a history row saying why, and the others move (review13 F13).
    /// </summary>
    /// <returns>Whether the clock was recalculated.</returns>
    public bool TryRecalculate(LoadedInstance instance, SlaClockRecord clock, string why)
    {
        try
        {
            Recalculate(instance, clock, why);
            return true;
        }
        catch (ArgumentException e)
        {
            execution.Unit.History(instance, ServiceLevelHistory.ClockRecalculated, clock.ElementId, clock.ElementKey, $"{Describe(clock)}: kept due {Format(clock.TargetAt)} ({why}): {e.Message}");
            return false;
        }
    }

    public void Recalculate(LoadedInstance instance, SlaClockRecord clock, string why)
    {
        if (!clock.IsOpen || clock.RunningSince is null)
        {
            return;
        }

        var updated = Schedule(clock, DefinitionOf(instance, clock), CalendarOf(clock.Calendar));
        if (updated.TargetAt == clock.TargetAt && updated.NextDueAt == clock.NextDueAt)
        {
            return;
        }

        SaveClock(instance, updated);
        execution.Unit.History(instance, ServiceLevelHistory.ClockRecalculated, clock.ElementId, clock.ElementKey, $"{Describe(clock)}: due {Format(clock.TargetAt)} → {Format(updated.TargetAt)} ({why})");
    }

    // ---------------------------------------------------------------- firing

    /// <summary>Passes every threshold and repeat of a clock that is due by now, running the escalation ladder's rungs.</summary>
    public async ValueTask FireClockAsync(LoadedInstance instance, Guid clockId)
    {
        var clock = InstanceClocks.Of(instance).Find(c => c.Id == clockId);
        if (clock is null || !clock.IsOpen || clock.NextDueAt is not { } firstDue || firstDue > Now)
        {
            return; // ended, paused or moved by another command since it was claimed
        }

        var definition = DefinitionOf(instance, clock);
        var calendar = CalendarOf(clock.Calendar);
        while (clock is { IsOpen: true, RunningSince: { } since, NextDueAt: { } due } && due <= Now)
        {
            var element = instance.State.Elements.GetValueOrDefault(clock.ElementKey);
            if (clock.Fired < definition.Thresholds.Count && ThresholdAt(clock, since, definition.Thresholds[clock.Fired], calendar) <= Now)
            {
                var percent = definition.Thresholds[clock.Fired];
                var moment = ThresholdAt(clock, since, percent, calendar);
                clock = clock with { Fired = clock.Fired + 1, State = percent >= 100 ? SlaState.Breached : SlaState.Warning };
                var rung = definition.Ladder.FirstOrDefault(r => r.AtPercent == percent);
                if (rung is not null)
                {
                    clock = clock with { NextRepeatAt = moment + rung.Repeat };
                }

                SaveClock(instance, clock);
                execution.Unit.History(instance, percent >= 100 ? ServiceLevelHistory.ClockBreached : ServiceLevelHistory.ClockWarning, clock.ElementId, clock.ElementKey,
                    $"{Describe(clock)}: {FeelValue.FormatNumber(percent)}% at {Format(moment)}, due {Format(clock.TargetAt)}");
                if (rung is not null && element is not null)
                {
                    await EscalateAsync(instance, element, clock, rung, percent, repeated: false).ConfigureAwait(false);
                }
            }
            else if (clock is { Fired: > 0, NextRepeatAt: { } repeatAt } && repeatAt <= Now)
            {
                var reached = definition.Thresholds[clock.Fired - 1];
                var rung = definition.Ladder.Last(r => r.AtPercent <= reached);
                var next = repeatAt + rung.Repeat!.Value;
                while (next <= Now)
                {
                    next += rung.Repeat.Value; // a node that was down does not replay every repeat it missed
                }

                clock = clock with { NextRepeatAt = next };
                SaveClock(instance, clock);
                if (element is not null)
                {
                    await EscalateAsync(instance, element, clock, rung, rung.AtPercent, repeated: true).ConfigureAwait(false);
                }
            }

            // Neither: the stored moment was early (a calendar change moved the threshold later), and
            // Schedule sets it right. A rung's escalation may have interrupted the element, ending the clock.
            clock = InstanceClocks.Of(instance).Find(c => c.Id == clockId)!;
            if (clock.IsOpen)
            {
                clock = Schedule(clock, definition, calendar);
                SaveClock(instance, clock);
            }
        }
    }

    private async ValueTask EscalateAsync(LoadedInstance instance, ElementInstance element, SlaClockRecord clock, EscalationRung rung, decimal percent, bool repeated)
    {
        var actions = new List<string>();
        if (rung.Priority is not null || rung.Queue is not null)
        {
            foreach (var task in await execution.Unit.OpenTasksUnderAsync(instance, element.Key).ConfigureAwait(false))
            {
                var changed = task;
                if (rung.Priority is { } priority && priority > changed.Priority)
                {
                    changed = changed with { Priority = priority };
                }

                if (rung.Queue is { } queue)
                {
                    changed = changed with { CandidateGroups = [queue], CandidateUsers = [], Assignee = null };
                }

                if (changed != task)
                {
                    Changes.UpdateTask(changed, task);
                }
            }

            if (rung.Priority is { } p)
            {
                actions.Add($"priority {p}");
            }

            if (rung.Queue is { } q)
            {
                actions.Add($"moved to {q}");
            }
        }

        if (rung.Publish)
        {
            var name = percent >= 100 ? "SlaBreached" : "SlaWarning";
            var payload = new FeelContext
            {
                ["instanceId"] = instance.Id.ToString(),
                ["businessKey"] = instance.State.BusinessKey,
                ["processId"] = instance.State.ProcessId,
                ["step"] = clock.ElementId,
                ["stepName"] = instance.Definition.Node(clock.ElementId).Name,
                ["branch"] = clock.Branch,
                ["customerId"] = clock.CustomerId,
                ["clock"] = clock.Kind == ClockKind.Sla ? "sla" : "commitment",
                ["level"] = (decimal)clock.Level,
                ["threshold"] = percent,
                ["repeated"] = repeated,
                ["due"] = Format(clock.TargetAt),
                ["now"] = Format(Now),
            };
            Changes.Outbox.Add(new OutboxRecord(RowIds.NewId(Now), instance.Id, clock.ElementId, name, instance.State.BusinessKey, VariableScopes.ToJson(payload), Now)
            {
                Kind = OutgoingMessageKind.Notification,
                HeadersJson = new OutboxHeaders(execution.Messaging.HandoffOf(instance, element, targetProcessId: null), TimeSpan.Zero).ToJson(),
            });
            actions.Add($"published {name}");
        }

        execution.Unit.History(instance, ServiceLevelHistory.ClockEscalated, clock.ElementId, clock.ElementKey,
            $"{Describe(clock)} at {FeelValue.FormatNumber(rung.AtPercent)}%{(repeated ? " (repeated)" : "")}: {string.Join(", ", actions.Append(rung.EscalationCode is { } c ? $"escalation {c}" : null).OfType<string>())}");

        if (rung.EscalationCode is { } code && instance.State.Elements.ContainsKey(element.Key))
        {
            await execution.ThrownEvents.ThrowEscalationAsync(instance, element, code, fromInside: true).ConfigureAwait(false);
        }
    }

    // ---------------------------------------------------------------- what tasks show

    /// <summary>
    /// Before the commit: each new task, and each open task of an instance whose clocks changed, shows the
    /// state and breach moment of its nearest clock (the element's own first, then its scopes' outwards).
    /// The tasks are found in the instance's state, so no task row is read for it.
    /// </summary>
    private void RefreshTaskClocks(LoadedInstance instance)
    {
        for (var i = 0; i < Changes.TasksCreated.Count; i++)
        {
            var task = Changes.TasksCreated[i];
            if (task.InstanceId == instance.Id)
            {
                Changes.TasksCreated[i] = task with { Mark = TaskClock(instance, task.ElementKey) };
            }
        }

        if (instance.Part<InstanceClocks>() is not { Changed: true })
        {
            return;
        }

        foreach (var element in instance.State.Elements.Values)
        {
            if (element.TaskId is not { } taskId || Changes.TasksCreated.Exists(t => t.Id == taskId))
            {
                continue;
            }

            var mark = TaskClock(instance, element.Key);
            if (Changes.ChangedTask(taskId) is { } changed)
            {
                Changes.UpdateTask(changed with { Mark = mark }, changed);
            }
            else
            {
                Changes.TaskMarks.Add((taskId, mark));
            }
        }
    }

    // The task queue's mark: the clock's state as its code, and its breach moment while it runs (a paused task sorts last).
    private static TaskMark TaskClock(LoadedInstance instance, long elementKey)
    {
        var clock = NearestClock(instance, elementKey);
        return new((int?)clock?.State, clock is { RunningSince: not null } ? clock.TargetAt : null);
    }

    private static SlaClockRecord? NearestClock(LoadedInstance instance, long elementKey)
    {
        var key = elementKey;
        while (key != 0 && instance.State.Elements.TryGetValue(key, out var element))
        {
            if (OwnClock(InstanceClocks.Of(instance), key) is { } own)
            {
                return own;
            }

            key = element.ParentKey;
        }

        return null;
    }

    // The element's open clock of the lowest kind (the SLA before a commitment), the first in the list among equals: a loop,
    // as every task's mark asks it of each element up its tree, where a sorted query would cost each step four objects.
    private static SlaClockRecord? OwnClock(List<SlaClockRecord> clocks, long elementKey)
    {
        SlaClockRecord? own = null;
        foreach (var clock in clocks)
        {
            if (clock.IsOpen && clock.ElementKey == elementKey && (own is null || clock.Kind < own.Kind))
            {
                own = clock;
            }
        }

        return own;
    }

    private void CollectClockChanges(LoadedInstanceSet instances, HashSet<Guid> changedClocks)
    {
        foreach (var instance in instances.Where(i => i.Part<InstanceClocks>() is { Changed: true }))
        {
            foreach (var clock in InstanceClocks.Of(instance).Where(c => changedClocks.Contains(c.Id)))
            {
                (_newClocks?.Contains(clock.Id) == true ? Changes.PartToFill<ServiceLevelChanges>().ClocksCreated : Changes.PartToFill<ServiceLevelChanges>().ClocksUpdated).Add(clock);
            }
        }
    }
}
