using Workflows.Engine;
using Workflows.Engine.Runtime;
using static Workflows.Processes.Tests.Journey;

namespace Workflows.Processes.Tests;

public sealed class OnboardingTests
{
    private static Dictionary<string, object?> Details(string name = "Ana Martin") =>
        Vars(("fullName", name), ("idDocument", "passport"), ("email", "ana@example.org"));

    [Test]
    public async Task A_verified_customer_signs_is_activated_by_the_back_office_and_welcomed()
    {
        var journey = await Journey.StartAsync();
        var onboarding = await journey.StartAsync("onboarding", "O-1");
        await onboarding.CompleteUserTaskAsync("collect", Details());
        await onboarding.CompleteUserTaskAsync("contract", Vars(("signed", true)));

        var activation = await journey.BackOfficeAsync("account-activation", "O-1");
        await activation.CompleteUserTaskAsync("activate", Vars(("servicesActive", true)));
        await journey.H.DeliverMessagesAsync();
        await onboarding.CompleteUserTaskAsync("welcome", Vars(("score", 4)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await onboarding.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
            Assert.That(await onboarding.VariableAsync("creditScore"), Is.EqualTo(720m));
            Assert.That(await onboarding.VariableAsync("accountNumber"), Is.EqualTo("ACC-O-1"), "the back office's answer came back");
            Assert.That((await ClockAsync(onboarding, "onboarding", "commitment", 1)).State, Is.EqualTo(SlaState.Met));
        }
    }

    [Test]
    public async Task An_identity_the_check_cannot_confirm_goes_to_compliance_first()
    {
        var journey = await Journey.StartAsync();
        var onboarding = await journey.StartAsync("onboarding", "O-2");

        await onboarding.CompleteUserTaskAsync("collect", Details("unknown person"));
        var review = await TaskAsync(onboarding, "review_identity");
        await onboarding.CompleteUserTaskAsync("review_identity", Vars(("identityVerified", true)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(review.CandidateGroups, Is.EqualTo(new[] { "compliance" }));
            Assert.That(await onboarding.ActiveElementsAsync(), Is.EqualTo(new[] { "contract" }));
        }
    }

    [Test]
    public async Task A_refused_credit_check_is_explained_and_ends_the_application()
    {
        var journey = await Journey.StartAsync();
        var onboarding = await journey.StartAsync("onboarding", "O-3", customerId: "risky-7");

        await onboarding.CompleteUserTaskAsync("collect", Details());
        await onboarding.CompleteUserTaskAsync("explain_refusal", Vars(("explained", true)));

        var history = await onboarding.HistoryAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await onboarding.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
            Assert.That(history.Any(h => h.ElementId == "refused" && h.Kind == "element-completed"), Is.True);
            Assert.That(await journey.H.Engine.Queries.FindInstancesAsync("account-activation"), Is.Empty);
        }
    }

    [Test]
    public async Task Activation_left_a_working_day_breaches_in_the_back_office_and_goes_to_its_leads()
    {
        var journey = await Journey.StartAsync();
        var onboarding = await journey.StartAsync("onboarding", "O-4");
        await onboarding.CompleteUserTaskAsync("collect", Details());
        await onboarding.CompleteUserTaskAsync("contract", Vars(("signed", true)));
        var activation = await journey.BackOfficeAsync("account-activation", "O-4");

        await journey.H.AdvanceTimeAsync(TimeSpan.FromHours(9)); // Monday 09:00 → 18:00: eight working hours

        var task = await TaskAsync(activation, "activate");
        using (Assert.EnterMultipleScope())
        {
            Assert.That((await ClockAsync(activation, "activate")).State, Is.EqualTo(SlaState.Breached));
            Assert.That(task.CandidateGroups, Is.EqualTo(new[] { "back-office-leads" }));
            Assert.That(task.Priority, Is.EqualTo(90));
        }
    }
}
