using Workflows.Engine;
using Workflows.Engine.Runtime;
using static Workflows.Processes.Tests.Journey;

namespace Workflows.Processes.Tests;

public sealed class ComplaintTests
{
    private static Dictionary<string, object?> Registered(decimal amount) =>
        Vars(("category", "billing"), ("amount", amount), ("summary", "charged twice for March"));

    [Test]
    public async Task A_complaint_within_the_branch_authority_is_resolved_at_the_front_desk_and_surveyed()
    {
        var journey = await Journey.StartAsync();
        var complaint = await journey.StartAsync("complaint", "C-1");
        var register = await TaskAsync(complaint, "register");

        await complaint.CompleteUserTaskAsync("register", Registered(80));
        await journey.H.AdvanceTimeAsync(TimeSpan.FromHours(1));
        await complaint.CompleteUserTaskAsync("resolve_front", Vars(("resolution", "refunded the second charge"), ("refund", 80)));
        await complaint.CompleteUserTaskAsync("respond", Vars(("response", "refund on its way")));
        await complaint.CompleteUserTaskAsync("survey", Vars(("score", 5)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(register.CandidateGroups, Is.EqualTo(new[] { "front-desk" }));
            Assert.That(register.Branch, Is.EqualTo(Journey.Branch));
            Assert.That(await complaint.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
            Assert.That(await complaint.VariableAsync("repeatComplaint"), Is.False);
            Assert.That(await complaint.VariableAsync("satisfaction"), Is.EqualTo(5m));
            Assert.That((await ClockAsync(complaint, "complaint", "commitment", 1)).State, Is.EqualTo(SlaState.Met));
            Assert.That(await journey.H.Engine.Queries.FindInstancesAsync("complaint-investigation"), Is.Empty, "nothing went to the back office");
        }
    }

    [Test]
    public async Task A_complaint_above_the_authority_goes_to_the_back_office_and_comes_back_with_its_findings()
    {
        var journey = await Journey.StartAsync();
        var complaint = await journey.StartAsync("complaint", "C-2");
        await complaint.CompleteUserTaskAsync("register", Registered(400));

        var investigation = await journey.BackOfficeAsync("complaint-investigation", "C-2");
        var investigate = await TaskAsync(investigation, "investigate");
        var handoff = (Workflows.Engine.Feel.FeelContext)(await investigation.VariableAsync("handoff"))!;
        await investigation.CompleteUserTaskAsync("investigate", Vars(("findings", "meter read twice"), ("refund", 400)));
        await journey.H.DeliverMessagesAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(investigate.CandidateGroups, Is.EqualTo(new[] { "back-office-complaints" }));
            Assert.That(handoff["branch"], Is.EqualTo(Journey.Branch));
            Assert.That(handoff["commitmentDue"], Is.Not.Null, "the promise travels with the handoff");
            Assert.That(await investigation.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
            Assert.That(await complaint.ActiveElementsAsync(), Is.EqualTo(new[] { "respond" }));
            Assert.That(await complaint.VariableAsync("findings"), Is.EqualTo("meter read twice"));
        }
    }

    [Test]
    public async Task A_repeat_complaint_is_flagged_raised_in_priority_and_sent_to_the_back_office_whatever_the_amount()
    {
        var journey = await Journey.StartAsync();
        var first = await journey.StartAsync("complaint", "C-3", customerId: "cust-9");
        var second = await journey.StartAsync("complaint", "C-4", customerId: "cust-9");
        var register = await TaskAsync(second, "register");

        await second.CompleteUserTaskAsync("register", Registered(20));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await first.VariableAsync("repeatComplaint"), Is.False);
            Assert.That(await second.VariableAsync("repeatComplaint"), Is.True);
            Assert.That(register.Priority, Is.EqualTo(80));
            Assert.That(await second.ActiveElementsAsync(), Is.EqualTo(new[] { "back_office_answer" }));
        }
    }

    [Test]
    public async Task Registration_left_past_two_working_hours_breaches_and_goes_to_the_supervisors_at_higher_priority()
    {
        var journey = await Journey.StartAsync();
        var complaint = await journey.StartAsync("complaint", "C-5");

        await journey.H.AdvanceTimeAsync(TimeSpan.FromMinutes(90));
        var warned = await ClockAsync(complaint, "register");
        await journey.H.AdvanceTimeAsync(TimeSpan.FromMinutes(31));
        var breached = await ClockAsync(complaint, "register");
        var task = await TaskAsync(complaint, "register");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(warned.State, Is.EqualTo(SlaState.Warning));
            Assert.That(breached.State, Is.EqualTo(SlaState.Breached));
            Assert.That(task.CandidateGroups, Is.EqualTo(new[] { "front-desk-supervisors" }));
            Assert.That(task.Priority, Is.EqualTo(80));
            Assert.That((await journey.H.Engine.Queries.GetOutgoingMessagesAsync(complaint.Id)).Select(m => m.Name), Does.Contain("SlaBreached"));
        }
    }

    [Test]
    public async Task A_registration_without_an_amount_is_refused_naming_the_field_and_nothing_moves()
    {
        var journey = await Journey.StartAsync();
        var complaint = await journey.StartAsync("complaint", "C-6");

        var error = Assert.ThrowsAsync<TaskFormException>(() => complaint.CompleteUserTaskAsync("register", Vars(("category", "billing"), ("summary", "x"))));

        Assert.That(error!.Message, Does.Contain("amount"));
        Assert.That(await complaint.ActiveElementsAsync(), Is.EqualTo(new[] { "register" }));
    }

    [Test]
    public async Task An_unhappy_customer_opens_a_recovery_task_for_customer_care()
    {
        var journey = await Journey.StartAsync();
        var complaint = await journey.StartAsync("complaint", "C-7");
        await complaint.CompleteUserTaskAsync("register", Registered(50));
        await complaint.CompleteUserTaskAsync("resolve_front", Vars(("resolution", "apologised")));
        await complaint.CompleteUserTaskAsync("respond", Vars(("response", "sorry")));

        await complaint.CompleteUserTaskAsync("survey", Vars(("score", 1)));

        var recovery = (await complaint.UserTasksAsync()).Single();
        Assert.That(recovery.CandidateGroups, Is.EqualTo(new[] { "customer-care" }));
    }

    [Test]
    public async Task A_registered_complaint_is_found_by_its_amount_and_customer_and_its_task_by_the_amount()
    {
        var journey = await Journey.StartAsync();
        var complaint = await journey.StartAsync("complaint", "C-7");
        await complaint.CompleteUserTaskAsync("register", Registered(80));
        var customer = await complaint.VariableAsync("customerId");

        var found = await journey.H.Engine.Inspection.SearchInstancesAsync(new InstanceQuery
        {
            ProcessId = "complaint",
            Variables = [new VariableFilter("amount", VariableComparison.LessOrEqual, "100"), new VariableFilter("customerId", VariableComparison.Equal, customer)],
        });
        var above = await journey.H.Engine.Inspection.SearchInstancesAsync(new InstanceQuery { ProcessId = "complaint", Variables = [new VariableFilter("amount", VariableComparison.GreaterThan, 100)] });
        var tasks = await journey.H.Engine.Tasks.QueryAsync(new TaskQuery { Variables = [new VariableFilter("amount", VariableComparison.Equal, 80)] });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(found.Instances.Select(i => i.Id), Is.EqualTo(new[] { complaint.Id }));
            Assert.That(above.Instances, Is.Empty);
            Assert.That(tasks.Tasks.Select(t => (t.InstanceId, t.ElementId)), Is.EqualTo(new[] { (complaint.Id, "resolve_front") }));
        }
    }
}
