using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Workflows.Host.Tests;

/// <summary>
/// Staying signed in (review11-17 F2): the pages read when their token expires, renew it before it does while they are
/// open, for as long as the sign-in's session lasts (<c>Workflows:Auth:SessionLifetime</c>), and a renewed token keeps
/// the antiforgery token the page holds. A token another issuer made is not renewed here.
/// </summary>
[NonParallelizable]
public sealed class SignInRenewalTests
{
    private TestHost _host = null!;

    [OneTimeSetUp]
    public void StartTheHost() => _host = TestHost.Start(new Dictionary<string, string>
    {
        ["Workflows__Auth__TokenLifetime"] = "00:10:00", ["Workflows__Auth__SessionLifetime"] = "00:00:04", ["Workflows__Auth__SignInPermitsPerMinute"] = "100",
    });

    [OneTimeTearDown]
    public async Task StopTheHost() => await _host.DisposeAsync();

    private async Task<(HttpClient Browser, string Antiforgery)> CookieClientAsync(string user)
    {
        var client = _host.Factory.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = true, AllowAutoRedirect = false });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/sign-in") { Content = JsonContent.Create(new { username = user, password = "demo" }) };
        request.Headers.Add("Origin", "http://localhost");
        using var response = await client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        return (client, (await client.GetJsonAsync("/api/auth/antiforgery")).GetProperty("token").GetString()!);
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string url, string antiforgery, object? body = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body ?? new { }) };
        request.Headers.Add("Origin", "http://localhost");
        request.Headers.Add("X-Workflows-Antiforgery", antiforgery);
        return await client.SendAsync(request);
    }

    [Test]
    public async Task A_page_renews_its_token_within_the_session_and_keeps_its_antiforgery_token_then_signs_in_again()
    {
        var (alice, antiforgery) = await CookieClientAsync("alice");
        var before = await alice.GetJsonAsync("/api/auth/session");
        var expires = before.GetProperty("expiresAt").GetDateTimeOffset();
        var until = before.GetProperty("renewableUntil").GetDateTimeOffset();

        await Task.Delay(TimeSpan.FromSeconds(1.1));
        using var renewed = await PostAsync(alice, "/api/auth/renew", antiforgery);
        var after = await renewed.JsonAsync(HttpStatusCode.OK);
        var me = await alice.GetJsonAsync("/api/auth/me");
        using var change = await PostAsync(alice, "/api/drafts", antiforgery, new { name = "kept", processId = "kept", xml = "<x/>" });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(expires - DateTimeOffset.UtcNow, Is.InRange(TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10.5)), "Workflows:Auth:TokenLifetime");
            Assert.That(until - DateTimeOffset.UtcNow, Is.InRange(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5)), "the sign-in time plus Workflows:Auth:SessionLifetime");
            Assert.That(renewed.Headers.GetValues("Set-Cookie"), Has.Some.StartsWith("wf_token="), "the page's cookie holds the new token");
            Assert.That(after.GetProperty("expiresAt").GetDateTimeOffset(), Is.GreaterThan(expires), "a later expiry");
            Assert.That(after.GetProperty("renewableUntil").GetDateTimeOffset(), Is.EqualTo(until), "renewing does not lengthen the session");
            Assert.That(me.GetProperty("name").GetString(), Is.EqualTo("alice"));
            Assert.That((int)change.StatusCode, Is.Not.EqualTo(403), "the antiforgery token the page held still holds: " + await change.Content.ReadAsStringAsync());
        }

        await Task.Delay(until - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1.5));
        using var late = await PostAsync(alice, "/api/auth/renew", antiforgery);
        Assert.That((await late.JsonAsync(HttpStatusCode.Unauthorized)).GetProperty("detail").GetString(), Does.Contain("Workflows:Auth:SessionLifetime"));
    }

    [Test]
    public async Task A_token_this_host_did_not_issue_is_not_renewed_here()
    {
        var outsider = _host.WithToken(("sub", "alice"), ("role", "analyst"));

        var session = await outsider.GetJsonAsync("/api/auth/session");
        using var renew = await outsider.PostAsync(new Uri("/api/auth/renew", UriKind.Relative), null);

        Assert.That(session.GetProperty("renewableUntil").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
        Assert.That((await renew.JsonAsync(HttpStatusCode.OK)).GetProperty("renewableUntil").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null), "its issuer renews it");
        Assert.That(renew.Headers.Contains("Set-Cookie"), Is.False, "no token is issued for it");
    }
}
