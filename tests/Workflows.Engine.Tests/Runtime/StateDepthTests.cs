using Workflows.Engine.Runtime;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;
using static Workflows.Engine.Tests.DeepValues;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>
/// A state the engine commits is one it can read back: variables are held to <see cref="ExecutionLimits.MaxVariableDepth"/>
/// (a deeper one brought from outside is refused, one made in a command is an incident on its element) and the state is
/// written and read far deeper than that (<see cref="ExecutionLimits.MaxStoredJsonDepth"/>), wherever the variable sits.
/// </summary>
public sealed class StateDepthTests
{
    // A user task holding a task-local copy of "deep" (one level of the state deeper than the process's variables), and an
    // output mapping wrapping what the task is completed with ("more") in 30 more lists.
    private static readonly string s_copy = Process("copy", $"""
        <bpmn:startEvent id="start"/>
        <bpmn:userTask id="review"><bpmn:extensionElements><zeebe:ioMapping>
          <zeebe:input source="=deep" target="localCopy"/>
          <zeebe:output source="={new string('[', 30)}more{new string(']', 30)}" target="wrapped"/>
        </zeebe:ioMapping></bpmn:extensionElements></bpmn:userTask>
        {UserTask("after")}
        <bpmn:endEvent id="end"/>
        {Chain("start", "review", "after", "end")}
        """);

    [Test]
    public async Task A_task_local_copy_of_a_variable_as_deep_as_allowed_is_stored_and_every_later_command_reads_it()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_copy);

        var instance = await h.StartAsync("copy", Vars(("deep", Nested(128))));
        var inspection = await h.Engine.Inspection.InspectAsync(instance.Id);
        await instance.CompleteUserTaskAsync("review", Vars(("more", 1)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(inspection.ActiveTokens.Keys, Is.EqualTo(new[] { "review" }), "the state was read back after the start");
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
            Assert.That(DepthOf(await instance.VariableAsync("deep")), Is.EqualTo(128));
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
        }

        await instance.CompleteUserTaskAsync("after");
        Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
    }

    [Test]
    public async Task An_output_mapping_making_a_value_deeper_than_the_limit_is_an_incident_naming_the_limit_and_nothing_of_it_is_kept()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_copy);
        var instance = await h.StartAsync("copy", Vars(("deep", Nested(2))));

        await instance.CompleteUserTaskAsync("review", Vars(("more", Nested(100))));

        var incident = (await instance.IncidentsAsync()).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(incident.ElementId, Is.EqualTo("review"));
            Assert.That(incident.Message, Does.Contain("an output mapping").And.Contain("more than 128 levels deep").And.Contain("WorkflowEngineOptions.Limits.MaxVariableDepth = 128"));
            Assert.That(await instance.VariableAsync("wrapped"), Is.Null, "nothing the step made is kept");
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "review" }));
        }

        // The state stays readable: an operator's command on it runs.
        await h.Engine.Runtime.CancelAsync(instance.Id);
        Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Cancelled));
    }

    [Test]
    public async Task A_start_a_completion_or_a_message_bringing_a_variable_deeper_than_the_limit_is_refused_naming_the_variable_and_the_setting()
    {
        var h = new ProcessTestHarness(configure: o => o.Limits.MaxVariableDepth = 40);
        await h.DeployAsync(s_copy);

        var start = Assert.ThrowsAsync<WorkflowInputException>(() => h.StartAsync("copy", Vars(("deep", Nested(41)))));
        var instance = await h.StartAsync("copy", Vars(("deep", Nested(40))));
        var completion = Assert.ThrowsAsync<WorkflowInputException>(() => instance.CompleteUserTaskAsync("review", Vars(("more", Nested(41)))));
        var message = Assert.ThrowsAsync<WorkflowInputException>(() => h.CorrelateAsync("any", "key", Vars(("m", new Dictionary<string, object?> { ["inner"] = Nested(40) }))));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(start.Message, Does.Contain("variable 'deep'").And.Contain("more than 40 levels deep").And.Contain("WorkflowEngineOptions.Limits.MaxVariableDepth"));
            Assert.That(completion.Message, Does.Contain("variable 'more'"));
            Assert.That(message.Message, Does.Contain("variable 'm'"));
            Assert.That(await h.InstancesOfAsync("copy"), Has.Count.EqualTo(1), "the refused start made no instance");
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "review" }), "the refused completion left the task open");
        }
    }

    [Test]
    public async Task An_in_process_handler_returning_a_value_deeper_than_the_limit_is_an_incident_on_its_task()
    {
        var h = new ProcessTestHarness(configure: o => o.AddHandler("deepen", (_, _) =>
            ValueTask.FromResult<IReadOnlyDictionary<string, object?>?>(Vars(("result", Nested(129))))));
        await h.DeployAsync(Process("svc", $"""
            <bpmn:startEvent id="start"/>{ServiceTask("call", "deepen")}<bpmn:endEvent id="end"/>{Chain("start", "call", "end")}
            """));

        var instance = await h.StartAsync("svc");

        var incident = (await instance.IncidentsAsync()).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(incident.ElementId, Is.EqualTo("call"));
            Assert.That(incident.Message, Does.Contain("the handler for 'deepen'").And.Contain("'result'").And.Contain("MaxVariableDepth = 128"));
            Assert.That(await instance.VariableAsync("result"), Is.Null);
        }
    }

    [Test]
    public async Task A_script_building_a_list_deeper_than_the_limit_is_an_incident_and_the_instance_stays_readable()
    {
        var h = new ProcessTestHarness(configure: o => o.Limits.MaxVariableDepth = 50);
        await h.DeployAsync(Process("grow", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:scriptTask id="deepen"><bpmn:extensionElements><zeebe:script expression="={new string('[', 30)}seed{new string(']', 30)}" resultVariable="grown"/></bpmn:extensionElements></bpmn:scriptTask>
            <bpmn:endEvent id="end"/>
            {Chain("start", "deepen", "end")}
            """));

        var instance = await h.StartAsync("grow", Vars(("seed", Nested(25))));

        var incident = (await instance.IncidentsAsync()).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(incident.ElementId, Is.EqualTo("deepen"));
            Assert.That(incident.Message, Does.Contain("more than 50 levels deep").And.Contain("Limits.MaxVariableDepth = 50"));
            Assert.That((await h.Engine.Inspection.InspectAsync(instance.Id)).ActiveTokens.Keys, Is.EqualTo(new[] { "deepen" }));
        }
    }

    [Test]
    public void A_variable_depth_above_what_the_stored_state_holds_is_refused_at_start_naming_the_setting()
    {
        var options = new WorkflowEngineOptions();
        options.Limits.MaxVariableDepth = ExecutionLimits.MaxStoredJsonDepth;

        Assert.That(options.Check(), Has.One.Contains("Limits.MaxVariableDepth must be between 1 and 500"));
    }
}
