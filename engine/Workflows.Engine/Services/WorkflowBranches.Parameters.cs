using Workflows.Engine.Parameters;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Services;

// Local parameters (wf:parameter): a branch's values checked against the version it runs, read by its instances as
// branchSettings.<name>; the drift report; and the pin a rollout sets inside its own command.
public sealed partial class WorkflowBranches
{
    /// <summary>The parameters the journey version the branch runs declares, with the branch's values and the standard ones.</summary>
    /// <exception cref="WorkflowNotFoundException">No branch has that id, or the journey is not deployed.</exception>
    public async Task<BranchParameters> GetParametersAsync(string branchId, string processId, CancellationToken cancellationToken = default)
    {
        var branch = await GetAsync(branchId, cancellationToken).ConfigureAwait(false);
        var (version, definition) = await RunningAsync(branch, processId, cancellationToken).ConfigureAwait(false);
        return new BranchParameters(branch.Id, processId, version, branch.Pins.ContainsKey(processId), Describe(branch, processId, definition).ToList());
    }

    /// <summary>
    /// Sets the branch's values of parameters the journey version it runs declares; a null value returns the parameter to
    /// its standard value. Values not given keep theirs.
    /// </summary>
    /// <returns>The parameters as saved.</returns>
    /// <exception cref="WorkflowInputException">A name the version does not declare, or a value not of its type or outside its bounds (the message names the parameter and the bound).</exception>
    /// <exception cref="WorkflowNotFoundException">No branch has that id, or the journey is not deployed.</exception>
    public Task<BranchParameters> SetParametersAsync(string branchId, string processId, IReadOnlyDictionary<string, object?> values, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        return _runner.ExecuteAsync(async execution =>
        {
            var current = await GetAsync(branchId, cancellationToken).ConfigureAwait(false);
            var (version, definition) = await RunningAsync(current, processId, cancellationToken).ConfigureAwait(false);
            var declared = definition.Process.Parameters;
            var mine = new Dictionary<string, string>(current.Parameters.GetValueOrDefault(processId) ?? new Dictionary<string, string>(), StringComparer.Ordinal);
            foreach (var (name, value) in values)
            {
                var parameter = declared.FirstOrDefault(p => p.Name == name)
                    ?? throw new WorkflowInputException($"journey '{processId}' version {version} declares no parameter '{name}'" +
                        (declared.Count == 0 ? "" : $" (it declares {string.Join(", ", declared.Select(p => p.Name))})"));
                if (value is null)
                {
                    mine.Remove(name);
                    continue;
                }

                var text = ParameterDeclaration.ToText(value);
                if (!parameter.TryRead(text, out _, out var problem))
                {
                    throw new WorkflowInputException(problem!);
                }

                mine[name] = parameter.Canonical(text!);
            }

            var parameters = new Dictionary<string, IReadOnlyDictionary<string, string>>(current.Parameters, StringComparer.Ordinal);
            if (mine.Count == 0)
            {
                parameters.Remove(processId);
            }
            else
            {
                parameters[processId] = mine;
            }

            var changed = current with { Parameters = parameters, Revision = current.Revision + 1 };
            execution.Changes.Branches.Add((changed.Id, Pins.Write(changed), changed.Revision, current.Revision));
            return new BranchParameters(changed.Id, processId, version, changed.Pins.ContainsKey(processId), Describe(changed, processId, definition).ToList());
        }, cancellationToken, runTokens: false, name: "SetParameters");
    }

