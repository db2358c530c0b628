using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

// A NUL character (U+0000) in a text the engine stores, on every store alike (review14 F1): PostgreSQL's text refuses one
// with a driver error, SQLite keeps it. A worker's report of a failure or an error is recorded with each NUL replaced, so
// the failure is never lost in a loop of refused commits; an agent's comment, delegate or queue is refused as bad input.
public abstract partial class StoreSuite
{
    [TestCase("fail")]
    [TestCase("error")]
    public async Task A_workers_failure_or_error_message_holding_a_nul_is_recorded_with_the_nul_replaced(string report)
    {
        var h = await HarnessAsync();
        var id = Unique("nulfail");
        await h.DeployAsync(Process(id, $"""
            <bpmn:startEvent id="start"/>
            <bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="{id}"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:endEvent id="end"/>
            {Chain("start", "work", "end")}
            """));
        var instance = await h.StartAsync(id);
        var job = (await h.Engine.Jobs.ActivateAsync(new JobActivation(id, "w1") { MaxJobs = 1, Timeout = TimeSpan.FromMinutes(1) })).Single();

        if (report == "fail")
        {
            await h.Engine.Jobs.FailAsync(job.Id, "upstream answered: ab\0cd", retries: 0);
        }
        else
        {
            await h.Engine.Jobs.ThrowErrorAsync(job.Id, "E1", "upstream answered: ab\0cd"); // nothing catches it: an incident
        }

        var incident = (await instance.IncidentsAsync()).Single();
        var history = await instance.HistoryAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(incident.Message, Does.Contain("upstream answered: ab\uFFFDcd"));
            Assert.That(history.Where(e => e.Detail?.Contains("upstream answered", StringComparison.Ordinal) == true), Is.Not.Empty);
            Assert.That(history.Select(e => e.Detail ?? ""), Has.None.Contain("\0"));
        }

        await h.Engine.Runtime.CancelAsync(instance.Id);
    }

    [TestCase("comment")]
    [TestCase("delegateTo")]
    [TestCase("queue")]
    [TestCase("user")]
    public async Task An_agents_text_holding_a_nul_is_refused_naming_it_and_the_task_is_left_as_it_was(string field)
    {
        var h = await HarnessAsync();
        var id = Unique("nultask");
        await h.DeployAsync(Process(id, $"""<bpmn:startEvent id="start"/>{UserTask("check")}<bpmn:endEvent id="end"/>{Chain("start", "check", "end")}"""));
        var instance = await h.StartAsync(id);
        var task = (await h.Engine.Tasks.GetOpenAsync(instance.Id)).Single();
        var historyBefore = (await instance.HistoryAsync()).Count;

        var refused = Assert.ThrowsAsync<WorkflowInputException>(() => field switch
        {
            "comment" => h.Engine.Tasks.CommentAsync(task.Id, "ann", "called\0back"),
            "delegateTo" => h.Engine.Tasks.DelegateAsync(task.Id, "ann", "bo\0b"),
            "queue" => h.Engine.Tasks.MoveAsync(task.Id, "front\0desk", "ann"),
            _ => h.Engine.Tasks.ClaimAsync(task.Id, "an\0n"),
        });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused!.Message, Does.StartWith(field + " holds a NUL character"));
            Assert.That((await h.Engine.Tasks.GetAsync(task.Id)).Assignee, Is.Null);
            Assert.That(await instance.HistoryAsync(), Has.Count.EqualTo(historyBefore));
        }

        await h.Engine.Runtime.CancelAsync(instance.Id);
    }

    [Test]
    public async Task A_feel_nul_escape_in_a_script_or_an_output_mapping_is_an_incident_naming_the_variable_and_nothing_of_the_step_is_kept()
    {
        // A FEEL "\u0000" escape makes a text with a NUL: PostgreSQL refused the whole command (answered 400 blaming the
        // request), SQLite kept it. Now the step fails on every store alike, naming what gave it, as another failure does.
        var h = await HarnessAsync();
        var id = Unique("nulfeel");
        await h.DeployAsync(Process(id, $$"""
            <bpmn:startEvent id="start"/>
            <bpmn:scriptTask id="cut"><bpmn:extensionElements><zeebe:script expression="=if kind = &quot;script&quot; then &quot;a\u0000b&quot; else &quot;ok&quot;" resultVariable="half"/></bpmn:extensionElements></bpmn:scriptTask>
            <bpmn:userTask id="check"><bpmn:extensionElements><zeebe:ioMapping><zeebe:output source="={lines: [&quot;fine&quot;, &quot;x\u0000&quot;]}" target="note"/></zeebe:ioMapping></bpmn:extensionElements></bpmn:userTask>
            <bpmn:endEvent id="end"/>
            {{Chain("start", "cut", "check", "end")}}
            """));

        var scripted = await h.StartAsync(id, Vars(("kind", "script")));
        var mapped = await h.StartAsync(id, Vars(("kind", "mapping")));
        var task = (await mapped.UserTasksAsync()).Single();
        await h.Engine.Tasks.CompleteAsync(task.Id, null, "ann");

        var scriptIncident = (await scripted.IncidentsAsync()).Single();
        var mappingIncident = (await mapped.IncidentsAsync()).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(scriptIncident.ElementId, Is.EqualTo("cut"));
            Assert.That(scriptIncident.Message, Does.Contain("the script 'half' of").And.Contain("NUL character"));
            Assert.That(await scripted.ActiveElementsAsync(), Is.EqualTo(new[] { "cut" }), "the script's step is where it failed");
            Assert.That(await scripted.VariableAsync("half"), Is.Null, "nothing of the step was kept");
            Assert.That(mappingIncident.ElementId, Is.EqualTo("check"));
            Assert.That(mappingIncident.Message, Does.Contain("an output mapping 'note' of").And.Contain("NUL character (U+0000) at lines[1]"));
            Assert.That(await mapped.VariableAsync("note"), Is.Null, "nothing of the step was kept");
            Assert.That((await h.Engine.Queries.GetInstanceAsync(mapped.Id)).Status, Is.EqualTo(Workflows.Engine.Runtime.ProcessInstanceStatus.Active));
        }

        await h.Engine.Runtime.CancelAsync(scripted.Id);
        await h.Engine.Runtime.CancelAsync(mapped.Id);
    }
}
