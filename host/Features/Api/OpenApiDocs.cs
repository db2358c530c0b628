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
internal static class OpenApiDocs
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
    /// The problems every endpoint of the API can answer, added to each endpoint's metadata once its own is known:
    /// 401 and 403 (every endpoint needs a token and a role), 404 where the path names a resource, 400 where the
    /// request carries input, and 503 (the store is away).
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
                .AddPreferredSecuritySchemes(BearerScheme))
            .AllowAnonymous();
        return app;
    }
}
