// The namespace is the public type's, not the folder's: hosts' code compiles unchanged (docs/architecture.md §4).
namespace Workflows.Engine.Services;

// The service-level module's cadences, its part of the worker's options users set.
public sealed partial class WorkflowWorkerOptions
{
    /// <summary>How many due SLA clocks one round claims, and how many one command fires (each on its own instance). Default 32.</summary>
    public int ClockBatchSize { get; set; } = 32;

    /// <summary>How often the worker loads the calendar versions other nodes saved. Default 30 seconds.</summary>
    public TimeSpan CalendarRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    private void CheckServiceLevels(List<string> errors)
    {
        RequireThat(errors, ClockBatchSize is >= 1 and <= 1000, nameof(ClockBatchSize), ClockBatchSize, "must be from 1 to 1000");
        RequireThat(errors, CalendarRefreshInterval > TimeSpan.Zero, nameof(CalendarRefreshInterval), CalendarRefreshInterval, "must be positive");
    }
}
