namespace Workflows.Engine;

/// <summary>A local parameter a journey version declares (<c>wf:parameter</c>), with a branch's value beside the standard.</summary>
/// <param name="Name">The name instances read it by: <c>branchSettings.&lt;name&gt;</c>.</param>
/// <param name="Type"><c>number</c>, <c>string</c>, <c>boolean</c> or <c>duration</c>.</param>
/// <param name="Label">What a branch administrator reads.</param>
/// <param name="Min">The lowest value a branch may set (a number or a duration), if bounded.</param>
/// <param name="Max">The highest value a branch may set, if bounded.</param>
/// <param name="Values">The values a string parameter is chosen from; empty when free.</param>
/// <param name="Standard">The journey's standard value, which a branch that sets none runs on; null when none.</param>
public sealed record JourneyParameter(string Name, string Type, string? Label, string? Min, string? Max, IReadOnlyList<string> Values, string? Standard)
{
    /// <summary>The branch's own value, as text; null when it runs on the standard.</summary>
    public string? Value { get; init; }

    /// <summary>Why the branch's value does not hold on this version (a bound it breaks): instances then run on the standard.</summary>
    public string? Problem { get; init; }

    /// <summary>
    /// The value the branch's new cases read, as text: its own value when it holds, else the branch's older
    /// <see cref="Branch.Settings"/> value of the same name, else the standard; null when they read none.
    /// </summary>
    public string? Reads { get; init; }

    /// <summary>Where <see cref="Reads"/> comes from: <c>branch</c> (its own value), <c>settings</c> (its older <see cref="Branch.Settings"/>), <c>standard</c>; null when cases read none.</summary>
    public string? ReadFrom { get; init; }
}

/// <summary>The parameters of the journey version a branch runs, with the branch's values.</summary>
/// <param name="BranchId">The branch.</param>
/// <param name="ProcessId">The journey.</param>
/// <param name="Version">The version the branch starts: its pin, else the latest.</param>
/// <param name="Pinned">Whether the branch pinned that version.</param>
/// <param name="Parameters">What the version declares, in declaration order.</param>
public sealed record BranchParameters(string BranchId, string ProcessId, int Version, bool Pinned, IReadOnlyList<JourneyParameter> Parameters);

/// <summary>One branch and journey in the drift report: the version it runs against the standard, and the parameters it changed.</summary>
/// <param name="BranchId">The branch.</param>
/// <param name="ProcessId">The journey.</param>
/// <param name="Version">The version the branch starts: its pin, else the latest.</param>
/// <param name="Pinned">Whether the branch pinned it.</param>
/// <param name="StandardVersion">The journey's standard: its newest approved version (null when none is approved).</param>
/// <param name="Differences">The parameters whose value differs from the standard value (or breaks a bound), in declaration order.</param>
public sealed record DriftRow(string BranchId, string ProcessId, int Version, bool Pinned, int? StandardVersion, IReadOnlyList<JourneyParameter> Differences)
{
    /// <summary>The branch runs the standard version.</summary>
    public bool OnStandard => StandardVersion == Version;

    /// <summary>Why the version the branch runs cannot be read (its stored XML no longer parses); null when it reads.</summary>
    public string? Problem { get; init; }
}
