using Dapper;
using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// Rows changed in the database so that they no longer read (review13 F15, F16, F17), as someone with write access to it
/// could: each is that row's named problem, and the commands, lists and reports around it go on.
/// </summary>
public abstract partial class SqlStoreSuite
{
    private async Task UpdateAsync(string sql, object parameters)
    {
        await using var connection = await NewSqlStore().OpenAsync(default);
        Assert.That(await connection.ExecuteAsync(sql, parameters), Is.GreaterThan(0), sql);
    }

    private static string Awaiting(string process, string name) => Process(process, $"""
        <bpmn:startEvent id="start"/><bpmn:receiveTask id="reply" messageRef="m"/>{UserTask("after")}{Chain("start", "reply", "after")}
        """, Message("m", name, "=key"));

    [Test]
    public async Task A_buffered_message_whose_stored_variables_no_longer_read_is_passed_over_and_the_next_one_is_taken()
    {
        var h = await HarnessAsync();
        var (process, name) = (Fresh("buffered"), Fresh("msg"));
        await h.DeployAsync(Awaiting(process, name));
        await h.CorrelateAsync(name, "K", Vars(("n", 1)), timeToLive: TimeSpan.FromHours(1));
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        await h.CorrelateAsync(name, "K", Vars(("n", 2)), timeToLive: TimeSpan.FromHours(1));
        await UpdateAsync("UPDATE wf_buffered_messages SET variables_json = '{\"n\":' WHERE name = @name AND variables_json LIKE '%1%'", new { name });

        var instance = await h.StartAsync(process, Vars(("key", "K")));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }), "the start is not the stored message's victim");
            Assert.That(await instance.VariableAsync("n"), Is.EqualTo(2m), "the readable message behind it was taken");
        }
    }

    [Test]
    public async Task An_in_process_handlers_job_whose_row_no_longer_reads_is_its_instances_incident_and_the_worker_runs_the_others()
    {
        var type = "row-" + Guid.NewGuid().ToString("N");
        var ran = new List<Guid>();
        var h = await HarnessAsync(options => options.AddHandler(type, (context, _) =>
        {
            lock (ran)
            {
                ran.Add(context.InstanceId);
            }

            return ValueTask.FromResult<IReadOnlyDictionary<string, object?>?>(null);
        }));
        var process = Fresh("handled");
        await h.DeployAsync(Process(process, $"""
            <bpmn:startEvent id="start"/>
            <bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="{type}" async="true"/></bpmn:extensionElements></bpmn:serviceTask>
            {UserTask("after")}{Chain("start", "work", "after")}
            """));
        var broken = await h.StartAsync(process);
        var healthy = await h.StartAsync(process);
        await UpdateAsync("UPDATE wf_jobs SET headers_json = '{' WHERE instance_id = @id", new { id = broken.Id });

        await h.Engine.Worker.RunDueJobsAsync();

        var incidents = await broken.IncidentsAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ran, Is.EqualTo(new[] { healthy.Id }));
            Assert.That(await healthy.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
            Assert.That(incidents, Has.Count.EqualTo(1));
            Assert.That(incidents[0].Message, Does.Contain("cannot be read"));
            Assert.That(h.Engine.Worker.Status.IsReady, Is.True);
        }
    }

    [Test]
    public async Task The_inspection_shows_an_unreadable_task_row_marked_with_why_beside_the_rest_of_the_instance()
    {
        var h = await HarnessAsync();
        var process = Fresh("inspected");
        await h.DeployAsync(Process(process, $"""
            <bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>{UserTask("a")}{UserTask("b")}{Chain("start", "fork", "a")}{Chain("fork", "b")}
            """));
        var instance = await h.StartAsync(process);
        await UpdateAsync("UPDATE wf_user_tasks SET candidate_groups = '[\"front-desk\"' WHERE instance_id = @id AND element_id = 'a'", new { id = instance.Id });

        var inspection = await h.Engine.Inspection.InspectAsync(instance.Id);
        var tasks = inspection.WaitPoints.Where(w => w.Kind == "user-task").ToDictionary(w => w.ElementId);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(tasks.Keys, Is.EquivalentTo(new[] { "a", "b" }));
            Assert.That(tasks["a"].Problem, Does.Contain("candidate_groups"));
            Assert.That(tasks["b"].Problem, Is.Null);
            Assert.That(inspection.ActiveTokens.Keys, Is.EquivalentTo(new[] { "a", "b" }));
        }
    }

    [Test]
    public async Task A_stored_definition_that_no_longer_parses_is_named_where_it_is_needed_and_everything_else_goes_on()
    {
        var h = await HarnessAsync();
        var (broken, healthy, branch) = (Fresh("unparsable"), Fresh("parsable"), Fresh("drift"));
        await h.DeployAsync(Process(broken, $"""<bpmn:startEvent id="start"/>{UserTask("t")}{Chain("start", "t")}"""));
        await h.DeployAsync(Process(healthy, $"""<bpmn:startEvent id="start"/>{UserTask("t")}{Chain("start", "t")}"""));
        await h.Engine.Branches.SaveAsync(new Branch(branch, "Drift"));
        var running = await h.StartAsync(broken);
        await UpdateAsync("UPDATE wf_definitions SET xml = '<bpmn:definitions' WHERE process_id = @broken", new { broken });

        var restarted = await HarnessAsync(); // a new engine: nothing parsed yet, as after a restart
        var drift = (await restarted.Engine.Branches.GetDriftAsync()).Where(r => r.BranchId == branch).ToDictionary(r => r.ProcessId);
        var start = Assert.ThrowsAsync<DefinitionUnreadableException>(() => restarted.StartAsync(broken))!;
        var task = (await restarted.Engine.Tasks.GetOpenAsync(running.Id)).Single();
        var complete = Assert.ThrowsAsync<InstanceStateUnreadableException>(() => restarted.Engine.Tasks.CompleteAsync(task.Id))!;
        var inspection = await restarted.Engine.Inspection.InspectAsync(running.Id);
        var other = await restarted.StartAsync(healthy);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(drift[broken].Problem, Does.Contain($"process '{broken}'").And.Contain("no longer parses"));
            Assert.That(drift[healthy].Problem, Is.Null);
            Assert.That(start.ProcessId, Is.EqualTo(broken));
            Assert.That(start.Message, Does.Contain("version 1").And.Contain("cannot be read"));
            Assert.That(complete.InstanceId, Is.EqualTo(running.Id), "its instance is met as unreadable: an incident, not a server error");
            Assert.That(await running.IncidentsAsync(), Has.Count.EqualTo(1));
            Assert.That(inspection.StateProblem, Does.Contain("no longer parses"));
            Assert.That(await other.ActiveElementsAsync(), Is.EqualTo(new[] { "t" }));
        }
    }
}