    /// <summary>
    /// The drift report: for each branch and journey (the one named, else every deployed journey), the version it runs
    /// beside the standard (the newest approved version) and the parameters whose values differ from the standard ones.
    /// </summary>
    public async Task<IReadOnlyList<DriftRow>> GetDriftAsync(string? processId = null, CancellationToken cancellationToken = default)
    {
        var branches = await GetAllAsync(cancellationToken).ConfigureAwait(false);
        var definitions = (await Store.GetDefinitionsAsync(processId, cancellationToken).ConfigureAwait(false))
            .GroupBy(d => d.ProcessId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToDictionary(d => d.Version), StringComparer.Ordinal);
        var standards = (await Store.GetApprovalsAsync(processId, cancellationToken).ConfigureAwait(false))
            .GroupBy(a => a.ProcessId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Max(a => a.Version), StringComparer.Ordinal);
        var rows = new List<DriftRow>();
        foreach (var (journey, versions) in definitions.OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            foreach (var branch in branches)
            {
                var pinned = branch.Pins.TryGetValue(journey, out var pin) && versions.ContainsKey(pin);
                int? standard = standards.TryGetValue(journey, out var approved) ? approved : null;
                // As a start resolves it (Pins.ResolveAsync): the pin, else the standard, else the latest while none is approved.
                var version = pinned ? pin : standard is { } s && versions.ContainsKey(s) ? s : versions.Keys.Max();
                ProcessDefinition definition;
                try
                {
                    definition = await _runner.Core.Definitions.GetAsync(versions[version].Id, cancellationToken).ConfigureAwait(false);
                }
                catch (DefinitionUnreadableException unreadable)
                {
                    // That version's problem, shown on its rows: the report of every other journey and branch is served.
                    rows.Add(new DriftRow(branch.Id, journey, version, pinned, standard, []) { Problem = unreadable.Message });
                    continue;
                }

                var differences = Describe(branch, journey, definition).Where(p => p.Problem is not null || (p.ReadFrom is "branch" or "settings" && !SameValue(definition, p))).ToList();
                rows.Add(new DriftRow(branch.Id, journey, version, pinned, standard, differences));
            }
        }

        return rows;
    }

    /// <summary>Pins (or, with a null version, unpins) a journey for a branch inside a command that commits other rows with it.</summary>
    internal async ValueTask<Branch> PinWithinAsync(Execution execution, string branchId, string processId, int? version, CancellationToken ct, RolloutSubject subject = RolloutSubject.Journey)
    {
        var current = await GetAsync(branchId, ct).ConfigureAwait(false);
        var pins = (subject == RolloutSubject.Decision ? current.DecisionPins : current.Pins).Where(p => p.Key != processId).ToDictionary();
        if (version is { } v)
        {
            pins[processId] = v;
        }

        var changed = subject == RolloutSubject.Decision
            ? current with { DecisionPins = pins, Revision = current.Revision + 1 }
            : current with { Pins = pins, Revision = current.Revision + 1 };
        await CheckAsync(changed, ct).ConfigureAwait(false);
        execution.Changes.Branches.Add((changed.Id, Pins.Write(changed), changed.Revision, current.Revision));
        return changed;
    }

    private async ValueTask<(int Version, ProcessDefinition Definition)> RunningAsync(Branch branch, string processId, CancellationToken ct)
    {
        // The version the branch's new cases start: its pin, else the standard (the one path every start takes).
        var record = await new Pins(Store, ct).ResolveAsync(processId, branch).ConfigureAwait(false);
        if (record is null)
        {
            throw new WorkflowNotFoundException($"process '{processId}' is not deployed");
        }

        return (record.Version, await _runner.Core.Definitions.GetAsync(record.Id, ct).ConfigureAwait(false));
    }

    private static IEnumerable<JourneyParameter> Describe(Branch branch, string processId, ProcessDefinition definition)
    {
        var values = branch.Parameters.GetValueOrDefault(processId) ?? new Dictionary<string, string>();
        var declared = definition.Process.Parameters;
        foreach (var p in declared)
        {
            var value = values.GetValueOrDefault(p.Name);
            string? problem = null;
            var holds = value is not null && p.TryRead(value, out _, out problem);

            // As Pins.Apply gives them to a case: the branch's own value, else its older setting, else the standard.
            var (reads, from) = holds ? (value, "branch")
                : branch.Settings.TryGetValue(p.Name, out var setting) ? (ParameterDeclaration.ToText(setting), "settings")
                : p.Default is { } standard && p.TryRead(standard, out _, out _) ? (standard, "standard")
                : ((string?)null, (string?)null);
            yield return new JourneyParameter(p.Name, p.TypeName, p.Label, p.Min, p.Max, p.Values, p.Default) { Value = value, Problem = problem, Reads = reads, ReadFrom = from };
        }

        foreach (var (name, value) in values.Where(v => !declared.Any(p => p.Name == v.Key)).OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            // A value kept from a version that declared it: instances of this one do not read it.
            yield return new JourneyParameter(name, "unknown", null, null, null, [], null)
            {
                Value = value,
                Problem = $"journey '{processId}' version {definition.Record.Version} declares no parameter '{name}'",
            };
        }
    }

    private static bool SameValue(ProcessDefinition definition, JourneyParameter parameter)
    {
        var declared = definition.Process.Parameters.First(p => p.Name == parameter.Name);
        return declared.TryRead(parameter.Reads, out var value, out _) && parameter.Standard is not null
            && declared.TryRead(parameter.Standard, out var standard, out _) && Equals(value, standard);
    }
}
