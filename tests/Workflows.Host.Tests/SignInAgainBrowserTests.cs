using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Workflows.Host.Tests;

/// <summary>
/// An analyst never loses work to the end of a sign-in (review11-17 F2), in Debian's Chromium against the host on
/// Kestrel with 20-second tokens: the open designer renews its token by itself; when its sign-in is gone anyway (a
/// cookie cleared, a laptop asleep past the session) the next request asks for the password over the page and is sent
/// again, the edits still there; and Sign out over edits saved nowhere asks before it revokes anything.
/// </summary>
[NonParallelizable]
public sealed class SignInAgainBrowserTests : BrowserFixture
{
    // The one refusal these tests cause: the request sent without a sign-in, before the password is typed again.
    private static readonly Regex SignedOut = new("status of 401", RegexOptions.CultureInvariant);

    private protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string> { ["Workflows__Auth__TokenLifetime"] = "00:00:20" };

    private protected override IReadOnlyList<string> Warm { get; } = ["/app/designer.js", "/app/designer-drafts.js", "/lib/designer/designer.js", "/lib/designer/designer.css"];

    private async Task<IPage> EditedComplaintAsync()
    {
        var page = await OpenAsync("alice", "/designer", tolerated: SignedOut.IsMatch);
        await page.SelectOptionAsync("[data-test=library]", "complaint");
        await Assertions.Expect(page.Locator("[data-test=status]")).ToHaveTextAsync("complaint open");
        await page.EvaluateAsync("() => { const m = window.wfDesigner.modeler; m.get('modeling').updateProperties(m.get('elementRegistry').get('register'), { name: 'Typed before the sign-in ended' }); }");
        return page;
    }

    [Test]
    public async Task The_open_designer_renews_its_token_before_it_expires()
    {
        var page = await EditedComplaintAsync();
        var before = await page.EvaluateAsync<string>("async () => (await (await fetch('/api/auth/session')).json()).expiresAt");

        var renewal = await page.WaitForResponseAsync(r => r.Url.EndsWith("/api/auth/renew", StringComparison.Ordinal), new PageWaitForResponseOptions { Timeout = 30_000 });
        var after = await page.EvaluateAsync<string>("async () => (await (await fetch('/api/auth/session')).json()).expiresAt");

        Assert.That(renewal.Status, Is.EqualTo(200));
        Assert.That(DateTimeOffset.Parse(after, System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(DateTimeOffset.Parse(before, System.Globalization.CultureInfo.InvariantCulture)), "the page's cookie holds the renewed token");
    }

    [Test]
    public async Task A_request_after_the_sign_in_ended_asks_for_the_password_over_the_page_and_is_sent_again()
    {
        var page = await EditedComplaintAsync();
        await page.Context.ClearCookiesAsync(new BrowserContextClearCookiesOptions { Name = "wf_token" });

        await page.ClickAsync("#validate");
        await Assertions.Expect(page.Locator("[data-test=signin-again]")).ToBeVisibleAsync();
        await page.FillAsync("[data-test=signin-again-password]", "wrong");
        await page.ClickAsync("[data-test=signin-again-submit]");
        await Assertions.Expect(page.Locator("[data-test=signin-again-error]")).ToContainTextAsync("Wrong user name or password");
        await page.FillAsync("[data-test=signin-again-password]", "demo");
        await page.ClickAsync("[data-test=signin-again-submit]");

        await Assertions.Expect(page.Locator("[data-test=status]")).ToHaveTextAsync(new Regex("^(valid|has errors)$"));
        Assert.That(page.Url, Does.EndWith("/designer"), "the page was never left");
        Assert.That(await page.Locator("[data-test=signin-again]").CountAsync(), Is.Zero);
        Assert.That(await page.EvaluateAsync<string>("async () => (await window.wfDesigner.modeler.saveXML()).xml"), Does.Contain("Typed before the sign-in ended"));
        PageErrors.RemoveAll(e => e.Contains("Wrong user name", StringComparison.Ordinal) || e.Contains("/api/auth/sign-in", StringComparison.Ordinal));
    }

    [Test]
    public async Task Sign_out_over_edits_saved_nowhere_asks_first_and_staying_keeps_the_sign_in()
    {
        var page = await EditedComplaintAsync();
        string? asked = null;
        page.Dialog += async (_, dialog) =>
        {
            asked = dialog.Message;
            await dialog.DismissAsync();
        };

        await page.ClickAsync("[data-test=sign-out]");
        var me = await page.EvaluateAsync<int>("async () => (await fetch('/api/auth/me')).status");

        Assert.That(asked, Does.Contain("not saved yet").And.Contain("Sign out anyway"));
        Assert.That(me, Is.EqualTo(200), "nothing was revoked");
        Assert.That(page.Url, Does.EndWith("/designer"));
    }
}
