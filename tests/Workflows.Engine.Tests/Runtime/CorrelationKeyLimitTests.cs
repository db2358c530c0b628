using Workflows.Engine.Runtime;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>
/// A catch waits only for a key a publisher can send: an empty key, or one longer than
/// <see cref="ExecutionLimits.MaxCorrelationKeyLength"/>, is an incident on the catch instead of a subscription that no
/// message could ever match.
/// </summary>
public sealed class CorrelationKeyLimitTests
{
    private static readonly string s_wait = Process("wait", $"""
        <bpmn:startEvent id="start"/>
        <bpmn:intermediateCatchEvent id="reply"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
        <bpmn:endEvent id="end"/>
        {Chain("start", "reply", "end")}
        """, Message("m", "customer-reply", "=caseId"));

    [Test]
    public async Task An_empty_correlation_key_is_an_incident_on_the_catch_and_opens_no_subscription()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_wait);

        var instance = await h.StartAsync("wait", Vars(("caseId", "")));

        var incident = (await instance.IncidentsAsync()).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(incident.ElementId, Is.EqualTo("reply"));
            Assert.That(incident.Message, Does.Contain("correlation key").And.Contain("empty"));
            Assert.That((await h.Engine.Inspection.InspectAsync(instance.Id)).WaitPoints.Where(w => w.Kind == "message"), Is.Empty);
        }
    }

    [Test]
    public async Task A_correlation_key_longer_than_the_limit_is_an_incident_naming_its_length_and_the_setting_and_a_fixed_key_correlates_after_the_retry()
    {
        var h = new ProcessTestHarness(configure: o => o.Limits.MaxCorrelationKeyLength = 20);
        await h.DeployAsync(s_wait);

        var instance = await h.StartAsync("wait", Vars(("caseId", new string('k', 21))));

        var incident = (await instance.IncidentsAsync()).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(incident.ElementId, Is.EqualTo("reply"));
            Assert.That(incident.Message, Does.Contain("21 characters").And.Contain("WorkflowEngineOptions.Limits.MaxCorrelationKeyLength = 20"));
        }

        await instance.SetVariablesAsync(Vars(("caseId", new string('k', 20))));
        await instance.ResolveIncidentAsync("reply");
        await h.CorrelateAsync("customer-reply", new string('k', 20));

        Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
    }
}
