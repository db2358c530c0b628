using System.Net;
using System.Net.Http.Json;

namespace Workflows.Host.Tests;

/// <summary>A message that starts a journey names the branch it runs for: the branch's pin chooses the version, and only a caller serving the branch may name it.</summary>
[NonParallelizable]
public sealed class PinnedMessageStartTests
{
    private static string Version(string label) => $"""
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:wf="urn:workflows:bpmn:1.0" id="pinned_start" targetNamespace="t">
          <bpmn:message id="m" name="PinnedStartRequested"><bpmn:extensionElements><zeebe:subscription correlationKey="=caseId"/></bpmn:extensionElements></bpmn:message>
          <bpmn:process id="pinned-start" name="Pinned start" isExecutable="true">
            <bpmn:startEvent id="s"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>
            <bpmn:userTask id="{label}"><bpmn:extensionElements><wf:userTask candidateGroups="back-office"/></bpmn:extensionElements></bpmn:userTask>
            <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="{label}"/>
          </bpmn:process>
        </bpmn:definitions>
        """;

    [Test]
    public async Task A_central_team_starts_the_version_the_named_branch_pinned_and_a_branch_agent_may_not_name_another_branch()
    {
        await using var host = TestHost.Start();
        var analyst = await host.As("alice");
        foreach (var label in new[] { "v1", "v2" })
        {
            using var deployed = await analyst.PostAsync(new Uri("/api/definitions", UriKind.Relative), new StringContent(Version(label), System.Text.Encoding.UTF8, "application/xml"));
            Assert.That((int)deployed.StatusCode, Is.InRange(200, 299), await deployed.Content.ReadAsStringAsync());
        }

        await (await host.As("ines")).ApproveAsync("pinned-start", 1);
        var lyonAdmin = host.WithToken(("sub", "lea"), ("role", "branch-admin"), ("branch", "lyon-01"));
        using var pinned = await lyonAdmin.PutAsJsonAsync(new Uri("/api/branches/lyon-01/pins/pinned-start", UriKind.Relative), new { version = 1 });
        Assert.That(pinned.StatusCode, Is.EqualTo(HttpStatusCode.OK), await pinned.Content.ReadAsStringAsync());

        var central = host.WithToken(("sub", "cora"), ("role", "agent"), ("branch", "*"), ("queue", "back-office"));
        var forLyon = await central.PostJsonAsync("/api/messages", new { name = "PinnedStartRequested", correlationKey = "PS-1", branch = "lyon-01" });
        var forNone = await central.PostJsonAsync("/api/messages", new { name = "PinnedStartRequested", correlationKey = "PS-2" });
        using var unknown = await central.PostAsJsonAsync("/api/messages", new { name = "PinnedStartRequested", correlationKey = "PS-3", branch = "atlantis" });
        using var foreign = await host.WithToken(("sub", "luc"), ("role", "agent"), ("branch", "lyon-01"), ("queue", "front-desk"))
            .PostAsJsonAsync("/api/messages", new { name = "PinnedStartRequested", correlationKey = "PS-4", branch = "paris-01" });
        var instances = await central.GetJsonAsync("/api/instances?journey=pinned-start");
        var started = instances.EnumerateArray()
            .Select(i => (Key: i.GetProperty("businessKey").GetString(), Version: i.GetProperty("version").GetInt32(), Branch: i.GetProperty("branch").GetString()))
            .OrderBy(i => i.Key, StringComparer.Ordinal).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(forLyon.GetProperty("startedInstances").GetInt32(), Is.EqualTo(1));
            Assert.That(forNone.GetProperty("startedInstances").GetInt32(), Is.EqualTo(1));
            Assert.That(started, Is.EqualTo(new[] { ("PS-1", 1, "lyon-01"), ("PS-2", 2, (string?)null) }));
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(foreign.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        }
    }
}
