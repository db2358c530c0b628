using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Npgsql;
using Workflows.Engine.MassTransit.Tests;

namespace Workflows.Host.Tests;

/// <summary>
/// The product as deployed beyond one machine: the host on PostgreSQL and RabbitMQ (the ones the test script
/// provisions), driven only through its HTTP API. A complaint above the front desk's authority goes from registration
/// to the back office over the broker and back, then to the customer's answer and the satisfaction survey.
/// </summary>
[NonParallelizable]
public sealed class EndToEndTests
{
    private readonly string _database = "wf_host_" + Guid.NewGuid().ToString("N")[..12];
    private string _server = "";
    private TestHost _host = null!;
    private RabbitMqTestBroker _broker = null!;

    private static string Setting(string name) => Environment.GetEnvironmentVariable(name)
        ?? throw new InvalidOperationException($"{name} is not set: run ./scripts/test.sh, which provisions PostgreSQL and RabbitMQ and sets it");

    [OneTimeSetUp]
    public async Task StartTheHostOnPostgreSqlAndRabbitMq()
    {
        _server = Setting("WORKFLOWS_TEST_POSTGRES");
        _broker = await RabbitMqTestBroker.CreateAsync();
        var broker = _broker.Connection();
        await using (var connection = new NpgsqlConnection(_server))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {_database}", connection);
            await create.ExecuteNonQueryAsync();
        }

        _host = TestHost.Start(new Dictionary<string, string>
        {
            ["Workflows__Store__Provider"] = "PostgreSql",
            ["Workflows__Store__ConnectionString"] = new NpgsqlConnectionStringBuilder(_server) { Database = _database }.ConnectionString,
            ["Workflows__Auth__SigningKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
            ["Workflows__Auth__DemoUsers"] = "true",
            ["Workflows__Bus__Transport"] = "RabbitMq",
            ["Workflows__Bus__RabbitMq__Host"] = broker.Host,
            ["Workflows__Bus__RabbitMq__Port"] = broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Workflows__Bus__RabbitMq__Username"] = broker.Username,
            ["Workflows__Bus__RabbitMq__Password"] = broker.Password,
            ["Workflows__Bus__RabbitMq__VirtualHost"] = broker.VirtualHost,
            ["Workflows__Bus__PollInterval"] = "00:00:00.200",
        });
    }

    [OneTimeTearDown]
    public async Task RemoveTheDatabaseAndVirtualHost()
    {
        await _host.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using (var connection = new NpgsqlConnection(_server))
        {
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }

        await _broker.DisposeAsync();
    }

    [Test]
    public async Task A_complaint_goes_from_registration_through_the_back_office_and_back_to_the_satisfaction_survey()
    {
        var ann = await _host.As("ann");
        var omar = await _host.As("omar");
        var carla = await _host.As("carla");
        var ready = await (await _host.Anonymous().GetAsync(new Uri("/health/ready", UriKind.Relative))).JsonAsync(HttpStatusCode.OK);
        var raised = await carla.PostJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01" }, HttpStatusCode.Created);
        var id = raised.GetProperty("id").GetString()!;
        var caseKey = raised.GetProperty("businessKey").GetString()!; // generated: a customer does not choose it

        var register = await ann.PostJsonAsync("/api/tasks/next", new { queues = new[] { "front-desk" } });
        await ann.PostJsonAsync($"/api/tasks/{register.GetProperty("id").GetString()}/complete",
            new { variables = new { category = "billing", amount = 400, summary = "billed for a line I cancelled" } }, HttpStatusCode.NoContent);

        var investigate = await EventuallyAsync(async () =>
            (await omar.GetJsonAsync($"/api/tasks?queue=back-office-complaints&businessKey={caseKey}")).GetProperty("tasks").EnumerateArray().FirstOrDefault(),
            "the handoff reached the back office over RabbitMQ");
        var taskId = investigate.GetProperty("id").GetString();
        await omar.PostJsonAsync($"/api/tasks/{taskId}/claim", null);
        await omar.PostJsonAsync($"/api/tasks/{taskId}/complete", new { variables = new { findings = "the cancellation was never processed", refund = 400 } }, HttpStatusCode.NoContent);

        var respond = await EventuallyAsync(async () =>
            (await ann.GetJsonAsync($"/api/instances/{id}")).GetProperty("tasks").EnumerateArray().FirstOrDefault(t => t.GetProperty("elementId").GetString() == "respond"),
            "the back office's answer came back to the front office");
        await ann.PostJsonAsync($"/api/tasks/{respond.GetProperty("id").GetString()}/complete", new { variables = new { response = "refunded 400" } }, HttpStatusCode.NoContent);
        var survey = await ann.TaskAsync(id, "survey");
        await ann.PostJsonAsync($"/api/tasks/{survey}/complete", new { variables = new { score = 5 } }, HttpStatusCode.NoContent);

        var instance = await (await _host.As("sofia")).GetJsonAsync($"/api/instances/{id}");
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
            Assert.That(tracked.GetProperty("stepsDone").EnumerateArray().Select(s => s.GetProperty("name").GetString()), Does.Contain("Back office answers").And.Contain("Satisfaction survey"));
            Assert.That(carlasCases.EnumerateArray().Select(c => c.GetProperty("id").GetString()), Is.EqualTo(new[] { id }), "the back office's part is not a case of its own for the customer");
            Assert.That(backOfficeForCarla.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        }
    }

    private static async Task<JsonElement> EventuallyAsync(Func<Task<JsonElement>> probe, string what)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (await probe() is { ValueKind: not JsonValueKind.Undefined } found)
            {
                return found;
            }

            await Task.Delay(200);
        }

        Assert.Fail($"not within 60 s: {what}");
        return default;
    }
}
