namespace Workflows.Engine.Storage;

/// <summary>
/// The due work (jobs, timers, SLA clocks) of an instance held back while the instance cannot run: leased to a holder
/// that never takes it, with no end, so no worker, timer or clock poller or bus relay is handed it again; given back when
/// the holder lets go.
/// </summary>
/// <remarks>
/// An instance whose stored state cannot be read is the case: each of its jobs would otherwise be handed to a worker,
/// answered, refused and handed out again after every lease, for ever, and each of its clocks claimed, met and refused
/// likewise. A lease, not a flag, so that every claim of every store already skips it.
/// </remarks>
internal interface IParkingStore
{
    /// <summary>Leases every job, timer and SLA clock of <paramref name="instanceId"/> to <paramref name="holder"/> with no end (a live lease taken over).</summary>
    ValueTask ParkInstanceWorkAsync(Guid instanceId, string holder, CancellationToken ct);

    /// <summary>Frees the leases <paramref name="holder"/> holds on the jobs, timers and SLA clocks of <paramref name="instanceId"/>: they are due again at once.</summary>
    ValueTask UnparkInstanceWorkAsync(Guid instanceId, string holder, CancellationToken ct);
}
