using System.IdentityModel.Tokens.Jwt;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Workflows.Host.Features.Security;

namespace Workflows.Host.Tests;

/// <summary>
/// A token found valid is not decoded and checked again on its next request (issue 19: 4.6 % of the host's CPU on
/// starts), and nothing of its security weakens: a token signed out, expired or changed in any character is refused on
/// the very next request, cached or not.
/// </summary>
[NonParallelizable]
public sealed class ValidatedTokenTests
{
    private TestHost _host = null!;

    [OneTimeSetUp]
    public void StartTheHost()
    {
        _host = TestHost.Start();
        _ = _host.Factory.Services; // built now, so that a token's few seconds of life are not spent starting the host
    }

    [OneTimeTearDown]
    public async Task StopTheHost() => await _host.DisposeAsync();

    private long Hits => _host.Factory.Services.GetRequiredService<ValidatedTokens>().Hits;

    private HttpClient Bearer(string token)
    {
        var client = _host.Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private async Task<HttpStatusCode> MeAsync(string token)
    {
        using var client = Bearer(token);
        using var response = await client.GetAsync(new Uri("/api/auth/me", UriKind.Relative));
        return response.StatusCode;
    }

    [Test]
    public async Task A_token_used_again_comes_from_the_cache_and_is_refused_on_the_request_after_its_sign_out()
    {
        var token = (await _host.Anonymous().PostJsonAsync("/api/auth/sign-in", new { username = "ann", password = "demo" })).GetProperty("token").GetString()!;
        using var client = Bearer(token);

        using var first = await client.GetAsync(new Uri("/api/tasks", UriKind.Relative));
        var beforeSecond = Hits;
        using var second = await client.GetAsync(new Uri("/api/tasks", UriKind.Relative));
        var afterSecond = Hits;
        using var signOut = await client.PostAsync(new Uri("/api/auth/sign-out", UriKind.Relative), null);
        var beforeRevoked = Hits;
        using var revoked = await client.GetAsync(new Uri("/api/tasks", UriKind.Relative));
        var afterRevoked = Hits;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(afterSecond - beforeSecond, Is.EqualTo(1), "the second request's token came from the cache");
            Assert.That(signOut.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(revoked.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "signed out: refused at once");
            Assert.That(afterRevoked - beforeRevoked, Is.EqualTo(1), "refused although its signature came from the cache: the revocation is checked on every request");
            Assert.That(revoked.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Bearer"));
        }
    }

    [Test]
    public async Task A_token_kept_as_valid_is_refused_once_it_expires()
    {
        // Expired 50 s ago: still valid for the 60 s of clock skew the host allows, that is for about 10 s more.
        var now = DateTime.UtcNow;
        var token = _host.TokenValid(now.AddMinutes(-5), now.AddSeconds(-50), ("sub", "ann"), ("role", "agent"), ("branch", "paris-01"), ("queue", "front-desk"));
        var refusedFrom = new JwtSecurityTokenHandler().ReadJwtToken(token).ValidTo + TimeSpan.FromMinutes(1);

        var first = await MeAsync(token);
        var beforeSecond = Hits;
        var second = await MeAsync(token);
        var servedFromCache = Hits - beforeSecond;
        var stillValid = DateTime.UtcNow < refusedFrom;
        var wait = refusedFrom - DateTime.UtcNow + TimeSpan.FromMilliseconds(300);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        var expired = await MeAsync(token);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(stillValid, Is.True, "the machine took over 10 s for two requests: the case did not run");
            Assert.That(first, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(second, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(servedFromCache, Is.EqualTo(1));
            Assert.That(expired, Is.EqualTo(HttpStatusCode.Unauthorized), "expired (with the clock skew): refused though it was kept as valid");
        }
    }

    [Test]
    public async Task A_token_kept_as_valid_and_changed_in_its_claims_signature_or_header_is_refused()
    {
        var token = _host.TokenValid(DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddMinutes(30), ("sub", "ann"), ("role", "agent"), ("branch", "paris-01"), ("queue", "front-desk"));
        var parts = token.Split('.');
        string Changed(string part, Func<string, string> change) =>
            Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(change(Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(part)))));
        var otherBranch = $"{parts[0]}.{Changed(parts[1], p => p.Replace("paris-01", "lyon-01", StringComparison.Ordinal))}.{parts[2]}";
        var otherSignature = $"{parts[0]}.{parts[1]}.{(parts[2][0] == 'A' ? 'B' : 'A')}{parts[2][1..]}";
        var noAlgorithm = $"{Changed(parts[0], h => h.Replace("HS256", "none", StringComparison.Ordinal))}.{parts[1]}.";

        var kept = await MeAsync(token);
        var keptAgain = await MeAsync(token);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(kept, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(keptAgain, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await MeAsync(otherBranch), Is.EqualTo(HttpStatusCode.Unauthorized), "a claim changed");
            Assert.That(await MeAsync(otherSignature), Is.EqualTo(HttpStatusCode.Unauthorized), "the signature changed");
            Assert.That(await MeAsync(noAlgorithm), Is.EqualTo(HttpStatusCode.Unauthorized), "unsigned");
        }
    }

    [Test]
    public async Task The_cache_serves_a_token_until_its_expiry_on_its_clock_never_a_failed_one_and_each_request_its_own_claims()
    {
        var key = new SymmetricSecurityKey(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = "workflows", ValidAudience = "workflows", IssuerSigningKey = key, ValidAlgorithms = [SecurityAlgorithms.HmacSha256], ClockSkew = TimeSpan.FromMinutes(1),
        };
        var now = DateTime.UtcNow;
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "workflows", Audience = "workflows", NotBefore = now.AddMinutes(-1), Expires = now.AddMinutes(5), IssuedAt = now.AddMinutes(-1),
            Claims = new Dictionary<string, object> { ["sub"] = "ann", ["jti"] = "t1" },
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });
        var forged = token[..^2] + (token[^2] == 'A' ? "B" : "A") + token[^1];
        var time = new FakeTimeProvider(new DateTimeOffset(now, TimeSpan.Zero));
        var inner = new CountingHandler();
        var cache = new ValidatedTokens(inner, time);

