using Dapper;
using Microsoft.Data.Sqlite;
using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// SQLite lets a value's storage class vary from row to row: a state a tool left as TEXT (the sqlite3 shell, a dump and
/// restore, another writer) is read as its UTF-8 bytes by both readers, and no error about a stored row quotes a value
/// of it, since the values are the case's data that must not reach logs or problem details (review12 F6).
/// </summary>
public sealed class SqliteStoredClassTests
{
    private const string Secret = "FR76-3000-6000-0112-3456-7890-189";

    private string? _directory;
    private string? _file;
    private WorkflowEngine? _engine;

    [SetUp]
    public async Task CreateEngine()
    {
        _directory = Directory.CreateTempSubdirectory("workflows-classes-").FullName;
        _file = Path.Combine(_directory, "classes.db");
        _engine = await SqlWorkflowEngine.CreateAsync(new SqlStoreOptions { ConnectionString = $"Data Source={_file}" });
        await _engine.Deployments.DeployAsync(Process("desk", $"""
            <bpmn:startEvent id="start"/>{UserTask("first", """<bpmn:extensionElements><wf:userTask candidateGroups="desk"/></bpmn:extensionElements>""")}<bpmn:endEvent id="end"/>{Chain("start", "first", "end")}
            """));
    }

    [TearDown]
    public void DropDatabase()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory!, recursive: true);
    }

    [Test]
    public async Task A_state_stored_as_text_is_read_commanded_and_handed_out_as_its_bytes_would_be()
    {
        var engine = _engine!;
        var texted = await engine.Runtime.StartAsync(new StartInstance("desk") { Variables = new Dictionary<string, object?> { ["iban"] = Secret, ["n"] = 1m } });
        var blob = await engine.Runtime.StartAsync(new StartInstance("desk"));
        Assert.That(await ExecuteAsync("UPDATE wf_instances SET state = CAST(state AS TEXT) WHERE id = @id", texted), Is.EqualTo(1));
        Assert.That(await ScalarAsync<string>("SELECT typeof(state) FROM wf_instances WHERE id = @id", texted), Is.EqualTo("text"));

        var snapshot = await engine.Queries.GetInstanceAsync(texted);
        var handed = await engine.Tasks.ClaimNextAsync("bob", ["desk"]);
        var next = await engine.Tasks.ClaimNextAsync("ann", ["desk"]);
        await engine.Tasks.CompleteAsync(handed!.Id, null, "bob");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(snapshot.Variables["iban"], Is.EqualTo(Secret));
            Assert.That(snapshot.Variables["n"], Is.EqualTo(1m));
            Assert.That(handed.InstanceId, Is.EqualTo(texted), "the task of the TEXT state, first in the queue, is handed out");
            Assert.That(next!.InstanceId, Is.EqualTo(blob), "and the next one after it");
            Assert.That((await engine.Queries.GetInstanceAsync(texted)).Status, Is.EqualTo(Workflows.Engine.Runtime.ProcessInstanceStatus.Completed), "completed, its state written back");
        }
    }

    [Test]
    public async Task Both_readers_read_a_text_state_into_the_same_bytes_as_the_blob_it_was()
    {
        var id = await _engine!.Runtime.StartAsync(new StartInstance("desk") { Variables = new Dictionary<string, object?> { ["name"] = "Zoë 漢字 🎉" } });
        var store = new SqlWorkflowStore(SqlDialect.For(SqlProvider.Sqlite), $"Data Source={_file}");
        var blob = (await store.GetInstanceAsync(id, default))!.State;
        await ExecuteAsync("UPDATE wf_instances SET state = CAST(state AS TEXT) WHERE id = @id", id);
        var sessions = store.Sessions!;
        var session = await sessions.RentAsync(default);
        var byDriver = session.QueryByDriver<InstanceRow>("SELECT * FROM wf_instances WHERE id = @id", new { id });
        var stepped = session.Query<InstanceRow>("SELECT * FROM wf_instances WHERE id = @id", new { id });
        var joined = session.Query<UserTaskWithInstanceRow>($"SELECT {UserTaskWithInstanceRow.Columns} FROM wf_user_tasks t LEFT JOIN wf_instances i ON i.id = t.instance_id WHERE t.instance_id = @id", new { id });
        var read = sessions.ReadByDriver;
        sessions.Return(session);
        sessions.Dispose();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(byDriver.Single().State.Bytes, Is.EqualTo(blob), "Dapper, through the store's handler");
            Assert.That(stepped.Single().State.Bytes, Is.EqualTo(blob), "stepped by SQLite's own calls");
            Assert.That(joined.Single().Instance()!.State, Is.EqualTo(blob), "read with its task");
            Assert.That(read, Is.EqualTo(1), "only the read asked of the driver was the driver's");
        }
    }

    [Test]
    public async Task A_state_that_is_no_json_is_refused_as_unreadable_without_quoting_a_value_of_it()
    {
        var engine = _engine!;
        var id = await engine.Runtime.StartAsync(new StartInstance("desk") { Variables = new Dictionary<string, object?> { ["iban"] = Secret } });
        var good = await ScalarAsync<byte[]>("SELECT state FROM wf_instances WHERE id = @id", id);
        var json = System.Text.Encoding.UTF8.GetString(good);
        var at = json.IndexOf(Secret, StringComparison.Ordinal) + Secret.Length + 1;
        string[] corrupt =
        [
            json[..at] + "x" + json[at..], // not JSON just after the value
            json[..at] + ",\"iban\":\"" + Secret + "-2\"" + json[at..], // the name twice in one object
            json.Replace("\"iban\":\"", "\"big\":1e30,\"iban\":\"", StringComparison.Ordinal), // a number beyond FEEL's
            json.Replace("\"iban\":\"", "\"iban\":\"\\ud800", StringComparison.Ordinal), // an unpaired surrogate in the value
            json[..(at + 10)], // cut short
        ];

        using (Assert.EnterMultipleScope())
        {
            foreach (var state in corrupt)
            {
                await ExecuteAsync("UPDATE wf_instances SET state = CAST(@state AS BLOB) WHERE id = @id", id, state);
                var refused = Assert.ThrowsAsync<InstanceStateUnreadableException>(() => engine.Queries.GetInstanceAsync(id), state);
                Assert.That(refused!.ToString(), Does.Not.Contain("3000-6000").And.Not.Contain("1E+30").And.Not.Contain("1e30"), state);
                Assert.That(refused.InstanceId, Is.EqualTo(id));
            }
        }
    }

    [Test]
    public async Task A_column_of_another_class_than_its_member_takes_fails_the_read_naming_the_column_not_its_value()
    {
        var engine = _engine!;
        var id = await engine.Runtime.StartAsync(new StartInstance("desk") { Variables = new Dictionary<string, object?> { ["iban"] = Secret } });
        await ExecuteAsync("UPDATE wf_instances SET row_version = @secret WHERE id = @id", id, Secret);

        var refused = Assert.CatchAsync(() => engine.Queries.GetInstanceAsync(id));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused, Is.InstanceOf<InvalidDataException>());
            Assert.That(refused!.Message, Does.Contain("row_version").And.Contain("String"));
            Assert.That(refused.ToString(), Does.Not.Contain("3000-6000"), "neither the message nor a cause quotes the value");
        }
    }

    private async Task<int> ExecuteAsync(string sql, Guid id, string? state = null)
    {
        await using var connection = new SqliteConnection($"Data Source={_file}");
        return await connection.ExecuteAsync(sql, new { id = id.ToString().ToUpperInvariant(), state, secret = state });
    }

    private async Task<T> ScalarAsync<T>(string sql, Guid id)
    {
        await using var connection = new SqliteConnection($"Data Source={_file}");
        return (await connection.ExecuteScalarAsync<T>(sql, new { id = id.ToString().ToUpperInvariant() }))!;
    }
}
