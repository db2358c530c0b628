using Workflows.Engine.Decisions;
using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.Services;

// An evaluation for a branch sees what the branch's cases see (review18 F14): a case's business rule task evaluates
// with the variables its start gave it — branch, calendar and branchSettings, the branch's parameters of the journey
// version it runs — so an evaluation through the API without them answered otherwise than the branch's cases do.
public sealed partial class WorkflowDecisions
{
    // The variables the engine gives an evaluation for a branch, as a start for that branch gives its case.
    private static readonly string[] BranchVariables = ["branch", "calendar", "branchSettings"];

    /// <summary>
    /// The caller's variables with <c>branch</c>, <c>calendar</c> and <c>branchSettings</c> as a case of
    /// <paramref name="branch"/> has them: the parameters of the journey named, else of the journey whose business rule
    /// tasks call the decision in the version the branch runs. A variable the caller gave is left as given (the API
    /// refuses these names before).
    /// </summary>
    /// <returns>The variables, and the journeys whose cases they are those of (empty: no journey calls the decision).</returns>
    /// <exception cref="WorkflowNotFoundException">The journey named is not deployed.</exception>
    /// <exception cref="WorkflowInputException">The journey named does not call the decision, or several journeys do whose cases read different parameters.</exception>
    private async ValueTask<(Dictionary<string, object?> Variables, IReadOnlyList<string> Journeys)> AsTheBranchsCasesAsync(EvaluateDecision request, Branch branch, CancellationToken ct)
    {
        var pins = new Pins(Store, ct);
        var callers = new List<ProcessModel>();
        if (request.Journey is { } journey)
        {
            var record = await pins.ResolveAsync(journey, branch).ConfigureAwait(false) ?? throw WorkflowBranches.NotDeployed(journey, Pins.PinOf(branch, journey));
            var process = (await _runner.Core.Definitions.GetAsync(record.Id, ct).ConfigureAwait(false)).Process;
            if (!Calls(process, request.DecisionId))
            {
                throw new WorkflowInputException($"journey '{journey}' version {record.Version}, which branch '{branch.Id}' runs, calls no decision '{request.DecisionId}': name a journey that does, or none");
            }

            callers.Add(process);
        }
        else
        {
            callers.AddRange(await CallersAsync(pins, branch, request.DecisionId, ct).ConfigureAwait(false));
        }

        // Each calling journey's cases read their own parameters; they must agree for one evaluation to stand for them all.
        var contexts = callers.Select(p => (p.Id, Context: Pins.Apply(branch, p, new FeelContext()))).ToList();
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

        return (variables, contexts.Select(c => c.Id).ToList());
    }

    // The journeys whose version the branch runs calls the decision by its id, in id order. A version that no longer reads
    // is passed over: it calls nothing a case can reach.
    private async ValueTask<List<ProcessModel>> CallersAsync(Pins pins, Branch branch, string decisionId, CancellationToken ct)
    {
        var callers = new List<ProcessModel>();
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
                if (Calls(process, decisionId))
                {
                    callers.Add(process);
                }
            }
            catch (Exception e) when (e is DefinitionUnreadableException or InvalidOperationException or InvalidDataException)
            {
                // An unreadable stored version: its own problem is reported where it is started.
            }
        }

        return callers;
    }

    private static bool Calls(ProcessModel process, string decisionId) =>
        process.Nodes.Values.Any(n => n.Part<CalledDecision>() is { DecisionId: { IsStatic: true } id } && id.Text == decisionId);
}
