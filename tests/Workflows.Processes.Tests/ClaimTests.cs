using Workflows.Engine;
using Workflows.Engine.Runtime;
using static Workflows.Processes.Tests.Journey;

namespace Workflows.Processes.Tests;

public sealed class ClaimTests
{
    private static Dictionary<string, object?> Notice(string policy = "POL-1", decimal amount = 5000) =>
        Vars(("policyNumber", policy), ("lossDate", new DateOnly(2025, 1, 3)), ("claimedAmount", amount), ("description", "water damage"));

    [TestCase(800, "approve_handler", "claims-handlers")]
    [TestCase(4000, "approve_lead", "claims-leads")]
    [TestCase(25000, "approve_manager", "claims-managers")]
    public async Task An_assessed_claim_is_approved_at_the_authority_level_its_amount_needs(decimal assessed, string step, string queue)
    {
        var journey = await Journey.StartAsync();
        var claim = await journey.StartAsync("claim", "K-" + step);
        await claim.CompleteUserTaskAsync("first_notice", Notice(amount: assessed));
        var assessment = await journey.BackOfficeAsync("claim-assessment", "K-" + step);
        await assessment.CompleteJobAsync("external_assessment", Vars(("assessor", "Demo Assessors Ltd"), ("assessorEstimate", assessed)));
        await assessment.CompleteUserTaskAsync("review_assessment", Vars(("assessedAmount", assessed)));
        await journey.H.DeliverMessagesAsync();

        var approval = (await claim.UserTasksAsync()).Single();
        await claim.CompleteUserTaskAsync(step, Vars(("approvedAmount", assessed)));
        await claim.CompleteUserTaskAsync("close_claim", Vars(("score", 4)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(approval.ElementId, Is.EqualTo(step));
            Assert.That(approval.CandidateGroups, Is.EqualTo(new[] { queue }));
            Assert.That(await claim.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
            Assert.That(await claim.VariableAsync("paymentId"), Does.StartWith($"PAY-K-{step}-pay-"));
        }
    }

    [Test]
    public async Task The_assessment_is_a_job_for_the_external_assessor_over_the_bus()
    {
        var journey = await Journey.StartAsync();
        var claim = await journey.StartAsync("claim", "K-1");
        await claim.CompleteUserTaskAsync("first_notice", Notice());

        var assessment = await journey.BackOfficeAsync("claim-assessment", "K-1");
        var job = (await assessment.JobsAsync()).Single();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(job.Type, Is.EqualTo(JourneyHandlers.ExternalAssessorType));
            Assert.That(job.Variables["claimedAmount"], Is.EqualTo(5000m));
            Assert.That(await assessment.UserTasksAsync(), Is.Empty, "the review waits for the assessor's report");
        }
    }

    [Test]
    public async Task A_claim_on_a_lapsed_policy_is_declined_without_an_assessment()
    {
        var journey = await Journey.StartAsync();
        var claim = await journey.StartAsync("claim", "K-2");

        await claim.CompleteUserTaskAsync("first_notice", Notice(policy: "LAPSED-9"));
        await claim.CompleteUserTaskAsync("decline", Vars(("explained", true)));
        await journey.H.DeliverMessagesAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await claim.VariableAsync("covered"), Is.False);
            Assert.That(await claim.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
            Assert.That(await journey.H.Engine.Queries.FindInstancesAsync("claim-assessment"), Is.Empty);
        }
    }

    [Test]
    public async Task A_first_notice_left_past_two_working_hours_goes_to_the_desk_supervisors()
    {
        var journey = await Journey.StartAsync();
        var claim = await journey.StartAsync("claim", "K-3");

        await journey.H.AdvanceTimeAsync(TimeSpan.FromHours(3));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await ClockAsync(claim, "first_notice")).State, Is.EqualTo(SlaState.Breached));
            Assert.That((await TaskAsync(claim, "first_notice")).CandidateGroups, Is.EqualTo(new[] { "claims-desk-supervisors" }));
        }
    }
}
