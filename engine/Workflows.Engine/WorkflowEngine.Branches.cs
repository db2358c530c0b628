using System.Text.Json;
using System.Text.Json.Serialization;
using Workflows.Engine.Feel;

namespace Workflows.Engine;

/// <summary>
/// A branch of the organisation (a shop, an agency, a call centre): the standard version of each journey it
/// runs, the calendar chain its clocks are measured on, and the local settings the journeys allow it.
/// </summary>
/// <param name="Id">A short id such as <c>paris-01</c>: letters, digits, '-' and '_'.</param>
/// <param name="Name">The name people know it by.</param>
public sealed record Branch(string Id, string Name)
{
    /// <summary>The calendar layer chain of its clocks, such as <c>group/country:FR/branch:paris-01</c>.</summary>
    public string Calendar { get; init; } = "group";

    /// <summary>The version of each journey (process id) the branch starts; a journey not pinned starts its latest version.</summary>
    public IReadOnlyDictionary<string, int> Pins { get; init; } = new Dictionary<string, int>();

    /// <summary>Local settings the journeys read as <c>branchSettings</c>, such as the front desk's authority amount.</summary>
    public IReadOnlyDictionary<string, decimal> Settings { get; init; } = new Dictionary<string, decimal>();

    /// <summary>How many times the branch was saved: the store's, read with the branch.</summary>
    [JsonIgnore]
    public long Revision { get; init; }
}

public sealed partial class WorkflowEngine
{
    private static readonly JsonSerializerOptions BranchJson = new(JsonSerializerDefaults.Web);

    /// <summary>Creates a branch, or replaces it whole whatever was saved since.</summary>
    /// <exception cref="WorkflowInputException">The id is not a short id, or the name or calendar is empty.</exception>
    /// <exception cref="WorkflowNotFoundException">A pin names a version that is not deployed.</exception>
    public async Task SaveBranchAsync(Branch branch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(branch);
        await CheckBranchAsync(branch, cancellationToken).ConfigureAwait(false);
        var json = JsonSerializer.Serialize(branch, BranchJson);
        await ExecuteAsync(async execution =>
        {
            var stored = await Store.GetBranchAsync(branch.Id, cancellationToken).ConfigureAwait(false);
            execution.Changes.Branches.Add((branch.Id, json, (stored?.Revision ?? 0) + 1, null));
            return true;
        }, cancellationToken, runTokens: false).ConfigureAwait(false);
    }

    /// <summary>
    /// Changes a branch as <paramref name="change"/> says, on the branch as stored now: when another save comes
    /// between the read and the write, the change is applied again to what that save left, so none is lost.
    /// </summary>
    /// <returns>The branch as saved.</returns>
    /// <exception cref="WorkflowNotFoundException">No branch has that id, or a pin names a version that is not deployed.</exception>
    public Task<Branch> UpdateBranchAsync(string branchId, Func<Branch, Branch> change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        return ExecuteAsync(async execution =>
        {
            var current = await GetBranchAsync(branchId, cancellationToken).ConfigureAwait(false);
            var changed = change(current) with { Id = current.Id, Revision = current.Revision + 1 };
            await CheckBranchAsync(changed, cancellationToken).ConfigureAwait(false);
            execution.Changes.Branches.Add((changed.Id, JsonSerializer.Serialize(changed, BranchJson), changed.Revision, current.Revision));
            return changed;
        }, cancellationToken, runTokens: false);
    }

    private async Task CheckBranchAsync(Branch branch, CancellationToken ct)
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

    /// <summary>Every branch, in id order.</summary>
    public async Task<IReadOnlyList<Branch>> GetBranchesAsync(CancellationToken cancellationToken = default)
    {
        var rows = await Store.GetBranchesAsync(cancellationToken).ConfigureAwait(false);
        return rows.Select(r => ReadBranch(r.Json, r.Revision)).OrderBy(b => b.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>One branch.</summary>
    /// <exception cref="WorkflowNotFoundException">No branch has that id.</exception>
    public async Task<Branch> GetBranchAsync(string branchId, CancellationToken cancellationToken = default)
    {
        var (json, revision) = await Store.GetBranchAsync(branchId, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"branch '{branchId}' does not exist");
        return ReadBranch(json, revision);
    }

    private static Branch ReadBranch(string json, long revision) =>
        (JsonSerializer.Deserialize<Branch>(json, BranchJson) ?? throw new InvalidDataException("a stored branch is empty")) with { Revision = revision };

    /// <summary>
    /// What a start for a branch adds: the version it pinned (unless the command names one) and the variables
    /// <c>branch</c>, <c>calendar</c> and <c>branchSettings</c> (unless the command sets them).
    /// </summary>
    private async ValueTask<(int? Version, FeelContext Variables)> ApplyBranchAsync(StartInstance command, FeelContext variables, CancellationToken ct)
    {
        if (command.Branch is null)
        {
            return (command.Version, variables);
        }

        var branch = await GetBranchAsync(command.Branch, ct).ConfigureAwait(false);
        var version = command.Version ?? (branch.Pins.TryGetValue(command.ProcessId, out var pinned) ? pinned : null);
        SetUnlessGiven(variables, "branch", branch.Id);
        SetUnlessGiven(variables, "calendar", branch.Calendar);
        var settings = new FeelContext();
        foreach (var (key, value) in branch.Settings)
        {
            settings[key] = value;
        }

        SetUnlessGiven(variables, "branchSettings", settings);
        return (version, variables);
    }

    private static void SetUnlessGiven(FeelContext variables, string name, object? value)
    {
        if (!variables.ContainsKey(name))
        {
            variables[name] = value;
        }
    }
}
