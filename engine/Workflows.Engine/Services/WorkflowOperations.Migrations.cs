using System.Text.Json;
using Workflows.Engine.Runtime;
using Workflows.Engine.Search;

namespace Workflows.Engine.Services;

// Migration: a plan checked once, a dry run per instance, a migration of one instance in one command, and the batch
// kind that migrates many (each item one command, through the batch worker like the other kinds).
public sealed partial class WorkflowOperations
{
    /// <summary>The most element mappings one plan takes.</summary>
    public const int MaxMappings = 500;

    /// <summary>The most instances one page of a dry run looks at.</summary>
    public const int MaxPreviewPage = 1000;

    /// <summary>
    /// A dry run: what migrating each selected active instance of the plan's process would do, and every reason each one
    /// that cannot migrate cannot. Nothing changes. A page at a time, in instance id order.
    /// </summary>
    /// <exception cref="WorkflowNotFoundException">The target version is not deployed.</exception>
    /// <exception cref="WorkflowInputException">The plan does not fit the target version (every problem listed), or the selection another process.</exception>
    /// <exception cref="WorkflowConflictException">The target version is only deployed, not approved (the approval gate).</exception>
    public async Task<MigrationPreview> PreviewMigrationAsync(MigrationPlan plan, BatchSelection? selection = null, Guid? after = null, int max = 100, CancellationToken cancellationToken = default)
    {
        var (target, map) = await CheckPlanAsync(plan, selection?.Version, cancellationToken).ConfigureAwait(false);
        var chosen = MigrationSelection(plan, selection);
        max = Math.Clamp(max, 1, MaxPreviewPage);
        var conditions = await SearchFilters.ResolveAsync(_runner, chosen.ProcessId, chosen.Variables ?? [], cancellationToken).ConfigureAwait(false);
        var ids = await Store.SelectBatchInstancesAsync(chosen, conditions, after, max, cancellationToken).ConfigureAwait(false);
        var pins = new Dictionary<string, int?>(StringComparer.Ordinal);
        var previews = new List<InstanceMigrationPreview>(ids.Count);
        foreach (var id in ids)
        {
            if (await Store.GetInstanceAsync(id, cancellationToken).ConfigureAwait(false) is not { } record)
            {
                continue;
            }

            var source = await _runner.Core.Definitions.GetAsync(record.DefinitionId, cancellationToken).ConfigureAwait(false);
            InstanceState state;
            try
            {
                state = InstanceStateReader.Read(record, definition: null);
            }
            catch (InstanceStateUnreadableException unreadable)
            {
                // One broken instance is one that cannot move, with why; the others are still shown.
                previews.Add(new InstanceMigrationPreview(id, record.Branch, record.Version, false, [], [$"its stored state cannot be read: {unreadable.Reason}"]));
                continue;
            }

            var reasons = new List<string>();
            var moves = new List<string>();
            if (await RefusalAsync(state, record.Branch, target, pins, cancellationToken).ConfigureAwait(false) is { } refusal)
            {
                reasons.Add(refusal);
            }
            else
            {
                var check = Migrations.Check(state, source, target, map);
                reasons.AddRange(check.Reasons);
                moves.AddRange(check.Moves);
            }

            previews.Add(new InstanceMigrationPreview(id, record.Branch, record.Version, reasons.Count == 0, reasons.Count == 0 ? moves : [], reasons));
        }

        return new MigrationPreview(plan.ProcessId, plan.TargetVersion, previews, ids.Count == max ? ids[^1] : null);
    }

    /// <summary>Migrates one instance now, in one command, as the plan says.</summary>
    /// <exception cref="WorkflowNotFoundException">No such instance, or the target version is not deployed.</exception>
    /// <exception cref="MigrationRefusedException">The instance does not fit the plan: every reason; nothing changed.</exception>
    /// <exception cref="WorkflowInputException">No reason given, or the plan does not fit the target version.</exception>
    /// <exception cref="WorkflowConflictException">The target version is only deployed, not approved (the approval gate).</exception>
    public async Task MigrateAsync(Guid instanceId, MigrationPlan plan, string reason, string? actor = null, CancellationToken cancellationToken = default)
    {
        CheckReason(reason);
        var (target, map) = await CheckPlanAsync(plan, null, cancellationToken).ConfigureAwait(false);
        await _runner.ExecuteAsync(async execution =>
        {
            execution.Actor = actor;
            var instance = await execution.LoadAsync(instanceId).ConfigureAwait(false);
            if (await MigrateLoadedAsync(execution, instance, target, map, reason.Trim(), new Dictionary<string, int?>(StringComparer.Ordinal), cancellationToken).ConfigureAwait(false) is { } skipped)
            {
                throw new MigrationRefusedException(instanceId, [skipped]);
            }

            return true;
        }, cancellationToken, name: "MigrateInstance").ConfigureAwait(false);
    }

