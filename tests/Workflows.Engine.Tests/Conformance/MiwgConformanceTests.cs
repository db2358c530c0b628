using System.Xml.Linq;
using Workflows.Engine.Model;

namespace Workflows.Engine.Tests.Conformance;

/// <summary>
/// The BPMN MIWG reference models (../shared/conformance/miwg): every file imports without an
/// unhandled exception, and the engine reads exactly as many elements of each type as the XML has.
/// </summary>
public sealed class MiwgConformanceTests
{
    // The element types the importer reads into its model; each is counted in the XML and in the model.
    private static readonly string[] s_countedTypes =
    [
        "process", "collaboration", "participant", "messageFlow", "laneSet", "childLaneSet", "lane", "sequenceFlow",
        "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
        "task", "userTask", "serviceTask", "sendTask", "receiveTask", "scriptTask", "manualTask", "businessRuleTask",
        "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
        "subProcess", "transaction", "adHocSubProcess", "callActivity",
        "messageEventDefinition", "timerEventDefinition", "signalEventDefinition", "errorEventDefinition",
        "escalationEventDefinition", "terminateEventDefinition", "conditionalEventDefinition",
        "compensateEventDefinition", "linkEventDefinition", "cancelEventDefinition",
        "message", "signal", "error", "escalation",
        "dataObject", "dataObjectReference", "dataStoreReference", "textAnnotation", "association", "group",
        "standardLoopCharacteristics", "multiInstanceLoopCharacteristics",
    ];

    private static string ConformanceDirectory()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Workflows.sln")))
            {
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "conformance", "miwg"));
            }
        }

        return "";
    }

    public static IEnumerable<TestCaseData> Models()
    {
        var directory = ConformanceDirectory();
        if (!Directory.Exists(directory))
        {
            // Never a silent skip: without the material the suite fails and says where it looked.
            yield return new TestCaseData("(missing)").SetName("MIWG models are present next to the repository");
            yield break;
        }

        foreach (var file in Directory.EnumerateFiles(directory, "*.bpmn", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            yield return new TestCaseData(Path.GetRelativePath(directory, file)).SetArgDisplayNames(Path.GetRelativePath(directory, file));
        }
    }

    [TestCaseSource(nameof(Models))]
    public async Task Imports_and_reads_every_element_of_each_type(string relativePath)
    {
        var directory = ConformanceDirectory();
        Assert.That(Directory.Exists(directory), Is.True, $"the MIWG models are expected in {directory}");
        var xml = await File.ReadAllTextAsync(Path.Combine(directory, relativePath));

        var (document, findings) = BpmnParser.Parse(xml);
        var report = await new WorkflowEngine().Deployments.ValidateAsync(xml);

        Assert.That(document, Is.Not.Null, string.Join(Environment.NewLine, findings));
        var expected = CountInXml(xml);
        using (Assert.EnterMultipleScope())
        {
            foreach (var type in s_countedTypes)
            {
                Assert.That(document!.ElementCounts.GetValueOrDefault(type), Is.EqualTo(expected.GetValueOrDefault(type)), $"{type} elements read");
            }

            Assert.That(document!.ElementCounts.GetValueOrDefault("BPMNShape"), Is.EqualTo(expected.GetValueOrDefault("BPMNShape")), "diagram shapes read");
            Assert.That(report.Findings.All(f => f.Message.Length > 0), Is.True);
        }
    }

    private static Dictionary<string, int> CountInXml(string xml)
    {
        var root = XDocument.Parse(xml).Root!;
        return root.DescendantsAndSelf()
            .Where(e => e.Name.NamespaceName is BpmnParser.BpmnNs or BpmnParser.BpmnDiNs)
            .GroupBy(e => e.Name.LocalName)
            .ToDictionary(g => g.Key, g => g.Count());
    }
}
