using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Services;

/// <summary>Reads of instances, their history and incidents, and of the messages the engine sent or let expire.</summary>
/// <remarks>
/// Reads change nothing and take no lock: each reads what the store has committed at that moment, so two
/// reads in a row may see a command land between them. Every list is bounded (a <c>max</c> argument or a
/// default of 100); instances come newest first, history and incidents oldest first.
/// </remarks>
public sealed class WorkflowQueries
{
    private readonly CommandRunner _runner;

    internal WorkflowQueries(CommandRunner runner) => _runner = runner;

    private IWorkflowStore Store => _runner.Store;

    /// <summary>
    /// The branch an instance runs for, read without its state: whose an instance is can be told even when its state
    /// cannot be read, so that the command the caller asks for meets it and raises its incident.
    /// </summary>
    /// <exception cref="WorkflowNotFoundException">No such instance.</exception>
    public async Task<string?> GetBranchAsync(Guid instanceId, CancellationToken cancellationToken = default) =>
        (await Store.GetInstanceAsync(instanceId, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"process instance {instanceId} does not exist")).Branch;

    /// <summary>
    /// An instance as its row tells (journey, version, branch, business key, status, dates), read without its state: what
    /// an operator's command on an instance whose state cannot be read (a cancel, a batch naming it) checks it against.
    /// </summary>
    /// <exception cref="WorkflowNotFoundException">No such instance.</exception>
    public async Task<InstanceSummary> GetSummaryAsync(Guid instanceId, CancellationToken cancellationToken = default)
    {
        var r = await Store.GetInstanceAsync(instanceId, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"process instance {instanceId} does not exist");
        return new InstanceSummary(r.Id, r.ProcessId, r.Version, r.BusinessKey, r.Branch, r.CustomerId, r.Status, r.StartedAt, r.EndedAt);
    }

    /// <summary>Where an instance's tokens are and what its variables hold.</summary>
    /// <exception cref="WorkflowNotFoundException">No such instance.</exception>
    public async Task<ProcessInstanceSnapshot> GetInstanceAsync(Guid instanceId, CancellationToken cancellationToken = default)
    {
        var record = await Store.GetInstanceAsync(instanceId, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"process instance {instanceId} does not exist");
        var state = InstanceStateReader.Read(record, definition: null);
        var active = state.Elements.Values
            .Where(e => e.Key != InstanceState.RootKey)
            .OrderBy(e => e.Key)
            .Select(e => new ActiveElement(e.ElementId, e.Key, e.IncidentId is not null ? "incident" : IsWaiting(e) ? "waiting" : "active"))
            .ToList();
        var incidents = await GetIncidentsAsync(instanceId, cancellationToken).ConfigureAwait(false);
        return new ProcessInstanceSnapshot(state.Id, state.ProcessId, state.Version, state.BusinessKey, state.Status, active,
            Execution.ToDictionary(state.Variables), incidents, state.StartedAt, state.EndedAt, state.ParentInstanceId)
        {
            Branch = record.Branch,
            CustomerId = record.CustomerId,
        };
    }

    /// <summary>Ids of instances of a process and/or with a business key, newest first.</summary>
    public async Task<IReadOnlyList<Guid>> FindInstancesAsync(string? processId = null, string? businessKey = null, int max = 100, CancellationToken cancellationToken = default)
    {
        var records = await Store.FindInstancesAsync(new InstanceFilter(processId, businessKey, max), cancellationToken).ConfigureAwait(false);
        return records.Select(r => r.Id).ToList();
    }

    /// <summary>Instances matching every filter the query sets, newest first.</summary>
    public async Task<IReadOnlyList<InstanceSummary>> QueryInstancesAsync(InstanceQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var records = await Store.FindInstancesAsync(new InstanceFilter(query.ProcessId, query.BusinessKey, query.Max)
        {
            Branch = query.Branch,
            CustomerId = query.CustomerId,
            Status = query.Status,
        }, cancellationToken).ConfigureAwait(false);
        return records.Select(r => new InstanceSummary(r.Id, r.ProcessId, r.Version, r.BusinessKey, r.Branch, r.CustomerId, r.Status, r.StartedAt, r.EndedAt)).ToList();
    }

    /// <summary>An instance's history, oldest first.</summary>
    public async Task<IReadOnlyList<HistoryEntry>> GetHistoryAsync(Guid instanceId, CancellationToken cancellationToken = default)
    {
        var history = await Store.GetHistoryAsync(instanceId, cancellationToken).ConfigureAwait(false);
        return history.Select(h => new HistoryEntry(h.At, h.Kind, h.ElementId, h.Actor, h.Detail)).ToList();
    }

    /// <summary>One incident, open or resolved.</summary>
    /// <exception cref="WorkflowNotFoundException">No such incident.</exception>
    public async Task<IncidentInfo> GetIncidentAsync(Guid incidentId, CancellationToken cancellationToken = default)
    {
        var incident = await Store.GetIncidentAsync(incidentId, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"incident {incidentId} does not exist");
        return InfoMapper.ToInfo(incident);
    }

