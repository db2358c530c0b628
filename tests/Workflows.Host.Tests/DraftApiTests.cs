using System.Net;
using System.Net.Http.Json;

namespace Workflows.Host.Tests;

/// <summary>
/// The designer's drafts over HTTP, on SQLite and on PostgreSQL + RabbitMQ: an analyst's drafts are listed, opened,
/// saved against their revision, renamed and deleted by that analyst; another analyst finds none of them (404 for every
/// verb, as for a draft that does not exist) and other roles are refused (403); a stale save is 409 and overwrites
/// nothing; a draft over the BPMN size limit is 413 naming the setting; a name with a control or invisible character,
/// or XML that is no BPMN document, is 400 saying what is wrong.
/// </summary>
[OnEveryBackend]
[NonParallelizable]
public sealed class DraftApiTests(Backend backend) : HostFixture(backend)
{
    private const int BpmnLimit = 64 << 10;

    private protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Workflows__Limits__MaxBpmnBytes"] = BpmnLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static string Diagram(string task) => $"""
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
          <bpmn:process id="drafted" isExecutable="true"><bpmn:startEvent id="s"/><bpmn:userTask id="{task}"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="{task}"/></bpmn:process>
        </bpmn:definitions>
        """;

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string url, object? body = null)
    {
        using var request = new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body) };
        return await client.SendAsync(request);
    }

    [Test]
    public async Task An_analyst_lists_opens_saves_renames_and_deletes_her_drafts()
    {
        var alice = await As("alice");
        var created = await alice.PostJsonAsync("/api/drafts", new { name = "Callback first", xml = Diagram("callBack"), processId = "drafted" }, HttpStatusCode.Created);
        var id = created.GetProperty("id").GetString();
        var listed = await alice.GetJsonAsync("/api/drafts");
        using var saved = await SendAsync(alice, HttpMethod.Put, $"/api/drafts/{id}", new { xml = Diagram("callBackToday"), revision = 1 });
        var savedBody = await saved.JsonAsync(HttpStatusCode.OK);
        using var renamed = await SendAsync(alice, HttpMethod.Patch, $"/api/drafts/{id}", new { name = "Callback the same day" });
        var opened = await alice.GetJsonAsync($"/api/drafts/{id}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(created.GetProperty("revision").GetInt64(), Is.EqualTo(1));
            var row = listed.EnumerateArray().Single(d => d.GetProperty("id").GetString() == id);
            Assert.That(row.GetProperty("name").GetString(), Is.EqualTo("Callback first"));
            Assert.That(row.TryGetProperty("xml", out _), Is.False, "a list carries no XML");
            Assert.That(savedBody.GetProperty("revision").GetInt64(), Is.EqualTo(2));
            Assert.That((await renamed.JsonAsync(HttpStatusCode.OK)).GetProperty("name").GetString(), Is.EqualTo("Callback the same day"));
            Assert.That(opened.GetProperty("xml").GetString(), Does.Contain("callBackToday"));
            Assert.That((opened.GetProperty("processId").GetString(), opened.GetProperty("revision").GetInt64()), Is.EqualTo(("drafted", 2L)));
        }

        using var deleted = await SendAsync(alice, HttpMethod.Delete, $"/api/drafts/{id}");
        using var gone = await alice.GetAsync(new Uri($"/api/drafts/{id}", UriKind.Relative));
        Assert.That((deleted.StatusCode, gone.StatusCode), Is.EqualTo((HttpStatusCode.NoContent, HttpStatusCode.NotFound)));
    }

    [Test]
    public async Task Another_analyst_finds_none_of_her_drafts_and_other_roles_are_refused()
    {
        var alice = await As("alice");
        var ines = await As("ines");
        var id = (await alice.PostJsonAsync("/api/drafts", new { name = "Alice's", xml = Diagram("mine") }, HttpStatusCode.Created)).GetProperty("id").GetString();

        var theirs = await ines.GetJsonAsync("/api/drafts");
        using var read = await ines.GetAsync(new Uri($"/api/drafts/{id}", UriKind.Relative));
        using var save = await SendAsync(ines, HttpMethod.Put, $"/api/drafts/{id}", new { xml = Diagram("theirs"), revision = 1 });
        using var rename = await SendAsync(ines, HttpMethod.Patch, $"/api/drafts/{id}", new { name = "Ines's now" });
        using var delete = await SendAsync(ines, HttpMethod.Delete, $"/api/drafts/{id}");
        using var agent = await (await As("ann")).GetAsync(new Uri($"/api/drafts/{id}", UriKind.Relative));
        var still = await alice.GetJsonAsync($"/api/drafts/{id}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(theirs.EnumerateArray().Select(d => d.GetProperty("id").GetString()), Does.Not.Contain(id));
            Assert.That(await read.ProblemAsync(HttpStatusCode.NotFound), Is.EqualTo($"ines has no draft {id}"));
            Assert.That(await save.ProblemAsync(HttpStatusCode.NotFound), Is.EqualTo($"ines has no draft {id}"));
            Assert.That(rename.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(delete.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(agent.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That((still.GetProperty("name").GetString(), still.GetProperty("revision").GetInt64()), Is.EqualTo(("Alice's", 1L)));
            Assert.That(still.GetProperty("xml").GetString(), Does.Contain("mine"));
        }
    }

    [Test]
    public async Task A_stale_save_is_a_conflict_a_large_draft_names_the_limit_and_a_save_without_its_revision_is_refused()
    {
        var alice = await As("alice");
        var id = (await alice.PostJsonAsync("/api/drafts", new { name = "Two tabs", xml = Diagram("first") }, HttpStatusCode.Created)).GetProperty("id").GetString();
        using var fromOneTab = await SendAsync(alice, HttpMethod.Put, $"/api/drafts/{id}", new { xml = Diagram("tabOne"), revision = 1 });
        using var fromTheOther = await SendAsync(alice, HttpMethod.Put, $"/api/drafts/{id}", new { xml = Diagram("tabTwo"), revision = 1 });
        using var noRevision = await SendAsync(alice, HttpMethod.Put, $"/api/drafts/{id}", new { xml = Diagram("tabTwo") });
        var large = Diagram("big").Replace("<bpmn:startEvent id=\"s\"/>", $"<bpmn:startEvent id=\"s\" name=\"{new string('x', BpmnLimit)}\"/>", StringComparison.Ordinal);
        using var tooLarge = await alice.PostAsJsonAsync("/api/drafts", new { name = "Large", xml = large });
        using var noName = await alice.PostAsJsonAsync("/api/drafts", new { xml = Diagram("t") });
        var stored = await alice.GetJsonAsync($"/api/drafts/{id}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(fromOneTab.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await fromTheOther.ProblemAsync(HttpStatusCode.Conflict), Does.Contain("is at revision 2").And.Contain("not 1"));
            Assert.That(await noRevision.ProblemAsync(HttpStatusCode.BadRequest), Does.Contain("revision"));
            Assert.That(await tooLarge.ProblemAsync(HttpStatusCode.RequestEntityTooLarge), Does.Contain("Workflows:Limits:MaxBpmnBytes"));
            Assert.That(await noName.ProblemAsync(HttpStatusCode.BadRequest), Does.Contain("name is required"));
            Assert.That(stored.GetProperty("xml").GetString(), Does.Contain("tabOne").And.Not.Contain("tabTwo"));
        }
    }

    [Test]
    public async Task A_name_with_control_or_invisible_characters_and_xml_that_is_no_bpmn_document_are_refused_naming_what_is_wrong()
    {
        var alice = await As("alice");
        var id = (await alice.PostJsonAsync("/api/drafts", new { name = "Kept as it is", xml = Diagram("kept") }, HttpStatusCode.Created)).GetProperty("id").GetString();
        var names = new[] { "a\nb", "\u202Eevil", "a\u0000b", "\u200B", "tab\there", " padded" };
        var created = new List<(string Name, HttpResponseMessage Response)>();
        var renamed = new List<(string Name, HttpResponseMessage Response)>();
        foreach (var name in names)
        {
            created.Add((name, await alice.PostAsJsonAsync("/api/drafts", new { name, xml = Diagram("t") })));
            renamed.Add((name, await SendAsync(alice, HttpMethod.Patch, $"/api/drafts/{id}", new { name })));
        }

        using var badProcess = await alice.PostAsJsonAsync("/api/drafts", new { name = "Process id", xml = Diagram("t"), processId = "drafted\u200B" });
        using var notXml = await alice.PostAsJsonAsync("/api/drafts", new { name = "Not XML", xml = "abc" });
        using var notBpmn = await SendAsync(alice, HttpMethod.Put, $"/api/drafts/{id}", new { xml = "<notes><note>call back</note></notes>", revision = 1 });
        using var withDtd = await alice.PostAsJsonAsync("/api/drafts", new { name = "DTD", xml = "<!DOCTYPE d [<!ENTITY x \"y\">]>" + Diagram("t") });
        using var unclosed = await SendAsync(alice, HttpMethod.Put, $"/api/drafts/{id}", new { xml = Diagram("t").Replace("</bpmn:definitions>", "", StringComparison.Ordinal), revision = 1 });
        var stored = await alice.GetJsonAsync($"/api/drafts/{id}");
        var listed = (await alice.GetJsonAsync("/api/drafts")).EnumerateArray().Select(d => d.GetProperty("name").GetString()).ToList();

        using (Assert.EnterMultipleScope())
        {
            foreach (var (name, response) in created.Concat(renamed))
            {
                // A NUL is refused in the words of every text that holds one, a new draft's name and a renamed one's alike.
                Assert.That(await response.ProblemAsync(HttpStatusCode.BadRequest), name.Contains('\0', StringComparison.Ordinal)
                    ? Is.EqualTo(Engine.Runtime.StorableText.NulProblem("name"))
                    : Does.Contain("name: a name holds only visible characters"), $"{response.RequestMessage!.Method} of {name.Replace("\u0000", "\\0", StringComparison.Ordinal)}");
            }

            Assert.That(await badProcess.ProblemAsync(HttpStatusCode.BadRequest), Does.Contain("processId"));
            Assert.That(await notXml.ProblemAsync(HttpStatusCode.BadRequest), Does.Contain("xml: the draft is not well-formed XML"));
            Assert.That(await notBpmn.ProblemAsync(HttpStatusCode.BadRequest), Does.Contain("root is <definitions>").And.Contain("not <notes>"));
            Assert.That(await withDtd.ProblemAsync(HttpStatusCode.BadRequest), Does.Contain("xml: the draft is not well-formed XML").And.Contain("DTD"));
            Assert.That(await unclosed.ProblemAsync(HttpStatusCode.BadRequest), Does.Contain("not well-formed"));
            Assert.That(stored.GetProperty("name").GetString(), Is.EqualTo("Kept as it is"), "no refused rename was stored");
            Assert.That(stored.GetProperty("revision").GetInt64(), Is.EqualTo(1), "no refused save was stored");
            Assert.That(listed.Intersect([.. names, "Process id", "Not XML", "DTD"]), Is.Empty, "no refused draft was created");
        }

        foreach (var (_, response) in created.Concat(renamed))
        {
            response.Dispose();
        }
    }
}
