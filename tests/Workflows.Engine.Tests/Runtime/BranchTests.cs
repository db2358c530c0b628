using Workflows.Engine.Testing;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Tests.Runtime;

public sealed class BranchTests
{
    private static string Journey(string label) => Process("journey", $"""
        <bpmn:startEvent id="s"/>
        <bpmn:userTask id="{label}"/>
        {Chain("s", label)}
        """);

    [Test]
    public async Task A_branch_starts_the_version_it_pinned_with_its_calendar_and_settings()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Journey("v1"));
        await h.DeployAsync(Journey("v2"));
        await h.ApproveAsync("journey", 1); // a branch pins only an approved version
        await h.Engine.Branches.SaveAsync(new Branch("lyon-02", "Lyon Part-Dieu")
        {
            Calendar = "group/branch:lyon-02",
            Pins = new Dictionary<string, int> { ["journey"] = 1 },
            Settings = new Dictionary<string, decimal> { ["frontDeskAuthority"] = 150 },
        });

        var pinned = await h.Engine.Runtime.StartAsync(new StartInstance("journey") { Branch = "lyon-02" });
        var latest = await h.Engine.Runtime.StartAsync(new StartInstance("journey"));
        var snapshot = await h.Engine.Queries.GetInstanceAsync(pinned);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(snapshot.Version, Is.EqualTo(1));
            Assert.That(snapshot.ActiveElements.Select(e => e.ElementId), Is.EqualTo(new[] { "v1" }));
            Assert.That(snapshot.Variables["branch"], Is.EqualTo("lyon-02"));
            Assert.That(snapshot.Variables["calendar"], Is.EqualTo("group/branch:lyon-02"));
            Assert.That(((Workflows.Engine.Feel.FeelContext)snapshot.Variables["branchSettings"]!)["frontDeskAuthority"], Is.EqualTo(150m));
            Assert.That((await h.Engine.Queries.GetInstanceAsync(latest)).Version, Is.EqualTo(2));
        }
    }

    [Test]
    public async Task A_branch_changed_by_another_node_counts_at_this_node_s_next_start_and_changed_back_too()
    {
        // Two engines on one store, as two nodes on one database: a start parses its branch only when the stored row
        // differs from the one it parsed before, and must never run on a branch as another node left it earlier.
        var here = new ProcessTestHarness();
        var there = new WorkflowEngine(here.Engine.Store, new WorkflowEngineOptions(), here.Clock, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        await here.DeployAsync(Journey("v1"));
        await here.DeployAsync(Journey("v2"));
        await here.ApproveAsync("journey", 1);
        await here.ApproveAsync("journey", 2);
        var branch = new Branch("lyon-09", "Lyon Vaise")
        {
            Pins = new Dictionary<string, int> { ["journey"] = 1 },
            Settings = new Dictionary<string, decimal> { ["frontDeskAuthority"] = 150 },
        };
        await here.Engine.Branches.SaveAsync(branch);

        async Task<(int Version, object? Authority)> StartHereAsync()
        {
            var snapshot = await here.Engine.Queries.GetInstanceAsync(await here.Engine.Runtime.StartAsync(new StartInstance("journey") { Branch = "lyon-09" }));
            return (snapshot.Version, ((Workflows.Engine.Feel.FeelContext)snapshot.Variables["branchSettings"]!)["frontDeskAuthority"]);
        }

        var first = await StartHereAsync();
        await there.Branches.UpdateAsync("lyon-09", b => b with { Pins = new Dictionary<string, int> { ["journey"] = 2 }, Settings = new Dictionary<string, decimal> { ["frontDeskAuthority"] = 90 } });
        var afterChange = await StartHereAsync();
        await there.Branches.UpdateAsync("lyon-09", b => b with { Pins = branch.Pins, Settings = branch.Settings });
        var afterChangeBack = await StartHereAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first, Is.EqualTo((1, (object?)150m)));
            Assert.That(afterChange, Is.EqualTo((2, (object?)90m)), "the other node's change counts at this node's next start");
            Assert.That(afterChangeBack, Is.EqualTo((1, (object?)150m)), "a row changed back to text parsed before is the branch as it is now");
            Assert.That((await here.Engine.Branches.GetAsync("lyon-09")).Revision, Is.EqualTo(3), "the revision is the row's, not the earlier parse's");
        }
    }

    [Test]
    public async Task A_branch_cannot_pin_a_version_that_is_not_deployed_and_nothing_is_saved()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Journey("v1"));

        var error = Assert.ThrowsAsync<WorkflowNotFoundException>(() => h.Engine.Branches.SaveAsync(
            new Branch("nice-01", "Nice") { Pins = new Dictionary<string, int> { ["journey"] = 7 } }));

        Assert.That(error!.Message, Does.Contain("pins process 'journey' version 7, which is not deployed"));
        Assert.That(await h.Engine.Branches.GetAllAsync(), Is.Empty);
    }

    [Test]
    public async Task A_change_applies_to_the_branch_as_stored_and_counts_its_revision()
    {
        var h = new ProcessTestHarness();
        await h.DeployAsync(Journey("v1"));
        await h.Engine.Branches.SaveAsync(new Branch("nice-02", "Nice") { Settings = new Dictionary<string, decimal> { ["a"] = 1 } });
        await h.ApproveAsync("journey", 1);

        var changed = await h.Engine.Branches.UpdateAsync("nice-02", b => b with { Pins = new Dictionary<string, int> { ["journey"] = 1 } });
        var refused = Assert.ThrowsAsync<WorkflowNotFoundException>(() => h.Engine.Branches.UpdateAsync("nice-02", b => b with { Pins = new Dictionary<string, int> { ["journey"] = 9 } }));
        var stored = await h.Engine.Branches.GetAsync("nice-02");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(changed.Settings["a"], Is.EqualTo(1m), "what the change did not touch stays");
            Assert.That(stored.Pins["journey"], Is.EqualTo(1));
            Assert.That(stored.Revision, Is.EqualTo(2));
            Assert.That(refused!.Message, Does.Contain("version 9, which is not deployed"));
        }
    }

    [Test]
    public void A_branch_id_that_is_not_a_short_id_is_refused()
    {
        var h = new ProcessTestHarness();

        var error = Assert.ThrowsAsync<WorkflowInputException>(() => h.Engine.Branches.SaveAsync(new Branch("paris 01/../x", "Paris")));

        Assert.That(error!.Message, Does.Contain("'paris 01/../x' must be 1 to 64 letters"));
    }

    [Test]
    public void Starting_for_an_unknown_branch_names_it()
    {
        var h = new ProcessTestHarness();

        var error = Assert.ThrowsAsync<WorkflowNotFoundException>(() => h.Engine.Runtime.StartAsync(new StartInstance("journey") { Branch = "atlantis" }));

        Assert.That(error!.Message, Is.EqualTo("branch 'atlantis' does not exist"));
    }
}
