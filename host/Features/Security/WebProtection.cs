using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Antiforgery;

namespace Workflows.Host.Features.Security;

/// <summary>
/// What protects the web pages and the sign-in: security headers on every answer, an Origin check and an antiforgery
/// token on every state change authenticated by the cookie, the sign-in's rate limit and lockout, and the tokens revoked
/// at sign-out.
/// </summary>
internal static class WebProtection
{
    /// <summary>The header the pages send the antiforgery request token in.</summary>
    public const string AntiforgeryHeader = "X-Workflows-Antiforgery";

    public const string SignInPolicy = "sign-in";

    /// <summary>
    /// No inline script anywhere (every page loads its scripts from /app and /lib); styles may be inline because the
    /// diagram library sets them on the SVG it draws. No framing, no other origin to talk to.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static WebApplicationBuilder AddWorkflowsWebProtection(this WebApplicationBuilder builder, AuthOptions options)
    {
        builder.Services.AddAntiforgery(a =>
        {
            a.HeaderName = AntiforgeryHeader;
            a.Cookie.Name = "wf_antiforgery";
            a.Cookie.SameSite = SameSiteMode.Strict;
            a.SuppressXFrameOptionsHeader = true; // the headers below say DENY, and CSP frame-ancestors 'none'
        });
        builder.Services.AddSingleton<TokenRevocations>();
        builder.Services.AddSingleton<SignInLockout>();
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(SignInPolicy, http => RateLimitPartition.GetFixedWindowLimiter(
                http.Connection.RemoteIpAddress?.ToString() ?? "local",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = options.SignInPermitsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            limiter.OnRejected = async (context, ct) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "60";
                await Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many sign-in attempts",
                    detail: $"more than {options.SignInPermitsPerMinute} sign-in attempts a minute from this address (Workflows:Auth:SignInPermitsPerMinute); try again in a minute")
                    .ExecuteAsync(context.HttpContext);
            };
        });
        return builder;
    }

    /// <summary>The security headers, on every answer including errors and static files.</summary>
    public static WebApplication UseWorkflowsSecurityHeaders(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                // The API reference page (Scalar) starts with one inline script carrying a nonce made for this answer.
                headers.ContentSecurityPolicy = context.Items.TryGetValue(Scalar.AspNetCore.ScalarOptions.NonceHttpContextItemKey, out var nonce) && nonce is string { Length: > 0 } value
                    ? ContentSecurityPolicy.Replace("script-src 'self'", $"script-src 'self' 'nonce-{value}'", StringComparison.Ordinal)
                    : ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "same-origin";
                return Task.CompletedTask;
            });
            return next(context);
        });
        return app;
    }

    /// <summary>
    /// A state change (any method but GET, HEAD, OPTIONS) that the cookie authenticates must come from a page of this
    /// host (its Origin header is this host) and carry the antiforgery token; the sign-in must not come from another
    /// origin. Calls with an Authorization header are not forgeable by a foreign page and are not checked.
    /// </summary>
    public static WebApplication UseWorkflowsForgeryCheck(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            var request = context.Request;
            if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method))
            {
                await next(context);
                return;
            }

            var byCookie = string.IsNullOrEmpty(request.Headers.Authorization) && request.Cookies.ContainsKey(SecurityExtensions.TokenCookie);
            var signIn = IsSignIn(context);
            if (byCookie || signIn)
            {
                var origin = request.Headers.Origin.ToString();
                var own = $"{request.Scheme}://{request.Host}";
                if (origin.Length > 0 ? !string.Equals(origin, own, StringComparison.OrdinalIgnoreCase) : byCookie)
                {
                    throw new ForbiddenException(origin.Length > 0
                        ? $"a request from origin {origin} may not change anything here"
                        : "a change authenticated by the sign-in cookie must carry the Origin header of this site");
                }

                if (byCookie && !signIn)
                {
                    try
                    {
                        await context.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(context);
                    }
                    catch (AntiforgeryValidationException)
                    {
                        throw new ForbiddenException($"the antiforgery token is missing or wrong: pages send the one from GET /api/auth/antiforgery in the {AntiforgeryHeader} header");
                    }
                }
            }

            await next(context);
        });
        return app;
    }

    /// <summary>
    /// Whether the request goes to the sign-in: by the endpoint routing chose (whatever spelling of the path reached
    /// it: a trailing slash, another case), or by its path, compared without case and trailing slashes.
    /// </summary>
    private static bool IsSignIn(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName == SignInEndpoint
        || (context.Request.Path.Value ?? "").TrimEnd('/').Equals("/api/auth/sign-in", StringComparison.OrdinalIgnoreCase);

    /// <summary>The name of the sign-in's endpoint.</summary>
    public const string SignInEndpoint = "SignIn";

    /// <summary><c>GET /api/auth/antiforgery</c>: the request token the pages send with every change.</summary>
    public static void MapAntiforgery(this WebApplication app) =>
        app.MapGet("/api/auth/antiforgery", (HttpContext http, IAntiforgery antiforgery) =>
            TypedResults.Ok(new AntiforgeryToken(antiforgery.GetAndStoreTokens(http).RequestToken ?? "", AntiforgeryHeader)))
            .AllowAnonymous().WithTags("Sign-in").WithName("Antiforgery");

    /// <summary>Whether <paramref name="url"/> stays on this site: one leading slash, no second slash or backslash after it, no control character.</summary>
    public static string LocalOrHome(string? url) =>
        url is { Length: > 0 } && url[0] == '/' && (url.Length == 1 || url[1] is not ('/' or '\\')) && !url.Contains('\\', StringComparison.Ordinal) && !url.Any(char.IsControl)
            ? url
            : "/";
}

/// <summary>The antiforgery request token, and the header the pages send it in.</summary>
internal sealed record AntiforgeryToken(string Token, string Header);

/// <summary>Tokens revoked at sign-out, by id, until they would have expired anyway.</summary>
/// <remarks>Kept in the node's memory: with several nodes, the token lifetime bounds how long another node still takes a revoked token.</remarks>
internal sealed class TokenRevocations(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _revoked = new(StringComparer.Ordinal);

    public void Revoke(string tokenId, DateTimeOffset expires)
    {
        var now = time.GetUtcNow();
        foreach (var (id, until) in _revoked)
        {
            if (until < now)
            {
                _revoked.TryRemove(id, out _);
            }
        }

        _revoked[tokenId] = expires;
    }

    public bool IsRevoked(string? tokenId) => tokenId is not null && _revoked.ContainsKey(tokenId);
}

/// <summary>Locks a user name out of the sign-in after too many failed attempts in a row.</summary>
internal sealed class SignInLockout(AuthOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (int Failures, DateTimeOffset? LockedUntil)> _users = new(StringComparer.Ordinal);

    /// <summary>Until when the user is locked out, when it is.</summary>
    public DateTimeOffset? LockedUntil(string user) =>
        _users.TryGetValue(user, out var state) && state.LockedUntil is { } until && until > time.GetUtcNow() ? until : null;

    public void Failed(string user) => _users.AddOrUpdate(user, _ => (1, null), (_, state) =>
    {
        var failures = state.LockedUntil is { } until && until <= time.GetUtcNow() ? 1 : state.Failures + 1;
        return failures >= options.LockoutFailures ? (0, time.GetUtcNow() + options.LockoutDuration) : (failures, state.LockedUntil);
    });

    public void Succeeded(string user) => _users.TryRemove(user, out _);
}
