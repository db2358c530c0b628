using System.Net;
using System.Text.Json;

namespace Workflows.Host.Tests;

/// <summary>
/// Operations' reads through HTTP, on SQLite and on PostgreSQL + RabbitMQ: instances found by searchable variables a page
/// at a time, one inspected whole, tasks filtered by their instance's values; and what an attacker tries refused.
/// </summary>
[OnEveryBackend]
[NonParallelizable]
public sealed class InspectionApiTests(Backend backend) : HostFixture(backend)
{
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
        var ann = await As("ann");
        var otto = await As("otto");
        var customer = "c-insp-" + Backend;
        // The small one first: the customer's second complaint is a repeat, which goes to the back office whatever its amount.
        var small = await RegisteredComplaintAsync(ann, customer, 20);
        var large = await RegisteredComplaintAsync(ann, customer, 250);

        var above = await otto.GetJsonAsync($"/api/instances/search?journey=complaint&state=active&var.amount.gte=100&var.customerId={customer}");
        var first = await otto.GetJsonAsync($"/api/instances/search?journey=complaint&var.customerId={customer}&max=1");
        var second = await otto.GetJsonAsync($"/api/instances/search?journey=complaint&var.customerId={customer}&max=1&after={Uri.EscapeDataString(first.GetProperty("nextCursor").GetString()!)}");
        var inspection = await otto.GetJsonAsync($"/api/instances/{large}/inspection");
        var waits = inspection.GetProperty("waitPoints").EnumerateArray().ToList();
        var reply = waits.Single(w => w.GetProperty("kind").GetString() == "message");
        var sofia = await As("sofia");
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
        var omar = await As("omar");
        var lyon = await omar.StartAsync("complaint", new { customerId = "c-lyon" }, "lyon-01");
        var sofia = await As("sofia");

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
