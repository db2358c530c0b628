using System.Net;
using System.Net.Http.Json;

namespace Workflows.Host.Tests;

/// <summary>
/// A keyed start's retry is answered before anything is checked again (docs/api.md, "Retrying a start"): after the
/// branch's pin moved to a new version whose start form asks for more, the retry of a start made before answers its case
/// on the old version, while a new start with the same body is refused by the new form (a customer's) or starts the new
/// version (an agent's).
/// </summary>
[OnEveryBackend]
[NonParallelizable]
public sealed class KeyedRetryAfterChangeApiTests(Backend backend) : HostFixture(backend)
{
    private static readonly object s_customerComplaint = new { journey = "complaint", branch = "paris-01", variables = new { summary = "charged twice" } };

    // Version 2 of the library's complaint, whose start form also asks the customer for the order's number.
    private static string Version2AskingForTheOrder()
    {
        var v1 = Processes.JourneyLibrary.All.Single(j => j.Name.EndsWith("complaints.bpmn", StringComparison.Ordinal)).Xml;
        const string startForm = """<wf:field id="summary" label="What happened" type="string" maxLength="2000"/></wf:form>""";
        Assert.That(v1, Does.Contain(startForm), "the library's complaint declares its start form as this test expects");
        return ComplaintVersions.Version2(v1).Replace(startForm,
            """<wf:field id="summary" label="What happened" type="string" maxLength="2000"/><wf:field id="orderNumber" label="Order number" type="string" required="true"/></wf:form>""", StringComparison.Ordinal);
    }

    private async Task<int> VersionOfAsync(string id) => (await (await As("sofia")).GetJsonAsync($"/api/instances/{id}")).GetProperty("version").GetInt32();

    [Test]
    public async Task A_keyed_retry_after_the_branch_s_pin_and_start_form_changed_answers_the_first_case_on_its_version()
    {
        var (carla, ann) = (await As("carla"), await As("ann"));
        using var customerFirst = await carla.StartAsync(s_customerComplaint, "carla-change-1");
        using var agentFirst = await ann.StartAsync(KeyedStarts.Complaint("CHANGE-AGENT-1"), "ann-change-1");
        var (customerCase, agentCase) = (await customerFirst.StartedIdAsync(), await agentFirst.StartedIdAsync());

        await (await As("alice")).DeployAsync(Version2AskingForTheOrder());
        await (await As("ines")).ApproveAsync("complaint", 2);
        using (var pinned = await (await As("bruno")).PutAsJsonAsync("/api/branches/paris-01/pins/complaint", new { version = 2 }))
        {
            Assert.That(pinned.StatusCode, Is.EqualTo(HttpStatusCode.OK), await pinned.Content.ReadAsStringAsync());
        }

        using var customerRetry = await carla.StartAsync(s_customerComplaint, "carla-change-1");
        using var customerNew = await carla.StartAsync(s_customerComplaint, "carla-change-2");
        using var agentRetry = await ann.StartAsync(KeyedStarts.Complaint("CHANGE-AGENT-1"), "ann-change-1");
        using var agentNew = await ann.StartAsync(KeyedStarts.Complaint("CHANGE-AGENT-2"), "ann-change-2");
        var (customerRetried, agentRetried, agentNewCase) = (await customerRetry.StartedIdAsync(), await agentRetry.StartedIdAsync(), await agentNew.StartedIdAsync());
        var refused = await customerNew.JsonAsync(HttpStatusCode.UnprocessableEntity);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(customerRetried, Is.EqualTo(customerCase), "the customer's retry answers its case, though the new start form would refuse its body");
            Assert.That(customerRetry.Replayed(), Is.True);
            Assert.That(refused.GetProperty("errors").TryGetProperty("orderNumber", out _), Is.True, "a new start with the same body meets the new form: " + refused);
            Assert.That(agentRetried, Is.EqualTo(agentCase), "the agent's retry answers its case, though the pin moved");
            Assert.That(agentRetry.Replayed(), Is.True);
            Assert.That(await VersionOfAsync(customerRetried), Is.EqualTo(1));
            Assert.That(await VersionOfAsync(agentRetried), Is.EqualTo(1), "the case stays on the version it started on");
            Assert.That(await VersionOfAsync(agentNewCase), Is.EqualTo(2), "a new start takes the new pin");
            Assert.That(await (await As("sofia")).CasesAsync("CHANGE-AGENT-1"), Has.Count.EqualTo(1));
        }
    }
}
