using System.Net;
using System.Net.Http.Json;
using Microsoft.Playwright;

namespace Workflows.Host.Tests;

/// <summary>
/// The designer's side view in Debian's Chromium, headless, against the host on Kestrel: an analyst edits the complaint,
/// compares the edited diagram with a deployed version side by side (both marked, the changes listed per element, a
/// click selecting the element in both), closes the comparison and finds the edit still there; and reads the rollout
/// plan of the journey across branches. Each test saves a screenshot.
/// </summary>
[NonParallelizable]
public sealed class DesignerCompareBrowserTests() : HostFixture(Backend.Sqlite)
{
    private Uri _base = null!;
    private TestBrowser _browser = null!;
    private IBrowserContext? _context;
    private readonly List<string> _pageErrors = [];
    private int _v2;

    private protected override bool Kestrel => true;

    private protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string> { ["Workflows__Auth__TokenLifetime"] = "30.00:00:00" };

    [OneTimeSetUp]
    public async Task DeployARolledOutSecondVersionAndStartTheBrowser()
    {
        var alice = await As("alice");
        var v1 = await alice.GetStringAsync(new Uri("/api/definitions/complaint/versions/1/xml", UriKind.Relative));
        var deployed = await alice.DeployAsync(v1.Replace("<wf:sla target=\"16 working hours\"", "<wf:sla target=\"8 working hours\"", StringComparison.Ordinal));
        _v2 = deployed.GetProperty("processes").EnumerateArray().Single(p => p.GetProperty("processId").GetString() == "complaint").GetProperty("version").GetInt32();
        await (await As("ines")).ApproveAsync("complaint", _v2, "shorter investigation");
        var central = Host.WithToken(("sub", "cora"), ("role", "branch-admin"), ("branch", "*"));
        var rollout = await central.PostJsonAsync("/api/rollouts", new
        {
            journey = "complaint", version = _v2, reason = "pilot in Paris first",
            waves = new object[] { new { name = "pilot", branches = new[] { "paris-01" } }, new { name = "France", branches = new[] { "lyon-01" } } },
        }, HttpStatusCode.Created);
        using var advanced = await central.PostAsJsonAsync($"/api/rollouts/{rollout.GetProperty("id").GetString()}/advance", new { reason = "pilot", wave = "pilot" });
        Assert.That(advanced.StatusCode, Is.EqualTo(HttpStatusCode.OK), await advanced.Content.ReadAsStringAsync());

        _base = Host.BaseAddress();
        _browser = await TestBrowser.LaunchAsync(_base, "/signin", "/app/app.css", "/app/common.js", "/app/designer.js", "/app/designer-compare.js",
            "/lib/designer/designer.js", "/lib/bpmn-js/bpmn-navigated-viewer.production.min.js");
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
    public async Task NoPageFailedInItsScripts()
    {
        if (_context is not null)
        {
            await _context.CloseAsync();
            _context = null;
        }

        Assert.That(_pageErrors, Is.Empty, "script errors in the page");
    }

    private async Task<IPage> DesignerAsync()
    {
        _context = await _browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _base.ToString(), ViewportSize = new ViewportSize { Width = 1600, Height = 1000 } });
        _context.SetDefaultTimeout(60_000);
        _context.SetDefaultNavigationTimeout(60_000);
        var page = await _context.NewPageAsync();
        _pageErrors.Clear();
        page.PageError += (_, error) => _pageErrors.Add(error);
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                _pageErrors.Add(message.Text);
            }
        };
        await TestBrowser.SignInAsync(_context, "alice");
        await page.GotoAsync("/designer");
        await page.SelectOptionAsync("[data-test=library]", "complaint");
        await ExpectTextAsync(page, "[data-test=status]", "complaint open");
        return page;
    }

    private static Task ExpectTextAsync(IPage page, string selector, string text) =>
        Assertions.Expect(page.Locator(selector)).ToContainTextAsync(text, new LocatorAssertionsToContainTextOptions { Timeout = 30_000 });

    private static Task<string?> ClassAsync(IPage page, string diagram, string id) => page.GetAttributeAsync($"{diagram} g.djs-element[data-element-id='{id}']", "class");

    [Test, Order(1)]
    public async Task An_edited_diagram_compares_side_by_side_with_a_deployed_version_and_keeps_its_edit_when_the_comparison_closes()
    {
        var page = await DesignerAsync();
        // Opened and not edited, the diagram means what the deployed version means: the designer drops nothing.
        await page.SelectOptionAsync("[data-test=compare-from]", _v2.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.ClickAsync("[data-test=compare]");
        await Assertions.Expect(page.Locator("[data-test=changes]")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^(No difference|Layout only)"));

        await page.ClickAsync("#canvas g.djs-element[data-element-id='register']");
        await DesignerPanelBrowserTests.OpenGroupAsync(page, "general");
        await DesignerPanelBrowserTests.SetAsync(page, "name", "Register the complaint now", "name=\"Register the complaint now\"");

        await page.SelectOptionAsync("[data-test=compare-from]", "1");
        await page.SelectOptionAsync("[data-test=compare-to]", "edited");
        await page.ClickAsync("[data-test=compare]");
        await ExpectTextAsync(page, "[data-test=changes]", "changed: investigate, register");
        await Assertions.Expect(page.Locator("[data-test=side]")).ToBeVisibleAsync();
        await ExpectTextAsync(page, "[data-test=change-list]", "User task 'Register and classify' renamed to 'Register the complaint now'");
        await ExpectTextAsync(page, "[data-test=change-list]", "SLA changed from 16 working hours to 8 working hours");
        var olderRegister = await ClassAsync(page, "#compare-older", "register");
        var editedRegister = await ClassAsync(page, "#canvas", "register");
        var olderInvestigate = await ClassAsync(page, "#compare-older", "investigate");

        await page.ClickAsync("[data-test=change-list] li[data-element='investigate']");
        await ExpectTextAsync(page, "[data-test=selected]", "investigate");
        var picked = await ClassAsync(page, "#compare-older", "investigate");
        await TestBrowser.ScreenshotAsync(page, "designer-compare");

        await page.ClickAsync("[data-test=side-close]");
        await Assertions.Expect(page.Locator("[data-test=side]")).ToBeHiddenAsync();
        var afterClose = await ClassAsync(page, "#canvas", "register");
        var xml = await page.EvaluateAsync<string>("async () => (await window.wfDesigner.modeler.saveXML()).xml");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(olderRegister, Does.Contain("wf-changed"), "marked in the deployed version");
            Assert.That(editedRegister, Does.Contain("wf-changed"), "and in the edited diagram");
            Assert.That(olderInvestigate, Does.Contain("wf-changed"), "the other pool is compared too");
            Assert.That(picked, Does.Contain("wf-picked"), "a change clicked is shown in the read-only version too");
            Assert.That(afterClose, Does.Not.Contain("wf-changed"), "closing takes the marks off");
            Assert.That(xml, Does.Contain("name=\"Register the complaint now\""), "the unsaved edit is still there");
        }
    }

    [Test, Order(2)]
    public async Task Two_deployed_versions_compare_in_two_read_only_viewers_beside_the_edited_diagram()
    {
        var page = await DesignerAsync();
        await page.SelectOptionAsync("[data-test=compare-from]", "1");
        await page.SelectOptionAsync("[data-test=compare-to]", _v2.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.ClickAsync("[data-test=compare]");

        await ExpectTextAsync(page, "[data-test=changes]", "changed: investigate");
        await Assertions.Expect(page.Locator("[data-test=compare-newer]")).ToBeVisibleAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await ClassAsync(page, "#compare-newer", "investigate"), Does.Contain("wf-changed"));
            Assert.That(await ClassAsync(page, "#canvas", "investigate"), Does.Not.Contain("wf-changed"), "the edited diagram is not the compared one here");
            Assert.That(await page.TextContentAsync("[data-test=change-list]"), Does.Contain("Complaint (complaint): unchanged").And.Contain("complaint-investigation): changed"));
        }
    }

    [Test, Order(3)]
    public async Task The_rollout_plan_of_the_open_journey_shows_its_versions_waves_and_branches()
    {
        var page = await DesignerAsync();
        await page.ClickAsync("[data-test=rollouts-open]");

        await ExpectTextAsync(page, "[data-test=rollouts] [data-test=waves]", "pilot");
        await TestBrowser.ScreenshotAsync(page, "designer-rollouts");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await page.TextContentAsync("[data-test=rollouts] [data-wave=pilot]"), Does.Contain("paris-01").And.Contain("pinned"));
            Assert.That(await page.TextContentAsync("[data-test=rollouts] [data-wave=France]"), Does.Contain("lyon-01").And.Contain("waiting"));
            Assert.That(await page.TextContentAsync($"[data-test=lifecycle] tr[data-version='{_v2}']"), Does.Contain("approved").And.Contain("paris-01"));
            Assert.That(await page.TextContentAsync("[data-test=drift] tr[data-branch='paris-01']"), Does.Contain($"v{_v2}"));
            Assert.That(await page.TextContentAsync("[data-test=rollouts]"), Does.Contain("in progress").And.Contain("1 of 2 waves pinned"));
        }
    }

    [Test, Order(4)]
    public async Task A_rolled_back_rollout_says_which_branches_it_re_pinned_back_and_to_what()
    {
        var central = Host.WithToken(("sub", "cora"), ("role", "branch-admin"), ("branch", "*"));
        var rollout = (await (await As("alice")).GetJsonAsync("/api/rollouts?journey=complaint")).EnumerateArray().First().GetProperty("id").GetString();
        await central.PostJsonAsync($"/api/rollouts/{rollout}/rollback", new { reason = "repeat complaints rose" });

        var page = await DesignerAsync();
        await page.ClickAsync("[data-test=rollouts-open]");
        await ExpectTextAsync(page, "[data-test=rollouts]", "rolled back by cora");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await page.TextContentAsync("[data-test=rollouts]"), Does.Contain("re-pinned paris-01 to their earlier versions").And.Contain("(repeat complaints rose)")
                .And.Not.Contain("1 of 2 waves pinned"));
            Assert.That(await page.TextContentAsync("[data-test=rollouts] [data-wave=pilot]"), Does.Contain("then rolled back: paris-01 re-pinned to v1"));
            Assert.That(await page.TextContentAsync("[data-test=rollouts] [data-wave=France]"), Does.Contain("waiting"));
        }
    }
}
