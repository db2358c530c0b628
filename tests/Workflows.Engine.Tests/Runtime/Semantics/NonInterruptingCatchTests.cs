using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime.Semantics;

/// <summary>
/// Issue 13, item 1 (Camunda 8: a non-interrupting message or signal catch keeps its subscription while
/// its scope is active, so it fires on every occurrence, not once).
/// </summary>
public sealed class NonInterruptingCatchTests
{
    private const string Definitions = """
        <bpmn:message id="m" name="more-info"><bpmn:extensionElements><zeebe:subscription correlationKey="=caseId"/></bpmn:extensionElements></bpmn:message>
        <bpmn:signal id="s" name="reminder"/>
        """;

    private static string EventDefinition(string kind) => kind == "message"
        ? """<bpmn:messageEventDefinition messageRef="m"/>"""
        : """<bpmn:signalEventDefinition signalRef="s"/>""";

    private static Task OccurAsync(ProcessTestHarness h, string kind) => kind == "message"
        ? h.CorrelateAsync("more-info", "K1")
        : h.BroadcastSignalAsync("reminder");

    [TestCase("message")]
    [TestCase("signal")]
    public async Task A_non_interrupting_boundary_fires_on_every_occurrence_while_its_activity_waits(string kind)
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("work")}
            <bpmn:boundaryEvent id="again" attachedToRef="work" cancelActivity="false">{EventDefinition(kind)}</bpmn:boundaryEvent>
            {UserTask("note")}
            {Chain("start", "work")}{Chain("again", "note")}
            """, Definitions));
        var instance = await h.StartAsync("p", Vars(("caseId", "K1")));

        await OccurAsync(h, kind);
        await OccurAsync(h, kind);
        await OccurAsync(h, kind);

        var tasks = await instance.UserTasksAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(tasks.Count(t => t.ElementId == "note"), Is.EqualTo(3));
            Assert.That(tasks.Count(t => t.ElementId == "work"), Is.EqualTo(1));
        }

        await instance.CompleteUserTaskAsync("work");
        await OccurAsync(h, kind);
        Assert.That((await instance.UserTasksAsync()).Count(t => t.ElementId == "note"), Is.EqualTo(3), "the activity ended, so its boundary stopped listening");
    }

    [TestCase("message")]
    [TestCase("signal")]
    public async Task A_non_interrupting_event_sub_process_starts_on_every_occurrence_while_its_scope_is_active(string kind)
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("work")}
            <bpmn:endEvent id="end"/>
            {Chain("start", "work", "end")}
            <bpmn:subProcess id="esp" triggeredByEvent="true">
              <bpmn:startEvent id="espStart" isInterrupting="false">{EventDefinition(kind)}</bpmn:startEvent>
              {UserTask("note")}
              {Chain("espStart", "note")}
            </bpmn:subProcess>
            """, Definitions));
        var instance = await h.StartAsync("p", Vars(("caseId", "K1")));

        await OccurAsync(h, kind);
        await OccurAsync(h, kind);

        var tasks = await instance.UserTasksAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(tasks.Count(t => t.ElementId == "note"), Is.EqualTo(2));
            Assert.That(tasks.Count(t => t.ElementId == "work"), Is.EqualTo(1));
        }
    }

    [TestCase(false, 3)]
    [TestCase(true, 1)]
    public async Task A_message_boundary_opened_while_messages_are_buffered_takes_every_one_unless_it_interrupts(bool interrupting, int notes)
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("work")}
            <bpmn:boundaryEvent id="again" attachedToRef="work" cancelActivity="{(interrupting ? "true" : "false")}">{EventDefinition("message")}</bpmn:boundaryEvent>
            {UserTask("note")}
            {Chain("start", "work")}{Chain("again", "note")}
            """, Definitions));
        for (var i = 0; i < 3; i++)
        {
            await h.CorrelateAsync("more-info", "K1", Vars(("n", i)), timeToLive: TimeSpan.FromHours(1));
        }

        var instance = await h.StartAsync("p", Vars(("caseId", "K1")));

        var tasks = await instance.UserTasksAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(tasks.Count(t => t.ElementId == "note"), Is.EqualTo(notes));
            Assert.That(tasks.Count(t => t.ElementId == "work"), Is.EqualTo(interrupting ? 0 : 1));
        }
    }

    [Test]
    public async Task A_non_interrupting_event_sub_process_opened_while_messages_are_buffered_starts_once_for_each()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("work")}
            <bpmn:endEvent id="end"/>
            {Chain("start", "work", "end")}
            <bpmn:subProcess id="esp" triggeredByEvent="true">
              <bpmn:startEvent id="espStart" isInterrupting="false">{EventDefinition("message")}</bpmn:startEvent>
              {UserTask("note")}
              {Chain("espStart", "note")}
            </bpmn:subProcess>
            """, Definitions));
        for (var i = 0; i < 3; i++)
        {
            await h.CorrelateAsync("more-info", "K1", timeToLive: TimeSpan.FromHours(1));
        }

        var instance = await h.StartAsync("p", Vars(("caseId", "K1")));
        var second = await h.StartAsync("p", Vars(("caseId", "K1")));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await instance.UserTasksAsync()).Count(t => t.ElementId == "note"), Is.EqualTo(3));
            Assert.That((await second.UserTasksAsync()).Count(t => t.ElementId == "note"), Is.Zero, "each buffered message is taken once per process");
        }
    }
}
