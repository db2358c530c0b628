using Workflows.Engine.Runtime;
using Workflows.Engine.Search;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Services;

/// <summary>Operations' reads: one instance inspected whole, and instances searched by the values of their searchable variables.</summary>
/// <remarks>
/// Reads change nothing and take no lock. An inspection reads the instance and its wait points one after the other,
/// so a command landing between the reads can show a wait point of a step the tokens have just left; read again to be sure.
/// </remarks>
public sealed class WorkflowInspection
{
    private readonly CommandRunner _runner;
    private readonly WorkflowServiceLevels _serviceLevels;

    internal WorkflowInspection(CommandRunner runner, WorkflowServiceLevels serviceLevels)
    {
        _runner = runner;
        _serviceLevels = serviceLevels;
    }

    private IWorkflowStore Store => _runner.Store;

    /// <summary>Where an instance waits and for what, its variables by scope, open incidents and history.</summary>
    /// <exception cref="WorkflowNotFoundException">No such instance.</exception>
    public async Task<InstanceInspection> InspectAsync(Guid instanceId, CancellationToken cancellationToken = default)
    {
        var record = await Store.GetInstanceAsync(instanceId, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"process instance {instanceId} does not exist");
        InstanceState? state;
        string? problem = null;
        try
        {
            state = InstanceStateReader.Read(record, await _runner.Core.Definitions.GetAsync(record.DefinitionId, cancellationToken).ConfigureAwait(false));
        }
        catch (InstanceStateUnreadableException unreadable)
        {
            // An operator still sees what the rows say, and why the state cannot be read: to repair it or cancel the instance.
            (state, problem) = (null, unreadable.Reason);
        }
        catch (DefinitionUnreadableException unreadable)
        {
            (state, problem) = (null, unreadable.Message);
        }
        catch (WorkflowNotFoundException)
        {
            (state, problem) = (null, UnitOfWork.MissingDefinition(record));
        }

        var waits = await Store.GetWaitsAsync(instanceId, cancellationToken).ConfigureAwait(false);
        var tasks = await Store.GetOpenUserTasksAsync(instanceId, cancellationToken).ConfigureAwait(false);
        var clocks = await _serviceLevels.GetClocksAsync(instanceId, cancellationToken).ConfigureAwait(false);
        var incidents = await Store.GetOpenIncidentsAsync(instanceId, cancellationToken).ConfigureAwait(false);
        var history = await Store.GetHistoryAsync(instanceId, cancellationToken).ConfigureAwait(false);

        var points = new List<WaitPointInfo>();
        points.AddRange(waits.Timers.Select(l => (l.Timer, l.LeaseOwner, l.LeaseUntil)).Select(t => new WaitPointInfo("timer", t.Timer.ElementId, t.Timer.ElementKey, t.Timer.Id, t.Timer.DueAt)
        {
            Remaining = t.Timer is { Interval: null, Remaining: 0 } ? null : t.Timer.Remaining, LeaseOwner = t.LeaseOwner, LeaseUntil = t.LeaseUntil,
        }));
        points.AddRange(waits.Messages.Select(m => new WaitPointInfo("message", m.ElementId, m.ElementKey, m.Id, null) { Name = m.MessageName, CorrelationKey = m.CorrelationKey }));
        points.AddRange(waits.Signals.Select(s => new WaitPointInfo("signal", s.ElementId, s.ElementKey, s.Id, null) { Name = s.SignalName }));
        points.AddRange(waits.Jobs.Select(j => new WaitPointInfo("job", j.Job.ElementId, j.Job.ElementKey, j.Job.Id, j.Job.DueAt)
        {
            Name = j.Job.Type, Retries = j.Job.Retries, LeaseOwner = j.LeaseOwner, LeaseUntil = j.LeaseUntil, Assignee = j.Job.External ? "external" : null,
        }));
        points.AddRange(tasks.Select(TaskPoint));
        points.AddRange((state?.Elements.Values ?? Enumerable.Empty<ElementInstance>()).Where(e => e.CalledInstanceId is not null)
            .Select(e => new WaitPointInfo("call", e.ElementId, e.Key, e.CalledInstanceId!.Value, null)));
        if (state is null && record.Status == ProcessInstanceStatus.Active)
        {
            // Its calls by the rows of the instances it called, each at the call activity its history names.
            foreach (var called in await Store.GetActiveCalledInstancesAsync(instanceId, cancellationToken).ConfigureAwait(false))
            {
                var call = history.LastOrDefault(h => h.Kind == HistoryKind.InstanceCalled.Value && h.Detail == called.Id.ToString());
                points.Add(new WaitPointInfo("call", call?.ElementId ?? "", call?.ElementKey ?? 0, called.Id, null) { Name = called.ProcessId });
            }
        }

        points.AddRange(clocks.Where(c => c.EndedAt is null).Select(c => new WaitPointInfo("sla-clock", c.ElementId, 0, c.Id, c.TargetAt)
        {
            Name = c.Label ?? c.Kind, SlaState = c.State,
        }));

        var missing = new List<string>();
        if (state is not null && record.Status == ProcessInstanceStatus.Active)
        {
            // Rows and state are read apart: a disagreement seen once may be a command landing between the reads.
            points = WaitPointChecks.Against(state, points);
            missing = WaitPointChecks.Missing(state, points);
        }

        var tokens = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var element in state?.Elements.Values ?? Enumerable.Empty<ElementInstance>())
        {
            if (element.Key != InstanceState.RootKey)
            {
                tokens[element.ElementId] = tokens.GetValueOrDefault(element.ElementId) + 1;
            }
        }

