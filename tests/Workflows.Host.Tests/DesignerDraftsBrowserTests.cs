using Microsoft.Playwright;

namespace Workflows.Host.Tests;

/// <summary>
/// The designer's drafts on the server and its guard on unsaved edits, in Debian's Chromium, headless, against the host
/// on Kestrel: a draft saved in one browser context opens in another (the same analyst after a reload elsewhere), is
/// saved again as she edits, renamed and deleted; nothing replaces unsaved edits without asking (library, file, new
/// diagram, closing the page); a comparison never loses an edit. No page logs an error. Each test saves a screenshot.
/// </summary>
[NonParallelizable]
public sealed class DesignerDraftsBrowserTests() : HostFixture(Backend.Sqlite)
{
    private Uri _base = null!;
    private TestBrowser _browser = null!;
    private readonly List<IBrowserContext> _contexts = [];
    private readonly List<string> _pageErrors = [];
    private IPage? _page;

    private protected override bool Kestrel => true;

    private protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string> { ["Workflows__Auth__TokenLifetime"] = "30.00:00:00" };

    [OneTimeSetUp]
    public async Task StartTheBrowser()
    {
        _base = Host.BaseAddress();
        _browser = await TestBrowser.LaunchAsync(_base, "/signin", "/app/app.css", "/app/common.js", "/app/designer.js", "/app/designer-drafts.js", "/app/designer-layout.js",
            "/lib/designer/designer.js", "/lib/designer/designer.css", "/lib/bpmn-js/bpmn-navigated-viewer.production.min.js");
    }

