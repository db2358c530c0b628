using System.Data.Common;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Workflows.Host.Tests;

/// <summary>
/// Issue 15's acceptance for batch operations: 500 instances cancelled by a batch whose host process is killed (SIGKILL)
/// halfway and started again on the same store — every instance cancelled once, every result written once.
/// </summary>
[TestFixture("Sqlite")]
[TestFixture("PostgreSql")]
[NonParallelizable]
public sealed class BatchCrashTests(string provider)
{
    private const int Instances = 500;
    private static readonly TimeSpan s_deadline = TimeSpan.FromMinutes(3);
    private readonly string _signingKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    private readonly string _database = "wf_batchcrash_" + Guid.NewGuid().ToString("N")[..12];
    private string _directory = "";
    private string _connectionString = "";

    [OneTimeSetUp]
    public async Task CreateTheStore()
    {
        _directory = Directory.CreateTempSubdirectory("workflows-batchcrash-").FullName;
        if (provider == "Sqlite")
        {
            _connectionString = $"Data Source={Path.Combine(_directory, "host.db")}";
            return;
        }

        var server = Environment.GetEnvironmentVariable("WORKFLOWS_TEST_POSTGRES")
            ?? throw new InvalidOperationException("WORKFLOWS_TEST_POSTGRES is not set: run ./scripts/test.sh, which provisions PostgreSQL and sets it");
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {_database}", connection);
            await create.ExecuteNonQueryAsync();
        }

