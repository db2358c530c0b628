using System.Net;
using System.Net.Http.Json;
using Npgsql;
using Workflows.Engine.MassTransit.Tests;

namespace Workflows.Host.Tests;

/// <summary>
/// Issue 16's acceptance through HTTP, on SQLite and on PostgreSQL + RabbitMQ: a version approved by an analyst, rolled out
/// by a central branch administrator in two waves with the pilot's figures read between them, and rolled back; local
/// parameters set within their bounds and the drift report; and what other callers try refused.
/// </summary>
[TestFixture("sqlite")]
[TestFixture("postgresql")]
[NonParallelizable]
public sealed class RolloutApiTests(string store)
{
    private readonly string _database = "wf_roll_" + Guid.NewGuid().ToString("N")[..12];
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

        var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        _host = TestHost.Start(new Dictionary<string, string>
        {
            ["Workflows__Store__Provider"] = "PostgreSql",
            ["Workflows__Store__ConnectionString"] = new NpgsqlConnectionStringBuilder(_server) { Database = _database }.ConnectionString,
            ["Workflows__Auth__SigningKey"] = key,
            ["Workflows__Auth__DemoUsers"] = "true",
            ["Workflows__Bus__Transport"] = "RabbitMq",
            ["Workflows__Bus__RabbitMq__Host"] = broker.Host,
            ["Workflows__Bus__RabbitMq__Port"] = broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Workflows__Bus__RabbitMq__Username"] = broker.Username,
            ["Workflows__Bus__RabbitMq__Password"] = broker.Password,
            ["Workflows__Bus__RabbitMq__VirtualHost"] = broker.VirtualHost,
        });

        // The central admin's token is of the test's making (no demo user is central): signed with the configured key.
        await File.WriteAllTextAsync(Path.Combine(_host.Directory, "signing-key.dev"), key);
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

    private HttpClient Central() => _host.WithToken(("sub", "cora"), ("role", "branch-admin"), ("branch", "*"));

