using System.Text.Json;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Services;

/// <summary>
/// The version lifecycle (deployed → approved → rolled out) and staged rollouts: an approved version pinned to branches
/// wave by wave, the pinned waves' service figures beside the previous version's, and a rollback that re-pins.
/// </summary>
/// <remarks>
/// Each step is one command: the pins it sets (through <see cref="WorkflowBranches"/>, the branches' own pin path) and
/// the rollout's audited step commit together or not at all. A process has at most one rollout planned or under way.
/// The engine records who acted and why; who may act is the host's to decide (see docs/branches.md).
/// </remarks>
public sealed class WorkflowRollouts
{
    /// <summary>At most this many waves in a rollout.</summary>
    public const int MaxWaves = 20;

    /// <summary>At most this many branches in a wave.</summary>
    public const int MaxBranchesPerWave = 500;

    /// <summary>At most this many cases per version are counted in a rollout's figures.</summary>
    public const int MaxFigureCases = 2000;

    private static readonly JsonSerializerOptions RolloutJson = new(JsonSerializerDefaults.Web);
    private readonly CommandRunner _runner;
    private readonly WorkflowBranches _branches;
    private readonly WorkflowServiceLevels _serviceLevels;
    private readonly WorkflowQueries _queries;

    internal WorkflowRollouts(CommandRunner runner, WorkflowBranches branches, WorkflowServiceLevels serviceLevels, WorkflowQueries queries) =>
        (_runner, _branches, _serviceLevels, _queries) = (runner, branches, serviceLevels, queries);

    private IWorkflowStore Store => _runner.Store;

    /// <summary>Every deployed version of a journey, newest first, with its stage, approval and the branches that pin it.</summary>
    /// <exception cref="WorkflowNotFoundException">The journey is not deployed.</exception>
    public async Task<IReadOnlyList<VersionLifecycle>> GetLifecycleAsync(string processId, CancellationToken cancellationToken = default)
    {
        var definitions = await Store.GetDefinitionsAsync(processId, cancellationToken).ConfigureAwait(false);
        if (definitions.Count == 0)
        {
            throw new WorkflowNotFoundException($"process '{processId}' is not deployed");
        }

        var approvals = (await Store.GetApprovalsAsync(processId, cancellationToken).ConfigureAwait(false)).ToDictionary(a => a.Version);
        var rolledOut = (await GetAllAsync(processId, cancellationToken).ConfigureAwait(false))
            .Where(r => r.Status == RolloutStatus.Completed).Select(r => r.Version).ToHashSet();
        var branches = await _branches.GetAllAsync(cancellationToken).ConfigureAwait(false);
        return definitions.OrderByDescending(d => d.Version).Select(d =>
        {
            var approval = approvals.GetValueOrDefault(d.Version);
            var stage = rolledOut.Contains(d.Version) ? VersionStage.RolledOut : approval is null ? VersionStage.Deployed : VersionStage.Approved;
            return new VersionLifecycle(processId, d.Version, stage, d.DeployedAt, d.DeployedBy)
            {
                ApprovedBy = approval?.ApprovedBy,
                ApprovedAt = approval?.ApprovedAt,
                ApprovalReason = approval?.Reason,
                PinnedBy = branches.Where(b => b.Pins.TryGetValue(processId, out var v) && v == d.Version).Select(b => b.Id).ToList(),
            };
        }).ToList();
    }

    /// <summary>Approves a deployed version as a standard, so that a rollout may pin it.</summary>
    /// <exception cref="WorkflowInputException">No actor or reason.</exception>
    /// <exception cref="WorkflowNotFoundException">The version is not deployed.</exception>
    /// <exception cref="WorkflowConflictException">It is approved already.</exception>
    public Task<VersionLifecycle> ApproveAsync(string processId, int version, string actor, string reason, CancellationToken cancellationToken = default)
    {
        RequireWho(actor, reason);
        return _runner.ExecuteAsync(async execution =>
        {
            var record = await Store.GetDefinitionByVersionAsync(processId, version, cancellationToken).ConfigureAwait(false)
                ?? throw new WorkflowNotFoundException($"process '{processId}' version {version} is not deployed");
            if ((await Store.GetApprovalsAsync(processId, cancellationToken).ConfigureAwait(false)).FirstOrDefault(a => a.Version == version) is { } approved)
            {
                throw new WorkflowConflictException($"process '{processId}' version {version} was approved by {approved.ApprovedBy} at {approved.ApprovedAt:O}");
            }

            var approval = new VersionApprovalRecord(processId, version, actor, execution.Now, reason);
            execution.Changes.PartToFill<RolloutChanges>().Approvals.Add(approval);
            return new VersionLifecycle(processId, version, VersionStage.Approved, record.DeployedAt, record.DeployedBy)
            {
                ApprovedBy = actor,
                ApprovedAt = approval.ApprovedAt,
                ApprovalReason = reason,
            };
        }, cancellationToken, runTokens: false, name: "ApproveVersion");
    }

