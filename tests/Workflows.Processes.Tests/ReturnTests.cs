using Workflows.Engine;
using Workflows.Engine.Runtime;
using static Workflows.Processes.Tests.Journey;

namespace Workflows.Processes.Tests;

public sealed class ReturnTests
{
    private static async Task<(Journey Journey, Workflows.Engine.Testing.ProcessInstanceHandle Return)> InspectedAsync(string caseId, bool wantsExchange, bool accepted)
    {
        var journey = await Journey.StartAsync();
        var request = await journey.StartAsync("return-request", caseId);
        await request.CompleteUserTaskAsync("record_return", Vars(("orderId", "ORD-77"), ("reason", "damaged"), ("wantsExchange", wantsExchange)));
        var inspection = await journey.BackOfficeAsync("return-inspection", caseId);
        await inspection.CompleteUserTaskAsync("receive_parcel", Vars(("received", true)));
        await inspection.CompleteUserTaskAsync("inspect", Vars(("accepted", accepted), ("refundAmount", 59.90m)));
        await journey.H.DeliverMessagesAsync();
        return (journey, request);
    }

    [Test]
    public async Task An_authorised_return_is_labelled_inspected_by_the_warehouse_and_refunded()
    {
        var (_, request) = await InspectedAsync("R-1", wantsExchange: false, accepted: true);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await request.VariableAsync("returnLabel"), Is.EqualTo("RET-ORD-77"));
            Assert.That(await request.VariableAsync("paymentId"), Is.EqualTo("PAY-R-1-refund-59.90"));
            Assert.That(await request.ActiveElementsAsync(), Is.EqualTo(new[] { "follow_up" }));
        }
    }

    [Test]
    public async Task An_accepted_item_the_customer_wants_exchanged_is_shipped_again_instead_of_refunded()
    {
        var (_, request) = await InspectedAsync("R-2", wantsExchange: true, accepted: true);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await request.ActiveElementsAsync(), Is.EqualTo(new[] { "exchange" }));
            Assert.That(await request.VariableAsync("paymentId"), Is.Null);
        }
    }

    [Test]
    public async Task A_return_the_order_system_refuses_is_explained_and_never_reaches_the_warehouse()
    {
        var journey = await Journey.StartAsync();
        var request = await journey.StartAsync("return-request", "R-3");

        await request.CompleteUserTaskAsync("record_return", Vars(("orderId", "ORD-1-OLD"), ("reason", "changed-mind")));
        await request.CompleteUserTaskAsync("explain_return_refusal", Vars(("explained", true)));
        await journey.H.DeliverMessagesAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await request.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
            Assert.That(await journey.H.Engine.Queries.FindInstancesAsync("return-inspection"), Is.Empty);
        }
    }

    [Test]
    public async Task An_inspection_left_past_its_eight_working_hours_breaches_and_is_published()
    {
        var journey = await Journey.StartAsync();
        var request = await journey.StartAsync("return-request", "R-4");
        await request.CompleteUserTaskAsync("record_return", Vars(("orderId", "ORD-9"), ("reason", "damaged")));
        var inspection = await journey.BackOfficeAsync("return-inspection", "R-4");
        await inspection.CompleteUserTaskAsync("receive_parcel", Vars(("received", true)));

        await journey.H.AdvanceTimeAsync(TimeSpan.FromDays(1)); // Monday 09:00 → Tuesday 09:00: eight working hours

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await ClockAsync(inspection, "inspect")).State, Is.EqualTo(SlaState.Breached));
            Assert.That((await TaskAsync(inspection, "inspect")).CandidateGroups, Is.EqualTo(new[] { "warehouse-leads" }));
            Assert.That((await journey.H.Engine.Queries.GetOutgoingMessagesAsync(inspection.Id)).Select(m => m.Name), Does.Contain("SlaBreached"));
        }
    }
}
