using System.Net;
using System.Text;

namespace Workflows.Host.Tests;

/// <summary>
/// Version comparison through HTTP: two deployed versions of the complaint, over both its pools, per element; an edited
/// (unsaved) document against a deployed version; and what an attacker or a mistaken caller sends refused with a
/// problem that says why.
/// </summary>
[NonParallelizable]
public sealed class ComparisonApiTests
{
    private TestHost _host = null!;
    private string _v1 = "";
    private string _v2 = "";
    private int _version;

    [OneTimeSetUp]
    public async Task DeployASecondComplaint()
    {
        _host = TestHost.Start();
        var analyst = await _host.As("alice");
        _v1 = await analyst.GetStringAsync(new Uri("/api/definitions/complaint/versions/1/xml", UriKind.Relative));
        _v2 = _v1.Replace("name=\"Register and classify\"", "name=\"Register the complaint\"", StringComparison.Ordinal)
            .Replace("<wf:sla target=\"16 working hours\"", "<wf:sla target=\"8 working hours\"", StringComparison.Ordinal);
        Assert.That(_v2, Does.Contain("Register the complaint").And.Contain("8 working hours"));
        var deployed = await analyst.DeployAsync(_v2);
        _version = deployed.GetProperty("processes").EnumerateArray().Single(p => p.GetProperty("processId").GetString() == "complaint").GetProperty("version").GetInt32();
    }

    [OneTimeTearDown]
    public async Task StopTheHost() => await _host.DisposeAsync();

    private static StringContent Xml(string xml) => new(xml, Encoding.UTF8, "application/xml");

    private async Task<HttpResponseMessage> CompareDraftAsync(string user, string xml, string query = "?from=1")
    {
        using var content = Xml(xml);
        return await (await _host.As(user)).PostAsync(new Uri("/api/definitions/complaint/compare" + query, UriKind.Relative), content);
    }

