using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;
using Workflows.Engine;

namespace Workflows.Host.Tests;

/// <summary>
/// The agents' inbox in Debian's Chromium, headless, against the host on Kestrel: the next task's form brought into
/// view with the case data and the form filled from the case; a completed task's form replaced by the next thing to
/// do; assign, comment and delegate from the page; the queues and the list worked by keyboard alone; the list and an
/// escalation arriving live (last: it moves the clock a week); and the API reference page under the host's policy.
/// Each test saves a screenshot (copied to docs/screenshots).
/// </summary>
[NonParallelizable]
public sealed class InboxBrowserTests() : HostFixture(Backend.Sqlite)
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private Uri _base = null!;
    private TestBrowser _browser = null!;
    private readonly List<string> _pageErrors = [];
    private readonly List<string> _requests = [];
    private readonly List<string> _failed = [];
    private IBrowserContext? _context;

    private protected override TimeProvider Time => _time;

    private protected override bool Kestrel => true;

    private protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Workflows__Auth__TokenLifetime"] = "30.00:00:00",
        ["Workflows__Inbox__EventPollInterval"] = "00:00:00.250",
    };

    [OneTimeSetUp]
    public async Task StartTheBrowser()
    {
        _base = Host.BaseAddress();
        _browser = await TestBrowser.LaunchAsync(_base, "/signin", "/app/app.css", "/app/common.js", "/app/inbox.js", "/api-reference/scalar.js");
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
        // Each page's event stream counts against the user's open streams until its page closes.
        if (_context is not null)
        {
            await _context.CloseAsync();
            _context = null;
        }

        Assert.That(_pageErrors, Is.Empty, "script errors in the page");
    }

    private async Task<IPage> OpenAsync(string user, string path, int height = 900)
    {
        var context = await _browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _base.ToString(), ViewportSize = new ViewportSize { Width = 1440, Height = height } });
        context.SetDefaultTimeout(60_000);
        context.SetDefaultNavigationTimeout(60_000);
        _context = context;
        var page = await context.NewPageAsync();
        _pageErrors.Clear();
        _requests.Clear();
        _failed.Clear();
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                _failed.Add($"{response.Status} {response.Url}");
            }
        };
        page.PageError += (_, error) => _pageErrors.Add(error);
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                _pageErrors.Add(message.Text);
            }
        };
        page.Request += (_, request) => _requests.Add(request.Url);
        if (user.Length > 0)
        {
            // The sign-in's cookie set through the context's own requests (the sign-in page is BrowserTests' subject).
            await TestBrowser.SignInAsync(context, user);
        }

        await page.GotoAsync(path);
        return page;
    }

    private static Task ExpectTextAsync(IPage page, string selector, string text) =>
        Assertions.Expect(page.Locator(selector)).ToContainTextAsync(text, new LocatorAssertionsToContainTextOptions { Timeout = 30_000 });

    private static Task<string?> FocusedAsync(IPage page, string attribute) =>
        page.EvaluateAsync<string?>($"() => document.activeElement?.getAttribute('{attribute}')");

    [Test, Order(1)]
    public async Task Next_task_brings_the_form_into_view_filled_from_the_case_beside_the_case_data_the_journey_shows()
    {
        var ann = await As("ann");
        await ann.StartAsync("complaint", new { customerId = "c-next", summary = "charged twice in March", internalNote = "not for the counter" }, businessKey: "C-NEXT");
        // A short window: the form is below the fold until the page brings it up.
        var page = await OpenAsync("ann", "/inbox", height: 560);
        await ExpectTextAsync(page, "[data-test=live]", "Live");

        await page.ClickAsync("[data-test=next]");
        await page.WaitForSelectorAsync("[data-test=task-form] [data-field=category]");
        await Assertions.Expect(page.Locator("[data-test=task-form]")).ToBeInViewportAsync();
        var focused = await FocusedAsync(page, "data-field");
        await ExpectTextAsync(page, "[data-test=case-data] [data-variable=summary]", "charged twice in March");
        var summary = await page.InputValueAsync("[data-test=task-form] [data-field=summary]");
        await TestBrowser.ScreenshotAsync(page, "inbox-next-task");
        var shown = await page.TextContentAsync("main");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(focused, Is.EqualTo("category"), "the form's first field has the focus");
            Assert.That(summary, Is.EqualTo("charged twice in March"), "the form is filled from the case");
            Assert.That(shown, Does.Contain("What the customer wrote").And.Not.Contain("not for the counter"));
            Assert.That(_requests, Has.None.Match(@"/api/instances/[0-9a-f-]{36}$"), "the page never reads the whole instance with its variables");
        }
    }

    [Test, Order(2)]
    public async Task A_completed_tasks_form_gives_way_to_the_next_thing_to_do_and_the_timeline_says_what_was_done()
    {
        var page = await OpenAsync("ann", "/inbox");
        await page.ClickAsync("tr[data-task]:has-text('C-NEXT')");
        await page.WaitForSelectorAsync("[data-test=task-form] [data-field=category]");
        await page.SelectOptionAsync("[data-test=task-form] [data-field=category]", "billing");
        await page.FillAsync("[data-test=task-form] [data-field=amount]", "40");
        await page.ClickAsync("[data-test=complete]");

        await ExpectTextAsync(page, "[data-test=next-thing]", "Resolve at the front desk");
        var formsLeft = await page.Locator("[data-test=task-form]").CountAsync();
        var focused = await FocusedAsync(page, "data-test");
        await ExpectTextAsync(page, "[data-test=timeline]", "Done: Register and classify");
        await TestBrowser.ScreenshotAsync(page, "inbox-next-thing");
        var timeline = await page.TextContentAsync("[data-test=timeline]");
        await page.ClickAsync("[data-test=open-next]");
        await page.WaitForSelectorAsync("[data-test=task-form] [data-field=resolution]");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(formsLeft, Is.Zero, "the completed task's form is gone");
            Assert.That(focused, Is.EqualTo("open-next"), "the next thing to do has the focus");
            Assert.That(timeline, Does.Not.Match(@"\b(register|check_history|task-created|task-completed|element-[a-z]+)\b"), "the journey's words, no ids or engine kinds");
        }
    }

    [Test, Order(3)]
    public async Task An_agent_assigns_comments_and_delegates_from_the_page()
    {
        var ann = await As("ann");
        await ann.StartAsync("complaint", new { customerId = "c-work" }, businessKey: "C-WORK");
        var page = await OpenAsync("ann", "/inbox");
        await page.ClickAsync("tr[data-task]:has-text('C-WORK')");
        await page.ClickAsync("[data-test=claim]");
        await ExpectTextAsync(page, "[data-test=task-message]", "Assigned to you");
        await Assertions.Expect(page.Locator("[data-test=unclaim]")).ToBeVisibleAsync();
        await page.FillAsync("[data-test=comment-text]", "customer called back at noon");
        await page.ClickAsync("[data-test=comment]");
        await ExpectTextAsync(page, "[data-test=timeline]", "“customer called back at noon”");
        await page.SelectOptionAsync("[data-test=delegate-to]", "omar");
        await page.ClickAsync("[data-test=delegate]");
        await ExpectTextAsync(page, "[data-test=task-message]", "Delegated to omar");
        await ExpectTextAsync(page, "[data-test=timeline]", "Register and classify: handed to omar");
        await TestBrowser.ScreenshotAsync(page, "inbox-work");
        await ExpectTextAsync(page, "tr[data-task]:has-text('C-WORK')", "omar");
    }

    [Test, Order(4)]
    public async Task The_queues_and_the_list_are_reached_and_worked_by_keyboard_alone()
    {
        var ann = await As("ann");
        await ann.StartAsync("complaint", new { customerId = "c-keys" }, businessKey: "C-KEYS");
        var page = await OpenAsync("ann", "/inbox");
        await page.WaitForSelectorAsync("tr[data-task]:has-text('C-KEYS')");

        // Tab from the top of the page reaches the queues, then the list.
        string? role = null;
        for (var i = 0; i < 10 && role != "option"; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            role = await FocusedAsync(page, "role");
        }

        await page.Keyboard.PressAsync("ArrowDown");
        var queue = await FocusedAsync(page, "data-queue");
        await page.Keyboard.PressAsync("Enter");
        var chosen = await page.GetAttributeAsync($"[data-queue='{queue}']", "aria-selected");
        string? row = null;
        for (var i = 0; i < 10 && row is null; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            row = await FocusedAsync(page, "data-task");
        }

        var rows = await page.Locator("tr[data-task]").CountAsync();
        if (rows > 1)
        {
            await page.Keyboard.PressAsync("ArrowDown");
            await page.Keyboard.PressAsync("ArrowUp");
        }

        var back = await FocusedAsync(page, "data-task");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForSelectorAsync("[data-test=task-form] [data-field]");
        var field = await FocusedAsync(page, "data-field");
        await TestBrowser.ScreenshotAsync(page, "inbox-keyboard");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(role, Is.EqualTo("option"), "a queue is reached by Tab");
            Assert.That(await page.GetAttributeAsync("[data-test=queues]", "role"), Is.EqualTo("listbox"));
            Assert.That(queue, Is.EqualTo("front-desk"), "the arrow moves to the next queue");
            Assert.That(chosen, Is.EqualTo("true"), "Enter chooses it");
            Assert.That(row, Is.Not.Null, "the list is reached by Tab after the queues");
            Assert.That(back, Is.EqualTo(row), "the arrows move within the list");
            Assert.That(field, Is.Not.Null, "Enter opens the task with its first field focused");
        }
    }

    [Test, Order(5)]
    public async Task The_API_reference_page_lists_the_operations_under_the_hosts_security_policy()
    {
        var page = await OpenAsync("", "/api-reference/");
        try
        {
            await Assertions.Expect(page.GetByText("Journeys, tasks, service levels and the process library").First).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("body")).ToContainTextAsync("Who the token says the caller is");
        }
        catch (PlaywrightException e)
        {
            await TestBrowser.ScreenshotAsync(page, "api-reference-failed");
            Assert.Fail($"{e.Message}\nfailed requests: {string.Join(", ", _failed)}\npage errors: {string.Join(", ", _pageErrors)}");
        }

        await TestBrowser.ScreenshotAsync(page, "api-reference");

        Assert.That(await page.TitleAsync(), Is.EqualTo("Workflows API"));
    }

    [Test, Order(6)]
    public async Task The_list_and_an_escalation_arrive_live_while_the_countdowns_run()
    {
        var ann = await As("ann");
        var page = await OpenAsync("ann", "/inbox");
        await ExpectTextAsync(page, "[data-test=live]", "Live");
        var before = await page.TextContentAsync("[data-queue=''] .pill");
        var loads = _requests.Count(r => r.EndsWith("/inbox", StringComparison.Ordinal));

        await ann.StartAsync("complaint", new { customerId = "c-live" }, businessKey: "C-LIVE");
        await ExpectTextAsync(page, "[data-test=tasks]", "C-LIVE");
        var countdown = page.Locator("tr[data-task]:has-text('C-LIVE') .countdown");
        await Assertions.Expect(countdown).ToContainTextAsync("in ");
        var after = await page.TextContentAsync("[data-queue=''] .pill");

        _time.Advance(TimeSpan.FromDays(7));
        await Host.Factory.Services.GetRequiredService<WorkflowEngine>().Worker.FireDueClocksAsync();
        await ExpectTextAsync(page, "[data-test=alerts]", "(C-LIVE): its time is up");
        await ExpectTextAsync(page, "tr[data-task]:has-text('C-LIVE')", "breached");
        await TestBrowser.ScreenshotAsync(page, "inbox-live");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(int.Parse(after!.TrimEnd('+'), System.Globalization.CultureInfo.InvariantCulture),
                Is.EqualTo(int.Parse(before!.TrimEnd('+'), System.Globalization.CultureInfo.InvariantCulture) + 1), "the count follows without a reload");
            Assert.That(_requests.Count(r => r.EndsWith("/inbox", StringComparison.Ordinal)), Is.EqualTo(loads), "the page was never reloaded");
        }
    }
}
