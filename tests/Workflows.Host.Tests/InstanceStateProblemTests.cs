using System.Net;
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;

namespace Workflows.Host.Tests;

/// <summary>
/// An instance whose stored state cannot be read answers a problem naming it and what is wrong (not 500), and concurrent
/// messages for one key all correlate while instances wait for them (on SQLite, whose writes are the most serialised).
/// </summary>
[NonParallelizable]
public sealed class InstanceStateProblemTests
{
    private const string Race = """
        <?xml version="1.0" encoding="UTF-8"?>
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="x">
          <bpmn:message id="m" name="state-race"><bpmn:extensionElements><zeebe:subscription correlationKey="=grp"/></bpmn:extensionElements></bpmn:message>
          <bpmn:process id="state-race" isExecutable="true">
            <bpmn:startEvent id="start"/>
            <bpmn:intermediateCatchEvent id="c"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
            <bpmn:userTask id="t"/>
            <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="c"/>
            <bpmn:sequenceFlow id="f2" sourceRef="c" targetRef="t"/>
          </bpmn:process>
        </bpmn:definitions>
        """;

    [Test]
    public async Task An_instance_whose_stored_state_is_refused_is_inspected_from_its_rows_naming_why_and_a_message_passes_it_over()
    {
        await using var host = TestHost.Start();
        await (await host.As("alice")).DeployAsync(Race);
        var ann = await host.As("ann");
        var id = await ann.StartAsync("state-race", new { grp = "POISON" });
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(host.Directory, "host.db")}"))
        {
            await connection.OpenAsync();
            await using var tamper = connection.CreateCommand();
            tamper.CommandText = """UPDATE wf_instances SET state = CAST(replace(CAST(state AS TEXT), '"next":', '"evil":1,"next":') AS BLOB) WHERE lower(id) = lower($id)""";
            tamper.Parameters.AddWithValue("$id", id);
            Assert.That(await tamper.ExecuteNonQueryAsync(), Is.EqualTo(1));
        }

        using var inspection = await (await host.As("otto")).GetAsync(new Uri($"/api/instances/{id}/inspection", UriKind.Relative));
        var inspected = await inspection.JsonAsync(HttpStatusCode.OK); // answered from its rows, saying why the state cannot be read
        using var message = await ann.PostAsJsonAsync("/api/messages", new { name = "state-race", correlationKey = "POISON" });
        var published = await message.ProblemAsync(HttpStatusCode.NotFound); // passed over: no readable instance waits

        using (Assert.EnterMultipleScope())
        {
            Assert.That(inspected.GetProperty("scope").GetProperty("state").GetString(), Is.EqualTo("unreadable"));
            Assert.That(inspected.GetProperty("stateProblem").GetString(), Does.Contain(id).And.Contain("'evil'"));
            Assert.That(published, Does.Contain(id).And.Contain("cannot be read"));
        }
    }

    [Test]
    public async Task Twelve_concurrent_messages_for_one_key_all_correlate_while_twelve_instances_wait()
    {
        await using var host = TestHost.Start();
        await (await host.As("alice")).DeployAsync(Race);
        var ann = await host.As("ann");
        for (var i = 0; i < 12; i++)
        {
            await ann.StartAsync("state-race", new { grp = "G" });
        }

        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ =>
        {
            using var response = await ann.PostAsJsonAsync("/api/messages", new { name = "state-race", correlationKey = "G" });
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync(), RetryAfter: response.Headers.RetryAfter);
        }));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(answers.Select(a => a.StatusCode), Is.All.EqualTo(HttpStatusCode.OK), string.Join("\n", answers.Select(a => a.Body)));
            Assert.That(answers.Select(a => a.Body), Is.All.Contain("\"correlatedInstances\":1"));
        }
    }
}
