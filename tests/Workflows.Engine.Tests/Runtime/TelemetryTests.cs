using System.Diagnostics.Metrics;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

[NonParallelizable]
public sealed class TelemetryTests
{
    [Test]
    public async Task Started_and_ended_instances_and_incidents_are_counted_once_per_committed_command()
    {
        var counts = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == WorkflowsTelemetry.Name)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            lock (counts)
            {
                counts[instrument.Name] = counts.GetValueOrDefault(instrument.Name) + value;
            }
        });
        listener.Start();

        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""<bpmn:startEvent id="s"/>{ServiceTask("t", "missing-handler-becomes-job")}<bpmn:endEvent id="e"/>{Chain("s", "t", "e")}"""));
        var done = await h.StartAsync("p");
        await done.CompleteJobAsync("t");
        var failed = await h.StartAsync("p");
        await failed.ThrowJobErrorAsync("t", "NOBODY_CATCHES");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(counts.GetValueOrDefault("workflows.instances.started"), Is.EqualTo(2));
            Assert.That(counts.GetValueOrDefault("workflows.instances.ended"), Is.EqualTo(1));
            Assert.That(counts.GetValueOrDefault("workflows.incidents.raised"), Is.EqualTo(1));
            Assert.That(counts.GetValueOrDefault("workflows.commands"), Is.GreaterThanOrEqualTo(5));
        }
    }
}
