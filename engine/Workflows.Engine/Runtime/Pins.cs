using System.Collections.Concurrent;
using System.Text.Json;
using Workflows.Engine.Feel;
using Workflows.Engine.Parameters;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Runtime;

/// <summary>
/// The one path every start takes to choose the version it runs: the version a command names, else the version the
/// branch it starts for pinned, else the latest approved (the latest while none is approved). API starts, message starts and handoffs, call activities and timer and
/// signal starts all ask here, so a branch runs no version it did not pin, whichever way its work starts.
/// </summary>
/// <remarks>
/// A start without a branch (a central team's message, an engine used without branches) runs the latest version: the
/// organisation's default line. Timer and signal starts have no caller: each version's start event starts one instance
/// for every branch that pinned that version, and the latest version's one more for no branch (<see cref="RunnersAsync"/>).
/// </remarks>
internal sealed class Pins(IWorkflowStore store, CancellationToken ct)
{
    private static readonly JsonSerializerOptions BranchJson = new(JsonSerializerDefaults.Web);

    // Read once per command: a fan-out over many versions reads the branches once.
    private IReadOnlyList<Branch>? _all;

    // The branches as last parsed, by their stored JSON: every start still reads its branch's row (a change made on any
    // node counts at the next start), but parses it only when the row is not one parsed before. A pure function of the
    // row's text, so there is nothing to invalidate; a Branch is immutable, so one parse serves every command.
    private static readonly ConcurrentDictionary<string, Branch> s_parsed = new(StringComparer.Ordinal);
    private const int MaxParsed = 1_024;

    public static Branch Read(string json, long revision)
    {
        if (!s_parsed.TryGetValue(json, out var branch))
        {
            branch = (JsonSerializer.Deserialize<Branch>(json, BranchJson) ?? throw new InvalidDataException("a stored branch is empty")) with { Revision = revision };
            if (s_parsed.Count >= MaxParsed)
            {
                s_parsed.Clear();
            }

            s_parsed[json] = branch;
        }

        return branch.Revision == revision ? branch : branch with { Revision = revision };
    }

    public static string Write(Branch branch) => JsonSerializer.Serialize(branch, BranchJson);

    // The version a branch's last start of a journey ran, by branch and journey, and whether by the branch's pin (else by
    // the approvals: the branch follows the line): a guess read with the branch's row (FindBranchAndVersionAsync), with the
    // approvals when they chose it, so that a start for a branch makes one round trip for what it reads on a server. Only a
    // guess: the rows read with it decide, and a guess that no longer holds (a pin moved, a version approved, on any node)
    // costs the reads it would have saved. Nothing to invalidate, so a plain bounded cache.
    private static readonly ConcurrentDictionary<(string Branch, string Process), (int Version, bool Pinned)> s_lastRun = new();

    /// <summary>
    /// A start's branch (<paramref name="branchId"/>; null when there is none) and the version it runs, as
    /// <see cref="FindAsync"/> then <see cref="ResolveAsync"/> would choose it, with the version it likely runs read
    /// together with the branch.
    /// </summary>
    /// <returns>The branch, null when it does not exist (then no version is chosen); the version's record, null when it is not deployed.</returns>
    public async ValueTask<(Branch? Branch, DefinitionRecord? Record)> ResolveStartAsync(string processId, string branchId, int? version)
    {
        var key = (branchId, processId);
        var last = version is null && s_lastRun.TryGetValue(key, out var run) ? run : ((int Version, bool Pinned)?)null;
        var (stored, read, approvals) = await store.FindBranchAndVersionAsync(branchId, processId, version ?? last?.Version, last is { Pinned: false }, ct).ConfigureAwait(false);
        if (stored is not { } row)
        {
            return (null, null);
        }

        var branch = Read(row.Json, row.Revision);
        var pinned = PinOf(branch, processId);
        // As ResolveAsync chooses: the version named, else the pin, else the newest approved (known here only when read).
        var chosen = version ?? pinned ?? (approvals is { Count: > 0 } ? approvals.Max(a => a.Version) : null);
        var record = chosen is not null && read is not null && read.Version == chosen && read.ProcessId == processId
            ? read
            : await ResolveAsync(processId, branch, version).ConfigureAwait(false);
        if (version is null)
        {
            Remember(key, record is null ? null : (record.Version, pinned is not null));
        }

        return (branch, record);
    }

    private static void Remember((string Branch, string Process) key, (int Version, bool Pinned)? run)
    {
        if (run is not { } r)
        {
            s_lastRun.TryRemove(key, out _);
            return;
        }

        if (s_lastRun.Count >= MaxParsed && !s_lastRun.ContainsKey(key))
        {
            s_lastRun.Clear();
        }

        s_lastRun[key] = r;
    }

    /// <summary>The branch of that id; null when there is none.</summary>
    public async ValueTask<Branch?> FindAsync(string? branchId)
    {
        if (string.IsNullOrEmpty(branchId))
        {
            return null;
        }

        var stored = await store.GetBranchAsync(branchId, ct).ConfigureAwait(false);
        return stored is { } row ? Read(row.Json, row.Revision) : null;
    }

