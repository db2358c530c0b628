using System.Text.Json.Nodes;
using Workflows.Host.Features.Security;
using Workflows.Processes;

namespace Workflows.Host.Features.Api;

/// <summary>
/// The element templates of the journey library's steps (Camunda 8 element-template JSON), for the designer's properties
/// panel: one array, as Camunda Modeler reads a templates file.
/// </summary>
internal static class ElementTemplatesApi
{
    // Read once: the templates are embedded in the journey library and change only with it. Parsed, so that a template
    // that is not JSON fails the host's start (and its tests), not an analyst's designer.
    private static readonly Lazy<string> s_all = new(() =>
    {
        var all = new JsonArray();
        foreach (var template in JourneyLibrary.ElementTemplates)
        {
            all.Add(JsonNode.Parse(template.Xml) ?? throw new InvalidOperationException($"the element template {template.Name} is empty"));
        }

        return all.ToJsonString();
    });

    public static void MapElementTemplates(this IEndpointRouteBuilder api) =>
        api.MapGet("/element-templates", () => Results.Text(s_all.Value, "application/json"))
            .RequireAuthorization(p => p.RequireRole(Roles.Staff)).WithTags("Definitions").WithName("ListElementTemplates")
            .Produces<JsonArray>()
            .WithSummary("The element templates of the journey library's steps (Camunda 8 element-template JSON, the Zeebe schema): a task made from one runs the library's handler of its task type.");
}
