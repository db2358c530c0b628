using System.IdentityModel.Tokens.Jwt;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;
using Workflows.Engine.Sql;

namespace Workflows.Host.Features.Security;

/// <summary>Authentication settings, section <c>Workflows:Auth</c>.</summary>
internal sealed class AuthOptions
{
    /// <summary>The HMAC-SHA256 signing key of the tokens, base64, at least 32 bytes. Required unless the store is the embedded SQLite file.</summary>
    public string? SigningKey { get; set; }

    /// <summary>The issuer and audience of the tokens. Default <c>workflows</c>.</summary>
    public string Issuer { get; set; } = "workflows";

    /// <summary>How long a token issued by the sign-in endpoint lasts. Default 30 minutes; sign-out revokes it sooner.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// How long after signing in the pages may renew a demo user's token (<c>POST /api/auth/renew</c>), so that a page
    /// left open keeps its sign-in while it is used. Default 12 hours; then the user signs in again.
    /// </summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Sign-in attempts a minute from one address, failed or not. Default 20.</summary>
    public int SignInPermitsPerMinute { get; set; } = 20;

    /// <summary>Failed sign-ins in a row that lock a user name out. Default 5.</summary>
    public int LockoutFailures { get; set; } = 5;

    /// <summary>How long a user name stays locked out. Default 15 minutes.</summary>
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Agents this host knows besides the demo users, by name, with the branch each works for (<c>*</c>: every branch):
    /// the users a task may be delegated to. Default none.
    /// </summary>
    public Dictionary<string, string> Users { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether the demo users (one per role, password <c>demo</c>) may sign in. Default: only when the signing key was generated (the embedded quick start).</summary>
    public bool? DemoUsers { get; set; }
}

/// <summary>Signs tokens for the demo users; in production an identity provider sharing the key issues them.</summary>
internal sealed class TokenIssuer(SymmetricSecurityKey key, AuthOptions options, TimeProvider time)
{
    /// <summary>A token for <paramref name="user"/>; <paramref name="signedInAt"/> is when they signed in (a renewal keeps it), else now.</summary>
    public string Issue(DemoUser user, DateTimeOffset? signedInAt = null)
    {
        var signedIn = signedInAt ?? time.GetUtcNow();
        var claims = new List<Claim>
        {
            new(WorkflowsClaims.Name, user.Name), new(JwtRegisteredClaimNames.Jti, Guid.NewGuid().ToString("N")),
            new(JwtRegisteredClaimNames.AuthTime, signedIn.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), ClaimValueTypes.Integer64),
        };
        claims.AddRange(user.Roles.Select(r => new Claim(WorkflowsClaims.Role, r)));
        if (user.Branch is not null)
        {
            claims.Add(new Claim(WorkflowsClaims.Branch, user.Branch));
        }

        claims.AddRange(user.Queues.Select(q => new Claim(WorkflowsClaims.Queue, q)));
        if (user.CustomerId is not null)
        {
            claims.Add(new Claim(WorkflowsClaims.Customer, user.CustomerId));
        }

        var now = time.GetUtcNow().UtcDateTime;
        var token = new JwtSecurityToken(options.Issuer, options.Issuer, claims, now, now + options.TokenLifetime,
            new SigningCredentials(key, SecurityAlgorithms.HmacSha256));
        return new JwtSecurityTokenHandler().WriteToken(token);
    }
}

/// <summary>A demo sign-in of the embedded quick start.</summary>
internal sealed record DemoUser(string Name, string Description, IReadOnlyList<string> Roles, string? Branch, IReadOnlyList<string> Queues, string? CustomerId);

internal static partial class SecurityExtensions
{
    public const string DemoPassword = "demo";

    /// <summary>The cookie the sign-in sets for the web pages.</summary>
    public const string TokenCookie = "wf_token";

