using System.Net;
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;

namespace Workflows.Host.Tests;

/// <summary>
/// A deployed decision version whose stored DMN no longer reads (its row edited in the database): evaluating and
/// comparing it are a conflict naming the version, never a server failure (review18 F16).
/// </summary>
[NonParallelizable]
public sealed class UnreadableDecisionApiTests
{
    private static string Dmn(string id, int limit) => $$"""
        <definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="Levels" namespace="urn:api">
          <decision id="{{id}}" name="Approval level"><decisionTable hitPolicy="UNIQUE">
            <input label="Amount"><inputExpression typeRef="number"><text>amount</text></inputExpression></input><output name="level" typeRef="string"/>
            <rule id="small"><inputEntry><text>&lt;= {{limit}}</text></inputEntry><outputEntry><text>"agent"</text></outputEntry></rule>
            <rule id="large"><inputEntry><text>&gt; {{limit}}</text></inputEntry><outputEntry><text>"manager"</text></outputEntry></rule>
          </decisionTable></decision>
        </definitions>
        """;

    [Test]
    public async Task A_stored_version_that_no_longer_reads_is_a_conflict_naming_it_on_evaluate_and_compare()
    {
        await using var host = TestHost.Start();
        var analyst = await host.As("alice");
        foreach (var limit in new[] { 1000, 2000 })
        {
            using var deployed = await analyst.PostAsync(new Uri("/api/decisions", UriKind.Relative), new StringContent(Dmn("corrupt-route", limit), System.Text.Encoding.UTF8, "application/xml"));
            Assert.That(deployed.IsSuccessStatusCode, Is.True, await deployed.Content.ReadAsStringAsync());
        }

        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(host.Directory, "host.db")}"))
        {
            await connection.OpenAsync();
            await using var tamper = connection.CreateCommand();
            // The version's document (migration 0029: stored once, the version refers to it).
            tamper.CommandText = "UPDATE wf_decision_documents SET xml = '<definitions>broken' WHERE id = (SELECT document_id FROM wf_decision_definitions WHERE decision_id = 'corrupt-route' AND version = 1)";
            Assert.That(await tamper.ExecuteNonQueryAsync(), Is.EqualTo(1));
        }

        var agent = await host.As("ann");
        using var evaluated = await agent.PostAsJsonAsync("/api/decisions/corrupt-route/evaluate", new { version = 1, variables = new { amount = 5 } });
        using var compared = await agent.GetAsync(new Uri("/api/decisions/corrupt-route/compare?from=1&to=2", UriKind.Relative));
        using var readable = await agent.PostAsJsonAsync("/api/decisions/corrupt-route/evaluate", new { version = 2, variables = new { amount = 5 } });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await evaluated.ProblemAsync(HttpStatusCode.Conflict), Does.Contain("decision 'corrupt-route' version 1 is stored but is no DMN any more"));
            Assert.That(await compared.ProblemAsync(HttpStatusCode.Conflict), Does.Contain("decision 'corrupt-route' version 1 is stored but is no DMN any more"));
            Assert.That(readable.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the other version still evaluates");
        }
    }
}
