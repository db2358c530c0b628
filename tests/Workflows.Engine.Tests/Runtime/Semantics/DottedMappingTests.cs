using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime.Semantics;

/// <summary>Issue 13, item 7 (Camunda 8: a mapping to <c>z.y</c> sets the member <c>y</c> of the context <c>z</c>).</summary>
public sealed class DottedMappingTests
{
    private static string Mapping(string direction, string source, string target) =>
        $"""<zeebe:{direction} source="{source}" target="{target}"/>""";

    [Test]
    public async Task An_input_mapping_to_a_dotted_target_sets_a_member_of_the_local_context()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("work", $"<bpmn:extensionElements><zeebe:ioMapping>{Mapping("input", "=5", "z.y")}{Mapping("input", "=6", "z.w.v")}{Mapping("output", "=z", "seen")}</zeebe:ioMapping></bpmn:extensionElements>")}
            {Chain("start", "work")}
            """));
        var instance = await h.StartAsync("p", Vars(("z", new Dictionary<string, object?> { ["x"] = 1 })));

        await instance.CompleteUserTaskAsync("work");

        var variables = (await instance.SnapshotAsync()).Variables;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(variables["seen"], Is.EqualTo(new Dictionary<string, object?> { ["x"] = 1m, ["y"] = 5m, ["w"] = new Dictionary<string, object?> { ["v"] = 6m } }));
            Assert.That(variables["z"], Is.EqualTo(new Dictionary<string, object?> { ["x"] = 1m }), "the input mapping made a local copy");
            Assert.That(variables.ContainsKey("z.y"), Is.False);
        }
    }

    [Test]
    public async Task An_output_mapping_to_a_dotted_target_sets_a_member_of_the_context_in_the_parent_scope()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("work", $"<bpmn:extensionElements><zeebe:ioMapping>{Mapping("output", "=amount", "order.total")}{Mapping("output", "=currency", "order.money.code")}</zeebe:ioMapping></bpmn:extensionElements>")}
            {UserTask("after")}
            {Chain("start", "work", "after")}
            """));
        var instance = await h.StartAsync("p", Vars(("order", new Dictionary<string, object?> { ["id"] = "O-1" })));

        await instance.CompleteUserTaskAsync("work", Vars(("amount", 7), ("currency", "EUR")));

        var variables = (await instance.SnapshotAsync()).Variables;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(variables["order"], Is.EqualTo(new Dictionary<string, object?>
            {
                ["id"] = "O-1",
                ["total"] = 7m,
                ["money"] = new Dictionary<string, object?> { ["code"] = "EUR" },
            }));
            Assert.That(variables.ContainsKey("order.total"), Is.False);
        }
    }

    [Test]
    public async Task An_output_mapping_to_a_member_of_a_context_an_input_mapping_made_local_merges_into_the_parents_context_only()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("work", $"<bpmn:extensionElements><zeebe:ioMapping>{Mapping("input", "=1", "z.y")}{Mapping("input", "=2", "z.w.v")}{Mapping("output", "=z", "out")}{Mapping("output", "=3", "z.x")}</zeebe:ioMapping></bpmn:extensionElements>")}
            {UserTask("after")}
            {Chain("start", "work", "after")}
            """));
        var instance = await h.StartAsync("p", Vars(("z", new Dictionary<string, object?> { ["a"] = 1 })));

        await instance.CompleteUserTaskAsync("work");

        var variables = (await instance.SnapshotAsync()).Variables;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(variables["z"], Is.EqualTo(new Dictionary<string, object?> { ["a"] = 1m, ["x"] = 3m }), "the input mapping's members stay local to the task");
            Assert.That(variables["out"], Is.EqualTo(new Dictionary<string, object?> { ["a"] = 1m, ["y"] = 1m, ["w"] = new Dictionary<string, object?> { ["v"] = 2m } }), "the source still sees the task's z");
        }
    }
}
