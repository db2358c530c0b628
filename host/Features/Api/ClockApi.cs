using System.Text.Json;
using System.Xml;
using Workflows.Engine;
using Workflows.Engine.Services;
using Workflows.Host.Features.Security;

namespace Workflows.Host.Features.Api;

/// <summary>
/// The engine's clock, and in a test environment a clock to move by hand (Zeebe's controlled clock is the model):
/// pin it at an instant or advance it, so that a timer, an SLA clock or a calendar deadline days away can be rehearsed now.
/// </summary>
internal static class ClockApi
{
    private static readonly TimeSpan s_maxAhead = TimeSpan.FromDays(3650);

    /// <summary>
    /// With <c>Workflows:Clock:Controllable</c> on, the engine runs on a <see cref="ControlledClock"/> over the host's
    /// clock (the host's own time, for tokens and lock-outs, is not moved). A database several nodes share is refused with
    /// it unless <c>Workflows:Clock:AllowWithSharedDatabase</c> says so: each node would keep a clock of its own.
    /// </summary>
    /// <exception cref="ArgumentException">The clock is on, the store is PostgreSQL or SQL Server and the second setting is off.</exception>
    public static WorkflowsEngineBuilder AddWorkflowsClock(this WorkflowsEngineBuilder engine, IConfiguration configuration, HostStore store)
    {
        var options = new ClockOptions();
        configuration.GetSection("Workflows:Clock").Bind(options);
        engine.Services.AddSingleton(options);
        if (!options.Controllable)
        {
            return engine;
        }

        if (store.Shared && !options.AllowWithSharedDatabase)
        {
            throw new ArgumentException($"Workflows:Clock:Controllable is on with {store.Name}, a database several nodes may share, each with a clock of its own: "
                + "turn Workflows:Clock:Controllable off, or set Workflows:Clock:AllowWithSharedDatabase to true for a test environment of one node");
        }

        engine.Services.AddSingleton(sp => new ControlledClock(sp.GetRequiredService<TimeProvider>()));
        return engine.UseTimeProvider(sp => sp.GetRequiredService<ControlledClock>());
    }

    public static void MapClock(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/clock").WithTags("Clock");
        group.MapGet("", (HttpContext http) => Read(http))
            .RequireAuthorization(p => p.RequireRole([.. Roles.Staff, Roles.Worker])).WithName("GetClock").Produces<ClockView>()
            .WithSummary("The engine's time now, and whether it is pinned or moved ahead (a test environment's controllable clock).");
        group.MapPost("", async (ClockRequest request, HttpContext http, WorkflowEngine engine, CancellationToken ct) =>
            {
                var clock = Controlled(http);
                if ((request.Pin is null) == (request.Advance is null))
                {
                    throw new WorkflowInputException("give either pin (an instant, ISO 8601) or advance (a duration: ISO 8601 such as P2D, or milliseconds)");
                }

                // Bounded: a clock near the end of the calendar would make every due time the engine computes overflow.
                var host = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
                var advance = request.Advance is null ? TimeSpan.Zero : JobsApi.Duration(request.Advance, "advance")!.Value;
                var target = request.Pin ?? (advance > s_maxAhead ? DateTimeOffset.MaxValue : clock.GetUtcNow() + advance);
                if (target - host > s_maxAhead)
                {
                    throw new WorkflowInputException($"{(request.Pin is null ? "advance" : "pin")}: the clock may run at most {s_maxAhead.TotalDays / 365:N0} years ahead of the host's time");
                }

                try
                {
                    // Through the engine: the store keeps the move, so that a restart runs on the moved time.
                    var moved = request.Pin is { } at ? await engine.Clock.PinAsync(at, ct) : await engine.Clock.AdvanceAsync(advance, ct);
                    return Results.Ok(View(moved, controllable: true));
                }
                catch (ArgumentOutOfRangeException e)
                {
                    throw new WorkflowInputException((request.Pin is null ? "advance: " : "pin: ") + e.Message.Split(" (Parameter")[0]);
                }
            })
            .RequireAuthorization(p => p.RequireRole(Roles.BranchAdmin)).WithName("MoveClock").Produces<ClockView>().ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Pins the engine's clock at an instant or advances it by a duration, forward only; due timers and clocks fire at once.");
        group.MapDelete("", async (HttpContext http, WorkflowEngine engine, CancellationToken ct) =>
            {
                _ = Controlled(http);
                // Live leases move back with the clock, each keeping the time it had left (docs/operations.md).
                return Results.Ok(View(await engine.Clock.ResetAsync(ct), controllable: true));
            })
            .RequireAuthorization(p => p.RequireRole(Roles.BranchAdmin)).WithName("ResetClock").Produces<ClockView>().ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Puts the engine's clock back on the host's time; live leases (jobs, timers, batch items) move back with it, each keeping the time it had left.");
    }

    /// <summary>The engine's clock: the controllable one when it is on, else the host's. Defaults of business time (a report's window) read it.</summary>
    public static TimeProvider EngineTime(IServiceProvider services) =>
        services.GetService<ControlledClock>() ?? services.GetRequiredService<TimeProvider>();

    private static IResult Read(HttpContext http) =>
        http.RequestServices.GetService<ControlledClock>() is { } clock
            ? Results.Ok(View(clock.State, controllable: true))
            : Results.Ok(new ClockView(http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow(), Controllable: false, Pinned: false, Offset: "PT0S"));

    /// <summary>The controllable clock, for a central branch admin (moving time moves every branch's deadlines).</summary>
    private static ControlledClock Controlled(HttpContext http)
    {
        var caller = Caller.From(http.User);
        if (caller.Branch != WorkflowsClaims.AllBranches)
        {
            throw new ForbiddenException($"moving the clock moves every branch's deadlines: only a branch admin of every branch (branch *) may; {caller.Name} works for branch '{caller.Branch ?? "none"}'");
        }

        return http.RequestServices.GetService<ControlledClock>()
            ?? throw new WorkflowNotFoundException("this host's clock is not controllable: Workflows:Clock:Controllable is off (it is for test environments only)");
    }

    private static ClockView View(ControlledClockState state, bool controllable) => new(state.Now, controllable, state.Pinned, XmlConvert.ToString(state.Offset));
}

/// <summary>Section <c>Workflows:Clock</c>: the controllable clock of a test environment.</summary>
internal sealed class ClockOptions
{
    /// <summary>Runs the engine on a clock <c>POST /api/clock</c> pins or advances. Default off; never in production.</summary>
    public bool Controllable { get; set; }

    /// <summary>Allows <see cref="Controllable"/> with PostgreSQL or SQL Server (one node only: nodes do not share the clock). Default off.</summary>
    public bool AllowWithSharedDatabase { get; set; }
}

/// <summary>Pins or advances the clock: give exactly one of pin and advance.</summary>
internal sealed record ClockRequest(
    [property: System.ComponentModel.Description("The instant to pin the clock at (ISO 8601). Give pin or advance, not both.")] DateTimeOffset? Pin,
    [property: System.ComponentModel.Description("How far to move the clock forward: an ISO 8601 duration such as P2D, or milliseconds. Give pin or advance, not both.")] JsonElement? Advance);

/// <summary>The engine's time; <see cref="Offset"/> (ISO 8601) is how far ahead of the host's clock it runs when not pinned.</summary>
internal sealed record ClockView(DateTimeOffset Now, bool Controllable, bool Pinned, string Offset);