    /// <summary>Plans a rollout of an approved version: its waves in order, none pinned yet.</summary>
    /// <exception cref="WorkflowInputException">No actor or reason; no wave, an empty or unnamed wave, too many, or a branch in two waves.</exception>
    /// <exception cref="WorkflowNotFoundException">The version is not deployed, or a branch does not exist.</exception>
    /// <exception cref="WorkflowConflictException">The version is not approved, or another rollout of the journey is planned or under way.</exception>
    public Task<Rollout> PlanAsync(PlanRollout plan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        RequireWho(plan.Actor, plan.Reason);
        CheckWaves(plan.Waves);
        var key = Key(plan.Subject, plan.ProcessId);
        var named = Named(plan.Subject, plan.ProcessId);
        return _runner.ExecuteAsync(async execution =>
        {
            if (plan.Subject == RolloutSubject.Decision)
            {
                _ = await Store.GetDecisionByVersionAsync(plan.ProcessId, plan.Version, cancellationToken).ConfigureAwait(false)
                    ?? throw new WorkflowNotFoundException($"{named} version {plan.Version} is not deployed");
                await ApprovalGate.RequireDecisionAsync(Store, plan.ProcessId, plan.Version, "roll out", cancellationToken).ConfigureAwait(false);
            }
            else
            {
                _ = await Store.GetDefinitionByVersionAsync(plan.ProcessId, plan.Version, cancellationToken).ConfigureAwait(false)
                    ?? throw new WorkflowNotFoundException($"{named} version {plan.Version} is not deployed");
                await ApprovalGate.RequireJourneyAsync(Store, plan.ProcessId, plan.Version, "roll out", cancellationToken).ConfigureAwait(false);
            }

            if (await Store.GetActiveRolloutAsync(key, cancellationToken).ConfigureAwait(false) is { } active)
            {
                throw new WorkflowConflictException($"rollout {active} of {named} is planned or under way; complete or roll it back first");
            }

            foreach (var branchId in plan.Waves.SelectMany(w => w.Branches))
            {
                _ = await Store.GetBranchAsync(branchId, cancellationToken).ConfigureAwait(false)
                    ?? throw new WorkflowNotFoundException($"branch '{branchId}' does not exist");
            }

            var rollout = new Rollout(RowIds.NewId(execution.Now), plan.ProcessId, plan.Version,
                plan.Waves.Select(w => new RolloutWave(w.Name.Trim(), w.Branches.ToList())).ToList())
            {
                Subject = plan.Subject,
                Status = RolloutStatus.Planned,
                Steps = [new RolloutStep(execution.Now, "planned", plan.Actor, plan.Reason, null, [])],
            };
            var changes = execution.Changes.PartToFill<RolloutChanges>();
            changes.LocksTaken.Add((key, rollout.Id));
            return Write(changes, rollout with { Revision = 1 }, null, execution.Now);
        }, cancellationToken, runTokens: false, name: "PlanRollout");
    }

    /// <summary>Rollouts, of one journey when given (of journeys and decisions alike when not), newest first.</summary>
    public async Task<IReadOnlyList<Rollout>> GetAllAsync(string? processId = null, CancellationToken cancellationToken = default)
    {
        var rows = await Store.GetRolloutsAsync(processId, 200, cancellationToken).ConfigureAwait(false);
        return rows.Select(r => Read(r.Json, r.Revision)).ToList();
    }