        _connectionString = new NpgsqlConnectionStringBuilder(server) { Database = _database }.ConnectionString;
    }

    [OneTimeTearDown]
    public async Task DropTheStore()
    {
        SqliteConnection.ClearAllPools();
        NpgsqlConnection.ClearAllPools();
        if (provider == "PostgreSql")
        {
            await using var connection = new NpgsqlConnection(Environment.GetEnvironmentVariable("WORKFLOWS_TEST_POSTGRES"));
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }

    [Test]
    public async Task A_batch_cancelling_500_instances_survives_its_host_killed_halfway_and_cancels_each_once()
    {
        var url = $"http://127.0.0.1:{FreePort()}";
        string batchId;
        int doneAtKill;
        List<string> ids;
        using (var first = StartHost(url))
        {
            using var alice = await SignInAsync(url, first, "alice");
            using var ann = await SignInAsync(url, first, "ann");
            using var olga = Operator(url);
            var journey = await DeployAsync(alice);
            ids = await StartManyAsync(ann, journey);

            using var created = await olga.PostAsJsonAsync("api/batches", new { kind = "cancel", selection = new { journey }, reason = "journey withdrawn" });
            var batch = await created.JsonAsync(HttpStatusCode.Created);
            batchId = batch.GetProperty("id").GetString()!;
            Assert.That(batch.GetProperty("total").GetInt32(), Is.EqualTo(Instances));

            var watch = Stopwatch.StartNew();
            do
            {
                doneAtKill = (await olga.GetFromJsonAsync<JsonElement>($"api/batches/{batchId}")).GetProperty("done").GetInt32();
            }
            while (doneAtKill < 50 && watch.Elapsed < s_deadline);

            first.Kill(entireProcessTree: true); // SIGKILL mid-batch: leases stay taken, nothing shuts down
            await first.WaitForExitAsync();
        }

        Assert.That(doneAtKill, Is.InRange(50, Instances - 1), "the host was killed with the batch halfway");

        JsonElement finished;
        using (var second = StartHost(url))
        {
            await SignInAsync(url, second, "ann");
            using var olga = Operator(url);
            var watch = Stopwatch.StartNew();
            while ((finished = await olga.GetFromJsonAsync<JsonElement>($"api/batches/{batchId}")).GetProperty("state").GetString() != "completed" && watch.Elapsed < s_deadline)
            {
                await Task.Delay(200);
            }

            second.Kill(entireProcessTree: true);
            await second.WaitForExitAsync();
        }

        var counts = await CountsAsync(ids);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(finished.GetProperty("state").GetString(), Is.EqualTo("completed"), finished.ToString());
            Assert.That(finished.GetProperty("done").GetInt32(), Is.EqualTo(Instances), finished.ToString());
            Assert.That(counts.Cancelled, Is.EqualTo(Instances), "every instance is cancelled");
            Assert.That(counts.CancelledRows, Is.EqualTo(Instances), "each instance was cancelled once");
            Assert.That(counts.BatchRows, Is.EqualTo(Instances), "each instance's batch operation is in its history once");
        }
    }

    private async Task<(long Cancelled, long CancelledRows, long BatchRows)> CountsAsync(List<string> ids)
    {
        SqliteConnection.ClearAllPools();
        await using DbConnection db = provider == "Sqlite" ? new SqliteConnection(_connectionString + ";Pooling=False") : new NpgsqlConnection(_connectionString);
        await db.OpenAsync();
        async Task<long> Count(string sql)
        {
            await using var command = db.CreateCommand();
            command.CommandText = sql;
            return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        }

        var batchInstances = "(SELECT instance_id FROM wf_batch_items)";
        return (
            await Count($"SELECT COUNT(*) FROM wf_instances WHERE status = 3 AND id IN {batchInstances}"),
            await Count($"SELECT COUNT(*) FROM wf_history WHERE kind = 'instance-cancelled' AND instance_id IN {batchInstances}"),
            await Count($"SELECT COUNT(*) FROM wf_history WHERE kind = 'batch-operation' AND instance_id IN {batchInstances}"));
    }

    private static async Task<string> DeployAsync(HttpClient alice)
    {
        var journey = "crash-batch";
        using var deployed = await alice.PostAsync(new Uri("api/definitions", UriKind.Relative), new StringContent($"""
            <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:wf="urn:workflows:bpmn:1.0" id="d" targetNamespace="t">
              <bpmn:process id="{journey}" isExecutable="true"><bpmn:extensionElements><wf:journey branch="=branch" customerId="=customerId"/></bpmn:extensionElements>
                <bpmn:startEvent id="s"/><bpmn:userTask id="t"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t"/></bpmn:process>
            </bpmn:definitions>
            """, System.Text.Encoding.UTF8, "application/xml"));
        Assert.That(deployed.IsSuccessStatusCode, Is.True, await deployed.Content.ReadAsStringAsync());
        return journey;
    }

    private static async Task<List<string>> StartManyAsync(HttpClient ann, string journey)
    {
        var ids = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Instances), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (_, ct) =>
        {
            using var start = await ann.PostAsJsonAsync("api/instances", new { journey, branch = "paris-01", variables = new { customerId = "c-batch" } }, ct);
            var started = await start.JsonAsync(HttpStatusCode.Created);
            ids.Add(started.GetProperty("id").GetString()!);
        });
        return [.. ids];
    }

    // An operator of the demo branch, with a token signed by the key the host was given.
    private HttpClient Operator(string url)
    {
        var key = new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(Convert.FromBase64String(_signingKey));
        var now = DateTime.UtcNow;
        var token = new System.IdentityModel.Tokens.Jwt.JwtSecurityToken("workflows", "workflows",
            [new("sub", "olga"), new("role", "operator"), new("branch", "paris-01"), new("jti", Guid.NewGuid().ToString("N"))], now, now.AddMinutes(30),
            new Microsoft.IdentityModel.Tokens.SigningCredentials(key, Microsoft.IdentityModel.Tokens.SecurityAlgorithms.HmacSha256));
        var client = new HttpClient { BaseAddress = new Uri(url + "/"), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", new System.IdentityModel.Tokens.Jwt.JwtSecurityTokenHandler().WriteToken(token));
        return client;
    }

    private static async Task<HttpClient> SignInAsync(string url, Process host, string user)
    {
        var client = new HttpClient { BaseAddress = new Uri(url + "/"), Timeout = TimeSpan.FromSeconds(60) };
        var watch = Stopwatch.StartNew();
        while (true)
        {
            Assert.That(host.HasExited, Is.False, "the host runs");
            try
            {
                using var response = await client.PostAsJsonAsync("api/auth/sign-in", new { username = user, password = "demo" });
                if (response.IsSuccessStatusCode)
                {
                    var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString();
                    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
                    return client;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            Assert.That(watch.Elapsed, Is.LessThan(s_deadline), "the host started listening");
            await Task.Delay(200);
        }
    }

    private Process StartHost(string url)
    {
        var root = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Workflows.sln")))
        {
            root = root.Parent;
        }

        var hostDirectory = Path.Combine(root!.FullName, "host", "bin", "Release", "net10.0");
        var dll = Path.Combine(hostDirectory, "Workflows.Host.dll");
        Assert.That(File.Exists(dll), Is.True, $"the host is built at {dll}");
        var start = new ProcessStartInfo("dotnet", [dll]) { WorkingDirectory = hostDirectory, UseShellExecute = false };
        start.Environment["Workflows__Store__Provider"] = provider;
        start.Environment["Workflows__Store__ConnectionString"] = _connectionString;
        start.Environment["Workflows__Auth__SigningKey"] = _signingKey;
        start.Environment["Workflows__Auth__DemoUsers"] = "true";
        start.Environment["Workflows__Auth__SignInPermitsPerMinute"] = "1000";
        start.Environment["Workflows__Engine__Worker__BatchChunkSize"] = "10";
        start.Environment["Workflows__Engine__Worker__LeaseDuration"] = "00:00:03";
        start.Environment["ASPNETCORE_URLS"] = url;
        return Process.Start(start)!;
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
