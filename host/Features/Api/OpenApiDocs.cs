using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Workflows.Host.Features.Api;

/// <summary>
/// What the OpenAPI document says beyond the endpoints' own metadata: the bearer scheme, which operations need it and
/// for which roles, the problem responses every operation can give, and the API reference page that reads it.
/// </summary>
internal static partial class OpenApiDocs
{
    /// <summary>The name of the security scheme in the document.</summary>
    public const string BearerScheme = "Bearer";

    /// <summary>Where the API reference page is served.</summary>
    public const string ReferencePath = "/api-reference";

    public static void AddWorkflowsDocument(this OpenApiOptions openApi)
    {
        openApi.AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal);
            document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "A token from POST /api/auth/sign-in (demo users) or from the identity provider sharing Workflows:Auth:SigningKey. " +
                    "Its claims: sub (the user), role (one per role), branch (or * for a central team), queue (one per queue), customer.",
            };
            return Task.CompletedTask;
        });
        openApi.AddSchemaTransformer((schema, context, _) =>
        {
            RequireOnlyWhatIsRequired(schema, context.JsonTypeInfo);
            if (schema.Description is { } description)
            {
                schema.Description = MemberReference().Replace(description, m => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(m.Groups["member"].Value));
            }

            return Task.CompletedTask;
        });
        openApi.AddOperationTransformer((operation, context, _) =>
        {
            if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IEndpointNameMetadata>().Any(n => n.EndpointName is "SearchInstances" or "QueryTasks"))
            {
                DescribeVariableFilters(operation);
            }

            return Task.CompletedTask;
        });
        openApi.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            if (metadata.OfType<IAllowAnonymous>().Any() || !metadata.OfType<IAuthorizeData>().Any())
            {
                return Task.CompletedTask;
            }

            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] });
            var roles = metadata.OfType<AuthorizationPolicy>().SelectMany(p => p.Requirements).OfType<RolesAuthorizationRequirement>()
                .SelectMany(r => r.AllowedRoles).Distinct(StringComparer.Ordinal).ToList();
            if (roles.Count > 0)
            {
                operation.Description = $"{(operation.Description is { Length: > 0 } d ? d + "\n\n" : "")}Roles: {string.Join(", ", roles)}.";
            }

            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// The request bodies' required properties as the API reads them. The schema exporter takes every parameter of a
    /// record's constructor for required, though the API takes a nullable one as optional (<c>int? Retries</c>); a
    /// property is required when the reader refuses a body without it (<see cref="ApiJson.RequireValueParameters"/>) or
    /// when it is a parameter that cannot be null, which the handlers refuse missing.
    /// </summary>
    internal static void RequireOnlyWhatIsRequired(OpenApiSchema schema, System.Text.Json.Serialization.Metadata.JsonTypeInfo typeInfo)
    {
        if (typeInfo.Kind != System.Text.Json.Serialization.Metadata.JsonTypeInfoKind.Object)
        {
            return;
        }

        foreach (var property in typeInfo.Properties)
        {
            if (property.AttributeProvider?.IsDefined(typeof(RequiredInApiAttribute), inherit: false) == true)
            {
                (schema.Required ??= new HashSet<string>(StringComparer.Ordinal)).Add(property.Name);
            }
            else if (schema.Required is { } required && !property.IsRequired
                && (property.AssociatedParameter is null || property.AssociatedParameter.HasDefaultValue || property.IsSetNullable))
            {
                required.Remove(property.Name);
            }
        }
    }

    /// <summary>The search's variable filters, one query parameter per filter, named after the variable.</summary>
    private static void DescribeVariableFilters(OpenApiOperation operation)
    {
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = "var.{name}[.{comparison}]",
            In = ParameterLocation.Query,
            Required = false,
            Description = "A filter on a variable the journey declares searchable (wf:searchable; GET /api/instances/searchable-variables lists them), "
                + "one query parameter per filter: var.amount=100 (equal), or var.amount.{comparison}=100 with the comparison one of eq, gt, gte, lt, lte. "
                + "Several filters all hold; a name no version of the journey declares searchable is 400.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            Example = System.Text.Json.Nodes.JsonValue.Create("var.amount.gte=100"),
        });
    }

    // The XML comments' references to members (see cref) reach the document as "string ClockView.Offset": the reader
    // knows the property by its JSON name.
    [System.Text.RegularExpressions.GeneratedRegex(@"\b\w+(?:&lt;.*?&gt;|<[^>]*>)?\?? [A-Z]\w*\.(?<member>[A-Z]\w*)\b")]
    private static partial System.Text.RegularExpressions.Regex MemberReference();

    /// <summary>The endpoints that change nothing stored: they never lose a race with another command (409).</summary>
    private static readonly string[] s_withoutConflicts = ["Validate", "MoveClock", "ResetClock"];

    /// <summary>
    /// The problems every endpoint of the API can answer, added to each endpoint's metadata once its own is known:
    /// 401 and 403 (every endpoint needs a token and a role), 404 where the path names a resource, 400 where the
    /// request carries input, 409 for every command (a command that keeps losing races with others gives up, and most
    /// find their resource changed: an ended instance, a completed task), 413 and 415 where a JSON body is read, 414
    /// (the URL limit) and 503 (the store is away).
    /// </summary>
    public static RouteGroupBuilder WithWorkflowsProblems(this RouteGroupBuilder api)
    {
        ((IEndpointConventionBuilder)api).Finally(endpoint =>
        {
            var metadata = endpoint.Metadata;
            void Problem(int status)
            {
                if (!metadata.OfType<IProducesResponseTypeMetadata>().Any(m => m.StatusCode == status))
                {
                    metadata.Add(new ProducesResponseTypeMetadata(status, typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), ["application/problem+json"]));
                }
            }

            var hasInput = metadata.OfType<IAcceptsMetadata>().Any() || metadata.OfType<IParameterBindingMetadata>().Any()
                || (endpoint is RouteEndpointBuilder { RoutePattern.Parameters.Count: > 0 });
            if (hasInput)
            {
                Problem(StatusCodes.Status400BadRequest);
            }

            Problem(StatusCodes.Status401Unauthorized);
            Problem(StatusCodes.Status403Forbidden);
            if (endpoint is RouteEndpointBuilder { RoutePattern.Parameters.Count: > 0 })
            {
                Problem(StatusCodes.Status404NotFound);
            }

            var changes = metadata.OfType<IHttpMethodMetadata>().SelectMany(m => m.HttpMethods).Any(m => m is "POST" or "PUT" or "PATCH" or "DELETE");
            if (changes && !metadata.OfType<IEndpointNameMetadata>().Any(n => s_withoutConflicts.Contains(n.EndpointName, StringComparer.Ordinal)))
            {
                Problem(StatusCodes.Status409Conflict);
            }

            if (metadata.OfType<IAcceptsMetadata>().Any() || changes)
            {
                Problem(StatusCodes.Status413PayloadTooLarge);
            }

            if (metadata.OfType<IAcceptsMetadata>().Any())
            {
                Problem(StatusCodes.Status415UnsupportedMediaType);
            }

            Problem(StatusCodes.Status414UriTooLong);
            Problem(StatusCodes.Status503ServiceUnavailable);
        });
        return api;
    }

    /// <summary>
    /// The API reference (Scalar, from its NuGet package) at <see cref="ReferencePath"/>, reading <c>/openapi/v1.json</c>.
    /// Its page starts Scalar with an inline script that carries a fresh nonce per request, which the security headers
    /// allow for that answer only; no font or script comes from another origin.
    /// </summary>
    public static WebApplication MapWorkflowsApiReference(this WebApplication app)
    {
        app.MapScalarApiReference(ReferencePath, options => options
                .WithTitle("Workflows API")
                .WithOpenApiRoutePattern("/openapi/{documentName}.json")
                .WithNonce()
                .DisableDefaultFonts()
                .DisableTelemetry()
                .DisableAgent()
                // The toolbar of Scalar's own services (configure, share, generate an SDK, deploy) links outside the product.
                .HideDeveloperTools()
                .WithDotNetFlag(false)
                .AddPreferredSecuritySchemes(BearerScheme))
            .AllowAnonymous();
        return app;
    }
}

/// <summary>
/// A request's property the API refuses to go without (400 naming it), though its type allows null so that the handler,
/// not the JSON reader, says what is missing in the API's words: the OpenAPI document lists it as required.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class RequiredInApiAttribute : Attribute;