    private static async Task<string> DetailAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.JsonAsync(expected);
        return body.GetProperty("detail").GetString()!;
    }

    private static async Task<int> PinAsync(HttpClient staff, string branch) =>
        (await staff.GetJsonAsync($"/api/branches/{branch}")).GetProperty("pins").GetProperty("complaint").GetInt32();

    /// <summary>A new version of the complaint: the standard's XML with another name, deployed by the analyst.</summary>
    private async Task<(int Standard, int Next)> NewComplaintVersionAsync()
    {
        var alice = await _host.As("alice");
        var standard = await PinAsync(alice, "paris-01");
        var xml = await alice.GetStringAsync(new Uri($"/api/definitions/complaint/versions/{standard}/xml", UriKind.Relative));
        using var content = new StringContent(xml.Replace("name=\"Complaint\"", $"name=\"Complaint {Guid.NewGuid():N}\"", StringComparison.Ordinal), System.Text.Encoding.UTF8, "application/xml");
        using var deployed = await alice.PostAsync(new Uri("/api/definitions", UriKind.Relative), content);
        var body = await deployed.JsonAsync(HttpStatusCode.Created);
        var next = body.GetProperty("processes").EnumerateArray().Single(p => p.GetProperty("processId").GetString() == "complaint").GetProperty("version").GetInt32();
        return (standard, next);
    }

    [Test]
    public async Task A_rollout_in_two_waves_with_a_rollback_through_the_API()
    {
        var (alice, bruno, ann, carla, cora) = (await _host.As("alice"), await _host.As("bruno"), await _host.As("ann"), await _host.As("carla"), Central());
        var (v1, v2) = await NewComplaintVersionAsync();
        var plan = new { journey = "complaint", version = v2, waves = new object[] { new { name = "pilot", branches = new[] { "paris-01" } }, new { name = "France", branches = new[] { "lyon-01" } } }, reason = "the new complaint answers sooner" };

        using var unapproved = await cora.PostAsJsonAsync("/api/rollouts", plan);
        Assert.That(await DetailAsync(unapproved, HttpStatusCode.Conflict), Does.Contain("not approved"));
        using var brunoApproves = await bruno.PostAsJsonAsync($"/api/definitions/complaint/versions/{v2}/approval", new { reason = "mine" });
        Assert.That(brunoApproves.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "approving is the analysts'");
        using var noReason = await alice.PostAsJsonAsync($"/api/definitions/complaint/versions/{v2}/approval", new { reason = "" });
        Assert.That(await DetailAsync(noReason, HttpStatusCode.BadRequest), Does.Contain("reason"));
        using var ownVersion = await alice.PostAsJsonAsync($"/api/definitions/complaint/versions/{v2}/approval", new { reason = "mine" });
        Assert.That(await DetailAsync(ownVersion, HttpStatusCode.Conflict), Is.EqualTo($"alice deployed version {v2} of 'complaint' and may not approve it too (four-eyes rule): another analyst approves it"));
        var approved = await (await _host.As("ines")).ApproveAsync("complaint", v2, "reviewed with the front office");
        Assert.That(approved.GetProperty("stage").GetString(), Is.EqualTo("approved"));

        using var localAdmin = await bruno.PostAsJsonAsync("/api/rollouts", plan);
        Assert.That(await DetailAsync(localAdmin, HttpStatusCode.Forbidden), Does.Contain("central branch administrator"));
        using var customer = await carla.PostAsJsonAsync("/api/rollouts", plan);
        Assert.That(customer.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        var planned = await cora.PostJsonAsync("/api/rollouts", plan, HttpStatusCode.Created);
        var id = planned.GetProperty("id").GetString()!;
        using var secondPlan = await cora.PostAsJsonAsync("/api/rollouts", plan);
        Assert.That(await DetailAsync(secondPlan, HttpStatusCode.Conflict), Does.Contain(id));

        // Wave 1: the pilot runs v2; a case started there runs v2, Lyon still v1.
        using var brunoAdvances = await bruno.PostAsJsonAsync($"/api/rollouts/{id}/advance", new { reason = "mine", wave = "pilot" });
        Assert.That(brunoAdvances.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        var pilot = await cora.PostJsonAsync($"/api/rollouts/{id}/advance", new { reason = "pilot in Paris", wave = "pilot" });
        var pilotCase = await ann.StartAsync("complaint", new { customerId = "cust-1001", summary = "billed twice" });
        var figures = await (await _host.As("sofia")).GetJsonAsync($"/api/rollouts/{id}/figures");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(pilot.GetProperty("status").GetString(), Is.EqualTo("inProgress"));
            Assert.That(await PinAsync(alice, "paris-01"), Is.EqualTo(v2));
            Assert.That(await PinAsync(alice, "lyon-01"), Is.EqualTo(v1));
            Assert.That((await ann.GetJsonAsync($"/api/instances/{pilotCase}")).GetProperty("version").GetInt32(), Is.EqualTo(v2));
            Assert.That(figures.GetProperty("branches").EnumerateArray().Select(b => b.GetString()), Is.EqualTo(new[] { "paris-01" }));
            Assert.That(figures.GetProperty("candidate").GetProperty("version").GetInt32(), Is.EqualTo(v2));
            Assert.That(figures.GetProperty("candidate").GetProperty("cases").GetInt32(), Is.EqualTo(1));
            Assert.That(figures.GetProperty("previous").EnumerateArray().Select(p => p.GetProperty("version").GetInt32()), Does.Contain(v1));
        }

        // An advance names its wave (review10-18 F8): the pilot's second click, or its retry on another node, is refused
        // instead of pinning France unseen; no wave, or one the rollout has not, is 400 naming wave.
        using var again = await cora.PostAsJsonAsync($"/api/rollouts/{id}/advance", new { reason = "pilot in Paris", wave = "pilot" });
        Assert.That(await DetailAsync(again, HttpStatusCode.Conflict), Does.Contain("wave 'pilot'").And.Contain("pinned already").And.Contain("the next wave is 'France'"));
        using var noWave = await cora.PostAsJsonAsync($"/api/rollouts/{id}/advance", new { reason = "go" });
        Assert.That(await DetailAsync(noWave, HttpStatusCode.BadRequest), Does.StartWith("wave:").And.Contain("'France'"));
        using var otherWave = await cora.PostAsJsonAsync($"/api/rollouts/{id}/advance", new { reason = "go", wave = "Spain" });
        Assert.That(await DetailAsync(otherWave, HttpStatusCode.BadRequest), Does.Contain("no wave 'Spain'"));
        Assert.That(await PinAsync(alice, "lyon-01"), Is.EqualTo(v1), "nothing pinned by a refused step");

        // Wave 2, then the rollback: every branch back on v1, the running case still on v2.
        var completed = await cora.PostJsonAsync($"/api/rollouts/{id}/advance", new { reason = "pilot figures hold", wave = "France" });
        var rolledOut = (await alice.GetJsonAsync("/api/definitions/complaint/lifecycle")).EnumerateArray().Single(v => v.GetProperty("version").GetInt32() == v2);
        var rolledBack = await cora.PostJsonAsync($"/api/rollouts/{id}/rollback", new { reason = "repeat complaints rose in Lyon" });
        var afterwards = (await alice.GetJsonAsync("/api/definitions/complaint/lifecycle")).EnumerateArray().Single(v => v.GetProperty("version").GetInt32() == v2);
        var steps = (await bruno.GetJsonAsync($"/api/rollouts/{id}")).GetProperty("steps").EnumerateArray()
            .Select(s => (s.GetProperty("action").GetString(), s.GetProperty("actor").GetString(), s.GetProperty("reason").GetString())).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(completed.GetProperty("status").GetString(), Is.EqualTo("completed"));
            Assert.That(rolledOut.GetProperty("stage").GetString(), Is.EqualTo("rolledOut"));
            Assert.That(rolledOut.GetProperty("approvedBy").GetString(), Is.EqualTo("ines"));
            Assert.That(rolledBack.GetProperty("status").GetString(), Is.EqualTo("rolledBack"));
            Assert.That(await PinAsync(alice, "paris-01"), Is.EqualTo(v1));
            Assert.That(await PinAsync(alice, "lyon-01"), Is.EqualTo(v1));
            Assert.That(afterwards.GetProperty("stage").GetString(), Is.EqualTo("approved"));
            Assert.That((await ann.GetJsonAsync($"/api/instances/{pilotCase}")).GetProperty("version").GetInt32(), Is.EqualTo(v2), "in-flight work stays on its version");
            Assert.That(steps, Is.EqualTo(new (string?, string?, string?)[]
            {
                ("planned", "cora", "the new complaint answers sooner"), ("wave-pinned", "cora", "pilot in Paris"),
                ("wave-pinned", "cora", "pilot figures hold"), ("rolled-back", "cora", "repeat complaints rose in Lyon"),
            }));
        }

        using var unknown = await cora.PostAsJsonAsync($"/api/rollouts/{Guid.NewGuid()}/advance", new { reason = "x", wave = "pilot" });
        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        using var cancelled = await ann.PostAsync(new Uri($"/api/instances/{pilotCase}/cancel", UriKind.Relative), null);
        Assert.That(cancelled.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
    }

    [Test]
    public async Task A_branch_admin_sets_its_own_branchs_parameters_within_their_bounds_and_the_drift_report_shows_its_branch()
    {
        var (alice, bruno, sofia) = (await _host.As("alice"), await _host.As("bruno"), await _host.As("sofia"));
        var declared = await bruno.GetJsonAsync("/api/branches/paris-01/parameters/complaint");
        var authority = declared.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "frontDeskAuthority");

        using var above = await bruno.PutAsJsonAsync("/api/branches/paris-01/parameters/complaint", new { values = new { frontDeskAuthority = 9000 } });
        using var undeclared = await bruno.PutAsJsonAsync("/api/branches/paris-01/parameters/complaint", new { values = new { colour = "red" } });
        using var nested = await bruno.PutAsJsonAsync("/api/branches/paris-01/parameters/complaint", new { values = new { frontDeskAuthority = new { a = 1 } } });
        using var otherBranch = await bruno.PutAsJsonAsync("/api/branches/lyon-01/parameters/complaint", new { values = new { frontDeskAuthority = 10 } });
        using var unknownBranch = await bruno.PutAsJsonAsync("/api/branches/nowhere/parameters/complaint", new { values = new { frontDeskAuthority = 10 } });
        using var set = await bruno.PutAsJsonAsync("/api/branches/paris-01/parameters/complaint", new { values = new { frontDeskAuthority = 300 } });
        var saved = await set.JsonAsync(HttpStatusCode.OK);
        var seenByBruno = await bruno.GetJsonAsync("/api/drift?journey=complaint");
        var seenByAlice = await alice.GetJsonAsync("/api/drift?journey=complaint");
        var seenBySofia = await sofia.GetJsonAsync("/api/drift?journey=complaint");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(authority.GetProperty("type").GetString(), Is.EqualTo("number"));
            Assert.That(authority.GetProperty("max").GetString(), Is.EqualTo("5000"));
            Assert.That(await DetailAsync(above, HttpStatusCode.BadRequest), Is.EqualTo("parameter 'frontDeskAuthority' is 9000, above its maximum 5000"));
            Assert.That(await DetailAsync(undeclared, HttpStatusCode.BadRequest), Does.Contain("declares no parameter 'colour'"));
            Assert.That(await DetailAsync(nested, HttpStatusCode.BadRequest), Does.Contain("values.frontDeskAuthority"));
            Assert.That(otherBranch.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(unknownBranch.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(saved.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "frontDeskAuthority").GetProperty("value").GetString(), Is.EqualTo("300"));
            Assert.That(seenByBruno.EnumerateArray().Select(r => r.GetProperty("branchId").GetString()), Is.EqualTo(new[] { "paris-01" }));
            Assert.That(seenBySofia.EnumerateArray().Select(r => r.GetProperty("branchId").GetString()), Is.EqualTo(new[] { "paris-01" }));
            Assert.That(seenByAlice.EnumerateArray().Select(r => r.GetProperty("branchId").GetString()), Is.EquivalentTo(new[] { "paris-01", "lyon-01" }));
            Assert.That(seenByBruno[0].GetProperty("differences").EnumerateArray().Select(d => d.GetProperty("name").GetString()), Is.EqualTo(new[] { "frontDeskAuthority" }));
        }
    }
}
