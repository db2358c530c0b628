using Workflows.Host.Features;
using Workflows.Host.Features.Api;
using Workflows.Host.Features.Security;

if (CommandLine.IsVerb(args))
{
    return await CommandLine.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(HostingExtensions.StartOptions(args));
builder.UseWorkflowsDefaults();
builder.AddWorkflowsApi();
builder.AddWorkflowsSecurity();
builder.AddWorkflowsEngine();
builder.AddWorkflowsBus();
builder.AddWorkflowsTelemetry();
builder.Services.AddWorkflowsHealth();

var app = builder.Build();
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
