using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Workflows.Host.Tests;

/// <summary>
/// What the branch page relies on, tried as an attacker would: the calendar read only by the branch's own staff, a
/// calendar layer's yearly holidays kept through a save and malformed ones refused by name, and two migrations of the
/// same cases started at once moving each case exactly once.
/// </summary>
[NonParallelizable]
public sealed class BranchPageApiTests() : HostFixture(Backend.Sqlite)
{
    [Test]
    public async Task The_calendar_is_read_by_the_branchs_own_staff_and_a_central_team_only()
    {
        var bruno = await As("bruno");
        using var own = await bruno.GetAsync(new Uri("/api/branches/paris-01/calendar", UriKind.Relative));
        using var other = await bruno.GetAsync(new Uri("/api/branches/lyon-01/calendar", UriKind.Relative));
        using var unknown = await bruno.GetAsync(new Uri("/api/branches/nowhere/calendar", UriKind.Relative));
        using var agent = await (await As("ann")).GetAsync(new Uri("/api/branches/paris-01/calendar", UriKind.Relative));
        using var central = await CentralAdmin().GetAsync(new Uri("/api/branches/lyon-01/calendar", UriKind.Relative));
        var calendar = await own.JsonAsync(HttpStatusCode.OK);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(calendar.GetProperty("chain").GetString(), Is.EqualTo("group/country:FR/branch:paris-01"));
            Assert.That(calendar.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("name").GetString()), Is.EqualTo(new[] { "group", "country:FR", "branch:paris-01" }));
            Assert.That(await other.ProblemAsync(HttpStatusCode.Forbidden), Does.Contain("lyon-01").And.Not.Contain("Lyon Part-Dieu"));
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(agent.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(central.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
    }

    [Test]
    public async Task A_save_keeps_the_yearly_holidays_it_is_given_and_refuses_a_malformed_one_by_name()
    {
        var lyon = Host.WithToken(("sub", "lea"), ("role", "branch-admin"), ("branch", "lyon-01"));
        using var malformed = await lyon.PutAsJsonAsync("/api/branches/lyon-01/calendar", new { yearlyHolidays = new[] { "13-45" } });
        using var wrongType = await lyon.PutAsJsonAsync("/api/branches/lyon-01/calendar", new { week = new { monday = "09:00-12:00" } });
        using var saved = await lyon.PutAsJsonAsync("/api/branches/lyon-01/calendar", new { week = new { sunday = Array.Empty<string>() }, yearlyHolidays = new[] { "12-24" }, workingDays = new[] { "2027-05-08" } });
        var layer = (await lyon.GetJsonAsync("/api/branches/lyon-01/calendar")).GetProperty("layers").EnumerateArray().Single(l => l.GetProperty("name").GetString() == "branch:lyon-01");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await malformed.ProblemAsync(HttpStatusCode.BadRequest), Does.Contain("yearlyHolidays: '13-45'"));
            Assert.That(wrongType.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "a day's hours are a list");
            Assert.That(saved.StatusCode, Is.EqualTo(HttpStatusCode.OK), await saved.Content.ReadAsStringAsync());
            Assert.That(layer.GetProperty("yearlyHolidays").EnumerateArray().Select(d => d.GetString()), Is.EqualTo(new[] { "12-24" }));
            Assert.That(layer.GetProperty("workingDays").EnumerateArray().Select(d => d.GetString()), Is.EqualTo(new[] { "2027-05-08" }));
            Assert.That(layer.GetProperty("week").GetProperty("sunday").GetArrayLength(), Is.Zero, "a day given empty is closed");
        }
    }

    [Test]
    public async Task Two_migrations_of_the_same_cases_started_at_once_move_each_case_once()
    {
        var ann = await As("ann");
        var ids = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            var id = await ann.StartAsync("complaint", new { customerId = $"cust-twice-{i}", summary = "twice" }, businessKey: $"C-TWICE-{i}");
            ids.Add(id);
            await Api.EventuallyAsync(async () => await ann.GetJsonAsync($"/api/instances/{id}") is var instance
                && instance.GetProperty("tasks").EnumerateArray().Any(t => t.GetProperty("elementId").GetString() == "register") ? instance : default, $"complaint {id} at the registration");
        }

        var v1 = Processes.JourneyLibrary.All.Single(j => j.Name.EndsWith("complaints.bpmn", StringComparison.Ordinal)).Xml;
        await (await As("alice")).DeployAsync(ComplaintVersions.Version2(v1));
        await (await As("ines")).ApproveAsync("complaint", 2);
        var bruno = await As("bruno");
        using (var pinned = await bruno.PutAsJsonAsync("/api/branches/paris-01/pins/complaint", new { version = 2 }))
        {
            Assert.That(pinned.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        var plan = new
        {
            journey = "complaint", targetVersion = 2, mappings = new[] { new { source = "register", target = "register_complaint" } },
            selection = new { version = 1, branch = "paris-01" }, reason = "started twice",
        };
        var started = await Task.WhenAll(bruno.PostJsonAsync("/api/migrations", plan, HttpStatusCode.Created), bruno.PostJsonAsync("/api/migrations", plan, HttpStatusCode.Created));
        var finished = new List<JsonElement>();
        foreach (var migration in started)
        {
            var id = migration.GetProperty("id").GetString();
            finished.Add(await Api.EventuallyAsync(async () => await bruno.GetJsonAsync($"/api/migrations/{id}") is var p && p.GetProperty("state").GetString() == "completed" ? p : default, $"migration {id} completed"));
        }

        var versions = new List<int>();
        foreach (var id in ids)
        {
            versions.Add((await ann.GetJsonAsync($"/api/instances/{id}")).GetProperty("version").GetInt32());
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(finished.Sum(f => f.GetProperty("done").GetInt32()), Is.EqualTo(ids.Count), "each case moved once");
            Assert.That(finished.Sum(f => f.GetProperty("skipped").GetInt32() + f.GetProperty("failed").GetInt32()), Is.EqualTo(ids.Count), "the other migration found it moved");
            Assert.That(versions, Is.All.EqualTo(2));
        }
    }
}
