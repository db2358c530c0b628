using System.Net;
using System.Text.Json;

namespace Workflows.Host.Tests;

/// <summary>
/// Every command of the people who run journeys names who gave it: a supervisor's cancel, an operator's retry of an
/// incident, the pause and resume of a batch — on SQLite, and on PostgreSQL with RabbitMQ.
/// </summary>
[OnEveryBackend]
[NonParallelizable]
public sealed class OperatorAuditTests(Backend backend) : HostFixture(backend)
{
    private string _type = "";

    // A journey of its own for each test: deploying the same one twice answers 200, not 201.
    [SetUp]
    public void NameTheJourney() => _type = "audit-" + Guid.NewGuid().ToString("N")[..8];

    private string Journey => $"""
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:wf="urn:workflows:bpmn:1.0" id="d" targetNamespace="t">
          <bpmn:process id="{_type}" isExecutable="true"><bpmn:extensionElements><wf:journey branch="=branch"/></bpmn:extensionElements>
            <bpmn:startEvent id="s"/><bpmn:serviceTask id="t"><bpmn:extensionElements><zeebe:taskDefinition type="{_type}"/></bpmn:extensionElements></bpmn:serviceTask><bpmn:endEvent id="e"/>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
          </bpmn:process>
        </bpmn:definitions>
        """;

    private static JsonElement Row(JsonElement instance, string kind) =>
        instance.GetProperty("history").EnumerateArray().Single(h => h.GetProperty("kind").GetString() == kind);

    [Test]
    public async Task A_supervisors_cancel_and_an_operators_retry_are_on_the_history_with_who_gave_them()
    {
        await DeployAsync(Journey);
        var ann = await As("ann");
        var sofia = await As("sofia");
        var cancelled = await ann.StartAsync(_type);
        var failing = await ann.StartAsync(_type);

        using (var cancel = await sofia.PostAsync(new Uri($"/api/instances/{cancelled}/cancel", UriKind.Relative), null))
        {
            Assert.That(cancel.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }

        var worker = Worker();
        var job = (await worker.PostJsonAsync("/api/jobs/activation", new { type = _type, maxJobsToActivate = 10, requestTimeout = "PT10S" })).GetProperty("jobs")
            .EnumerateArray().Single(j => j.GetProperty("instanceId").GetString() == failing).GetProperty("id").GetString();
        await worker.PostJsonAsync($"/api/jobs/{job}/failure", new { retries = 0, errorMessage = "bureau down" }, HttpStatusCode.NoContent);
        var incident = (await sofia.GetJsonAsync($"/api/instances/{failing}")).GetProperty("incidents")[0].GetProperty("id").GetString();
        await Operator().PostJsonAsync($"/api/incidents/{incident}/retry", null, HttpStatusCode.NoContent);

        var afterCancel = await sofia.GetJsonAsync($"/api/instances/{cancelled}");
        var afterRetry = await sofia.GetJsonAsync($"/api/instances/{failing}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Row(afterCancel, "instance-cancelled").GetProperty("actor").GetString(), Is.EqualTo("sofia"));
            Assert.That(Row(afterRetry, "incident-resolved").GetProperty("actor").GetString(), Is.EqualTo("olga"));
        }
    }

    [Test]
    public async Task A_batch_shows_who_created_resumed_and_paused_it()
    {
        await DeployAsync(Journey);
        var id = await (await As("ann")).StartAsync(_type);
        var batch = await Operator().PostJsonAsync("/api/batches", new { kind = "cancel", reason = "duplicate", paused = true, selection = new { instanceIds = new[] { id } } }, HttpStatusCode.Created);
        var batchId = batch.GetProperty("id").GetString();
        await (await As("otto")).PostJsonAsync($"/api/batches/{batchId}/resume", null);
        using var paused = await Operator().PostAsync(new Uri($"/api/batches/{batchId}/pause", UriKind.Relative), null);
        var read = await (await As("sofia")).GetJsonAsync($"/api/batches/{batchId}");

        var steps = read.GetProperty("steps").EnumerateArray().Select(s => (s.GetProperty("action").GetString(), s.GetProperty("actor").GetString())).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(steps.Take(2), Is.EqualTo(new[] { ("created", "olga"), ("resumed", "otto") }));
            // The worker may finish the one instance before the pause reaches it: then the pause is refused (409) and not written.
            var expected = paused.StatusCode == HttpStatusCode.OK ? new[] { ("paused", "olga") } : [];
            Assert.That(paused.StatusCode, Is.EqualTo(HttpStatusCode.OK).Or.EqualTo(HttpStatusCode.Conflict));
            Assert.That(steps.Skip(2), Is.EqualTo(expected));
        }
    }
}
