using System.Net;
using System.Text.Json;
using Npgsql;
using Workflows.Engine.MassTransit.Tests;

namespace Workflows.Host.Tests;

/// <summary>
/// Operations' reads through HTTP, on SQLite and on PostgreSQL + RabbitMQ: instances found by searchable variables a page
/// at a time, one inspected whole, tasks filtered by their instance's values; and what an attacker tries refused.
/// </summary>
[TestFixture("sqlite")]
[TestFixture("postgresql")]
[NonParallelizable]
public sealed class InspectionApiTests(string store)
{
    private readonly string _database = "wf_insp_" + Guid.NewGuid().ToString("N")[..12];
    private string? _server;
    private RabbitMqTestBroker? _broker;
    private TestHost _host = null!;

    [OneTimeSetUp]
    public async Task StartTheHost()
    {
        if (store == "sqlite")
        {
            _host = TestHost.Start();
            return;
        }

        _server = Environment.GetEnvironmentVariable("WORKFLOWS_TEST_POSTGRES")
            ?? throw new InvalidOperationException("WORKFLOWS_TEST_POSTGRES is not set: run ./scripts/test.sh, which provisions PostgreSQL and RabbitMQ and sets it");
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
        });
    }

    [OneTimeTearDown]
    public async Task StopTheHost()
    {
        await _host.DisposeAsync();
        if (_server is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(_server);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }

        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }

    private static async Task<string> RegisteredComplaintAsync(HttpClient agent, string customer, decimal amount, string branch = "paris-01")
    {
        var id = await agent.StartAsync("complaint", new { customerId = customer }, branch);
        var task = await agent.TaskAsync(id, "register");
        await agent.PostJsonAsync($"/api/tasks/{task}/complete", new { variables = new { category = "network", amount, summary = "no line for a week" } }, HttpStatusCode.NoContent);
        return id;
    }

    private static string[] Ids(JsonElement page) => page.GetProperty("instances").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).ToArray();

    [Test]
    public async Task An_operator_finds_complaints_by_amount_and_customer_a_page_at_a_time_and_inspects_one_whole()
    {
        var ann = await _host.As("ann");
        var otto = await _host.As("otto");
        var customer = "c-insp-" + store;
        // The small one first: the customer's second complaint is a repeat, which goes to the back office whatever its amount.
        var small = await RegisteredComplaintAsync(ann, customer, 20);
        var large = await RegisteredComplaintAsync(ann, customer, 250);

        var above = await otto.GetJsonAsync($"/api/instances/search?journey=complaint&state=active&var.amount.gte=100&var.customerId={customer}");
        var first = await otto.GetJsonAsync($"/api/instances/search?journey=complaint&var.customerId={customer}&max=1");
        var second = await otto.GetJsonAsync($"/api/instances/search?journey=complaint&var.customerId={customer}&max=1&after={Uri.EscapeDataString(first.GetProperty("nextCursor").GetString()!)}");
        var inspection = await otto.GetJsonAsync($"/api/instances/{large}/inspection");
        var waits = inspection.GetProperty("waitPoints").EnumerateArray().ToList();
        var reply = waits.Single(w => w.GetProperty("kind").GetString() == "message");
        var sofia = await _host.As("sofia");
        var cheap = await sofia.GetJsonAsync("/api/tasks?pageSize=200&var.amount.lt=100");
        var taskInstances = cheap.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("instanceId").GetString()).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Ids(above), Is.EqualTo(new[] { large }));
            Assert.That(Ids(first).Concat(Ids(second)), Is.EqualTo(new[] { large, small }), "newest first, one a page");
            Assert.That(second.GetProperty("nextCursor").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(reply.GetProperty("elementId").GetString(), Is.EqualTo("back_office_answer"));
            Assert.That(reply.GetProperty("correlationKey").GetString(), Is.EqualTo(inspection.GetProperty("instance").GetProperty("businessKey").GetString()));
            Assert.That(waits.Select(w => w.GetProperty("kind").GetString()), Does.Contain("sla-clock"));
            Assert.That(inspection.GetProperty("scope").GetProperty("variables").GetProperty("amount").GetDecimal(), Is.EqualTo(250m));
            Assert.That(inspection.GetProperty("activeTokens").GetProperty("back_office_answer").GetInt32(), Is.EqualTo(1));
            Assert.That(inspection.GetProperty("stepNames").GetProperty("back_office_answer").GetString(), Is.EqualTo("Back office answers"));
            Assert.That(taskInstances, Does.Contain(small).And.Not.Contain(large));
        }
    }

    [Test]
    public async Task Another_branch_an_undeclared_variable_a_wrong_value_a_forged_cursor_or_an_unknown_instance_are_refused_naming_what_is_wrong()
    {
        var omar = await _host.As("omar");
        var lyon = await omar.StartAsync("complaint", new { customerId = "c-lyon" }, "lyon-01");
        var sofia = await _host.As("sofia");

        async Task<(HttpStatusCode Status, string Body)> Get(string url)
        {
            using var response = await sofia.GetAsync(new Uri(url, UriKind.Relative));
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await Get($"/api/instances/{lyon}/inspection")).Status, Is.EqualTo(HttpStatusCode.NotFound), "another branch's instance is as an unknown one");
            Assert.That((await Get("/api/instances/search?branch=lyon-01")).Status, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(Ids(await sofia.GetJsonAsync("/api/instances/search?max=200")), Does.Not.Contain(lyon), "a supervisor's list is its branch's");
            Assert.That((await Get("/api/instances/search?journey=complaint&var.secret=1")).Body, Does.Contain("'secret' is not declared searchable"));
            Assert.That((await Get("/api/instances/search?journey=complaint&var.amount.gte=lots")).Body, Does.Contain("'lots' is not a number"));
            Assert.That((await Get("/api/instances/search?var.amount.between=1")).Body, Does.Contain("none of the comparisons"));
            Assert.That((await Get("/api/instances/search?after=Zm9yZ2Vk")).Body, Does.Contain("cursor"));
            Assert.That((await Get("/api/instances/search?state=sleeping")).Body, Does.Contain("state: 'sleeping'"));
            Assert.That((await Get("/api/instances/search?version=1")).Status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That((await Get("/api/instances/search?" + string.Join('&', Enumerable.Range(0, 11).Select(i => $"var.amount.gte={i}")))).Body, Does.Contain("at most 10"));
            Assert.That((await Get($"/api/instances/{Guid.NewGuid()}/inspection")).Status, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That((await Get($"/api/instances/search?var.amount={new string('9', 300)}")).Status, Is.EqualTo(HttpStatusCode.BadRequest));
        }
    }
}
