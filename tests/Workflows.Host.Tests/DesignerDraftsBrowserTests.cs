using System.Net;
using System.Text.Json;
using Microsoft.Playwright;

namespace Workflows.Host.Tests;

/// <summary>
/// The designer's drafts on the server in Debian's Chromium, headless, against the host on Kestrel: a draft saved in one
/// browser is found after a reload and in another browser context, saved again a moment after each edit, and a stale
/// tab's save is refused and shown, overwriting nothing; nothing replaces edits saved nowhere without asking (opening a
/// journey or a file, leaving the page) and nothing asks when there are none; a comparison never loses an edit; the
/// drafts a browser kept in localStorage move to the server once; drafts are renamed and deleted from the side view.
/// </summary>
[NonParallelizable]
public sealed class DesignerDraftsBrowserTests : BrowserFixture
{
    private protected override IReadOnlyList<string> Warm { get; } = ["/app/designer.js", "/app/designer-drafts.js", "/app/designer-compare.js",
        "/lib/designer/designer.js", "/lib/designer/designer.css", "/lib/bpmn-js/bpmn-navigated-viewer.production.min.js"];

    /// <summary>alice's designer in a browser context of its own, with <paramref name="journey"/> open when given.</summary>
    private async Task<IPage> DesignerAsync(string? journey = "complaint")
    {
        // A stale tab's save is refused (409): the test asks for it.
        var page = await OpenAsync("alice", "/designer", tolerated: error => error.Contains("409", StringComparison.Ordinal));
        await ExpectTextAsync(page, "[data-test=status]", "a new diagram");
        if (journey is not null)
        {
            await OpenJourneyAsync(page, journey);
        }

        return page;
    }

    private static async Task OpenJourneyAsync(IPage page, string journey)
    {
        await page.SelectOptionAsync("[data-test=library]", journey);
        await Assertions.Expect(page.Locator("[data-test=status]")).ToHaveTextAsync($"{journey} open");
    }

    private static Task<string> XmlAsync(IPage page) => page.EvaluateAsync<string>("async () => (await window.wfDesigner.modeler.saveXML()).xml");

    /// <summary>Names <paramref name="element"/> through the properties panel, waiting for the name to reach the diagram.</summary>
    private static async Task NameAsync(IPage page, string element, string name)
    {
        // A click on the selected element would unselect it.
        if (await page.TextContentAsync("[data-test=selected]") is not { } selected || !selected.EndsWith($" · {element}", StringComparison.Ordinal))
        {
            await page.ClickAsync($"#canvas g.djs-element[data-element-id='{element}']");
        }

        await ExpectTextAsync(page, "[data-test=selected]", element);
        await DesignerPanelBrowserTests.OpenGroupAsync(page, "general");
        await DesignerPanelBrowserTests.SetAsync(page, "name", name, $"name=\"{name}\"");
    }

    private async Task<JsonElement> DraftsAsync() => await (await As("alice")).GetJsonAsync("/api/drafts");

    private async Task<string> DraftIdAsync(string name) =>
        (await DraftsAsync()).EnumerateArray().Single(d => d.GetProperty("name").GetString() == name).GetProperty("id").GetString()!;

    /// <summary>A deployed journey of the library other than the complaint.</summary>
    private async Task<string> AnotherJourneyAsync() =>
        (await (await As("alice")).GetJsonAsync("/api/definitions")).EnumerateArray().Select(d => d.GetProperty("processId").GetString()!).First(p => p != "complaint");

    private const string Callback = """
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" id="callback-file" targetNamespace="t">
          <bpmn:process id="callback" isExecutable="true"><bpmn:startEvent id="asked" /></bpmn:process>
          <bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="p" bpmnElement="callback">
            <bpmndi:BPMNShape id="asked_di" bpmnElement="asked"><dc:Bounds x="180" y="100" width="36" height="36" /></bpmndi:BPMNShape>
          </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
        </bpmn:definitions>
        """;

