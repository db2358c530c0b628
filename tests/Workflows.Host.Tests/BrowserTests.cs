using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;
using Workflows.Engine;

namespace Workflows.Host.Tests;

/// <summary>
/// The pages in Debian's Chromium, headless, driven by Playwright against the host on Kestrel: an analyst
/// changes an SLA and deploys, an agent completes a task after a form error, a customer follows a complaint to
/// its end, a user of one role is kept out of another's page, and a supervisor sees the breached step (last,
/// since it moves the clock a week), and an operator finds, inspects and repairs instances (BrowserTests.Operate.cs).
/// Each test saves a screenshot.
/// </summary>
[NonParallelizable]
public sealed partial class BrowserTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private TestHost _host = null!;
    private Uri _base = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private readonly List<string> _pageErrors = [];

    private static string Chromium => Environment.GetEnvironmentVariable("WORKFLOWS_TEST_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    [OneTimeSetUp]
    public async Task StartTheHostAndTheBrowser()
    {
        if (!File.Exists(Chromium))
        {
            Assert.Fail($"no Chromium at {Chromium}: run ./scripts/test.sh, which installs Debian's chromium");
        }

        _host = TestHost.Start(new Dictionary<string, string> { ["Workflows__Auth__TokenLifetime"] = "30.00:00:00" }, _time, kestrel: true);
        _base = _host.BaseAddress();
        // The first requests compile the server's paths and read the scripts from disk: not while a test waits.
        using (var warm = new HttpClient { BaseAddress = _base })
        {
            foreach (var path in new[] { "/signin", "/app/app.css", "/app/common.js", "/lib/designer/designer.js", "/lib/bpmn-js/bpmn-navigated-viewer.production.min.js" })
            {
                (await warm.GetAsync(new Uri(path, UriKind.Relative))).EnsureSuccessStatusCode();
            }
        }

        Assertions.SetDefaultExpectTimeout(30_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    [OneTimeTearDown]
    public async Task StopThem()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [TearDown]
    public void NoPageFailedInItsScripts() => Assert.That(_pageErrors, Is.Empty, "script errors in the page");

    private async Task<IPage> SignInAsync(string user)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _base.ToString(), ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
        // Generous: the browser shares two cores with the other test assemblies that run beside this one.
        context.SetDefaultTimeout(60_000);
        context.SetDefaultNavigationTimeout(60_000);
        var page = await context.NewPageAsync();
        _pageErrors.Clear();
        page.PageError += (_, error) => _pageErrors.Add(error);
        // A script, style or connection the Content-Security-Policy blocks is a failure of the page too.
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                _pageErrors.Add(message.Text);
            }
        };
        await page.GotoAsync("/signin");
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", "demo");
        // The answer of the sign-in is awaited and checked first, so that a refused or failed sign-in says why
        // instead of timing out on a navigation that never comes.
        var signIn = await page.RunAndWaitForResponseAsync(
            () => page.ClickAsync("button[type=submit]"), response => response.Url.EndsWith("/api/auth/sign-in", StringComparison.Ordinal));
        if (signIn.Status != 200)
        {
            Assert.Fail($"signing in as {user}: {signIn.Status} {await signIn.TextAsync()}");
        }
        try
        {
            await page.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal), new PageWaitForURLOptions { WaitUntil = WaitUntilState.Commit });
        }
        catch (TimeoutException)
        {
            Assert.Fail($"signed in as {user} but still on {page.Url}: {await page.Locator("#message").InnerTextAsync()}");
        }

        return page;
    }

    private static readonly PageWaitForURLOptions Committed = new() { WaitUntil = WaitUntilState.Commit };

    private static Task ExpectTextAsync(IPage page, string selector, string text) =>
        Assertions.Expect(page.Locator(selector)).ToContainTextAsync(text, new LocatorAssertionsToContainTextOptions { Timeout = 30_000 });

    [Test, Order(1)]
    public async Task An_analyst_changes_an_SLA_in_the_designer_deploys_it_and_finds_it_back_from_the_engine()
    {
        var page = await SignInAsync("alice");
        await page.WaitForURLAsync("**/designer", Committed);
        await page.SelectOptionAsync("[data-test=library]", "complaint");
        await ExpectTextAsync(page, "[data-test=status]", "complaint open");

        await page.ClickAsync("g[data-element-id='register']");
        await ExpectTextAsync(page, "[data-test=selected]", "register");
        await DesignerPanelBrowserTests.OpenGroupAsync(page, "wf-sla");
        await Assertions.Expect(page.Locator("#bio-properties-panel-wf-sla-target")).ToHaveValueAsync("2 working hours");
        await DesignerPanelBrowserTests.SetAsync(page, "wf-sla-target", "1 working hours", "target=\"1 working hours\"");
        await DesignerPanelBrowserTests.OpenGroupAsync(page, "wf-user-task");
        await DesignerPanelBrowserTests.SetAsync(page, "wf-user-task-candidateGroups", "front-desk,complaints-desk", "candidateGroups=\"front-desk,complaints-desk\"");
        await DesignerPanelBrowserTests.OpenGroupAsync(page, "wf-budget");
        await DesignerPanelBrowserTests.SetAsync(page, "wf-budget-budget", "3 working hours", "budget=\"3 working hours\"");
        await DesignerPanelBrowserTests.OpenGroupAsync(page, "wf-form");
        await page.ClickAsync("[data-group-id='group-wf-form'] .bio-properties-panel-add-entry");
        await DesignerPanelBrowserTests.OpenItemAsync(page, "wf-form-3");
        await DesignerPanelBrowserTests.SetAsync(page, "wf-form-3-label", "Channel", "label=\"Channel\"");
        await page.ClickAsync("#deploy");
        await ExpectTextAsync(page, "[data-test=status]", "complaint version 2");
        await TestBrowser.ScreenshotAsync(page, "designer");

        var xml = await (await _host.As("alice")).GetStringAsync(new Uri("/api/definitions/complaint/versions/2/xml", UriKind.Relative));
        await page.SelectOptionAsync("[data-test=library]", "complaint");
        await page.ClickAsync("g[data-element-id='register']");
        await DesignerPanelBrowserTests.OpenGroupAsync(page, "wf-sla");
        var reopened = await page.InputValueAsync("#bio-properties-panel-wf-sla-target");
        await page.ClickAsync("#compare");
        await ExpectTextAsync(page, "[data-test=changes]", "changed: register");
        var highlighted = await page.GetAttributeAsync("g[data-element-id='register']", "class");

        // A finding is a marker on the element it names: a service task without a type.
        await page.ClickAsync("g[data-element-id='check_history']");
        await DesignerPanelBrowserTests.OpenGroupAsync(page, "wf-task");
        await page.FillAsync("#bio-properties-panel-wf-task-type", "");
        await DesignerPanelBrowserTests.WrittenAsync(page, "<wf:taskDefinition retries=\"3\"");
        await page.ClickAsync("#validate");
        await ExpectTextAsync(page, "[data-test=status]", "has errors");
        await TestBrowser.ScreenshotAsync(page, "designer-findings");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(xml, Does.Contain("<wf:sla target=\"1 working hours\""));
            Assert.That(xml, Does.Contain("zeebe:subscription").And.Contain("<wf:form>").And.Contain("wf:commitment level=\"1\""), "what the panel does not edit survives the round trip");
            Assert.That(xml, Does.Contain("candidateGroups=\"front-desk,complaints-desk\"").And.Contain("budget=\"3 working hours\"").And.Contain("label=\"Channel\""));
            Assert.That(reopened, Is.EqualTo("1 working hours"), "the setting came back from the engine");
            Assert.That(highlighted, Does.Contain("wf-changed"));
            Assert.That(await page.GetAttributeAsync("g[data-element-id='check_history']", "class"), Does.Contain("wf-error"));
            Assert.That(await page.TextContentAsync("[data-test=server-findings]"), Does.Contain("check_history"));
            Assert.That(await page.TextContentAsync("[data-test=lint]"), Does.Contain("TASK_TYPE_MISSING"), "the live check found it before the server");
        }
    }

    [Test, Order(2)]
    public async Task An_agent_pulls_the_next_task_and_completes_it_after_correcting_a_form_error()
    {
        var ann = await _host.As("ann");
        var instance = await ann.StartAsync("complaint", new { customerId = "c-browser" }, businessKey: "C-INBOX");
        var page = await SignInAsync("ann");
        await page.WaitForURLAsync("**/inbox", Committed);

        await page.ClickAsync("[data-test=next]");
        await page.WaitForSelectorAsync("[data-test=task-form] [data-field=category]");
        await page.SelectOptionAsync("[data-test=task-form] [data-field=category]", "billing");
        await page.FillAsync("[data-test=task-form] [data-field=summary]", "charged twice in March");
        await page.ClickAsync("[data-test=complete]");
        await ExpectTextAsync(page, "[data-error=amount]", "required");
        await TestBrowser.ScreenshotAsync(page, "inbox-form-error");
        await page.FillAsync("[data-test=task-form] [data-field=amount]", "80");
        await page.ClickAsync("[data-test=complete]");
        await ExpectTextAsync(page, "[data-test=task-message]", "Completed");
        await ExpectTextAsync(page, "[data-test=timeline]", "Done: Register and classify");
        await TestBrowser.ScreenshotAsync(page, "inbox");

        var state = await ann.GetJsonAsync($"/api/instances/{instance}");
        Assert.That(state.GetProperty("activeElements").EnumerateArray().Select(e => e.GetProperty("elementId").GetString()), Is.EqualTo(new[] { "resolve_front" }));
    }

    [Test, Order(3)]
    public async Task A_customer_raises_a_complaint_and_follows_it_to_its_end_without_seeing_anything_internal()
    {
        var page = await SignInAsync("carla");
        await page.WaitForURLAsync("**/tracker", Committed);
        await page.SelectOptionAsync("#branch", "paris-01");
        await page.FillAsync("#summary", "my bill doubled");
        await page.ClickAsync("[data-test=raise] button[type=submit]");
        await ExpectTextAsync(page, "[data-test=raised]", "Your reference is");
        await ExpectTextAsync(page, "[data-test=case-status]", "in progress");
        var reference = (await page.TextContentAsync("[data-test=raised]"))!.Split("is ")[1].TrimEnd('.');

        var ann = await _host.As("ann");
        var id = (await ann.GetJsonAsync($"/api/instances?businessKey={reference}"))[0].GetProperty("id").GetString()!;
        await CompleteAsync(ann, id, "register", new { category = "billing", amount = 50, summary = "doubled bill" });
        await CompleteAsync(ann, id, "resolve_front", new { resolution = "credited the difference" });
        await CompleteAsync(ann, id, "respond", new { response = "credited" });
        await CompleteAsync(ann, id, "survey", new { score = 5 });

        await page.ClickAsync("text=Refresh");
        await ExpectTextAsync(page, "[data-test=case-status]", "closed");
        await ExpectTextAsync(page, "[data-test=promise]", "kept");
        await ExpectTextAsync(page, "[data-test=steps]", "Tell us how we did");
        await TestBrowser.ScreenshotAsync(page, "tracker");
        var shown = await page.TextContentAsync("[data-test=case]");

        Assert.That(shown, Does.Not.Contain("front-desk").And.Not.Contain("ann").And.Not.Contain("customer-care").And.Not.Contain("Satisfaction survey"), "never a queue, an agent or an internal step name");
    }

    [Test, Order(4)]
    public async Task A_user_of_one_role_cannot_open_another_roles_page_and_nobody_signed_out_can()
    {
        var page = await SignInAsync("ann");
        var response = await page.GotoAsync("/designer");
        var denied = await page.TextContentAsync("h1");
        await TestBrowser.ScreenshotAsync(page, "denied");
        var anonymous = await (await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _base.ToString() })).NewPageAsync();
        await anonymous.GotoAsync("/board");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(response!.Status, Is.EqualTo((int)HttpStatusCode.Forbidden));
            Assert.That(denied, Is.EqualTo("This page is for the analyst role"));
            Assert.That(anonymous.Url, Does.EndWith("/signin?returnUrl=%2Fboard"));
        }
    }

    [Test, Order(9)]
    public async Task A_supervisor_sees_the_breached_step_highlighted_on_the_board()
    {
        var ann = await _host.As("ann");
        await ann.StartAsync("complaint", new { customerId = "c-late" }, businessKey: "C-BOARD");
        // Signed in before the clock moves: the token's lifetime is checked against the wall clock.
        var page = await SignInAsync("sofia");
        await page.WaitForURLAsync("**/board", Committed);
        _time.Advance(TimeSpan.FromDays(7));
        await _host.Factory.Services.GetRequiredService<WorkflowEngine>().Worker.FireDueClocksAsync();
        await page.ReloadAsync();
        await page.WaitForSelectorAsync(".heat[data-step=register]");
        var heat = await page.GetAttributeAsync(".heat[data-step=register]", "data-heat");
        var classes = await page.GetAttributeAsync("g[data-element-id='register']", "class");
        await ExpectTextAsync(page, "[data-test=breaches]", "register");
        await TestBrowser.ScreenshotAsync(page, "board");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(int.Parse(heat!, System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(2), "a step with a breach is hot");
            Assert.That(classes, Does.Match("wf-heat-[23]"));
            Assert.That(await page.TextContentAsync(".heat[data-step=register]"), Does.Contain("breached"));
        }
    }

    // Before the board's test, which moves the clock a week (a token signed after that is not valid yet).
    [Test, Order(5)]
    public async Task An_operator_finds_instances_by_a_variable_and_sees_tokens_wait_points_and_incidents_on_the_diagram()
    {
        var ann = await _host.As("ann");
        var found = await ann.StartAsync("complaint", new { customerId = "c-ops" }, businessKey: "C-OPS-1");
        // An amount no earlier run gave (and within the front desk's authority, so the case waits at a user task),
        // so the search finds this case alone whatever the host's store already holds.
        var amount = 77 + (Random.Shared.Next(1, 10_000) / 10_000m);
        await CompleteAsync(ann, found, "register", new { category = "billing", amount, summary = "charged twice" });
        // Without a customer id the history lookup stops with an incident.
        await ann.StartAsync("complaint", new { }, businessKey: "C-OPS-2");
        var page = await SignInAsync("otto");
        await page.WaitForURLAsync("**/operate", Committed);

        await page.SelectOptionAsync("[data-test=journey]", "complaint");
        await page.WaitForSelectorAsync("[data-test=var-name] option[value=amount]", new PageWaitForSelectorOptions { State = WaitForSelectorState.Attached });
        await page.SelectOptionAsync("[data-test=var-name]", "amount");
        await page.SelectOptionAsync("[data-test=var-op]", "eq");
        await page.FillAsync("[data-test=var-value]", amount.ToString(CultureInfo.InvariantCulture));
        await page.ClickAsync("[data-test=add-var]");
        await page.ClickAsync("[data-test=search]");
        // The filtered list replaces the whole one, which holds C-OPS-1 too: wait for the replacement, not the name.
        await Assertions.Expect(page.Locator("[data-test=instances] tr[data-instance]")).ToHaveCountAsync(1);
        await ExpectTextAsync(page, "[data-test=instances]", "C-OPS-1");
        var listed = await page.Locator("[data-test=instances] tr[data-instance]").CountAsync();
        await page.ClickAsync($"tr[data-instance='{found}']");
        await ExpectTextAsync(page, "[data-test=title]", "C-OPS-1");
        await page.WaitForSelectorAsync("[data-tokens]");
        var waits = await page.TextContentAsync("[data-test=waits]");

        await page.ClickAsync("[data-test=var-chips] button");
        await page.SelectOptionAsync("[data-test=incident]", "true");
        await page.ClickAsync("[data-test=search]");
        await ExpectTextAsync(page, "[data-test=instances]", "C-OPS-2");
        await page.ClickAsync("[data-test=instances] tr[data-instance]:has-text('C-OPS-2')");
        await page.WaitForSelectorAsync("[data-incident=check_history]");
        await page.ClickAsync("[role=tab][data-tab=incidents]");
        await ExpectTextAsync(page, "[data-test=incidents]", "Retry");
        await TestBrowser.ScreenshotAsync(page, "operate");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(listed, Is.EqualTo(1), "one complaint has the amount");
            Assert.That(waits, Does.Contain("user-task"));
            Assert.That(await page.GetAttributeAsync("g[data-element-id='check_history']", "class"), Does.Contain("wf-incident"));
            Assert.That(await page.TextContentAsync("[data-tokens=check_history]"), Is.EqualTo("1"));
            Assert.That(await page.Locator("[data-test=actions] button:enabled").CountAsync(), Is.EqualTo(3), "an operator's commands on an active instance");
        }
    }

    private static async Task CompleteAsync(HttpClient agent, string instanceId, string elementId, object variables) =>
        await agent.PostJsonAsync($"/api/tasks/{await agent.TaskAsync(instanceId, elementId)}/complete", new { variables }, HttpStatusCode.NoContent);
}
