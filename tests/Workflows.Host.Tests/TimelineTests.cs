using Workflows.Engine;
using Workflows.Host.Features.Api;

namespace Workflows.Host.Tests;

/// <summary>The inbox's timeline names people by name and what the journey did by itself in its words, never by the engine node that ran it.</summary>
public sealed class TimelineTests
{
    private static readonly ProcessNames s_names = new("Complaint", new Dictionary<string, ElementName>(StringComparer.Ordinal)
    {
        ["register"] = new("Register and classify", "userTask"),
        ["answered"] = new("Answer sent", "intermediateCatchEvent"),
    });

    [Test]
    public void An_escalation_a_warning_and_a_timer_are_the_journey_s_doing_and_an_agent_s_work_is_hers()
    {
        var at = DateTimeOffset.UnixEpoch;
        var history = new HistoryEntry[]
        {
            new(at, "clock-escalated", "register", "vm:5122", null),
            new(at, "clock-warning", "register", "wf-node-2", null),
            new(at, "element-completed", "answered", "vm:5122", null),
            new(at, "task-claimed", "register", "ann", null),
            new(at, "instance-started", null, null, null),
        };

        var actors = TaskCases.Timeline(history, s_names, []).Select(e => e.Actor).ToList();

        Assert.That(actors, Is.EqualTo(new[] { "automatic escalation", "automatic", "automatic", "ann", null }));
    }
}