    public static readonly IReadOnlyList<DemoUser> DemoUsers =
    [
        new("alice", "analyst", [Roles.Analyst], null, [], null),
        // Four eyes: a version alice deploys is approved by another analyst.
        new("ines", "analyst: approves what another analyst deployed (four eyes)", [Roles.Analyst], null, [], null),
        new("bruno", "branch admin of paris-01", [Roles.BranchAdmin], Demo.Branch, [], null),
        new("ann", "front-office agent of paris-01", [Roles.Agent], Demo.Branch, ["front-desk", "front-desk-supervisors", "customer-care", "claims-desk", "compliance", "billing-desk", "logistics-desk"], null),
        new("omar", "back-office agent (all branches)", [Roles.Agent], WorkflowsClaims.AllBranches, ["back-office-complaints", "back-office-leads", "back-office-provisioning", "warehouse", "warehouse-leads", "claims-assessment", "claims-handlers", "claims-leads", "claims-managers", "field-operations", "back-office-billing"], null),
        new("sofia", "supervisor of paris-01", [Roles.Supervisor], Demo.Branch, [], null),
        new("otto", "operator (all branches)", [Roles.Operator], WorkflowsClaims.AllBranches, [], null),
        // A central team's administrator: the one who may move a test environment's controllable clock (branch *).
        new("cleo", "central branch admin and operator (all branches): moves the controllable clock", [Roles.BranchAdmin, Roles.Operator], WorkflowsClaims.AllBranches, [], null),
        // A job worker's token, for trying the job API from the quick start (a real worker gets its own sub from the identity provider).
        new("walt", "job worker of paris-01", [Roles.Worker], Demo.Branch, [], null),
        new("carla", "customer cust-1001", [Roles.Customer], null, [], "cust-1001"),
    ];

