using Workflows.Engine.Runtime;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime.Semantics;

/// <summary>
/// Review 13 F19: an event sub-process whose wait cannot open when the process scope opens (its correlation key reads a
/// variable the starting event brings, or none) holds a start by message, timer, signal or call with an incident on the
/// process scope, as Camunda 8 does (the process element's activation subscribes to its event sub-processes before the
/// start event applies the event's variables, and a failing key is an incident on the process instance). The event is
/// taken once; setting the variable and retrying opens the waits and runs the start event with the event's variables.
/// </summary>
public sealed class HeldStartTests
{
    private static readonly TimeSpan s_hour = TimeSpan.FromHours(1);

    // Follow-up messages of a running case go to a non-interrupting event sub-process keyed by =key.
    private static string WithFollowUps(string processId, string startEvent) => Process(processId, $"""
        {startEvent}
        {UserTask("handle")}
        {Chain("received", "handle")}
        <bpmn:subProcess id="followUps" triggeredByEvent="true">
          <bpmn:startEvent id="more" isInterrupting="false"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>
          {UserTask("note")}
          {Chain("more", "note")}
        </bpmn:subProcess>
        """, Message("m", "case-opened", "=key") + """<bpmn:signal id="s" name="case-signal"/>""");

    private const string MessageStart = """<bpmn:startEvent id="received"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>""";

    private static async Task<ProcessInstanceHandle> OnlyInstanceAsync(ProcessTestHarness h, string processId) =>
        (await h.InstancesOfAsync(processId)).Single();

    private static async Task<int> NotesAsync(ProcessInstanceHandle instance) =>
        (await instance.UserTasksAsync()).Count(t => t.ElementId == "note");

    [Test]
    public async Task A_published_message_starts_the_instance_with_an_incident_on_the_process_scope_and_the_retry_after_setting_the_key_goes_on()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(WithFollowUps("held", MessageStart));

        var published = await h.CorrelateAsync("case-opened", "K9", Vars(("key", "K9"), ("x", 1)), timeToLive: s_hour);
        var instance = await OnlyInstanceAsync(h, "held");
        var incident = (await instance.IncidentsAsync()).Single();
        var activeBefore = await instance.ActiveElementsAsync();

        // A retry with nothing set fails again, naming the expression: nothing runs twice.
        await instance.ResolveIncidentAsync("held");
        var again = (await instance.IncidentsAsync()).Single();