    [OneTimeTearDown]
    public async Task StopTheBrowser()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
    }

    [TearDown]
    public async Task NoPageLoggedAnError()
    {
        if (_page is not null && TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            await TestBrowser.ScreenshotAsync(_page, "failed-" + TestContext.CurrentContext.Test.MethodName);
        }

        foreach (var context in _contexts)
        {
            await context.CloseAsync();
        }

        _contexts.Clear();
        Assert.That(_pageErrors, Is.Empty, "errors in the page's console");
        _pageErrors.Clear();
    }

    /// <summary>A new browser context (no storage shared with any other), signed in as <paramref name="user"/>, on the designer.</summary>
    internal async Task<IPage> DesignerAsync(string user = "alice", int width = 1440, int height = 900)
    {
        var context = await _browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _base.ToString(), ViewportSize = new ViewportSize { Width = width, Height = height } });
        _contexts.Add(context);
        context.SetDefaultTimeout(60_000);
        context.SetDefaultNavigationTimeout(60_000);
        var page = _page = await context.NewPageAsync();
        page.PageError += (_, error) => _pageErrors.Add(error);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                _pageErrors.Add(message.Text);
            }
        };
        await TestBrowser.SignInAsync(context, user);
        await page.GotoAsync("/designer");
        await ExpectTextAsync(page, "[data-test=status]", "a new diagram");
        return page;
    }

    internal static Task ExpectTextAsync(IPage page, string selector, string text) =>
        Assertions.Expect(page.Locator(selector)).ToContainTextAsync(text, new LocatorAssertionsToContainTextOptions { Timeout = 30_000 });

    private static Task<string> XmlAsync(IPage page) => page.EvaluateAsync<string>("async () => (await window.wfDesigner.modeler.saveXML()).xml");

    private static async Task OpenComplaintAsync(IPage page)
    {
        await page.SelectOptionAsync("[data-test=library]", "complaint");
        await ExpectTextAsync(page, "[data-test=status]", "complaint open");
    }

    /// <summary>Renames <paramref name="element"/> through the panel: an edit on the command stack, as an analyst makes it.</summary>
    private static async Task RenameAsync(IPage page, string element, string name)
    {
        // Selected through the modeler: with the side view open the element may lie outside the narrowed canvas.
        await page.EvaluateAsync("id => window.wfDesigner.select(id)", element);
        await ExpectTextAsync(page, "[data-test=selected]", element);
        await DesignerPanelBrowserTests.OpenGroupAsync(page, "general");
        await DesignerPanelBrowserTests.SetAsync(page, "name", name, $"name=\"{name}\"");
    }

    [Test, Order(1)]
    public async Task A_draft_saved_in_one_browser_opens_in_another_after_a_reload_is_saved_as_she_edits_renamed_and_deleted()
    {
        var first = await DesignerAsync();
        await OpenComplaintAsync(first);
        await RenameAsync(first, "register", "Register the complaint today");
        await Assertions.Expect(first.Locator("[data-test=draft-name]")).ToHaveTextAsync("unsaved •");
        await first.ClickAsync("[data-test=save-draft]");
        await ExpectTextAsync(first, "[data-test=status]", "draft saved");
        await ExpectTextAsync(first, "[data-test=status]", "(revision 1)");
        // An open draft is saved again a moment after each edit, at its next revision.
        await RenameAsync(first, "investigate", "Investigate within the day");
        await ExpectTextAsync(first, "[data-test=status]", "(revision 2)");
        await first.ReloadAsync();
        await ExpectTextAsync(first, "[data-test=status]", "a new diagram");

        var second = await DesignerAsync();
        await second.ClickAsync("[data-test=drafts-open]");
        var row = second.Locator("[data-test=drafts-table] tr").Filter(new LocatorFilterOptions { HasText = "complaint" });
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await row.Locator("[data-test=draft-open]").ClickAsync();
        await ExpectTextAsync(second, "[data-test=status]", "(revision 2)");
        var opened = await XmlAsync(second);
        await TestBrowser.ScreenshotAsync(second, "designer-drafts");

        await second.ClickAsync("[data-test=drafts-open]");
        await row.Locator("[data-test=draft-rename]").ClickAsync();
        await second.FillAsync("[data-test=draft-new-name]", "Complaint handled the same day");
        await second.PressAsync("[data-test=draft-new-name]", "Enter");
        await ExpectTextAsync(second, "[data-test=drafts-table]", "Complaint handled the same day");
        await Assertions.Expect(second.Locator("[data-test=draft-name]")).ToHaveTextAsync("Complaint handled the same day");
        var othersList = await (await As("ines")).GetJsonAsync("/api/drafts");
        var renamed = second.Locator("[data-test=drafts-table] tr").Filter(new LocatorFilterOptions { HasText = "Complaint handled the same day" });
        await renamed.Locator("[data-test=draft-delete]").ClickAsync();
        await renamed.Locator("[data-test=draft-delete]").ClickAsync();
        await ExpectTextAsync(second, "[data-test=status]", "deleted");
        var left = await (await As("alice")).GetJsonAsync("/api/drafts");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(opened, Does.Contain("name=\"Register the complaint today\"").And.Contain("name=\"Investigate within the day\""), "both edits, the autosaved one too");
            Assert.That(othersList.GetArrayLength(), Is.Zero, "another analyst sees none of alice's drafts");
            Assert.That(left.GetArrayLength(), Is.Zero, "the draft is gone");
            Assert.That(await second.EvaluateAsync<string>("() => document.body.dataset.edited"), Is.EqualTo("yes"), "a deleted draft leaves the open diagram unsaved");
        }
    }

    [Test, Order(2)]
    public async Task Nothing_replaces_unsaved_edits_without_asking()
    {
        var page = await DesignerAsync();
        await OpenComplaintAsync(page);
        await RenameAsync(page, "register", "Register it");

        // Keep editing: nothing is replaced.
        await page.SelectOptionAsync("[data-test=library]", "complaint");
        await Assertions.Expect(page.Locator("[data-test=unsaved]")).ToBeVisibleAsync();
        var askedFor = await page.TextContentAsync("[data-test=unsaved-what]");
        await TestBrowser.ScreenshotAsync(page, "designer-unsaved");
        await page.ClickAsync("[data-test=unsaved-keep]");
        await page.ClickAsync("[data-test=new-diagram]");
        await page.ClickAsync("[data-test=unsaved-keep]");
        await page.SetInputFilesAsync("[data-test=file]", new FilePayload { Name = "other.bpmn", MimeType = "application/xml", Buffer = System.Text.Encoding.UTF8.GetBytes(await XmlAsync(page)) });
        await page.ClickAsync("[data-test=unsaved-keep]");
        var kept = await XmlAsync(page);

        // Closing the page asks the browser's own question.
        var beforeUnload = new TaskCompletionSource<string>();
        page.Dialog += (_, dialog) =>
        {
            beforeUnload.TrySetResult(dialog.Type);
            _ = dialog.DismissAsync();
        };
        await page.CloseAsync(new PageCloseOptions { RunBeforeUnload = true });
        var asked = await beforeUnload.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // Save, then go on: the edit is kept in a new draft and the new diagram opens.
        var other = await DesignerAsync();
        await OpenComplaintAsync(other);
        await RenameAsync(other, "register", "Register it in a draft");
        await other.ClickAsync("[data-test=new-diagram]");
        await other.ClickAsync("[data-test=unsaved-save]");
        await ExpectTextAsync(other, "[data-test=status]", "Process_1 open");
        await Assertions.Expect(other.Locator("[data-test=unsaved]")).ToBeHiddenAsync();
        var blank = await XmlAsync(other);
        var drafts = await (await As("alice")).GetJsonAsync("/api/drafts");
        var saved = await (await As("alice")).GetJsonAsync($"/api/drafts/{drafts.EnumerateArray().First().GetProperty("id").GetString()}");

        // Discard: the edit goes, as asked.
        await RenameAsync(other, "StartEvent_1", "Started");
        await other.ClickAsync("[data-test=new-diagram]");
        await other.ClickAsync("[data-test=unsaved-discard]");
        await ExpectTextAsync(other, "[data-test=status]", "Process_1 open");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(askedFor, Is.EqualTo("open complaint from the library"));
            Assert.That(kept, Does.Contain("name=\"Register it\""), "keep editing kept the edit through library, new diagram and file");
            Assert.That(asked, Is.EqualTo("beforeunload"));
            Assert.That(blank, Does.Not.Contain("Register it"), "the new diagram opened after the save");
            Assert.That(saved.GetProperty("xml").GetString(), Does.Contain("name=\"Register it in a draft\""));
            Assert.That(await XmlAsync(other), Does.Not.Contain("Started"), "discarded");
        }
    }

    [Test, Order(3)]
    public async Task A_comparison_never_loses_an_edit_made_before_or_while_it_is_open()
    {
        var page = await DesignerAsync();
        await OpenComplaintAsync(page);
        await RenameAsync(page, "register", "Register before comparing");
        await page.SelectOptionAsync("[data-test=compare-from]", "1");
        await page.SelectOptionAsync("[data-test=compare-to]", "edited");
        await page.ClickAsync("[data-test=compare]");
        await ExpectTextAsync(page, "[data-test=changes]", "changed: register");

        // Edited while the side view is open, then compared again between deployed versions, then closed.
        await RenameAsync(page, "investigate", "Investigate while comparing");
        await page.ClickAsync("[data-test=compare]");
        await ExpectTextAsync(page, "[data-test=changes]", "changed: investigate, register");
        await page.SelectOptionAsync("[data-test=compare-to]", "1");
        await page.ClickAsync("[data-test=compare]");
        await ExpectTextAsync(page, "[data-test=changes]", "No difference");
        await page.ClickAsync("[data-test=side-close]");
        var xml = await XmlAsync(page);
        var edited = await page.EvaluateAsync<string>("() => document.body.dataset.edited");
        await page.SelectOptionAsync("[data-test=library]", "complaint");
        var guarded = await page.Locator("[data-test=unsaved]").IsVisibleAsync();
        await page.ClickAsync("[data-test=unsaved-keep]");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(xml, Does.Contain("name=\"Register before comparing\"").And.Contain("name=\"Investigate while comparing\""));
            Assert.That(edited, Is.EqualTo("yes"), "still unsaved edits after the comparison");
            Assert.That(guarded, Is.True, "and still guarded");
        }
    }

    [TestCase(1280, 800)]
    [TestCase(1920, 1080)]
    [Order(4)]
    public async Task Nothing_overflows_or_is_covered_and_the_panel_resizes_and_remembers_its_width(int width, int height)
    {
        var page = await DesignerAsync(width: width, height: height);
        await OpenComplaintAsync(page);
        await page.ClickAsync("#canvas g.djs-element[data-element-id='register']");
        await DesignerPanelBrowserTests.OpenGroupAsync(page, "wf-form");
        await page.ClickAsync("[data-test=validate]");
        await ExpectTextAsync(page, "[data-test=server-findings]", "Findings of the server (");
        await TestBrowser.ScreenshotAsync(page, $"designer-{width}x{height}");
        var layout = await MeasureAsync(page);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(layout.ToolbarLines, Is.EqualTo(1), "the toolbar on one line");
            Assert.That(layout.ToolbarOverflow, Is.LessThanOrEqualTo(0), "nothing of the toolbar cut off");
            Assert.That(layout.PageOverflowX, Is.LessThanOrEqualTo(0), "no horizontal scroll of the page");
            Assert.That(layout.PaletteCovers, Is.Empty, "the palette covers no start event");
            Assert.That(layout.PanelOverflow, Is.LessThanOrEqualTo(1), "nothing of the panel (its tables included) wider than the panel");
            Assert.That(layout.FindingsOverflow, Is.LessThanOrEqualTo(1), "the findings' tables inside their boxes");
            Assert.That(layout.PanelBottom, Is.LessThanOrEqualTo(height), "the panel inside the window");
            Assert.That(layout.CanvasHeight, Is.GreaterThan(300), "room to draw");
        }

        // Dragged 120 px to the left, the panel is 120 px wider, and stays so after a reload.
        var before = await page.Locator("#properties").BoundingBoxAsync();
        var handle = (await page.Locator("[data-test=panel-resize]").BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(handle.X + 3, handle.Y + 200);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(handle.X - 60, handle.Y + 200, new MouseMoveOptions { Steps = 4 });
        await page.Mouse.MoveAsync(handle.X - 117, handle.Y + 200, new MouseMoveOptions { Steps = 4 });
        await page.Mouse.UpAsync();
        var after = await page.Locator("#properties").BoundingBoxAsync();
        await page.ReloadAsync();
        await ExpectTextAsync(page, "[data-test=status]", "a new diagram");
        var reloaded = await page.Locator("#properties").BoundingBoxAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(after!.Width - before!.Width, Is.EqualTo(120).Within(3));
            Assert.That(reloaded!.Width, Is.EqualTo(after.Width).Within(1));
        }
    }

    [Test, Order(5)]
    public async Task Keyboard_shortcuts_save_a_draft_validate_and_list_themselves()
    {
        var page = await DesignerAsync(width: 1280, height: 800);
        await OpenComplaintAsync(page);
        await RenameAsync(page, "register", "Register by keyboard");
        await page.ClickAsync("#canvas g.djs-element[data-element-id='register']");

        await page.Keyboard.PressAsync("Control+s");
        await ExpectTextAsync(page, "[data-test=status]", "draft saved");
        await page.Keyboard.PressAsync("Alt+Shift+V");
        await ExpectTextAsync(page, "[data-test=status]", "valid");
        await page.Keyboard.PressAsync("?");
        await Assertions.Expect(page.Locator("[data-test=shortcuts]")).ToBeVisibleAsync();
        await TestBrowser.ScreenshotAsync(page, "designer-shortcuts");
        var listed = await page.TextContentAsync("[data-test=shortcuts]");
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.Locator("[data-test=shortcuts]")).ToBeHiddenAsync();
        await page.Keyboard.PressAsync("Alt+Shift+O");
        await Assertions.Expect(page.Locator("[data-test=drafts-menu]")).ToBeVisibleAsync();
        var drafts = await (await As("alice")).GetJsonAsync("/api/drafts");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(listed, Does.Contain("Save draft").And.Contain("Validate").And.Contain("Deploy"));
            Assert.That(drafts.EnumerateArray().Select(d => d.GetProperty("processId").GetString()), Does.Contain("complaint"));
        }
    }

    // Filled by Playwright from the page's answer, by property name.
    private sealed class Layout
    {
        public int ToolbarLines { get; set; }

        public double ToolbarOverflow { get; set; }

        public double PageOverflowX { get; set; }

        public string[] PaletteCovers { get; set; } = [];

        public double PanelOverflow { get; set; }

        public double FindingsOverflow { get; set; }

        public double PanelBottom { get; set; }

        public double CanvasHeight { get; set; }
    }

    // Bounding boxes as the browser lays them out: lines of the toolbar (distinct tops of its visible children), what
    // sticks out of the toolbar, page, panel and findings, and which start events the palette's box overlaps.
    private static Task<Layout> MeasureAsync(IPage page) => page.EvaluateAsync<Layout>("""
        () => {
          const visible = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
          const toolbar = document.querySelector('[data-test=toolbar]');
          const items = [...toolbar.children].filter(visible);
          // A new line where an item starts below every item of the line before (items of one line differ in height).
          let lines = 0, bottom = -Infinity;
          for (const r of items.map(e => e.getBoundingClientRect()).sort((a, b) => a.top - b.top)) {
            if (r.top >= bottom - 1) { lines++; bottom = r.bottom; } else bottom = Math.max(bottom, r.bottom);
          }
          const tb = toolbar.getBoundingClientRect();
          const overflowOf = (box, selector) => {
            const outer = box.getBoundingClientRect();
            const inner = [...box.querySelectorAll(selector)].filter(visible).map(e => e.getBoundingClientRect().right);
            return Math.max(box.scrollWidth - box.clientWidth, ...inner.map(r => r - outer.right));
          };
          const palette = document.querySelector('#canvas .djs-palette').getBoundingClientRect();
          const registry = window.wfDesigner.modeler.get('elementRegistry');
          const covers = registry.filter(e => e.type === 'bpmn:StartEvent').filter(e => {
            const r = registry.getGraphics(e).getBoundingClientRect();
            return r.left < palette.right && r.right > palette.left && r.top < palette.bottom && r.bottom > palette.top;
          }).map(e => e.id);
          const panel = document.getElementById('properties');
          return {
            toolbarLines: lines,
            toolbarOverflow: Math.max(toolbar.scrollWidth - toolbar.clientWidth, ...items.map(e => e.getBoundingClientRect().right - tb.right)),
            pageOverflowX: document.documentElement.scrollWidth - window.innerWidth,
            paletteCovers: covers,
            panelOverflow: overflowOf(panel, '*'),
            findingsOverflow: Math.max(...[...document.querySelectorAll('#findings > div')].map(d => overflowOf(d, 'table'))),
            panelBottom: panel.getBoundingClientRect().bottom,
            canvasHeight: document.getElementById('canvas').getBoundingClientRect().height,
          };
        }
        """);
}