    /// <summary>
    /// JWT bearer authentication with the signing key from <c>Workflows:Auth:SigningKey</c>; on the embedded default a
    /// development key is generated on first run next to the SQLite file, with a warning. Every endpoint needs a signed-in
    /// user unless it says otherwise; the roles are checked per endpoint group.
    /// </summary>
    public static WebApplicationBuilder AddWorkflowsSecurity(this WebApplicationBuilder builder)
    {
        var options = new AuthOptions();
        builder.Configuration.GetSection("Workflows:Auth").Bind(options);
        // The in-memory store is read as no SQLite file: it needs a key given, as a shared database does.
        var store = HostStore.Read(builder.Configuration, builder.Environment).Sql;
        var (key, generatedAt) = SigningKey(options, store);
        options.DemoUsers ??= generatedAt is not null;
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<UserDirectory>();
        builder.Services.AddSingleton(new SigningKeyOrigin(generatedAt));
        builder.Services.AddSingleton(sp => new TokenIssuer(key, options, sp.GetRequiredService<TimeProvider>()));
        builder.AddWorkflowsWebProtection(options);

        // The validator reads the system clock (IdentityModel's own clock cannot be set from here), and so does its cache.
        var validated = new ValidatedTokens(new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler { MapInboundClaims = false }, TimeProvider.System);
        builder.Services.AddSingleton(validated);
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(jwt =>
        {
            jwt.MapInboundClaims = false;
            // A token found valid is not decoded and checked again on its next request (ValidatedTokens); the checks
            // below (revoked at sign-out, one jti, one branch) still run on every request.
            jwt.TokenHandlers.Clear();
            jwt.TokenHandlers.Add(validated);
            // A refused token is 401 with a bare "Bearer" challenge: why it was refused is the server's log's business.
            jwt.IncludeErrorDetails = false;
            // The web pages carry the same token in a cookie (HttpOnly, SameSite=Strict), so that a page itself is
            // authorised by role like the API; calls with an Authorization header never look at it.
            jwt.Events = new JwtBearerEvents
            {
                OnMessageReceived = context =>
                {
                    if (string.IsNullOrEmpty(context.Request.Headers.Authorization) && context.Request.Cookies.TryGetValue(TokenCookie, out var token))
                    {
                        context.Token = token;
                    }

                    return Task.CompletedTask;
                },
                OnTokenValidated = context =>
                {
                    // The claims read in one pass (TokenClaims): revoked at sign-out, one jti, one branch, a staff token with a branch.
                    if (TokenClaims.Of(context.Principal!).Refusal(context.HttpContext.RequestServices.GetRequiredService<TokenRevocations>()) is { } refusal)
                    {
                        context.Fail(refusal);
                    }

                    return Task.CompletedTask;
                },
            };
            jwt.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = options.Issuer,
                ValidAudience = options.Issuer,
                IssuerSigningKey = key,
                ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                NameClaimType = WorkflowsClaims.Name,
                RoleClaimType = WorkflowsClaims.Role,
                ClockSkew = TimeSpan.FromMinutes(1),
            };
        });
        builder.Services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        return builder;
    }

    private static (SymmetricSecurityKey Key, string? GeneratedAt) SigningKey(AuthOptions options, SqlStoreOptions? store)
    {
        if (!string.IsNullOrWhiteSpace(options.SigningKey))
        {
            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(options.SigningKey);
            }
            catch (FormatException)
            {
                throw new ArgumentException("Workflows:Auth:SigningKey must be base64 (for example: openssl rand -base64 48)");
            }

            return bytes.Length >= 32
                ? (new SymmetricSecurityKey(bytes), null)
                : throw new ArgumentException($"Workflows:Auth:SigningKey is {bytes.Length} bytes; it must be at least 32");
        }

        if (store is null)
        {
            // No file to keep a generated key beside, and tokens signed by a key that dies with the process are no trial's business either.
            throw new ArgumentException($"Workflows:Auth:SigningKey (Workflows__Auth__SigningKey) is required with the {HostStore.InMemoryProvider} store: a development key is generated only beside a SQLite file");
        }

        if (store.Provider != SqlProvider.Sqlite)
        {
            throw new ArgumentException($"Workflows:Auth:SigningKey (Workflows__Auth__SigningKey) is required with the {store.Provider} store: several nodes must share one key");
        }

        // The embedded quick start: a development key, generated once and kept beside the database.
        var database = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(store.ConnectionString).DataSource;
        var path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(database)) ?? ".", "signing-key.dev");
        try
        {
            if (!File.Exists(path))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                var file = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    file.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // 0600: the key signs every token
                }

                using var writer = new StreamWriter(path, System.Text.Encoding.ASCII, file);
                writer.Write(Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)));
            }
            else if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite)) != 0)
            {
                // A key file from an earlier version was written world-readable: owner only from now on.
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            return (new SymmetricSecurityKey(Convert.FromBase64String(File.ReadAllText(path).Trim())), path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Before the database is opened: say which file and which settings, not only the file system's words.
            throw new StoreUnavailableException(SqlStoreFaults.Describe(store), "Workflows:Store:ConnectionString",
                $"the development signing key cannot be kept beside it at '{path}' ({e.Message}); make the directory writable or set Workflows:Auth:SigningKey", e);
        }
    }

    /// <summary>Warns at start when the tokens are signed with a generated development key.</summary>
    public static WebApplication WarnAboutDevelopmentKey(this WebApplication app)
    {
        if (app.Services.GetRequiredService<SigningKeyOrigin>().GeneratedAt is { } path)
        {
            LogDevelopmentKey(app.Logger, path);
        }

        return app;
    }

    /// <summary><c>POST /api/auth/sign-in</c>: a demo user's token, when demo users are on.</summary>
    public static WebApplication MapWorkflowsSignIn(this WebApplication app)
    {
        app.MapPost("/api/auth/sign-in", (SignIn request, HttpContext http, AuthOptions options, TokenIssuer issuer, SignInLockout lockout) =>
        {
            if (options.DemoUsers != true)
            {
                return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Sign-in is not served here",
                    detail: "demo users are off; sign in with your identity provider, which issues tokens signed with Workflows:Auth:SigningKey");
            }

            var name = request.Username ?? "";
            if (name.Length > 200)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad input", detail: "username is longer than 200 characters");
            }

            if (lockout.LockedUntil(name) is { } until)
            {
                http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling((until - http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow()).TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Locked out",
                    detail: $"{options.LockoutFailures} failed sign-ins in a row (Workflows:Auth:LockoutFailures); try again after {until:u} (Workflows:Auth:LockoutDuration)");
            }

            var user = DemoUsers.FirstOrDefault(u => u.Name == name);
            if (user is null || request.Password != DemoPassword)
            {
                lockout.Failed(name);
                return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Wrong user name or password");
            }

            lockout.Succeeded(name);
            var token = issuer.Issue(user);
            AppendTokenCookie(http, token, options);
            return Results.Ok(new SignedIn(token, user.Name, user.Roles, user.Branch, user.Queues, user.CustomerId, WebProtection.LocalOrHome(request.ReturnUrl)));
        }).AllowAnonymous().RequireRateLimiting(WebProtection.SignInPolicy).WithTags("Sign-in").WithName(WebProtection.SignInEndpoint)
            .Produces<SignedIn>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status429TooManyRequests);
        app.MapGet("/api/auth/session", (HttpContext http, AuthOptions options) => Session.Of(http.User, options))
            .WithTags("Sign-in").WithName("Session").ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(p => p.RequireRole([.. Roles.All, Roles.Worker]))
            .WithSummary("When the caller's token expires, and until when the pages may renew it (null: it cannot be renewed here).");
        // A page left open renews its demo user's token before it expires, so an analyst's work is never sent to the
        // sign-in page by the clock. The old token is not revoked: requests already sent with it still land.
        app.MapPost("/api/auth/renew", (HttpContext http, AuthOptions options, TokenIssuer issuer, TimeProvider time) =>
        {
            var session = Session.Of(http.User, options);
            var user = DemoUsers.FirstOrDefault(u => u.Name == Caller.From(http.User).Name);
            if (options.DemoUsers != true || user is null || session.RenewableUntil is not { } until)
            {
                // Another issuer's token (an identity provider's, a worker's): its issuer renews it. The answer says so
                // with a null renewableUntil, and the token stays as it is.
                return Results.Ok(session with { RenewableUntil = null });
            }

            if (time.GetUtcNow() >= until)
            {
                return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Sign in again",
                    detail: $"signed in at {until - options.SessionLifetime:u}: a sign-in is renewed for {options.SessionLifetime} at most (Workflows:Auth:SessionLifetime)");
            }

            var token = issuer.Issue(user, until - options.SessionLifetime);
            AppendTokenCookie(http, token, options);
            return Results.Ok(Session.Of(new JwtSecurityTokenHandler().ReadJwtToken(token), options));
        }).WithTags("Sign-in").WithName("Renew").Produces<Session>().ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(p => p.RequireRole([.. Roles.All, Roles.Worker]));
        // Sign-out revokes the token it was called with (cookie or header), not only the cookie.
        app.MapPost("/api/auth/sign-out", (HttpContext http, TokenRevocations revocations) =>
        {
            if (http.User.FindFirstValue(JwtRegisteredClaimNames.Jti) is { } id && long.TryParse(http.User.FindFirstValue(JwtRegisteredClaimNames.Exp), out var exp))
            {
                revocations.Revoke(id, DateTimeOffset.FromUnixTimeSeconds(exp));
            }

            http.Response.Cookies.Delete(TokenCookie);
            return Results.NoContent();
        }).AllowAnonymous().WithTags("Sign-in").WithName("SignOut").Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        app.MapAntiforgery();
        app.MapGet("/api/auth/me", (HttpContext http) => Caller.From(http.User)).WithTags("Sign-in").WithName("Me").ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(p => p.RequireRole([.. Roles.All, Roles.Worker])).WithSummary("Who the token says the caller is: name, roles, branch, queues, customer id.");
        return app;
    }

    private static void AppendTokenCookie(HttpContext http, string token, AuthOptions options) =>
        http.Response.Cookies.Append(TokenCookie, token, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = http.Request.IsHttps,
            MaxAge = options.TokenLifetime,
        });

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "Tokens are signed with a development key generated at {Path}; set Workflows:Auth:SigningKey for anything but a trial")]
    private static partial void LogDevelopmentKey(ILogger logger, string path);
}

