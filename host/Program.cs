using Workflows.Host.Features;

var builder = WebApplication.CreateBuilder(args);
builder.UseWorkflowsDefaults();
builder.AddWorkflowsEngine();
builder.AddWorkflowsBus();
builder.Services.AddWorkflowsHealth();

var app = builder.Build();
app.MapWorkflowsHealth();
app.AnnounceWorkflowsUrls();

await app.RunAsync();
