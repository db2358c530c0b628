using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>
/// A variable a command brings has a name an expression can read back: an empty name, or a dotted one (which FEEL and the
/// mappings read as a context's member), is refused naming it on every command, and nothing of the command is done.
/// </summary>
public sealed class VariableNameTests
{
    private static readonly string s_model = Process("named", $"""
        <bpmn:startEvent id="s"/>
        <bpmn:intermediateCatchEvent id="reply"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
        {UserTask("review")}
        {ServiceTask("book", "booking")}
        {UserTask("after")}
        {Chain("s", "reply", "review", "book", "after")}
        """, Message("m", "customer-reply", "=caseId"));

    [Test]
    public async Task A_start_with_an_empty_or_dotted_variable_name_is_refused_naming_it_and_no_instance_starts()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_model);

        var empty = Assert.ThrowsAsync<WorkflowInputException>(() => h.StartAsync("named", Vars(("caseId", "C-1"), ("", 2))));
        var dotted = Assert.ThrowsAsync<WorkflowInputException>(() => h.StartAsync("named", Vars(("caseId", "C-1"), ("a.b", 1))));
        var blank = Assert.ThrowsAsync<WorkflowInputException>(() => h.StartAsync("named", Vars(("caseId", "C-1"), ("  ", 1))));
        var control = Assert.ThrowsAsync<WorkflowInputException>(() => h.StartAsync("named", Vars(("caseId", "C-1"), ("line\nbreak", 1))));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(empty!.Message, Does.StartWith("a variable's name is empty"));
            Assert.That(dotted!.Message, Does.StartWith("variable 'a.b': a name holds no '.'").And.Contain("the member 'b' of a context 'a'").And.Contain("{\"a\": {…}}"));
            Assert.That(blank!.Message, Does.StartWith("a variable's name is only white space"));
            Assert.That(control!.Message, Does.StartWith("variable 'line\\u000Abreak': a name holds no control character"));
            Assert.That(await h.InstancesOfAsync("named"), Is.Empty);
        }
    }

    [Test]
    public async Task A_message_task_completion_job_completion_and_set_variables_refuse_a_dotted_or_empty_name_and_nothing_moves()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_model);
        var instance = await h.StartAsync("named", Vars(("caseId", "C-2"), ("a", Vars(("b", 1)))));

        var message = Assert.ThrowsAsync<WorkflowInputException>(() => h.CorrelateAsync("customer-reply", "C-2", Vars(("a.b", 2))));
        var atReply = await instance.ActiveElementsAsync();
        await h.CorrelateAsync("customer-reply", "C-2");
        var task = Assert.ThrowsAsync<WorkflowInputException>(() => instance.CompleteUserTaskAsync("review", Vars(("", "x"))));
        var atReview = await instance.ActiveElementsAsync();
        await instance.CompleteUserTaskAsync("review");
        var job = Assert.ThrowsAsync<WorkflowInputException>(() => instance.CompleteJobAsync("book", Vars(("booking.id", "B-1"))));
        var atBook = await instance.ActiveElementsAsync();
        var set = Assert.ThrowsAsync<WorkflowInputException>(() => instance.SetVariablesAsync(Vars(("a.b", 3))));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(message!.Message, Does.StartWith("variable 'a.b'"));
            Assert.That(atReply, Is.EqualTo(new[] { "reply" }), "the refused message moved nothing");
            Assert.That(task!.Message, Does.StartWith("a variable's name is empty"));
            Assert.That(atReview, Is.EqualTo(new[] { "review" }));
            Assert.That(job!.Message, Does.StartWith("variable 'booking.id'"));
            Assert.That(atBook, Is.EqualTo(new[] { "book" }));
            Assert.That(set!.Message, Does.StartWith("variable 'a.b'"));
            Assert.That((await instance.SnapshotAsync()).Variables.Keys, Does.Not.Contain("a.b").And.Not.Contain("").And.Not.Contain("booking.id"));
        }
    }

    [Test]
    public async Task Names_an_expression_reads_in_backquotes_and_dotted_keys_inside_a_context_are_taken()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(s_model);

        var instance = await h.StartAsync("named", Vars(("caseId", "C-3"), ("tracking-id", "T-1"), ("first name", "Ann"), ("claim", Vars(("a.b", 1)))));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await instance.VariableAsync("tracking-id"), Is.EqualTo("T-1"));
            Assert.That(await instance.VariableAsync("first name"), Is.EqualTo("Ann"));
            Assert.That(await instance.ActiveElementsAsync(), Is.EqualTo(new[] { "reply" }));
        }
    }
}