    /// <summary>Migrates a loaded instance in the running command.</summary>
    /// <returns>Null when migrated; why there was nothing to do otherwise (ended, already on the target).</returns>
    /// <exception cref="MigrationRefusedException">It does not fit the plan.</exception>
    internal async ValueTask<string?> MigrateLoadedAsync(Execution execution, LoadedInstance instance, ProcessDefinition target, Dictionary<string, string> map, string reason,
        Dictionary<string, int?> pins, CancellationToken ct)
    {
        var state = instance.State;
        if (state.Status != ProcessInstanceStatus.Active)
        {
            return $"the instance is {state.Status.ToString().ToLowerInvariant()}";
        }

        if (state.DefinitionId == target.Id)
        {
            return $"the instance already runs version {target.Record.Version}";
        }

        if (await RefusalAsync(state, instance.Parties.Branch, target, pins, ct).ConfigureAwait(false) is { } refusal)
        {
            throw new MigrationRefusedException(state.Id, [refusal]);
        }

        var check = Migrations.Check(state, instance.Definition, target, map);
        if (check.Reasons.Count > 0)
        {
            throw new MigrationRefusedException(state.Id, check.Reasons);
        }

        await new Migrations(execution).ApplyAsync(instance, target, check, string.Join(" | ", [reason, .. check.Moves])).ConfigureAwait(false);
        return null;
    }

    /// <summary>The plan as checked against its target: the target version and the mapping, source id → target id.</summary>
    internal async ValueTask<(ProcessDefinition Target, Dictionary<string, string> Map)> CheckPlanAsync(MigrationPlan plan, int? sourceVersion, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (string.IsNullOrWhiteSpace(plan.ProcessId))
        {
            throw new WorkflowInputException("migration.processId: name the journey whose instances migrate");
        }

        if (plan.Mappings.Count > MaxMappings)
        {
            throw new WorkflowInputException($"migration.mappings: at most {MaxMappings} mappings");
        }

        var record = await Store.GetDefinitionByVersionAsync(plan.ProcessId, plan.TargetVersion, ct).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"process '{plan.ProcessId}' has no version {plan.TargetVersion}");
        await ApprovalGate.RequireJourneyAsync(Store, plan.ProcessId, plan.TargetVersion, "migrate to", ct).ConfigureAwait(false);
        var target = await _runner.Core.Definitions.GetAsync(record.Id, ct).ConfigureAwait(false);
        var source = sourceVersion is { } v && await Store.GetDefinitionByVersionAsync(plan.ProcessId, v, ct).ConfigureAwait(false) is { } s
            ? await _runner.Core.Definitions.GetAsync(s.Id, ct).ConfigureAwait(false)
            : null;
        var problems = new List<string>();
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (mapping, i) in plan.Mappings.Select((m, i) => (m, i)))
        {
            if (string.IsNullOrWhiteSpace(mapping?.Source) || string.IsNullOrWhiteSpace(mapping.Target))
            {
                problems.Add($"mappings[{i}]: give a source and a target element id");
                continue;
            }

            if (!map.TryAdd(mapping.Source, mapping.Target))
            {
                problems.Add($"mappings[{i}]: '{mapping.Source}' is mapped twice");
            }

            if (!target.Process.Nodes.ContainsKey(mapping.Target))
            {
                problems.Add($"mappings[{i}]: version {plan.TargetVersion} of '{plan.ProcessId}' has no element '{mapping.Target}'");
            }

            if (source is not null && !source.Process.Nodes.ContainsKey(mapping.Source))
            {
                problems.Add($"mappings[{i}]: version {sourceVersion} of '{plan.ProcessId}' has no element '{mapping.Source}'");
            }
        }

        return problems.Count > 0 ? throw new WorkflowInputException("the migration plan does not fit: " + string.Join("; ", problems)) : (target, map);
    }

    private static BatchSelection MigrationSelection(MigrationPlan plan, BatchSelection? selection)
    {
        if (selection?.ProcessId is { } other && other != plan.ProcessId)
        {
            throw new WorkflowInputException($"selection.processId: the plan migrates instances of '{plan.ProcessId}', not of '{other}'");
        }

        CheckInstanceIds(selection);
        return (selection ?? new BatchSelection()) with { ProcessId = plan.ProcessId, Status = ProcessInstanceStatus.Active };
    }

    /// <summary>
    /// Why the instance may not move to <paramref name="target"/> whatever its elements: the version its branch runs is
    /// another (the branch's pin, else the latest). Pins are read once per branch per call.
    /// </summary>
    private async ValueTask<string?> RefusalAsync(InstanceState state, string? branch, ProcessDefinition target, Dictionary<string, int?> pins, CancellationToken ct)
    {
        if (state.Status != ProcessInstanceStatus.Active)
        {
            return $"the instance is {state.Status.ToString().ToLowerInvariant()}";
        }

        if (state.DefinitionId == target.Id)
        {
            return $"the instance already runs version {target.Record.Version}";
        }

        if (branch is null)
        {
            return null; // an instance of no branch may run any version
        }

        if (!pins.TryGetValue(branch, out var runs))
        {
            int? pinned = null;
            try
            {
                pinned = (await new WorkflowBranches(_runner).GetAsync(branch, ct).ConfigureAwait(false)).Pins.TryGetValue(target.Process.Id, out var pin) ? pin : null;
            }
            catch (WorkflowNotFoundException)
            {
                // A branch nobody registered pins nothing: it starts the latest version.
            }

            runs = pinned ?? (await Store.GetLatestDefinitionAsync(target.Process.Id, ct).ConfigureAwait(false))?.Version;
            pins[branch] = runs;
        }

        return runs == target.Record.Version
            ? null
            : $"branch '{branch}' runs version {runs} of '{target.Process.Id}', not {target.Record.Version}: pin version {target.Record.Version} for the branch first";
    }

    internal static MigrationPlan ReadMigration(string json) =>
        JsonSerializer.Deserialize<MigrationPlan>(json, s_json) ?? throw new InvalidOperationException("a migrate batch without its plan");
}
