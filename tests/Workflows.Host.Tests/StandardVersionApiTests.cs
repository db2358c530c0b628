using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Workflows.Host.Tests;

/// <summary>
/// Issue 16's adversarial review through HTTP, on SQLite and on PostgreSQL + RabbitMQ: a branch runs only an approved
/// version (pin, unpin, migration target), the journey library's versions are the approved standard, number parameters
/// are plain numbers, the value cases read (an older branch setting too) is the one shown, migrations name instances of
/// another branch, a dry run's page is bounded by 400, overlapping hours are refused, a branch's parameters are read by
/// its own staff only.
/// </summary>
[OnEveryBackend]
[NonParallelizable]
public sealed class StandardVersionApiTests(Backend backend) : HostFixture(backend)
{
    private static string Gate(string process, string task) => $"""
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
          <bpmn:process id="{process}" isExecutable="true"><bpmn:startEvent id="s"/><bpmn:userTask id="work" name="{task}"/><bpmn:endEvent id="e"/>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="work"/><bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="e"/></bpmn:process>
        </bpmn:definitions>
        """;

    private static async Task<string> DetailAsync(HttpResponseMessage response, HttpStatusCode expected) =>
        (await response.JsonAsync(expected)).GetProperty("detail").GetString()!;

    [Test]
    public async Task The_journey_librarys_versions_are_the_approved_standard_the_branches_pin()
    {
        var alice = await As("alice");
        var complaint = (await alice.GetJsonAsync("/api/definitions/complaint/lifecycle")).EnumerateArray().Single(v => v.GetProperty("version").GetInt32() == 1);
        var drift = await alice.GetJsonAsync("/api/drift?journey=complaint");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(complaint.GetProperty("stage").GetString(), Is.EqualTo("approved"));
            Assert.That(complaint.GetProperty("approvedBy").GetString(), Is.EqualTo("journey-library"));
            Assert.That(complaint.GetProperty("pinnedBy").EnumerateArray().Select(b => b.GetString()), Is.EquivalentTo(new[] { "paris-01", "lyon-01" }));
            Assert.That(drift.EnumerateArray().Select(r => r.GetProperty("standardVersion").GetInt32()), Is.EqualTo(new[] { 1, 1 }));
        }
    }

    [Test]
    public async Task A_version_nobody_approved_cannot_be_pinned_migrated_to_or_started_by_an_unpinned_branch_and_its_deployer_cannot_approve_it()
    {
        var process = "gate-" + Guid.NewGuid().ToString("N")[..8];
        var (alice, ines, bruno) = (await As("alice"), await As("ines"), await As("bruno"));
        await alice.DeployAsync(Gate(process, "Work"));
        using var unapproved = await bruno.PutAsJsonAsync($"/api/branches/paris-01/pins/{process}", new { version = 1 });
        using var own = await alice.PostAsJsonAsync($"/api/definitions/{process}/versions/1/approval", new { reason = "mine" });
        await ines.ApproveAsync(process, 1);
        using var approved = await bruno.PutAsJsonAsync($"/api/branches/paris-01/pins/{process}", new { version = 1 });
        await alice.DeployAsync(Gate(process, "Work, renamed"));
        using var pinTwo = await bruno.PutAsJsonAsync($"/api/branches/paris-01/pins/{process}", new { version = 2 });
        var plan = new { journey = process, targetVersion = 2, reason = "onto v2" };
        using var dryRun = await bruno.PostAsJsonAsync("/api/migrations/dry-run", plan);
        using var run = await bruno.PostAsJsonAsync("/api/migrations", plan);
        var branch = await bruno.GetJsonAsync("/api/branches/paris-01");
        using var unpin = await bruno.DeleteAsync(new Uri($"/api/branches/paris-01/pins/{process}", UriKind.Relative));
        var unpinned = await (await As("ann")).StartAsync(process, new { });
        var started = await (await As("sofia")).GetJsonAsync($"/api/instances/{unpinned}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await DetailAsync(unapproved, HttpStatusCode.Conflict), Does.StartWith($"cannot pin version 1 of '{process}': it is deployed (by alice), not approved."));
            Assert.That(await DetailAsync(own, HttpStatusCode.Conflict), Does.Contain("four-eyes rule"));
            Assert.That(approved.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(unpin.StatusCode, Is.EqualTo(HttpStatusCode.OK), "without a pin the branch runs the standard, the latest approved version");
            Assert.That(started.GetProperty("version").GetInt32(), Is.EqualTo(1), "a branch that pins nothing never starts the version only deployed");
            Assert.That(await DetailAsync(pinTwo, HttpStatusCode.Conflict), Does.StartWith($"cannot pin version 2 of '{process}': it is deployed (by alice), not approved"));
            Assert.That(await DetailAsync(dryRun, HttpStatusCode.Conflict), Does.StartWith($"cannot migrate to version 2 of '{process}'"));
            Assert.That(await DetailAsync(run, HttpStatusCode.Conflict), Does.StartWith($"cannot migrate to version 2 of '{process}'"));
            Assert.That(branch.GetProperty("pins").GetProperty(process).GetInt32(), Is.EqualTo(1), "nothing refused changed the pin");
        }
    }

    [Test]
    public async Task Number_parameters_take_plain_numbers_only_and_store_the_number()
    {
        var bruno = await As("bruno");
        var refused = new List<string>();
        foreach (var text in new[] { "1,5", "  1,2,3,4  ", "1,000", "5-", "1e3" })
        {
            using var response = await bruno.PutAsJsonAsync("/api/branches/paris-01/parameters/complaint", new { values = new { frontDeskAuthority = text } });
            refused.Add(await DetailAsync(response, HttpStatusCode.BadRequest));
        }

        using var huge = await bruno.PutAsync(new Uri("/api/branches/paris-01/parameters/complaint", UriKind.Relative),
            new StringContent("""{"values":{"frontDeskAuthority":1e400}}""", System.Text.Encoding.UTF8, "application/json"));
        using var canonical = await bruno.PutAsJsonAsync("/api/branches/paris-01/parameters/complaint", new { values = new { frontDeskAuthority = "0250.50" } });
        var saved = await canonical.JsonAsync(HttpStatusCode.OK);
        using var reset = await bruno.PutAsJsonAsync("/api/branches/paris-01/parameters/complaint", new { values = new Dictionary<string, object?> { ["frontDeskAuthority"] = null } });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused, Has.All.StartsWith("parameter 'frontDeskAuthority' is a plain number such as 1500 or 1.5"));
            Assert.That(await DetailAsync(huge, HttpStatusCode.BadRequest), Does.StartWith("values.frontDeskAuthority: 1e400 does not fit a number"));
            Assert.That(saved.GetProperty("parameters")[0].GetProperty("value").GetString(), Is.EqualTo("250.5"));
            Assert.That(reset.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
    }

    [Test]
    public async Task The_parameters_and_the_drift_report_show_the_older_branch_setting_cases_read_and_only_the_branchs_staff_read_them()
    {
        var (bruno, sofia, ann, alice) = (await As("bruno"), await As("sofia"), await As("ann"), await As("alice"));
        var mine = (await bruno.GetJsonAsync("/api/branches/paris-01/parameters/complaint")).GetProperty("parameters")[0];
        var drift = (await alice.GetJsonAsync("/api/drift?journey=complaint")).EnumerateArray()
            .ToDictionary(r => r.GetProperty("branchId").GetString()!, r => r.GetProperty("differences").EnumerateArray().Select(d => $"{d.GetProperty("name").GetString()}={d.GetProperty("reads").GetString()}").ToList());
        var started = await ann.StartAsync("complaint", new { customerId = "cust-legacy" });
        var engine = Host.Factory.Services.GetRequiredService<Engine.WorkflowEngine>();
        var read = ((Engine.Feel.FeelContext)(await engine.Queries.GetInstanceAsync(Guid.Parse(started))).Variables["branchSettings"]!)["frontDeskAuthority"];
        using var bySofia = await sofia.GetAsync(new Uri("/api/branches/paris-01/parameters/complaint", UriKind.Relative));
        using var sofiaOnLyon = await sofia.GetAsync(new Uri("/api/branches/lyon-01/parameters/complaint", UriKind.Relative));
        using var byAgent = await ann.GetAsync(new Uri("/api/branches/paris-01/parameters/complaint", UriKind.Relative));
        using var brunoOnLyon = await bruno.PutAsJsonAsync("/api/branches/lyon-01/parameters/complaint", new { values = new { frontDeskAuthority = 10 } });

        using (Assert.EnterMultipleScope())
        {
            Assert.That((mine.GetProperty("reads").GetString(), mine.GetProperty("readFrom").GetString()), Is.EqualTo(("150", "settings")));
            Assert.That(read, Is.EqualTo(150m), "what the view says is what a new case reads");
            Assert.That(drift["paris-01"], Is.EqualTo(new[] { "frontDeskAuthority=150" }));
            Assert.That(drift["lyon-01"], Is.EqualTo(new[] { "frontDeskAuthority=100" }), "the library declares no standard value: 100 differs too");
            Assert.That(bySofia.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(sofiaOnLyon.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "as the calendar: the branch's own staff");
            Assert.That(byAgent.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(await DetailAsync(brunoOnLyon, HttpStatusCode.Forbidden), Is.EqualTo("the parameters of branch 'lyon-01': bruno works for branch 'paris-01' only"));
        }
    }

    [Test]
    public async Task A_migration_naming_another_branchs_instance_a_dry_run_page_above_the_limit_and_overlapping_hours_are_refused_with_400()
    {
        var (bruno, omar) = (await As("bruno"), await As("omar"));
        var lyon = await omar.StartAsync("complaint", new { customerId = "cust-lyon" }, branch: "lyon-01");
        var plan = new { journey = "complaint", targetVersion = 1, selection = new { instanceIds = new[] { Guid.Parse(lyon) } }, reason = "x" };
        using var run = await bruno.PostAsJsonAsync("/api/migrations", plan);
        using var dryRun = await bruno.PostAsJsonAsync("/api/migrations/dry-run", plan);
        using var page = await bruno.PostAsJsonAsync("/api/migrations/dry-run", new { journey = "complaint", targetVersion = 1, max = 1000 });
        using var overlap = await bruno.PutAsJsonAsync("/api/branches/paris-01/calendar", new { week = new { monday = new[] { "09:00-10:00", "09:30-11:00" } } });
        using var touching = await bruno.PutAsJsonAsync("/api/branches/paris-01/calendar", new { week = new { saturday = new[] { "09:00-12:00", "12:00-13:00" } } });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await DetailAsync(run, HttpStatusCode.BadRequest), Does.StartWith("selection.instanceIds: 1 of the ids name no instance of 'complaint' in branch 'paris-01': " + lyon));
            Assert.That(await DetailAsync(dryRun, HttpStatusCode.BadRequest), Does.Contain(lyon));
            Assert.That(await DetailAsync(page, HttpStatusCode.BadRequest), Does.StartWith("max: at most 200 instances a page (Workflows:Limits:MaxPageSize), not 1000"));
            Assert.That(await DetailAsync(overlap, HttpStatusCode.BadRequest), Is.EqualTo("week.monday: 09:00-10:00 and 09:30-11:00 overlap; give each working hour once (join them as one interval)"));
            Assert.That(touching.StatusCode, Is.EqualTo(HttpStatusCode.OK), "an interval may end where the next starts");
        }
    }
}
