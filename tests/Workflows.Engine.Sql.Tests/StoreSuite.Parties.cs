using NUnit.Framework;
using Workflows.Engine.Runtime;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

// The branch and customer of an instance's row come from its wf:journey mapping whatever command ends it: an instance
// that ends in the command that starts it (a straight-through journey) once had no process scope left at its commit,
// and was stored with neither, invisible to its branch.
public abstract partial class StoreSuite
{
    [TestCase("""<bpmn:endEvent id="e"/>""", ProcessInstanceStatus.Completed)]
    [TestCase("""<bpmn:endEvent id="e"><bpmn:terminateEventDefinition/></bpmn:endEvent>""", ProcessInstanceStatus.Terminated)]
    public async Task An_instance_that_ends_in_the_command_that_starts_it_keeps_its_branch_and_customer(string end, ProcessInstanceStatus status)
    {
        var (process, branch) = (Unique("straight"), Unique("br"));
        var h = await HarnessAsync();
        await h.DeployAsync(Process(process, $"""<bpmn:startEvent id="s"/>{end}{Chain("s", "e")}"""));

        var instance = await h.StartAsync(process, Vars(("branch", branch), ("customerId", "C-7")));

        var found = await h.Engine.Queries.QueryInstancesAsync(new InstanceQuery { ProcessId = process, Branch = branch });
        using (Assert.EnterMultipleScope())
        {
            Assert.That(found.Select(i => (i.Id, i.Status, i.Branch, i.CustomerId)), Is.EqualTo(new[] { (instance.Id, status, (string?)branch, (string?)"C-7") }));
            Assert.That((await NewStore().GetInstanceAsync(instance.Id, default))!.Branch, Is.EqualTo(branch), "the row's own column");
        }
    }
}