        var summary = new InstanceSummary(record.Id, record.ProcessId, record.Version, record.BusinessKey, record.Branch, record.CustomerId, record.Status, record.StartedAt, record.EndedAt);
        var scope = state is null
            ? new ElementInstanceInfo(InstanceState.RootKey, record.ProcessId, record.Status == ProcessInstanceStatus.Active ? "unreadable" : record.Status.ToString().ToLowerInvariant(), new Dictionary<string, object?>(), [])
            : Tree(state);
        return new InstanceInspection(summary, scope, tokens, points, incidents.Select(InfoMapper.ToInfo).ToList(),
            history.Select(h => new HistoryEntry(h.At, h.Kind, h.ElementId, h.Actor, h.Detail)).ToList())
        {
            StateProblem = problem,
            MissingRows = missing,
        };
    }

    // A task whose row cannot be read is still shown, marked with why: the rest of the inspection is served (review13 F16).
    private static WaitPointInfo TaskPoint(UserTaskRecord record)
    {
        try
        {
            var info = InfoMapper.ToInfo(record);
            return new WaitPointInfo("user-task", info.ElementId, record.ElementKey, info.Id, info.SlaDueAt ?? info.DueDate)
            {
                Name = info.Name, Assignee = info.Assignee, Queues = info.CandidateGroups, SlaState = info.SlaState,
            };
        }
        catch (StoredTaskUnreadableException unreadable)
        {
            return new WaitPointInfo("user-task", record.ElementId, record.ElementKey, record.Id, record.DueDate)
            {
                Name = record.Name, Assignee = record.Assignee, Problem = unreadable.Message,
            };
        }
    }

    /// <summary>A page of instances matching every filter the query sets, newest first, with the cursor of the next.</summary>
    /// <exception cref="WorkflowInputException">A variable filter names a variable not declared searchable or a value not of its type; the cursor is not one of this list.</exception>
    public async Task<InstancePage> SearchInstancesAsync(InstanceQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Max is < 1 or > 500)
        {
            throw new WorkflowInputException($"the page size must be from 1 to 500, not {query.Max}");
        }

        var conditions = await SearchFilters.ResolveAsync(_runner, query.ProcessId, query.Variables, cancellationToken).ConfigureAwait(false);
        var records = await Store.FindInstancesAsync(new InstanceFilter(query.ProcessId, query.BusinessKey, query.Max + 1)
        {
            Branch = query.Branch,
            CustomerId = query.CustomerId,
            Status = query.Status,
            Version = query.Version,
            HasIncident = query.HasIncident,
            Variables = conditions,
            After = query.Cursor is null ? null : SearchFilters.FromCursor(query.Cursor),
        }, cancellationToken).ConfigureAwait(false);
        var page = records.Take(query.Max)
            .Select(r => new InstanceSummary(r.Id, r.ProcessId, r.Version, r.BusinessKey, r.Branch, r.CustomerId, r.Status, r.StartedAt, r.EndedAt))
            .ToList();
        return new InstancePage(page, records.Count > query.Max ? SearchFilters.ToCursor(page[^1]) : null);
    }

    /// <summary>The variables a journey's deployed versions declare searchable (every journey's when none is named), by name.</summary>
    public async Task<IReadOnlyList<SearchableVariableInfo>> GetSearchableVariablesAsync(string? processId = null, CancellationToken cancellationToken = default)
    {
        var declared = await SearchFilters.DeclaredAsync(_runner, processId, cancellationToken).ConfigureAwait(false);
        return declared.Where(d => d.Value is not null).OrderBy(d => d.Key, StringComparer.Ordinal)
            .Select(d => new SearchableVariableInfo(d.Key, d.Value!.Value.ToString().ToLowerInvariant())).ToList();
    }

    // The element instances under the process scope, whose variables are the process variables (kept after the end).
    private static ElementInstanceInfo Tree(InstanceState state)
    {
        var children = state.Elements.Values.Where(e => e.Key != InstanceState.RootKey).ToLookup(e => e.ParentKey);
        ElementInstanceInfo Node(ElementInstance e) => new(e.Key, e.ElementId, StateOf(e), Variables(e.Variables), children[e.Key].OrderBy(c => c.Key).Select(Node).ToList());

        var rootState = state.Status == ProcessInstanceStatus.Active ? "active" : state.Status.ToString().ToLowerInvariant();
        var top = children[InstanceState.RootKey].Concat(children[0]).OrderBy(c => c.Key).Select(Node).ToList();
        return new ElementInstanceInfo(InstanceState.RootKey, state.ProcessId, rootState, Execution.ToDictionary(state.Variables), top);
    }

    private static IReadOnlyDictionary<string, object?> Variables(Feel.FeelContext? context) =>
        context is null ? new Dictionary<string, object?>() : Execution.ToDictionary(context);

    private static string StateOf(ElementInstance e) =>
        e.IncidentId is not null ? "incident"
        : e.TaskId is not null || e.JobId is not null || e.CalledInstanceId is not null || e.Waits is { Count: > 0 } ? "waiting"
        : "active";
}
