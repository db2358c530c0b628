using System.Net;
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;

namespace Workflows.Host.Tests;

/// <summary>
/// A branch admin's calendar save, as review13 attacked it: a week with no working time is refused with 400 before
/// anything is saved, so the branch's starts go on (F13); one unreadable instance in the branch does not refuse the save
/// of everyone else's calendar (F12).
/// </summary>
[NonParallelizable]
public sealed class CalendarSaveApiTests
{
    private static readonly object s_closedWeek = new
    {
        week = new { monday = Array.Empty<string>(), tuesday = Array.Empty<string>(), wednesday = Array.Empty<string>(), thursday = Array.Empty<string>(), friday = Array.Empty<string>(), saturday = Array.Empty<string>(), sunday = Array.Empty<string>() },
    };

    [Test]
    public async Task A_week_with_no_working_time_is_refused_with_400_naming_it_and_the_branchs_starts_and_saves_go_on()
    {
        await using var host = TestHost.Start();
        var (bruno, ann) = (await host.As("bruno"), await host.As("ann"));
        await ann.StartAsync("complaint", new { customerId = "cust-1001" }); // a running clock on the branch's chain

        using var closed = await bruno.PutAsJsonAsync("/api/branches/paris-01/calendar", s_closedWeek);
        using var started = await ann.PostAsJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", variables = new { customerId = "cust-1001" } });
        using var saturday = await bruno.PutAsJsonAsync("/api/branches/paris-01/calendar", new { week = new { saturday = new[] { "09:00-13:00" } } });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await closed.ProblemAsync(HttpStatusCode.BadRequest),
                Does.Contain("calendar layer 'branch:paris-01' leaves the calendar group/country:FR/branch:paris-01 no working time in its week"));
            Assert.That(started.StatusCode, Is.EqualTo(HttpStatusCode.Created), await started.Content.ReadAsStringAsync());
            Assert.That(saturday.StatusCode, Is.EqualTo(HttpStatusCode.OK), await saturday.Content.ReadAsStringAsync());
        }
    }

    [Test]
    public async Task One_unreadable_instance_in_the_branch_does_not_refuse_the_save_it_gets_its_incident()
    {
        await using var host = TestHost.Start();
        var (bruno, ann) = (await host.As("bruno"), await host.As("ann"));
        var broken = await ann.StartAsync("complaint", new { customerId = "cust-1001" });
        await ann.StartAsync("complaint", new { customerId = "cust-1001" });
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(host.Directory, "host.db")}"))
        {
            await connection.OpenAsync();
            await using var tamper = connection.CreateCommand();
            tamper.CommandText = "UPDATE wf_instances SET state = CAST('{\"fmt\":3' AS BLOB) WHERE lower(id) = lower($id)";
            tamper.Parameters.AddWithValue("$id", broken);
            Assert.That(await tamper.ExecuteNonQueryAsync(), Is.EqualTo(1));
        }

        using var saved = await bruno.PutAsJsonAsync("/api/branches/paris-01/calendar", new { week = new { saturday = new[] { "09:00-13:00" } }, holidays = new[] { "2026-12-24" } });
        var incidents = (await (await host.As("otto")).GetJsonAsync("/api/incidents")).EnumerateArray()
            .Where(i => i.GetProperty("instanceId").GetString() == broken).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(saved.StatusCode, Is.EqualTo(HttpStatusCode.OK), await saved.Content.ReadAsStringAsync());
            Assert.That(incidents, Has.Count.EqualTo(1), "the unreadable instance's own problem");
        }
    }
}
