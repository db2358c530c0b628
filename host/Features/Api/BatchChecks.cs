using Workflows.Engine;
using Workflows.Host.Features.Security;

namespace Workflows.Host.Features.Api;

/// <summary>
/// What a batch's creation checks before it answers 201, so that a mistake is told at once rather than as a failure
/// per instance: instance ids the caller may not act on, and a modification's element ids that the selected journey's
/// versions do not have, or that no instance could take (docs/operations.md, "Batch operations").
/// </summary>
internal static class BatchChecks
{
    /// <summary>The most ids or elements one problem lists; the count says how many more.</summary>
    private const int Listed = 20;

    // The BPMN elements a token runs through: the only ones a modification activates or terminates.
    private static readonly HashSet<string> s_flowNodes = new(StringComparer.Ordinal)
    {
        "task", "userTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask", "receiveTask", "manualTask", "callActivity",
        "subProcess", "transaction", "adHocSubProcess", "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
        "boundaryEvent", "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway",
    };

    /// <exception cref="WorkflowInputException">An id names no instance the caller may act on, or an instruction names no element it could apply to: 400 naming them.</exception>
    public static async Task CheckAsync(BatchRequest request, Caller caller, WorkflowEngine engine, ProcessCatalog catalog, CancellationToken ct)
    {
        var selection = request.Selection!;
        if (caller.BranchFilter is null && selection is { Journey: null, Version: null, Branch: null, Incident: null, InstanceIds: null, Variables: null })
        {
            throw new WorkflowInputException("selection: give at least one filter (journey, version, branch, incident, instanceIds or variables)");
        }

        var versions = new HashSet<(string ProcessId, int Version)>();
        if (selection.InstanceIds is { Count: > 0 and <= Engine.Services.WorkflowOperations.MaxSelectedIds } ids)
        {
            // Another branch's instance is told as an unknown one: the answer does not say it exists (docs/security.md).
            var unknown = new List<Guid>();
            foreach (var id in ids.Distinct())
            {
                try
                {
                    // By its row: an instance whose state cannot be read is still the operator's to cancel.
                    var summary = await engine.Queries.GetSummaryAsync(id, ct).ConfigureAwait(false);
                    if (caller.Serves(summary.Branch))
                    {
                        versions.Add((summary.ProcessId, summary.Version));
                        continue;
                    }
                }
                catch (WorkflowNotFoundException)
                {
                }

                unknown.Add(id);
            }

            if (unknown.Count > 0)
            {
                throw new WorkflowInputException($"selection.instanceIds: {unknown.Count} of the ids name no instance of a branch {caller.Name} works for: {InputRules.Few(unknown, Listed)}; remove them (nothing was started)");
            }
        }

        if (request is not { Kind: BatchKind.Modify, Modification: { } modification })
        {
            return;
        }

        if (selection.Journey is { } journey)
        {
            versions = (await engine.Deployments.GetDefinitionsAsync(journey, ct).ConfigureAwait(false))
                .Where(d => d.ProcessId == journey && (selection.Version is null || d.Version == selection.Version))
                .Select(d => (d.ProcessId, d.Version)).ToHashSet();
        }
        else if (selection.InstanceIds is not { Count: > 0 })
        {
            throw new WorkflowInputException("modification: element ids are a journey's: give selection.journey (or selection.instanceIds) with a modify batch");
        }

        if (versions.Count == 0)
        {
            return; // nothing deployed is selected: the batch selects no instance
        }

        var catalogs = new List<ProcessNames>();
        foreach (var (processId, version) in versions)
        {
            catalogs.Add(await catalog.GetAsync(processId, version, ct).ConfigureAwait(false));
        }

        var reasons = new List<string>();
        var absent = new List<string>();
        void Check(string elementId, bool activate)
        {
            var kinds = catalogs.Select(c => c.Of(elementId)?.Kind).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
            if (kinds.Count == 0)
            {
                absent.Add(elementId);
            }
            else if (!kinds.Exists(s_flowNodes.Contains))
            {
                reasons.Add($"{(activate ? "activate" : "terminate")} '{elementId}': a {kinds[0]} is no step a token runs through");
            }
            else if (activate && kinds.TrueForAll(k => k is "startEvent" or "boundaryEvent"))
            {
                reasons.Add(kinds[0] == "startEvent"
                    ? $"activate '{elementId}': a start event is never activated: activate the element after it"
                    : $"activate '{elementId}': a boundary event is triggered by its event, not activated");
            }
            else if (activate && kinds.TrueForAll(k => k is "endEvent"))
            {
                // In every instance at once, an activated end event ends its scope (the whole case, for the process's own):
                // that is a cancellation by another name, and a cancel batch says so and records it as one.
                reasons.Add($"activate '{elementId}': an end event would end its scope in every instance selected; to end the instances, create a cancel batch, or activate the step before the end event");
            }
            else if (!activate && kinds.TrueForAll(k => k is "startEvent" or "endEvent"))
            {
                // A token passes through a start or end event within the command that reaches it: no instance waits there.
                reasons.Add($"terminate '{elementId}': no token ever waits at {(kinds[0] == "endEvent" ? "an end event" : "a start event")} (it passes through), so there is nothing to terminate; terminate the step the tokens wait at");
            }
        }

        foreach (var id in modification.Activate ?? [])
        {
            Check(id, activate: true);
        }

        foreach (var id in modification.Terminate ?? [])
        {
            Check(id, activate: false);
        }

        if (absent.Count > 0)
        {
            var names = versions.Select(v => v.ProcessId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
            reasons.Insert(0, $"no element {InputRules.Few(absent.Distinct(StringComparer.Ordinal).ToList(), Listed, quoted: true)} in {string.Join(", ", names.Select(n => $"'{n}'"))}"
                + $" (version{(versions.Count == 1 ? "" : "s")} {string.Join(", ", versions.Select(v => v.Version).Distinct().Order())})");
        }

        if (reasons.Count > 0)
        {
            throw new WorkflowInputException($"modification: {string.Join("; ", reasons)}; nothing was started");
        }
    }
}
