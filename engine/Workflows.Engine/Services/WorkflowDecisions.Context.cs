using Workflows.Engine.Decisions;
using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Services;

// An evaluation for a branch sees what the branch's cases see (review18 F14): a case's business rule task evaluates
// with the variables its start gave it — branch, calendar and branchSettings, the branch's parameters of the journey
// version it runs — so an evaluation through the API without them answered otherwise than the branch's cases do.
// And it says which version each calling task decides with (review10-18 F2): a task bound by deployment or a version
// tag is not governed by the branch's pin, as in Camunda 8, so the pinned version does not stand for its cases.
public sealed partial class WorkflowDecisions
{
    // The variables the engine gives an evaluation for a branch, as a start for that branch gives its case.
    private static readonly string[] BranchVariables = ["branch", "calendar", "branchSettings"];

    /// <summary>
    /// Every business rule task, in the journey versions <paramref name="branchId"/> runs, that calls a decision by its id
    /// (only <paramref name="decisionId"/> when given), with the version its binding makes it evaluate for the branch's
    /// cases now: <c>latest</c> the branch's pin or the standard, <c>versionTag</c> the pinned version when it carries the
    /// tag else the latest approved one with it, <c>deployment</c> the version deployed with the journey version, which a
    /// pin does not change.
    /// </summary>
    /// <exception cref="WorkflowNotFoundException">The branch does not exist.</exception>
    public async Task<IReadOnlyList<DecisionCaller>> GetCallersAsync(string branchId, string? decisionId = null, CancellationToken cancellationToken = default)
    {
        var branch = await _branches.GetAsync(branchId, cancellationToken).ConfigureAwait(false);
        var callers = new List<DecisionCaller>();
        foreach (var (record, process) in await RunningCallersAsync(new Pins(Store, cancellationToken), branch, decisionId, cancellationToken).ConfigureAwait(false))
        {
            callers.AddRange(await TasksCallingAsync(record, process, branch, decisionId, cancellationToken).ConfigureAwait(false));
        }

        return callers;
    }

    /// <summary>
    /// The caller's variables with <c>branch</c>, <c>calendar</c> and <c>branchSettings</c> as a case of
    /// <paramref name="branch"/> has them: the parameters of the journey named, else of the journey whose business rule
    /// tasks call the decision in the version the branch runs. A variable the caller gave is left as given (the API
    /// refuses these names before).
    /// </summary>
    /// <returns>The variables, the journeys whose cases they are those of (empty: no journey calls the decision), and each calling task with the version it decides with.</returns>
    /// <exception cref="WorkflowNotFoundException">The journey named is not deployed.</exception>
    /// <exception cref="WorkflowInputException">The journey named does not call the decision, or several journeys do whose cases read different parameters.</exception>
    private async ValueTask<(Dictionary<string, object?> Variables, IReadOnlyList<string> Journeys, IReadOnlyList<DecisionCaller> Callers)> AsTheBranchsCasesAsync(
        EvaluateDecision request, Branch branch, CancellationToken ct)
    {
        var pins = new Pins(Store, ct);
        var callers = new List<(DefinitionRecord Record, ProcessModel Process)>();
        if (request.Journey is { } journey)
        {
            var record = await pins.ResolveAsync(journey, branch).ConfigureAwait(false) ?? throw WorkflowBranches.NotDeployed(journey, Pins.PinOf(branch, journey));
            var process = (await _runner.Core.Definitions.GetAsync(record.Id, ct).ConfigureAwait(false)).Process;
            if (!Calls(process, request.DecisionId))
            {
                throw new WorkflowInputException($"journey '{journey}' version {record.Version}, which branch '{branch.Id}' runs, calls no decision '{request.DecisionId}': name a journey that does, or none");
            }

            callers.Add((record, process));
        }
        else
        {
            callers.AddRange(await RunningCallersAsync(pins, branch, request.DecisionId, ct).ConfigureAwait(false));
        }

        // Each calling journey's cases read their own parameters; they must agree for one evaluation to stand for them all.
        var contexts = callers.Select(c => (c.Process.Id, Context: Pins.Apply(branch, c.Process, new FeelContext()))).ToList();
        var first = contexts.Count == 0 ? Pins.Apply(branch, null, new FeelContext()) : contexts[0].Context;
        if (contexts.Select(c => FeelConvert.ToJson(c.Context["branchSettings"])).Distinct(StringComparer.Ordinal).Count() > 1)
        {
            throw new WorkflowInputException(
                $"decision '{request.DecisionId}' is called by journeys {string.Join(", ", contexts.Select(c => $"'{c.Id}'"))}, whose cases in branch '{branch.Id}' read different parameters (branchSettings): name the journey (journey) whose cases to evaluate as");
        }

        var variables = new Dictionary<string, object?>(request.Variables ?? new Dictionary<string, object?>(), StringComparer.Ordinal);
        foreach (var name in BranchVariables)
        {
            variables.TryAdd(name, first[name]);
        }

        var tasks = new List<DecisionCaller>();
        foreach (var (record, process) in callers)
        {
            tasks.AddRange(await TasksCallingAsync(record, process, branch, request.DecisionId, ct).ConfigureAwait(false));
        }

        return (variables, contexts.Select(c => c.Id).ToList(), tasks);
    }

