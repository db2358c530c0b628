namespace Workflows.Engine.Storage;

/// <summary>Deployed definition versions and the start subscriptions their deploys registered.</summary>
/// <remarks>Definitions are written only through <see cref="IInstanceStore.CommitAsync"/>, with the deploy's other effects.</remarks>
internal interface IDefinitionStore
{
    ValueTask<DefinitionRecord?> GetDefinitionAsync(Guid id, CancellationToken ct);

    ValueTask<DefinitionRecord?> GetLatestDefinitionAsync(string processId, CancellationToken ct);

    /// <summary>Every deployed version (of one process when given), by process id and version, without their XML.</summary>
    ValueTask<IReadOnlyList<DefinitionRecord>> GetDefinitionsAsync(string? processId, CancellationToken ct);

    ValueTask<DefinitionRecord?> GetDefinitionByVersionAsync(string processId, int version, CancellationToken ct);

    /// <summary>
    /// Version <paramref name="version"/> of <paramref name="processId"/>, or its latest when null, without its XML
    /// (<see cref="DefinitionRecord.Xml"/> may be empty): what a start needs to choose its version, on every start.
    /// </summary>
    /// <remarks>The version's model comes from the engine's cache by id, which reads the XML once per version and node.</remarks>
    ValueTask<DefinitionRecord?> FindVersionAsync(string processId, int? version, CancellationToken ct);

    /// <summary>
    /// A start's reads for a branch: the branch's row (null when there is none); when <paramref name="likelyVersion"/> is
    /// given, that version of <paramref name="processId"/> without its XML; and with <paramref name="approvals"/>, the
    /// process's approvals (as <see cref="IRolloutStore.GetApprovalsAsync"/> reads them): all read together, one round
    /// trip on a server, where each read is one.
    /// </summary>
    /// <remarks>
    /// <c>Likely</c> is null when that version is not deployed or was not read, <c>Approvals</c> null when not read (a
    /// store whose reads cost no round trip need not read either): the caller then reads what it needs on its own. The
    /// branch's row (and the approvals) decide which version runs; the likely version is a guess the caller checks.
    /// </remarks>
    ValueTask<((string Json, long Revision)? Branch, DefinitionRecord? Likely, IReadOnlyList<VersionApprovalRecord>? Approvals)> FindBranchAndVersionAsync(
        string branchId, string processId, int? likelyVersion, bool approvals, CancellationToken ct);

    /// <summary>The highest version carrying that tag.</summary>
    ValueTask<DefinitionRecord?> GetDefinitionByVersionTagAsync(string processId, string versionTag, CancellationToken ct);

    ValueTask<DefinitionRecord?> GetDefinitionInDeploymentAsync(Guid deploymentId, string processId, CancellationToken ct);

    /// <summary>Start subscriptions (timers, messages, signals) registered for a process id, to replace them on deploy.</summary>
    ValueTask<(IReadOnlyList<TimerRecord> Timers, IReadOnlyList<MessageSubscriptionRecord> Messages, IReadOnlyList<SignalSubscriptionRecord> Signals)> GetStartSubscriptionsAsync(string processId, CancellationToken ct);
}
