using Workflows.Engine.Runtime;

namespace Workflows.Engine.ServiceLevels;

/// <summary>The module's part of an instance a command loaded: its open clocks as loaded, and those the command started or ended.</summary>
internal sealed class InstanceClocks
{
    // Returned for an instance without clocks; only ever read (every write goes through For).
    private static readonly List<SlaClockRecord> s_none = [];

    public List<SlaClockRecord> Clocks { get; } = [];

    public bool Changed { get; set; }

    /// <summary>The instance's clocks, empty when it keeps none; read only.</summary>
    public static List<SlaClockRecord> Of(LoadedInstance instance) => instance.Part<InstanceClocks>()?.Clocks ?? s_none;

    /// <summary>The instance's clocks part, added when it had none, to change.</summary>
    public static InstanceClocks For(LoadedInstance instance) => instance.Part<InstanceClocks>() ?? instance.AddPart(new InstanceClocks());
}
