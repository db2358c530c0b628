using Workflows.Engine;
using Workflows.Engine.Testing;
using static Workflows.Processes.Tests.Journey;

namespace Workflows.Processes.Tests;

/// <summary>
/// The library's decisions (complaints' front-desk authority, claims' approval level, returns' refund route): each a DMN
/// table a business rule task evaluates, and each tuned per branch by pinning another version of it: Lyon pins a version
/// 2 an analyst deployed, Paris keeps the library's version 1, and the same case takes the other path in each.
/// </summary>
public sealed class LibraryDecisionTests
{
    private const string Paris = "paris-01";

    private static string Decision(string name) => JourneyLibrary.Decisions.Single(d => d.Name == name).Xml;

    // Version 2 deployed beside the library's, Lyon pinned to it and Paris (same authority) to version 1.
    private static async Task<Journey> TunedAsync(string decisionId, string version2)
    {
        var journey = await Journey.StartAsync();
        var deployed = await journey.H.DeployAsync(version2);
        Assert.That(deployed.Decisions.Single().Version, Is.EqualTo(2), "the tuned table is version 2");
        await journey.H.Engine.Branches.SaveAsync(new Branch(Paris, "Paris Opéra") { Settings = new Dictionary<string, decimal> { ["frontDeskAuthority"] = 150 } });
        await journey.H.ApproveDecisionAsync(decisionId, 1); // the library's version, approved as the host's journey library does at start
        await journey.H.Engine.Decisions.ApproveAsync(decisionId, 2, "alice", "tuned for Lyon");
        await journey.H.Engine.Decisions.PinAsync(Journey.Branch, decisionId, 2);
        await journey.H.Engine.Decisions.PinAsync(Paris, decisionId, 1);
        return journey;
    }

    private static async Task<ProcessInstanceHandle> StartInAsync(Journey journey, string branch, string processId, string caseId, string customerId = "cust-1")
    {
        var id = await journey.H.Engine.Runtime.StartAsync(new StartInstance(processId)
        {
            BusinessKey = caseId, Branch = branch, Variables = Vars(("caseId", caseId), ("customerId", customerId)),
        });
        return journey.H.Instance(id);
    }

