using System.Text.Json;
using Workflows.Engine.Feel;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Services;

/// <summary>The organisation's branches: the journey versions each runs, its calendar chain and its local settings.</summary>
/// <remarks>
/// A start that names a branch (<see cref="StartInstance.Branch"/>) starts the version the branch pinned and gives the
/// instance the variables <c>branch</c>, <c>calendar</c> and <c>branchSettings</c>. Saves are revisioned: use
/// <see cref="UpdateAsync"/> to change a branch without losing a concurrent change, <see cref="SaveAsync"/> to replace it.
/// </remarks>
public sealed partial class WorkflowBranches
{
    private static readonly JsonSerializerOptions BranchJson = new(JsonSerializerDefaults.Web);
    private readonly CommandRunner _runner;

    internal WorkflowBranches(CommandRunner runner) => _runner = runner;

    private IWorkflowStore Store => _runner.Store;

    /// <summary>Every branch, in id order.</summary>
    public async Task<IReadOnlyList<Branch>> GetAllAsync(CancellationToken cancellationToken = default)
    {
        var rows = await Store.GetBranchesAsync(cancellationToken).ConfigureAwait(false);
        return rows.Select(r => Read(r.Json, r.Revision)).OrderBy(b => b.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>One branch.</summary>
    /// <exception cref="WorkflowNotFoundException">No branch has that id.</exception>
    public async Task<Branch> GetAsync(string branchId, CancellationToken cancellationToken = default)
    {
        var (json, revision) = await Store.GetBranchAsync(branchId, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"branch '{branchId}' does not exist");
        return Read(json, revision);
    }

    /// <summary>Creates a branch, or replaces it whole whatever was saved since.</summary>
    /// <exception cref="WorkflowInputException">The id is not a short id, or the name or calendar is empty.</exception>
    /// <exception cref="WorkflowNotFoundException">A pin names a version that is not deployed.</exception>
    public async Task SaveAsync(Branch branch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(branch);
        await CheckAsync(branch, cancellationToken).ConfigureAwait(false);
        var json = JsonSerializer.Serialize(branch, BranchJson);
        await _runner.ExecuteAsync(async execution =>
        {
            var stored = await Store.GetBranchAsync(branch.Id, cancellationToken).ConfigureAwait(false);
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
            execution.Changes.Branches.Add((changed.Id, JsonSerializer.Serialize(changed, BranchJson), changed.Revision, current.Revision));
            return changed;
        }, cancellationToken, runTokens: false, name: "UpdateBranch");
    }

    /// <summary>
    /// What a start for a branch adds: the version it pinned (unless the command names one) and the variables
    /// <c>branch</c>, <c>calendar</c> and <c>branchSettings</c> (unless the command sets them).
    /// </summary>
    internal async ValueTask<(int? Version, FeelContext Variables)> ApplyAsync(StartInstance command, FeelContext variables, CancellationToken ct)
    {
        if (command.Branch is null)
        {
            return (command.Version, variables);
        }

        var branch = await GetAsync(command.Branch, ct).ConfigureAwait(false);
        var version = command.Version ?? (branch.Pins.TryGetValue(command.ProcessId, out var pinned) ? pinned : null);
        SetUnlessGiven(variables, "branch", branch.Id);
        SetUnlessGiven(variables, "calendar", branch.Calendar);
        var settings = new FeelContext();
        foreach (var (key, value) in branch.Settings)
        {
            settings[key] = value;
        }

        await AddParametersAsync(branch, command.ProcessId, version, settings, ct).ConfigureAwait(false);
        SetUnlessGiven(variables, "branchSettings", settings);
        return (version, variables);
    }

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
    }

    private static Branch Read(string json, long revision) =>
        (JsonSerializer.Deserialize<Branch>(json, BranchJson) ?? throw new InvalidDataException("a stored branch is empty")) with { Revision = revision };

    private static void SetUnlessGiven(FeelContext variables, string name, object? value)
    {
        if (!variables.ContainsKey(name))
        {
            variables[name] = value;
        }
    }
}