    [Test, Order(1)]
    public async Task A_draft_survives_a_reload_and_opens_in_another_browser_context_and_a_stale_tab_overwrites_nothing()
    {
        var first = await DesignerAsync();
        await NameAsync(first, "register", "Register it first");
        await first.ClickAsync("#save-draft");
        await ExpectTextAsync(first, "[data-test=status]", "saved on the server");
        await ExpectTextAsync(first, "[data-test=draft-state]", "draft saved (r1)");
        // Saved again by itself a moment after the next edit, against the revision it holds.
        await NameAsync(first, "register", "Register it at once");
        await ExpectTextAsync(first, "[data-test=draft-state]", "draft saved (r2)");
        var id = await DraftIdAsync("complaint");

        await first.ReloadAsync();
        await ExpectTextAsync(first, "[data-test=status]", "a new diagram");
        await first.SelectOptionAsync("[data-test=library]", $"draft:{id}");
        await ExpectTextAsync(first, "[data-test=draft-state]", "draft saved (r2)");
        var reloaded = await XmlAsync(first);

        var second = await DesignerAsync(journey: null);
        await second.SelectOptionAsync("[data-test=library]", $"draft:{id}");
        await ExpectTextAsync(second, "[data-test=status]", "complaint open");
        var elsewhere = await XmlAsync(second);
        await NameAsync(second, "register", "Register it in the second tab");
        await ExpectTextAsync(second, "[data-test=draft-state]", "draft saved (r3)");

        // The first tab still holds revision 2: its save is refused, shown, and its edit kept in the diagram.
        await NameAsync(first, "register", "Register it in the first tab");
        await ExpectTextAsync(first, "[data-test=draft-state]", "not saved: draft changed elsewhere");
        await Assertions.Expect(first.Locator("[data-test=draft-conflict]")).ToBeVisibleAsync();
        await TestBrowser.ScreenshotAsync(first, "designer-draft-conflict");
        var stored = await (await As("alice")).GetJsonAsync($"/api/drafts/{id}");
        var kept = await XmlAsync(first);

        await first.ClickAsync("[data-test=conflict-save-new]");
        await ExpectTextAsync(first, "[data-test=draft-state]", "draft saved (r1)");
        var mine = await (await As("alice")).GetJsonAsync($"/api/drafts/{await DraftIdAsync("complaint (mine)")}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reloaded, Does.Contain("name=\"Register it at once\""), "the reload found the autosaved edit");
            Assert.That(elsewhere, Does.Contain("name=\"Register it at once\""), "another browser context found it too");
            Assert.That(stored.GetProperty("revision").GetInt64(), Is.EqualTo(3));
            Assert.That(stored.GetProperty("xml").GetString(), Does.Contain("Register it in the second tab").And.Not.Contain("Register it in the first tab"), "the stale save overwrote nothing");
            Assert.That(kept, Does.Contain("name=\"Register it in the first tab\""), "the refused edit is still in the diagram");
            Assert.That(mine.GetProperty("xml").GetString(), Does.Contain("Register it in the first tab"), "saved as a new draft when the analyst chose to");
            Assert.That(mine.GetProperty("processId").GetString(), Is.EqualTo("complaint"));
        }
    }

    [Test, Order(2)]
    public async Task Opening_a_journey_or_a_file_over_unsaved_edits_asks_first_and_nothing_asks_when_there_are_none()
    {
        var other = await AnotherJourneyAsync();
        var page = await DesignerAsync();
        var dialog = page.Locator("[data-test=unsaved-dialog]");

        // Nothing edited: the other journey opens without a question.
        await OpenJourneyAsync(page, other);
        await Assertions.Expect(dialog).ToBeHiddenAsync();
        await OpenJourneyAsync(page, "complaint");

        await NameAsync(page, "register", "Register, unsaved");
        await ExpectTextAsync(page, "[data-test=draft-state]", "not saved");
        await page.SelectOptionAsync("[data-test=library]", other);
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await ExpectTextAsync(page, "[data-test=unsaved-what]", $"opening {other} replaces them");
        await TestBrowser.ScreenshotAsync(page, "designer-unsaved-question");
        await page.ClickAsync("[data-test=unsaved-cancel]");
        await Assertions.Expect(dialog).ToBeHiddenAsync();
        var keptEditing = await XmlAsync(page);
        var menu = await page.InputValueAsync("[data-test=library]");

        await page.SelectOptionAsync("[data-test=library]", other);
        await page.ClickAsync("[data-test=unsaved-discard]");
        await ExpectTextAsync(page, "[data-test=status]", $"{other} open");
        var discarded = await XmlAsync(page);

        // Edits, then a file: saved as a draft when the analyst says so, then the file opens.
        await OpenJourneyAsync(page, "complaint");
        await NameAsync(page, "register", "Register, then import");
        await Assertions.Expect(page.Locator("[data-test=draft-state]")).ToHaveTextAsync("not saved");
        await page.SetInputFilesAsync("[data-test=file]", new FilePayload { Name = "callback.bpmn", MimeType = "application/xml", Buffer = System.Text.Encoding.UTF8.GetBytes(Callback) });
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await ExpectTextAsync(page, "[data-test=unsaved-what]", "importing callback.bpmn replaces them");
        await page.ClickAsync("[data-test=unsaved-save]");
        await ExpectTextAsync(page, "[data-test=status]", "callback open");
        var saved = (await DraftsAsync()).EnumerateArray().Select(d => d.GetProperty("id").GetString()!).ToList();
        var withEdit = 0;
        foreach (var draft in saved)
        {
            var xml = (await (await As("alice")).GetJsonAsync($"/api/drafts/{draft}")).GetProperty("xml").GetString()!;
            withEdit += xml.Contains("Register, then import", StringComparison.Ordinal) ? 1 : 0;
        }

        // Leaving the page with edits saved nowhere: the browser's own question.
        await page.EvaluateAsync("() => { const m = window.wfDesigner.modeler; m.get('modeling').updateProperties(m.get('elementRegistry').get('asked'), { name: 'leaving' }); }");
        await page.ClickAsync("#canvas .djs-container", new PageClickOptions { Position = new Position { X = 5, Y = 5 } });
        var questions = await CloseAsTheTabAsync(page);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(keptEditing, Does.Contain("name=\"Register, unsaved\""), "keep editing keeps the edit");
            Assert.That(menu, Is.Empty, "the menu no longer names the journey that was not opened");
            Assert.That(discarded, Does.Not.Contain("Register, unsaved"));
            Assert.That(withEdit, Is.EqualTo(1), "one draft holds the edit saved before the file opened");
            Assert.That(questions, Is.EqualTo(new[] { "beforeunload" }));
        }
    }

    [Test, Order(3)]
    public async Task A_comparison_right_after_a_panel_edit_shows_the_edit_and_never_loses_it()
    {
        var page = await DesignerAsync();
        await page.ClickAsync("#canvas g.djs-element[data-element-id='register']");
        await DesignerPanelBrowserTests.OpenGroupAsync(page, "general");
        // Typed and compared at once: the panel's pending input reaches the diagram before the comparison reads it.
        await page.FillAsync("#bio-properties-panel-name", "Register before comparing");
        await page.ClickAsync("[data-test=compare]");
        await ExpectTextAsync(page, "[data-test=change-list]", "renamed to 'Register before comparing'");
        var asked = await page.Locator("[data-test=unsaved-dialog]").IsVisibleAsync();
        await page.ClickAsync("[data-test=side-close]");
        var afterClose = await XmlAsync(page);
        var state = await page.TextContentAsync("[data-test=draft-state]");

        // Saved as a draft, compared again, reopened after a reload: the edit is in the draft and in the comparison.
        await page.ClickAsync("#save-draft");
        await ExpectTextAsync(page, "[data-test=draft-state]", "draft saved (r1)");
        await page.ClickAsync("[data-test=compare]");
        await ExpectTextAsync(page, "[data-test=change-list]", "renamed to 'Register before comparing'");
        var id = (await DraftsAsync()).EnumerateArray().First(d => d.GetProperty("processId").GetString() == "complaint").GetProperty("id").GetString();
        await page.ReloadAsync();
        await page.SelectOptionAsync("[data-test=library]", $"draft:{id}");
        await ExpectTextAsync(page, "[data-test=status]", "complaint open");
        await page.ClickAsync("[data-test=compare]");
        await ExpectTextAsync(page, "[data-test=change-list]", "renamed to 'Register before comparing'");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(asked, Is.False, "a comparison replaces nothing, so it asks nothing");
            Assert.That(afterClose, Does.Contain("name=\"Register before comparing\""));
            Assert.That(state, Is.EqualTo("not saved"), "the edit is still counted as saved nowhere");
        }
    }

    [Test, Order(4)]
    public async Task Drafts_kept_in_the_browser_move_to_the_server_once()
    {
        var page = await DesignerAsync(journey: null);
        var xml = await (await As("alice")).GetStringAsync(new Uri("/api/definitions/complaint/versions/1/xml", UriKind.Relative));
        await page.EvaluateAsync("xml => localStorage.setItem('wf-draft:complaint', JSON.stringify({ xml: xml.replace('name=\"Register and classify\"', 'name=\"Kept in the browser\"'), savedAt: new Date().toISOString() }))", xml);
        await page.ReloadAsync();
        await ExpectTextAsync(page, "[data-test=draft-state]", "1 draft moved from this browser to the server");
        await page.ReloadAsync();
        await ExpectTextAsync(page, "[data-test=status]", "a new diagram");
        var left = await page.EvaluateAsync<int>("() => Object.keys(localStorage).filter(k => k.startsWith('wf-draft')).length");

        var moved = (await DraftsAsync()).EnumerateArray().Where(d => d.GetProperty("name").GetString() == "complaint (from this browser)").ToList();
        Assert.That(moved, Has.Count.EqualTo(1), "moved once, not at every load");
        await page.SelectOptionAsync("[data-test=library]", $"draft:{moved[0].GetProperty("id").GetString()}");
        await ExpectTextAsync(page, "[data-test=status]", "complaint open");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(left, Is.Zero, "nothing left in the browser");
            Assert.That(moved[0].GetProperty("processId").GetString(), Is.EqualTo("complaint"));
            Assert.That(await XmlAsync(page), Does.Contain("name=\"Kept in the browser\""));
        }
    }

    [Test, Order(5)]
    public async Task Drafts_are_renamed_and_deleted_from_the_side_view()
    {
        var alice = await As("alice");
        var xml = await alice.GetStringAsync(new Uri("/api/definitions/complaint/versions/1/xml", UriKind.Relative));
        var id = (await alice.PostJsonAsync("/api/drafts", new { name = "Callback sooner", xml, processId = "complaint" }, HttpStatusCode.Created)).GetProperty("id").GetString();
        var page = await DesignerAsync(journey: null);

        await page.SelectOptionAsync("[data-test=library]", "drafts:manage");
        var row = page.Locator($"[data-test=drafts] tr[data-draft='{id}']");
        await Assertions.Expect(row).ToContainTextAsync("Callback sooner");
        await row.Locator("[data-test=draft-rename]").ClickAsync();
        await row.Locator("[data-test=draft-rename-input]").FillAsync("Callback within the hour");
        await row.Locator("[data-test=draft-rename-input]").PressAsync("Enter");
        await Assertions.Expect(row.Locator("[data-test=draft-name]")).ToHaveTextAsync("Callback within the hour");
        await TestBrowser.ScreenshotAsync(page, "designer-drafts");
        var renamed = await alice.GetJsonAsync($"/api/drafts/{id}");
        var offered = await page.Locator($"[data-test=library] option[value='draft:{id}']").TextContentAsync();

        await row.Locator("[data-test=draft-delete]").ClickAsync();
        await Assertions.Expect(row.Locator("[data-test=draft-delete]")).ToHaveTextAsync("Delete for good?");
        await row.Locator("[data-test=draft-delete]").ClickAsync();
        await Assertions.Expect(row).ToHaveCountAsync(0);
        using var gone = await alice.GetAsync(new Uri($"/api/drafts/{id}", UriKind.Relative));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(renamed.GetProperty("name").GetString(), Is.EqualTo("Callback within the hour"));
            Assert.That(renamed.GetProperty("revision").GetInt64(), Is.EqualTo(1), "a rename leaves the XML and its revision");
            Assert.That(offered, Does.StartWith("Callback within the hour"), "the library's menu follows");
            Assert.That(gone.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(await page.Locator($"[data-test=library] option[value='draft:{id}']").CountAsync(), Is.Zero);
        }
    }
}
