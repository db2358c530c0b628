using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime.Semantics;

/// <summary>Where a completion's variables and output mappings go (Zeebe's BpmnVariableMappingBehavior).</summary>
public sealed class OutputMappingScopeTests
{
    [Test]
    public async Task An_output_mapping_sees_the_result_of_an_earlier_output_mapping_of_the_same_element()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("work", """
                <bpmn:extensionElements><zeebe:ioMapping>
                  <zeebe:input source="=1" target="a"/><zeebe:input source="=a + 1" target="b"/>
                  <zeebe:output source="=b * 10" target="c"/><zeebe:output source="=c + 1" target="d"/>
                </zeebe:ioMapping></bpmn:extensionElements>
                """)}
            {UserTask("after")}
            {Chain("start", "work", "after")}
            """));
        var instance = await h.StartAsync("p");

        await instance.CompleteUserTaskAsync("work");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.VariableAsync("c"), Is.EqualTo(20m));
            Assert.That(await instance.VariableAsync("d"), Is.EqualTo(21m));
        }
    }

    [Test]
    public async Task An_earlier_output_result_takes_priority_over_a_process_variable_of_the_same_name()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("work", """<bpmn:extensionElements><zeebe:ioMapping><zeebe:output source="=5" target="c"/><zeebe:output source="=c * 2" target="d"/></zeebe:ioMapping></bpmn:extensionElements>""")}
            {UserTask("after")}
            {Chain("start", "work", "after")}
            """));
        var instance = await h.StartAsync("p", Vars(("c", 100)));

        await instance.CompleteUserTaskAsync("work");

        Assert.That(await instance.VariableAsync("d"), Is.EqualTo(10m));
    }

    [Test]
    public async Task A_completion_variable_named_like_an_input_mapping_target_updates_the_local_and_does_not_reach_the_process()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("work", """<bpmn:extensionElements><zeebe:ioMapping><zeebe:input source="=0" target="x"/></zeebe:ioMapping></bpmn:extensionElements>""")}
            {UserTask("after")}
            {Chain("start", "work", "after")}
            """));
        var instance = await h.StartAsync("p", Vars(("x", 1)));

        await instance.CompleteUserTaskAsync("work", Vars(("x", 5), ("y", 6)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.VariableAsync("x"), Is.EqualTo(1m), "the input mapping shields the process's x");
            Assert.That(await instance.VariableAsync("y"), Is.EqualTo(6m));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "after" }));
        }
    }

    [Test]
    public async Task A_completion_variable_that_a_sub_process_holds_locally_updates_the_sub_process_variable()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("p", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:subProcess id="sub">
              <bpmn:extensionElements><zeebe:ioMapping><zeebe:input source="=0" target="n"/><zeebe:output source="=n" target="seen"/></zeebe:ioMapping></bpmn:extensionElements>
              <bpmn:startEvent id="s1"/>
              {UserTask("inner")}
              <bpmn:endEvent id="e1"/>
              {Chain("s1", "inner", "e1")}
            </bpmn:subProcess>
            {UserTask("after")}
            {Chain("start", "sub", "after")}
            """));
        var instance = await h.StartAsync("p", Vars(("n", 1)));

        await instance.CompleteUserTaskAsync("inner", Vars(("n", 7)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.VariableAsync("seen"), Is.EqualTo(7m));
            Assert.That(await instance.VariableAsync("n"), Is.EqualTo(1m));
        }
    }
}
