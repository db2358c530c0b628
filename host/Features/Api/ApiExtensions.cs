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
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = limits.MaxRequestBytes;
            // Above the host's own URL limit, so that a long URL gets a 414 problem naming the limit, not Kestrel's bare 414.
            kestrel.Limits.MaxRequestLineSize = ApiLimits.KestrelRequestLineBytes;
        });
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase));
            // A field the API does not know is refused, never dropped: a misspelt or renamed filter ("branchh",
            // "hasIncident") would otherwise widen a batch to instances nobody meant, a misspelt "terminat" skip its step.
            json.SerializerOptions.UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow;
            // A field or variable given twice is refused, never read as the last one: {"a": 1, "a": 2} would otherwise set
            // a = 2 silently, and a filter or reason given twice would act on the one a reviewer of the request did not see.
            // It holds at every depth, in the variables' own objects too (they are read as JSON elements).
            json.SerializerOptions.AllowDuplicateProperties = false;
            // Deep enough for a variable as deep as the engine accepts inside a request (and in an answer), so that a
            // deeper variable is refused naming the engine's limit rather than read as a broken body.
            json.SerializerOptions.MaxDepth = ApiJson.MaxBodyDepth;
            json.SerializerOptions.TypeInfoResolver = System.Text.Json.Serialization.Metadata.JsonTypeInfoResolver.WithAddedModifier(
                json.SerializerOptions.TypeInfoResolver ?? new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(), info =>
                {
                    ApiJson.RequireValueParameters(info);
                    ApiJson.RefuseNulTexts(info);
                });
        });
        builder.Services.AddSingleton<ProcessCatalog>();
        builder.AddWorkflowsJobs();
        builder.Services.AddWorkflowsProblems();
        builder.AddWorkflowsInbox();
        builder.Services.AddOpenApi(openApi =>
        {
            openApi.AddWorkflowsDocument();
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

    /// <summary>A request target (path and query) over <see cref="ApiLimits.MaxUrlLength"/>: 414 problem details naming the limit.</summary>
    public static WebApplication UseWorkflowsUrlLimit(this WebApplication app)
    {
        var limits = app.Services.GetRequiredService<ApiLimits>();
        app.Use(async (context, next) =>
        {
            // As the client sent it (percent-encoded), else as decoded.
            var length = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw
                ? raw.Length
                : (context.Request.Path.Value?.Length ?? 0) + (context.Request.QueryString.Value?.Length ?? 0);
            if (length > limits.MaxUrlLength)
            {
                await Results.Problem(statusCode: StatusCodes.Status414UriTooLong, title: "URI too long",
                    detail: $"the URL's path and query are {length:N0} characters long; the limit is {limits.MaxUrlLength:N0} (Workflows:Limits:MaxUrlLength)")
                    .ExecuteAsync(context);
                return;
            }

            // A NUL (%00) in a filter would reach PostgreSQL, which refuses it with a driver error (a 500).
            if (NulInUrl(context.Request) is { } field)
            {
                await Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad input",
                    detail: Engine.Runtime.StorableText.NulProblem(field))
                    .ExecuteAsync(context);
                return;
            }

            await next(context);
        });
        return app;
    }

    // The query parameter that holds a NUL; looked for only when the query has one at all. (A path with one never gets
    // here: ASP.NET Core's decoder refuses it, "The path contains null characters".)
    private static string? NulInUrl(HttpRequest request)
    {
        if (request.QueryString.Value?.Contains("%00", StringComparison.Ordinal) != true)
        {
            return null;
        }

        foreach (var (name, values) in request.Query)
        {
            if (name.Contains('\0', StringComparison.Ordinal) || values.Any(v => v?.Contains('\0', StringComparison.Ordinal) == true))
            {
                return $"the query parameter '{name.Replace("\0", "%00", StringComparison.Ordinal)}'";
            }
        }

        return null;
    }

    public static WebApplication MapWorkflowsApi(this WebApplication app)
    {
        var api = app.MapGroup("/api").WithWorkflowsProblems();
        api.MapDefinitions();
        api.MapDrafts();
        api.MapBranches();
        api.MapBranchCalendar();
        api.MapParameters();
        api.MapRollouts();
        api.MapDecisions();
        api.MapInstances();
        api.MapTasks();
        api.MapCustomerAnswers();
        api.MapInbox();
        api.MapOperations();
        api.MapRepairs();
        api.MapMigrations();
        api.MapJobs();
        api.MapClock();
        api.MapInspection();
        api.MapOperatorCommands();
        api.MapElementTemplates();
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapWorkflowsApiReference();
        return app;
    }
}
