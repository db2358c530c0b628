using System.Net;
using System.Text;
using Microsoft.Playwright;

namespace Workflows.Host.Tests;

/// <summary>
/// The branch page's decisions tab in Debian's Chromium, headless, at 1280×800, against the host on Kestrel: bruno
/// (paris-01) reads the version of a decision his branch uses, what an approved version changes rule by rule, that a
/// version only deployed cannot be pinned, and pins the approved one after a confirmation naming it; a screenshot is
/// saved (docs/screenshots/branch-decisions.png).
/// </summary>
[NonParallelizable]
public sealed class BranchDecisionsBrowserTests() : HostFixture(Backend.Sqlite)
{
    private readonly List<string> _pageErrors = [];
    private readonly List<string> _refusals = [];
    private readonly string _decision = "limit-" + Guid.NewGuid().ToString("N")[..8];
    private Uri _base = null!;
    private TestBrowser _browser = null!;
    private IBrowserContext? _context;

    private protected override bool Kestrel => true;

    private static string Dmn(string id, int limit) => $$"""
        <definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="Limits" namespace="urn:browser">
          <decision id="{{id}}" name="Front-desk limit"><decisionTable hitPolicy="UNIQUE">
            <input label="Amount"><inputExpression typeRef="number"><text>amount</text></inputExpression></input><output name="route" typeRef="string"/>
            <rule id="desk"><inputEntry><text>&lt;= {{limit}}</text></inputEntry><outputEntry><text>"front desk"</text></outputEntry></rule>
            <rule id="back"><inputEntry><text>&gt; {{limit}}</text></inputEntry><outputEntry><text>"back office"</text></outputEntry></rule>
          </decisionTable></decision>
        </definitions>
        """;

    [OneTimeSetUp]
    public async Task DeployThreeVersionsAndApproveTwo()
    {
        _base = Host.BaseAddress();
        _browser = await TestBrowser.LaunchAsync(_base, "/signin", "/app/app.css", "/app/branch.css", "/app/common.js", "/app/branch.js", "/app/branch-decisions.js");
        var alice = await As("alice");
        foreach (var limit in new[] { 100, 150, 200 })
        {
            using var deployed = await alice.PostAsync(new Uri("/api/decisions", UriKind.Relative), new StringContent(Dmn(_decision, limit), Encoding.UTF8, "application/xml"));
            await deployed.JsonAsync(HttpStatusCode.Created);
        }

        var ines = await As("ines");
        await ines.PostJsonAsync($"/api/decisions/{_decision}/versions/1/approval", new { reason = "the standard limit" });
        await ines.PostJsonAsync($"/api/decisions/{_decision}/versions/2/approval", new { reason = "a higher limit for busy shops" });
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
    public async Task NoPageFailedInItsScriptsOrLoggedAnError()
    {
        if (_context is not null)
        {
            await _context.CloseAsync();
            _context = null;
        }

        Assert.That(_pageErrors, Is.Empty, "script errors or console errors in the page");
    }

    private static Task ExpectTextAsync(IPage page, string selector, string text) =>
        Assertions.Expect(page.Locator(selector).First).ToContainTextAsync(text, new LocatorAssertionsToContainTextOptions { Timeout = 30_000 });

    [Test]
    public async Task A_branch_admin_reads_what_a_decision_version_changes_rule_by_rule_and_pins_the_approved_one()
    {
        _context = await _browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _base.ToString(), ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        _context.SetDefaultTimeout(60_000);
        var page = await _context.NewPageAsync();
        page.PageError += (_, error) => _pageErrors.Add(error);
        page.Console += (_, message) =>
        {
            // A refused request is logged by Chromium as a failed load: counted by its address in _refusals instead.
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                _pageErrors.Add(message.Text);
            }
        };
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                _refusals.Add($"{response.Status} {response.Request.Method} {new Uri(response.Url).PathAndQuery}");
            }
        };
        await TestBrowser.SignInAsync(_context, "bruno");
        await page.GotoAsync("/branch?tab=decisions");

        var section = $"[data-decision='{_decision}']";
        // Version 2 is approved too, but approval alone makes no version the standard: the first approved stays it until a rollout.
        await ExpectTextAsync(page, $"{section} [data-test=decision-used]", "pins no version: it uses the standard, version 1");
        await ExpectTextAsync(page, $"{section} tr[data-version='2'] [data-test=decision-changes]", "Amount was “<= 100”, now “<= 150”");
        var deployedOnly = await page.Locator($"{section} tr[data-version='3']").InnerTextAsync();
        var standard = await page.Locator($"{section} tr[data-version='1']").InnerTextAsync();
        var standardPins = await page.Locator($"{section} tr[data-version='1'] [data-test=decision-pin]").CountAsync();
        var stages = await page.Locator($"{section} [data-test=stage]").AllInnerTextsAsync();
        await page.ClickAsync($"{section} [data-test=decision-pin][data-pin='2']");
        await Assertions.Expect(page.Locator("[data-test=decision-yes]")).ToBeFocusedAsync();
        var confirmation = await page.Locator("[data-test=decision-confirm]").InnerTextAsync();
        await TestBrowser.ScreenshotAsync(page, "branch-decisions");
        await page.Keyboard.PressAsync("Enter");
        await ExpectTextAsync(page, "[data-test=message]", $"Pinned: paris-01 evaluates {_decision} with version 2");
        await ExpectTextAsync(page, $"{section} [data-test=decision-used]", "paris-01 pins version 2");
        var branch = await (await As("bruno")).GetJsonAsync("/api/branches/paris-01");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(stages, Is.EqualTo(new[] { "deployed", "approved", "approved" }), "newest first");
            Assert.That(deployedOnly, Does.Contain("not approved: cannot be pinned").And.Contain("rule 1: Amount was “<= 100”, now “<= 200”"));
            Assert.That(standardPins, Is.Zero, "the standard the branch follows is not offered as a pin");
            Assert.That(standard, Does.Contain("the standard: used here without a pin"));
            Assert.That(confirmation, Does.Contain($"Pin version 2 of {_decision} for Paris Opéra?").And.Contain("instead of version 1").And.Contain("Amount was “<= 100”, now “<= 150”"));
            Assert.That(branch.GetProperty("decisionPins").GetProperty(_decision).GetInt32(), Is.EqualTo(2));
            Assert.That(_refusals, Is.Empty, "no request of the page was refused");
        }
    }
}