        var first = await cache.ValidateTokenAsync(token, parameters);
        var second = await cache.ValidateTokenAsync(token, parameters);
        var validationsWhileValid = inner.Validations;
        await cache.ValidateTokenAsync(forged, parameters);
        await cache.ValidateTokenAsync(forged, parameters);
        var validationsOfForged = inner.Validations - validationsWhileValid;
        time.Advance(TimeSpan.FromMinutes(6)); // past exp + skew on the cache's clock
        await cache.ValidateTokenAsync(token, parameters);
        var validationsAfterExpiry = inner.Validations - validationsWhileValid - validationsOfForged;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.IsValid && second.IsValid, Is.True);
            Assert.That(validationsWhileValid, Is.EqualTo(1), "validated once, then served from the cache");
            Assert.That(second.ClaimsIdentity, Is.Not.SameAs(first.ClaimsIdentity), "each request gets claims of its own");
            Assert.That(second.ClaimsIdentity.FindFirst("sub")?.Value, Is.EqualTo("ann"));
            Assert.That(validationsOfForged, Is.EqualTo(2), "a token that failed is validated (and refused) every time");
            Assert.That(validationsAfterExpiry, Is.EqualTo(1), "past its expiry the cache hands the token back to the validator");
        }
    }

    /// <summary>The host's validator, counting its validations.</summary>
    private sealed class CountingHandler : TokenHandler
    {
        private readonly JsonWebTokenHandler _inner = new() { MapInboundClaims = false };

        public int Validations { get; private set; }

        public override Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
        {
            Validations++;
            return _inner.ValidateTokenAsync(token, validationParameters);
        }
    }
}