    // The version a named journey's cases decide with, when its calling tasks' bindings choose another than the branch's
    // pin (or standard): its tasks must agree, else the caller names the version.
    private static int? VersionOfJourney(EvaluateDecision request, Branch branch, IReadOnlyList<DecisionCaller> tasks)
    {
        if (request.Journey is null || request.Version is not null)
        {
            return null;
        }

        var versions = tasks.Select(t => t.Version).Distinct().ToList();
        if (versions.Count > 1)
        {
            throw new WorkflowInputException(
                $"journey '{request.Journey}' decides '{request.DecisionId}' with more than one version in branch '{branch.Id}': " +
                $"{string.Join("; ", tasks.Select(t => $"task '{t.ElementName ?? t.ElementId}' ({t.Binding}) version {t.Version?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}"))}: name the version (version)");
        }

        return versions.SingleOrDefault();
    }

    // The journeys whose version the branch runs calls the decision by its id (any decision when null), in id order. A
    // version that no longer reads is passed over: it calls nothing a case can reach.
    private async ValueTask<List<(DefinitionRecord Record, ProcessModel Process)>> RunningCallersAsync(Pins pins, Branch branch, string? decisionId, CancellationToken ct)
    {
        var callers = new List<(DefinitionRecord, ProcessModel)>();
        var journeys = (await Store.GetDefinitionsAsync(null, ct).ConfigureAwait(false)).Select(d => d.ProcessId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        foreach (var journey in journeys)
        {
            if (await pins.ResolveAsync(journey, branch).ConfigureAwait(false) is not { } record)
            {
                continue;
            }

            try
            {
                var process = (await _runner.Core.Definitions.GetAsync(record.Id, ct).ConfigureAwait(false)).Process;
                if (decisionId is null ? process.Nodes.Values.Any(n => n.Part<CalledDecision>() is not null) : Calls(process, decisionId))
                {
                    callers.Add((record, process));
                }
            }
            catch (Exception e) when (e is DefinitionUnreadableException or InvalidOperationException or InvalidDataException)
            {
                // An unreadable stored version: its own problem is reported where it is started.
            }
        }

        return callers;
    }

    // Each task of the journey version calling the decision (any, when null) by its id, with the version its binding
    // resolves to for the branch now (null: none, its case would stop on an incident).
    private async ValueTask<List<DecisionCaller>> TasksCallingAsync(DefinitionRecord record, ProcessModel process, Branch branch, string? decisionId, CancellationToken ct)
    {
        var tasks = new List<DecisionCaller>();
        foreach (var node in process.Nodes.Values.OrderBy(n => n.Id, StringComparer.Ordinal))
        {
            if (node.Part<CalledDecision>() is not { DecisionId: { IsStatic: true } id } called || (decisionId is not null && id.Text != decisionId))
            {
                continue;
            }

            var version = await DeployedDecisions.ResolveAsync(Store, id.Text, called.Binding, called.VersionTag, record.DeploymentId, branch, ct).ConfigureAwait(false);
            tasks.Add(new DecisionCaller(id.Text, process.Id, record.Version, node.Id, node.Name, BindingName(called.Binding), called.VersionTag, version?.Version));
        }

        return tasks;
    }

    private static string BindingName(DecisionBinding binding) => binding switch
    {
        DecisionBinding.Deployment => "deployment",
        DecisionBinding.VersionTag => "versionTag",
        _ => "latest",
    };

    private static bool Calls(ProcessModel process, string decisionId) =>
        process.Nodes.Values.Any(n => n.Part<CalledDecision>() is { DecisionId: { IsStatic: true } id } && id.Text == decisionId);
}
