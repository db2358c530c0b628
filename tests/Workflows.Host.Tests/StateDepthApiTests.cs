using System.Net;
using System.Net.Http.Json;
using System.Text;

namespace Workflows.Host.Tests;

/// <summary>
/// Deep variables through the API: one as deep as the engine accepts starts, is copied into a task and read back by every
/// later request; a deeper one is 400 naming the variable, its depth and the setting; a body nested deeper than the API
/// reads is 400 naming that limit, not "not valid JSON".
/// </summary>
[NonParallelizable]
public sealed class StateDepthApiTests
{
    private const string Copying = """
        <?xml version="1.0" encoding="UTF-8"?>
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="x">
          <bpmn:process id="depth-copy" isExecutable="true">
            <bpmn:startEvent id="start"/>
            <bpmn:userTask id="review"><bpmn:extensionElements><zeebe:assignmentDefinition candidateGroups="front-desk"/><zeebe:ioMapping><zeebe:input source="=deep" target="localCopy"/></zeebe:ioMapping></bpmn:extensionElements></bpmn:userTask>
            <bpmn:userTask id="after"><bpmn:extensionElements><zeebe:assignmentDefinition candidateGroups="front-desk"/></bpmn:extensionElements></bpmn:userTask>
            <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
            <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="after"/>
          </bpmn:process>
        </bpmn:definitions>
        """;

    private TestHost _host = null!;

    [OneTimeSetUp]
    public async Task StartTheHost()
    {
        _host = TestHost.Start();
        await (await _host.As("alice")).DeployAsync(Copying);
    }

    [OneTimeTearDown]
    public async Task StopTheHost() => await _host.DisposeAsync();

    private static string Nested(int depth) => new string('[', depth) + "1" + new string(']', depth);

    private static StringContent Start(string deepJson) =>
        new("""{"journey":"depth-copy","branch":"paris-01","variables":{"deep":""" + deepJson + "}}", Encoding.UTF8, "application/json");

    [Test]
    public async Task A_variable_as_deep_as_allowed_starts_is_copied_into_a_task_and_every_later_request_reads_the_instance()
    {
        var ann = await _host.As("ann");

        using var started = await ann.PostAsync(new Uri("/api/instances", UriKind.Relative), Start(Nested(128)));
        var id = (await started.JsonAsync(HttpStatusCode.Created)).GetProperty("id").GetString()!;
        var task = await ann.TaskAsync(id, "review");
        using var completed = await ann.PostAsJsonAsync($"/api/tasks/{task}/complete", new { });
        Assert.That(completed.IsSuccessStatusCode, Is.True);
        // Read as deep as the answer goes (the test client's reader stops at 64 by default).
        var body = await (await _host.As("sofia")).GetStringAsync(new Uri($"/api/instances/{id}", UriKind.Relative));
        using var document = System.Text.Json.JsonDocument.Parse(body, new System.Text.Json.JsonDocumentOptions { MaxDepth = 512 });
        var instance = document.RootElement;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(instance.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("elementId").GetString()), Is.EqualTo(new[] { "after" }));
            Assert.That(instance.GetProperty("variables").GetProperty("deep").GetRawText(), Is.EqualTo(Nested(128)));
        }
    }

    [Test]
    public async Task A_start_with_a_variable_deeper_than_the_limit_is_400_naming_the_variable_the_depth_and_the_setting()
    {
        var ann = await _host.As("ann");

        using var refused = await ann.PostAsync(new Uri("/api/instances", UriKind.Relative), Start(Nested(129)));

        var problem = await refused.JsonAsync(HttpStatusCode.BadRequest);
        Assert.That(problem.GetProperty("detail").GetString(), Does.Contain("variable 'deep'").And.Contain("more than 128 levels deep").And.Contain("Workflows:Engine:Limits:MaxVariableDepth"));
    }

    [Test]
    public async Task A_body_nested_deeper_than_the_API_reads_is_400_naming_the_depth_limit()
    {
        var ann = await _host.As("ann");

        using var refused = await ann.PostAsync(new Uri("/api/instances", UriKind.Relative), Start(Nested(300)));

        var detail = (await refused.JsonAsync(HttpStatusCode.BadRequest)).GetProperty("detail").GetString();
        Assert.That(detail, Does.Contain("deeper than 256 levels").And.Not.Contain("not valid JSON"));
    }
}
