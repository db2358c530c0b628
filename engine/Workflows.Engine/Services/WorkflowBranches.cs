using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Services;

/// <summary>The organisation's branches: the journey versions each runs, its calendar chain and its local settings.</summary>
/// <remarks>
/// <para>
/// Every start for a branch runs the version the branch pinned, else the latest, and gives the instance the variables
/// <c>branch</c>, <c>calendar</c> and <c>branchSettings</c>: a start through the API (<see cref="StartInstance.Branch"/>),
/// a message start (<see cref="PublishMessage.Branch"/>), a handoff from the other office (the sending instance's branch
/// travels in <see cref="Handoff.Branch"/>), a call activity (the calling instance's branch; binding <c>latest</c> reads
/// the pin, <c>versionTag</c> takes the pinned version when it carries the tag, <c>deployment</c> the version deployed
/// with the caller, whose own version the pin chose) and timer and signal starts (each version's start event starts
/// one instance for every branch that pinned that version, and the latest version's one more for no branch).
/// </para>
/// <para>
/// A version's timer, message and signal start events stay open while a branch pins it, though a newer version was
/// deployed; they close when no branch pins it any more. Saves are revisioned: use <see cref="UpdateAsync"/> to change a
/// branch without losing a concurrent change, <see cref="SaveAsync"/> to replace it.
/// </para>
/// <para>
/// The approval gate: every save that sets or moves a pin (journey or decision) needs a version an analyst approved, and
/// an unpin needs an approved version to fall back to; a version only deployed is refused (409 over HTTP) naming it and
/// who deployed it. Pins a save leaves as they were are not checked again.
/// </para>
/// </remarks>
public sealed partial class WorkflowBranches
{
    private readonly CommandRunner _runner;

    internal WorkflowBranches(CommandRunner runner) => _runner = runner;

    private IWorkflowStore Store => _runner.Store;

