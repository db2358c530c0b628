using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Workflows.Engine;
using Workflows.Engine.MassTransit.Tests;

namespace Workflows.Host.Tests;

/// <summary>
/// Issue 16's acceptance for instance migration, through HTTP: 1,000 running complaints of one branch move from the
/// library's version to one with a renamed task (mapped) and a new step; the dry run lists the reasons of those that
/// cannot move, the run completes, and tasks and SLA clocks keep their due times — on SQLite, and on PostgreSQL with RabbitMQ.
/// </summary>
[TestFixture("Sqlite")]
[TestFixture("PostgreSql")]
[NonParallelizable]
public sealed class MigrationApiTests(string provider)
{
    private const int Complaints = 1000;
    private readonly string _database = "wf_migration_" + Guid.NewGuid().ToString("N")[..12];
    private string _server = "";
    private TestHost _host = null!;
    private RabbitMqTestBroker? _broker;

    [OneTimeSetUp]
    public async Task StartTheHost()
    {
        if (provider == "Sqlite")
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
            ["Workflows__Auth__SigningKey"] = key,
            ["Workflows__Auth__DemoUsers"] = "true",
            ["Workflows__Store__Provider"] = "PostgreSql",
            ["Workflows__Store__ConnectionString"] = new NpgsqlConnectionStringBuilder(_server) { Database = _database }.ConnectionString,
            ["Workflows__Bus__Transport"] = "RabbitMq",
            ["Workflows__Bus__RabbitMq__Host"] = broker.Host,
            ["Workflows__Bus__RabbitMq__Port"] = broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Workflows__Bus__RabbitMq__Username"] = broker.Username,
            ["Workflows__Bus__RabbitMq__Password"] = broker.Password,
            ["Workflows__Bus__RabbitMq__VirtualHost"] = broker.VirtualHost,
            ["Workflows__Bus__PollInterval"] = "00:00:00.200",
        });

        // Tokens made by the tests are signed as the development key's are: with the key the host was given.
        await File.WriteAllTextAsync(Path.Combine(_host.Directory, "signing-key.dev"), key);
    }

    [OneTimeTearDown]
    public async Task StopTheHost()
    {
        await _host.DisposeAsync();
        if (provider == "PostgreSql")
        {
            NpgsqlConnection.ClearAllPools();
            await using (var connection = new NpgsqlConnection(_server))
            {
                await connection.OpenAsync();
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", connection);
                await drop.ExecuteNonQueryAsync();
            }

            await _broker!.DisposeAsync();
        }
    }

    private WorkflowEngine Engine => _host.Factory.Services.GetRequiredService<WorkflowEngine>();

    private static readonly object s_plan = new { journey = "complaint", targetVersion = 2, mappings = new[] { new { source = "register", target = "register_complaint" } } };

    [Test]
    public async Task A_thousand_running_complaints_move_to_a_version_with_a_renamed_task_and_a_new_step_and_keep_their_due_times()
    {
        var engine = Engine;
        var ids = await StartComplaintsAsync(engine);
        var before = await WaitPointsAsync(engine, ids);

        // The analyst deploys version 2; the branch administrator pins it for the branch, then looks before migrating.
        var v1 = Processes.JourneyLibrary.All.Single(j => j.Name.EndsWith("complaints.bpmn", StringComparison.Ordinal)).Xml;
        using (var deployed = await (await _host.As("alice")).PostAsync(new Uri("/api/definitions", UriKind.Relative), new StringContent(ComplaintVersions.Version2(v1), System.Text.Encoding.UTF8, "application/xml")))
        {
            Assert.That(deployed.StatusCode, Is.EqualTo(HttpStatusCode.Created), await deployed.Content.ReadAsStringAsync());
        }

        await (await _host.As("ines")).ApproveAsync("complaint", 2);
        var bruno = await _host.As("bruno");
        using (var pinned = await bruno.PutAsJsonAsync("/api/branches/paris-01/pins/complaint", new { version = 2 }))
        {
            Assert.That(pinned.StatusCode, Is.EqualTo(HttpStatusCode.OK), await pinned.Content.ReadAsStringAsync());
        }

        var preview = new List<JsonElement>();
        for (string? after = null; ;)
        {
            var page = await bruno.PostJsonAsync("/api/migrations/dry-run", new { journey = "complaint", targetVersion = 2, mappings = new[] { new { source = "register", target = "register_complaint" } }, after, max = 200 });
            preview.AddRange(page.GetProperty("instances").EnumerateArray());
            if (page.GetProperty("next").ValueKind == JsonValueKind.Null)
            {
                break;
            }

            after = page.GetProperty("next").GetString();
        }

        var refused = preview.Where(p => !p.GetProperty("canMigrate").GetBoolean()).ToList();
        var started = System.Diagnostics.Stopwatch.StartNew();
        var migration = await bruno.PostJsonAsync("/api/migrations", new { journey = "complaint", targetVersion = 2, mappings = new[] { new { source = "register", target = "register_complaint" } }, reason = "register renamed, quality check added" }, HttpStatusCode.Created);
        var id = migration.GetProperty("id").GetString();
        JsonElement progress;
        do
        {
            await Task.Delay(250);
            progress = await bruno.GetJsonAsync($"/api/migrations/{id}");
            Assert.That(started.Elapsed, Is.LessThan(TimeSpan.FromMinutes(5)), "the migration completes");
        }
        while (progress.GetProperty("state").GetString() != "completed");

        await TestContext.Progress.WriteLineAsync($"{provider}: {Complaints} complaints migrated (or refused) in {started.Elapsed.TotalSeconds:N1} s through HTTP and the host's worker");
        var after2 = await WaitPointsAsync(engine, ids);
        var failed = await bruno.GetJsonAsync($"/api/migrations/{id}/results?max=200");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(preview, Has.Count.EqualTo(Complaints));
            Assert.That(refused, Has.Count.EqualTo(Complaints / 10), "the cases at the survey, which version 2 no longer has");
            Assert.That(refused.Select(r => r.GetProperty("reasons")[0].GetString()).Distinct(), Is.EqualTo(new[] { "'survey' is active and version 2 has no element 'survey': map it to one" }));
            Assert.That(preview.SelectMany(p => p.GetProperty("moves").EnumerateArray()).Select(m => m.GetString()), Does.Contain("register → register_complaint"));
            Assert.That((progress.GetProperty("done").GetInt32(), progress.GetProperty("failed").GetInt32()), Is.EqualTo((Complaints * 9 / 10, Complaints / 10)));
            Assert.That(failed.EnumerateArray().Where(r => r.GetProperty("status").GetString() == "failed").Select(r => r.GetProperty("detail").GetString()),
                Is.Not.Empty.And.All.EndsWith("'survey' is active and version 2 has no element 'survey': map it to one"));
            foreach (var (instance, points) in before)
            {
                var now = after2[instance];
                var moved = points.Version == 1 && !points.Tasks.Contains("survey");
                Assert.That(now.Version, Is.EqualTo(moved ? 2 : 1), $"instance {instance}");
                Assert.That(now.TaskIds, Is.EqualTo(points.TaskIds), "tasks keep their ids");
                Assert.That(now.Tasks, Is.EqualTo(moved ? points.Tasks.Select(t => t == "register" ? "register_complaint" : t).ToList() : points.Tasks));
                Assert.That(now.Clocks, Is.EqualTo(points.Clocks), "clocks keep their ids and due times");
            }
        }

        // A migrated case goes on on version 2: the renamed task completes, and the new step comes before the answer.
        var ann = await _host.As("ann");
        var atRegister = before.First(p => p.Value.Tasks.SequenceEqual(["register"])).Key;
        var task = (await engine.Tasks.GetOpenAsync(atRegister)).Single();
        await ann.PostJsonAsync($"/api/tasks/{task.Id}/complete", new { variables = new { category = "billing", amount = 50, summary = "overcharged" } }, HttpStatusCode.NoContent);
        var resolve = (await engine.Tasks.GetOpenAsync(atRegister)).Single();
        await ann.PostJsonAsync($"/api/tasks/{resolve.Id}/complete", new { variables = new { resolution = "refunded", refund = 50 } }, HttpStatusCode.NoContent);
        Assert.That((await engine.Tasks.GetOpenAsync(atRegister)).Single().ElementId, Is.EqualTo("check_quality"));
    }

    [Test]
    public async Task A_migration_is_refused_for_another_branch_a_customer_and_a_plan_that_does_not_fit()
    {
        var lyon = _host.WithToken(("sub", "olga"), ("role", "operator"), ("branch", "lyon-01"));
        using var otherBranch = await lyon.PostAsJsonAsync("/api/migrations/dry-run", new { journey = "complaint", targetVersion = 1, selection = new { branch = "paris-01" } });
        using var customer = await (await _host.As("carla")).PostAsJsonAsync("/api/migrations", s_plan);
        using var misfit = await (await _host.As("bruno")).PostAsJsonAsync("/api/migrations/dry-run",
            new { journey = "complaint", targetVersion = 1, mappings = new[] { new { source = "register", target = "no_such_step" } } });
        using var unknown = await (await _host.As("bruno")).PostAsJsonAsync("/api/migrations/dry-run", new { journey = "complaint", targetVersion = 99 });
        using var noReason = await (await _host.As("bruno")).PostAsJsonAsync("/api/migrations", new { journey = "complaint", targetVersion = 1 });
        var misfitProblem = await misfit.JsonAsync(HttpStatusCode.BadRequest);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(otherBranch.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(customer.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(misfitProblem.GetProperty("detail").GetString(), Does.Contain("mappings[0]: version 1 of 'complaint' has no element 'no_such_step'"));
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(noReason.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        }
    }

    private static async Task<List<Guid>> StartComplaintsAsync(WorkflowEngine engine)
    {
        // As the API starts a case: its number is its business key and correlation key. Every customer is new, so no
        // case is a repeat complaint, and the amount decides the path.
        var ids = new List<Guid>(Complaints);
        for (var i = 0; i < Complaints; i++)
        {
            var key = $"MIG-{Guid.NewGuid():N}"[..16];
            ids.Add(await engine.Runtime.StartAsync(new StartInstance("complaint")
            {
                BusinessKey = key, UniqueBusinessKey = true, Branch = "paris-01",
                Variables = new Dictionary<string, object?> { ["caseId"] = key, ["customerId"] = $"cust-mig-{key}" },
            }));
        }

        // The history lookup runs in the host's worker; then 7 in 10 wait at registration, one at the front desk's
        // resolution, one at the back office's answer, one at the survey.
        for (var i = 0; i < ids.Count; i++)
        {
            var register = await OpenTaskAsync(engine, ids[i]);
            switch (i % 10)
            {
                case 7:
                    await engine.Tasks.CompleteAsync(register.Id, Form(50));
                    break;
                case 8:
                    await engine.Tasks.CompleteAsync(register.Id, Form(5000));
                    break;
                case 9:
                    await engine.Tasks.CompleteAsync(register.Id, Form(50));
                    await engine.Tasks.CompleteAsync((await OpenTaskAsync(engine, ids[i])).Id, new Dictionary<string, object?> { ["resolution"] = "refunded", ["refund"] = 50 });
                    await engine.Tasks.CompleteAsync((await OpenTaskAsync(engine, ids[i])).Id, new Dictionary<string, object?> { ["response"] = "sorry, refunded" });
                    break;
            }
        }

        return ids;
    }

    private static Dictionary<string, object?> Form(int amount) => new() { ["category"] = "billing", ["amount"] = amount, ["summary"] = "overcharged" };

    private static async Task<UserTaskInfo> OpenTaskAsync(WorkflowEngine engine, Guid instance)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            if (await engine.Tasks.GetOpenAsync(instance) is [var task, ..])
            {
                return task;
            }

            Assert.That(waited.Elapsed, Is.LessThan(TimeSpan.FromMinutes(2)), $"instance {instance} reaches a task");
            await Task.Delay(50);
        }
    }

    private sealed record WaitPoints(int Version, List<string> Tasks, List<Guid> TaskIds, List<string> Clocks);

    private static async Task<Dictionary<Guid, WaitPoints>> WaitPointsAsync(WorkflowEngine engine, List<Guid> ids)
    {
        var result = new Dictionary<Guid, WaitPoints>();
        foreach (var id in ids)
        {
            var snapshot = await engine.Queries.GetInstanceAsync(id);
            var tasks = (await engine.Tasks.GetOpenAsync(id)).OrderBy(t => t.Id).ToList();
            var clocks = (await engine.ServiceLevels.GetClocksAsync(id)).Where(c => c.EndedAt is null)
                .Select(c => $"{c.Id} {c.TargetAt:O}").Order(StringComparer.Ordinal).ToList();
            result[id] = new WaitPoints(snapshot.Version, tasks.Select(t => t.ElementId).ToList(), tasks.Select(t => t.Id).ToList(), clocks);
        }

        return result;
    }
}
