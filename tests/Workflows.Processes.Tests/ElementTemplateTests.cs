using System.Security;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Workflows.Engine.Runtime;
using Workflows.Engine.Testing;
using Workflows.Processes.Systems;

namespace Workflows.Processes.Tests;

/// <summary>
/// The journey library's element templates (Templates/*.json) make steps that run: each template's bindings are applied
/// as the designer's panel applies them (the task definition, headers and input mappings written as Zeebe extensions),
/// the model validates without a finding, deploys, and an instance passes the step on the library's handler and the demo
/// systems, setting the variable the template's description promises. The hand-over's message starts the back office.
/// The schema itself is checked by the host's tests (Node, @bpmn-io/element-templates-validator).
/// </summary>
public sealed class ElementTemplateTests
{
    private static readonly XNamespace Bpmn = "http://www.omg.org/spec/BPMN/20100524/MODEL";
    private static readonly XNamespace Zeebe = "http://camunda.org/schema/zeebe/1.0";

    // What each step needs in the instance, and the value of each header a template leaves for the analyst to write.
    private static readonly Dictionary<string, object?> s_variables = new()
    {
        ["customerId"] = "cust-1", ["caseId"] = "case-1", ["serialNumber"] = "SN-1", ["address"] = "1 Main Street", ["orderId"] = "ORD-1",
        ["reason"] = "damaged", ["fullName"] = "Ada Lovelace", ["idDocument"] = "ID-1", ["policyNumber"] = "POL-1", ["lossDate"] = "2025-01-02",
        ["newAddress"] = "2 High Street", ["amount"] = 25m,
    };

    private static readonly Dictionary<string, string> s_headersToWrite = new() { ["message"] = "Your case is registered.", ["documents"] = "proof of purchase" };

    // The variable each step sets, as its template's description says.
    private static readonly Dictionary<string, string> s_sets = new()
    {
        ["notify-customer"] = "notificationId", ["warranty-check"] = "underWarranty", ["book-appointment"] = "appointmentId",
        ["request-documents"] = "documentRequestId", ["complaint-history"] = "earlierComplaints", ["identity-check"] = "identityVerified",
        ["credit-check"] = "creditScore", ["provision-account"] = "accountNumber", ["return-authorisation"] = "returnAuthorised",
        ["shipping-label"] = "returnLabel", ["payment"] = "paymentId", ["coverage-check"] = "covered", ["service-availability"] = "serviceAvailable",
    };

    private static JsonObject Template(string file) =>
        JsonNode.Parse(JourneyLibrary.ElementTemplates.Single(t => t.Name == file).Xml)!.AsObject();

    private static IEnumerable<JsonObject> Bindings(JsonObject template) =>
        template["properties"]!.AsArray().Select(p => p!.AsObject());

    public static IEnumerable<string> TaskTemplates => JourneyLibrary.ElementTemplates
        .Where(t => Bindings(Template(t.Name)).Any(p => (string?)p["binding"]!["type"] == "zeebe:taskDefinition"))
        .Select(t => t.Name);

    [Test]
    public void The_library_ships_templates_for_its_journey_steps()
    {
        var files = JourneyLibrary.ElementTemplates.Select(t => t.Name).ToList();

        Assert.That(files, Is.SupersetOf(new[] { "notify-customer.json", "warranty-check.json", "book-appointment.json", "back-office-handover.json", "request-documents.json" }));
        Assert.That(files.Select(f => (string?)Template(f)["id"]), Is.Unique);
    }

    [Test]
    public void Every_task_type_the_library_runs_in_process_has_a_template()
    {
        var types = JourneyLibrary.All.SelectMany(j => XDocument.Parse(j.Xml).Descendants().Where(e => e.Name.LocalName == "taskDefinition"))
            .Select(e => (string)e.Attribute("type")!).Where(t => t != JourneyHandlers.ExternalAssessorType).ToHashSet();
        var templated = TaskTemplates.Select(f => TaskType(Template(f))).ToHashSet();

        Assert.That(types, Is.Not.Empty);
        Assert.That(types.Except(templated), Is.Empty, "task types of the journeys without a template");
    }

    private static string TaskType(JsonObject template) =>
        (string)Bindings(template).Single(p => (string?)p["binding"]!["type"] == "zeebe:taskDefinition" && (string?)p["binding"]!["property"] == "type")["value"]!;

    [TestCaseSource(nameof(TaskTemplates))]
    public async Task A_step_made_from_the_template_deploys_and_runs_on_the_librarys_handler(string file)
    {
        var template = Template(file);
        var type = TaskType(template);
        var processId = "templated-" + type;
        var xml = Process(processId, $"""<bpmn:startEvent id="start"/>{Step(template)}<bpmn:endEvent id="end"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="step"/><bpmn:sequenceFlow id="f2" sourceRef="step" targetRef="end"/>""");
        var harness = new ProcessTestHarness(configure: options => options.AddJourneyHandlers(JourneySystems.Demo()));

        var report = await harness.Engine.Deployments.ValidateAsync(xml);
        await harness.DeployAsync(xml);
        var instance = await harness.StartAsync(processId, s_variables);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(report.Findings, Is.Empty, report.ToString());
            Assert.That(await instance.IncidentsAsync(), Is.Empty);
            Assert.That(await instance.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
            Assert.That(await instance.VariableAsync(s_sets[type]), Is.Not.Null, $"{type} sets {s_sets[type]}");
        }
    }

