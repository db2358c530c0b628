using Workflows.Host.Features.Security;

namespace Workflows.Host.Features;

/// <summary>Start-up defaults of the embedded quick start.</summary>
internal static partial class HostingExtensions
{
    /// <summary>The address the host listens on when neither --urls nor ASPNETCORE_URLS says otherwise.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    public static WebApplicationBuilder UseWorkflowsDefaults(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        return builder;
    }

    /// <summary>Prints where the product is, once it listens, so the quick start ends with a link.</summary>
    public static WebApplication AnnounceWorkflowsUrls(this WebApplication app)
    {
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            foreach (var url in app.Urls)
            {
                LogListening(app.Logger, url);
            }

            if (app.Services.GetRequiredService<AuthOptions>().DemoUsers == true)
            {
                foreach (var user in SecurityExtensions.DemoUsers)
                {
                    LogDemoUser(app.Logger, user.Name, SecurityExtensions.DemoPassword, user.Description);
                }

                var url = app.Urls.FirstOrDefault() ?? DefaultUrl;
                LogSignIn(app.Logger, url);
            }
        });
        return app;
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Workflows is running at {Url} (health: {Url}/health/ready)")]
    private static partial void LogListening(ILogger logger, string url);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Demo sign-in: {User} / {Password} ({Description})")]
    private static partial void LogDemoUser(ILogger logger, string user, string password, string description);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Sign in with POST {Url}/api/auth/sign-in {{\"username\":\"ann\",\"password\":\"demo\"}}; the API is described at {Url}/openapi/v1.json")]
    private static partial void LogSignIn(ILogger logger, string url);
}