internal sealed record SigningKeyOrigin(string? GeneratedAt);

internal sealed record SignIn(string? Username, string? Password, string? ReturnUrl);

/// <summary>A signed-in user; <see cref="Redirect"/> is the page to go to: the return URL asked for when it is on this site, else home.</summary>
internal sealed record SignedIn(string Token, string User, IReadOnlyList<string> Roles, string? Branch, IReadOnlyList<string> Queues, string? CustomerId, string Redirect);

/// <summary>
/// When the caller's token expires, and until when the pages may renew it: its sign-in time plus
/// <see cref="AuthOptions.SessionLifetime"/>, for a token this host's sign-in issued (null for another issuer's).
/// </summary>
internal sealed record Session(DateTimeOffset? ExpiresAt, DateTimeOffset? RenewableUntil)
{
    public static Session Of(ClaimsPrincipal user, AuthOptions options) =>
        Of(user.FindFirstValue(JwtRegisteredClaimNames.Exp), user.FindFirstValue(JwtRegisteredClaimNames.AuthTime), options);

    public static Session Of(JwtSecurityToken token, AuthOptions options) =>
        Of(token.Claims.FirstOrDefault(c => c.Type == JwtRegisteredClaimNames.Exp)?.Value, token.Claims.FirstOrDefault(c => c.Type == JwtRegisteredClaimNames.AuthTime)?.Value, options);

    private static Session Of(string? exp, string? authTime, AuthOptions options) => new(
        long.TryParse(exp, out var e) ? DateTimeOffset.FromUnixTimeSeconds(e) : null,
        options.DemoUsers == true && long.TryParse(authTime, out var a) ? DateTimeOffset.FromUnixTimeSeconds(a) + options.SessionLifetime : null);
}
