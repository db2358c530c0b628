using Microsoft.Playwright;

namespace Workflows.Host.Tests;

/// <summary>
/// A fixture of browser tests: the host on Kestrel over SQLite (tokens that outlive a slow run), Debian's Chromium launched
/// once after the paths of <see cref="Warm"/> have warmed the host, and per test one browser context whose page fails the
/// test on any script error, console error or answer in 4xx/5xx (less what <see cref="OpenAsync"/> is told to tolerate).
/// A failed test leaves a screenshot of its page as it was.
/// </summary>
/// <remarks>NUnit runs the host's one-time set-up (the base class's) before this one's, and this one's tear-down before the host's.</remarks>
public abstract class BrowserFixture() : HostFixture(Backend.Sqlite)
{
    private Uri _base = null!;
    private readonly List<(IBrowserContext Context, IPage Page)> _opened = [];

    private protected override bool Kestrel => true;

    private protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string> { ["Workflows__Auth__TokenLifetime"] = "30.00:00:00" };

    /// <summary>The paths requested before the browser starts, so that no test waits for the host's first compilation of them.</summary>
    private protected abstract IReadOnlyList<string> Warm { get; }

    /// <summary>The browser the fixture's tests open their contexts in.</summary>
    private protected TestBrowser Browser { get; private set; } = null!;

    /// <summary>What went wrong in the current test's page: script errors, console errors, failed answers.</summary>
    private protected List<string> PageErrors { get; } = [];

    private protected Uri BaseAddress => _base;

    [OneTimeSetUp]
    public async Task StartTheBrowser()
    {
        _base = Host.BaseAddress();
        Browser = await TestBrowser.LaunchAsync(_base, ["/signin", "/app/app.css", "/app/common.js", .. Warm]);
    }

    [OneTimeTearDown]
    public async Task StopTheBrowser()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
    }

    [SetUp]
    public void NoErrorYet() => PageErrors.Clear();

    [TearDown]
    public async Task NoPageLoggedAnError()
    {
        foreach (var (context, page) in _opened)
        {
            await TestBrowser.FinishAsync(context, page);
        }

        _opened.Clear();
        Assert.That(PageErrors, Is.Empty, "errors in the page's console");
    }

    /// <summary>
    /// A new context (a test may open several: all are closed after it) of <paramref name="width"/>×<paramref name="height"/> signed in as <paramref name="user"/> (no one when empty), and its page at
    /// <paramref name="path"/>; an error whose text <paramref name="tolerated"/> accepts (a refusal a test expects) is not counted.
    /// </summary>
    private protected async Task<IPage> OpenAsync(string user, string path, int width = 1440, int height = 900, Func<string, bool>? tolerated = null)
    {
        var context = await Browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _base.ToString(), ViewportSize = new ViewportSize { Width = width, Height = height } });
        // Generous: the browser shares two cores with the other test assemblies that run beside this one.
        context.SetDefaultTimeout(60_000);
        context.SetDefaultNavigationTimeout(60_000);
        var page = await context.NewPageAsync();
        _opened.Add((context, page));
        void Record(string error)
        {
            if (tolerated?.Invoke(error) != true)
            {
                PageErrors.Add(error);
            }
        }

        page.PageError += (_, error) => Record(error);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                Record(message.Text);
            }
        };
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                Record($"the server answered with a status of {response.Status}: {response.Request.Method} {response.Url}");
            }
        };
        if (user.Length > 0)
        {
            await TestBrowser.SignInAsync(context, user);
        }

        await page.GotoAsync(path);
        return page;
    }

    /// <summary>Waits until the first element of <paramref name="selector"/> contains <paramref name="text"/>.</summary>
    private protected static Task ExpectTextAsync(IPage page, string selector, string text) =>
        Assertions.Expect(page.Locator(selector).First).ToContainTextAsync(text, new LocatorAssertionsToContainTextOptions { Timeout = 60_000 });

    /// <summary>The page closed as its tab would be (its beforeunload run), every question asked accepted: their types.</summary>
    private protected static async Task<List<string>> CloseAsTheTabAsync(IPage page)
    {
        var questions = new List<string>();
        page.Dialog += (_, question) =>
        {
            questions.Add(question.Type);
            _ = question.AcceptAsync();
        };
        await page.CloseAsync(new PageCloseOptions { RunBeforeUnload = true });
        for (var waited = 0; questions.Count == 0 && waited < 100; waited++)
        {
            await Task.Delay(100);
        }
        return questions;
    }
}
