using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Workflows.Host.Tests;

/// <summary>
/// A batch's creation refuses what it can tell is wrong before it answers 201 (docs/operations.md, "Batch operations"):
/// a modification naming elements the selected journey does not have, and instance ids the operator may not act on,
/// another branch's as unknown ones.
/// </summary>
[NonParallelizable]
public sealed class BatchCheckTests
{
    private TestHost _host = null!;

    [OneTimeSetUp]
    public void StartTheHost() => _host = TestHost.Start();

    [OneTimeTearDown]
    public async Task StopTheHost() => await _host.DisposeAsync();

    private HttpClient Operator(string branch = "paris-01") => _host.WithToken(("sub", "olga"), ("role", "operator"), ("branch", branch));

    private async Task<(HttpStatusCode Status, JsonElement Body)> CreateAsync(object batch)
    {
        using var response = await Operator().PostAsJsonAsync("/api/batches", batch);
        return (response.StatusCode, await response.JsonAsync());
    }

    [Test]
    public async Task A_modify_batch_naming_elements_the_journey_lacks_or_no_token_runs_through_is_refused_naming_each()
    {
        var (status, problem) = await CreateAsync(new
        {
            kind = "modify", selection = new { journey = "complaint" }, reason = "x",
            modification = new { activate = new[] { "nope", "received", "register" }, terminate = new[] { "received_to_check_history", "gone" } },
        });
        var (none, _) = await CreateAsync(new { kind = "modify", selection = new { branch = "paris-01" }, reason = "x", modification = new { activate = new[] { "register" } } });
        var (fine, batch) = await CreateAsync(new { kind = "modify", selection = new { journey = "complaint" }, reason = "x", modification = new { activate = new[] { "register" } }, paused = true });
        var detail = problem.GetProperty("detail").GetString();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), detail);
            Assert.That(detail, Does.StartWith("modification: no element 'nope', 'gone' in 'complaint'"));
            Assert.That(detail, Does.Contain("activate 'received': a start event is never activated"));
            Assert.That(detail, Does.Contain("terminate 'received_to_check_history': a sequenceFlow is no step a token runs through"));
            Assert.That(detail, Does.Not.Contain("'register'"));
            Assert.That(none, Is.EqualTo(HttpStatusCode.BadRequest), "element ids are a journey's: the selection names it");
            Assert.That(fine, Is.EqualTo(HttpStatusCode.Created), batch.ToString());
        }
    }

    [Test]
    public async Task A_modify_batch_naming_many_long_elements_the_journey_lacks_is_refused_naming_the_first_twenty_shortened_and_how_many_more()
    {
        var absent = Enumerable.Range(0, 25).Select(i => $"missing_{i:00}_" + new string('x', 150)).ToArray();
        var (status, problem) = await CreateAsync(new { kind = "modify", selection = new { journey = "complaint" }, reason = "x", modification = new { activate = absent } });
        var detail = problem.GetProperty("detail").GetString();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), detail);
            Assert.That(detail, Does.StartWith($"modification: no element '{absent[0][..37]}...', '{absent[1][..37]}...'"), "each name quoted and shortened");
            Assert.That(detail, Does.Contain($"'{absent[19][..37]}...' and 5 more in 'complaint'"));
            Assert.That(detail, Does.Not.Contain(absent[0]).And.Not.Contain("missing_20"), "no name echoed whole, none past the twentieth");
        }
    }

    [Test]
    public async Task A_modify_batch_activating_or_terminating_an_end_event_is_refused_naming_it()
    {
        var (status, problem) = await CreateAsync(new
        {
            kind = "modify", selection = new { journey = "complaint" }, reason = "close them all",
            modification = new { activate = new[] { "closed" }, terminate = new[] { "closed", "received" } },
        });
        var detail = problem.GetProperty("detail").GetString();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), detail);
            Assert.That(detail, Does.Contain("activate 'closed': an end event would end its scope in every instance selected; to end the instances, create a cancel batch"));
            Assert.That(detail, Does.Contain("terminate 'closed': no token ever waits at an end event"));
            Assert.That(detail, Does.Contain("terminate 'received': no token ever waits at a start event"));
        }
    }

    [Test]
    public async Task An_empty_instanceIds_list_is_refused_by_a_batch_and_by_a_migration_instead_of_being_read_as_no_filter()
    {
        var (batch, batchProblem) = await CreateAsync(new { kind = "cancel", selection = new { journey = "complaint", instanceIds = Array.Empty<Guid>() }, reason = "x" });
        var central = _host.WithToken(("sub", "otto"), ("role", "operator"), ("branch", "*"));
        using var migration = await central.PostAsJsonAsync("/api/migrations", new { journey = "complaint", targetVersion = 1, selection = new { instanceIds = Array.Empty<Guid>() }, reason = "x" });
        using var dryRun = await central.PostAsJsonAsync("/api/migrations/dry-run", new { journey = "complaint", targetVersion = 1, selection = new { instanceIds = Array.Empty<Guid>() } });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(batch, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(batchProblem.GetProperty("detail").GetString(), Does.StartWith("selection.instanceIds: the list is empty, so it names no instance"));
            Assert.That((await migration.JsonAsync(HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), Does.StartWith("selection.instanceIds: the list is empty"));
            Assert.That((await dryRun.JsonAsync(HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), Does.StartWith("selection.instanceIds: the list is empty"));
        }
    }

    [Test]
    public async Task Instance_ids_of_another_branch_are_refused_as_unknown_ones_and_nothing_is_started()
    {
        var ann = await _host.As("ann");
        var ours = await ann.StartAsync("complaint", new { customerId = "c-batch-1" });
        var theirs = await (await _host.As("omar")).StartAsync("complaint", new { customerId = "c-batch-2" }, branch: "lyon-01");
        var unknown = Guid.NewGuid().ToString();

        var (status, problem) = await CreateAsync(new { kind = "cancel", selection = new { instanceIds = new[] { ours, theirs, unknown } }, reason = "x" });
        var still = await ann.GetJsonAsync($"/api/instances/{ours}");
        var (alone, batch) = await CreateAsync(new { kind = "cancel", selection = new { instanceIds = new[] { ours } }, reason = "x" });
        var detail = problem.GetProperty("detail").GetString();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), detail);
            Assert.That(detail, Does.StartWith($"selection.instanceIds: 2 of the ids name no instance of a branch olga works for: {theirs}, {unknown}"));
            Assert.That(detail, Does.Not.Contain("lyon"));
            Assert.That(still.GetProperty("status").GetString(), Is.EqualTo("active"));
            Assert.That((alone, batch.GetProperty("total").GetInt32()), Is.EqualTo((HttpStatusCode.Created, 1)));
        }
    }

    [Test]
    public async Task A_batch_selects_by_incident_as_the_search_does()
    {
        var ann = await _host.As("ann");
        await ann.StartAsync("complaint", new { customerId = "c-batch-3" });
        // Without a customer id the history lookup cannot run: the step stops with an incident.
        var failing = await ann.StartAsync("complaint", new { });
        var watch = System.Diagnostics.Stopwatch.StartNew();
        JsonElement search;
        while (!Ids(search = await Operator().GetJsonAsync("/api/instances/search?journey=complaint&incident=true&max=200")).Contains(failing) && watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(100);
        }

        var all = await Operator().GetJsonAsync("/api/instances/search?journey=complaint&max=200");
        var (status, batch) = await CreateAsync(new { kind = "resolveIncidents", selection = new { journey = "complaint", incident = true }, reason = "retry all" });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Ids(search), Does.Contain(failing));
            Assert.That(Ids(all), Has.Count.GreaterThan(Ids(search).Count));
            Assert.That((status, batch.GetProperty("total").GetInt32()), Is.EqualTo((HttpStatusCode.Created, Ids(search).Count)), batch.ToString());
        }
    }

    private static List<string> Ids(JsonElement page) => page.GetProperty("instances").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).ToList();
}
