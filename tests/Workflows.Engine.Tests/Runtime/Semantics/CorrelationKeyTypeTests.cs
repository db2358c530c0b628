using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime.Semantics;

/// <summary>
/// A correlation key must be a string or a number (Camunda 8's
/// <c>MessageIncidentTest.shouldCreateIncidentIfMessageCorrelationKeyHasInvalidType</c>); a number correlates as the
/// integer it truncates to, as Zeebe's <c>Long.toString(number.longValue())</c>.
/// </summary>
public sealed class CorrelationKeyTypeTests
{
    private static readonly string s_receive = Process("p", $"""
        <bpmn:startEvent id="start"/>
        <bpmn:receiveTask id="wait" messageRef="m"/>
        {UserTask("after")}
        {Chain("start", "wait", "after")}
        """, Message("m", "poke", "=orderId"));

    private static IEnumerable<TestCaseData> WrongTypes()
    {
        yield return new TestCaseData(true, "boolean").SetName("A boolean correlation key is an incident naming the element and the type");
        yield return new TestCaseData(new List<object?> { 1, 2, 3 }, "list").SetName("A list correlation key is an incident naming the element and the type");
        yield return new TestCaseData(new Dictionary<string, object?> { ["a"] = 1 }, "context").SetName("A context correlation key is an incident naming the element and the type");
    }

    [TestCaseSource(nameof(WrongTypes))]
    public async Task A_correlation_key_of_another_type_than_string_or_number_is_an_incident(object key, string type)
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_receive);

        var instance = await h.StartAsync("p", Vars(("orderId", key)));

        var incident = (await instance.IncidentsAsync()).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(incident.ElementId, Is.EqualTo("wait"));
            Assert.That(incident.Message, Does.Contain("'wait'").And.Contain("correlation key").And.Contain($"but was a {type}"));
            Assert.That((await h.Engine.Inspection.InspectAsync(instance.Id)).WaitPoints, Is.Empty, "no subscription on the key's text");
        }
    }

    [Test]
    public async Task A_null_correlation_key_is_an_incident()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_receive);

        var instance = await h.StartAsync("p", Vars(("orderId", null)));

        Assert.That((await instance.IncidentsAsync()).Single().ElementId, Is.EqualTo("wait"));
    }

    [Test]
    public async Task A_decimal_correlation_key_correlates_as_the_integer_it_truncates_to()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_receive);
        var positive = await h.StartAsync("p", Vars(("orderId", 12.7m)));
        var negative = await h.StartAsync("p", Vars(("orderId", -3.9m)));

        await h.CorrelateAsync("poke", "12");
        await h.CorrelateAsync("poke", "-3");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await positive.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
            Assert.That(await negative.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
        }
    }
}
