using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;

namespace Workflows.Host.Tests;

/// <summary>
/// docs/modelling.md builds one small journey, docs/examples/address-update.bpmn: it deploys without a finding and
/// runs as the guide says, through HTTP (a customer raises it, an agent finds it in its queue with the case data and
/// the form filled, completes it, the customer's proof arrives as a message correlated by the case id); and every
/// XML line the guide shows is a line of that file.
/// </summary>
[NonParallelizable]
public sealed class ModellingGuideTests
{
    private TestHost _host = null!;

    [OneTimeSetUp]
    public void StartTheHost() => _host = TestHost.Start();

    [OneTimeTearDown]
    public async Task StopTheHost() => await _host.DisposeAsync();

    private static string Repository()
    {
        var root = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Workflows.sln")))
        {
            root = root.Parent;
        }

        return root?.FullName ?? throw new AssertionException("no Workflows.sln above the test's folder");
    }

    private static string Journey => File.ReadAllText(Path.Combine(Repository(), "docs", "examples", "address-update.bpmn"));

    [Test]
    public async Task The_guides_journey_deploys_without_a_finding_and_runs_as_the_guide_says()
    {
        var alice = await _host.As("alice");
        using var deploy = await alice.PostAsync(new Uri("/api/definitions", UriKind.Relative), new StringContent(Journey, System.Text.Encoding.UTF8, "application/xml"));
        var deployed = await deploy.JsonAsync(HttpStatusCode.Created);

        // Step 1: a customer raises it, giving only what the start event's form declares.
        var carla = await _host.As("carla");
        using var tooMuch = await carla.PostAsJsonAsync("/api/instances", new { journey = "address-update", branch = "paris-01", variables = new { newAddress = "12 rue de la Paix", vip = true } });
        var started = await carla.PostJsonAsync("/api/instances", new { journey = "address-update", branch = "paris-01", variables = new { newAddress = "12 rue de la Paix, 75002 Paris" } }, HttpStatusCode.Created);
        var caseId = started.GetProperty("businessKey").GetString()!;
        var id = started.GetProperty("id").GetString()!;

        // Step 2: the task waits in the front-desk queue, with the case data and the form filled from the case.
        var ann = await _host.As("ann");
        var task = (await ann.GetJsonAsync($"/api/tasks?businessKey={caseId}")).GetProperty("tasks").EnumerateArray().Single();
        var taskId = task.GetProperty("id").GetString()!;
        var view = await ann.GetJsonAsync($"/api/tasks/{taskId}/case");

        // Step 3: the agent asks for a proof; the case waits for the message correlated by its case id.
        await ann.PostJsonAsync($"/api/tasks/{taskId}/claim", null);
        await ann.PostJsonAsync($"/api/tasks/{taskId}/complete", new { variables = new { newAddress = "12 rue de la Paix, 75002 Paris", needsProof = true } }, HttpStatusCode.NoContent);
        var waiting = await _host.WithToken(("sub", "central-supervisor"), ("role", "supervisor"), ("branch", "*")).GetJsonAsync($"/api/instances/{id}");
        var correlated = await ann.PostJsonAsync("/api/messages", new { name = "address-proof-received", correlationKey = caseId, variables = new { proofReceived = true } });
        var ended = await ann.GetJsonAsync($"/api/instances/{id}");
        var customerView = await carla.GetJsonAsync($"/api/instances/{id}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(deployed.GetProperty("findings").GetArrayLength(), Is.Zero, deployed.ToString());
            Assert.That(tooMuch.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "vip is not a field of the start event's form");
            Assert.That(task.GetProperty("name").GetString(), Is.EqualTo("Check the new address"));
            Assert.That(task.GetProperty("candidateGroups")[0].GetString(), Is.EqualTo("front-desk"));
            Assert.That(task.GetProperty("customerId").GetString(), Is.EqualTo("cust-1001"));
            Assert.That(task.GetProperty("slaDueAt").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.String), "the step's SLA runs");
            Assert.That(view.GetProperty("caseData")[0].GetProperty("label").GetString(), Is.EqualTo("New address"));
            Assert.That(view.GetProperty("formValues").GetProperty("newAddress").GetString(), Is.EqualTo("12 rue de la Paix, 75002 Paris"));
            Assert.That(waiting.GetProperty("activeElements")[0].GetProperty("elementId").GetString(), Is.EqualTo("wait_proof"));
            Assert.That(waiting.GetProperty("variables").GetProperty("caseId").GetString(), Is.EqualTo(caseId));
            Assert.That(waiting.GetProperty("variables").GetProperty("calendar").GetString(), Does.Contain("paris-01"));
            Assert.That(correlated.GetProperty("correlatedInstances").GetInt32(), Is.EqualTo(1));
            Assert.That(ended.GetProperty("status").GetString(), Is.EqualTo("completed"));
            Assert.That(ended.GetProperty("clocks").EnumerateArray().Single(c => c.GetProperty("level").GetInt32() == 1).GetProperty("state").GetString(), Is.EqualTo("met"));
            Assert.That(customerView.GetProperty("status").GetString(), Is.EqualTo("closed"));
            Assert.That(customerView.GetProperty("promise").GetString(), Is.EqualTo("Address changed within 2 business days"));
            Assert.That(customerView.GetProperty("stepsDone").EnumerateArray().Select(s => s.GetProperty("name").GetString()),
                Is.EqualTo(new[] { "We check your new address", "Your proof of address", "Your address is changed" }), "the journey's words for customers (wf:customerStep)");
        }
    }

    [Test]
    public void Every_XML_line_the_guide_shows_is_a_line_of_the_journeys_file()
    {
        var guide = File.ReadAllText(Path.Combine(Repository(), "docs", "modelling.md"));
        var file = Journey.Split('\n').Select(l => l.Trim()).ToHashSet(StringComparer.Ordinal);
        var shown = Regex.Matches(guide, "```xml\n(.*?)```", RegexOptions.Singleline)
            .SelectMany(m => m.Groups[1].Value.Split('\n')).Select(l => l.Trim())
            .Where(l => l.StartsWith('<') && !l.StartsWith("<!--", StringComparison.Ordinal) && !l.StartsWith("</", StringComparison.Ordinal))
            .ToList();

        Assert.That(shown, Has.Count.GreaterThan(15), "the guide shows the journey");
        Assert.That(shown.Where(l => !file.Contains(l)), Is.Empty, "lines the guide shows that the file does not have");
    }
}