        await instance.SetVariablesAsync(Vars(("key", "K9")));
        await instance.ResolveIncidentAsync("held");
        var activeAfter = await instance.ActiveElementsAsync();
        var notesAfterRetry = await NotesAsync(instance);
        await h.CorrelateAsync("case-opened", "K9", Vars(("y", 2)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(published.StartedInstances, Is.EqualTo(1), "the publisher's valid message is accepted");
            Assert.That(incident.ElementId, Is.EqualTo("held"), "the incident is on the process scope");
            Assert.That(incident.Message, Does.Contain("=key").And.Contain("no variable found with name 'key'"));
            Assert.That(activeBefore, Is.EqualTo(new[] { "received" }), "the instance waits at its start event");
            Assert.That(again.Message, Is.EqualTo(incident.Message));
            Assert.That(again.Id, Is.Not.EqualTo(incident.Id));
            Assert.That(activeAfter, Is.EqualTo(new[] { "handle" }));
            Assert.That(await instance.VariableAsync("x"), Is.EqualTo(1), "the start event ran with the message's variables");
            Assert.That(notesAfterRetry, Is.Zero, "the message that started the instance is not taken again by its event sub-process");
            Assert.That(await NotesAsync(instance), Is.EqualTo(1), "the event sub-process's wait is open with the key");
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
            Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Active));
        }
    }

    [Test]
    public async Task A_buffered_message_taken_when_the_active_instance_ends_starts_the_next_one_with_its_incident_and_the_ending_command_succeeds()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(WithFollowUps("held", MessageStart));
        await h.CorrelateAsync("case-opened", "K1", Vars(("x", 1)));
        var first = await OnlyInstanceAsync(h, "held");
        var buffered = await h.CorrelateAsync("case-opened", "K1", Vars(("x", 2)), timeToLive: s_hour);

        // Cancelling the active instance starts the next one from the buffer in the same command.
        await h.Engine.Runtime.CancelAsync(first.Id);
        var next = (await h.InstancesOfAsync("held")).Single(i => i.Id != first.Id);
        var incident = (await next.IncidentsAsync()).Single();
        await next.SetVariablesAsync(Vars(("key", "K1")));
        await next.ResolveIncidentAsync("held");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(buffered.Buffered && buffered.StartedInstances == 0 && buffered.CorrelatedInstances == 0, Is.True,
                "the second message waits in the buffer while the first instance holds the key");
            Assert.That(await first.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Cancelled));
            Assert.That(incident.Message, Does.Contain("=key"));
            Assert.That(await next.ActiveElementsAsync(), Is.EqualTo(new[] { "handle" }));
            Assert.That(await next.VariableAsync("x"), Is.EqualTo(2));
            Assert.That(await NotesAsync(next), Is.Zero, "the message that started it is not taken again");
        }
    }

    [Test]
    public async Task A_timer_start_starts_the_instance_with_an_incident_and_the_retry_goes_on()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(WithFollowUps("ticking", """
            <bpmn:startEvent id="received"><bpmn:timerEventDefinition><bpmn:timeCycle>R1/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>
            """));

        await h.AdvanceTimeAsync(TimeSpan.FromHours(2));
        var instance = await OnlyInstanceAsync(h, "ticking");
        var incident = (await instance.IncidentsAsync()).Single();
        await instance.SetVariablesAsync(Vars(("key", "T1")));
        await instance.ResolveIncidentAsync("ticking");
        await h.CorrelateAsync("case-opened", "T1");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(incident.ElementId, Is.EqualTo("ticking"));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "followUps", "handle", "note" }), "the event sub-process's wait opened with the key");
        }
    }

    [Test]
    public async Task A_signal_start_starts_the_instance_with_an_incident_and_the_retry_applies_the_signal_variables()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(WithFollowUps("signalled", """<bpmn:startEvent id="received"><bpmn:signalEventDefinition signalRef="s"/></bpmn:startEvent>"""));

        var triggered = await h.BroadcastSignalAsync("case-signal", Vars(("region", "north")));
        var instance = await OnlyInstanceAsync(h, "signalled");
        var incident = (await instance.IncidentsAsync()).Single();
        await instance.SetVariablesAsync(Vars(("key", "S1")));
        await instance.ResolveIncidentAsync("signalled");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(triggered, Is.EqualTo(1));
            Assert.That(incident.ElementId, Is.EqualTo("signalled"));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "handle" }));
            Assert.That(await instance.VariableAsync("region"), Is.EqualTo("north"));
        }
    }

    [Test]
    public async Task A_called_process_starts_with_an_incident_on_its_own_scope_and_the_caller_waits_for_it()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(WithFollowUps("called", """<bpmn:startEvent id="received"/>"""));
        await h.DeployAsync(Process("caller", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="called"/></bpmn:extensionElements></bpmn:callActivity>
            {Chain("start", "call")}
            """));

        var caller = await h.StartAsync("caller");
        var child = await OnlyInstanceAsync(h, "called");
        var incident = (await child.IncidentsAsync()).Single();
        await child.SetVariablesAsync(Vars(("key", "C1")));
        await child.ResolveIncidentAsync("called");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await caller.ActiveElementsAsync(), Is.EqualTo(new[] { "call" }));
            Assert.That(incident.Message, Does.Contain("=key"));
            Assert.That(await child.ActiveElementsAsync(), Is.EqualTo(new[] { "handle" }));
        }
    }

    [Test]
    public async Task An_api_start_whose_variables_leave_the_key_unset_is_refused_naming_the_expression_and_creates_nothing()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(WithFollowUps("direct", """<bpmn:startEvent id="received"/>"""));

        var refused = Assert.ThrowsAsync<WorkflowInputException>(() => h.StartAsync("direct", Vars(("x", 1))));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused!.Message, Does.Contain("process 'direct' cannot start").And.Contain("=key"));
            Assert.That(await h.InstancesOfAsync("direct"), Is.Empty);
        }
    }
}
