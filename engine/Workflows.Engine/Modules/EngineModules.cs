using Workflows.Engine.Runtime;
using Workflows.Engine.Services;
using Workflows.Engine.ServiceLevels;

namespace Workflows.Engine.Modules;

/// <summary>
/// The one place product modules are registered. The core calls them only through the extension points
/// (<see cref="IEngineModule"/>, <see cref="IElementLifecycleListener"/>, <see cref="IDueWorkSource"/>);
/// a new module is a folder of its own plus one line here.
/// </summary>
internal static class EngineModules
{
    /// <summary>The modules of one engine, in the order the core calls them.</summary>
    public static IEngineModule[] Create(CommandRunner runner) => [new ServiceLevelModule(runner)];
}
