using Workflows.Engine;
using Workflows.Engine.Runtime;
using static Workflows.Processes.Tests.Journey;

namespace Workflows.Processes.Tests;

public sealed class MovingHouseTests
{
    [Test]
    public async Task A_move_is_transferred_by_the_technicians_and_billing_side_by_side_then_checked_on_the_first_bill()
    {
        var journey = await Journey.StartAsync();
        var move = await journey.StartAsync("moving-house", "M-1");
        await move.CompleteUserTaskAsync("register_move", Vars(("newAddress", "3 rue Neuve, Lyon"), ("moveDate", new DateOnly(2025, 2, 1))));

        var change = await journey.BackOfficeAsync("address-change", "M-1");
        var parallel = await change.ActiveElementsAsync();
        await change.CompleteUserTaskAsync("update_billing", Vars(("billingMoved", true)));
        await journey.H.DeliverMessagesAsync();
        var afterBilling = await move.ActiveElementsAsync();
        await change.CompleteUserTaskAsync("schedule_technician", Vars(("visitDate", new DateOnly(2025, 1, 31))));
        await journey.H.DeliverMessagesAsync();
        await move.CompleteUserTaskAsync("check_bill", Vars(("billCorrect", true)));
        await move.CompleteUserTaskAsync("confirm_move", Vars(("score", 5)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(parallel, Is.EqualTo(new[] { "schedule_technician", "update_billing" }));
            Assert.That(afterBilling, Is.EqualTo(new[] { "transferred" }), "the front office waits for both");
            Assert.That(await move.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
            Assert.That((await ClockAsync(move, "moving-house", "commitment", 1)).State, Is.EqualTo(SlaState.Met));
        }
    }

    [Test]
    public async Task An_address_without_service_gets_alternatives_offered_before_the_transfer()
    {
        var journey = await Journey.StartAsync();
        var move = await journey.StartAsync("moving-house", "M-2");

        await move.CompleteUserTaskAsync("register_move", Vars(("newAddress", "remote farm"), ("moveDate", new DateOnly(2025, 2, 1))));
        var offered = await move.ActiveElementsAsync();
        await move.CompleteUserTaskAsync("alternatives", Vars(("accepted", true)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(offered, Is.EqualTo(new[] { "alternatives" }));
            Assert.That(await move.ActiveElementsAsync(), Is.EqualTo(new[] { "transferred" }));
        }
    }

    [Test]
    public async Task A_technician_not_scheduled_within_two_working_days_breaches_and_publishes_it()
    {
        var journey = await Journey.StartAsync();
        var move = await journey.StartAsync("moving-house", "M-3");
        await move.CompleteUserTaskAsync("register_move", Vars(("newAddress", "1 quai Est"), ("moveDate", new DateOnly(2025, 2, 1))));
        var change = await journey.BackOfficeAsync("address-change", "M-3");

        await journey.H.AdvanceTimeAsync(TimeSpan.FromDays(2));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await ClockAsync(change, "schedule_technician")).State, Is.EqualTo(SlaState.Breached));
            Assert.That((await journey.H.Engine.Queries.GetOutgoingMessagesAsync(change.Id)).Select(m => m.Name), Does.Contain("SlaBreached"));
        }
    }
}
