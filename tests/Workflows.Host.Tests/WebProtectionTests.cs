using System.IdentityModel.Tokens.Jwt;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Workflows.Host.Tests;

/// <summary>
/// The web side: security headers and no inline script, forged cookie requests refused, the sign-in's return URL kept
/// on the site, its rate limit and lockout, tokens short-lived and revoked at sign-out, the key file private, and a
/// refused token told nothing.
/// </summary>
[NonParallelizable]
public sealed partial class WebProtectionTests
{
    private TestHost _host = null!;

    [OneTimeSetUp]
    public void StartTheHost() => _host = TestHost.Start(new Dictionary<string, string> { ["Workflows__Auth__LockoutFailures"] = "3", ["Workflows__Auth__SignInPermitsPerMinute"] = "100" });

    [OneTimeTearDown]
    public async Task StopTheHost() => await _host.DisposeAsync();

    /// <summary>A browser-like client: it keeps the sign-in cookie and sends no Authorization header.</summary>
    private async Task<HttpClient> CookieClientAsync(string user)
    {
        var client = _host.Factory.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = true, AllowAutoRedirect = false });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/sign-in") { Content = JsonContent.Create(new { username = user, password = "demo" }) };
        request.Headers.Add("Origin", "http://localhost");
        using var response = await client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        return client;
    }

    private static HttpRequestMessage Post(string url, string? origin, string? antiforgery = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(new { }) };
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        if (antiforgery is not null)
        {
            request.Headers.Add("X-Workflows-Antiforgery", antiforgery);
        }

        return request;
    }

    [Test]
    public async Task A_cookie_authenticated_change_needs_this_site_s_origin_and_the_antiforgery_token()
    {
        var browser = await CookieClientAsync("ann");
        var token = (await browser.GetJsonAsync("/api/auth/antiforgery")).GetProperty("token").GetString();

        using var foreign = await browser.SendAsync(Post("/api/tasks/next", "https://evil.example", token));
        using var noOrigin = await browser.SendAsync(Post("/api/tasks/next", null, token));
        using var noToken = await browser.SendAsync(Post("/api/tasks/next", "http://localhost"));
        using var wrongToken = await browser.SendAsync(Post("/api/tasks/next", "http://localhost", "forged"));
        using var good = await browser.SendAsync(Post("/api/tasks/next", "http://localhost", token));
        using var foreignSignIn = await _host.Anonymous().SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/auth/sign-in")
        {
            Content = JsonContent.Create(new { username = "ann", password = "demo" }),
            Headers = { { "Origin", "https://evil.example" } },
        });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(foreign.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(noOrigin.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(noToken.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(await noToken.Content.ReadAsStringAsync(), Does.Contain("antiforgery"));
            Assert.That(wrongToken.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That((int)good.StatusCode, Is.InRange(200, 299));
            Assert.That(foreignSignIn.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        }
    }

    [GeneratedRegex("""<script(?![^>]*\ssrc=)[^>]*>|\son[a-z]+\s*=""", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [Test]
    public async Task Every_answer_carries_the_security_headers_and_no_page_has_inline_script()
    {
        using var signIn = await _host.Anonymous().GetAsync(new Uri("/signin", UriKind.Relative));
        using var problem = await _host.Anonymous().GetAsync(new Uri("/api/tasks", UriKind.Relative));
        var pages = new Dictionary<string, string>();
        foreach (var (path, user) in new[] { ("/designer", "alice"), ("/inbox", "ann"), ("/board", "sofia"), ("/tracker", "carla") })
        {
            pages[path] = await (await _host.As(user)).GetStringAsync(new Uri(path, UriKind.Relative));
        }

        pages["/signin"] = await signIn.Content.ReadAsStringAsync();

        using (Assert.EnterMultipleScope())
        {
            foreach (var response in new[] { signIn, problem })
            {
                var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
                Assert.That(csp, Does.Contain("script-src 'self';").And.Contain("frame-ancestors 'none'").And.Not.Contain("unsafe-eval"));
                Assert.That(Regex.Match(csp, "script-src[^;]*").Value, Does.Not.Contain("unsafe-inline"));
                Assert.That(response.Headers.GetValues("X-Content-Type-Options"), Is.EqualTo(new[] { "nosniff" }));
                Assert.That(response.Headers.GetValues("Referrer-Policy"), Is.EqualTo(new[] { "same-origin" }));
            }

            foreach (var (path, html) in pages)
            {
                Assert.That(InlineScript().Match(html).Value, Is.Empty, $"{path} has inline script");
            }
        }
    }

    [TestCase("/%5Cother-host")]
    [TestCase("/\\other-host")]
    [TestCase("//other-host/x")]
    [TestCase("/%2F%2Fother-host")]
    [TestCase("https://other-host/")]
    [TestCase("/\tother-host")]
    public async Task The_sign_in_never_sends_off_the_site_however_the_return_url_is_written(string asked)
    {
        // The sign-in page passes on what it reads from ?returnUrl=, which the browser has decoded: both forms are checked.
        foreach (var returnUrl in new[] { asked, Uri.UnescapeDataString(asked) })
        {
            var signedIn = await _host.Anonymous().PostJsonAsync("/api/auth/sign-in", new { username = "sofia", password = "demo", returnUrl });
            var redirect = signedIn.GetProperty("redirect").GetString()!;
            Assert.That(new Uri(new Uri("http://localhost/"), redirect.Replace('\\', '/')).Host, Is.EqualTo("localhost"), $"{returnUrl} sent to {redirect}");
            Assert.That(redirect, Does.Not.Contain('\\').And.Not.StartWith("//"));
        }
    }

    [Test]
    public async Task The_sign_in_sends_back_to_a_return_url_on_the_site()
    {
        var signedIn = await _host.Anonymous().PostJsonAsync("/api/auth/sign-in", new { username = "sofia", password = "demo", returnUrl = "/board?days=7" });

        Assert.That(signedIn.GetProperty("redirect").GetString(), Is.EqualTo("/board?days=7"));
    }

    [Test]
    public async Task A_user_name_is_locked_out_after_failed_sign_ins_even_with_the_right_password_then()
    {
        var client = _host.Anonymous();
        var statuses = new List<HttpStatusCode>();
        foreach (var password in new[] { "guess1", "guess2", "guess3", "demo" })
        {
            using var response = await client.PostAsJsonAsync("/api/auth/sign-in", new { username = "bruno", password });
            statuses.Add(response.StatusCode);
        }

        Assert.That(statuses, Is.EqualTo(new[] { HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests }));
    }

    [Test]
    public async Task A_token_lives_half_an_hour_and_sign_out_revokes_it_with_a_challenge_that_says_nothing_of_why()
    {
        var client = _host.Anonymous();
        var token = (await client.PostJsonAsync("/api/auth/sign-in", new { username = "omar", password = "demo" })).GetProperty("token").GetString()!;
        var jwt = new JwtSecurityTokenHandler().ReadJwtToken(token);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var before = await client.GetAsync(new Uri("/api/auth/me", UriKind.Relative));
        using var signOut = await client.PostAsync(new Uri("/api/auth/sign-out", UriKind.Relative), null);
        using var after = await client.GetAsync(new Uri("/api/auth/me", UriKind.Relative));
        var forged = _host.Anonymous();
        forged.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token[..^4] + "AAAA");
        using var badSignature = await forged.GetAsync(new Uri("/api/auth/me", UriKind.Relative));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(jwt.ValidTo - jwt.ValidFrom, Is.LessThanOrEqualTo(TimeSpan.FromMinutes(30)));
            Assert.That(before.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(signOut.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(after.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(after.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Bearer"));
            Assert.That(badSignature.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(badSignature.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Bearer"));
        }
    }

    [TestCase("/api/auth/sign-in/")]
    [TestCase("/API/auth/sign-in")]
    [TestCase("/Api/Auth/Sign-In//")]
    public async Task A_sign_in_from_another_origin_is_refused_however_its_path_is_spelled(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(new { username = "carla", password = "demo" }) };
        request.Headers.Add("Origin", "http://evil.example");

        using var response = await _host.Anonymous().SendAsync(request);

        var problem = await response.JsonAsync(HttpStatusCode.Forbidden);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(problem.GetProperty("detail").GetString(), Does.Contain("origin http://evil.example"));
            Assert.That(response.Headers.Contains("Set-Cookie"), Is.False, "no token was issued");
        }
    }

    [Test]
    public async Task A_token_without_an_id_or_with_several_branches_is_refused_as_it_could_not_be_revoked_or_read_one_way()
    {
        var noId = _host.WithTokenOf(("sub", "ann"), ("role", "agent"), ("branch", "paris-01"), ("queue", "front-desk"));
        var twoBranches = _host.WithToken(("sub", "ann"), ("role", "agent"), ("branch", "paris-01"), ("branch", "lyon-01"), ("queue", "front-desk"));
        var oneBranch = _host.WithToken(("sub", "ann"), ("role", "agent"), ("branch", "paris-01"), ("queue", "front-desk"));

        using var withoutId = await noId.GetAsync(new Uri("/api/auth/me", UriKind.Relative));
        using var severalBranches = await twoBranches.GetAsync(new Uri("/api/tasks", UriKind.Relative));
        using var one = await oneBranch.GetAsync(new Uri("/api/tasks", UriKind.Relative));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(withoutId.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(withoutId.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Bearer"));
            Assert.That(severalBranches.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(one.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
    }

    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void The_development_key_file_is_readable_by_its_owner_only()
    {
        _ = _host.Factory.Services;
        var mode = File.GetUnixFileMode(Path.Combine(_host.Directory, "signing-key.dev"));
        Assert.That(mode, Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
    }
}

/// <summary>A host started on a key file an earlier version left world-readable, with a low sign-in rate limit.</summary>
[NonParallelizable]
public sealed class SignInLimitTests
{
    private TestHost _host = null!;
    private string _keyPath = null!;

    [OneTimeSetUp]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void StartTheHost()
    {
        _host = TestHost.Start(new Dictionary<string, string> { ["Workflows__Auth__SignInPermitsPerMinute"] = "3" });
        _keyPath = Path.Combine(_host.Directory, "signing-key.dev");
        File.WriteAllText(_keyPath, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48)));
        File.SetUnixFileMode(_keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        _ = _host.Factory.Services;
    }

    [OneTimeTearDown]
    public async Task StopTheHost() => await _host.DisposeAsync();

    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_key_file_written_world_readable_before_is_made_private_at_start() =>
        Assert.That(File.GetUnixFileMode(_keyPath), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));

    [Test]
    public async Task Sign_in_attempts_beyond_the_rate_limit_are_429()
    {
        var client = _host.Anonymous();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await client.PostAsJsonAsync("/api/auth/sign-in", new { username = "user" + i, password = "wrong" });
            statuses.Add(response.StatusCode);
        }

        Assert.That(statuses, Is.EqualTo(new[] { HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests }));
    }
}
