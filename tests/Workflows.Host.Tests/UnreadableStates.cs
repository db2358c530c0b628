using Microsoft.Data.Sqlite;

namespace Workflows.Host.Tests;

/// <summary>
/// An instance's stored state made unreadable in the host's SQLite database, as someone with write access to it (or a
/// bad migration) could, and the journey the host tests of unreadable instances deploy.
/// </summary>
internal static class UnreadableStates
{
    /// <summary>A key the engine does not know, put in front of the key counter (<c>"next":</c>) of a state.</summary>
    public const string Poison = "\"evil\":1,";

    /// <summary>A journey waiting at a message catch <c>c</c> (named as the journey, keyed by <c>grp</c>), then a user task <c>t</c>.</summary>
    public static string AwaitingMessage(string journey) => $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="x">
          <bpmn:message id="m" name="{journey}"><bpmn:extensionElements><zeebe:subscription correlationKey="=grp"/></bpmn:extensionElements></bpmn:message>
          <bpmn:process id="{journey}" isExecutable="true">
            <bpmn:startEvent id="start"/>
            <bpmn:intermediateCatchEvent id="c"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
            <bpmn:userTask id="t"/>
            <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="c"/>
            <bpmn:sequenceFlow id="f2" sourceRef="c" targetRef="t"/>
          </bpmn:process>
        </bpmn:definitions>
        """;

    /// <summary>Rewrites <paramref name="from"/> to <paramref name="to"/> in an instance's stored state.</summary>
    public static async Task TamperAsync(TestHost host, string id, string from, string to)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(host.Directory, "host.db")}");
        await connection.OpenAsync();
        await using var tamper = connection.CreateCommand();
        tamper.CommandText = "UPDATE wf_instances SET state = CAST(replace(CAST(state AS TEXT), $from, $to) AS BLOB) WHERE lower(id) = lower($id)";
        tamper.Parameters.AddWithValue("$id", id);
        tamper.Parameters.AddWithValue("$from", from);
        tamper.Parameters.AddWithValue("$to", to);
        Assert.That(await tamper.ExecuteNonQueryAsync(), Is.EqualTo(1), $"instance {id}'s state was rewritten");
    }

    /// <summary>Makes an instance's stored state unreadable: a key the engine does not know.</summary>
    public static Task PoisonAsync(TestHost host, string id) => TamperAsync(host, id, "\"next\":", Poison + "\"next\":");

    /// <summary>Takes the poison out again.</summary>
    public static Task RepairAsync(TestHost host, string id) => TamperAsync(host, id, Poison, "");
}
