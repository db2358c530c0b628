using Workflows.Engine.Parameters;
using Workflows.Engine.Runtime;
using Workflows.Engine.Search;
using Workflows.Engine.ServiceLevels;
using Workflows.Engine.Services;

namespace Workflows.Engine.Modules;

/// <summary>
/// The one place product modules are registered. The core calls them only through the extension points
/// (<see cref="IBpmnParseListener"/>, <see cref="ITimerDurations"/>, <see cref="IModelCheck"/>, <see cref="IEngineModule"/>,
/// <see cref="IElementLifecycleListener"/>, <see cref="IDueWorkSource"/>); a new module is a folder of its
/// own plus its lines here.
/// </summary>
internal static class EngineModules
{
    /// <summary>Read the modules' extension elements as the parser meets each element.</summary>
    public static IBpmnParseListener[] ParseListeners { get; } = [ServiceLevelParseListener.Instance, SearchParseListener.Instance, ParameterParseListener.Instance, Decisions.CalledDecisionParseListener.Instance];

    /// <summary>The modules' timer durations beyond ISO 8601, which the parser accepts and wait points plan.</summary>
    public static ITimerDurations[] TimerDurations { get; } = [BusinessTimerDurations.Instance];

    /// <summary>The modules' checks of each parsed process at deploy.</summary>
    public static IModelCheck[] ModelChecks { get; } = [ServiceLevelChecks.Instance, Forms.FormFieldChecks.Instance];

    /// <summary>The modules of one engine, in the order the core calls them.</summary>
    public static IEngineModule[] Create(CommandRunner runner) => [new ServiceLevelModule(runner), new SearchModule()];
}
