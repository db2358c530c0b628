using System.Runtime.ExceptionServices;
using MassTransit;
using MassTransit.Middleware;

namespace Workflows.Engine.MassTransit;

/// <summary>
/// On a broker, what a node does once its database says a newer build migrated it (<see cref="NodeOutgrownException"/>):
/// its engines' endpoints stop taking messages from the queues they share with the upgraded nodes, and the message that
/// told it goes back to the broker (nacked with requeue) for another consumer. Never to the error queue: the message is
/// good, only this node is too old for it (review 18 F2).
/// </summary>
/// <remarks>
/// The refusal is sticky (nothing short of a restart with the newer build makes the node's writes right again), so the
/// endpoints are stopped for good; a job worker of the node, which writes nothing, goes on.
/// </remarks>
internal sealed class OutgrownEndpoints(BusLog log)
{
    private readonly List<HostReceiveEndpointHandle> _endpoints = [];
    private string? _reason;
    private Task _stopped = Task.CompletedTask;

    /// <summary>Why the engines' endpoints stopped; null while they consume.</summary>
    public string? Reason => Volatile.Read(ref _reason);

    /// <summary>Done once every engine endpoint known when the node learnt it was outgrown has stopped.</summary>
    public Task Stopped => Volatile.Read(ref _stopped);

    /// <summary>An engine's endpoint, connected after the bus started so that it can be stopped alone.</summary>
    public void Add(HostReceiveEndpointHandle endpoint)
    {
        lock (_endpoints)
        {
            _endpoints.Add(endpoint);
        }

        if (Reason is not null)
        {
            _ = StopAsync([endpoint]); // connected while the others stopped: it takes nothing either
        }
    }

    /// <summary>The node learnt it is outgrown: stops its engines' endpoints (once).</summary>
    public void Outgrown(string reason)
    {
        if (Interlocked.CompareExchange(ref _reason, reason, null) is not null)
        {
            return;
        }

        log.NodeOutgrown(reason);
        HostReceiveEndpointHandle[] endpoints;
        lock (_endpoints)
        {
            endpoints = [.. _endpoints];
        }

        // Not awaited by the message that told it: a stop waits for the messages in hand, that one among them.
        Volatile.Write(ref _stopped, Task.Run(() => StopAsync(endpoints)));
    }

    private async Task StopAsync(IEnumerable<HostReceiveEndpointHandle> endpoints)
    {
        foreach (var endpoint in endpoints)
        {
            try
            {
                await endpoint.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // The connection gone meanwhile: the broker hands back what the endpoint held when its channel closes.
                log.LoopFailed("outgrown endpoint stop", e.Message);
            }
        }
    }

    /// <summary>The first filter of an engine endpoint's error pipe: an outgrown refusal is thrown back to the transport, which nacks it with requeue.</summary>
    public IFilter<ExceptionReceiveContext> RequeueFilter() => new Requeue(this);

    private static NodeOutgrownException? OutgrownIn(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is NodeOutgrownException outgrown)
            {
                return outgrown;
            }
        }

        return null;
    }

    private sealed class Requeue(OutgrownEndpoints outgrown) : IFilter<ExceptionReceiveContext>
    {
        public Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
        {
            if (OutgrownIn(context.Exception) is not { } e)
            {
                return next.Send(context); // every other failure: a fault, and the error queue, as before
            }

            outgrown.Outgrown(e.Message);
            ExceptionDispatchInfo.Throw(e);
            return Task.CompletedTask;
        }

        public void Probe(ProbeContext context) => context.CreateFilterScope("workflows-outgrown-requeue");
    }

    /// <summary>The error pipe an engine endpoint has on a broker: outgrown refusals back to the queue, the rest as MassTransit's default.</summary>
    public void ConfigureErrors(IReceiveEndpointConfigurator endpoint) =>
        endpoint.ConfigureError(errors =>
        {
            errors.UseFilter(RequeueFilter());
            errors.UseFilter(new GenerateFaultFilter());
            errors.UseFilter(new ErrorTransportFilter());
        });
}
