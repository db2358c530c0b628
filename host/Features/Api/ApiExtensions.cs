using System.Text.Json.Serialization;

namespace Workflows.Host.Features.Api;

/// <summary>The HTTP API under <c>/api</c>, its JSON, its limits, its problems and its OpenAPI document.</summary>
internal static class ApiExtensions
{
    public static WebApplicationBuilder AddWorkflowsApi(this WebApplicationBuilder builder)
    {
        var limits = new ApiLimits();
        builder.Configuration.GetSection("Workflows:Limits").Bind(limits);
        limits.Validate();
        builder.Services.AddSingleton(limits);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = limits.MaxRequestBytes);
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase)));
        builder.Services.AddSingleton<ProcessCatalog>();
        builder.Services.AddWorkflowsProblems();
        builder.Services.AddOpenApi(openApi =>
        {
            openApi.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "Workflows";
                document.Info.Description = "Journeys, tasks, service levels and the process library. Every call but sign-in and health needs a bearer token; errors are RFC 7807 problem details.";
                return Task.CompletedTask;
            });
            // Deploy and validate read the BPMN XML as the raw body, which the routes do not declare (a declared content
            // type would answer 415 before the role is checked): the document says it here.
            openApi.AddOperationTransformer((operation, context, _) =>
            {
                if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IEndpointNameMetadata>().Any(n => n.EndpointName is "Deploy" or "Validate"))
                {
                    operation.RequestBody = new Microsoft.OpenApi.OpenApiRequestBody
                    {
                        Required = true,
                        Description = "The BPMN 2.0 XML document",
                        Content = new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType>
                        {
                            ["application/xml"] = new() { Schema = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String } },
                        },
                    };
                }

                return Task.CompletedTask;
            });
        });
        return builder;
    }

    public static WebApplication MapWorkflowsApi(this WebApplication app)
    {
        var api = app.MapGroup("/api");
        api.MapDefinitions();
        api.MapBranches();
        api.MapInstances();
        api.MapTasks();
        api.MapOperations();
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        return app;
    }
}
