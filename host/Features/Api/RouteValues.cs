using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using Workflows.Engine;

namespace Workflows.Host.Features.Api;

/// <summary>
/// A route's id that is not one (<c>/api/instances/not-a-guid</c>, <c>…/versions/two/xml</c>) is a 400 problem naming
/// the parameter and what it takes, before anything else of the request is read. The routes carry no type constraints: a
/// constraint that fails makes the route unknown, which answered a bare 404 that said nothing of the id. The check reads
/// the types from the handler the route chose, so a new route is covered without a word here.
/// </summary>
internal static class RouteValues
{
    // The typed route parameters of each endpoint, read from its handler once (reflection is not for every request).
    private static readonly ConcurrentDictionary<RouteEndpoint, (string Name, Type Type)[]> s_typed = new();

    public static WebApplication UseWorkflowsRouteValues(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            if (context.GetEndpoint() is RouteEndpoint endpoint)
            {
                foreach (var (name, type) in s_typed.GetOrAdd(endpoint, Typed))
                {
                    if (context.Request.RouteValues.TryGetValue(name, out var value) && value is string text && !Reads(type, text))
                    {
                        throw new WorkflowInputException(BindingProblems.NotA(name, text, type));
                    }
                }
            }

            return next(context);
        });
        return app;
    }

    private static (string Name, Type Type)[] Typed(RouteEndpoint endpoint) =>
        endpoint.Metadata.GetMetadata<MethodInfo>() is { } handler
            ? [.. handler.GetParameters()
                .Where(p => p.Name is not null && endpoint.RoutePattern.GetParameter(p.Name) is not null)
                .Select(p => (p.Name!, Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType))
                .Where(p => p.Item2 == typeof(Guid) || p.Item2 == typeof(int) || p.Item2 == typeof(long))]
            : [];

    // What the handler's binding would read: anything else is the caller's to fix.
    private static bool Reads(Type type, string text) =>
        type == typeof(Guid) ? Guid.TryParse(text, out _)
        : type == typeof(int) ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
        : long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _);
}