    /// <summary>The rollouts of one decision's versions (of every decision when null), newest first.</summary>
    public async Task<IReadOnlyList<Rollout>> GetForDecisionAsync(string? decisionId = null, CancellationToken cancellationToken = default)
    {
        var rows = await Store.GetRolloutsAsync(decisionId is null ? null : Key(RolloutSubject.Decision, decisionId), 200, cancellationToken).ConfigureAwait(false);
        return rows.Select(r => Read(r.Json, r.Revision)).Where(r => r.Subject == RolloutSubject.Decision).ToList();
    }

    /// <summary>One rollout.</summary>
    /// <exception cref="WorkflowNotFoundException">No rollout has that id.</exception>
    public async Task<Rollout> GetAsync(Guid rolloutId, CancellationToken cancellationToken = default)
    {
        var (json, revision) = await Store.GetRolloutAsync(rolloutId, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"rollout {rolloutId} does not exist");
        return Read(json, revision);
    }

    /// <summary>
    /// Pins the next wave: each of its branches pins the rollout's version, and what it pinned before is kept for a
    /// rollback. After the last wave the rollout is completed and the version rolled out.
    /// </summary>
    /// <exception cref="WorkflowConflictException">The rollout is completed or rolled back.</exception>
    public Task<Rollout> AdvanceAsync(Guid rolloutId, string actor, string reason, CancellationToken cancellationToken = default) =>
        AdvanceAsync(rolloutId, actor, reason, null, cancellationToken);

    /// <summary>
    /// Pins <paramref name="wave"/>, the wave the caller means, only while it is the next one: two clicks (or one
    /// retried) reaching two nodes pin it once, the later one is refused instead of pinning the wave after it — the
    /// pilot would be skipped (review10-18 F8). Null pins whichever wave is next, as the overload without it.
    /// </summary>
    /// <exception cref="WorkflowConflictException">The rollout is completed or rolled back, or <paramref name="wave"/> is no longer the next wave.</exception>
    /// <exception cref="WorkflowInputException">The rollout has no wave named <paramref name="wave"/>.</exception>
    public async Task<Rollout> AdvanceAsync(Guid rolloutId, string actor, string reason, string? wave, CancellationToken cancellationToken = default)
    {
        RequireWho(actor, reason);

        // The step pins the wave that was next when it was asked: a step retried after another one won the race (two
        // clicks, two nodes) must not pin the wave after.
        var asked = (await GetAsync(rolloutId, cancellationToken).ConfigureAwait(false)).Revision;
        return await _runner.ExecuteAsync(async execution =>
        {
            var rollout = await GetAsync(rolloutId, cancellationToken).ConfigureAwait(false);
            if (rollout.Revision != asked)
            {
                throw new WorkflowConflictException($"rollout {rolloutId} changed while this step was asked ({rollout.Steps[^1].Action} by {rollout.Steps[^1].Actor}); read it again");
            }

            if (rollout.Status is RolloutStatus.Completed or RolloutStatus.RolledBack)
            {
                throw new WorkflowConflictException($"rollout {rolloutId} is {Name(rollout.Status)}; it has no wave to pin");
            }

            var index = rollout.WavesPinned;
            if (wave is not null)
            {
                NextIs(rollout, wave);
            }

            var next = rollout.Waves[index];
            var previous = new Dictionary<string, int?>(StringComparer.Ordinal);
            var ran = new Dictionary<string, int?>(StringComparer.Ordinal);
            foreach (var branchId in next.Branches)
            {
                var branch = await _branches.GetAsync(branchId, cancellationToken).ConfigureAwait(false);
                previous[branchId] = PinOf(branch, rollout);
                ran[branchId] = await RanAsync(branch, rollout, cancellationToken).ConfigureAwait(false);
                await _branches.PinWithinAsync(execution, branchId, rollout.ProcessId, rollout.Version, cancellationToken, rollout.Subject).ConfigureAwait(false);
            }

            var waves = rollout.Waves.ToList();
            waves[index] = next with { PinnedAt = execution.Now, Previous = previous, Ran = ran };
            var last = index == waves.Count - 1;
            var changes = execution.Changes.PartToFill<RolloutChanges>();
            if (last)
            {
                changes.LocksReleased.Add(Key(rollout.Subject, rollout.ProcessId));
            }

            var advanced = rollout with
            {
                Waves = waves,
                Status = last ? RolloutStatus.Completed : RolloutStatus.InProgress,
                Steps = [.. rollout.Steps, new RolloutStep(execution.Now, "wave-pinned", actor, reason, next.Name, next.Branches)],
                Revision = rollout.Revision + 1,
            };
            return Write(changes, advanced, rollout.Revision, execution.Now);
        }, cancellationToken, runTokens: false, name: "AdvanceRollout").ConfigureAwait(false);
    }

