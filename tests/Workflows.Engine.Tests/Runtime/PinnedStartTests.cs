using Workflows.Engine.Feel;
using Workflows.Engine.Runtime;
using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>Every kind of start runs the version the branch pinned: API, message, handoff, call activity, timer, signal.</summary>
public sealed class PinnedStartTests
{
    private const string Lyon = "lyon-02";

    // A version of a process whose first step is named after the version, so where a token waits says which one runs.
    private static string Version(string processId, string label, string start = """<bpmn:startEvent id="s"/>""", string definitions = "", string extensions = "") =>
        Process(processId, $"""{start}<bpmn:userTask id="{label}"/>{Chain("s", label)}""", definitions, extensions);

    private static string Tag(string versionTag) => $"""<bpmn:extensionElements><zeebe:versionTag value="{versionTag}"/></bpmn:extensionElements>""";

    // A branch pins only an approved version (the approval gate): each pin here is approved first.
    private static async Task PinAsync(ProcessTestHarness h, string processId, int version, string branch = Lyon)
    {
        await h.ApproveAsync(processId, version);
        await h.Engine.Branches.SaveAsync(new Branch(branch, "Lyon Part-Dieu")
        {
            Calendar = $"group/branch:{branch}",
            Pins = new Dictionary<string, int> { [processId] = version },
        });
    }

    private static async Task<IReadOnlyList<InstanceSummary>> InstancesAsync(ProcessTestHarness h, string processId) =>
        (await h.Engine.Queries.QueryInstancesAsync(new InstanceQuery { ProcessId = processId })).OrderBy(i => i.Version).ThenBy(i => i.Branch).ToList();

