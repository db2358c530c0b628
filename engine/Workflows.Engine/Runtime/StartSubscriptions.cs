using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Storage;
using Workflows.Engine.Validation;

namespace Workflows.Engine.Runtime;

/// <summary>
/// The timer, message and signal start events that can start an instance: those of every version someone runs, the
/// latest (for no branch and the branches that follow it) and each version a branch pinned.
/// </summary>
/// <remarks>
/// As in Camunda 8, a new version's start events replace the previous version's, unless a branch still pins that one:
/// its timer keeps its schedule and its message start keeps listening for the branches that run it. A version opens
/// its start events when it becomes run (deployed, or pinned by a first branch): a timer is planned from that moment, so
/// a <c>timeDate</c> already past fires at once; it closes them when no branch pins it and it is not the latest.
/// </remarks>
internal sealed class StartSubscriptions(Execution execution)
{
    private IWorkflowStore Store => execution.Engine.Store;

    private CancellationToken Ct => execution.CancellationToken;

    /// <summary><paramref name="definition"/> is the new latest version of its process, after <paramref name="previous"/>.</summary>
    public async ValueTask DeployedAsync(ProcessDefinition definition, DefinitionRecord? previous)
    {
        var processId = definition.Process.Id;
        var pinned = Pins.Pinned(await execution.Pins.AllAsync().ConfigureAwait(false), processId);
        var before = new HashSet<int>(pinned);
        if (previous is not null)
        {
            before.Add(previous.Version);
        }

        var after = new HashSet<int>(pinned) { definition.Record.Version };
        await SyncAsync(processId, before, after, definition).ConfigureAwait(false);
    }

    /// <summary>A branch's pins change from <paramref name="stored"/>'s (null for a new branch) to <paramref name="changed"/>'s.</summary>
    public async ValueTask PinsChangedAsync(Branch? stored, Branch changed)
    {
        var others = (await execution.Pins.AllAsync().ConfigureAwait(false)).Where(b => b.Id != changed.Id).ToList();
        var processes = (stored?.Pins.Keys ?? []).Concat(changed.Pins.Keys).Distinct(StringComparer.Ordinal)
            .Where(p => Pins.PinOf(stored, p) != Pins.PinOf(changed, p));
        foreach (var processId in processes)
        {
            var latest = await Store.GetLatestDefinitionAsync(processId, Ct).ConfigureAwait(false);
            if (latest is null)
            {
                continue;
            }

            var before = Pins.Pinned(stored is null ? others : others.Append(stored), processId);
            var after = Pins.Pinned(others.Append(changed), processId);
            before.Add(latest.Version);
            after.Add(latest.Version);
            await SyncAsync(processId, before, after, null).ConfigureAwait(false);
        }
    }

    // Closes the start events of versions no one runs any more (whatever left them open) and opens those of versions
    // that someone runs from now on.
    private async ValueTask SyncAsync(string processId, HashSet<int> before, HashSet<int> after, ProcessDefinition? added)
    {
        var versions = (await Store.GetDefinitionsAsync(processId, Ct).ConfigureAwait(false)).ToDictionary(d => d.Id, d => d.Version);
        bool Closed(Guid definitionId) => !versions.TryGetValue(definitionId, out var v) || !after.Contains(v);
        var (timers, messages, signals) = await Store.GetStartSubscriptionsAsync(processId, Ct).ConfigureAwait(false);
        var changes = execution.Changes;
        changes.TimersRemoved.AddRange(timers.Where(t => Closed(t.DefinitionId)).Select(t => t.Id));
        changes.MessageSubscriptionsRemoved.AddRange(messages.Where(m => Closed(m.DefinitionId)).Select(m => m.Id));
        changes.SignalSubscriptionsRemoved.AddRange(signals.Where(s => Closed(s.DefinitionId)).Select(s => s.Id));

        foreach (var version in after.Where(v => !before.Contains(v)).Order())
        {
            if (added is not null && added.Record.Version == version)
            {
                Open(added);
            }
            else if (await Store.GetDefinitionByVersionAsync(processId, version, Ct).ConfigureAwait(false) is { } record)
            {
                Open(await execution.Engine.Definitions.GetAsync(record.Id, Ct).ConfigureAwait(false));
            }
        }
    }

    private void Open(ProcessDefinition definition)
    {
        var changes = execution.Changes;
        var now = execution.Now;
        foreach (var start in definition.Process.StartEvents.Where(s => s.Event is not null))
        {
            var e = start.Event!;
            switch (e.Type)
            {
                case EventType.Timer when e.Timer is not null:
                    var plan = PlanTimer(start, e.Timer);
                    changes.TimersCreated.Add(new TimerRecord(RowIds.NewId(now), null, 0, start.Id, definition.Id, plan.Due, plan.Interval, plan.RemainingAfterFirst));
                    break;
                case EventType.Message when e.Message is not null:
                    changes.MessageSubscriptionsCreated.Add(new MessageSubscriptionRecord(
                        RowIds.NewId(now), null, 0, start.Id, definition.Id, e.Message.Name.Text, null, now));
                    break;
                case EventType.Signal when e.Signal is not null:
                    changes.SignalSubscriptionsCreated.Add(new SignalSubscriptionRecord(
                        RowIds.NewId(now), null, 0, start.Id, definition.Id, e.Signal.Name.Text));
                    break;
            }
        }
    }

    private TimerPlan PlanTimer(FlowNode start, TimerDefinition timer)
    {
        var engine = execution.Engine;
        string? error = null;
        object? value;
        try
        {
            value = timer.Value.Feel is null ? timer.Value.Text : timer.Value.Feel.Evaluate(EmptyScope.Instance, engine.Time, Ct).Value;
        }
        catch (FeelLimitExceededException breach)
        {
            // The analyst's expression, evaluated at deploy: a breach refuses the model, it never fails the request.
            (value, error) = (null, breach.Message);
        }

        var plan = (error is null ? TimerSchedule.Plan(timer.Kind, value, execution.Now, out error) : null)
            ?? throw new DeploymentRejectedException(new ValidationReport(
                [new ValidationFinding(FindingSeverity.Error, "TIMER_INVALID", start.Id, start.Position.Line, start.Position.Column, error ?? "invalid timer")]));
        if (plan.Period is { } period && engine.Options.Limits.RefuseCycle(period) is { } tooShort)
        {
            throw new DeploymentRejectedException(new ValidationReport(
                [new ValidationFinding(FindingSeverity.Error, "TIMER_CYCLE_TOO_SHORT", start.Id, start.Position.Line, start.Position.Column, $"the timer's {tooShort}")]));
        }

        return plan;
    }
}