    /// <summary>
    /// Rolls back: every branch a pinned wave pinned is re-pinned to the version it pinned before (unpinned if it had none),
    /// unless its pin was changed since, which is left as it is. Running instances stay on their version.
    /// </summary>
    /// <exception cref="WorkflowConflictException">The rollout is rolled back already, or pinned no wave yet.</exception>
    public Task<Rollout> RollBackAsync(Guid rolloutId, string actor, string reason, CancellationToken cancellationToken = default)
    {
        RequireWho(actor, reason);
        return _runner.ExecuteAsync(async execution =>
        {
            var rollout = await GetAsync(rolloutId, cancellationToken).ConfigureAwait(false);
            if (rollout.Status is RolloutStatus.RolledBack or RolloutStatus.Planned)
            {
                throw new WorkflowConflictException($"rollout {rolloutId} is {Name(rollout.Status)}; there is nothing to roll back");
            }

            var repinned = new List<string>();
            foreach (var wave in rollout.Waves.Where(w => w.PinnedAt is not null))
            {
                foreach (var (branchId, before) in wave.Previous)
                {
                    var branch = await _branches.GetAsync(branchId, cancellationToken).ConfigureAwait(false);
                    if (PinOf(branch, rollout) == rollout.Version)
                    {
                        await _branches.PinWithinAsync(execution, branchId, rollout.ProcessId, before, cancellationToken, rollout.Subject).ConfigureAwait(false);
                        repinned.Add(branchId);
                    }
                }
            }

            var changes = execution.Changes.PartToFill<RolloutChanges>();
            if (rollout.Status == RolloutStatus.InProgress)
            {
                changes.LocksReleased.Add(Key(rollout.Subject, rollout.ProcessId));
            }

            var rolledBack = rollout with
            {
                Status = RolloutStatus.RolledBack,
                Steps = [.. rollout.Steps, new RolloutStep(execution.Now, "rolled-back", actor, reason, null, repinned)],
                Revision = rollout.Revision + 1,
            };
            return Write(changes, rolledBack, rollout.Revision, execution.Now);
        }, cancellationToken, runTokens: false, name: "RollBackRollout");
    }

    /// <summary>
    /// The pinned waves' service figures: in their branches, the cases started on the rollout's version since their wave
    /// pinned it beside those started on each version they pinned before (a migrated case counts for the version it
    /// started on) — how many, breaches and at risk of the level-1 commitment, mean satisfaction.
    /// </summary>
    /// <exception cref="WorkflowNotFoundException">No rollout has that id.</exception>
    public async Task<RolloutFigures> GetFiguresAsync(Guid rolloutId, CancellationToken cancellationToken = default)
    {
        var rollout = await GetAsync(rolloutId, cancellationToken).ConfigureAwait(false);
        if (rollout.Subject == RolloutSubject.Decision)
        {
            throw new WorkflowInputException(
                $"rollout {rolloutId} pins decision '{rollout.ProcessId}': service figures are counted per journey; its evaluations per version are listed by the decision's evaluations");
        }

        var pinned = rollout.Waves.Where(w => w.PinnedAt is not null).ToList();
        var branches = pinned.SelectMany(w => w.Branches).ToList();
        var before = pinned.SelectMany(w => w.Previous.Values).OfType<int>().Where(v => v != rollout.Version).Distinct().OrderDescending().ToList();
        if (pinned.Count > 0 && pinned.SelectMany(w => w.Previous.Values).Any(v => v is null))
        {
            // A branch that pinned nothing ran the latest version before the rollout: the newest one below it.
            var older = (await Store.GetDefinitionsAsync(rollout.ProcessId, cancellationToken).ConfigureAwait(false)).Where(d => d.Version < rollout.Version).Select(d => d.Version).DefaultIfEmpty().Max();
            if (older > 0 && !before.Contains(older))
            {
                before.Add(older);
                before = [.. before.OrderDescending()];
            }
        }

        var cases = new List<InstanceSummary>();
        foreach (var branchId in branches)
        {
            cases.AddRange(await _queries.QueryInstancesAsync(new InstanceQuery { ProcessId = rollout.ProcessId, Branch = branchId, Max = MaxFigureCases }, cancellationToken).ConfigureAwait(false));
        }

        // Each case counts for the version it started on (a migrated case's first migration names it), and for the
        // candidate only when it started in its branch after the wave pinned it: a case that ran under the previous
        // version, or started before the pin, is no evidence about the candidate.
        var pinnedAt = pinned.SelectMany(w => w.Branches.Select(b => (Branch: b, At: w.PinnedAt!.Value))).ToDictionary(p => p.Branch, p => p.At, StringComparer.Ordinal);
        var started = new List<(int Version, InstanceSummary Case)>();
        foreach (var c in cases)
        {
            var version = await StartedOnAsync(c, cancellationToken).ConfigureAwait(false);
            if (version != rollout.Version || (c.Branch is { } b && pinnedAt.TryGetValue(b, out var at) && c.StartedAt >= at))
            {
                started.Add((version, c));
            }
        }

        var byVersion = started.ToLookup(s => s.Version, s => s.Case);
        var candidate = await FiguresAsync(rollout.Version, byVersion[rollout.Version].Take(MaxFigureCases).ToList(), cancellationToken).ConfigureAwait(false);
        var previous = new List<VersionFigures>();
        foreach (var version in before)
        {
            previous.Add(await FiguresAsync(version, byVersion[version].Take(MaxFigureCases).ToList(), cancellationToken).ConfigureAwait(false));
        }

        return new RolloutFigures(rollout.Id, branches, candidate, previous);
    }

