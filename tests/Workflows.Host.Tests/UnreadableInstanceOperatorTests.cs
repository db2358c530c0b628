using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Workflows.Host.Tests;

/// <summary>
/// An operator meets an instance whose stored state cannot be read through the API: its inspection is read from its rows
/// (why, and every task, job, timer, subscription, clock and call they know), and a cancel with a reason ends all of it
/// and the instance it called in one commit, with the operator in its history.
/// </summary>
[NonParallelizable]
public sealed class UnreadableInstanceOperatorTests
{
    private const string JobType = "unreadable-operator-check";

    private const string Called = """
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
          <bpmn:process id="unreadable-called" isExecutable="true">
            <bpmn:startEvent id="start"/><bpmn:userTask id="inner"/>
            <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="inner"/>
          </bpmn:process>
        </bpmn:definitions>
        """;

    // Everything an instance can wait on at once: a task with an SLA, a job, a message, a timer and a call.
    private const string Waiting = $"""
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:wf="urn:workflows:bpmn:1.0" id="d" targetNamespace="x">
          <bpmn:message id="m" name="unreadable-operator-reply"><bpmn:extensionElements><zeebe:subscription correlationKey="=grp"/></bpmn:extensionElements></bpmn:message>
          <bpmn:process id="unreadable-operator" isExecutable="true">
            <bpmn:startEvent id="start"/>
            <bpmn:parallelGateway id="fork"/>
            <bpmn:userTask id="review"><bpmn:extensionElements><wf:sla target="PT4H"/></bpmn:extensionElements></bpmn:userTask>
            <bpmn:serviceTask id="check"><bpmn:extensionElements><zeebe:taskDefinition type="{JobType}"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:intermediateCatchEvent id="reply"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
            <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT2H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
            <bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="unreadable-called"/></bpmn:extensionElements></bpmn:callActivity>
            <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="fork"/>
            <bpmn:sequenceFlow id="f1" sourceRef="fork" targetRef="review"/>
            <bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="check"/>
            <bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="reply"/>
            <bpmn:sequenceFlow id="f4" sourceRef="fork" targetRef="wait"/>
            <bpmn:sequenceFlow id="f5" sourceRef="fork" targetRef="call"/>
          </bpmn:process>
        </bpmn:definitions>
        """;

    private static IEnumerable<string> Kinds(JsonElement inspection) =>
        inspection.GetProperty("waitPoints").EnumerateArray().Select(w => w.GetProperty("kind").GetString()!).Order();

