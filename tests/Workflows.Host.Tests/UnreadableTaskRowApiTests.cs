using System.Net;
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;

namespace Workflows.Host.Tests;

/// <summary>
/// One user task or job row that cannot be read (review13 F16): the queue's list is served without the task, the task itself
/// is refused by name (409), the job is its instance's incident while the type's other jobs are handed out, and nothing
/// answers the caller's "Bad JSON" for a row the store holds.
/// </summary>
[NonParallelizable]
public sealed class UnreadableTaskRowApiTests
{
    private const string Queued = """
        <?xml version="1.0" encoding="UTF-8"?>
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="x">
          <bpmn:process id="queued-row" isExecutable="true">
            <bpmn:startEvent id="start"/>
            <bpmn:userTask id="t"><bpmn:extensionElements><zeebe:assignmentDefinition candidateGroups="front-desk"/></bpmn:extensionElements></bpmn:userTask>
            <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="t"/>
          </bpmn:process>
          <bpmn:process id="row-job" isExecutable="true">
            <bpmn:startEvent id="js"/>
            <bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="row-job"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:sequenceFlow id="j1" sourceRef="js" targetRef="work"/>
          </bpmn:process>
        </bpmn:definitions>
        """;

    private static async Task TamperAsync(TestHost host, string taskId, string set, string table = "wf_user_tasks", string column = "id")
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(host.Directory, "host.db")}");
        await connection.OpenAsync();
        await using var tamper = connection.CreateCommand();
        tamper.CommandText = $"UPDATE {table} SET {set} WHERE lower({column}) = lower($id)";
        tamper.Parameters.AddWithValue("$id", taskId);
        Assert.That(await tamper.ExecuteNonQueryAsync(), Is.EqualTo(1));
    }

    [Test]
    public async Task A_queue_is_listed_without_the_unreadable_rows_and_each_is_refused_by_name_not_as_the_callers_bad_json()
    {
        await using var host = TestHost.Start();
        await (await host.As("alice")).DeployAsync(Queued);
        var ann = await host.As("ann");
        var (groups, form, healthy) = (await ann.StartAsync("queued-row"), await ann.StartAsync("queued-row"), await ann.StartAsync("queued-row"));
        var (groupsTask, formTask, healthyTask) = (await ann.TaskAsync(groups, "t"), await ann.TaskAsync(form, "t"), await ann.TaskAsync(healthy, "t"));
        await TamperAsync(host, groupsTask, "candidate_groups = '[\"front-desk\"'");
        await TamperAsync(host, formTask, "form_json = '{\"fields\":['");

        using var list = await ann.GetAsync(new Uri("/api/tasks?queue=front-desk&pageSize=100", UriKind.Relative));
        var listed = (await list.JsonAsync(HttpStatusCode.OK)).GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("id").GetString()).ToList();
        using var one = await ann.GetAsync(new Uri($"/api/tasks/{formTask}", UriKind.Relative));
        using var complete = await ann.PostAsJsonAsync($"/api/tasks/{groupsTask}/complete", new { variables = new { } });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(listed, Does.Contain(healthyTask).And.Not.Contain(groupsTask).And.Not.Contain(formTask));
            Assert.That(await one.ProblemAsync(HttpStatusCode.Conflict), Does.Contain($"user task {formTask}").And.Contain("form_json"));
            Assert.That(await complete.ProblemAsync(HttpStatusCode.Conflict), Does.Contain($"user task {groupsTask}").And.Contain("candidate_groups"));
        }
    }

    [Test]
    public async Task A_job_whose_row_cannot_be_read_is_its_instances_incident_and_every_other_job_of_the_type_is_handed_out()
    {
        await using var host = TestHost.Start();
        await (await host.As("alice")).DeployAsync(Queued);
        var ann = await host.As("ann");
        var (broken, healthy) = (await ann.StartAsync("row-job"), await ann.StartAsync("row-job"));
        await TamperAsync(host, broken, "headers_json = '{'", table: "wf_jobs", column: "instance_id");
        var worker = host.WithToken(("sub", "bot-paris-01"), ("role", "worker"), ("branch", "paris-01"));

        using var activation = await worker.PostAsJsonAsync("/api/jobs/activation", new { type = "row-job", maxJobsToActivate = 10 });
        var handed = (await activation.JsonAsync(HttpStatusCode.OK)).GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("instanceId").GetString()).ToList();
        var incidents = (await (await host.As("otto")).GetJsonAsync("/api/incidents")).EnumerateArray()
            .Where(i => i.GetProperty("instanceId").GetString() == broken).Select(i => i.GetProperty("message").GetString()).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(handed, Is.EqualTo(new[] { healthy }));
            Assert.That(incidents, Has.One.Contains("cannot be read"));
        }
    }
}
