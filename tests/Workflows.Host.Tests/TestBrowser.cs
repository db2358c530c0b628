using Microsoft.Playwright;

namespace Workflows.Host.Tests;

/// <summary>
/// Debian's Chromium (WORKFLOWS_TEST_CHROMIUM, else /usr/bin/chromium), headless, launched once for a fixture of browser
/// tests against a host on Kestrel, after the pages' first requests have warmed the host.
/// </summary>
/// <remarks>A missing Chromium fails the fixture, never skips it: ./scripts/test.sh installs it.</remarks>
internal sealed class TestBrowser : IAsyncDisposable
{
    private readonly IPlaywright _playwright;

    private TestBrowser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Browser = browser;
    }

    public IBrowser Browser { get; }

    private static string Chromium => Environment.GetEnvironmentVariable("WORKFLOWS_TEST_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    /// <summary>Requests <paramref name="warm"/> of the host at <paramref name="host"/>, then launches the browser.</summary>
    public static async Task<TestBrowser> LaunchAsync(Uri host, params string[] warm)
    {
        if (!File.Exists(Chromium))
        {
            Assert.Fail($"no Chromium at {Chromium}: run ./scripts/test.sh, which installs Debian's chromium");
        }

        // The first requests compile the server's paths and read the scripts from disk: not while a test waits.
        using (var client = new HttpClient { BaseAddress = host })
        {
            foreach (var path in warm)
            {
                using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
                response.EnsureSuccessStatusCode();
            }
        }

        Assertions.SetDefaultExpectTimeout(30_000);
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        return new TestBrowser(playwright, browser);
    }

    /// <summary>Signs <paramref name="user"/> (a demo user) in through the context's own requests, so its pages carry the cookie.</summary>
    public static async Task SignInAsync(IBrowserContext context, string user)
    {
        var signIn = await context.APIRequest.PostAsync("/api/auth/sign-in", new APIRequestContextOptions { DataObject = new { username = user, password = "demo" } });
        Assert.That(signIn.Status, Is.EqualTo(200), $"signing in as {user}: {await signIn.TextAsync()}");
    }

    /// <summary>Saves what <paramref name="page"/> shows as <paramref name="name"/>.png in the test's screenshots folder, attached to the test.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var folder = Path.Combine(TestContext.CurrentContext.WorkDirectory, "screenshots");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = false });
        TestContext.AddTestAttachment(path, name);
    }

    /// <summary>
    /// A new context at <paramref name="host"/> (1440×900) and its page, whose script errors and console errors go to
    /// <paramref name="errors"/>, less those <paramref name="tolerated"/> says a test expects.
    /// </summary>
    public async Task<(IBrowserContext Context, IPage Page)> OpenPageAsync(Uri host, List<string> errors, Func<string, bool>? tolerated = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = host.ToString(), ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
        // Generous: the browser shares two cores with the other test assemblies that run beside this one.
        context.SetDefaultTimeout(60_000);
        context.SetDefaultNavigationTimeout(60_000);
        var page = await context.NewPageAsync();
        page.PageError += (_, error) => errors.Add(error);
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && tolerated?.Invoke(message.Text) != true)
            {
                errors.Add(message.Text);
            }
        };
        return (context, page);
    }

    /// <summary>After a test: the page saved as it was when the test failed (to see why), then its context closed.</summary>
    public static async Task FinishAsync(IBrowserContext? context, IPage? page)
    {
        if (page is not null && TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            await ScreenshotAsync(page, "failed-" + TestContext.CurrentContext.Test.MethodName);
        }

        if (context is not null)
        {
            await context.CloseAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.CloseAsync();
        _playwright.Dispose();
    }
}