    // The version a case started on: its version unless it was migrated, then the first migration's "version n → m".
    private async ValueTask<int> StartedOnAsync(InstanceSummary summary, CancellationToken ct)
    {
        var history = await _queries.GetHistoryAsync(summary.Id, ct).ConfigureAwait(false);
        var first = history.FirstOrDefault(h => h.Kind == Runtime.HistoryKind.InstanceMigrated.Value)?.Detail;
        if (first is not null && first.StartsWith("version ", StringComparison.Ordinal)
            && int.TryParse(first.AsSpan(8, first.IndexOf(' ', 8) is var end and > 8 ? end - 8 : 0), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var from))
        {
            return from;
        }

        return summary.Version;
    }

    private async Task<VersionFigures> FiguresAsync(int version, List<InstanceSummary> cases, CancellationToken ct)
    {
        if (cases.Count == 0)
        {
            return new VersionFigures(version, 0, 0, 0, null, 0);
        }

        var ids = cases.Select(c => c.Id).ToHashSet();
        var now = _runner.Time.GetUtcNow();
        var commitments = new Dictionary<Guid, SlaState>();
        foreach (var branch in cases.Select(c => c.Branch).Distinct())
        {
            var report = await _serviceLevels.GetServiceReportAsync(cases.Min(c => c.StartedAt), now.AddTicks(1), branch, cases[0].ProcessId, 10_000, ct).ConfigureAwait(false);
            foreach (var row in report.Where(r => ids.Contains(r.InstanceId)))
            {
                commitments[row.InstanceId] = row.Commitment.State;
            }
        }

        var scores = new List<decimal>();
        foreach (var c in cases)
        {
            var snapshot = await _queries.GetInstanceAsync(c.Id, ct).ConfigureAwait(false);
            if (snapshot.Variables.GetValueOrDefault("satisfaction") is decimal score)
            {
                scores.Add(score);
            }
        }

        return new VersionFigures(version, cases.Count, commitments.Values.Count(s => s == SlaState.Breached), commitments.Values.Count(s => s == SlaState.Warning),
            scores.Count == 0 ? null : Math.Round(scores.Average(), 2), scores.Count);
    }

    private static Rollout Write(RolloutChanges changes, Rollout rollout, long? expected, DateTimeOffset now)
    {
        var createdAt = rollout.Steps[0].At;
        changes.Rollouts.Add(new RolloutWrite(rollout.Id, Key(rollout.Subject, rollout.ProcessId), JsonSerializer.Serialize(rollout, RolloutJson), rollout.Revision, expected, expected is null ? now : createdAt));
        return rollout;
    }

    // A decision's rollouts are stored and locked under "decision:<id>": a process id (an XML NCName) never holds a
    // colon, so a journey and a decision of the same id never share a lock or a list.
    internal static string Key(RolloutSubject subject, string id) => subject == RolloutSubject.Decision ? "decision:" + id : id;

