using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>A command's history encoded as UTF-8 on its caller's thread (SQLite) reads back as written.</summary>
public sealed class SqliteHistoryTextTests
{
    [Test]
    public async Task Non_ascii_and_astral_texts_in_history_read_back_the_same_and_are_stored_as_text()
    {
        var directory = Path.Combine(Path.GetTempPath(), "wf-history-text-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        var options = new SqlStoreOptions { Provider = SqlProvider.Sqlite, ConnectionString = $"Data Source={Path.Combine(directory, "h.db")}" };
        await SqlWorkflowEngine.MigrateAsync(options);
        var store = new SqlWorkflowStore(SqlDialect.For(SqlProvider.Sqlite), options.ConnectionString);
        var engine = new WorkflowEngine(store, new WorkflowEngineOptions(), TimeProvider.System, NullLogger.Instance);
        await engine.Deployments.DeployAsync(Process("h", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("w", """<bpmn:extensionElements><wf:userTask candidateGroups="h-q"/></bpmn:extensionElements>""")}
            <bpmn:endEvent id="end"/>
            {Chain("start", "w", "end")}
            """));
        const string user = "élodie 😀";
        const string other = "zoé \u2028 \"q\" \\ 𝄞 ✓";
        var instance = await engine.Runtime.StartAsync(new StartInstance("h"));
        var task = (await engine.Tasks.GetOpenAsync(instance)).Single().Id;
        // Commands at once, so that SQLite's writer takes several in a group.
        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => engine.Runtime.StartAsync(new StartInstance("h"))));
        await engine.Tasks.ClaimAsync(task, user);
        await engine.Tasks.DelegateAsync(task, user, other);
        var history = await engine.Queries.GetHistoryAsync(instance);
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection(options.ConnectionString);
        await connection.OpenAsync();
        var types = (await connection.QueryAsync<string>("SELECT DISTINCT typeof(events) FROM wf_history_commands")).ToList();
        var invalid = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM wf_history_commands WHERE NOT json_valid(events)");
        TestContext.Out.WriteLine(string.Join("\n", history.Select(h => $"{h.Kind} {h.Actor} {h.Detail}")));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(types, Is.EqualTo(new[] { "text" }));
            Assert.That(invalid, Is.Zero);
            Assert.That(history.Select(h => h.Actor), Does.Contain(user));
            Assert.That(history.Select(h => h.Detail), Does.Contain(other));
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
    }
}