    /// <summary>The open incidents of an instance.</summary>
    public async Task<IReadOnlyList<IncidentInfo>> GetIncidentsAsync(Guid instanceId, CancellationToken cancellationToken = default)
    {
        var incidents = await Store.GetOpenIncidentsAsync(instanceId, cancellationToken).ConfigureAwait(false);
        return incidents.Select(InfoMapper.ToInfo).ToList();
    }

    /// <summary>Open incidents of every instance, or of the instances of one branch, oldest first.</summary>
    public async Task<IReadOnlyList<IncidentInfo>> GetOpenIncidentsAsync(string? branch = null, int max = 100, CancellationToken cancellationToken = default)
    {
        var incidents = await Store.GetOpenIncidentsAsync(branch, max, cancellationToken).ConfigureAwait(false);
        return incidents.Select(InfoMapper.ToInfo).ToList();
    }

    /// <summary>Messages the engine sent (send tasks, message throw and end events, SLA notifications), oldest first.</summary>
    public async Task<IReadOnlyList<OutgoingMessage>> GetOutgoingMessagesAsync(Guid? instanceId = null, CancellationToken cancellationToken = default)
    {
        var outbox = await Store.GetOutboxAsync(instanceId, cancellationToken).ConfigureAwait(false);
        return outbox.Select(InfoMapper.ToOutgoing).ToList();
    }

    /// <summary>Messages parked because the engines kept giving them up (<see cref="OutgoingMessage.ParkedAt"/>), the longest parked first.</summary>
    public async Task<IReadOnlyList<OutgoingMessage>> GetParkedMessagesAsync(int max = 100, CancellationToken cancellationToken = default)
    {
        var parked = await Store.GetParkedOutboxAsync(branch: null, after: null, max, cancellationToken).ConfigureAwait(false);
        return parked.Select(InfoMapper.ToOutgoing).ToList();
    }

    /// <summary>
    /// A page of parked messages (<see cref="OutgoingMessage.ParkedAt"/>), the longest parked first: of one branch (the
    /// branch of the message's handoff) when the query names it, after the cursor of the page before when it gives one.
    /// </summary>
    /// <exception cref="WorkflowInputException">The cursor is not one a page gave.</exception>
    public async Task<ParkedMessagePage> GetParkedMessagePageAsync(ParkedMessageQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var max = Math.Clamp(query.Max, 1, 10_000);
        var parked = await Store.GetParkedOutboxAsync(query.Branch, ParkedCursorOf(query.After), max, cancellationToken).ConfigureAwait(false);
        var next = parked.Count == max && parked[^1] is { ParkedAt: { } at } last
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{at.UtcTicks}.{last.Seq}")
            : null;
        return new ParkedMessagePage(parked.Select(InfoMapper.ToOutgoing).ToList(), next);
    }

    /// <summary>The parked message of that id, or null when none is parked (it may have been sent again already).</summary>
    public async Task<OutgoingMessage?> GetParkedMessageAsync(Guid messageId, CancellationToken cancellationToken = default) =>
        await Store.GetParkedOutboxAsync(messageId, cancellationToken).ConfigureAwait(false) is { } row ? InfoMapper.ToOutgoing(row) : null;

    private static ParkedCursor? ParkedCursorOf(string? after)
    {
        if (after is null)
        {
            return null;
        }

        var parts = after.Split('.');
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        return parts.Length == 2 && long.TryParse(parts[0], System.Globalization.NumberStyles.None, culture, out var ticks) && ticks <= DateTimeOffset.MaxValue.UtcTicks
            && long.TryParse(parts[1], System.Globalization.NumberStyles.None, culture, out var seq)
            ? new ParkedCursor(new DateTimeOffset(ticks, TimeSpan.Zero), seq)
            : throw new WorkflowInputException("after: not a cursor a page of parked messages gave (pass back the one of the page before)");
    }

    /// <summary>Buffered messages that expired before any instance took them, newest first.</summary>
    public async Task<IReadOnlyList<ExpiredMessage>> GetExpiredMessagesAsync(int max = 100, CancellationToken cancellationToken = default)
    {
        var expired = await Store.GetExpiredMessagesAsync(max, cancellationToken).ConfigureAwait(false);
        return expired.Select(m => new ExpiredMessage(m.Name, m.CorrelationKey, m.MessageId, m.PublishedAt, m.ExpiresAt, StoredVariables(m))).ToList();
    }

    // A message whose stored variables no longer read is still listed (it expired all the same), without them, and logged.
    private IReadOnlyDictionary<string, object?> StoredVariables(BufferedMessageRecord message)
    {
        try
        {
            return Execution.ToDictionary(Execution.VariablesFromJson(message.VariablesJson));
        }
        catch (System.Text.Json.JsonException e)
        {
            _runner.Core.Log.RowUnreadable($"expired message {message.Id} ('{message.Name}', key '{message.CorrelationKey}'): its variables_json is not JSON ({e.Message})");
            return new Dictionary<string, object?>();
        }
    }

    private static bool IsWaiting(ElementInstance e) =>
        e.TaskId is not null || e.JobId is not null || e.CalledInstanceId is not null || e.Waits is { Count: > 0 };
}