    private static string Named(RolloutSubject subject, string id) => subject == RolloutSubject.Decision ? $"decision '{id}'" : $"process '{id}'";

    // The version the branch ran before the wave: its pin, else the standard it followed (the latest while none is approved).
    private async ValueTask<int?> RanAsync(Branch branch, Rollout rollout, CancellationToken ct)
    {
        if (PinOf(branch, rollout) is { } pinned)
        {
            return pinned;
        }

        if (rollout.Subject == RolloutSubject.Decision)
        {
            return await DecisionStandard.OfAsync(Store, rollout.ProcessId, ct).ConfigureAwait(false)
                ?? (await Store.GetLatestDecisionAsync(rollout.ProcessId, ct).ConfigureAwait(false))?.Version;
        }

        return (await new Runtime.Pins(Store, ct).ResolveAsync(rollout.ProcessId, branch).ConfigureAwait(false))?.Version;
    }

    private static int? PinOf(Branch branch, Rollout rollout) =>
        (rollout.Subject == RolloutSubject.Decision ? branch.DecisionPins : branch.Pins).TryGetValue(rollout.ProcessId, out var pinned) ? pinned : null;

    internal static Rollout Read(string json, long revision) =>
        (JsonSerializer.Deserialize<Rollout>(json, RolloutJson) ?? throw new InvalidDataException("a stored rollout is empty")) with { Revision = revision };

    private static string Name(RolloutStatus status) => status switch
    {
        RolloutStatus.RolledBack => "rolled back",
        RolloutStatus.InProgress => "in progress",
        _ => status.ToString().ToLowerInvariant(),
    };

    private static void RequireWho(string actor, string reason)
    {
        if (string.IsNullOrWhiteSpace(actor) || string.IsNullOrWhiteSpace(reason))
        {
            throw new WorkflowInputException("every step of a version's lifecycle names who takes it and why: actor and reason are required");
        }
    }

    // The wave an advance names must be the next one: the step asked for has been taken (a second click, another node)
    // or the caller read an older rollout.
    private static void NextIs(Rollout rollout, string wave)
    {
        var named = rollout.Waves.Select((w, i) => (w, i)).FirstOrDefault(x => x.w.Name == wave);
        if (named.w is null)
        {
            throw new WorkflowInputException($"wave: rollout {rollout.Id} has no wave '{wave}'; its waves are {string.Join(", ", rollout.Waves.Select(w => $"'{w.Name}'"))}");
        }

        var next = rollout.Waves[rollout.WavesPinned];
        if (named.i != rollout.WavesPinned)
        {
            var step = rollout.Steps.LastOrDefault(s => s.Wave == wave && s.Action == "wave-pinned");
            throw new WorkflowConflictException(named.i < rollout.WavesPinned
                ? $"wave '{wave}' of rollout {rollout.Id} is pinned already{(step is null ? "" : $" (by {step.Actor} at {step.At:u})")}; the next wave is '{next.Name}': look at the pinned waves, then advance naming it"
                : $"wave '{wave}' of rollout {rollout.Id} is not next: wave '{next.Name}' is pinned first");
        }
    }

    private static void CheckWaves(IReadOnlyList<RolloutWave> waves)
    {
        if (waves is not { Count: > 0 and <= MaxWaves })
        {
            throw new WorkflowInputException($"a rollout has 1 to {MaxWaves} waves, not {waves?.Count ?? 0}");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (wave, i) in waves.Select((w, i) => (w, i)))
        {
            if (string.IsNullOrWhiteSpace(wave.Name) || wave.Branches is not { Count: > 0 and <= MaxBranchesPerWave })
            {
                throw new WorkflowInputException($"waves[{i}] needs a name and 1 to {MaxBranchesPerWave} branches");
            }

            if (!names.Add(wave.Name))
            {
                throw new WorkflowInputException($"waves[{i}]: the name '{wave.Name}' is another wave's too; each wave has its own name (an advance names the wave it pins)");
            }

            if (wave.Branches.FirstOrDefault(b => !seen.Add(b)) is { } twice)
            {
                throw new WorkflowInputException($"branch '{twice}' is in two waves; a branch is pinned once per rollout");
            }
        }
    }
}
