using System.Text.Json;
using MassTransit;
using Workflows.Engine.Runtime;

namespace Workflows.Engine.MassTransit;

/// <summary>
/// Runs jobs of one type for engines anywhere on the bus: the same <see cref="ServiceTaskHandler"/> an engine
/// would run in process. Its result completes the job; a <see cref="BpmnErrorException"/> raises that error in
/// the model; any other exception fails the job, which the engine retries with back-off, then makes an incident.
/// </summary>
internal sealed class JobWorker(ServiceTaskHandler handler, string workerName)
{
    public async Task HandleAsync(ConsumeContext<JobRequest> context)
    {
        var job = context.Message;
        var answer = await RunAsync(job, context.CancellationToken).ConfigureAwait(false);
        var replyTo = await context.GetSendEndpoint(new Uri($"queue:{job.ReplyTo}")).ConfigureAwait(false);
        switch (answer)
        {
            case JobCompleted completed:
                await replyTo.Send(completed, context.CancellationToken).ConfigureAwait(false);
                break;
            case JobErrorThrown error:
                await replyTo.Send(error, context.CancellationToken).ConfigureAwait(false);
                break;
            case JobFailed failed:
                await replyTo.Send(failed, context.CancellationToken).ConfigureAwait(false);
                break;
        }
    }

    private async Task<object> RunAsync(JobRequest job, CancellationToken ct)
    {
        try
        {
            using var document = JsonDocument.Parse(job.VariablesJson, new JsonDocumentOptions { MaxDepth = ExecutionLimits.MaxStoredJsonDepth });
            var variables = Execution.ToDictionary(Feel.FeelConvert.FromJson(document.RootElement) as Feel.FeelContext ?? new Feel.FeelContext());
            var context = new ServiceTaskContext(job.InstanceId, job.ElementId, job.BusinessKey, job.Type, variables, job.Headers);
            var result = await handler(context, ct).ConfigureAwait(false);
            var json = Execution.ToContext(result) is { } values ? Feel.FeelConvert.ToJson(values) : "{}";
            return new JobCompleted { JobId = job.JobId, VariablesJson = json, Worker = workerName };
        }
        catch (BpmnErrorException e)
        {
            return new JobErrorThrown { JobId = job.JobId, ErrorCode = e.ErrorCode, ErrorMessage = e.Message };
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return new JobFailed { JobId = job.JobId, ErrorMessage = $"{e.GetType().Name}: {e.Message}" };
        }
    }
}
