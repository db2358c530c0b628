using System.Reflection;

namespace Workflows.Processes;

/// <summary>A BPMN file of the journey library, as embedded in this assembly.</summary>
/// <param name="Name">The file name, such as <c>complaints.bpmn</c>.</param>
/// <param name="Xml">The file's text: BPMN 2.0 or DMN XML, or an element template's JSON.</param>
public sealed record JourneyResource(string Name, string Xml);

/// <summary>
/// The customer-journey library shipped with the product: the BPMN files under <c>Journeys/</c> and the decisions (DMN)
/// their business rule tasks evaluate under <c>Decisions/</c>.
/// </summary>
public static class JourneyLibrary
{
    /// <summary>Every journey of the library, in name order.</summary>
    public static IReadOnlyList<JourneyResource> All { get; } = Load("Workflows.Processes.Journeys.", ".bpmn");

    /// <summary>
    /// Every decision of the library (complaints' front-desk authority, claims' approval level, returns' refund route), in
    /// name order: deploy them with the journeys; a branch tunes one by pinning another version of it.
    /// </summary>
    public static IReadOnlyList<JourneyResource> Decisions { get; } = Load("Workflows.Processes.Decisions.", ".dmn");

    /// <summary>
    /// The element templates of the journey's steps (notify the customer, check the warranty, book an appointment, request
    /// documents, hand over to the back office, and one per step the journeys run), each a Camunda 8 element template
    /// (JSON of the Zeebe element-templates schema), in name order.
    /// </summary>
    /// <remarks>
    /// A service task made from one runs the handler of its task type (<see cref="JourneyHandlers.AddJourneyHandlers"/>);
    /// the hand-over throws a message the engine sends itself. The designer offers them in its properties panel.
    /// </remarks>
    public static IReadOnlyList<JourneyResource> ElementTemplates { get; } = Load("Workflows.Processes.Templates.", ".json");

    private static List<JourneyResource> Load(string prefix, string extension)
    {
        var assembly = typeof(JourneyLibrary).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(extension, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n => new JourneyResource(n[prefix.Length..], Read(assembly, n)))
            .ToList();
    }

    private static string Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
