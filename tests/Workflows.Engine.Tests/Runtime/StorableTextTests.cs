using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>
/// A NUL character in a text a command brings to be stored (a business key, a branch, a message's name and key, a
/// variable's text or name at any depth) is refused by the engine itself, naming where, whatever the store: PostgreSQL
/// would refuse it with a driver error and SQLite keep it. Nothing of the command is done.
/// </summary>
public sealed class StorableTextTests
{
    private static readonly string s_model = Process("kept", $"""
        <bpmn:startEvent id="s"/>
        <bpmn:intermediateCatchEvent id="reply"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
        {UserTask("review")}
        {Chain("s", "reply", "review")}
        """, Message("m", "customer-reply", "=caseId"));

    [Test]
    public async Task A_start_with_a_nul_in_its_key_branch_or_a_variable_is_refused_naming_where_and_no_instance_starts()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_model);

        var key = Assert.ThrowsAsync<WorkflowInputException>(() => h.StartAsync("kept", Vars(("caseId", "C-1")), businessKey: "C-1\0"));
        var branch = Assert.ThrowsAsync<WorkflowInputException>(() => h.Engine.Runtime.StartAsync(new StartInstance("kept") { Branch = "paris\0" }));
        var text = Assert.ThrowsAsync<WorkflowInputException>(() => h.StartAsync("kept", Vars(("caseId", "C-1"), ("note", "a\0b"))));
        var deep = Assert.ThrowsAsync<WorkflowInputException>(() => h.StartAsync("kept", Vars(("caseId", "C-1"), ("claim", Vars(("lines", new List<object?> { "ok", Vars(("sku", "x\0")) }))))));
        var name = Assert.ThrowsAsync<WorkflowInputException>(() => h.StartAsync("kept", Vars(("caseId", "C-1"), ("claim", Vars(("a\0", 1))))));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(key!.Message, Is.EqualTo(Workflows.Engine.Runtime.StorableText.NulProblem("businessKey")));
            Assert.That(branch!.Message, Does.StartWith("branch holds a NUL character"));
            Assert.That(text!.Message, Does.StartWith("variables.note holds a NUL character"));
            Assert.That(deep!.Message, Does.StartWith("variables.claim.lines[1].sku holds a NUL character"));
            Assert.That(name!.Message, Does.StartWith("variables.claim: a name holds a NUL character"));
            Assert.That(await h.InstancesOfAsync("kept"), Is.Empty);
        }
    }

    [Test]
    public async Task A_message_with_a_nul_in_its_key_or_a_variable_is_refused_and_moves_nothing()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_model);
        var instance = await h.StartAsync("kept", Vars(("caseId", "C-2")));

        var key = Assert.ThrowsAsync<WorkflowInputException>(() => h.CorrelateAsync("customer-reply", "C-2\0"));
        var variable = Assert.ThrowsAsync<WorkflowInputException>(() => h.CorrelateAsync("customer-reply", "C-2", Vars(("reply", "yes\0"))));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(key!.Message, Does.StartWith("the message's correlation key holds a NUL character"));
            Assert.That(variable!.Message, Does.StartWith("variables.reply holds a NUL character"));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "reply" }), "the message moved nothing");
        }
    }
}