    [Test]
    public async Task A_branch_pinned_to_a_front_desk_authority_that_keeps_small_repeat_complaints_settles_them_at_the_desk()
    {
        var version2 = Decision("complaint-front-desk-authority.dmn").Replace(
            """<inputEntry><text>true</text></inputEntry><inputEntry><text>-</text></inputEntry>""",
            """<inputEntry><text>true</text></inputEntry><inputEntry><text>&gt; 50</text></inputEntry>""", StringComparison.Ordinal);
        var journey = await TunedAsync("complaint-front-desk-authority", version2);
        var registered = Vars(("category", "billing"), ("amount", 20m), ("summary", "charged twice"));
        foreach (var (branch, key) in new[] { (Journey.Branch, "C-L"), (Paris, "C-P") })
        {
            var first = await StartInAsync(journey, branch, "complaint", key + "1", customerId: "cust-" + key);
            await first.CompleteUserTaskAsync("register", registered);
        }

        var lyon = await StartInAsync(journey, Journey.Branch, "complaint", "C-L2", customerId: "cust-C-L");
        var paris = await StartInAsync(journey, Paris, "complaint", "C-P2", customerId: "cust-C-P");
        await lyon.CompleteUserTaskAsync("register", registered);
        await paris.CompleteUserTaskAsync("register", registered);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await lyon.VariableAsync("repeatComplaint"), Is.True);
            Assert.That(await lyon.ActiveElementsAsync(), Is.EqualTo(new[] { "resolve_front" }), "Lyon's version 2 keeps a repeat of 20 at the desk");
            Assert.That(await paris.VariableAsync("repeatComplaint"), Is.True);
            Assert.That(await paris.VariableAsync("frontDeskRoute"), Is.EqualTo("back office"), "Paris's version 1 sends every repeat to the back office");
        }
    }

    [Test]
    public async Task A_branch_pinned_to_an_approval_level_with_a_higher_handler_limit_lets_a_handler_approve_1500()
    {
        var version2 = Decision("claim-approval-level.dmn")
            .Replace("&lt;= 1000", "&lt;= 2000", StringComparison.Ordinal).Replace("(1000..10000]", "(2000..10000]", StringComparison.Ordinal);
        var journey = await TunedAsync("claim-approval-level", version2);
        var steps = new List<string>();
        foreach (var (branch, key) in new[] { (Journey.Branch, "K-L"), (Paris, "K-P") })
        {
            var claim = await StartInAsync(journey, branch, "claim", key);
            await claim.CompleteUserTaskAsync("first_notice", Vars(("policyNumber", "POL-100"), ("lossDate", new DateOnly(2025, 1, 3)), ("claimedAmount", 1500m), ("description", "water damage")));
            var assessment = await journey.BackOfficeAsync("claim-assessment", key);
            await assessment.CompleteJobAsync("external_assessment", Vars(("assessor", "Demo Assessors Ltd"), ("assessorEstimate", 1500m)));
            await assessment.CompleteUserTaskAsync("review_assessment", Vars(("assessedAmount", 1500m)));
            await journey.H.DeliverMessagesAsync();
            steps.Add((await claim.UserTasksAsync()).Single().ElementId);
        }

        Assert.That(steps, Is.EqualTo(new[] { "approve_handler", "approve_lead" }), "Lyon (version 2) lets a handler approve 1,500; Paris (version 1) needs a team lead");
    }

    [Test]
    public async Task A_branch_pinned_to_a_refund_route_without_exchanges_refunds_an_item_the_customer_wanted_exchanged()
    {
        var version2 = Decision("return-refund-route.dmn").Replace(
            """<inputEntry><text>true</text></inputEntry><inputEntry><text>true</text></inputEntry><outputEntry><text>"exchange"</text></outputEntry>""",
            """<inputEntry><text>true</text></inputEntry><inputEntry><text>true</text></inputEntry><outputEntry><text>"refund"</text></outputEntry>""", StringComparison.Ordinal);
        var journey = await TunedAsync("return-refund-route", version2);
        var routes = new List<object?>();
        foreach (var (branch, key) in new[] { (Journey.Branch, "R-L"), (Paris, "R-P") })
        {
            var request = await StartInAsync(journey, branch, "return-request", key);
            await request.CompleteUserTaskAsync("record_return", Vars(("orderId", "ORD-77"), ("reason", "damaged"), ("wantsExchange", true)));
            var inspection = await journey.BackOfficeAsync("return-inspection", key);
            await inspection.CompleteUserTaskAsync("receive_parcel", Vars(("received", true)));
            await inspection.CompleteUserTaskAsync("inspect", Vars(("accepted", true), ("refundAmount", 59.90m)));
            await journey.H.DeliverMessagesAsync();
            routes.Add(await request.VariableAsync("refundRoute"));
            if (branch == Journey.Branch)
            {
                Assert.That(await request.VariableAsync("paymentId"), Is.EqualTo("PAY-R-L-refund-59.90"), "Lyon refunds");
            }
        }

        Assert.That(routes, Is.EqualTo(new object?[] { "refund", "exchange" }));
    }

    [Test]
    public async Task Each_library_decision_is_evaluated_in_history_with_its_version_inputs_and_matched_rule()
    {
        var journey = await Journey.StartAsync();
        var complaint = await journey.StartAsync("complaint", "C-H");
        await complaint.CompleteUserTaskAsync("register", Vars(("category", "billing"), ("amount", 80m), ("summary", "charged twice")));
        var evaluated = (await complaint.HistoryAsync()).Single(h => h.Kind == "decision-evaluated");
        var versions = await journey.H.Engine.Decisions.GetVersionsAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(evaluated.ElementId, Is.EqualTo("front_desk_route"));
            Assert.That(evaluated.Detail, Does.Contain("\"decisionId\":\"complaint-front-desk-authority\"").And.Contain("\"ruleId\":\"complaint_authority_within\""));
            Assert.That(await complaint.ActiveElementsAsync(), Is.EqualTo(new[] { "resolve_front" }));
            Assert.That(versions.Select(v => v.DecisionId), Is.EquivalentTo(new[] { "claim-approval-level", "complaint-front-desk-authority", "return-refund-route" }));
        }
    }
}
