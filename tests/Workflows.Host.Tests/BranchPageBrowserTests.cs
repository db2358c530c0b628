using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Workflows.Engine;

namespace Workflows.Host.Tests;

/// <summary>
/// The branch administrator's page in Debian's Chromium, headless, at 1280×800, against the host on Kestrel: bruno
/// (paris-01) pins the approved version 2 of the complaint by keyboard after reading what changes, sets a local parameter
/// (out of bounds refused beside the field, then saved), edits the calendar layer, migrates the branch's running
/// complaints (a dry run naming why they cannot move, a mapping, a run to the end), reads the rollout that includes his
/// branch with its figures; another branch in the address shows his own, and a central administrator picks a branch.
/// Each test saves a screenshot (copied to docs/screenshots).
/// </summary>
[NonParallelizable]
public sealed class BranchPageBrowserTests() : HostFixture(Backend.Sqlite)
{
    private readonly List<string> _complaints = [];
    private readonly List<string> _pageErrors = [];
    private readonly List<string> _requests = [];
    private readonly List<string> _refusals = [];
    private Uri _base = null!;
    private TestBrowser _browser = null!;
    private IBrowserContext? _context;

    private protected override bool Kestrel => true;

    private protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Workflows__Auth__TokenLifetime"] = "30.00:00:00",
        ["Workflows__Auth__SignInPermitsPerMinute"] = "1000",
    };

    [OneTimeSetUp]
    public async Task DeployVersionTwoAndStartComplaints()
    {
        _base = Host.BaseAddress();
        _browser = await TestBrowser.LaunchAsync(_base, "/signin", "/app/app.css", "/app/branch.css", "/app/common.js", "/app/branch.js", "/app/branch-migration.js");

        // The analyst deploys version 2 and another approves it (a renamed registration, a quality check, no survey).
        var v1 = Processes.JourneyLibrary.All.Single(j => j.Name.EndsWith("complaints.bpmn", StringComparison.Ordinal)).Xml;
        var alice = await As("alice");
        await alice.DeployAsync(ComplaintVersions.Version2(v1));
        await (await As("ines")).ApproveAsync("complaint", 2, "a quality check before every answer");

        // Three of paris-01's complaints wait at the registration, on version 1 (the branch's pin).
        var ann = await As("ann");
        for (var i = 0; i < 3; i++)
        {
            var id = await ann.StartAsync("complaint", new { customerId = $"cust-branch-{i}", summary = "charged twice" }, businessKey: $"C-BR-{i}");
            _complaints.Add(id);
            await Api.EventuallyAsync(async () => await ann.GetJsonAsync($"/api/instances/{id}") is var instance
                && instance.GetProperty("tasks").EnumerateArray().Any(t => t.GetProperty("elementId").GetString() == "register") ? instance : default, $"complaint {id} at the registration");
        }
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
            foreach (var open in _context.Pages)
            {
                Assert.That(await open.Locator("body").InnerTextAsync(), Does.Not.Match(@"\b(null|undefined|NaN|\[object Object\])\b"), "the page shows no value unread");
            }

            await _context.CloseAsync();
            _context = null;
        }

        Assert.That(_pageErrors, Is.Empty, "script errors or console errors in the page");
    }

    // A migration's progress (GET /api/migrations/{id}), not its creation (POST /api/migrations).
    private static readonly System.Text.RegularExpressions.Regex ProgressRoute = new("/api/migrations/[0-9a-f-]{36}$");

    private WorkflowEngine Engine => Host.Factory.Services.GetRequiredService<WorkflowEngine>();

    private async Task<IPage> OpenAsync(string user, string path)
    {
        var context = await _browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _base.ToString(), ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        context.SetDefaultTimeout(60_000);
        context.SetDefaultNavigationTimeout(60_000);
        _context = context;
        var page = await context.NewPageAsync();
        _pageErrors.Clear();
        _requests.Clear();
        _refusals.Clear();
        page.PageError += (_, error) => _pageErrors.Add(error);
        page.Console += (_, message) =>
        {
            // A refusal the page shows in words is logged by Chromium as a failed load: counted in _refusals instead.
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                _pageErrors.Add(message.Text);
            }
        };
        page.Request += (_, request) => _requests.Add(request.Url);
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                _refusals.Add($"{response.Status} {response.Request.Method} {new Uri(response.Url).PathAndQuery}");
            }
        };
        await TestBrowser.SignInAsync(context, user);
        await page.GotoAsync(path);
        return page;
    }

    private static Task ExpectTextAsync(IPage page, string selector, string text) =>
        Assertions.Expect(page.Locator(selector).First).ToContainTextAsync(text, new LocatorAssertionsToContainTextOptions { Timeout = 30_000 });

    private async Task<JsonElement> BranchAsync() => await (await As("bruno")).GetJsonAsync("/api/branches/paris-01");

    [Test, Order(1)]
    public async Task A_branch_admin_reads_what_an_approved_version_changes_and_pins_it_by_keyboard_after_a_confirmation_naming_it()
    {
        var page = await OpenAsync("bruno", "/branch?journey=complaint");
        await ExpectTextAsync(page, "tr[data-version='2'] [data-test=stage]", "approved");
        await ExpectTextAsync(page, "tr[data-version='2'] [data-test=changes]", "Adds the user task “Check the answer's quality”");
        var changes = await page.Locator("tr[data-version='2'] [data-test=changes]").InnerTextAsync();
        var everyChange = await page.Locator("tr[data-version='2'] [data-test=changes]").TextContentAsync();
        var deployedOnly = await page.Locator("tr[data-version='1'] [data-test=pin]").CountAsync();

        await page.FocusAsync("tr[data-version='2'] [data-test=pin]");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("[data-test=pin-yes]")).ToBeFocusedAsync();
        var confirmation = await page.Locator("[data-test=pin-confirm]").InnerTextAsync();
        var confirmedChanges = await page.Locator("[data-test=pin-confirm]").TextContentAsync();
        await TestBrowser.ScreenshotAsync(page, "branch-pin");
        await page.Keyboard.PressAsync("Enter");
        await ExpectTextAsync(page, "[data-test=message]", "new complaint cases in paris-01 start on version 2");
        await ExpectTextAsync(page, "[data-test=runs]", "starts version 2 (pinned)");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(changes, Does.Contain("Removes the user task “Register and classify”").And.Contain("Adds the user task “Register the complaint”")
                .And.Not.Contain("register_complaint"), "what changed is in the journey's words, not element ids");
            Assert.That(everyChange, Does.Contain("now flows to").And.Not.Contain("element complaint").And.Not.Contain("check_quality"),
                "each change says what changed in the comparison's sentences, the process's own settings as the journey's");
            Assert.That(confirmedChanges, Does.Contain("now flows to"), "the confirmation repeats the same sentences");
            Assert.That(deployedOnly, Is.Zero, "the branch runs version 1: nothing to pin there");
            Assert.That(confirmation, Does.Contain("Pin version 2 of complaint for Paris Opéra?").And.Contain("instead of version 1").And.Contain("Check the answer's quality"));
            Assert.That((await BranchAsync()).GetProperty("pins").GetProperty("complaint").GetInt32(), Is.EqualTo(2));
            Assert.That(_refusals, Is.Empty);
        }
    }

    [Test, Order(2)]
    public async Task A_parameter_out_of_bounds_is_refused_beside_its_field_and_a_valid_value_is_saved()
    {
        var page = await OpenAsync("bruno", "/branch?journey=complaint&tab=parameters");
        var field = page.Locator("[data-param=frontDeskAuthority]");
        await ExpectTextAsync(page, "tr[data-row=frontDeskAuthority] [data-test=bounds]", "0 to 5000");

        await field.FillAsync("twelve");
        await page.ClickAsync("[data-test=save-parameters]");
        await ExpectTextAsync(page, "[data-error=frontDeskAuthority]", "twelve is not a number");

        await field.FillAsync("9000");
        await page.ClickAsync("[data-test=save-parameters]");
        await ExpectTextAsync(page, "[data-error=frontDeskAuthority]", "above its maximum 5000");
        await Assertions.Expect(field).ToBeFocusedAsync();
        await TestBrowser.ScreenshotAsync(page, "branch-parameters");
        var refused = _refusals.ToList();

        await field.FillAsync("300");
        await page.Keyboard.PressAsync("Enter");
        await ExpectTextAsync(page, "[data-test=saved]", "Saved frontDeskAuthority");
        var parameters = await (await As("bruno")).GetJsonAsync("/api/branches/paris-01/parameters/complaint");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused, Is.EqualTo(new[] { "400 PUT /api/branches/paris-01/parameters/complaint" }), "the number's type is checked in the page, its bounds by the server");
            Assert.That(parameters.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "frontDeskAuthority").GetProperty("value").GetString(), Is.EqualTo("300"));
        }
    }

    [Test, Order(3)]
    public async Task The_calendar_layer_takes_new_opening_hours_and_a_holiday_and_hours_the_server_refuses_are_shown_by_their_day()
    {
        var page = await OpenAsync("bruno", "/branch?tab=calendar");
        await Assertions.Expect(page.Locator("[data-hours=saturday]")).ToHaveValueAsync("09:00-12:00");
        await ExpectTextAsync(page, "tr[data-row=monday]", "09:00-12:30, 13:30-18:00 (group)");
        await page.SelectOptionAsync("[data-day=sunday]", "open");
        await page.FillAsync("[data-hours=sunday]", "25:00-26:00");
        await page.ClickAsync("[data-test=save-calendar]");
        await ExpectTextAsync(page, "[data-error=sunday]", "week.sunday");

        await page.FillAsync("[data-hours=sunday]", "10:00-13:00");
        await page.FillAsync("[data-test=new-holiday]", "2027-07-15");
        await page.ClickAsync("[data-test=add-holiday]");
        await ExpectTextAsync(page, "[data-test=holidays]", "2027");
        await page.ClickAsync("[data-test=save-calendar]");
        await ExpectTextAsync(page, "[data-test=calendar-saved]", "Saved.");
        await TestBrowser.ScreenshotAsync(page, "branch-calendar");
        var calendar = await (await As("bruno")).GetJsonAsync("/api/branches/paris-01/calendar");
        var layer = calendar.GetProperty("layers").EnumerateArray().Single(l => l.GetProperty("name").GetString() == "branch:paris-01");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(layer.GetProperty("week").GetProperty("sunday").EnumerateArray().Select(i => i.GetString()), Is.EqualTo(new[] { "10:00-13:00" }));
            Assert.That(layer.GetProperty("week").GetProperty("saturday").EnumerateArray().Select(i => i.GetString()), Is.EqualTo(new[] { "09:00-12:00" }), "the days not edited are kept");
            Assert.That(layer.GetProperty("holidays").EnumerateArray().Select(d => d.GetString()), Is.EqualTo(new[] { "2027-07-15" }));
        }
    }

    [Test, Order(4)]
    public async Task A_migration_dry_run_names_why_cases_cannot_move_and_once_mapped_the_run_is_followed_to_the_end()
    {
        var page = await OpenAsync("bruno", "/branch?journey=complaint&tab=migration");
        await Assertions.Expect(page.Locator("[data-test=from-version]")).ToHaveValueAsync("1");
        await Assertions.Expect(page.Locator("[data-test=to-version]")).ToHaveValueAsync("2");
        await Assertions.Expect(page.Locator("[data-map=register]")).ToHaveValueAsync("");

        await page.ClickAsync("[data-test=dry-run]");
        await ExpectTextAsync(page, "[data-test=preview-summary]", "3 running cases of version 1 looked at: 0 can move, 3 cannot");
        var reasons = await page.Locator("[data-test=reasons]").First.InnerTextAsync();
        await page.Locator("[data-test=preview]").ScrollIntoViewIfNeededAsync();
        await TestBrowser.ScreenshotAsync(page, "branch-dry-run");

        await page.SelectOptionAsync("[data-map=register]", "register_complaint");
        await page.ClickAsync("[data-test=dry-run]");
        await ExpectTextAsync(page, "[data-test=preview-summary]", "3 can move, 0 cannot");
        var moves = await page.Locator("[data-test=preview] .moves").First.InnerTextAsync();
        await page.FillAsync("[data-test=migration-reason]", "version 2 pinned: the quality check applies to open cases");

        // The host is out of reach while the migration runs (its progress cannot be read), and the page is reloaded meanwhile:
        // the migration is shown again from the browser's memory, and followed to the end once the host answers.
        await page.RouteAsync(ProgressRoute, route => route.AbortAsync());
        await page.ClickAsync("[data-test=run]");
        await ExpectTextAsync(page, "[data-test=progress]", "The server cannot be reached");
        await page.ReloadAsync();
        await ExpectTextAsync(page, "[data-test=progress]", "The server cannot be reached");
        var runOffered = await page.Locator("[data-test=run]").CountAsync();
        await page.UnrouteAsync(ProgressRoute);
        await ExpectTextAsync(page, "[data-test=progress-text]", "3 of 3 cases: 3 moved, 0 skipped, 0 could not move");
        await page.Locator("[data-test=progress]").ScrollIntoViewIfNeededAsync();
        await TestBrowser.ScreenshotAsync(page, "branch-migration");

        // A reload shows the finished migration again (its id is kept in the browser), until it is dismissed.
        await page.ReloadAsync();
        await ExpectTextAsync(page, "[data-test=progress]", ": done");
        await page.ClickAsync("[data-test=dismiss-migration]");
        await Assertions.Expect(page.Locator("[data-test=progress]")).ToBeEmptyAsync();
        var versions = new List<int>();
        foreach (var id in _complaints)
        {
            versions.Add((await Engine.Queries.GetInstanceAsync(Guid.Parse(id))).Version);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(runOffered, Is.Zero, "no dry run shown after the reload: nothing to run twice");
            Assert.That(reasons, Does.Contain("“Register and classify” (register) is active and version 2 has no element"));
            Assert.That(moves, Does.Contain("“Register and classify” (register) → “Register the complaint” (register_complaint)"));
            Assert.That(versions, Is.All.EqualTo(2));
        }
    }

    [Test, Order(5)]
    public async Task A_branch_admin_sees_the_rollout_that_includes_the_branch_with_its_figures_and_nothing_of_another_branch()
    {
        var central = CentralAdmin();
        var rollout = await central.PostJsonAsync("/api/rollouts", new
        {
            journey = "complaint", version = 2, reason = "a quality check before every answer",
            waves = new object[] { new { name = "pilot", branches = new[] { "paris-01" } }, new { name = "France", branches = new[] { "lyon-01" } } },
        }, HttpStatusCode.Created);
        await central.PostJsonAsync($"/api/rollouts/{rollout.GetProperty("id").GetString()}/advance", new { reason = "pilot", wave = "pilot" });

        // Another branch in the address: the page shows bruno's own.
        var page = await OpenAsync("bruno", "/branch?branch=lyon-01&journey=complaint&tab=rollouts");
        await ExpectTextAsync(page, "[data-test=my-wave]", "paris-01 is in wave 1 of 2, “pilot”: pinned");
        await ExpectTextAsync(page, "[data-test=figures]", "v2 (this rollout)");
        await ExpectTextAsync(page, "[data-test=message]", "You administer paris-01 only");
        await TestBrowser.ScreenshotAsync(page, "branch-rollouts");
        foreach (var tab in new[] { "versions", "parameters", "calendar", "migration" })
        {
            await page.ClickAsync($"[role=tab][data-tab={tab}]");
            await Assertions.Expect(page.Locator($"#panel-{tab}")).Not.ToBeEmptyAsync();
            await Assertions.Expect(page.Locator($"#panel-{tab} .hint").First).ToBeVisibleAsync();
        }

        // The tabs by keyboard: from the migration tab, Home goes to the first and the arrow to the next.
        await page.Keyboard.PressAsync("Home");
        await Assertions.Expect(page.Locator("[role=tab][data-tab=versions]")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("ArrowRight");
        await Assertions.Expect(page.Locator("[role=tab][data-tab=parameters]")).ToBeFocusedAsync();
        await Assertions.Expect(page.Locator("#panel-parameters")).ToBeVisibleAsync();
        var shown = await page.Locator("main").InnerTextAsync();
        var branchPicker = await page.Locator("[data-test=branch]").CountAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await page.Locator("[data-test=branch-name]").InnerTextAsync(), Is.EqualTo("Paris Opéra (paris-01)"));
            Assert.That(branchPicker, Is.Zero, "a branch's administrator is offered no other branch");
            Assert.That(shown, Does.Not.Contain("lyon-01").And.Not.Contain("Lyon"));
            Assert.That(_requests.Where(r => r.Contains("/api/", StringComparison.Ordinal)), Has.None.Contains("lyon-01"), "the page never asks for another branch");
            Assert.That(_requests, Has.None.EndsWith("/api/branches"), "nor for the list of branches");
        }
    }

    [Test, Order(6)]
    public async Task A_central_administrator_picks_a_branch_and_an_agent_is_refused_the_page()
    {
        var page = await OpenAsync("cleo", "/branch?branch=lyon-01&journey=complaint");
        await Assertions.Expect(page.Locator("[data-test=branch]")).ToHaveValueAsync("lyon-01");
        await ExpectTextAsync(page, "[data-test=runs]", "starts version 1 (pinned)");
        await page.SelectOptionAsync("[data-test=branch]", "paris-01");
        await ExpectTextAsync(page, "[data-test=runs]", "starts version 2 (pinned)");
        var address = page.Url;
        await _context!.CloseAsync();
        _context = null;

        var agent = await OpenAsync("ann", "/branch");
        var refused = await agent.Locator("h1").InnerTextAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(address, Does.Contain("branch=paris-01"));
            Assert.That(refused, Does.Contain("This page is for the branch-admin role"));
            Assert.That(_refusals, Is.EqualTo(new[] { "403 GET /branch" }));
        }
    }
}
