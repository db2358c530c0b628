using Workflows.Host.Features;
using Workflows.Host.Features.Api;
using Workflows.Host.Features.Security;

if (CommandLine.IsVerb(args))
{
    return await CommandLine.RunAsync(args);
}

WebApplication app;
try
{
    var builder = WebApplication.CreateBuilder(HostingExtensions.StartOptions(args));
    builder.UseWorkflowsDefaults();
    builder.AddWorkflowsApi();
    builder.AddWorkflowsSecurity();
    builder.AddWorkflowsEngine();
    builder.AddWorkflowsBus();
    builder.AddWorkflowsTelemetry();
    builder.Services.AddWorkflowsHealth();
    app = builder.Build();
}
catch (ArgumentException e) when (HostingExtensions.RunsAsItsOwnProcess)
{
    // A wrong setting: the line that names it and exit code 2, not a stack trace (docs/operations.md).
    await Console.Error.WriteLineAsync($"Workflows cannot start: {HostingExtensions.Plain(e)}");
    return 2;
}

app.UseWorkflowsSecurityHeaders();
app.UseWorkflowsProblems();
app.UseWorkflowsUrlLimit();
app.UseWorkflowsPages();
app.UseAuthentication();
app.UseWorkflowsForgeryCheck();
app.UseRateLimiter();
app.UseAuthorization();
app.UseWorkflowsRouteValues();
app.MapWorkflowsHealth();
app.MapWorkflowsMetrics();
app.MapWorkflowsSignIn();
app.MapWorkflowsApi();
app.MapWorkflowsPages();
app.WarnAboutDevelopmentKey();
app.AnnounceWorkflowsUrls();

await app.RunAsync();
return 0;