    /// <summary>Every branch, in id order.</summary>
    public async Task<IReadOnlyList<Branch>> GetAllAsync(CancellationToken cancellationToken = default)
    {
        var rows = await Store.GetBranchesAsync(cancellationToken).ConfigureAwait(false);
        return rows.Select(r => Pins.Read(r.Json, r.Revision)).OrderBy(b => b.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>One branch.</summary>
    /// <exception cref="WorkflowNotFoundException">No branch has that id.</exception>
    public async Task<Branch> GetAsync(string branchId, CancellationToken cancellationToken = default)
    {
        var (json, revision) = await Store.GetBranchAsync(branchId, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"branch '{branchId}' does not exist");
        return Pins.Read(json, revision);
    }

    /// <summary>The version a start of <paramref name="processId"/> for <paramref name="branchId"/> runs: its pin, else the latest approved, else the latest.</summary>
    /// <param name="processId">The journey.</param>
    /// <param name="branchId">The branch; null for a start for no branch (the latest).</param>
    /// <param name="cancellationToken">Stops the read.</param>
    /// <exception cref="WorkflowNotFoundException">The branch does not exist, or the process (or its pinned version) is not deployed.</exception>
    public async Task<int> ResolveVersionAsync(string processId, string? branchId, CancellationToken cancellationToken = default)
    {
        var branch = branchId is null ? null : await GetAsync(branchId, cancellationToken).ConfigureAwait(false);
        var record = await new Pins(Store, cancellationToken).ResolveAsync(processId, branch).ConfigureAwait(false);
        return record?.Version ?? throw NotDeployed(processId, Pins.PinOf(branch, processId));
    }

    /// <summary>Creates a branch, or replaces it whole whatever was saved since.</summary>
    /// <exception cref="WorkflowInputException">The id is not a short id, or the name or calendar is empty.</exception>
    /// <exception cref="WorkflowNotFoundException">A pin names a version that is not deployed.</exception>
    /// <exception cref="WorkflowConflictException">A pin set or moved names a version that is not approved (the approval gate).</exception>
    public async Task SaveAsync(Branch branch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(branch);
        await CheckAsync(branch, cancellationToken).ConfigureAwait(false);
        var json = Pins.Write(branch);
        await _runner.ExecuteAsync(async execution =>
        {
            var stored = await execution.Pins.FindAsync(branch.Id).ConfigureAwait(false);
            await ApprovalGate.RequireChangedPinsAsync(Store, stored, branch, cancellationToken).ConfigureAwait(false);
            await execution.StartSubscriptions.PinsChangedAsync(stored, branch).ConfigureAwait(false);
            execution.Changes.Branches.Add((branch.Id, json, (stored?.Revision ?? 0) + 1, null));
            return true;
        }, cancellationToken, runTokens: false, name: "SaveBranch").ConfigureAwait(false);
    }

    /// <summary>
    /// Changes a branch as <paramref name="change"/> says, on the branch as stored now: when another save comes
    /// between the read and the write, the change is applied again to what that save left, so none is lost.
    /// </summary>
    /// <returns>The branch as saved.</returns>
    /// <exception cref="WorkflowNotFoundException">No branch has that id, or a pin names a version that is not deployed.</exception>
    public Task<Branch> UpdateAsync(string branchId, Func<Branch, Branch> change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        return _runner.ExecuteAsync(async execution =>
        {
            var current = await GetAsync(branchId, cancellationToken).ConfigureAwait(false);
            var changed = change(current) with { Id = current.Id, Revision = current.Revision + 1 };
            await CheckAsync(changed, cancellationToken).ConfigureAwait(false);
            await ApprovalGate.RequireChangedPinsAsync(Store, current, changed, cancellationToken).ConfigureAwait(false);
            await execution.StartSubscriptions.PinsChangedAsync(current, changed).ConfigureAwait(false);
            execution.Changes.Branches.Add((changed.Id, Pins.Write(changed), changed.Revision, current.Revision));
            return changed;
        }, cancellationToken, runTokens: false, name: "UpdateBranch");
    }

    /// <summary>
    /// Pins the version of a journey the branch starts (null unpins it: the branch runs the standard, the latest approved
    /// version); running instances stay on theirs.
    /// </summary>
    /// <returns>The branch as saved.</returns>
    /// <exception cref="WorkflowNotFoundException">No branch has that id, or the version is not deployed.</exception>
    /// <exception cref="WorkflowConflictException">
    /// The version is only deployed, not approved (for an unpin: no version is approved, so the branch would run the
    /// latest as deployed). The same gate holds for <see cref="SaveAsync"/>, <see cref="UpdateAsync"/>, a migration's
    /// target and a rollout.
    /// </exception>
    public Task<Branch> PinAsync(string branchId, string processId, int? version, CancellationToken cancellationToken = default) =>
        UpdateAsync(branchId, b =>
        {
            var pins = b.Pins.Where(p => p.Key != processId).ToDictionary();
            if (version is { } v)
            {
                pins[processId] = v;
            }

            return b with { Pins = pins };
        }, cancellationToken);

    internal static WorkflowNotFoundException NotDeployed(string processId, int? version) =>
        new($"process '{processId}'{(version is null ? "" : $" version {version}")} is not deployed");

    private async Task CheckAsync(Branch branch, CancellationToken ct)
    {
        if (branch.Id.Length is 0 or > 64 || !branch.Id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new WorkflowInputException($"the branch id '{branch.Id}' must be 1 to 64 letters, digits, '-' or '_'");
        }

        if (string.IsNullOrWhiteSpace(branch.Name) || string.IsNullOrWhiteSpace(branch.Calendar))
        {
            throw new WorkflowInputException($"branch '{branch.Id}' needs a name and a calendar chain");
        }

        foreach (var (processId, version) in branch.Pins)
        {
            _ = await Store.GetDefinitionByVersionAsync(processId, version, ct).ConfigureAwait(false)
                ?? throw new WorkflowNotFoundException($"branch '{branch.Id}' pins process '{processId}' version {version}, which is not deployed");
        }

        foreach (var (decisionId, version) in branch.DecisionPins)
        {
            _ = await Store.GetDecisionByVersionAsync(decisionId, version, ct).ConfigureAwait(false)
                ?? throw new WorkflowNotFoundException($"branch '{branch.Id}' pins decision '{decisionId}' version {version}, which is not deployed");
        }
    }
}
