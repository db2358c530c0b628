using System.Net;

namespace Workflows.Host.Tests;

/// <summary>
/// The product as deployed beyond one machine: the host on PostgreSQL and RabbitMQ (the ones the test script
/// provisions), driven only through its HTTP API. A complaint above the front desk's authority goes from registration
/// to the back office over the broker and back, then to the customer's answer and the satisfaction survey.
/// </summary>
[NonParallelizable]
public sealed class EndToEndTests() : HostFixture(Backend.PostgreSqlAndRabbitMq)
{
    [Test]
    public async Task A_complaint_goes_from_registration_through_the_back_office_and_back_to_the_satisfaction_survey()
    {
        var ann = await As("ann");
        var omar = await As("omar");
        var carla = await As("carla");
        var ready = await (await Host.Anonymous().GetAsync(new Uri("/health/ready", UriKind.Relative))).JsonAsync(HttpStatusCode.OK);
        var raised = await carla.PostJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01" }, HttpStatusCode.Created);
        var id = raised.GetProperty("id").GetString()!;
        var caseKey = raised.GetProperty("businessKey").GetString()!; // generated: a customer does not choose it

        var register = await ann.PostJsonAsync("/api/tasks/next", new { queues = new[] { "front-desk" } });
        await ann.PostJsonAsync($"/api/tasks/{register.GetProperty("id").GetString()}/complete",
            new { variables = new { category = "billing", amount = 400, summary = "billed for a line I cancelled" } }, HttpStatusCode.NoContent);

        var investigate = await Api.EventuallyAsync(async () =>
            (await omar.GetJsonAsync($"/api/tasks?queue=back-office-complaints&businessKey={caseKey}")).GetProperty("tasks").EnumerateArray().FirstOrDefault(),
            "the handoff reached the back office over RabbitMQ");
        var taskId = investigate.GetProperty("id").GetString();
        await omar.PostJsonAsync($"/api/tasks/{taskId}/claim", null);
        await omar.PostJsonAsync($"/api/tasks/{taskId}/complete", new { variables = new { findings = "the cancellation was never processed", refund = 400 } }, HttpStatusCode.NoContent);

        var respond = await Api.EventuallyAsync(async () =>
            (await ann.GetJsonAsync($"/api/instances/{id}")).GetProperty("tasks").EnumerateArray().FirstOrDefault(t => t.GetProperty("elementId").GetString() == "respond"),
            "the back office's answer came back to the front office");
        await ann.PostJsonAsync($"/api/tasks/{respond.GetProperty("id").GetString()}/complete", new { variables = new { response = "refunded 400" } }, HttpStatusCode.NoContent);
        var survey = await ann.TaskAsync(id, "survey");
        await ann.PostJsonAsync($"/api/tasks/{survey}/complete", new { variables = new { score = 5 } }, HttpStatusCode.NoContent);

        var instance = await (await As("sofia")).GetJsonAsync($"/api/instances/{id}");
        var backOffice = await omar.GetJsonAsync($"/api/instances?journey=complaint-investigation&businessKey={caseKey}");
        var tracked = await carla.GetJsonAsync($"/api/instances/{id}");
        var carlasCases = await carla.GetJsonAsync("/api/instances");
        using var backOfficeForCarla = await carla.GetAsync(new Uri($"/api/instances/{backOffice[0].GetProperty("id").GetString()}", UriKind.Relative));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ready.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()), Is.EquivalentTo(new[] { "engine", "broker" }));
            Assert.That(ready.GetProperty("status").GetString(), Is.EqualTo("Healthy"));
            Assert.That(instance.GetProperty("status").GetString(), Is.EqualTo("completed"));
            Assert.That(instance.GetProperty("variables").GetProperty("findings").GetString(), Is.EqualTo("the cancellation was never processed"));
            Assert.That(instance.GetProperty("variables").GetProperty("satisfaction").GetDecimal(), Is.EqualTo(5m));
            Assert.That(instance.GetProperty("clocks").EnumerateArray().Single(c => c.GetProperty("level").GetInt32() == 1).GetProperty("state").GetString(), Is.EqualTo("met"));
            Assert.That(backOffice.EnumerateArray().Single().GetProperty("status").GetString(), Is.EqualTo("completed"), "one back-office case, done once");
            Assert.That(tracked.GetProperty("status").GetString(), Is.EqualTo("closed"));
            Assert.That(tracked.GetProperty("promiseKept").GetBoolean(), Is.True);
            Assert.That(tracked.GetProperty("stepsDone").EnumerateArray().Select(s => s.GetProperty("name").GetString()), Does.Contain("Our specialists look into it").And.Contain("Tell us how we did"), "in the journey's words for customers");
            Assert.That(carlasCases.EnumerateArray().Select(c => c.GetProperty("id").GetString()), Is.EqualTo(new[] { id }), "the back office's part is not a case of its own for the customer");
            Assert.That(backOfficeForCarla.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        }
    }
}
