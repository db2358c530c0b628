using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Modules;
using Workflows.Engine.Storage;
using Workflows.Engine.Validation;

namespace Workflows.Engine.Runtime;

/// <summary>What every command shares: the store, the definition cache, the clock, options and logging.</summary>
internal sealed class EngineCore(IWorkflowStore store, WorkflowEngineOptions options, TimeProvider time, ILogger logger)
{
    public IWorkflowStore Store { get; } = store;

    public WorkflowEngineOptions Options { get; } = options;

    public TimeProvider Time { get; } = time;

    public EngineLog Log { get; } = new(logger);

    public DefinitionCache Definitions { get; } = new(store, options.Parser.Feel);

    /// <summary>Where the store hands a command the state its row holds already parsed (the in-memory store); null otherwise.</summary>
    public InMemoryParsedStates? ParsedStates { get; } = (store as IKeepsParsedStates)?.ParsedStates;

    /// <summary>The work running on this node per instance, stopped when the instance ends.</summary>
    public InFlightWork InFlight { get; } = new();

    /// <summary>The product modules plugged into this engine (<see cref="EngineModules"/>), set once as the engine is built.</summary>
    public IEngineModule[] Modules { get; set; } = [];

    /// <summary>The registered module of type <typeparamref name="T"/>, for its own public service.</summary>
    public T Module<T>()
        where T : class, IEngineModule
    {
        foreach (var module in Modules)
        {
            if (module is T found)
            {
                return found;
            }
        }

        throw new InvalidOperationException($"the module {typeof(T).Name} is not registered (Modules/EngineModules.cs)");
    }
}

/// <summary>Parsed definitions by version id: an instance never re-parses its XML, whatever the store.</summary>
internal sealed class DefinitionCache(IWorkflowStore store, FeelLimits feelLimits)
{
    private readonly ConcurrentDictionary<Guid, ProcessDefinition> _byId = new();

    public async ValueTask<ProcessDefinition> GetAsync(Guid id, CancellationToken ct)
    {
        if (_byId.TryGetValue(id, out var cached))
        {
            return cached;
        }

        var record = await store.GetDefinitionAsync(id, ct).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"process definition {id} does not exist");
        return Add(record, null);
    }

    public ProcessDefinition Add(DefinitionRecord record, BpmnDocument? parsed)
    {
        if (_byId.TryGetValue(record.Id, out var cached))
        {
            return cached;
        }

        var document = parsed;
        if (document is null)
        {
            // A stored version was checked at deploy: only the FEEL budgets still apply when it is read again. One that no
            // longer parses (its row changed outside the engine) is refused by name, never cached: a repaired row reads.
            var (doc, findings) = BpmnParser.Parse(record.Xml, new BpmnParserOptions { MaxDocumentCharacters = long.MaxValue / 2, MaxDepth = int.MaxValue, MaxIdLength = int.MaxValue, Feel = feelLimits });
            document = doc ?? throw new DefinitionUnreadableException(record.Id, record.ProcessId, record.Version,
                $"its XML no longer parses ({string.Join("; ", findings.Where(f => f.Severity == FindingSeverity.Error).Select(f => f.ToString()).DefaultIfEmpty("no document"))})");
        }

        var process = document.Processes.FirstOrDefault(p => p.Id == record.ProcessId)
            ?? throw new DefinitionUnreadableException(record.Id, record.ProcessId, record.Version, $"its XML has no process '{record.ProcessId}'");
        var definition = new ProcessDefinition(record, document, process);
        return _byId.GetOrAdd(record.Id, definition);
    }
}

internal sealed partial class EngineLog(ILogger logger)
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Incident on instance {InstanceId} ({BusinessKey}) at {ElementId}: {Reason}")]
    private static partial void LogIncident(ILogger logger, Guid instanceId, string? businessKey, string elementId, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Deployed {ProcessId} version {Version} ({DefinitionId})")]
    private static partial void LogDeployed(ILogger logger, string processId, int version, Guid definitionId);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "Command retried after a concurrency conflict (attempt {Attempt}): {Reason}")]
    private static partial void LogConflict(ILogger logger, int attempt, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Message {MessageName} (key {CorrelationKey}, id {MessageId}) expired at {ExpiresAt} with no instance taking it")]
    private static partial void LogMessageExpired(ILogger logger, string messageName, string correlationKey, string? messageId, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "The store keeps a moved clock ({Move}) but this engine's clock is not controllable: it runs on the host's time ({Now:O}); the kept move is dropped and {Leases} leases taken before the restart are freed")]
    private static partial void LogControlledClockDropped(ILogger logger, string move, DateTimeOffset now, int leases);

    public void ControlledClockDropped(string move, DateTimeOffset now, int leases) => LogControlledClockDropped(logger, move, now, leases);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "The worker skipped instance {InstanceId}, whose stored state cannot be read: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, Guid instanceId, string reason);

    public void Unreadable(Guid instanceId, string reason) => LogUnreadable(logger, instanceId, reason);

    [LoggerMessage(EventId = 7, Level = LogLevel.Error, Message = "User task {TaskId} is left out of a list: {Reason}")]
    private static partial void LogTaskUnreadable(ILogger logger, Guid taskId, string reason);

    public void TaskUnreadable(Guid taskId, string reason) => LogTaskUnreadable(logger, taskId, reason);

    [LoggerMessage(EventId = 8, Level = LogLevel.Error, Message = "A stored row is passed over: {Reason}")]
    private static partial void LogRowUnreadable(ILogger logger, string reason);

    /// <summary>A stored row that cannot be read (a buffered message, a definition a start timer needs) was passed over; the work around it went on.</summary>
    public void RowUnreadable(string reason) => LogRowUnreadable(logger, reason);

    public void MessageExpired(string name, string key, string? messageId, DateTimeOffset expiresAt) => LogMessageExpired(logger, name, key, messageId, expiresAt);

    public void IncidentRaised(Guid instanceId, string? businessKey, string elementId, string reason) => LogIncident(logger, instanceId, businessKey, elementId, reason);

    public void Deployed(string processId, int version, Guid definitionId) => LogDeployed(logger, processId, version, definitionId);

    public void Conflict(int attempt, string reason) => LogConflict(logger, attempt, reason);
}
