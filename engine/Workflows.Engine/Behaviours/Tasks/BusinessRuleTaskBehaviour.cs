using Workflows.Engine.Decisions;
using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;
using Workflows.Engine.Services;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Behaviours.Tasks;

/// <summary>
/// A business rule task: with <c>zeebe:calledDecision</c> it evaluates the decision now and writes its value to the
/// result variable; with <c>zeebe:taskDefinition</c> it is a job, as a service task.
/// </summary>
/// <remarks>
/// The version follows the instance's branch (its <c>wf:journey</c> branch): binding <c>latest</c> takes the branch's
/// decision pin, else the decision's standard (which only a rollout moves), and for a branch no version while none is
/// approved (an incident naming the decision); <c>versionTag</c> the pinned version when it carries the tag, else the latest
/// with it; <c>deployment</c> the version deployed with the instance's process version. Every evaluation is a history row
/// (<c>decision-evaluated</c>) with its inputs, matched rules and outputs. A decision not found, or one that fails, is an
/// incident naming the decision and why; a retry after a fixing deployment evaluates again.
/// </remarks>
internal sealed class BusinessRuleTaskBehaviour : ElementBehaviour
{
    private readonly ServiceTaskBehaviour _job = new();

    // The version each decision was last chosen at, by branch: only a hint of which version to read with the rows that
    // choose it (a wrong one costs the read it would have cost anyway), so it may be shared and forgotten freely.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string DecisionId, string? BranchId), int> s_chosen = new();
    private const int MaxChosen = 1_024;

    public override async ValueTask ActivateAsync(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? trigger)
    {
        if (node.Task is not null || node.Part<CalledDecision>() is not { } called)
        {
            await _job.ActivateAsync(execution, instance, element, node, trigger).ConfigureAwait(false);
            return;
        }

        var core = execution.Engine;
        var scope = new ElementScope(instance.State, element);
        var decisionId = execution.Expressions.EvaluateString(called.DecisionId, scope, node, "the decision id");
        var branchId = execution.Expressions.Party(instance, element, instance.Definition.Process.Branch);
        Branch? branch;
        DecisionRecord? found;
        if (called.Binding == DecisionBinding.Latest)
        {
            // The branch, the decision's approvals and rollouts in one read, with the version this branch's tasks chose last
            // time (one round trip on a server); the version is chosen from those rows, and read again only when it differs.
            branchId = string.IsNullOrEmpty(branchId) ? null : branchId;
            var rows = await core.Store.GetDecisionChoiceRowsAsync(branchId, decisionId, WorkflowRollouts.Key(RolloutSubject.Decision, decisionId),
                DecisionStandard.MaxRolloutsRead, s_chosen.TryGetValue((decisionId, branchId), out var last) ? last : null, execution.Unit.DecisionChoiceStamp,
                execution.CancellationToken).ConfigureAwait(false);
            // Rows the store kept since they were read (nothing that chooses the version changed since) come with the choice
            // made from them: neither the branch's and rollouts' JSON nor the version is read again.
            var choice = rows.Chosen ?? await ChooseAsync(core.Store, decisionId, branchId, rows, execution.CancellationToken).ConfigureAwait(false);
            (branch, found) = (choice.Branch, choice.Found);
        }
        else
        {
            branch = await execution.Pins.FindAsync(branchId).ConfigureAwait(false);
            found = await DeployedDecisions.ResolveAsync(core.Store, decisionId, called.Binding, called.VersionTag, instance.Definition.Record.DeploymentId,
                branch, execution.CancellationToken).ConfigureAwait(false);
        }

        var record = found
            ?? throw new StepFailedException(await DeployedDecisions.NotFoundAsync(core.Store, decisionId, called.Binding, called.VersionTag, instance.State.ProcessId,
                branch, execution.CancellationToken).ConfigureAwait(false));

        DecisionEvaluation result;
        try
        {
            // The version read without its XML on the latest binding's path: the model kept per version, the XML read only to parse it.
            var model = await DeployedDecisions.LoadAsync(core.Store, record, core.Options.Parser, execution.CancellationToken).ConfigureAwait(false);
            result = model.EvaluateIn(record.DecisionId, scope.Flatten(), core.Time, execution.CancellationToken); // the scope's own copy, as it is
        }
        catch (Exception e) when (e is KeyNotFoundException or FeelLimitExceededException or InvalidDataException)
        {
            throw new StepFailedException($"decision '{decisionId}' version {record.Version} failed: {e.Message}");
        }

        execution.History(instance, HistoryKind.DecisionEvaluated, node.Id, element.Key, DeployedDecisions.HistoryDetail(record, result));
        if (DeployedDecisions.Failed(result))
        {
            throw new StepFailedException($"decision '{decisionId}' version {record.Version} failed: {string.Join("; ", result.Warnings.Take(5))}");
        }

        var written = new FeelContext { [called.ResultVariable] = FeelConvert.Storable(result.Value) };
        if (execution.Budget.VariablesOverLimit(written) is { } bytes)
        {
            throw execution.Budget.VariablesTooLarge($"the result of decision '{decisionId}' in {node}", bytes);
        }

        execution.Budget.RefuseTooDeep(written, $"the result of decision '{decisionId}' in {node}");
        StorableText.RefuseInResult(written, $"the result of decision '{decisionId}' in {node}");

        execution.EnqueueComplete(instance, element.Key, written);
    }

    // Binding latest's version, chosen from the rows that choose it, and kept with them (DecisionChoiceRows.Chosen).
    private static async ValueTask<DecisionChoice> ChooseAsync(IWorkflowStore store, string decisionId, string? branchId, DecisionChoiceRows rows, CancellationToken ct)
    {
        var branch = rows.Branch is { } row ? Pins.Read(row.Json, row.Revision) : null;
        var found = await DeployedDecisions.ResolveLatestAsync(store, decisionId, branch, DeployedDecisions.PinOf(branch, decisionId) is null ? DecisionStandard.Of(rows) : null,
            ct, rows.Likely, xml: false).ConfigureAwait(false);
        if (found is not null && found.Version != rows.Likely?.Version)
        {
            if (s_chosen.Count >= MaxChosen)
            {
                s_chosen.Clear();
            }

            s_chosen[(decisionId, branchId)] = found.Version;
        }

        return rows.Chosen = new DecisionChoice(branch, found);
    }
}
