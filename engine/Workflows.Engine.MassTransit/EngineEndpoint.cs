using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using MassTransit;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.MassTransit;

/// <summary>A message that can never succeed however often it is retried; it goes to the error queue with this reason.</summary>
public sealed class PoisonMessageException(string message) : Exception(message);

/// <summary>
/// What an engine does with what arrives on its queue: messages start or continue instances (once per message
/// id, through the engine's inbox), job answers complete, fail or raise errors on the jobs they name.
/// </summary>
/// <remarks>On the in-memory transport it tells <see cref="InMemoryHandoffs"/> how it ended with each message (<see cref="HandoffOutcomeFilter"/>), so their rows are marked published once every engine is done.
/// On a broker it hands a message back to the queue once the node is older than its database (<see cref="OutgrownEndpoints"/>).</remarks>
internal sealed class EngineEndpoint(WorkflowEngine engine, BusLog log, InMemoryHandoffs? handoffs, OutgrownEndpoints? outgrown = null)
{
    private const int Retries = 5;

    // Processes this engine runs: a message aimed at another process is another engine's business.
    private readonly ConcurrentDictionary<string, bool> _deployed = new(StringComparer.Ordinal);

    public void Configure(IReceiveEndpointConfigurator endpoint, WorkflowBusOptions options)
    {
        endpoint.ConcurrentMessageLimit = options.ConcurrentMessageLimit;
        endpoint.PrefetchCount = options.ConcurrentMessageLimit * 2;
        if (handoffs is not null)
        {
            endpoint.UseFilter(new HandoffOutcomeFilter(handoffs, GaveUp));
        }

        outgrown?.ConfigureErrors(endpoint);

        // Transient failures (the database away, a command that kept losing races) are retried in place; a
        // message that cannot succeed goes straight to the error queue, so nothing waits behind it. A node older than its
        // database stays so until restarted: no retry mends it.
        endpoint.UseMessageRetry(retry =>
        {
            retry.Ignore<NodeOutgrownException>();
            retry.Ignore<PoisonMessageException>();
            retry.Ignore<WorkflowInputException>();
            retry.Ignore<WorkflowNotFoundException>();
            retry.Ignore<JsonException>();
            retry.Exponential(Retries, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200));
        });
        endpoint.Handler<WorkflowMessage>(ConsumeAsync);
        endpoint.Handler<JobCompleted>(context => AnswerAsync(context.Message.JobId,
            engine.Jobs.CompleteByAsync(context.Message.JobId, Variables(context.Message.VariablesJson, "job answer"), context.Message.Worker, context.CancellationToken)));
        endpoint.Handler<JobFailed>(context => AnswerAsync(context.Message.JobId,
            engine.Jobs.FailAsync(context.Message.JobId, context.Message.ErrorMessage, context.Message.Retries, context.Message.RetryBackoff, context.CancellationToken)));
        endpoint.Handler<JobErrorThrown>(context => AnswerAsync(context.Message.JobId,
            engine.Jobs.ThrowErrorAsync(context.Message.JobId, context.Message.ErrorCode, context.Message.ErrorMessage, context.CancellationToken)));
    }

    private async Task ConsumeAsync(ConsumeContext<WorkflowMessage> context)
    {
        var message = context.Message;
        if (string.IsNullOrWhiteSpace(message.Name))
        {
            throw new PoisonMessageException($"message {context.MessageId} has no name");
        }

        var handoff = message.Handoff ?? new Handoff();
        if (handoff.TargetProcessId is { } target && !await RunsAsync(target, context.CancellationToken).ConfigureAwait(false))
        {
            log.NotOurs(message.Name, target);
            HandoffOutcomeFilter.Leave(context);
            return;
        }

        using var activity = StartActivity(message.Name, handoff);
        var variables = Variables(message.VariablesJson, $"message '{message.Name}'");
        try
        {
            await engine.Runtime.CorrelateMessageAsync(new PublishMessage(message.Name, message.CorrelationKey ?? "")
            {
                Variables = variables,
                MessageId = context.MessageId?.ToString(),
                TimeToLive = message.TimeToLive,
                Handoff = handoff,
                MustCorrelate = true,
            }, context.CancellationToken).ConfigureAwait(false);
        }
        catch (WorkflowException e) when (e is WorkflowNotFoundException or WorkflowInputException)
        {
            // Refused for good: to the error queue, as on a broker.
            var source = handoff.SourceInstanceId is { } sender ? $" from instance {sender} of '{handoff.SourceProcessId}'" : "";
            throw new PoisonMessageException($"message '{message.Name}' (key '{message.CorrelationKey}'){source} cannot be correlated: {e.Message}");
        }
    }

    // Whether this attempt's failure was the last (the retry runs around the endpoint's filters): true when it was
    // retried as often as it may be, false when it is refused for good (poison: parked on the in-memory transport unless
    // another engine took it, to the error queue on a broker), null when it is retried. A node older than its database gives it up at once (published again after the pause, by
    // which time the node may have been restarted with the newer build).
    private static bool? GaveUp(ConsumeContext context, Exception e) =>
        e is NodeOutgrownException ? true
        : e is PoisonMessageException or WorkflowInputException or WorkflowNotFoundException or JsonException ? false
        : context.GetRetryAttempt() >= Retries ? true
        : null;

    // The answer may come after another node already took the job again (its lease ran out) or after the
    // instance moved on: the job is then gone, and the answer has nothing left to do.
    private async Task AnswerAsync(Guid jobId, Task command)
    {
        try
        {
            await command.ConfigureAwait(false);
        }
        catch (WorkflowException e) when (e is WorkflowNotFoundException or WorkflowConflictException)
        {
            log.AnswerIgnored(jobId, e.Message);
        }
    }

    private async ValueTask<bool> RunsAsync(string processId, CancellationToken ct)
    {
        if (_deployed.TryGetValue(processId, out var runs))
        {
            return runs;
        }

        runs = await engine.Store.GetLatestDefinitionAsync(processId, ct).ConfigureAwait(false) is not null;
        if (runs)
        {
            _deployed[processId] = true; // a process once deployed stays; one not yet deployed is asked again
        }

        return runs;
    }

    private static IReadOnlyDictionary<string, object?> Variables(string? json, string what)
    {
        try
        {
            using var document = JsonDocument.Parse(string.IsNullOrEmpty(json) ? "{}" : json, new JsonDocumentOptions { MaxDepth = ExecutionLimits.MaxStoredJsonDepth });
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? Execution.ToDictionary((Feel.FeelContext)Feel.FeelConvert.FromJson(document.RootElement)!)
                : throw new PoisonMessageException($"the variables of {what} are a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}, not an object");
        }
        catch (JsonException e)
        {
            throw new PoisonMessageException($"the variables of {what} are not JSON: {e.Message}");
        }
    }

    // The command runs as a child of the trace that sent the message, however long it sat in the outbox.
    private static Activity? StartActivity(string name, Handoff handoff) =>
        ActivityContext.TryParse(handoff.TraceParent, handoff.TraceState, out var parent)
            ? WorkflowsTelemetry.Source.StartActivity($"receive {name}", ActivityKind.Consumer, parent)
            : WorkflowsTelemetry.Source.StartActivity($"receive {name}", ActivityKind.Consumer);
}