    [Test]
    public async Task An_operator_inspects_an_unreadable_instance_by_its_rows_and_cancels_it_ending_its_work_and_what_it_called()
    {
        await using var host = TestHost.Start();
        var alice = await host.As("alice");
        await alice.DeployAsync(Called);
        await alice.DeployAsync(Waiting);
        var id = await (await host.As("ann")).StartAsync("unreadable-operator", new { grp = "OP-1" });
        await UnreadableStates.PoisonAsync(host, id);
        var otto = await host.As("otto");

        var before = await otto.GetJsonAsync($"/api/instances/{id}/inspection");
        var called = before.GetProperty("waitPoints").EnumerateArray().Single(w => w.GetProperty("kind").GetString() == "call");
        var calledId = called.GetProperty("id").GetString()!;
        using var cancel = await otto.PostAsJsonAsync($"/api/instances/{id}/cancellation", new { reason = "state lost in a bad migration" });
        var cancelBody = await cancel.Content.ReadAsStringAsync();
        var after = await otto.GetJsonAsync($"/api/instances/{id}/inspection");
        var ended = after.GetProperty("history").EnumerateArray().Last(h => h.GetProperty("kind").GetString() == "instance-cancelled");
        var child = await (await host.As("sofia")).GetJsonAsync($"/api/instances/{calledId}");
        var worker = host.WithToken(("sub", "bot-paris-01"), ("role", "worker"), ("branch", "paris-01"));
        var jobs = await worker.PostJsonAsync("/api/jobs/activation", new { type = JobType, maxJobsToActivate = 10 });
        using var late = await (await host.As("ann")).PostAsJsonAsync("/api/messages", new { name = "unreadable-operator-reply", correlationKey = "OP-1" });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(before.GetProperty("stateProblem").GetString(), Does.Contain("'evil'"), "why its state cannot be read");
            Assert.That(before.GetProperty("scope").GetProperty("state").GetString(), Is.EqualTo("unreadable"));
            Assert.That(Kinds(before), Is.EqualTo(new[] { "call", "job", "message", "sla-clock", "timer", "user-task" }), "what its rows know");
            Assert.That(called.GetProperty("elementId").GetString(), Is.EqualTo("call"), "the call its history names");
            Assert.That(cancel.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), cancelBody);
            Assert.That(after.GetProperty("instance").GetProperty("status").GetString(), Is.EqualTo("cancelled"));
            Assert.That(Kinds(after), Is.Empty, "its task, job, subscription, timer, clock and call are gone");
            Assert.That(after.GetProperty("incidents").GetArrayLength(), Is.Zero);
            Assert.That(after.GetProperty("stateProblem").GetString(), Does.Contain("'evil'"), "its stored state is kept as it was");
            Assert.That(ended.GetProperty("actor").GetString(), Is.EqualTo("otto"));
            Assert.That(ended.GetProperty("detail").GetString(), Does.StartWith("state lost in a bad migration | by its rows"));
            Assert.That(after.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("kind").GetString()), Does.Contain("clock-cancelled"), "its clock ended by its module");
            Assert.That(child.GetProperty("status").GetString(), Is.EqualTo("terminated"), "the instance it called ended with it");
            Assert.That(jobs.GetProperty("jobs").GetArrayLength(), Is.Zero);
            Assert.That(late.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "no subscription is left for the message");
        }
    }

    [Test]
    public async Task Another_branchs_staff_neither_read_inspect_nor_cancel_an_unreadable_instance_nor_learn_why_it_is_broken()
    {
        await using var host = TestHost.Start();
        await (await host.As("alice")).DeployAsync(UnreadableStates.AwaitingMessage("unreadable-branch"));
        var id = await (await host.As("ann")).StartAsync("unreadable-branch", new { grp = "B-1" });
        await UnreadableStates.PoisonAsync(host, id);
        var stranger = host.WithToken(("sub", "olga"), ("role", "operator"), ("branch", "lyon-02"));

        using var inspect = await stranger.GetAsync(new Uri($"/api/instances/{id}/inspection", UriKind.Relative));
        using var cancel = await stranger.PostAsJsonAsync($"/api/instances/{id}/cancellation", new { reason = "not mine" });
        var agent = host.WithToken(("sub", "lea"), ("role", "agent"), ("branch", "lyon-02"));
        using var read = await agent.GetAsync(new Uri($"/api/instances/{id}", UriKind.Relative));
        var readBody = await read.Content.ReadAsStringAsync();
        var state = await (await host.As("otto")).GetJsonAsync($"/api/instances/{id}/inspection");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(inspect.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(cancel.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(read.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "another branch's agent learns nothing of it, not even that its state is broken");
            Assert.That(readBody, Does.Not.Contain("evil"));
            Assert.That(state.GetProperty("instance").GetProperty("status").GetString(), Is.EqualTo("active"));
        }
    }

    [Test]
    public async Task A_cancel_batch_naming_unreadable_instances_by_id_is_created_and_ends_each_by_its_rows()
    {
        await using var host = TestHost.Start();
        await (await host.As("alice")).DeployAsync(UnreadableStates.AwaitingMessage("unreadable-batch"));
        var ann = await host.As("ann");
        var ids = new[] { await ann.StartAsync("unreadable-batch", new { grp = "U-1" }), await ann.StartAsync("unreadable-batch", new { grp = "U-2" }) };
        foreach (var id in ids)
        {
            await UnreadableStates.PoisonAsync(host, id);
        }

        var otto = await host.As("otto");
        var created = await otto.PostJsonAsync("/api/batches", new { kind = "cancel", selection = new { instanceIds = ids }, reason = "states lost" }, HttpStatusCode.Created);
        var batch = await otto.CompletedBatchAsync(created.GetProperty("id").GetString()!);
        var statuses = new List<string?>();
        foreach (var id in ids)
        {
            statuses.Add((await otto.GetJsonAsync($"/api/instances/{id}/inspection")).GetProperty("instance").GetProperty("status").GetString());
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(batch.GetProperty("done").GetInt32(), Is.EqualTo(2), batch.ToString());
            Assert.That(statuses, Is.All.EqualTo("cancelled"));
        }
    }
}
