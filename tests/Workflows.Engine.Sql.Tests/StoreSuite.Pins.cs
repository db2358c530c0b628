using NUnit.Framework;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

// Every kind of start runs the version the branch pinned, on every store: the pins, the start events a pinned version
// keeps open and the branch a buffered message waits with are what the store keeps. Ids are unique per test: the
// fixture's database is shared by its tests.
public abstract partial class StoreSuite
{
    private static string Versioned(string processId, string label, string start = """<bpmn:startEvent id="s"/>""", string definitions = "", string extensions = "") =>
        Process(processId, $"""{start}<bpmn:userTask id="{label}"/>{Chain("s", label)}""", definitions, extensions);

    // A branch pins only an approved version (the approval gate): each pin here is approved first.
    private static async Task PinAsync(ProcessTestHarness h, string branch, string processId, int version)
    {
        await h.ApproveAsync(processId, version);
        await h.Engine.Branches.SaveAsync(new Branch(branch, "Pinned") { Calendar = $"group/branch:{branch}", Pins = new Dictionary<string, int> { [processId] = version } });
    }

    private static async Task<IReadOnlyList<(int Version, string? Branch)>> RunsAsync(ProcessTestHarness h, string processId) =>
        (await h.Engine.Queries.QueryInstancesAsync(new InstanceQuery { ProcessId = processId }))
            .Select(i => (i.Version, i.Branch)).OrderBy(r => r.Version).ThenBy(r => r.Branch, StringComparer.Ordinal).ToList();

