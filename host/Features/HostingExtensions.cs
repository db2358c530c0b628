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
        });
        return app;
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Workflows is running at {Url} (health: {Url}/health/ready)")]
    private static partial void LogListening(ILogger logger, string url);
}