    [Test]
    public async Task Two_deployed_versions_compare_over_both_pools_with_what_changed_per_element_and_the_first_shape_kept()
    {
        var comparison = await (await _host.As("sofia")).GetJsonAsync($"/api/definitions/complaint/compare?from=1&to={_version}");
        var processes = comparison.GetProperty("processes").EnumerateArray().ToList();
        var investigate = processes[1].GetProperty("elements").EnumerateArray().Single(e => e.GetProperty("id").GetString() == "investigate");
        var sla = investigate.GetProperty("changes").EnumerateArray().Single();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(comparison.GetProperty("changed").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "investigate", "register" }));
            Assert.That(comparison.GetProperty("added").GetArrayLength() + comparison.GetProperty("removed").GetArrayLength(), Is.Zero);
            Assert.That(comparison.GetProperty("from").GetInt32(), Is.EqualTo(1));
            Assert.That(comparison.GetProperty("to").GetInt32(), Is.EqualTo(_version));
            Assert.That(processes.Select(p => (p.GetProperty("processId").GetString(), p.GetProperty("participant").GetString(), p.GetProperty("kind").GetString())),
                Is.EqualTo(new[] { ("complaint", "Front office", "changed"), ("complaint-investigation", "Back office: complaints team", "changed") }));
            Assert.That(sla.GetProperty("aspect").GetString(), Is.EqualTo("extension"));
            Assert.That(sla.GetProperty("property").GetString(), Is.EqualTo("wf:sla@target"));
            Assert.That(sla.GetProperty("text").GetString(), Is.EqualTo("SLA changed from 16 working hours to 8 working hours"));
            Assert.That(comparison.GetProperty("summary").EnumerateArray().Select(l => l.GetString()), Does.Contain("User task 'Register and classify' renamed to 'Register the complaint'"));
        }
    }

    [Test]
    public async Task An_edited_document_compares_with_a_deployed_version_and_a_redrawn_one_says_layout_only()
    {
        var edited = _v2.Replace("name=\"Investigate\"", "name=\"Investigate the complaint\"", StringComparison.Ordinal);
        var redrawn = _v2.Replace("<bpmndi:BPMNShape id=\"investigate_di\" bpmnElement=\"investigate\"><dc:Bounds x=\"1100\"", "<bpmndi:BPMNShape id=\"investigate_di\" bpmnElement=\"investigate\"><dc:Bounds x=\"1140\"", StringComparison.Ordinal);
        Assert.That(redrawn, Is.Not.EqualTo(_v2));

        using var draft = await CompareDraftAsync("alice", edited, "");
        using var layout = await CompareDraftAsync("alice", redrawn, $"?from={_version}");
        var draftComparison = await draft.JsonAsync(HttpStatusCode.OK);
        var layoutComparison = await layout.JsonAsync(HttpStatusCode.OK);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(draftComparison.GetProperty("from").GetInt32(), Is.EqualTo(_version), "the latest version when none is given");
            Assert.That(draftComparison.GetProperty("to").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
            Assert.That(draftComparison.GetProperty("summary").EnumerateArray().Select(l => l.GetString()), Is.EqualTo(new[] { "User task 'Investigate' renamed to 'Investigate the complaint'" }));
            Assert.That(layoutComparison.GetProperty("layoutOnly").GetBoolean(), Is.True);
            Assert.That(layoutComparison.GetProperty("changed").GetArrayLength(), Is.Zero);
            Assert.That(layoutComparison.GetProperty("redrawn").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "investigate" }));
        }
    }

    [Test]
    public async Task An_unrelated_process_compares_as_its_pools_added_and_the_others_removed()
    {
        const string other = """
            <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
              <bpmn:process id="unrelated" isExecutable="true"><bpmn:startEvent id="s"/></bpmn:process>
            </bpmn:definitions>
            """;
        using var response = await CompareDraftAsync("alice", other);
        var comparison = await response.JsonAsync(HttpStatusCode.OK);

        Assert.That(comparison.GetProperty("processes").EnumerateArray().Select(p => (p.GetProperty("processId").GetString(), p.GetProperty("kind").GetString())),
            Is.EqualTo(new[] { ("unrelated", "added"), ("complaint", "removed"), ("complaint-investigation", "removed") }));
    }

    [Test]
    public async Task Hostile_oversized_and_malformed_documents_unknown_versions_and_other_roles_are_refused_with_a_problem()
    {
        const string laughs = """<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&d;</bpmn:definitions>""";
        const string xxe = """<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&e;</bpmn:definitions>""";
        var huge = "<bpmn:definitions xmlns:bpmn=\"http://www.omg.org/spec/BPMN/20100524/MODEL\"><!--" + new string('x', 10 << 20) + "--></bpmn:definitions>";

        using var billion = await CompareDraftAsync("alice", laughs);
        using var external = await CompareDraftAsync("alice", xxe);
        using var oversized = await CompareDraftAsync("alice", huge);
        using var aboveBpmnLimit = await CompareDraftAsync("alice", huge[..(3 << 20)] + "--></bpmn:definitions>");
        using var broken = await CompareDraftAsync("alice", "<bpmn:definitions");
        using var deep = await CompareDraftAsync("alice", "<bpmn:definitions xmlns:bpmn=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">"
            + string.Concat(Enumerable.Repeat("<bpmn:process>", 50_000)) + string.Concat(Enumerable.Repeat("</bpmn:process>", 50_000)) + "</bpmn:definitions>");
        using var empty = await CompareDraftAsync("alice", "");
        using var agent = await CompareDraftAsync("ann", _v2);
        using var unknownVersion = await (await _host.As("alice")).GetAsync(new Uri("/api/definitions/complaint/compare?from=1&to=99", UriKind.Relative));
        using var unknownDraftBase = await CompareDraftAsync("alice", _v2, "?from=99");
        using var unknownProcess = await (await _host.As("alice")).GetAsync(new Uri("/api/definitions/no-such/compare?from=1&to=2", UriKind.Relative));
        using var customer = await (await _host.As("carla")).GetAsync(new Uri("/api/definitions/complaint/compare?from=1&to=2", UriKind.Relative));
        var externalText = await external.Content.ReadAsStringAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await billion.ProblemAsync(HttpStatusCode.BadRequest), Does.Contain("DTD"));
            Assert.That(await external.ProblemAsync(HttpStatusCode.BadRequest), Does.Contain("DTD"));
            Assert.That(externalText, Does.Not.Contain("root:"), "no entity is ever read");
            Assert.That(await oversized.ProblemAsync(HttpStatusCode.RequestEntityTooLarge), Does.Contain("above the limit"), "10 MB");
            Assert.That(await aboveBpmnLimit.ProblemAsync(HttpStatusCode.RequestEntityTooLarge), Does.Contain("MaxBpmnBytes"), "3 MB");
            Assert.That(await broken.ProblemAsync(HttpStatusCode.BadRequest), Does.Contain("not well-formed"));
            Assert.That(await deep.ProblemAsync(HttpStatusCode.BadRequest), Does.Contain("deeper than"), "a hostile nesting never reaches a recursive walk");
            Assert.That(await empty.ProblemAsync(HttpStatusCode.BadRequest), Does.Contain("no body"));
            Assert.That(agent.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "comparing a draft is the analysts'");
            Assert.That(await unknownVersion.ProblemAsync(HttpStatusCode.NotFound), Does.Contain("version 99"));
            Assert.That(await unknownDraftBase.ProblemAsync(HttpStatusCode.NotFound), Does.Contain("version 99"));
            Assert.That(await unknownProcess.ProblemAsync(HttpStatusCode.NotFound), Does.Contain("no-such"));
            Assert.That(customer.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(billion.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        }
    }
}
