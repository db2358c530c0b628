namespace Workflows.Engine.Storage;

/// <summary>
/// What fires by time or is worked off by pollers: timers and jobs, each claimed with a lease so that several
/// nodes share them and each fires once; and the named leases of work that must stay in order (modules' due rows,
/// such as service-level clocks, are claimed through their own store part, <see cref="IServiceLevelStore"/>).
/// </summary>
internal interface IScheduleStore
{
    ValueTask<TimerRecord?> GetTimerAsync(Guid id, CancellationToken ct);

    /// <summary>
    /// Leases up to <paramref name="max"/> timers due at <paramref name="now"/> (the engine's time) to <paramref name="owner"/>
    /// until <paramref name="leaseUntil"/>, earliest first, skipping those a lease live at <paramref name="leaseNow"/> holds;
    /// a lease that expired (its node died) can be taken over.
    /// </summary>
    /// <remarks>
    /// Leases are in lease time (the host's), due times in the engine's, which a test environment's controllable clock
    /// moves: a clock pinned by a test must not keep a dead node's lease live forever.
    /// </remarks>
    ValueTask<IReadOnlyList<TimerRecord>> ClaimDueTimersAsync(DateTimeOffset now, int max, string owner, DateTimeOffset leaseNow, DateTimeOffset leaseUntil, CancellationToken ct);

    /// <summary>The earliest due time among timers no node holds a live lease on at <paramref name="now"/> (lease time).</summary>
    ValueTask<DateTimeOffset?> GetNextTimerDueAsync(DateTimeOffset now, CancellationToken ct);

    ValueTask<JobRecord?> GetJobAsync(Guid id, CancellationToken ct);

    /// <summary>
    /// A job, then its instance's row read after it (null when either is gone), and with <paramref name="openClocks"/> the
    /// instance's open service-level clocks after that: one round trip on a server; a store whose reads cost none
    /// (SQLite, memory) leaves the clocks null (as <see cref="IInstanceStore.GetInstanceWithClocksAsync"/>).
    /// </summary>
    ValueTask<(JobRecord? Job, InstanceRecord? Instance, IReadOnlyList<ServiceLevels.SlaClockRecord>? OpenClocks)> GetJobWithInstanceAsync(Guid id, bool openClocks, CancellationToken ct);

    /// <summary>Jobs (of one instance, of one type, when given), oldest first.</summary>
    ValueTask<IReadOnlyList<JobRecord>> GetJobsAsync(Guid? instanceId, string? type, CancellationToken ct);

    /// <summary>Leases due jobs of the given types, as <see cref="ClaimDueTimersAsync"/> does timers.</summary>
    ValueTask<IReadOnlyList<JobRecord>> ClaimDueJobsAsync(IReadOnlyCollection<string> types, DateTimeOffset now, int max, string owner, DateTimeOffset leaseNow, DateTimeOffset leaseUntil, CancellationToken ct);

    /// <summary>Leases due jobs of service tasks marked external (for workers over the bus), as <see cref="ClaimDueTimersAsync"/> does timers.</summary>
    ValueTask<IReadOnlyList<JobRecord>> ClaimDueExternalJobsAsync(DateTimeOffset now, int max, string owner, DateTimeOffset leaseNow, DateTimeOffset leaseUntil, CancellationToken ct);

    /// <summary>Gives back leases <paramref name="owner"/> holds on those jobs, so they are claimable again at once.</summary>
    ValueTask ReleaseJobLeasesAsync(IReadOnlyCollection<Guid> ids, string owner, CancellationToken ct);

    /// <summary>
    /// Takes or renews the named lease for <paramref name="owner"/> until <paramref name="until"/> unless another
    /// owner holds it past <paramref name="now"/>: one node at a time does work that must stay in order.
    /// </summary>
    ValueTask<bool> TryTakeLeaseAsync(string name, string owner, DateTimeOffset now, DateTimeOffset until, CancellationToken ct);

    /// <summary>
    /// Writes one small row kept for the purpose (<paramref name="owner"/> and <paramref name="now"/>), in its own
    /// transaction: throws what the store throws when it takes no writes (read-only, full, locked, away).
    /// </summary>
    ValueTask ProbeWriteAsync(string owner, DateTimeOffset now, CancellationToken ct);
}