    /// <summary>Every branch, as stored when this command first asked.</summary>
    public async ValueTask<IReadOnlyList<Branch>> AllAsync()
    {
        if (_all is null)
        {
            var rows = await store.GetBranchesAsync(ct).ConfigureAwait(false);
            _all = rows.Select(r => Read(r.Json, r.Revision)).OrderBy(b => b.Id, StringComparer.Ordinal).ToList();
        }

        return _all;
    }

    /// <summary>
    /// The version a start of <paramref name="processId"/> for <paramref name="branch"/> runs: <paramref name="version"/> if
    /// given, else the branch's pin, else (a branch that pins nothing) the standard — the latest approved version — and
    /// the latest only while no version of the journey was ever approved.
    /// </summary>
    /// <returns>The version's record without its XML (take its model from the definition cache); null when it (or the process) is not deployed.</returns>
    public async ValueTask<DefinitionRecord?> ResolveAsync(string processId, Branch? branch, int? version = null)
    {
        var chosen = version ?? PinOf(branch, processId);
        if (chosen is null && branch is not null)
        {
            // A branch following the line must not start a version nobody approved: a deployment is not a release.
            var approvals = await store.GetApprovalsAsync(processId, ct).ConfigureAwait(false);
            chosen = approvals.Count > 0 ? approvals.Max(a => a.Version) : null;
        }

        return await store.FindVersionAsync(processId, chosen, ct).ConfigureAwait(false);
    }

    /// <summary>The version <paramref name="branch"/> pinned of <paramref name="processId"/>; null when it follows the latest.</summary>
    public static int? PinOf(Branch? branch, string processId) =>
        branch is not null && branch.Pins.TryGetValue(processId, out var pinned) ? pinned : null;

    /// <summary>
    /// For whom a start event of <paramref name="definition"/> without a caller (a timer, a signal) starts an instance: every
    /// branch that pinned this version, and no branch (null) when it is the latest version. Empty when no one runs it any more.
    /// </summary>
    public async ValueTask<IReadOnlyList<Branch?>> RunnersAsync(DefinitionRecord definition)
    {
        var runners = new List<Branch?>();
        foreach (var branch in await AllAsync().ConfigureAwait(false))
        {
            if (PinOf(branch, definition.ProcessId) == definition.Version)
            {
                runners.Add(branch);
            }
        }

        var latest = await store.FindVersionAsync(definition.ProcessId, null, ct).ConfigureAwait(false);
        if (latest is null || latest.Id == definition.Id)
        {
            runners.Add(null);
        }

        return runners;
    }

    /// <summary>The versions of <paramref name="processId"/> some branch pinned.</summary>
    public static HashSet<int> Pinned(IEnumerable<Branch> branches, string processId) =>
        branches.Select(b => PinOf(b, processId)).OfType<int>().ToHashSet();

    /// <summary>
    /// What a start for a branch gives the instance of <paramref name="process"/>, unless the start sets it: <c>branch</c>,
    /// <c>calendar</c>, <c>branchSettings</c> — the branch's settings, and each parameter the version declares
    /// (<c>wf:parameter</c>) with the branch's value where it holds on this version, else the standard one.
    /// </summary>
    /// <remarks>With no <paramref name="process"/> (a decision evaluated for a branch, called by no journey), <c>branchSettings</c> holds the branch's settings alone.</remarks>
    public static FeelContext Apply(Branch? branch, Model.ProcessModel? process, FeelContext variables)
    {
        if (branch is null)
        {
            return variables;
        }

        SetUnlessGiven(variables, "branch", branch.Id);
        SetUnlessGiven(variables, "calendar", branch.Calendar);
        var settings = new FeelContext();
        foreach (var (key, value) in branch.Settings)
        {
            settings[key] = value;
        }

        if (process is not null)
        {
            AddParameters(branch, process, settings);
        }

        SetUnlessGiven(variables, "branchSettings", settings);
        return variables;
    }

    // A branch's value that no longer holds on this version (a bound tightened) gives way to the standard one; a legacy
    // setting of the same name wins over the standard.
    private static void AddParameters(Branch branch, Model.ProcessModel process, FeelContext settings)
    {
        var values = branch.Parameters.GetValueOrDefault(process.Id);
        foreach (var parameter in process.Parameters)
        {
            if (values?.GetValueOrDefault(parameter.Name) is { } text && parameter.TryRead(text, out var value, out _))
            {
                settings[parameter.Name] = value;
            }
            else if (!settings.ContainsKey(parameter.Name) && parameter.Default is { } standard && parameter.TryRead(standard, out var fallback, out _))
            {
                settings[parameter.Name] = fallback;
            }
        }
    }

    /// <summary>The variables a start for <paramref name="branch"/> gives a new instance, less those the start's own (<paramref name="given"/>) set.</summary>
    public static FeelContext Initial(Branch? branch, Model.ProcessModel process, FeelContext? given)
    {
        var initial = Apply(branch, process, new FeelContext());
        foreach (var name in given?.Keys ?? [])
        {
            initial.Remove(name);
        }

        return initial;
    }

    private static void SetUnlessGiven(FeelContext variables, string name, object? value)
    {
        if (!variables.ContainsKey(name))
        {
            variables[name] = value;
        }
    }
}