    [Test]
    public async Task A_start_finds_the_version_it_runs_by_number_or_latest_on_the_store()
    {
        var process = Unique("find-version");
        var h = await HarnessAsync();
        await h.DeployAsync(Versioned(process, "v1"));
        await h.DeployAsync(Versioned(process, "v2"));
        var store = NewStore();

        var latest = await store.FindVersionAsync(process, null, default);
        var first = await store.FindVersionAsync(process, 1, default);
        var stored = await store.GetDefinitionByVersionAsync(process, 1, default);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(latest?.Version, Is.EqualTo(2));
            Assert.That(latest?.Id, Is.EqualTo((await store.GetLatestDefinitionAsync(process, default))?.Id));
            Assert.That(first?.Id, Is.EqualTo(stored?.Id));
            Assert.That(first! with { Xml = "" }, Is.EqualTo(stored! with { Xml = "" }), "every column but the XML, which a start does not read");
            Assert.That(await store.FindVersionAsync(process, 3, default), Is.Null);
            Assert.That(await store.FindVersionAsync(Unique("never-deployed"), null, default), Is.Null);
        }
    }

    [Test]
    public async Task Api_and_message_starts_run_the_pinned_version_on_the_store()
    {
        var (process, branch, name) = (Unique("pin-start"), Unique("br"), Unique("filed"));
        var start = """<bpmn:startEvent id="s"/><bpmn:startEvent id="m_s"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>""";
        var a = await HarnessAsync();
        await a.DeployAsync(Process(process, $"""{start}<bpmn:userTask id="v1"/>{Chain("s", "v1")}{Flow("m_s", "v1")}""", Message("m", name, "=caseId")));
        await PinAsync(a, branch, process, 1);
        await a.DeployAsync(Process(process, $"""{start}<bpmn:userTask id="v2"/>{Chain("s", "v2")}{Flow("m_s", "v2")}""", Message("m", name, "=caseId")));

        var b = await HarnessAsync();
        await b.Engine.Runtime.StartAsync(new StartInstance(process) { Branch = branch });
        await b.Engine.Runtime.CorrelateMessageAsync(new PublishMessage(name, "K-1") { Branch = branch });
        await b.Engine.Runtime.CorrelateMessageAsync(new PublishMessage(name, "K-2"));

        Assert.That(await RunsAsync(b, process), Is.EqualTo(new[] { (1, branch), (1, branch), (2, (string?)null) }));
    }

    [Test]
    public async Task A_start_for_a_branch_runs_the_pin_its_row_holds_when_another_node_moved_or_dropped_it_on_the_store()
    {
        // A start guesses the version a branch pins from its last start and reads it with the branch's row: the row decides.
        var (process, branch) = (Unique("pin-moved"), Unique("br"));
        var a = await HarnessAsync();
        await a.DeployAsync(Versioned(process, "v1"));
        await a.DeployAsync(Versioned(process, "v2"));
        await a.DeployAsync(Versioned(process, "v3"));
        await PinAsync(a, branch, process, 1);
        await a.ApproveAsync(process, 2);
        var b = await HarnessAsync();

        await a.Engine.Runtime.StartAsync(new StartInstance(process) { Branch = branch });
        await a.Engine.Runtime.StartAsync(new StartInstance(process) { Branch = branch });
        await b.Engine.Branches.UpdateAsync(branch, x => x with { Pins = new Dictionary<string, int> { [process] = 2 } });
        await a.Engine.Runtime.StartAsync(new StartInstance(process) { Branch = branch });
        await b.Engine.Branches.UpdateAsync(branch, x => x with { Pins = new Dictionary<string, int>() });
        await a.Engine.Runtime.StartAsync(new StartInstance(process) { Branch = branch });
        await a.Engine.Runtime.StartAsync(new StartInstance(process) { Branch = branch });
        await a.Engine.Runtime.StartAsync(new StartInstance(process) { Branch = branch, Version = 3 });
        await b.ApproveAsync(process, 3);
        await a.Engine.Runtime.StartAsync(new StartInstance(process) { Branch = branch });

        // Unpinned, the branch runs the standard (2, the newest approved), not the latest (3), until 3 is approved.
        Assert.That(await RunsAsync(a, process), Is.EqualTo(new[] { (1, branch), (1, branch), (2, branch), (2, branch), (2, branch), (3, branch), (3, (string?)branch) }));
    }

    [Test]
    public async Task A_handoff_and_a_buffered_handoff_start_the_version_the_senders_branch_pinned_on_the_store()
    {
        var (front, back, branch, name) = (Unique("pin-front"), Unique("pin-back"), Unique("br"), Unique("escalated"));
        var messages = Message("m", name, "=caseId");
        var h = await HarnessAsync();
        await h.DeployAsync(Process(front, $"""<bpmn:startEvent id="s"/><bpmn:sendTask id="escalate" messageRef="m"/>{UserTask("wait")}{Chain("s", "escalate", "wait")}""", messages));
        var messageStart = """<bpmn:startEvent id="s"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>""";
        await h.DeployAsync(Versioned(back, "v1", messageStart, messages));
        await PinAsync(h, branch, back, 1);
        await h.DeployAsync(Versioned(back, "v2", messageStart, messages));

        // Delivered as the bus does, with what the sending instance put in the outbox (the fixture's store holds other tests' too).
        var sender = await h.Engine.Runtime.StartAsync(new StartInstance(front) { Branch = branch, Variables = Vars(("caseId", "H-1")) });
        var sent = (await h.Engine.Queries.GetOutgoingMessagesAsync(sender)).Single();
        await h.Engine.Runtime.CorrelateMessageAsync(new PublishMessage(sent.Name, sent.CorrelationKey ?? "") { Variables = sent.Variables, Handoff = sent.Handoff, MustCorrelate = true });

        // A second handoff with a key whose case (started for no branch) is active waits in the buffer, with its branch.
        await h.Engine.Runtime.CorrelateMessageAsync(new PublishMessage(name, "H-2"));
        await h.Engine.Runtime.CorrelateMessageAsync(new PublishMessage(name, "H-2") { Handoff = new Handoff { Branch = branch }, TimeToLive = TimeSpan.FromHours(1) });
        var other = await HarnessAsync();
        var active = (await other.Engine.Queries.QueryInstancesAsync(new InstanceQuery { ProcessId = back, BusinessKey = "H-2" })).Single();
        await other.Instance(active.Id).CompleteUserTaskAsync("v2");

        Assert.That(await RunsAsync(other, back), Is.EqualTo(new[] { (1, branch), (1, branch), (2, (string?)null) }));
    }

    [Test]
    public async Task Call_activities_honour_the_pin_by_latest_and_version_tag_and_the_caller_by_deployment_on_the_store()
    {
        var (parent, child, branch) = (Unique("pin-parent"), Unique("pin-child"), Unique("br"));
        string Call(string binding) => $"""<bpmn:callActivity id="call_{binding}"><bpmn:extensionElements><zeebe:calledElement processId="{child}" bindingType="{binding}"{(binding == "versionTag" ? " versionTag=\"1.0\"" : "")}/></bpmn:extensionElements></bpmn:callActivity>""";
        var tag = """<bpmn:extensionElements><zeebe:versionTag value="1.0"/></bpmn:extensionElements>""";
        var h = await HarnessAsync();
        await h.DeployAsync(Document($"""
            <bpmn:process id="{parent}" isExecutable="true"><bpmn:startEvent id="s"/><bpmn:parallelGateway id="fork"/>{Call("latest")}{Call("versionTag")}{Call("deployment")}
            {Chain("s", "fork")}{Flow("fork", "call_latest")}{Flow("fork", "call_versionTag")}{Flow("fork", "call_deployment")}</bpmn:process>
            <bpmn:process id="{child}" isExecutable="true">{tag}<bpmn:startEvent id="cs"/><bpmn:userTask id="v1"/>{Chain("cs", "v1")}</bpmn:process>
            """));
        await h.DeployAsync(Versioned(child, "v2", extensions: tag));
        await h.DeployAsync(Versioned(child, "v3", extensions: tag));
        await PinAsync(h, branch, child, 2);

        await h.Engine.Runtime.StartAsync(new StartInstance(parent) { Branch = branch });

        Assert.That(await RunsAsync(h, child), Is.EqualTo(new[] { (1, branch), (2, branch), (2, branch) }),
            "deployment: the version deployed with the caller; latest and versionTag: the pin");
    }

    [Test]
    public async Task A_timer_start_of_a_pinned_version_fires_for_its_branch_until_unpinned_on_the_store()
    {
        var (process, branch) = (Unique("pin-timer"), Unique("br"));
        var hourly = """<bpmn:startEvent id="s"><bpmn:timerEventDefinition><bpmn:timeCycle>R/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>""";
        var h = await HarnessAsync();
        await h.DeployAsync(Versioned(process, "v1", hourly));
        await PinAsync(h, branch, process, 1);
        await h.DeployAsync(Versioned(process, "v2"));

        await h.AdvanceTimeAsync(TimeSpan.FromHours(1));
        await h.ApproveAsync(process, 2); // the standard the unpinned branch runs
        await h.Engine.Branches.UpdateAsync(branch, b => b with { Pins = new Dictionary<string, int>() });
        await h.AdvanceTimeAsync(TimeSpan.FromHours(2));

        Assert.That(await RunsAsync(h, process), Is.EqualTo(new[] { (1, branch) }),
            "v2 has no timer start; v1's timer fires for the branch while pinned and closes with the pin");
    }

    [Test]
    public async Task A_signal_start_fans_out_to_the_branches_that_run_each_version_on_the_store()
    {
        var (process, branch, signal) = (Unique("pin-signal"), Unique("br"), Unique("recall"));
        var definitions = $"""<bpmn:signal id="sig" name="{signal}"/>""";
        var start = """<bpmn:startEvent id="s"><bpmn:signalEventDefinition signalRef="sig"/></bpmn:startEvent>""";
        var h = await HarnessAsync();
        await h.DeployAsync(Versioned(process, "v1", start, definitions));
        await PinAsync(h, branch, process, 1);
        await h.DeployAsync(Versioned(process, "v2", start, definitions));

        await (await HarnessAsync()).BroadcastSignalAsync(signal);

        Assert.That(await RunsAsync(h, process), Is.EqualTo(new[] { (1, branch), (2, (string?)null) }));
    }

    [Test]
    public async Task A_redrawn_model_keeps_its_version_and_the_store_keeps_the_new_diagram()
    {
        var process = Unique("pin-redrawn");
        var h = await HarnessAsync();
        var written = Versioned(process, "a");
        var drawn = written.Replace("<bpmn:userTask id=\"a\"/>", """

              <bpmn:userTask id="a">
                <bpmn:incoming>s_a</bpmn:incoming>
              </bpmn:userTask>
            """, StringComparison.Ordinal).Replace("</bpmn:definitions>", $"""
            <bpmndi:BPMNDiagram id="d" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"><bpmndi:BPMNPlane id="pl" bpmnElement="{process}"/></bpmndi:BPMNDiagram>
            </bpmn:definitions>
            """, StringComparison.Ordinal);
        await h.DeployAsync(written);

        var redrawn = (await h.DeployAsync(drawn)).Processes.Single();

        using (Assert.EnterMultipleScope())
        {
            Assert.That((redrawn.Version, redrawn.IsNew, redrawn.DiagramReplaced), Is.EqualTo((1, false, true)));
            Assert.That(await (await HarnessAsync()).Engine.Deployments.GetXmlAsync(process, 1), Is.EqualTo(drawn));
        }
    }
}
