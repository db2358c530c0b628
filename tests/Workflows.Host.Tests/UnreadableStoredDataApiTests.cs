using System.Net;
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;

namespace Workflows.Host.Tests;

/// <summary>
/// Stored data that no longer reads, met over HTTP (review13 F9, F16): the customer's own case is shown as being looked
/// at, never with the engine's reason, while staff of its branch read why; and a stored row's JSON that does not parse is
/// never answered as the caller's "Bad JSON" 400.
/// </summary>
[NonParallelizable]
public sealed class UnreadableStoredDataApiTests
{
    [Test]
    public async Task A_customers_own_case_whose_state_cannot_be_read_is_shown_as_being_looked_at_and_staff_read_why()
    {
        await using var host = TestHost.Start();
        var carla = await host.As("carla");
        var raised = await carla.PostJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", variables = new { summary = "router broken" } }, HttpStatusCode.Created);
        var id = raised.GetProperty("id").GetString()!;
        await UnreadableStates.PoisonAsync(host, id);

        using var view = await carla.GetAsync(new Uri($"/api/instances/{id}", UriKind.Relative));
        var text = await view.Content.ReadAsStringAsync();
        using var staff = await (await host.As("ann")).GetAsync(new Uri($"/api/instances/{id}", UriKind.Relative));
        var why = await staff.ProblemAsync(HttpStatusCode.Conflict);
        var json = System.Text.Json.JsonDocument.Parse(text).RootElement;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(view.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
            Assert.That(json.GetProperty("status").GetString(), Is.EqualTo("being looked at"));
            Assert.That(json.GetProperty("promise").GetString(), Is.EqualTo("Complaint answered within 48 business hours"), "what its rows say is still shown");
            Assert.That(json.GetProperty("questions").GetArrayLength(), Is.Zero);
            Assert.That(text, Does.Not.Contain("cannot be read").And.Not.Contain("evil").And.Not.Contain("state"), "nothing internal");
            Assert.That(why, Does.Contain("cannot be read").And.Contain("'evil'"), "staff of its branch read why");
        }
    }

    [Test]
    public async Task A_stored_job_row_that_does_not_parse_is_not_answered_as_the_callers_bad_json()
    {
        const string type = "stored-row-check";
        await using var host = TestHost.Start();
        await (await host.As("alice")).DeployAsync(TestJourneys.ServiceTask(type, type));
        var ann = await host.As("ann");
        var id = await ann.StartAsync(type);
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(host.Directory, "host.db")}"))
        {
            await connection.OpenAsync();
            await using var tamper = connection.CreateCommand();
            tamper.CommandText = "UPDATE wf_jobs SET variables_json = '{\"a\":' WHERE lower(instance_id) = lower($id)";
            tamper.Parameters.AddWithValue("$id", id);
            Assert.That(await tamper.ExecuteNonQueryAsync(), Is.EqualTo(1));
        }

        using var view = await ann.GetAsync(new Uri($"/api/instances/{id}", UriKind.Relative));
        var problem = await view.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(view.StatusCode, Is.Not.EqualTo(HttpStatusCode.BadRequest), "the request was right: nothing the caller sends mends a stored row");
            Assert.That(problem.GetProperty("title").GetString(), Is.EqualTo("Stored data cannot be read"));
            Assert.That(problem.GetProperty("detail").GetString(), Does.Contain("your request is not at fault"));
        }
    }
}
