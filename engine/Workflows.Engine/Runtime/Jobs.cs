using System.Text.Json;
using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Runtime;

/// <summary>
/// Work done outside the token loop for service, business-rule and send tasks: an in-process handler
/// runs at once; otherwise a job row waits for a worker.
/// </summary>
internal sealed class Jobs(Execution execution, CancellationToken ct)
{
    public async ValueTask StartAsync(LoadedInstance instance, ElementInstance element, FlowNode node)
    {
        var now = execution.Unit.Now;
        var spec = node.Task ?? throw new StepFailedException($"{node} has no task type");
        var scope = new ElementScope(instance.State, element);
        var type = execution.Expressions.EvaluateString(spec.Type, scope, node, "the task type");
        var variables = scope.Flatten();

        if (!spec.External && !spec.Async && execution.Engine.Options.Handlers.TryGetValue(type, out var handler))
        {
            IReadOnlyDictionary<string, object?>? result;
            try
            {
                var context = new ServiceTaskContext(instance.Id, node.Id, instance.State.BusinessKey, type, VariableScopes.ToDictionary(variables), node.Headers);
                result = await handler(context, ct).ConfigureAwait(false);
            }
            catch (BpmnErrorException error)
            {
                await execution.ThrownEvents.ThrowErrorAsync(instance, element, error.ErrorCode, error.Message).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new StepFailedException($"the handler for '{type}' failed: {e.Message}");
            }

            FeelContext? written;
            try
            {
                written = VariableScopes.ToContext(result);
            }
            catch (WorkflowInputException e)
            {
                throw new StepFailedException($"the handler for '{type}' returned a value the engine cannot hold: {e.Message}");
            }

            if (execution.Budget.VariablesOverLimit(written) is { } bytes)
            {
                throw execution.Budget.VariablesTooLarge($"the result of the handler for '{type}'", bytes);
            }

            execution.Budget.RefuseTooDeep(written, $"the result of the handler for '{type}'");
            StorableText.RefuseInResult(written, $"the result of the handler for '{type}'");

            execution.Tokens.EnqueueComplete(instance, element.Key, written);
            return;
        }

        var retries = spec.RetriesExpression is { } retriesExpression
            ? execution.Expressions.Evaluate(retriesExpression, scope, node, "the retries") switch
            {
                decimal d when d >= 0 && d <= int.MaxValue && d == decimal.Truncate(d) => (int)d,
                var other => throw new StepFailedException($"the retries of {node} ({retriesExpression.Text.Trim()}) gave {FeelValue.ToDisplayString(other)}, not a whole number of 0 or more"),
            }
            : spec.Retries;
        var job = new JobRecord(RowIds.NewId(now), instance.Id, element.Key, node.Id, type, retries, now, now,
            JsonSerializer.Serialize(node.Headers), VariableScopes.ToJson(variables), External: spec.External);
        execution.Unit.Changes.JobsCreated.Add(job);
        element.JobId = job.Id;
        execution.Unit.History(instance, HistoryKind.JobCreated, node.Id, element.Key, type);
    }
}
