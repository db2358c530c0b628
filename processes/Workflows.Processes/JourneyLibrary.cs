using System.Reflection;

namespace Workflows.Processes;

/// <summary>A BPMN file of the journey library, as embedded in this assembly.</summary>
/// <param name="Name">The file name, such as <c>complaints.bpmn</c>.</param>
/// <param name="Xml">The BPMN 2.0 XML.</param>
public sealed record JourneyResource(string Name, string Xml);

/// <summary>The customer-journey library shipped with the product: the BPMN files under <c>Journeys/</c>.</summary>
public static class JourneyLibrary
{
    private const string Prefix = "Workflows.Processes.Journeys.";

    /// <summary>Every journey of the library, in name order.</summary>
    public static IReadOnlyList<JourneyResource> All { get; } = Load();

    private static List<JourneyResource> Load()
    {
        var assembly = typeof(JourneyLibrary).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".bpmn", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n => new JourneyResource(n[Prefix.Length..], Read(assembly, n)))
            .ToList();
    }

    private static string Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
