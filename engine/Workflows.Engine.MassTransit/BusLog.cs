using Microsoft.Extensions.Logging;

namespace Workflows.Engine.MassTransit;

/// <summary>The bus's log lines, with the ids an operator searches by.</summary>
internal sealed partial class BusLog(ILogger logger)
{
    [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "Message {MessageName} is for process {ProcessId}, which this engine does not run; left to the engine that does")]
    private static partial void LogNotOurs(ILogger logger, string messageName, string processId);

    [LoggerMessage(EventId = 102, Level = LogLevel.Debug, Message = "Answer for job {JobId} ignored: {Reason}")]
    private static partial void LogAnswerIgnored(ILogger logger, Guid jobId, string reason);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "Publishing outbox message {MessageName} ({MessageId}) of instance {InstanceId} failed; the relay tries again: {Reason}")]
    private static partial void LogPublishFailed(ILogger logger, string messageName, Guid messageId, Guid instanceId, string reason);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "Sending job {JobId} ({JobType}) of instance {InstanceId} failed; it is sent again: {Reason}")]
    private static partial void LogJobSendFailed(ILogger logger, Guid jobId, string jobType, Guid instanceId, string reason);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "Node {NodeId} now relays the outbox")]
    private static partial void LogRelayTaken(ILogger logger, string nodeId);

    [LoggerMessage(EventId = 106, Level = LogLevel.Warning, Message = "The broker at {Broker} does not answer ({Reason}); commands go on, and their messages wait in the outbox")]
    private static partial void LogBrokerAway(ILogger logger, string broker, string reason);

    [LoggerMessage(EventId = 107, Level = LogLevel.Information, Message = "Broker topology: {Finding}")]
    private static partial void LogTopology(ILogger logger, string finding);

    [LoggerMessage(EventId = 108, Level = LogLevel.Error, Message = "The bus loop {Loop} failed and restarts until it runs again (logged once per fault): {Reason}")]
    private static partial void LogLoopFailed(ILogger logger, string loop, string reason);

    [LoggerMessage(EventId = 109, Level = LogLevel.Debug, Message = "The bus loop {Loop} failed again at its restart: {Reason}")]
    private static partial void LogLoopStillFailing(ILogger logger, string loop, string reason);

    [LoggerMessage(EventId = 110, Level = LogLevel.Error, Message = "Outbox message {MessageId} is parked: {Reason}. It is kept, and published again when an operator sends it again")]
    private static partial void LogMessageParked(ILogger logger, Guid messageId, string reason);

    [LoggerMessage(EventId = 111, Level = LogLevel.Error, Message = "This node is older than its database and stops taking messages from its engines' queues, which the nodes of the newer build share; restart it with the newer build: {Reason}")]
    private static partial void LogNodeOutgrown(ILogger logger, string reason);

    public void NotOurs(string messageName, string processId) => LogNotOurs(logger, messageName, processId);

    public void AnswerIgnored(Guid jobId, string reason) => LogAnswerIgnored(logger, jobId, reason);

    public void PublishFailed(string messageName, Guid messageId, Guid instanceId, string reason) => LogPublishFailed(logger, messageName, messageId, instanceId, reason);

    public void JobSendFailed(Guid jobId, string jobType, Guid instanceId, string reason) => LogJobSendFailed(logger, jobId, jobType, instanceId, reason);

    public void RelayTaken(string nodeId) => LogRelayTaken(logger, nodeId);

    public void BrokerAway(string broker, string reason) => LogBrokerAway(logger, broker, reason);

    public void Topology(string finding) => LogTopology(logger, finding);

    public void LoopFailed(string loop, string reason) => LogLoopFailed(logger, loop, reason);

    public void LoopStillFailing(string loop, string reason) => LogLoopStillFailing(logger, loop, reason);

    public void MessageParked(Guid messageId, string reason) => LogMessageParked(logger, messageId, reason);

    public void NodeOutgrown(string reason) => LogNodeOutgrown(logger, reason);
}