    [Test]
    public async Task The_hand_over_made_from_its_template_starts_the_back_office_on_the_case()
    {
        var template = Template("back-office-handover.json");
        var name = (string)Bindings(template).Single(p => (string?)p["binding"]!["type"] == "bpmn:Message#property")["value"]!;
        var key = (string)Bindings(template).Single(p => (string?)p["binding"]!["type"] == "bpmn:Message#zeebe:subscription#property")["value"]!;
        var xml = $"""
            <bpmn:definitions xmlns:bpmn="{Bpmn}" xmlns:zeebe="{Zeebe}" id="d" targetNamespace="t">
              <bpmn:message id="handover" name="{SecurityElement.Escape(name)}"><bpmn:extensionElements><zeebe:subscription correlationKey="{SecurityElement.Escape(key)}"/></bpmn:extensionElements></bpmn:message>
              <bpmn:process id="front" isExecutable="true">
                <bpmn:startEvent id="start"/>
                <bpmn:intermediateThrowEvent id="step" zeebe:modelerTemplate="{template["id"]}" zeebe:modelerTemplateVersion="{template["version"]}"><bpmn:messageEventDefinition messageRef="handover"/></bpmn:intermediateThrowEvent>
                <bpmn:endEvent id="end"/>
                <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="step"/><bpmn:sequenceFlow id="f2" sourceRef="step" targetRef="end"/>
              </bpmn:process>
              <bpmn:process id="back" isExecutable="true">
                <bpmn:startEvent id="received"><bpmn:messageEventDefinition messageRef="handover"/></bpmn:startEvent>
                <bpmn:endEvent id="done"/><bpmn:sequenceFlow id="g1" sourceRef="received" targetRef="done"/>
              </bpmn:process>
            </bpmn:definitions>
            """;
        var harness = new ProcessTestHarness();

        await harness.DeployAsync(xml);
        var front = await harness.StartAsync("front", s_variables);
        await harness.DeliverMessagesAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await front.StatusAsync(), Is.EqualTo(ProcessInstanceStatus.Completed));
            Assert.That(await harness.InstancesOfAsync("back"), Has.Count.EqualTo(1), "the back office started on the message");
        }
    }

    private static string Process(string id, string content) =>
        $"""<bpmn:definitions xmlns:bpmn="{Bpmn}" xmlns:zeebe="{Zeebe}" id="d" targetNamespace="t"><bpmn:process id="{id}" isExecutable="true">{content}</bpmn:process></bpmn:definitions>""";

    // The step as the panel writes it from the template: the element type the template sets, the template's id and
    // version, and each property's binding (a test of these three binding kinds: any other makes the template fail here
    // until this test learns it).
    private static string Step(JsonObject template)
    {
        var definition = new XElement(Zeebe + "taskDefinition");
        var mapping = new XElement(Zeebe + "ioMapping");
        var headers = new XElement(Zeebe + "taskHeaders");
        foreach (var property in Bindings(template))
        {
            var binding = property["binding"]!.AsObject();
            var value = (string?)property["value"];
            switch ((string?)binding["type"])
            {
                case "zeebe:taskDefinition":
                    definition.SetAttributeValue((string)binding["property"]!, value);
                    break;
                case "zeebe:input":
                    mapping.Add(new XElement(Zeebe + "input", new XAttribute("source", value!), new XAttribute("target", (string)binding["name"]!)));
                    break;
                case "zeebe:taskHeader":
                    var key = (string)binding["key"]!;
                    headers.Add(new XElement(Zeebe + "header", new XAttribute("key", key), new XAttribute("value", value ?? s_headersToWrite[key])));
                    break;
                default:
                    Assert.Fail($"{template["id"]}: the binding {binding["type"]} is not applied by this test");
                    break;
            }
        }

        var type = ((string)template["elementType"]!["value"]!).Split(':')[1];
        var element = new XElement(Bpmn + (char.ToLowerInvariant(type[0]) + type[1..]), new XAttribute(XNamespace.Xmlns + "bpmn", Bpmn), new XAttribute(XNamespace.Xmlns + "zeebe", Zeebe), new XAttribute("id", "step"),
            new XAttribute(Zeebe + "modelerTemplate", (string)template["id"]!), new XAttribute(Zeebe + "modelerTemplateVersion", (int)template["version"]!),
            new XElement(Bpmn + "extensionElements", definition, mapping.HasElements ? mapping : null, headers.HasElements ? headers : null));
        return element.ToString(SaveOptions.DisableFormatting);
    }
}
