using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>A message limited to one branch (a branch's staff's) that nothing takes is refused naming the rule that kept it from starting a process.</summary>
public sealed class BranchLimitedMessageTests
{
    [Test]
    public async Task A_branch_limited_message_that_only_a_start_event_listens_to_is_refused_naming_the_rule_not_a_missing_process()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Process("intake", $"""
            <bpmn:startEvent id="start"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>
            {UserTask("review")}
            {Chain("start", "review")}
            """, """<bpmn:message id="m" name="intake-request"/>"""));

        var refused = Assert.ThrowsAsync<WorkflowNotFoundException>(() => h.Engine.Runtime.CorrelateMessageAsync(
            new PublishMessage("intake-request", "K-1") { OnlyBranch = "paris-01", MustCorrelate = true }));
        var unknown = Assert.ThrowsAsync<WorkflowNotFoundException>(() => h.Engine.Runtime.CorrelateMessageAsync(
            new PublishMessage("nobody-listens", "K-1") { OnlyBranch = "paris-01", MustCorrelate = true }));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused.Message, Does.Contain("no instance of branch 'paris-01' waits").And.Contain("starts no process")
                .And.Contain("a process starts on this message").And.Contain("handoff").And.Not.Contain("no process starts on it"));
            Assert.That(unknown.Message, Does.Contain("starts no process").And.Not.Contain("a process starts on this message"));
            Assert.That(await h.InstancesOfAsync("intake"), Is.Empty);
        }
    }
}