    [Test]
    public async Task An_api_start_for_a_branch_runs_its_pin_and_a_named_version_wins_over_the_pin()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Version("journey", "v1"));
        await h.DeployAsync(Version("journey", "v2"));
        await PinAsync(h, "journey", 1);

        var pinned = await h.Engine.Runtime.StartAsync(new StartInstance("journey") { Branch = Lyon });
        var named = await h.Engine.Runtime.StartAsync(new StartInstance("journey") { Branch = Lyon, Version = 2 });

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await h.Engine.Queries.GetInstanceAsync(pinned)).Version, Is.EqualTo(1));
            Assert.That((await h.Engine.Queries.GetInstanceAsync(named)).Version, Is.EqualTo(2));
            Assert.That(await h.Engine.Branches.ResolveVersionAsync("journey", Lyon), Is.EqualTo(1));
            Assert.That(await h.Engine.Branches.ResolveVersionAsync("journey", null), Is.EqualTo(2));
        }
    }

    [Test]
    public async Task A_message_start_for_a_branch_runs_its_pinned_version_with_its_variables_and_one_for_no_branch_the_latest()
    {
        var h = new ProcessTestHarness();
        var message = Message("m", "claim-filed", "=caseId");
        await h.DeployAsync(Version("claim", "v1", """<bpmn:startEvent id="s"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>""", message));
        await PinAsync(h, "claim", 1);
        await h.DeployAsync(Version("claim", "v2", """<bpmn:startEvent id="s"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>""", message));

        await h.Engine.Runtime.CorrelateMessageAsync(new PublishMessage("claim-filed", "C-1") { Branch = Lyon });
        await h.Engine.Runtime.CorrelateMessageAsync(new PublishMessage("claim-filed", "C-2"));
        var unknown = Assert.ThrowsAsync<WorkflowNotFoundException>(() => h.Engine.Runtime.CorrelateMessageAsync(new PublishMessage("claim-filed", "C-3") { Branch = "atlantis" }));

        var instances = await InstancesAsync(h, "claim");
        var lyon = await h.Engine.Queries.GetInstanceAsync(instances[0].Id);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(instances.Select(i => (i.Version, i.BusinessKey, i.Branch)), Is.EqualTo(new[] { (1, "C-1", Lyon), (2, "C-2", (string?)null) }));
            Assert.That(lyon.ActiveElements.Select(e => e.ElementId), Is.EqualTo(new[] { "v1" }));
            Assert.That(lyon.Variables["calendar"], Is.EqualTo($"group/branch:{Lyon}"));
            Assert.That(unknown!.Message, Is.EqualTo("branch 'atlantis' does not exist"));
        }
    }

    [Test]
    public async Task A_message_naming_a_branch_that_does_not_exist_is_refused_when_no_process_starts_on_it_too_and_nothing_is_moved_or_buffered()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("waiting", $"""
            <bpmn:startEvent id="s"/>
            <bpmn:intermediateCatchEvent id="reply"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
            {UserTask("after")}{Chain("s", "reply", "after")}
            """, Message("m", "customer-reply", "=caseId")));
        var instance = await h.StartAsync("waiting", Vars(("caseId", "C-7")));

        var moving = Assert.ThrowsAsync<WorkflowNotFoundException>(() => h.Engine.Runtime.CorrelateMessageAsync(new PublishMessage("customer-reply", "C-7") { Branch = "atlantis" }));
        var buffering = Assert.ThrowsAsync<WorkflowNotFoundException>(() => h.Engine.Runtime.CorrelateMessageAsync(
            new PublishMessage("claim-filed", "C-8") { Branch = "atlantis", TimeToLive = TimeSpan.FromHours(1) }));
        await h.DeployAsync(Version("claim", "v1", """<bpmn:startEvent id="s"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>""", Message("m", "claim-filed", "=caseId")));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(moving!.Message, Is.EqualTo("branch 'atlantis' does not exist"));
            Assert.That(buffering!.Message, Is.EqualTo("branch 'atlantis' does not exist"), "no process starts on it yet: it was buffered for a branch nobody set up");
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "reply" }), "the waiting instance was not moved");
            Assert.That(await InstancesAsync(h, "claim"), Is.Empty, "nothing was buffered for a process deployed later to start on");
        }
    }

    [Test]
    public async Task A_pinned_version_keeps_listening_for_its_message_after_the_latest_stops_and_the_latest_takes_only_its_own()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Version("claim", "v1", """<bpmn:startEvent id="s"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>""", Message("m", "old-form", "=caseId")));
        await PinAsync(h, "claim", 1);
        await h.DeployAsync(Version("claim", "v2", """<bpmn:startEvent id="s"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>""", Message("m", "new-form", "=caseId")));

        var oldForLyon = await h.Engine.Runtime.CorrelateMessageAsync(new PublishMessage("old-form", "A") { Branch = Lyon });
        var oldForNoBranch = await h.Engine.Runtime.CorrelateMessageAsync(new PublishMessage("old-form", "B"));
        var newForLyon = await h.Engine.Runtime.CorrelateMessageAsync(new PublishMessage("new-form", "C") { Branch = Lyon });
        var newForNoBranch = await h.Engine.Runtime.CorrelateMessageAsync(new PublishMessage("new-form", "D"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(oldForLyon.StartedInstances, Is.EqualTo(1), "the version Lyon pinned still starts on its message");
            Assert.That(oldForNoBranch.StartedInstances, Is.Zero, "the latest version no longer starts on it");
            Assert.That(newForLyon.StartedInstances, Is.Zero, "Lyon does not run the version that starts on the new message");
            Assert.That(newForNoBranch.StartedInstances, Is.EqualTo(1));
            Assert.That((await InstancesAsync(h, "claim")).Select(i => (i.Version, i.BusinessKey)), Is.EqualTo(new[] { (1, "A"), (2, "D") }));
        }
    }

    [Test]
    public async Task A_handoff_starts_the_back_office_version_the_sending_instances_branch_pinned()
    {
        var h = new ProcessTestHarness();
        var messages = Message("m", "complaint-escalated", "=caseId");
        await h.DeployAsync(Process("front", $"""
            <bpmn:startEvent id="s"/><bpmn:sendTask id="escalate" messageRef="m"/>{UserTask("wait")}{Chain("s", "escalate", "wait")}
            """, messages));
        await h.DeployAsync(Version("investigation", "v1", """<bpmn:startEvent id="s"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>""", messages));
        await PinAsync(h, "investigation", 1);
        await h.DeployAsync(Version("investigation", "v2", """<bpmn:startEvent id="s"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>""", messages));
        await h.ApproveAsync("investigation", 2); // the standard an unpinned branch runs
        await h.Engine.Branches.SaveAsync(new Branch("nice-01", "Nice") { Calendar = "group/branch:nice-01" });

        await h.Engine.Runtime.StartAsync(new StartInstance("front") { Branch = Lyon, Variables = Vars(("caseId", "K-1")) });
        await h.Engine.Runtime.StartAsync(new StartInstance("front") { Branch = "nice-01", Variables = Vars(("caseId", "K-2")) });
        await h.DeliverMessagesAsync();

        var instances = await InstancesAsync(h, "investigation");
        var lyon = await h.Engine.Queries.GetInstanceAsync(instances[0].Id);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(instances.Select(i => (i.Version, i.BusinessKey, i.Branch)), Is.EqualTo(new[] { (1, "K-1", Lyon), (2, "K-2", "nice-01") }));
            Assert.That(lyon.ActiveElements.Select(e => e.ElementId), Is.EqualTo(new[] { "v1" }));
            Assert.That(((FeelContext)lyon.Variables["handoff"]!)["branch"], Is.EqualTo(Lyon));
        }
    }

    [Test]
    public async Task A_buffered_handoff_that_waited_for_the_active_case_starts_the_version_its_branch_pins_when_it_ends()
    {
        var h = new ProcessTestHarness();
        var messages = Message("m", "complaint-escalated", "=caseId");
        await h.DeployAsync(Version("investigation", "v1", """<bpmn:startEvent id="s"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>""", messages));
        await PinAsync(h, "investigation", 1);
        await h.DeployAsync(Version("investigation", "v2", """<bpmn:startEvent id="s"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>""", messages));

        await h.Engine.Runtime.CorrelateMessageAsync(new PublishMessage("complaint-escalated", "K-9"));
        var waiting = await h.Engine.Runtime.CorrelateMessageAsync(new PublishMessage("complaint-escalated", "K-9")
        {
            Handoff = new Handoff { Branch = Lyon, BusinessKey = "K-9" },
            TimeToLive = TimeSpan.FromHours(1),
        });
        var first = (await InstancesAsync(h, "investigation")).Single();
        await h.Instance(first.Id).CompleteUserTaskAsync("v2");

        var instances = await InstancesAsync(h, "investigation");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(waiting.StartedInstances, Is.Zero, "the active case with the key keeps the second message waiting");
            Assert.That(instances.Select(i => (i.Version, i.Branch, i.Status)), Is.EqualTo(new[]
            {
                (1, Lyon, ProcessInstanceStatus.Active), (2, (string?)null, ProcessInstanceStatus.Completed),
            }));
        }
    }

    [Test]
    public async Task A_call_activity_with_binding_latest_calls_the_version_the_callers_branch_pinned()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("parent", $"""
            <bpmn:startEvent id="s"/><bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="child"/></bpmn:extensionElements></bpmn:callActivity>
            {Chain("s", "call")}
            """));
        await h.DeployAsync(Version("child", "v1"));
        await h.DeployAsync(Version("child", "v2"));
        await PinAsync(h, "child", 1);

        await h.Engine.Runtime.StartAsync(new StartInstance("parent") { Branch = Lyon });
        await h.Engine.Runtime.StartAsync(new StartInstance("parent"));

        var children = await InstancesAsync(h, "child");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(children.Select(i => (i.Version, i.Branch)), Is.EqualTo(new[] { (1, Lyon), (2, (string?)null) }));
            Assert.That((await h.Engine.Queries.GetInstanceAsync(children[0].Id)).Variables["calendar"], Is.EqualTo($"group/branch:{Lyon}"));
        }
    }

    [Test]
    public async Task A_call_by_version_tag_takes_the_pinned_version_when_it_carries_the_tag_else_the_latest_with_the_tag()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("parent", $"""
            <bpmn:startEvent id="s"/><bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="child" bindingType="versionTag" versionTag="1.0"/></bpmn:extensionElements></bpmn:callActivity>
            {Chain("s", "call")}
            """));
        await h.DeployAsync(Version("child", "v1", extensions: Tag("1.0")));
        await h.DeployAsync(Version("child", "v2", extensions: Tag("1.0")));
        await h.DeployAsync(Version("child", "v3", extensions: Tag("2.0")));
        await PinAsync(h, "child", 1);
        await PinAsync(h, "child", 3, "nice-01");

        await h.Engine.Runtime.StartAsync(new StartInstance("parent") { Branch = Lyon });
        await h.Engine.Runtime.StartAsync(new StartInstance("parent") { Branch = "nice-01" });
        await h.Engine.Runtime.StartAsync(new StartInstance("parent"));

        var children = await InstancesAsync(h, "child");
        Assert.That(children.Select(i => (i.Branch, i.Version)).OrderBy(c => c.Branch, StringComparer.Ordinal), Is.EqualTo(new[]
        {
            ((string?)null, 2), (Lyon, 1), ("nice-01", 2),
        }), "Lyon's pin carries the tag; Nice's pin does not, so the latest version with the tag runs");
    }

    [Test]
    public async Task A_call_by_deployment_calls_the_version_deployed_with_the_caller_whatever_the_branch_pinned_of_the_child()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Document($"""
            <bpmn:process id="parent" isExecutable="true"><bpmn:startEvent id="s"/><bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="child" bindingType="deployment"/></bpmn:extensionElements></bpmn:callActivity>{Chain("s", "call")}</bpmn:process>
            <bpmn:process id="child" isExecutable="true"><bpmn:startEvent id="cs"/><bpmn:userTask id="v1"/>{Chain("cs", "v1")}</bpmn:process>
            """));
        await h.DeployAsync(Version("child", "v2"));
        await PinAsync(h, "child", 2);

        await h.Engine.Runtime.StartAsync(new StartInstance("parent") { Branch = Lyon });

        var child = (await InstancesAsync(h, "child")).Single();
        Assert.That((child.Version, child.Branch), Is.EqualTo((1, Lyon)), "the pin chose the caller's version, and the deployment the child's");
    }

    [Test]
    public async Task A_timer_start_of_a_pinned_version_keeps_its_schedule_and_starts_for_its_branch_until_the_pin_goes()
    {
        var h = new ProcessTestHarness();
        var hourly = """<bpmn:startEvent id="s"><bpmn:timerEventDefinition><bpmn:timeCycle>R/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>""";
        await h.DeployAsync(Version("review", "v1", hourly));
        await PinAsync(h, "review", 1);
        await h.DeployAsync(Version("review", "v2", hourly));

        await h.AdvanceTimeAsync(TimeSpan.FromHours(1));
        var firstHour = await InstancesAsync(h, "review");
        await h.ApproveAsync("review", 2); // the standard the unpinned branch runs
        await h.Engine.Branches.UpdateAsync(Lyon, b => b with { Pins = new Dictionary<string, int>() });
        await h.AdvanceTimeAsync(TimeSpan.FromHours(1));
        var secondHour = await InstancesAsync(h, "review");
        await PinAsync(h, "review", 1);
        await h.AdvanceTimeAsync(TimeSpan.FromHours(1));
        var thirdHour = await InstancesAsync(h, "review");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(firstHour.Select(i => (i.Version, i.Branch)), Is.EqualTo(new[] { (1, Lyon), (2, (string?)null) }),
                "v1's timer stays while Lyon pins it and starts for Lyon; v2's starts for no branch");
            Assert.That((await h.Engine.Queries.GetInstanceAsync(firstHour[0].Id)).Variables["branch"], Is.EqualTo(Lyon));
            Assert.That(secondHour.Count(i => i.Version == 1), Is.EqualTo(1), "unpinned, v1's timer closed");
            Assert.That(secondHour.Count(i => i.Version == 2), Is.EqualTo(2));
            Assert.That(thirdHour.Count(i => i.Version == 1 && i.Branch == Lyon), Is.EqualTo(2), "pinned again, v1's timer reopened from the pin");
        }
    }

    [Test]
    public async Task A_new_version_without_a_timer_start_closes_the_old_timer_unless_a_branch_pins_it()
    {
        var h = new ProcessTestHarness();
        var hourly = """<bpmn:startEvent id="s"><bpmn:timerEventDefinition><bpmn:timeCycle>R/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>""";
        await h.DeployAsync(Version("report", "v1", hourly));
        await h.DeployAsync(Version("report", "v2"));
        await h.DeployAsync(Version("audit", "v1", hourly));
        await PinAsync(h, "audit", 1);
        await h.DeployAsync(Version("audit", "v2"));

        await h.AdvanceTimeAsync(TimeSpan.FromHours(2));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await InstancesAsync(h, "report"), Is.Empty, "as in Camunda 8: a none start replaces the timer start");
            Assert.That((await InstancesAsync(h, "audit")).Select(i => (i.Version, i.Branch)), Is.EqualTo(new[] { (1, Lyon), (1, Lyon) }));
        }
    }

    [Test]
    public async Task A_signal_start_starts_each_version_for_the_branches_that_run_it()
    {
        var h = new ProcessTestHarness();
        var signal = """<bpmn:signal id="sig" name="recall"/>""";
        var start = """<bpmn:startEvent id="s"><bpmn:signalEventDefinition signalRef="sig"/></bpmn:startEvent>""";
        await h.DeployAsync(Version("recall", "v1", start, signal));
        await PinAsync(h, "recall", 1);
        await h.DeployAsync(Version("recall", "v2", start, signal));

        var triggered = await h.BroadcastSignalAsync("recall");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(triggered, Is.EqualTo(2));
            Assert.That((await InstancesAsync(h, "recall")).Select(i => (i.Version, i.Branch)), Is.EqualTo(new[] { (1, Lyon), (2, (string?)null) }));
        }
    }
}
