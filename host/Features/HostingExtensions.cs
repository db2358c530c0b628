using Workflows.Host.Features.Security;

namespace Workflows.Host.Features;

/// <summary>Start-up defaults of the embedded quick start.</summary>
internal static partial class HostingExtensions
{
    /// <summary>The address the host listens on when neither --urls nor ASPNETCORE_URLS says otherwise.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>
    /// The host's start options: its content root is the folder that holds its settings (<c>appsettings.json</c>), so
    /// that a host started from any directory reads them. A content root given explicitly (<c>--contentRoot</c>,
    /// <c>ASPNETCORE_CONTENTROOT</c>, a test's factory) wins; else the working directory when it holds the settings
    /// (<c>dotnet run</c> starts in the project folder, beside <c>wwwroot</c>); else the host's own folder.
    /// </summary>
    public static WebApplicationOptions StartOptions(string[] args)
    {
        var given = args.Any(a => a.StartsWith("--contentRoot", StringComparison.OrdinalIgnoreCase) || a.StartsWith("/contentRoot", StringComparison.OrdinalIgnoreCase))
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT"))
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOTNET_CONTENTROOT"));
        var own = given || File.Exists(Path.Combine(Environment.CurrentDirectory, "appsettings.json")) ? null : AppContext.BaseDirectory;
        return new WebApplicationOptions { Args = args, ContentRootPath = own };
    }

    public static WebApplicationBuilder UseWorkflowsDefaults(this WebApplicationBuilder builder)
    {
        // Below every other source, so that appsettings.json and the environment still decide: the request path logs
        // nothing at Information (ASP.NET Core's per-request lines cost 15-22 % of a request under load).
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>(StringComparer.Ordinal) { ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning" },
        });
        if (builder.Environment.ContentRootPath.TrimEnd(Path.DirectorySeparatorChar) == AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)
            && !Directory.Exists(Path.Combine(AppContext.BaseDirectory, "wwwroot")))
        {
            // A build's output (not a published folder) started from elsewhere: its pages' files are in the project's
            // wwwroot, which the build's static web assets manifest names.
            builder.WebHost.UseStaticWebAssets();
        }

        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        return builder;
    }

    /// <summary>
    /// Whether the host runs as its own process (<c>dotnet Workflows.Host.dll</c>, <c>dotnet run</c>), not inside a test's
    /// factory: only then does a wrong setting end the process with a line and an exit code, where a test wants the exception.
    /// </summary>
    public static bool RunsAsItsOwnProcess => System.Reflection.Assembly.GetEntryAssembly() == typeof(HostingExtensions).Assembly;

    /// <summary>A wrong setting's message, without the parameter name .NET appends (the message names the setting).</summary>
    public static string Plain(ArgumentException e) =>
        e.ParamName is { } name ? e.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : e.Message;

    /// <summary>Prints where the product is, once it listens, so the quick start ends with a link.</summary>
    public static WebApplication AnnounceWorkflowsUrls(this WebApplication app)
    {
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var inMemory = app.Services.GetRequiredService<HostStore>().InMemory;
            foreach (var url in app.Urls)
            {
                if (inMemory)
                {
                    LogListeningInMemory(app.Logger, url);
                }
                else
                {
                    LogListening(app.Logger, url);
                }
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

    // Said at Warning, where the line above is Information: a log kept at warnings still shows what this node loses.
    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "Workflows is running at {Url} on the in-memory store (Workflows:Store:Provider = InMemory): every instance, task and deployment is lost when this process ends (health: {Url}/health/ready)")]
    private static partial void LogListeningInMemory(ILogger logger, string url);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Demo sign-in: {User} / {Password} ({Description})")]
    private static partial void LogDemoUser(ILogger logger, string user, string password, string description);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Sign in with POST {Url}/api/auth/sign-in {{\"username\":\"ann\",\"password\":\"demo\"}}; the API is described at {Url}/openapi/v1.json")]
    private static partial void LogSignIn(ILogger logger, string url);
}
